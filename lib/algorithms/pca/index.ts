// PCA over a stream: the state is the exact float64 moments (n, Σx, Σxxᵀ),
// additive and therefore exactly mergeable; finalize forms the covariance and
// solves it with the native symmetric eigensolver. Any number of components,
// with or without mean subtraction, can be selected later from the state.
import type { Backend } from '../../backends/registry.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { BatchError } from '../../data/batch.js';
import { tensor } from '../../state/tensor.js';
import { parseHyperparameters } from '../hyperparameters.js';
import type { Algorithm, DataSchema, Selection, State } from '../types.js';
import { pcaSchema, type PcaHyperparameters, type PcaSchema } from './hyperparameters.js';
import { PcaModel } from './model.js';

export { PcaModel } from './model.js';
export { pcaSchema } from './hyperparameters.js';
export type { PcaHyperparameters } from './hyperparameters.js';
export type PcaState = State<PcaHyperparameters>;

function createState(hp: PcaHyperparameters, schema: DataSchema): PcaState {
  if (hp.feature_dim !== 'auto' && hp.feature_dim !== schema.featureDim) {
    throw new RangeError(`pca: the data has ${schema.featureDim} features but feature_dim is ${hp.feature_dim}`);
  }
  const d = schema.featureDim;
  const cross = new Float64Array(d * d);
  if (cross.byteLength >= 8 << 20) loadCoreAddon().adviseHugePages(cross);
  return {
    algorithm: 'pca',
    hyperparameters: hp,
    schema: { ...schema },
    tensors: {
      count: tensor(new Float64Array(1)),
      sum: tensor(new Float64Array(d)),
      cross: tensor(cross, [d, d]),
    },
    scalars: { examples_seen: 0, batches_seen: 0 },
  };
}

function merge(states: PcaState[]): PcaState {
  if (states.length === 0) throw new RangeError('pca merge: no states');
  const first = states[0];
  const merged = createState(first.hyperparameters, first.schema);
  for (const [i, s] of states.entries()) {
    if (s.schema.featureDim !== first.schema.featureDim) throw new RangeError(`pca merge: state ${i} has ${s.schema.featureDim} features, state 0 has ${first.schema.featureDim}`);
    for (const name of ['count', 'sum', 'cross']) {
      const out = merged.tensors[name].data as Float64Array;
      const source = s.tensors[name].data as Float64Array;
      for (let k = 0; k < out.length; k++) out[k] += source[k];
    }
  }
  merged.scalars.examples_seen = states.reduce((n, s) => n + Number(s.scalars.examples_seen), 0);
  merged.scalars.batches_seen = states.reduce((n, s) => n + Number(s.scalars.batches_seen), 0);
  return merged;
}

/** Covariance-style scatter matrix from the moments: Σxxᵀ − n·μμᵀ (centred) or Σxxᵀ, full. */
function scatter(state: PcaState, subtractMean: boolean): { matrix: Float64Array; mean: Float64Array; n: number } {
  const d = state.schema.featureDim;
  const n = (state.tensors.count.data as Float64Array)[0];
  const sum = state.tensors.sum.data as Float64Array;
  const cross = state.tensors.cross.data as Float64Array;
  const mean = sum.map((v) => (n > 0 ? v / n : 0));
  const matrix = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      const value = cross[i * d + j] - (subtractMean ? n * mean[i] * mean[j] : 0);
      matrix[i * d + j] = value;
      matrix[j * d + i] = value;
    }
  }
  return { matrix, mean, n };
}

function finalize(state: PcaState, backend: Backend, selection?: Selection): PcaModel {
  for (const key of Object.keys(selection ?? {})) {
    if (key !== 'num_components' && key !== 'subtract_mean') throw new RangeError(`pca select: unknown selection '${key}'; expected num_components or subtract_mean`);
  }
  const d = state.schema.featureDim;
  const k = selection?.num_components !== undefined ? Number(selection.num_components) : Math.min(state.hyperparameters.num_components, d);
  if (!Number.isInteger(k) || k < 1 || k > d) throw new RangeError(`pca select: num_components ${selection?.num_components ?? k} must be an integer in 1..${d}`);
  const subtractMean = selection?.subtract_mean !== undefined ? selection.subtract_mean === true || selection.subtract_mean === 'true' : state.hyperparameters.subtract_mean;
  const { matrix, mean, n } = scatter(state, subtractMean);
  if (n === 0) throw new RangeError('pca: the state has seen no data');
  const { values, vectors } = loadCoreAddon().symmetricEigen(matrix, d);
  let trace = 0;
  for (let i = 0; i < d; i++) trace += Math.max(0, values[i]);
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
    scalars: { num_components: k, subtract_mean: subtractMean, total_variance: trace / dof, examples_seen: state.scalars.examples_seen },
  }, backend);
}

export const pca: Algorithm<PcaSchema, PcaModel> = {
  name: 'pca',
  hyperparameters: pcaSchema,
  labelSize: 0,
  createState: (hp, schema) => createState(hp, schema),

  async update(state, batch) {
    try {
      await loadCoreAddon().pcaAccumulate({
        count: state.tensors.count.data as Float64Array, sum: state.tensors.sum.data as Float64Array, cross: state.tensors.cross.data as Float64Array,
      }, state.schema.featureDim, batch);
    } catch (error) {
      throw new BatchError(`pca batch ${state.scalars.batches_seen}: ${(error as Error).message}`);
    }
    state.scalars.examples_seen = Number(state.scalars.examples_seen) + batch.rows;
    state.scalars.batches_seen = Number(state.scalars.batches_seen) + 1;
  },

  merge,
  finalize,
  loadModel(data, backend) {
    parseHyperparameters('pca', pcaSchema, data.hyperparameters);
    return new PcaModel(data, backend);
  },
};
