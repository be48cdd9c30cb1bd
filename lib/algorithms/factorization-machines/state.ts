// A factorization-machine state: M models' parameters (feature-major), their
// optimizer moments, each feature's lazy-decay step, and the per-model sums
// of progressive and validation metrics. Allocated once; memory is fixed by
// feature_dim, the models' factor sizes and the optimizer.
import type { FmKernelMetrics, FmKernelState } from '../../backends/kernels.js';
import type { DataSchema, State } from '../types.js';
import { tensor } from '../../state/tensor.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { allocateState } from '../state-size.js';
import type { FactorizationMachinesHyperparameters as Hp } from './hyperparameters.js';
import { currentRevision, factorWidth, modelGrid } from './settings.js';

export type FactorizationMachinesState = State<Hp>;

/** Counter slots (native/algorithms/factorization_machines/factorization_machines.h). */
export const counter = { step: 0, rows: 1 } as const;

const groups = ['bias', 'linear', 'factors'] as const;

// Native and threaded (a 2^24 × 64 factor table is a billion draws), seeded per group and
// independent of the thread count: value i depends only on (seed, group, i).
function initialise(values: Float32Array, hp: Hp, group: (typeof groups)[number]): void {
  const method = hp[`${group}_init_method`];
  if (method === 'constant') {
    values.fill(Number(hp[`${group}_init_value`]));
  } else {
    const scale = method === 'uniform' ? Number(hp[`${group}_init_scale`]) : hp[`${group}_init_sigma`];
    loadCoreAddon().linearLearnerInitialize(values, method === 'normal', scale, hp.seed * groups.length + groups.indexOf(group));
  }
}

function allocateTensors(hp: Hp, d: number, models: number, width: number): FactorizationMachinesState['tensors'] {
  const factors = new Float32Array(d * width);  // the largest first: if memory runs out, it does so at once
  const linear = new Float32Array(d * models);
  const bias = new Float32Array(models);
  initialise(bias, hp, 'bias');
  initialise(linear, hp, 'linear');
  initialise(factors, hp, 'factors');
  const tensors: FactorizationMachinesState['tensors'] = {
    bias: tensor(bias), linear: tensor(linear, [d, models]), factors: tensor(factors, [d, width]),
    last_step: tensor(new Int32Array(d)), counters: tensor(new Float64Array(2)),
    progressive_loss: tensor(new Float64Array(models)), progressive_weight: tensor(new Float64Array(models)),
    progressive_confusion: tensor(new Float64Array(models * 4), [models, 4]),
    // The training stream's labels (first pass): Σw, Σw·y, Σw·y², what a regressor is judged against.
    progressive_labels: tensor(new Float64Array(3)),
    validation_loss: tensor(new Float64Array(models)), validation_weight: tensor(new Float64Array(models)),
    validation_confusion: tensor(new Float64Array(models * 4), [models, 4]),
  };
  if (hp.optimizer !== 'sgd') {
    tensors.bias_m1 = tensor(new Float32Array(models));
    tensors.linear_m1 = tensor(new Float32Array(d * models), [d, models]);
    tensors.factors_m1 = tensor(new Float32Array(d * width), [d, width]);
  }
  if (hp.optimizer === 'adam') {
    tensors.bias_m2 = tensor(new Float32Array(models));
    tensors.linear_m2 = tensor(new Float32Array(d * models), [d, models]);
    tensors.factors_m2 = tensor(new Float32Array(d * width), [d, width]);
  }
  return tensors;
}

export function createFmState(hp: Hp, schema: DataSchema): FactorizationMachinesState {
  if (hp.feature_dim !== 'auto' && hp.feature_dim !== schema.featureDim) {
    throw new RangeError(`factorization-machines: the data has ${schema.featureDim} features but feature_dim is ${hp.feature_dim}`);
  }
  const d = schema.featureDim;
  const grid = modelGrid(hp);
  const models = grid.length;
  const width = factorWidth(grid);
  const arrays = 1 + (hp.optimizer === 'sgd' ? 0 : 1) + (hp.optimizer === 'adam' ? 1 : 0);
  const tensors = allocateState('factorization-machines', 4 * d * ((models + width) * arrays + 1),
    `feature_dim ${d} × (num_models ${models} + factors ${width}) × ${arrays} arrays × 4 bytes; lower feature_dim, num_factors or num_models, or use optimizer sgd`,
    () => allocateTensors(hp, d, models, width));
  return { algorithm: 'factorization-machines', hyperparameters: hp, schema: { ...schema }, tensors, scalars: freshScalars() };
}

/** The scalars of a state that has seen nothing. */
export function freshScalars(): FactorizationMachinesState['scalars'] {
  return { examples_seen: 0, batches_seen: 0, validated_at_step: -1, revision: currentRevision, passes: 0 };
}

// The sparse feature index's scratch (dim entries, −1 between calls): per state, not saved.
const slots = new WeakMap<object, Int32Array>();

export function kernelState(state: FactorizationMachinesState): FmKernelState {
  const t = state.tensors;
  const f32 = (name: string) => t[name]?.data as Float32Array | undefined;
  let slot = slots.get(t.last_step.data);
  if (!slot) {
    slot = new Int32Array(state.schema.featureDim).fill(-1);
    slots.set(t.last_step.data, slot);
  }
  return {
    bias: f32('bias')!, linear: f32('linear')!, factors: f32('factors')!,
    biasM1: f32('bias_m1'), linearM1: f32('linear_m1'), factorsM1: f32('factors_m1'),
    biasM2: f32('bias_m2'), linearM2: f32('linear_m2'), factorsM2: f32('factors_m2'),
    lastStep: t.last_step.data as Int32Array, counters: t.counters.data as Float64Array, slot,
  };
}

export function kernelMetrics(state: FactorizationMachinesState, source: 'progressive' | 'validation'): FmKernelMetrics {
  const t = state.tensors;
  return {
    loss: t[`${source}_loss`].data as Float64Array,
    weight: t[`${source}_weight`].data as Float64Array,
    ...(state.hyperparameters.predictor_type === 'binary_classifier' ? { confusion: t[`${source}_confusion`].data as Float64Array } : {}),
    ...(source === 'progressive' ? { labels: t.progressive_labels.data as Float64Array } : {}),
  };
}
