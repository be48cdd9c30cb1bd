// Streaming k-means (SageMaker's, re-designed): K = k × extra_center_factor
// weighted centres follow the stream in one pass (per-centre learning rates,
// optional forgetting, explicit reseeding of dying centres); finalize reduces
// them to k with weighted k-means++ and Lloyd's. The state keeps the K
// weighted centres, so a model for any k ≤ K, or a cost curve over k, comes
// from the state without reading the data again. For the k it was trained
// with, the state also keeps a refined model: k centres started from such a
// reduction part-way through the stream and moved by Lloyd steps on every
// later batch (a reduction of centres alone cannot tell how each centre's
// points split between the final clusters; the later rows can).
import { requireAlgorithm, requireSameHyperparameters } from '../merge-checks.js';
import { allocateState } from '../state-size.js';
import { isSettled, requireSettled, settleForBackend, settleState } from '../../backends/device-state.js';
import type { Backend } from '../../backends/registry.js';
import { runKernel } from '../../backends/run-kernel.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import type { Batch } from '../../data/batch.js';
import { tensor } from '../../state/tensor.js';
import { parseHyperparameters } from '../hyperparameters.js';
import type { Algorithm, DataSchema, Evaluator, Selection, State } from '../types.js';
import { kmeansSchema, type KmeansHyperparameters, type KmeansSchema } from './hyperparameters.js';
import { KmeansModel } from './model.js';
import { reductionTrials, resolveKmeans } from './settings.js';
import { distinctGroups, poolIdentical } from './distinct.js';
import { DegenerateDataError, requireEvaluatedWeight, requireTrainingWeight } from '../degenerate-data.js';
import { countedUpdate } from '../counted-update.js';
import { addBatchOrder, batchOrderLength, isNovelBatch, mergeBatchOrder } from '../batch-order.js';
import { kmeansDataWarnings } from './data-warnings.js';
import { guardStates } from '../state-guard.js';

export { KmeansModel } from './model.js';
export { kmeansSchema } from './hyperparameters.js';
export type { KmeansHyperparameters } from './hyperparameters.js';

export type KmeansState = State<KmeansHyperparameters>;

/** Indices into the `counters` tensor (native/algorithms/kmeans/kmeans.h Counter). */
export const kmeansCounter = { rows: 0, filled: 1, reseeds: 2, random: 3, costSum: 4, costWeight: 5, count: 6 } as const;

/** Indices into the `model_counters` tensor (native/algorithms/kmeans/kmeans.h ModelCounter). */
export const kmeansModelCounter = { active: 0, rows: 1, next: 2, candidates: 3, taken: 4, costSum: 5, costWeight: 6, count: 7 } as const;

/**
 * Tensors added after the first k-means states were written: the refined model's (zeros: not
 * started) and the between-batch moments (zeros: nothing measured, no order warning).
 */
const addedTensors = ['model_centers', 'model_weights', 'model_counters', 'batch_order'] as const;

function createState(hp: KmeansHyperparameters, schema: DataSchema): KmeansState {
  const s = resolveKmeans(hp, schema);
  // Said with its size and what decides it, as the other algorithms' states are (it was the engine's
  // "Invalid typed array length: 20000000000" at feature_dim 10^9).
  const d = schema.featureDim;
  const centers = allocateState('kmeans', 4 * (s.centers + hp.k) * d + 8 * batchOrderLength(d),
    `k ${hp.k} × extra_center_factor ${s.centers / hp.k} streaming centres and k model centres × feature_dim ${d} floats; lower feature_dim or extra_center_factor`,
    () => {
      const streaming = new Float32Array(s.centers * d);
      // The others are allocated here too: whichever does not fit is said the same way.
      return { streaming, model: new Float32Array(hp.k * d), order: new Float64Array(batchOrderLength(d)) };
    });
  if (centers.streaming.byteLength >= 8 << 20) loadCoreAddon().adviseHugePages(centers.streaming);
  return {
    algorithm: 'kmeans',
    hyperparameters: hp,
    schema: { ...schema },
    tensors: {
      centers: tensor(centers.streaming, [s.centers, schema.featureDim]),
      center_weights: tensor(new Float64Array(s.centers)),
      counters: tensor(new Float64Array(kmeansCounter.count)),
      model_centers: tensor(centers.model, [hp.k, schema.featureDim]),
      model_weights: tensor(new Float64Array(hp.k)),
      model_counters: tensor(new Float64Array(kmeansModelCounter.count)),
      // How much of the rows' variance lies between batches: sorted input says so (../batch-order.ts).
      batch_order: tensor(centers.order),
    },
    scalars: { examples_seen: 0, batches_seen: 0 },
  };
}

// Resolved once per state: update runs per batch, and resolving parses eval_metrics.
const resolved = new WeakMap<KmeansState, ReturnType<typeof resolveKmeans>>();
function settingsOf(state: KmeansState) {
  let s = resolved.get(state);
  if (!s) resolved.set(state, s = resolveKmeans(state.hyperparameters, state.schema));
  return s;
}

const counters = (state: KmeansState) => state.tensors.counters.data as Float64Array;
const filledOf = (state: KmeansState) => counters(state)[kmeansCounter.filled];
const modelCounters = (state: KmeansState) => state.tensors.model_counters.data as Float64Array;
const modelCenters = (state: KmeansState) => state.tensors.model_centers.data as Float32Array;
const modelWeights = (state: KmeansState) => state.tensors.model_weights.data as Float64Array;
/** Whether the state holds a refined model (of the k it was trained with). */
const refinedOf = (state: KmeansState) => modelCounters(state)[kmeansModelCounter.active] > 0;

/** The filled centres and their weights (the state's weighted summary of the data). */
function heldCenters(state: KmeansState): { points: Float32Array; weights: Float64Array; count: number } {
  const count = filledOf(state);
  const dim = state.schema.featureDim;
  return {
    points: (state.tensors.centers.data as Float32Array).subarray(0, count * dim),
    weights: (state.tensors.center_weights.data as Float64Array).subarray(0, count),
    count,
  };
}

/**
 * Why k cannot be had from the held centres, or undefined when it can: k must not exceed the
 * distinct points among them — the distinct rows seen, exactly, while fewer than K are held
 * (scikit-learn's check; duplicate centres are never returned), or the K centres held.
 */
function kProblem(state: KmeansState, k: number): Error | undefined {
  const held = heldCenters(state);
  if (held.count === 0) return new DegenerateDataError('kmeans: the state has seen no data');
  if (!Number.isInteger(k) || k < 1) return new RangeError(`kmeans: k=${k} must be a positive integer`);
  const distinct = distinctGroups(held.points, held.count, state.schema.featureDim).groups;
  if (k <= distinct) return undefined;
  const capacity = resolveKmeans(state.hyperparameters, state.schema).centers;
  return distinct < capacity
    ? new DegenerateDataError(`kmeans: k=${k} but only ${distinct} distinct row${distinct === 1 ? '' : 's'} seen; k must be at most the number of distinct rows (as scikit-learn: n_samples=${distinct} should be >= n_clusters=${k})`)
    : new RangeError(`kmeans: k=${k} but the state holds ${distinct} weighted centres (k × extra_center_factor); k must be at most ${distinct}`);
}

/** After a pass: fewer distinct rows than k is degenerate data, reported then rather than after every epoch. */
function checkTrainingData(state: KmeansState): void {
  // Its counts are stale while a GPU backend holds the latest batches.
  requireSettled(state, 'kmeans checkTrainingData');
  requireTrainingWeight('kmeans', Number(state.scalars.examples_seen), (state.tensors.center_weights.data as Float64Array).reduce((a, b) => a + b, 0));
  const problem = kProblem(state, state.hyperparameters.k);
  if (problem instanceof DegenerateDataError) throw problem;
}

/** Weighted k-means of the held centres down to k: native, its trials in parallel, off the event loop. */
async function reduce(state: KmeansState, k: number) {
  await settleState(state);
  const problem = kProblem(state, k);
  if (problem) throw problem;
  const s = resolveKmeans(state.hyperparameters, state.schema);
  const held = heldCenters(state);
  const r = s.reduction;
  const trials = reductionTrials(state.hyperparameters, held.count, k, state.schema.featureDim);
  return loadCoreAddon().kmeansReduceAsync(held.points, held.weights, held.count, state.schema.featureDim, k,
    r.kmeansPlusPlus, r.maxIter, r.tol, trials, r.seed);
}

function concatenate(shards: { points: Float32Array; weights: Float64Array; count: number }[], dim: number) {
  const count = shards.reduce((n, p) => n + p.count, 0);
  const points = new Float32Array(count * dim);
  const weights = new Float64Array(count);
  let offset = 0;
  for (const p of shards) {
    points.set(p.points, offset * dim);
    weights.set(p.weights, offset);
    offset += p.count;
  }
  return { points, weights, count };
}

function merge(states: KmeansState[]): KmeansState {
  if (states.length === 0) throw new RangeError('kmeans merge: no states');
  requireAlgorithm('kmeans merge', 'kmeans', states);
  for (const s of states) requireSettled(s, 'kmeans merge');
  const first = states[0];
  // Which hyperparameter differs, by name (it said "other hyperparameters or another feature_dim").
  requireSameHyperparameters('kmeans merge', states, false);
  for (const [i, s] of states.entries()) {
    if (s.schema.featureDim !== first.schema.featureDim) {
      throw new RangeError(`kmeans merge: state ${i} has ${s.schema.featureDim} features, state 0 has ${first.schema.featureDim}`);
    }
  }
  const merged = createState(first.hyperparameters, first.schema);
  const dim = first.schema.featureDim;
  const capacity = resolveKmeans(first.hyperparameters, first.schema).centers;
  // Pool every shard's weighted centres; over capacity, reduce the pool to K weighted centres.
  const shards = states.map(heldCenters);
  let pool: { points: Float32Array; weights: Float64Array; count: number } = concatenate(shards, dim);
  // Shards holding fewer than K centres hold their distinct points exactly; identical points pooled
  // into one keep that true of the merge (the distinct rows seen, what k is checked against).
  if (shards.every((p) => p.count < capacity)) pool = poolIdentical(pool.points, pool.weights, pool.count, dim);
  const { points, weights, count: total } = pool;
  const out = merged.tensors.centers.data as Float32Array;
  const outWeights = merged.tensors.center_weights.data as Float64Array;
  let filled = total;
  if (total <= capacity) {
    out.set(points);
    outWeights.set(weights);
  } else {
    const r = resolveKmeans(first.hyperparameters, first.schema).reduction;
    const reduced = loadCoreAddon().kmeansReduce(points, weights, total, dim, capacity, r.kmeansPlusPlus, r.maxIter, r.tol, 1, r.seed);
    out.set(reduced.centers);
    outWeights.set(reduced.mass);
    filled = capacity;
  }
  const c = counters(merged);
  for (const s of states) {
    const sc = counters(s);
    for (const k of [kmeansCounter.rows, kmeansCounter.reseeds, kmeansCounter.costSum, kmeansCounter.costWeight]) c[k] += sc[k];
  }
  mergeRefined(merged, states);
  mergeBatchOrder(merged.tensors.batch_order.data as Float64Array, states.map((s) => s.tensors.batch_order.data as Float64Array), dim);
  c[kmeansCounter.filled] = filled;
  c[kmeansCounter.random] = counters(first)[kmeansCounter.random];
  merged.scalars.examples_seen = states.reduce((n, s) => n + Number(s.scalars.examples_seen), 0);
  merged.scalars.batches_seen = states.reduce((n, s) => n + Number(s.scalars.batches_seen), 0);
  return merged;
}

/**
 * The shards' refined models pooled: one is kept as it is; several (each k weighted centres) are
 * reduced to k by the same weighted k-means as the streaming centres. Candidates start again at
 * the latest point any shard had reached. Only when every shard that saw rows has a refined model:
 * one that never saw a shard's rows would ignore them (a data-parallel worker whose model started
 * on its last batch, kept for all the workers' data, ended 13% above the pooled reduction on
 * Fashion-MNIST), so then the merge has none and its model comes from the pooled streaming centres.
 */
function mergeRefined(merged: KmeansState, states: KmeansState[]): void {
  const m = modelCounters(merged);
  const refined = states.filter(refinedOf);
  for (const s of states) {
    const sm = modelCounters(s);
    for (const k of [kmeansModelCounter.candidates, kmeansModelCounter.taken, kmeansModelCounter.costSum, kmeansModelCounter.costWeight]) m[k] += sm[k];
    m[kmeansModelCounter.next] = Math.max(m[kmeansModelCounter.next], sm[kmeansModelCounter.next]);
  }
  const withRows = states.filter((s) => counters(s)[kmeansCounter.rows] > 0);
  if (refined.length === 0 || refined.length < withRows.length) return;
  const { k } = merged.hyperparameters;
  const dim = merged.schema.featureDim;
  m[kmeansModelCounter.active] = 1;
  m[kmeansModelCounter.rows] = refined.reduce((n, s) => n + modelCounters(s)[kmeansModelCounter.rows], 0);
  if (refined.length === 1) {
    modelCenters(merged).set(modelCenters(refined[0]));
    modelWeights(merged).set(modelWeights(refined[0]));
    return;
  }
  const pool = concatenate(refined.map((s) => ({ points: modelCenters(s), weights: modelWeights(s), count: k })), dim);
  const r = resolveKmeans(merged.hyperparameters, merged.schema).reduction;
  const reduced = loadCoreAddon().kmeansReduce(pool.points, pool.weights, pool.count, dim, k, r.kmeansPlusPlus, r.maxIter, r.tol,
    reductionTrials(merged.hyperparameters, pool.count, k, dim), r.seed);
  modelCenters(merged).set(reduced.centers);
  modelWeights(merged).set(reduced.mass);
}

/**
 * How many times a fresh reduction's cost a refined model may cost, both on the data as the streaming
 * summary estimates it (withinSummaryCost added to each one's cost on the summary), before finalize
 * takes the reduction instead. The reduction fits the summary itself, so it costs a little less there;
 * sound refined models measured 1.00–1.07× (tests, shuffled data), a stranded one 2.8×.
 */
const strandedRefinedCost = 1.25;

/**
 * The rows' cost to the streaming centres, scaled to the summary's weight: the streaming progressive
 * cost per unit weight (measured before each batch moved the centres, so an overestimate, which only
 * makes the comparison above keep the refined model more often) × the centres' total weight.
 */
function withinSummaryCost(state: KmeansState): number {
  const c = counters(state);
  const perWeight = c[kmeansCounter.costWeight] > 0 ? c[kmeansCounter.costSum] / c[kmeansCounter.costWeight] : 0;
  return perWeight * heldCenters(state).weights.reduce((a, b) => a + b, 0);
}

/** The refined model's centres, with the streaming centres' mass at each and their cost (native, off the event loop). */
function refinedModel(state: KmeansState) {
  const held = heldCenters(state);
  return loadCoreAddon().kmeansScore(held.points, held.weights, held.count, state.schema.featureDim,
    Float32Array.from(modelCenters(state)), state.hyperparameters.k);
}

async function finalize(state: KmeansState, backend: Backend, selection?: Selection): Promise<KmeansModel> {
  await settleState(state);
  for (const key of Object.keys(selection ?? {})) {
    if (key !== 'k') throw new RangeError(`kmeans select: unknown selection '${key}'; expected k`);
  }
  const k = selection?.k !== undefined ? Number(selection.k) : state.hyperparameters.k;
  // The k the state was trained with comes from its refined model once that has started; any
  // other k (and this one before then) from a reduction of the streaming centres.
  let refined = k === state.hyperparameters.k && refinedOf(state) && !kProblem(state, k);
  let reduced = await (refined ? refinedModel(state) : reduce(state, k));
  if (refined) {
    // A refined model stranded in a poor basin (input sorted by cluster: each batch is one cluster,
    // and each candidate was checked on the next batch alone, which the stranded model fits) costs
    // far more than a fresh reduction of the streaming summary: 6.9 against 2.0 msd on three
    // clusters in sorted order. Compared on the data's cost as the summary estimates it: the cost
    // of the summary's points to the k centres plus that of the rows to the summary's points.
    const fresh = await reduce(state, k);
    const within = withinSummaryCost(state);
    if (reduced.cost + within > strandedRefinedCost * (fresh.cost + within)) {
      reduced = fresh;
      refined = false;
    }
  }
  return new KmeansModel({
    algorithm: 'kmeans',
    hyperparameters: state.hyperparameters,
    schema: state.schema,
    tensors: { centers: tensor(reduced.centers, [k, state.schema.featureDim]), cluster_weights: tensor(reduced.mass) },
    scalars: {
      k, streaming_centers: filledOf(state), reduction_cost: reduced.cost, reduction_iterations: reduced.iterations,
      refined_rows: refined ? modelCounters(state)[kmeansModelCounter.rows] : 0,
      reseeds: counters(state)[kmeansCounter.reseeds], examples_seen: state.scalars.examples_seen,
    },
  }, backend);
}

function createEvaluator(model: KmeansModel): Evaluator {
  let sum = 0;
  let weight = 0;
  const metrics = resolveKmeans(model.data().hyperparameters as KmeansHyperparameters, model.data().schema).metrics;
  return {
    async add(batch: Batch) {
      const { distance2 } = await model.assign(batch);
      // rows, not data-sized work on the event loop: one addition per row
      for (let r = 0; r < batch.rows; r++) {
        const w = batch.weights ? batch.weights[r] : 1;
        sum += w * distance2[r];
        weight += w;
      }
    },
    result() {
      requireEvaluatedWeight('kmeans', weight);
      const out: Record<string, number> = {};
      for (const m of metrics) out[m] = m === 'msd' ? sum / weight : sum;
      return out;
    },
  };
}

export const kmeans: Algorithm<KmeansSchema, KmeansModel> & {
  /**
   * The weighted cost of reducing the state's centres to each k (an elbow curve), without the data;
   * the reductions run off the event loop, one k after another. Rejects as finalize for a k the state cannot give.
   */
  costCurve(state: KmeansState, ks: number[]): Promise<{ k: number; cost: number }[]>;
} = guardStates({
  name: 'kmeans',
  hyperparameters: kmeansSchema,
  labelSize: 0,
  createState: (hp, schema) => createState(hp, schema),

  update(state, batch, backend) {
    const s = settingsOf(state);
    return countedUpdate(state, batch, async () => {
      // Batches another backend still holds go into the arrays first: this backend's kernel reads them.
      await settleForBackend(state, backend);
      // The order moments first, on the host for any backend: they say whether the batch sits far from the rows before it.
      const order = state.tensors.batch_order.data as Float64Array;
      await addBatchOrder(order, state.schema.featureDim, batch);
      return runKernel(backend, 'kmeansUpdate', {
        settings: s.kernel,
        state: {
          centers: state.tensors.centers.data as Float32Array, weights: state.tensors.center_weights.data as Float64Array, counters: counters(state),
          modelCenters: modelCenters(state), modelWeights: modelWeights(state), modelCounters: modelCounters(state),
        },
        batch,
        novel: isNovelBatch(order),
      });
    });
  },

  merge,
  addedTensors,
  dataWarnings: kmeansDataWarnings,
  checkTrainingData,
  finalize,
  loadModel(data, backend) {
    parseHyperparameters('kmeans', kmeansSchema, data.hyperparameters);
    return new KmeansModel(data, backend);
  },
  createEvaluator,
  objective: { metric: 'msd', minimize: true },

  progressiveMetrics(state): Record<string, number> {
    // A GPU backend holds the latest batches' cost sums until the state is settled (the end of each
    // pass, checkpoints): no numbers rather than stale ones meanwhile.
    if (!isSettled(state)) return {};
    const c = counters(state);
    if (c[kmeansCounter.costWeight] === 0) return {};
    const m = modelCounters(state);
    return {
      progressive_msd: c[kmeansCounter.costSum] / c[kmeansCounter.costWeight], reseeds: c[kmeansCounter.reseeds],
      // The refined model's cost on each batch before it learnt from it: an honest estimate of its msd.
      ...(m[kmeansModelCounter.costWeight] > 0 ? { progressive_model_msd: m[kmeansModelCounter.costSum] / m[kmeansModelCounter.costWeight] } : {}),
    };
  },

  async costCurve(state, ks) {
    const curve: { k: number; cost: number }[] = [];
    for (const k of ks) curve.push({ k, cost: (await reduce(state, k)).cost });
    return curve;
  },
}, { costCurve: true });
