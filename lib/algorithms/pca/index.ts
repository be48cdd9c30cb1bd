// PCA over a stream, in three modes that share one contract:
// - regular: the exact float64 moments (n, Σx, Σxxᵀ), additive and therefore
//   exactly mergeable; finalize solves the d × d covariance.
// - randomized: Y = (Σ w·x xᵀ)Ω for ℓ random-sign columns Ω (a sum, merged by
//   addition), turned into a Nyström approximation of the covariance.
// - frequent_directions: a deterministic 2ℓ × d sketch with a proven error
//   bound, merged by inserting one sketch's rows into the other.
// Every state also keeps n and Σx (and Σw‖x‖² for the sketches, so the total
// variance is exact), so centring can be chosen at finalize; any number of
// components up to what the state supports can be selected from one state.
import { requireAlgorithm } from '../merge-checks.js';
import { DegenerateDataError, requireTrainingWeight } from '../degenerate-data.js';
import type { Backend } from '../../backends/registry.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { runKernel } from '../../backends/run-kernel.js';
import { requireSettled, settleForBackend, settleState } from '../../backends/device-state.js';
import { tensor } from '../../state/tensor.js';
import { parseHyperparameters } from '../hyperparameters.js';
import type { Algorithm, DataSchema, Selection } from '../types.js';
import { pcaSchema, sketchSize, type PcaHyperparameters, type PcaSchema, type PcaState } from './hyperparameters.js';
import { currentRevision, identityOmega, omegaOf, revisionOf } from './omega.js';
import { checkTrainingData, pcaDataWarnings, rankProblem, rowsProblem, selectedBool, spreadProblem } from './data-checks.js';
import { PcaModel } from './model.js';
import { denseSpectrum, factoredSpectrum, factoredSpectrumAsync, nystromFactor, withMeanAsync, type Spectrum } from './spectrum.js';
import { addScatterMoved, addSketchMoved, chooseOrigin, isZero, originOf, squaresMoved, sketchRowsMoved, sumAboutOrigin } from './origin.js';
import { countedUpdate } from '../counted-update.js';
import { allocateState } from '../state-size.js';
import { guardStates } from '../state-guard.js';

export { PcaModel } from './model.js';
export { pcaSchema, sketchSize } from './hyperparameters.js';
export type { PcaHyperparameters } from './hyperparameters.js';
export type { PcaState } from './hyperparameters.js';

function createState(hp: PcaHyperparameters, schema: DataSchema): PcaState {
  if (hp.feature_dim !== 'auto' && hp.feature_dim !== schema.featureDim) {
    throw new RangeError(`pca: the data has ${schema.featureDim} features but feature_dim is ${hp.feature_dim}`);
  }
  const d = schema.featureDim;
  if (hp.num_components > d) {
    throw new RangeError(`pca: num_components ${hp.num_components} exceeds the data's ${d} features; a PCA of ${d} features has at most ${d} components`);
  }
  const ell = sketchSize(hp, d);
  // The whole state's size, so that every feature-sized array (the sums and origin too, made
  // first) is refused with it: at feature_dim 2^32 − 1 the sums failed first, unexplained.
  const [bytes, decidedBy] = hp.algorithm_mode === 'regular'
    ? [8 * d * d, `regular mode keeps feature_dim² = ${d}² doubles; for wide data use algorithm_mode randomized or frequent_directions`]
    : hp.algorithm_mode === 'randomized' ? [8 * d * ell, `feature_dim ${d} × ℓ ${ell} doubles`] : [16 * d * ell, `2ℓ ${2 * ell} × feature_dim ${d} doubles`];
  const perState = <T>(allocate: () => T) => allocateState('pca', bytes + 16 * d, decidedBy, allocate);
  const tensors: PcaState['tensors'] = {
    count: tensor(new Float64Array(1)), sum: tensor(perState(() => new Float64Array(d))), origin: tensor(perState(() => new Float64Array(d))),
  };
  if (hp.algorithm_mode === 'regular') {
    const cross = perState(() => new Float64Array(d * d));
    if (cross.byteLength >= 8 << 20) loadCoreAddon().adviseHugePages(cross);
    tensors.cross = tensor(cross, [d, d]);
  } else if (hp.algorithm_mode === 'randomized') {
    tensors.squares = tensor(new Float64Array(1));
    tensors.y = tensor(perState(() => new Float64Array(d * ell)), [d, ell]);
  } else {
    tensors.squares = tensor(new Float64Array(1));
    tensors.rows = tensor(perState(() => new Float64Array(2 * ell * d)), [2 * ell, d]);
    tensors.filled = tensor(new Float64Array(1));
  }
  return { algorithm: 'pca', hyperparameters: hp, schema: { ...schema }, tensors, scalars: { examples_seen: 0, batches_seen: 0, revision: currentRevision } };
}

function add(out: Float64Array, source: Float64Array): void {
  for (let k = 0; k < out.length; k++) out[k] += source[k];
}

/** Adds one shard's sums and sketch to the merged state, moved from the shard's origin to `origin`. */
function addShard(merged: PcaState, shard: PcaState, origin: Float64Array, d: number, ell: number): void {
  const f64 = (st: PcaState, name: string) => st.tensors[name].data as Float64Array;
  const n = f64(shard, 'count')[0];
  if (n === 0) return;
  add(f64(merged, 'count'), f64(shard, 'count'));
  add(f64(merged, 'sum'), f64(shard, 'sum'));
  const m = sumAboutOrigin(shard);
  const delta = originOf(shard).map((v, j) => v - origin[j]);
  const mode = merged.hyperparameters.algorithm_mode;
  if (mode === 'regular') addScatterMoved(f64(merged, 'cross'), f64(shard, 'cross'), m, delta, n, d);
  if (mode === 'randomized') addSketchMoved(f64(merged, 'y'), f64(shard, 'y'), omegaOf(merged), m, delta, n, d, ell);
  if (mode !== 'regular') f64(merged, 'squares')[0] += squaresMoved(f64(shard, 'squares')[0], m, delta, n);
  if (mode !== 'frequent_directions') return;
  const filled = f64(shard, 'filled')[0];
  let rows = f64(shard, 'rows').subarray(0, filled * d);
  let count = filled;
  if (!isZero(delta)) {
    // BᵀB plus the move's rank-one terms, factored again into rows √λ·v (the move is exact; the
    // clipped negative part is within the sketch's own error, as BᵀB ⪯ AᵀA).
    const moved = sketchRowsMoved(rows, filled, m, delta, n, d);
    const { values, vectors } = factoredSpectrum(moved.rows, moved.signs, d, Math.min(d, filled + 2));
    count = 0;
    while (count < Math.min(d, filled + 2) && values[count] > 0) count++;
    rows = new Float64Array(count * d);
    for (let i = 0; i < count; i++) for (let j = 0; j < d; j++) rows[i * d + j] = Math.sqrt(values[i]) * vectors[i * d + j];
  }
  loadCoreAddon().pcaFrequentDirectionsInsert({ rows: f64(merged, 'rows'), filled: f64(merged, 'filled') }, d, ell, rows, count);
}

function merge(states: PcaState[]): PcaState {
  if (states.length === 0) throw new RangeError('pca merge: no states');
  requireAlgorithm('pca merge', 'pca', states);
  for (const s of states) requireSettled(s, 'pca merge');
  const first = states[0];
  const hp = first.hyperparameters;
  const merged = createState(hp, first.schema);
  const d = first.schema.featureDim;
  const ell = sketchSize(hp, d);
  for (const [i, s] of states.entries()) {
    if (s.schema.featureDim !== d) throw new RangeError(`pca merge: state ${i} has ${s.schema.featureDim} features, state 0 has ${d}`);
    // Regular mode's state is the moments whatever num_components (chosen again at select): the
    // merge keeps state 0's. A sketch's size comes from num_components and extra_components.
    const sketched = ['algorithm_mode', 'num_components', 'extra_components', 'seed'] as const;
    for (const name of hp.algorithm_mode === 'regular' ? ['algorithm_mode', 'seed'] as const : sketched) {
      if (s.hyperparameters[name] !== hp[name]) throw new RangeError(`pca merge: state ${i} has ${name} ${s.hyperparameters[name]}, state 0 has ${hp[name]}`);
    }
  }
  // Shards of revision 1 and 2 hold Y for different Ω when ℓ = d: their sums would mean nothing.
  merged.scalars.revision = revisionOf(first);
  for (const [i, s] of states.entries()) {
    if (hp.algorithm_mode === 'randomized' && identityOmega(s) !== identityOmega(merged)) {
      throw new RangeError(`pca merge: state ${i} is of revision ${revisionOf(s)}, state 0 of revision ${revisionOf(first)}, and their ` +
        'randomized sketches (ℓ = d) were taken with different test matrices Ω: train both with one version');
    }
  }
  // Every shard's products move to the merged origin: the first non-empty shard's.
  const origin = originOf(merged);
  origin.set(originOf(states.find((st) => (st.tensors.count.data as Float64Array)[0] > 0) ?? first));
  for (const s of states) addShard(merged, s, origin, d, ell);
  merged.scalars.examples_seen = states.reduce((n, s) => n + Number(s.scalars.examples_seen), 0);
  merged.scalars.batches_seen = states.reduce((n, s) => n + Number(s.scalars.batches_seen), 0);
  return merged;
}

/** The largest number of components a state can give. */
function componentLimit(state: PcaState): number {
  const d = state.schema.featureDim;
  return state.hyperparameters.algorithm_mode === 'regular' ? d : sketchSize(state.hyperparameters, d);
}

/**
 * The top k eigenpairs of the scatter estimate (Σ w(x − μ)(x − μ)ᵀ when centred, Σ w·x xᵀ
 * otherwise) and its trace, which is exact in every mode. The eigensolves run off the event loop.
 */
async function spectrum(state: PcaState, k: number, subtractMean: boolean, mean: Float64Array, n: number): Promise<Spectrum & { trace: number }> {
  const d = state.schema.featureDim;
  const t = state.tensors;
  const mode = state.hyperparameters.algorithm_mode;
  // The state's products are about its origin o; move them to the mean (centred) or to 0.
  const m = sumAboutOrigin(state);
  const origin = originOf(state);
  const delta = origin.map((o, j) => o - (subtractMean ? mean[j] : 0));
  if (mode === 'regular') {
    const matrix = new Float64Array(d * d);
    addScatterMoved(matrix, t.cross.data as Float64Array, m, delta, n, d);
    let trace = 0;
    for (let i = 0; i < d; i++) trace += matrix[i * d + i];
    return { ...await denseSpectrum(matrix, d, k), trace };
  }
  const trace = squaresMoved((t.squares.data as Float64Array)[0], m, delta, n);
  // Uncentred, a sketch is solved about the mean and n·μμᵀ added exactly (withMeanAsync says why).
  if (subtractMean) return { ...await sketchSpectrum(state, m, delta, n, k), trace };
  const count = sketchRank(state);
  const centred = await sketchSpectrum(state, m, origin.map((o, j) => o - mean[j]), n, count);
  return { ...await withMeanAsync(centred, count, mean, n, d, k), trace };
}

/** How many directions a sketch's estimate can have: ℓ (randomized), the filled rows and the move's two (Frequent Directions), at most d. */
function sketchRank(state: PcaState): number {
  const d = state.schema.featureDim;
  if (state.hyperparameters.algorithm_mode === 'randomized') return sketchSize(state.hyperparameters, d);
  return Math.min(d, (state.tensors.filled.data as Float64Array)[0] + 2);
}

/** The top `count` eigenpairs of a sketch's scatter estimate moved by δ (origin − the point it is taken about). */
async function sketchSpectrum(state: PcaState, m: Float64Array, delta: Float64Array, n: number, count: number): Promise<Spectrum> {
  const d = state.schema.featureDim;
  const t = state.tensors;
  if (state.hyperparameters.algorithm_mode === 'randomized') {
    const ell = sketchSize(state.hyperparameters, d);
    const omega = omegaOf(state);
    const y = new Float64Array(d * ell);
    addSketchMoved(y, t.y.data as Float64Array, omega, m, delta, n, d, ell);
    const { rows, shift } = await nystromFactor(y, omega, d, ell);
    const result = await factoredSpectrumAsync(rows, new Float64Array(ell).fill(1), d, count);
    for (let i = 0; i < result.values.length; i++) result.values[i] = Math.max(0, result.values[i] - shift);
    return result;
  }
  // Frequent Directions: BᵀB moved, as signed rows R with RᵀSR = BᵀB + (rank-one terms).
  const filled = (t.filled.data as Float64Array)[0];
  const rows = (t.rows.data as Float64Array).subarray(0, filled * d);
  const factored = isZero(delta) ? { rows, signs: new Float64Array(filled).fill(1) } : sketchRowsMoved(rows, filled, m, delta, n, d);
  return factoredSpectrumAsync(factored.rows, factored.signs, d, count);
}

async function finalize(state: PcaState, backend: Backend, selection?: Selection): Promise<PcaModel> {
  await settleState(state);
  for (const key of Object.keys(selection ?? {})) {
    if (key !== 'num_components' && key !== 'subtract_mean') throw new RangeError(`pca select: unknown selection '${key}'; expected num_components or subtract_mean`);
  }
  const d = state.schema.featureDim;
  const limit = componentLimit(state);
  const k = selection?.num_components !== undefined ? Number(selection.num_components) : state.hyperparameters.num_components;
  if (!Number.isInteger(k) || k < 1 || k > limit) {
    const why = state.hyperparameters.algorithm_mode === 'regular' ? '' : ` (the ${state.hyperparameters.algorithm_mode} sketch has ℓ = ${limit} directions)`;
    throw new RangeError(`pca select: num_components ${selection?.num_components ?? k} must be an integer in 1..${limit}${why}`);
  }
  const subtractMean = selection?.subtract_mean !== undefined ? selectedBool(selection.subtract_mean) : state.hyperparameters.subtract_mean;
  const n = (state.tensors.count.data as Float64Array)[0];
  requireTrainingWeight('pca', Number(state.scalars.examples_seen), n);
  if (n === 0) throw new DegenerateDataError('pca: the state has seen no data');
  const rowsError = rowsProblem(state, k, subtractMean) ?? spreadProblem(state, subtractMean);
  if (rowsError) throw rowsError;
  const mean = (state.tensors.sum.data as Float64Array).map((v) => v / n);
  const { values, vectors, trace } = await spectrum(state, k, subtractMean, mean, n);
  const rankError = rankProblem(state, k, subtractMean, values, n - (subtractMean ? 1 : 0));
  if (rankError) throw rankError;
  const v = new Float32Array(d * k);
  // Float64: variances are squares of the data (features at 1e30 give 1e60, past float32's 3.4e38).
  const s = new Float64Array(k);
  const explained = new Float64Array(k);
  const ratio = new Float32Array(k);
  const dof = Math.max(1, n - (subtractMean ? 1 : 0));
  for (let m = 0; m < k; m++) {
    const lambda = Math.max(0, values[m]);
    // A fixed sign per component (largest entry positive), so results do not flip between runs.
    let largest = 0;
    for (let j = 0; j < d; j++) if (Math.abs(vectors[m * d + j]) > Math.abs(vectors[m * d + largest])) largest = j;
    const sign = vectors[m * d + largest] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) v[j * k + m] = sign * vectors[m * d + j];
    s[m] = Math.sqrt(lambda);
    explained[m] = lambda / dof;
    ratio[m] = trace > 0 ? lambda / trace : 0;
  }
  return new PcaModel({
    algorithm: 'pca',
    hyperparameters: state.hyperparameters,
    schema: state.schema,
    tensors: {
      mean: tensor(subtractMean ? Float32Array.from(mean) : new Float32Array(d)),
      v: tensor(v, [d, k]), s: tensor(s), explained_variance: tensor(explained), explained_variance_ratio: tensor(ratio),
    },
    scalars: {
      num_components: k, subtract_mean: subtractMean, total_variance: Math.max(0, trace) / dof,
      algorithm_mode: state.hyperparameters.algorithm_mode, examples_seen: state.scalars.examples_seen,
    },
  }, backend);
}

async function accumulate(state: PcaState, batch: Parameters<Algorithm<PcaSchema, PcaModel>['update']>[1], backend: Backend): Promise<void> {
  const t = state.tensors;
  const d = state.schema.featureDim;
  const f64 = (name: string) => t[name].data as Float64Array;
  chooseOrigin(state, batch);
  // Absent in files written before it, and zero for states that began on sparse rows (their
  // products stay about 0: shifting sparse rows costs O(d²) or O(dℓ) per batch).
  const set = t.origin?.data as Float64Array | undefined;
  const origin = set && !isZero(set) ? set : undefined;
  const ell = () => sketchSize(state.hyperparameters, d);
  switch (state.hyperparameters.algorithm_mode) {
    case 'regular':
      return runKernel(backend, 'pcaAccumulate', { moments: { count: f64('count'), sum: f64('sum'), cross: f64('cross'), origin }, dim: d, batch });
    case 'randomized':
      return runKernel(backend, 'pcaRandomizedAccumulate', {
        sketch: { count: f64('count'), sum: f64('sum'), squares: f64('squares'), y: f64('y'), origin }, omega: omegaOf(state), dim: d, ell: ell(), batch,
      });
    case 'frequent_directions':
      return runKernel(backend, 'pcaFrequentDirectionsAccumulate', {
        sketch: { count: f64('count'), sum: f64('sum'), squares: f64('squares'), rows: f64('rows'), filled: f64('filled'), origin }, dim: d, ell: ell(), batch,
      });
  }
}

export const pca: Algorithm<PcaSchema, PcaModel> = guardStates({
  name: 'pca',
  hyperparameters: pcaSchema,
  labelSize: 0,
  // Sums and sketches do not depend on how rows are grouped, so narrow dense data is read in
  // batches of 2^18 values (4,096 rows of 64): each kernel call costs two thread hand-offs
  // (~0.5 ms on a loaded 2-core machine), which at 500 rows of 64 outweighed the kernel.
  readBatchValues: 2 ** 18,
  createState: (hp, schema) => createState(hp, schema),

  update: (state, batch, backend) => countedUpdate(state, batch, async () => {
    // Batches another backend still holds go into the arrays first: this backend's kernel reads them.
    await settleForBackend(state, backend);
    return accumulate(state, batch, backend);
  }),

  merge,
  // origin: products about a point in the data (0 in files from before it, as they were taken).
  addedTensors: ['origin'],
  checkTrainingData,
  dataWarnings: pcaDataWarnings,
  finalize,
  loadModel(data, backend) {
    parseHyperparameters('pca', pcaSchema, data.hyperparameters);
    return new PcaModel(data, backend);
  },
});
