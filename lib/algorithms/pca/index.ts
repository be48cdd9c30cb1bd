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
import type { Backend } from '../../backends/registry.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { tensor } from '../../state/tensor.js';
import { parseHyperparameters } from '../hyperparameters.js';
import type { Algorithm, DataSchema, Selection, State } from '../types.js';
import { pcaSchema, sketchSize, type PcaHyperparameters, type PcaSchema } from './hyperparameters.js';
import { PcaModel } from './model.js';
import { denseSpectrum, factoredSpectrum, nystromFactor, randomSigns, type Spectrum } from './spectrum.js';
import { countedUpdate } from '../counted-update.js';
import { allocateState } from '../state-size.js';

export { PcaModel } from './model.js';
export { pcaSchema, sketchSize } from './hyperparameters.js';
export type { PcaHyperparameters } from './hyperparameters.js';
export type PcaState = State<PcaHyperparameters>;

function createState(hp: PcaHyperparameters, schema: DataSchema): PcaState {
  if (hp.feature_dim !== 'auto' && hp.feature_dim !== schema.featureDim) {
    throw new RangeError(`pca: the data has ${schema.featureDim} features but feature_dim is ${hp.feature_dim}`);
  }
  const d = schema.featureDim;
  const ell = sketchSize(hp, d);
  const tensors: PcaState['tensors'] = { count: tensor(new Float64Array(1)), sum: tensor(new Float64Array(d)) };
  if (hp.algorithm_mode === 'regular') {
    const cross = allocateState('pca', 8 * d * d, `regular mode keeps feature_dim² = ${d}² doubles; for wide data use algorithm_mode randomized or frequent_directions`,
      () => new Float64Array(d * d));
    if (cross.byteLength >= 8 << 20) loadCoreAddon().adviseHugePages(cross);
    tensors.cross = tensor(cross, [d, d]);
  } else if (hp.algorithm_mode === 'randomized') {
    tensors.squares = tensor(new Float64Array(1));
    tensors.y = tensor(allocateState('pca', 8 * d * ell, `feature_dim ${d} × ℓ ${ell} doubles`, () => new Float64Array(d * ell)), [d, ell]);
  } else {
    tensors.squares = tensor(new Float64Array(1));
    tensors.rows = tensor(allocateState('pca', 16 * d * ell, `2ℓ ${2 * ell} × feature_dim ${d} doubles`, () => new Float64Array(2 * ell * d)), [2 * ell, d]);
    tensors.filled = tensor(new Float64Array(1));
  }
  return { algorithm: 'pca', hyperparameters: hp, schema: { ...schema }, tensors, scalars: { examples_seen: 0, batches_seen: 0 } };
}

// Ω is a function of (seed, d, ℓ): rebuilt, not stored, and cached per state.
const signCache = new WeakMap<object, Float64Array>();
function omegaOf(state: PcaState): Float64Array {
  let omega = signCache.get(state.tensors.y);
  if (!omega) {
    omega = randomSigns(state.hyperparameters.seed, state.schema.featureDim, sketchSize(state.hyperparameters, state.schema.featureDim));
    signCache.set(state.tensors.y, omega);
  }
  return omega;
}

function add(out: Float64Array, source: Float64Array): void {
  for (let k = 0; k < out.length; k++) out[k] += source[k];
}

function merge(states: PcaState[]): PcaState {
  if (states.length === 0) throw new RangeError('pca merge: no states');
  const first = states[0];
  const hp = first.hyperparameters;
  const merged = createState(hp, first.schema);
  const d = first.schema.featureDim;
  const ell = sketchSize(hp, d);
  for (const [i, s] of states.entries()) {
    if (s.schema.featureDim !== d) throw new RangeError(`pca merge: state ${i} has ${s.schema.featureDim} features, state 0 has ${d}`);
    for (const name of ['algorithm_mode', 'num_components', 'extra_components', 'seed'] as const) {
      if (s.hyperparameters[name] !== hp[name]) throw new RangeError(`pca merge: state ${i} has ${name} ${s.hyperparameters[name]}, state 0 has ${hp[name]}`);
    }
    for (const name of ['count', 'sum', 'cross', 'squares', 'y']) {
      if (merged.tensors[name]) add(merged.tensors[name].data as Float64Array, s.tensors[name].data as Float64Array);
    }
    if (hp.algorithm_mode === 'frequent_directions') {
      const filled = (s.tensors.filled.data as Float64Array)[0];
      loadCoreAddon().pcaFrequentDirectionsInsert(
        { rows: merged.tensors.rows.data as Float64Array, filled: merged.tensors.filled.data as Float64Array },
        d, ell, (s.tensors.rows.data as Float64Array).subarray(0, filled * d), filled);
    }
  }
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
 * otherwise) and its trace, which is exact in every mode.
 */
function spectrum(state: PcaState, k: number, subtractMean: boolean, mean: Float64Array, n: number): Spectrum & { trace: number } {
  const d = state.schema.featureDim;
  const t = state.tensors;
  const sum = t.sum.data as Float64Array;
  const mode = state.hyperparameters.algorithm_mode;
  if (mode === 'regular') {
    const cross = t.cross.data as Float64Array;
    const matrix = new Float64Array(d * d);
    let trace = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) matrix[i * d + j] = cross[i * d + j] - (subtractMean ? n * mean[i] * mean[j] : 0);
      trace += matrix[i * d + i];
    }
    return { ...denseSpectrum(matrix, d, k), trace };
  }
  let trace = (t.squares.data as Float64Array)[0];
  if (subtractMean) for (let j = 0; j < d; j++) trace -= n * mean[j] * mean[j];
  if (mode === 'randomized') {
    const ell = sketchSize(state.hyperparameters, d);
    const omega = omegaOf(state);
    // Mean correction: (Σxxᵀ − n μμᵀ) Ω = Y − μ (Σx)ᵀΩ.
    const y = Float64Array.from(t.y.data as Float64Array);
    if (subtractMean) {
      const projected = new Float64Array(ell);
      for (let j = 0; j < d; j++) for (let c = 0; c < ell; c++) projected[c] += sum[j] * omega[j * ell + c];
      for (let j = 0; j < d; j++) for (let c = 0; c < ell; c++) y[j * ell + c] -= mean[j] * projected[c];
    }
    const { rows, shift } = nystromFactor(y, omega, d, ell);
    const result = factoredSpectrum(rows, new Float64Array(ell).fill(1), d, k);
    for (let m = 0; m < result.values.length; m++) result.values[m] = Math.max(0, result.values[m] - shift);
    return { ...result, trace };
  }
  // Frequent Directions: BᵀB − n μμᵀ as R = [B; √n·μ] with signs (1, …, 1, −1).
  const filled = (t.filled.data as Float64Array)[0];
  const extra = subtractMean ? 1 : 0;
  const rows = new Float64Array((filled + extra) * d);
  rows.set((t.rows.data as Float64Array).subarray(0, filled * d));
  const signs = new Float64Array(filled + extra).fill(1);
  if (subtractMean) {
    for (let j = 0; j < d; j++) rows[filled * d + j] = Math.sqrt(n) * mean[j];
    signs[filled] = -1;
  }
  return { ...factoredSpectrum(rows, signs, d, k), trace };
}

function finalize(state: PcaState, backend: Backend, selection?: Selection): PcaModel {
  for (const key of Object.keys(selection ?? {})) {
    if (key !== 'num_components' && key !== 'subtract_mean') throw new RangeError(`pca select: unknown selection '${key}'; expected num_components or subtract_mean`);
  }
  const d = state.schema.featureDim;
  const limit = componentLimit(state);
  const k = selection?.num_components !== undefined ? Number(selection.num_components) : Math.min(state.hyperparameters.num_components, limit);
  if (!Number.isInteger(k) || k < 1 || k > limit) {
    const why = state.hyperparameters.algorithm_mode === 'regular' ? '' : ` (the ${state.hyperparameters.algorithm_mode} sketch has ℓ = ${limit} directions)`;
    throw new RangeError(`pca select: num_components ${selection?.num_components ?? k} must be an integer in 1..${limit}${why}`);
  }
  const subtractMean = selection?.subtract_mean !== undefined ? selection.subtract_mean === true || selection.subtract_mean === 'true' : state.hyperparameters.subtract_mean;
  const n = (state.tensors.count.data as Float64Array)[0];
  if (n === 0) throw new RangeError('pca: the state has seen no data');
  const mean = (state.tensors.sum.data as Float64Array).map((v) => v / n);
  const { values, vectors, trace } = spectrum(state, k, subtractMean, mean, n);
  const v = new Float32Array(d * k);
  const s = new Float32Array(k);
  const explained = new Float32Array(k);
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

async function accumulate(state: PcaState, batch: Parameters<Algorithm<PcaSchema, PcaModel>['update']>[1]): Promise<void> {
  const addon = loadCoreAddon();
  const t = state.tensors;
  const d = state.schema.featureDim;
  const f64 = (name: string) => t[name].data as Float64Array;
  switch (state.hyperparameters.algorithm_mode) {
    case 'regular':
      return addon.pcaAccumulate({ count: f64('count'), sum: f64('sum'), cross: f64('cross') }, d, batch);
    case 'randomized':
      return addon.pcaRandomizedAccumulate({ count: f64('count'), sum: f64('sum'), squares: f64('squares'), y: f64('y') },
        omegaOf(state), d, sketchSize(state.hyperparameters, d), batch);
    case 'frequent_directions':
      return addon.pcaFrequentDirectionsAccumulate({ count: f64('count'), sum: f64('sum'), squares: f64('squares'), rows: f64('rows'), filled: f64('filled') },
        d, sketchSize(state.hyperparameters, d), batch);
  }
}

export const pca: Algorithm<PcaSchema, PcaModel> = {
  name: 'pca',
  hyperparameters: pcaSchema,
  labelSize: 0,
  createState: (hp, schema) => createState(hp, schema),

  update: (state, batch) => countedUpdate(state, batch, () => accumulate(state, batch)),

  merge,
  finalize,
  loadModel(data, backend) {
    parseHyperparameters('pca', pcaSchema, data.hyperparameters);
    return new PcaModel(data, backend);
  },
};
