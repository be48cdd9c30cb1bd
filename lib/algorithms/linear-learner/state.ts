// The linear learner's state: which tensors it holds (named plainly, so a
// checkpoint reads well in numpy), how it is allocated, how the kernels see
// it, and how shard states merge.
import { requireAlgorithm, requireSameHyperparameters } from '../merge-checks.js';
import { labelOrderLength } from '../label-order.js';
import type { LinearLearnerArrays, LinearLearnerMetrics, LinearLearnerSettings } from '../../backends/kernels.js';
import { tensor, type Tensor } from '../../state/tensor.js';
import type { DataSchema, State } from '../types.js';
import type { LinearLearnerHyperparameters } from './hyperparameters.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { calibrationBins, modelGrid, passRateScale, resolveSettings, type ResolvedSettings } from './settings.js';
import { allocateState } from '../state-size.js';
import { addScaled, overwriteState, removeExtraBaseCounts } from '../round-counts.js';
import { inUnitsOf, sameScaler, scalerOf } from './merge-units.js';
import { requireSettled } from '../../backends/device-state.js';

export type LinearLearnerState = State<LinearLearnerHyperparameters>;

/** Indices into the `counters` tensor (native/algorithms/linear_learner/linear_learner.h Counter). */
export const counter = { step: 0, rows: 1, scalerRows: 2, labelSum: 3, labelSumSq: 4, count: 5 } as const;

/**
 * The defaults a state was made under, kept in its scalars: 2 from the one-pass defaults
 * (adagrad, zero init, steps of 32 rows, non-zero RMS scaling, averaging). A state without it
 * was made under SageMaker's (1) and keeps them when it is loaded (see upgradeStoredHyperparameters).
 */
export const linearLearnerDefaultsVersion = 2;

const f32 = (data: Float32Array, shape?: number[]) => tensor(data, shape);
const f64 = (data: Float64Array, shape?: number[]) => tensor(data, shape);

/** Per-model metric sums under a prefix: progressive_* (training stream) or validation_*. */
function metricTensors(prefix: string, r: ResolvedSettings): Record<string, Tensor> {
  const m = r.models;
  const out: Record<string, Tensor> = {
    [`${prefix}_loss`]: f64(new Float64Array(m)),
    [`${prefix}_weight`]: f64(new Float64Array(1)),
    [`${prefix}_loss_difference_sq`]: f64(new Float64Array(m)),
    [`${prefix}_weight_sq`]: f64(new Float64Array(1)),
  };
  if (r.predictor === 'binary_classifier') out[`${prefix}_histogram`] = f64(new Float64Array(m * 2 * calibrationBins), [m, 2, calibrationBins]);
  if (r.predictor !== 'regressor') out[`${prefix}_correct`] = f64(new Float64Array(m));
  if (r.predictor === 'regressor') {
    out[`${prefix}_squared_error`] = f64(new Float64Array(m));
    out[`${prefix}_absolute_error`] = f64(new Float64Array(m));
  }
  return out;
}

/**
 * Each model's sums over the pass under way (pass_*: the kernel adds to them from the second pass
 * on, where the progressive sums keep the first pass only) and over the last whole pass
 * (last_pass_*, moved there at the pass's end): the loss and, for binary classifiers, the scores'
 * histogram by class. Finalize compares a model's last pass with its first — a model that diverged
 * after the first pass (an sgd regressor whose mean squared error went from 16 in pass 1 to 10^16
 * by pass 15) was chosen by its first pass and written out, exit 0 — and, without a validation
 * channel, calibrates the threshold on the last pass's scores: the first pass's, from a weaker
 * model whose scores sat elsewhere, gave a threshold above every final score (accuracy 0.53 at
 * AUC 0.92 after 5 passes, 0.77 after one).
 */
export const passSumNames = ['pass_loss', 'pass_weight', 'pass_histogram', 'last_pass_loss', 'last_pass_weight', 'last_pass_histogram',
  'second_pass_loss', 'second_pass_weight'] as const;

function passSumTensors(r: ResolvedSettings): Record<string, Tensor> {
  const m = r.models;
  const out: Record<string, Tensor> = {};
  for (const prefix of ['pass', 'last_pass', 'second_pass']) {
    out[`${prefix}_loss`] = f64(new Float64Array(m));
    out[`${prefix}_weight`] = f64(new Float64Array(1));
    if (r.predictor === 'binary_classifier' && prefix !== 'second_pass') {
      out[`${prefix}_histogram`] = f64(new Float64Array(m * 2 * calibrationBins), [m, 2, calibrationBins]);
    }
  }
  return out;
}

/**
 * At the end of pass `pass` (0-based; from the second on): its sums become the last pass's (new
 * arrays: a GPU backend keys what it holds by them), the second pass's loss is kept too (finalize's
 * reference for a divergence: the first pass's loss is no reference on rows sorted by label or
 * drifting in time, where each row is scored right after its like), and the next pass starts at zero.
 */
export function endPassSums(state: LinearLearnerState, pass: number): void {
  const t = state.tensors;
  if (pass === 1 && t.second_pass_loss) {
    (t.second_pass_loss.data as Float64Array).set(t.pass_loss.data as Float64Array);
    (t.second_pass_weight.data as Float64Array).set(t.pass_weight.data as Float64Array);
  }
  for (const name of ['loss', 'weight', 'histogram']) {
    const current = t[`pass_${name}`];
    if (!current) continue;
    t[`last_pass_${name}`] = current;
    t[`pass_${name}`] = { ...current, shape: [...current.shape], data: new Float64Array(current.data.length) };
  }
}

/** A new run (incremental training): no pass of it has been seen. */
export function resetPassSums(state: LinearLearnerState): void {
  for (const name of passSumNames) (state.tensors[name]?.data as Float64Array | undefined)?.fill(0);
}

export function createLinearLearnerState(hp: LinearLearnerHyperparameters, schema: DataSchema): LinearLearnerState {
  const r = resolveSettings(hp, schema);
  const { dim } = r.kernel;
  const { models, classes } = r;
  const width = models * classes;
  const grid = modelGrid(hp, r);
  const optimizer = r.optimizer;
  const withMoment1 = optimizer === 'adam' || (optimizer === 'sgd' && r.kernel.momentum > 0);
  const withMoment2 = optimizer !== 'sgd';
  const withAverage = r.averaged.some((a) => a === 1);
  requireStepScratch(r, width, withAverage);
  const arrays = 1 + Number(withMoment1) + Number(withMoment2) + Number(withAverage);
  const scaled = r.kernel.normalizeData || r.kernel.unbiasData || r.kernel.normalizeLr;
  // A feature's own bytes beside its models' arrays: last_step, the scaler's sums, shift, scale
  // (and non-zeros), its origin and drift counts. With one model they are most of the state.
  const ownBytes = 4 + 8 + (scaled ? 24 + (r.kernel.scaleByNonzero ? 8 : 0) : 0) + (r.kernel.normalizeData ? 8 : 0);
  // The feature-sized arrays, with an error that says what decides their size if they cannot be had.
  const perFeature = <T>(allocate: () => T) => allocateState('linear-learner', dim * (4 * width * arrays + ownBytes),
    `feature_dim ${dim} × (num_models ${models} × ${classes} class${classes > 1 ? 'es' : ''} × ${arrays} array${arrays === 1 ? '' : 's'} × 4 bytes + ` +
    `${ownBytes} bytes of the feature's own); lower feature_dim (hash bits) or num_models` +
    `${[...(optimizer !== 'sgd' ? ['use optimizer sgd'] : []), ...(withAverage ? ['average=false'] : [])].map((a) => `, or ${a}`).join('')}`, allocate);
  const featureArray = () => perFeature(() => new Float32Array(dim * width));
  const weights = featureArray();
  adviseLarge(weights);
  const init = initialWeights(hp);
  if (init.scale > 0) loadCoreAddon().linearLearnerInitialize(weights, init.normal, init.scale, hp.seed);
  const tensors: Record<string, Tensor> = {
    weights: f32(weights, [dim, models, classes]),
    bias: f32(new Float32Array(width).fill(hp.use_bias ? hp.init_bias : 0), [models, classes]),
    last_step: tensor(perFeature(() => new Int32Array(dim))),
    learning_rate: f32(grid.learningRate),
    wd: f32(grid.wd),
    l1: f32(grid.l1),
    counters: f64(new Float64Array(counter.count)),
  };
  if (withMoment1) {
    tensors.moment1 = f32(featureArray(), [dim, models, classes]);
    tensors.bias_moment1 = f32(new Float32Array(width), [models, classes]);
  }
  if (withMoment2) {
    tensors.moment2 = f32(featureArray(), [dim, models, classes]);
    tensors.bias_moment2 = f32(new Float32Array(width), [models, classes]);
  }
  if (r.predictor === 'binary_classifier') tensors.positive_weight = f32(grid.positiveWeight);
  if (r.predictor !== 'regressor') tensors.class_counts = f64(new Float64Array(r.predictor === 'binary_classifier' ? 2 : classes));
  if (scaled) {
    tensors.feature_sum = f64(perFeature(() => new Float64Array(dim)));
    tensors.feature_sumsq = f64(perFeature(() => new Float64Array(dim)));
    tensors.feature_shift = f32(perFeature(() => new Float32Array(dim)));
    tensors.feature_scale = f32(perFeature(() => new Float32Array(dim)).fill(1));
    if (r.kernel.scaleByNonzero) tensors.feature_nonzero = f64(perFeature(() => new Float64Array(dim)));
  }
  // Rows after the scaler's sample that its scaling does not fit (lib/algorithms/linear-learner/scaler-drift.ts):
  // where values are scaled about the sample's mean (dense rows centred) or by its non-zero RMS (sparse rows).
  if (r.kernel.normalizeData && (r.sparse || r.kernel.unbiasData)) tensors.scaler_drift = f64(perFeature(() => new Float64Array(dim + 1)));
  if (r.kernel.normalizeLr) tensors.input_norm = f64(new Float64Array(3));
  if (withAverage) {
    tensors.average = f32(featureArray(), [dim, models, classes]);
    tensors.bias_average = f32(new Float32Array(width), [models, classes]);
    tensors.averaged = f32(r.averaged);
    tensors.average_start = f64(new Float64Array(1));
  }
  if (r.predictor === 'regressor') tensors.label_transform = f32(Float32Array.of(0, 1));
  // The scaler's sums are about its sample's first row and label (0 in files from before it).
  tensors.scaler_origin = f64(perFeature(() => new Float64Array(dim + 1)));
  if (r.kernel.balanceMulticlass) tensors.class_weight = f32(new Float32Array(classes).fill(1));
  for (const name of ['moment1', 'moment2', 'average', 'last_step', 'feature_sum', 'feature_sumsq', 'feature_nonzero']) if (tensors[name]) adviseLarge(tensors[name].data);
  Object.assign(tensors, metricTensors('progressive', r), metricTensors('validation', r), passSumTensors(r));
  // The first pass's labels in the order they came (lib/algorithms/label-order.ts): a classifier's
  // class sums (labelOrderOf: rows sorted by class mislead selection), a regressor's rises and falls
  // in its first labelRunsLength slots (labelRunsOf: rows sorted by the label mislead one pass and
  // its progressive metrics alike). One tensor, so that files of either kind load alike.
  tensors.progressive_label_order = f64(new Float64Array(labelOrderLength));
  return {
    algorithm: 'linear-learner',
    hyperparameters: hp,
    schema: { ...schema, sparse: r.sparse },
    tensors,
    scalars: { examples_seen: 0, batches_seen: 0, validated_at_step: -1, passes: 0, defaults_version: linearLearnerDefaultsVersion },
  };
}

/** Bytes a step's scratch may take: scores (and the averages' scores) in float64 and gradients in float32 for every row × model × class. */
export const stepScratchLimit = 2 ** 31;

/** Refuses settings whose per-step scratch (step rows × models × classes) would not fit, before anything is allocated. */
function requireStepScratch(r: ResolvedSettings, width: number, withAverage: boolean): void {
  const bytes = r.stepRows * width * (8 * (withAverage ? 2 : 1) + 4);
  if (bytes <= stepScratchLimit) return;
  throw new RangeError(`linear-learner: a step of mini_batch_size ${r.stepRows} rows × num_models ${r.models} × ${r.classes} classes ` +
    `needs ${(bytes / 2 ** 30).toFixed(1)} GiB of scores and gradients (at most ${stepScratchLimit / 2 ** 30} GiB); ` +
    'lower num_models (1 for very many classes) or mini_batch_size');
}

/** The initial weights' distribution: zero unless a method or its scale is given. */
function initialWeights(hp: LinearLearnerHyperparameters): { normal: boolean; scale: number } {
  const method = hp.init_method !== 'auto' ? hp.init_method
    : hp.init_sigma !== 'auto' ? 'normal' : hp.init_scale !== 'auto' ? 'uniform' : 'zero';
  if (method === 'normal') return { normal: true, scale: hp.init_sigma === 'auto' ? 0.01 : hp.init_sigma };
  if (method === 'uniform') return { normal: false, scale: hp.init_scale === 'auto' ? 0.07 : hp.init_scale };
  return { normal: false, scale: 0 };
}

/** Arrays of 8 MB and more get huge pages where the OS offers them (before their first touch). */
function adviseLarge(array: ArrayBufferView): void {
  if (array.byteLength >= 8 << 20) loadCoreAddon().adviseHugePages(array);
}

const arrayOf = <T>(state: LinearLearnerState, name: string) => state.tensors[name]?.data as T | undefined;

/** The state's arrays as the kernels take them. */
export function kernelArrays(state: LinearLearnerState): LinearLearnerArrays {
  const t = (name: string) => arrayOf<Float32Array>(state, name);
  const d = (name: string) => arrayOf<Float64Array>(state, name);
  return {
    weights: t('weights')!, bias: t('bias')!, counters: d('counters'),
    featureShift: t('feature_shift'), featureScale: t('feature_scale'), labelTransform: t('label_transform'),
    positiveWeight: t('positive_weight'), classCounts: d('class_counts'), classWeight: t('class_weight'),
    moment1: t('moment1'), moment2: t('moment2'), biasMoment1: t('bias_moment1'), biasMoment2: t('bias_moment2'),
    lastStep: arrayOf<Int32Array>(state, 'last_step'), learningRate: t('learning_rate'), wd: t('wd'), l1: t('l1'),
    featureSum: d('feature_sum'), featureSumSq: d('feature_sumsq'), scalerOrigin: d('scaler_origin'),
    featureNonzero: d('feature_nonzero'), inputNorm: d('input_norm'), average: t('average'), biasAverage: t('bias_average'), averaged: t('averaged'), averageStart: d('average_start'),
  };
}

/** The metric sums under a prefix, as the kernels take them. */
export function kernelMetrics(state: LinearLearnerState, prefix: 'progressive' | 'validation'): LinearLearnerMetrics {
  const d = (name: string) => arrayOf<Float64Array>(state, `${prefix}_${name}`);
  const histogram = d('histogram');
  return {
    lossSum: d('loss')!, weightSum: d('weight')!,
    ...(d('loss_difference_sq') ? { lossDifferenceSq: d('loss_difference_sq'), weightSqSum: d('weight_sq') } : {}),
    ...(histogram ? { histogram, histogramBins: calibrationBins } : {}),
    correct: d('correct'), squaredError: d('squared_error'), absoluteError: d('absolute_error'),
  };
}

/**
 * The kernel's settings for this state now: the resolved settings with the rate scale of the pass
 * under way (passRateScale). A catch-up charges a feature's missed steps at this scale, as SageMaker's
 * step schedule charges them at the current step's rate: exact within a pass.
 */
export function kernelSettings(state: LinearLearnerState): ResolvedSettings['kernel'] {
  const kernel = resolveSettings(state.hyperparameters, state.schema).kernel;
  const scale = passRateScale(state.hyperparameters, lastPass(state));
  // After a whole pass the scaler's sample is what that pass gave: a stream shorter than
  // num_point_for_scaler re-added its rows pass after pass, and averaging, which begins once the
  // sample is complete, never began (the breast-cancer example: 455 rows, 15 passes).
  const sampled = (state.tensors.counters.data as Float64Array)[counter.scalerRows];
  const closed = Number(state.scalars.passes ?? 0) > 0 && sampled > 0 && sampled < kernel.scalerPoints;
  const settings = closed ? { ...kernel, scalerPoints: sampled } : kernel;
  return scale === 1 ? settings : { ...settings, rateScale: scale };
}

/** The pass the state's latest step was taken in (0-based; endPass counts a pass when it ends). */
function lastPass(state: LinearLearnerState): number {
  const passes = Number(state.scalars.passes ?? 0);
  return Number(state.scalars.step_pass ?? passes);
}

/** Which weights caughtUp gives: the plain iterates, their averages, or each model's output. */
export const weightsKind = { plain: 0, average: 1, output: 2 } as const;

/**
 * The weights and bias with the regularization every feature is owed applied (lazy updates
 * caught up): by default each model's output (its iterate average when it averages).
 */
export function caughtUp(state: LinearLearnerState, kind: 0 | 1 | 2 = weightsKind.output): { weights: Float32Array; bias: Float32Array } {
  requireSettled(state, 'linear-learner');
  const weights = new Float32Array(state.tensors.weights.data.length);
  const bias = new Float32Array(state.tensors.bias.data.length);
  loadCoreAddon().linearLearnerCatchUp(kernelSettings(state), kernelArrays(state), kind, weights, bias);
  return { weights, bias };
}

/**
 * caughtUp off the event loop (a libuv thread): a 2^22-feature model of 32 models took 1.9 s there.
 * Checked at once (a state a GPU backend holds is refused before the promise).
 */
export function caughtUpAsync(state: LinearLearnerState, kind: 0 | 1 | 2 = weightsKind.output): Promise<{ weights: Float32Array; bias: Float32Array }> {
  requireSettled(state, 'linear-learner');
  const weights = new Float32Array(state.tensors.weights.data.length);
  const bias = new Float32Array(state.tensors.bias.data.length);
  return loadCoreAddon().linearLearnerCatchUpAsync(kernelSettings(state), kernelArrays(state), kind, weights, bias).then(() => ({ weights, bias }));
}

/** catchUpInPlace off the event loop (each pass's end: 0.75 s there at 2^22 features, 32 models); checked at once. */
export function catchUpInPlaceAsync(state: LinearLearnerState): Promise<void> {
  requireSettled(state, 'linear-learner catch-up');
  return loadCoreAddon().linearLearnerCatchUpInPlaceAsync(kernelSettings(state), kernelArrays(state));
}

/**
 * Every feature's weights and average brought to the state's step in place (Algorithm.prepareUpload:
 * a data-parallel worker does it on its own core before a round, so the merge has nothing to catch up).
 */
export function catchUpInPlace(state: LinearLearnerState): void {
  // It writes the host's arrays: a GPU backend's copy would overwrite them when settled.
  requireSettled(state, 'linear-learner catch-up');
  loadCoreAddon().linearLearnerCatchUpInPlace(kernelSettings(state), kernelArrays(state));
}

/** Whether every feature is current at the state's step (nothing owed: catchUpInPlace ran, or a merge). */
function allCurrent(state: LinearLearnerState): boolean {
  const step = (state.tensors.counters.data as Float64Array)[counter.step];
  const last = state.tensors.last_step.data as Int32Array;
  for (let j = 0; j < last.length; j++) if (last[j] !== step) return false;
  return true;
}

/** caughtUp's plain or average weights for a merge to read: the state's own array when nothing is owed. */
function mergeWeights(state: LinearLearnerState, kind: typeof weightsKind.plain | typeof weightsKind.average): Float32Array {
  if (allCurrent(state)) return state.tensors[kind === weightsKind.plain ? 'weights' : 'average'].data as Float32Array;
  return caughtUp(state, kind).weights;
}

function deepCopy(state: LinearLearnerState): LinearLearnerState {
  return {
    ...state,
    schema: { ...state.schema },
    tensors: Object.fromEntries(Object.entries(state.tensors).map(([k, v]) => [k, { ...v, shape: [...v.shape], data: v.data.slice() }])),
    scalars: JSON.parse(JSON.stringify(state.scalars)),
  };
}

const averaged = new Set(['weights', 'bias', 'moment1', 'moment2', 'bias_moment1', 'bias_moment2', 'average', 'bias_average']);
const gridTensors = ['learning_rate', 'wd', 'l1', 'positive_weight', 'averaged'];

/**
 * Shards merge by averaging what SGD learns (weights, bias, optimizer moments; each shard
 * weighted by its rows, lazy regularization caught up first) and adding what is counted
 * (scaler sums, class counts, progressive metrics). Validation sums are dropped: they
 * describe models that no longer exist.
 */
export function mergeLinearLearnerStates(states: LinearLearnerState[]): LinearLearnerState {
  return mergeSince(states, undefined);
}

/**
 * A merge round: `states` each continued from a copy of `base`. SGD's arrays are averaged weighted
 * by the rows each trained on since base; counts and sums are base's plus every state's increment.
 */
export function mergeLinearLearnerRound(base: LinearLearnerState, states: LinearLearnerState[], into?: LinearLearnerState): LinearLearnerState {
  if (states.length < 2) return mergeSince(states, base, into);
  // Base's counts come out before the parameters are averaged: they are moved to the final scaler.
  return mergeSince(states, base, into, false, (merged) => removeBaseCounts(merged, base, states.length - 1));
}

/**
 * `onto` plus what `state` learned since `from` (Algorithm.rebaseRound): parameters, moments and
 * averages as onto + (state − from), lazy regularization caught up first; counts and sums likewise.
 */
export function rebaseLinearLearnerRound(from: LinearLearnerState, state: LinearLearnerState, onto: LinearLearnerState): LinearLearnerState {
  const merged = mergeSince([state, onto], from, undefined, true);
  const plain = mergeWeights(from, weightsKind.plain);
  const average = from.tensors.average ? mergeWeights(from, weightsKind.average) : undefined;
  for (const name of averaged) {
    const out = merged.tensors[name]?.data as Float32Array | undefined;
    if (!out) continue;
    addScaled(out, name === 'weights' ? plain : name === 'average' ? average! : (from.tensors[name].data as Float32Array), -1);
  }
  return removeBaseOnce(merged, from, 1);
}

/** A merge of `copies` + 1 states that each continued `base`: base's counts taken away `copies` times. */
function removeBaseOnce(merged: LinearLearnerState, base: LinearLearnerState, copies: number): LinearLearnerState {
  removeBaseCounts(merged, base, copies);
  refreshScaler(merged);
  return merged;
}

/** Base's counts, scaler sums and row counters taken away `copies` times (the scaler is not refreshed). */
function removeBaseCounts(merged: LinearLearnerState, base: LinearLearnerState, copies: number): void {
  const counted = Object.keys(merged.tensors).filter((name) => name.startsWith('progressive_') || roundCounted.has(name));
  removeExtraBaseCounts(merged, base, copies, counted);
  removeBaseScalerSums(merged, base, copies);
  const counters = merged.tensors.counters.data as Float64Array;
  const baseCounters = base.tensors.counters.data as Float64Array;
  for (const k of [counter.rows, counter.scalerRows]) counters[k] -= copies * baseCounters[k];
}

// Tensors a merge (of shards or of a round) adds besides the progressive sums and the scaler's sums (removeBaseScalerSums).
const roundCounted = new Set<string>(['class_counts', 'feature_nonzero', 'input_norm', 'scaler_drift', ...passSumNames]);

/**
 * Sums of a sample about origin `own` as sums about origin o = own − delta: Σ(x − o) and Σ(x − o)².
 * Two scalar functions rather than one returning a pair: a merge round calls them per feature, and
 * the pairs' allocation was a fifth of a round's merge.
 */
const movedSum = (s1: number, n: number, delta: number) => s1 + n * delta;
const movedSumSq = (s1: number, s2: number, n: number, delta: number) => s2 + 2 * delta * s1 + n * delta * delta;

/**
 * Base's scaler sample (feature and label sums) taken away `copies` times. Its sums are about base's
 * own origin and the merge's about the merge's (the first state's with a sample): they are moved
 * first. A cluster member that started fresh samples about its own first row, so once its
 * lineage meets another's the origins differ; taking base's sums away as they were left a shift
 * of 0.5–2.5 standard deviations in the merged scaler, and a folded model far off (the
 * fresh-eyes review: test log loss 2.5–6.5 where one process gave 0.149).
 */
function removeBaseScalerSums(merged: LinearLearnerState, base: LinearLearnerState, copies: number): void {
  const baseCounters = base.tensors.counters.data as Float64Array;
  const n = baseCounters[counter.scalerRows];
  if (copies === 0 || !(n > 0)) return;
  const origin = arrayOf<Float64Array>(merged, 'scaler_origin')!;
  const own = arrayOf<Float64Array>(base, 'scaler_origin')!;
  const dim = origin.length - 1;
  const [sum, sumsq] = [arrayOf<Float64Array>(merged, 'feature_sum'), arrayOf<Float64Array>(merged, 'feature_sumsq')];
  const [s1, s2] = [arrayOf<Float64Array>(base, 'feature_sum'), arrayOf<Float64Array>(base, 'feature_sumsq')];
  if (sum && sumsq && s1 && s2) {
    for (let j = 0; j < dim; j++) {
      const delta = own[j] - origin[j];
      sum[j] -= copies * movedSum(s1[j], n, delta);
      sumsq[j] -= copies * movedSumSq(s1[j], s2[j], n, delta);
    }
  }
  const counters = merged.tensors.counters.data as Float64Array;
  const labelDelta = own[dim] - origin[dim];
  counters[counter.labelSum] -= copies * movedSum(baseCounters[counter.labelSum], n, labelDelta);
  counters[counter.labelSumSq] -= copies * movedSumSq(baseCounters[counter.labelSum], baseCounters[counter.labelSumSq], n, labelDelta);
}

/**
 * `addParameters`: parameters and moments add (each state's share 1: a rebase) rather than average by
 * rows, as they are. Otherwise each state's are moved to the merged scaler first (merge-units.ts),
 * after `beforeScaler` (a round taking base's counts away) has made the merged scaler final.
 */
function mergeSince(states: LinearLearnerState[], base: LinearLearnerState | undefined, into?: LinearLearnerState, addParameters = false,
  beforeScaler?: (merged: LinearLearnerState) => void): LinearLearnerState {
  if (states.length === 0) throw new RangeError('linear-learner merge: no states');
  requireAlgorithm('linear-learner merge', 'linear-learner', base ? [...states, base] : states);
  for (const s of [...states, ...(base ? [base] : [])]) requireSettled(s, 'linear-learner merge');
  const first = states[0];
  // A copy of the first state to merge into, in `into`'s buffers when given (allocating costs more
  // than the merge): whole (one upload: the round's merge is that state), or without the averaged
  // and validation tensors, which the merge below rewrites whole (filled, then added into).
  const copyOf = (state: LinearLearnerState, whole: boolean) =>
    (into ? overwriteState(into, state, whole ? undefined : (name) => averaged.has(name) || name.startsWith('validation_')) : deepCopy(state));
  if (states.length === 1) return copyOf(first, true);
  // Which hyperparameter differs, by name.
  requireSameHyperparameters('linear-learner merge', states, false);
  for (const [i, s] of states.entries()) {
    if (s.schema.featureDim !== first.schema.featureDim) {
      throw new RangeError(`linear-learner merge: state ${i} has ${s.schema.featureDim} features, state 0 has ${first.schema.featureDim}`);
    }
    for (const name of gridTensors) {
      const a = first.tensors[name]?.data;
      const b = s.tensors[name]?.data;
      if (a && b && a.some((v, k) => v !== b[k])) throw new RangeError(`linear-learner merge: state ${i} has another model grid (${name})`);
    }
  }
  const merged = copyOf(first, false);
  const rows = states.map((s) => Number(s.scalars.examples_seen) - Number(base?.scalars.examples_seen ?? 0));
  const total = states.reduce((sum, s) => sum + Number(s.scalars.examples_seen), 0);
  const trained = rows.reduce((a, b) => a + b, 0);
  const share = (i: number) => (addParameters ? 1 : trained > 0 ? rows[i] / trained : 1 / states.length);
  const plain = states.map((s) => mergeWeights(s, weightsKind.plain));
  const averages = states.map((s) => (s.tensors.average ? mergeWeights(s, weightsKind.average) : undefined));
  // The scalers as each state trained with, before `merged` (a copy of the first) is changed.
  const scalers = states.map((s) => scalerOf(s)).map((sc) => ({ shift: sc.shift?.slice(), scale: sc.scale?.slice(), label: sc.label?.slice() }));
  for (const [name, t] of Object.entries(merged.tensors)) {
    const out = t.data as Float32Array | Float64Array;
    if (name.startsWith('progressive_') || roundCounted.has(name)) {
      for (const s of states.slice(1)) addScaled(out, s.tensors[name].data as Float64Array);
    } else if (name.startsWith('validation_')) {
      out.fill(0);
    }
  }
  const counters = merged.tensors.counters.data as Float64Array;
  counters.fill(0);
  for (const s of states) {
    const c = s.tensors.counters.data as Float64Array;
    counters[counter.step] = Math.max(counters[counter.step], c[counter.step]);
    for (const k of [counter.rows, counter.scalerRows]) counters[k] += c[k];
  }
  merged.scalars.examples_seen = total;
  merged.scalars.batches_seen = states.reduce((sum, s) => sum + Number(s.scalars.batches_seen), 0);
  mergeScalerSums(merged, states);
  beforeScaler?.(merged);
  (merged.tensors.last_step.data as Int32Array).fill(counters[counter.step]);
  refreshScaler(merged);
  const target = scalerOf(merged);
  const [dim, width] = [merged.schema.featureDim, (merged.tensors.bias?.data.length ?? (merged.tensors.weights.data.length / merged.schema.featureDim))];
  const moved = states.map((s, i) => (addParameters || sameScaler(scalers[i], target) ? undefined
    : inUnitsOf(s, scalers[i], target, plain[i], averages[i], dim, width)));
  for (const [name, t] of Object.entries(merged.tensors)) {
    if (!averaged.has(name)) continue;
    const out = t.data as Float32Array;
    out.fill(0);
    states.forEach((s, i) => addScaled(out, moved[i]?.get(name) ?? (name === 'weights' ? plain[i] : name === 'average' ? averages[i]! : (s.tensors[name].data as Float32Array)), share(i)));
  }
  merged.scalars.validated_at_step = -1;
  merged.scalars.passes = Math.max(...states.map((s) => Number(s.scalars.passes ?? 0)));
  // Averaging continues from the latest start among the shards (their averages are averaged above).
  const start = merged.tensors.average_start?.data as Float64Array | undefined;
  if (start) start[0] = Math.max(...states.map((s) => (s.tensors.average_start.data as Float64Array)[0]));
  // So do the pass averaging restarted in and the pass of the latest step (the per-pass rate): a
  // shard still in an earlier pass must not make the merged state restart the average again.
  for (const name of ['average_pass', 'step_pass']) {
    const values = states.map((s) => s.scalars[name]).filter((v) => v !== undefined).map(Number);
    if (values.length > 0) merged.scalars[name] = Math.max(...values);
    else delete merged.scalars[name];
  }
  return merged;
}

/**
 * The shards' scaler sums, each about its own origin, moved to one origin (the first shard with a
 * sample's) and added: Σ(x − o) = Σ(x − oᵢ) + n(oᵢ − o), Σ(x − o)² = Σ(x − oᵢ)² + 2(oᵢ − o)Σ(x − oᵢ) + n(oᵢ − o)².
 */
function mergeScalerSums(merged: LinearLearnerState, states: LinearLearnerState[]): void {
  const sampled = (s: LinearLearnerState) => (s.tensors.counters.data as Float64Array)[counter.scalerRows];
  const origin = arrayOf<Float64Array>(merged, 'scaler_origin')!;
  origin.set(arrayOf<Float64Array>(states.find((s) => sampled(s) > 0) ?? states[0], 'scaler_origin')!);
  const dim = origin.length - 1;
  const sum = arrayOf<Float64Array>(merged, 'feature_sum');
  const sumsq = arrayOf<Float64Array>(merged, 'feature_sumsq');
  const counters = merged.tensors.counters.data as Float64Array;
  sum?.fill(0);
  sumsq?.fill(0);
  counters[counter.labelSum] = counters[counter.labelSumSq] = 0;
  for (const s of states) {
    const n = sampled(s);
    if (n === 0) continue;
    const own = arrayOf<Float64Array>(s, 'scaler_origin')!;
    const [s1, s2] = [arrayOf<Float64Array>(s, 'feature_sum'), arrayOf<Float64Array>(s, 'feature_sumsq')];
    if (sum && sumsq && s1 && s2) {
      for (let j = 0; j < dim; j++) {
        const delta = own[j] - origin[j];
        sum[j] += movedSum(s1[j], n, delta);
        sumsq[j] += movedSumSq(s1[j], s2[j], n, delta);
      }
    }
    const c = s.tensors.counters.data as Float64Array;
    const labelDelta = own[dim] - origin[dim];
    counters[counter.labelSum] += movedSum(c[counter.labelSum], n, labelDelta);
    counters[counter.labelSumSq] += movedSumSq(c[counter.labelSum], c[counter.labelSumSq], n, labelDelta);
  }
}

/** A feature's scale from its sample sums about origin o, as the kernel's FeatureScale computes it. */
function featureScale(k: LinearLearnerSettings, o: number, sum: number, sumsq: number, nonzero: number, n: number, shift: number): number {
  if (!k.normalizeData) return 1;
  let meanSquare: number;
  let reference: number;
  if (k.scaleByNonzero) {
    if (!(nonzero > 0)) return 1;
    const zeros = n - nonzero;
    const [s1, s2] = [sum + zeros * o, sumsq - zeros * o * o];
    const c = shift - o;
    meanSquare = (s2 - 2 * c * s1 + nonzero * c * c) / nonzero;
    reference = c * c;
  } else {
    const shifted = sum / n;
    meanSquare = sumsq / n - shifted * shifted;
    reference = shifted * shifted;
  }
  // Constant: no spread, or one within the sums' rounding (the kernel's kSumsNoise says why).
  return meanSquare > 0 && meanSquare > 1e-12 * reference ? 1 / Math.sqrt(meanSquare) : 1;
}

/** Recomputes the scaler's transforms from its sums (as the kernel does), after a merge. */
function refreshScaler(state: LinearLearnerState): void {
  const r = resolveSettings(state.hyperparameters, state.schema);
  const counters = state.tensors.counters.data as Float64Array;
  const n = counters[counter.scalerRows];
  if (n <= 0) return;
  const sum = arrayOf<Float64Array>(state, 'feature_sum');
  const sumsq = arrayOf<Float64Array>(state, 'feature_sumsq');
  const shift = arrayOf<Float32Array>(state, 'feature_shift');
  const scale = arrayOf<Float32Array>(state, 'feature_scale');
  const origin = arrayOf<Float64Array>(state, 'scaler_origin')!;
  const dim = origin.length - 1;
  const nonzero = arrayOf<Float64Array>(state, 'feature_nonzero');
  const inputNorm = arrayOf<Float64Array>(state, 'input_norm');
  let norm = 0;
  if (sum && sumsq && shift && scale) {
    for (let j = 0; j < sum.length; j++) {
      const mean = origin[j] + sum[j] / n;
      const center = r.kernel.unbiasData ? mean : 0;  // in double, as the kernel's
      shift[j] = center;
      const s = featureScale(r.kernel, origin[j], sum[j], sumsq[j], nonzero ? nonzero[j] : 0, n, center);
      scale[j] = s;
      const c = center - origin[j];
      norm += s * s * Math.max(0, (sumsq[j] - 2 * c * sum[j] + n * c * c) / n);
    }
  }
  // As the kernel's RefreshFeatureScales: sparse rows scaled by their non-zero RMS count 1 a non-zero.
  if (inputNorm) {
    inputNorm[2] = (r.kernel.useBias ? 1 : 0) + (state.schema.sparse && r.kernel.scaleByNonzero && r.kernel.normalizeData ? inputNorm[0] / n : norm);
  }
  const label = arrayOf<Float32Array>(state, 'label_transform');
  if (label) {
    const shifted = counters[counter.labelSum] / n;
    const mean = origin[dim] + shifted;
    const deviation = Math.sqrt(Math.max(0, counters[counter.labelSumSq] / n - shifted * shifted));
    // About its shift, as the kernel's: the deviation once centred, else the RMS.
    const spread = r.kernel.unbiasLabel ? deviation : Math.sqrt(deviation * deviation + mean * mean);
    label[0] = r.kernel.unbiasLabel ? mean : 0;
    label[1] = r.kernel.normalizeLabel && spread > 1e-12 ? 1 / spread : 1;
  }
  const classWeight = arrayOf<Float32Array>(state, 'class_weight');
  const classCounts = arrayOf<Float64Array>(state, 'class_counts');
  if (classWeight && classCounts) {
    // Class counts cover the whole stream (the scaler's n only its sample): weigh by their own total.
    const total = classCounts.reduce((sum, count) => sum + count, 0);
    for (let c = 0; c < classWeight.length; c++) {
      classWeight[c] = classCounts[c] > 0 ? total / (classWeight.length * classCounts[c]) : 1e6;
    }
  }
}
