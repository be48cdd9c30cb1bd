// A DeepAR state: the model's parameters (network, then embedding tables), Adam's moments, the
// window reservoir (a sample ∝ ν of every training window offered, fixed capacity) and the
// counters. Allocated once; memory is fixed by the hyperparameters (window_reservoir_size ×
// (max lag + context_length + prediction_length) values for the reservoir), not by the series.
import type { DeeparReservoir } from '../../backends/native-addon.js';
import { Random } from '../../random.js';
import { tensor } from '../../state/tensor.js';
import { allocateState } from '../state-size.js';
import type { DataSchema, State } from '../types.js';
import type { DeeparHyperparameters as Hp } from './hyperparameters.js';
import { settingsOf, type DeeparSettings } from './settings.js';

export type DeeparState = State<Hp>;

/** Slots of the training counters: optimizer steps, Σ weight·NLL and Σ weight of the current epoch's round. */
export const trainCounter = { steps: 0, loss: 1, weight: 2 } as const;
/** Slots of the reservoir counters. */
export const reservoirCounter = { filled: 0, windows: 1, series: 2 } as const;

/**
 * Glorot-uniform weights for every product (U(±√(6 / (in + out)))), zero biases but the forget
 * gates' at 1 (Gers et al. 2000, as MXNet's LSTM cell), embeddings U(±0.1) with the row for
 * unseen categories at 0. Seeded: a state is a function of the hyperparameters and the schema.
 */
function initialise(parameters: Float32Array, s: DeeparSettings, seed: number): void {
  const random = Random.fromSeed(seed);
  const uniform = (from: number, count: number, bound: number) => {
    for (let i = from; i < from + count; i++) parameters[i] = (2 * random.nextFloat() - 1) * bound;
  };
  const H = s.native.network.cells, G = 4 * H;
  let at = 0, inputs = s.layout.features;
  for (let k = 0; k < s.native.network.layers; k++) {
    uniform(at, inputs * G, Math.sqrt(6 / (inputs + G)));
    at += inputs * G;
    uniform(at, H * G, Math.sqrt(6 / (H + G)));
    at += H * G;
    parameters.fill(1, at + H, at + 2 * H);
    at += G;
    inputs = H;
  }
  const outputs = (s.layout.networkParameters - at) / (H + 1);  // the likelihood's raw parameters: [H × P] and [P]
  uniform(at, H * outputs, Math.sqrt(6 / (H + outputs)));
  let table = s.layout.networkParameters;
  const E = s.native.embedding;
  for (const rows of s.native.cardinality) {
    uniform(table, (rows - 1) * E, 0.1);
    table += rows * E;
  }
}

export function createDeeparState(hp: Hp, schema: DataSchema): DeeparState {
  const s = settingsOf(hp, schema);
  const R = hp.window_reservoir_size, T = s.layout.steps, K = s.categories.length, D = s.native.dynamic;
  const P = s.layout.parameters;
  const bytes = 12 * P + R * (4 * s.layout.history + 4 * T * D + 4 * K + 28);
  const tensors = allocateState('deepar', bytes,
    `${P} parameters × 3 arrays (embedding tables of ${s.categories.join(', ') || 'no'} categories × embedding_dimension among them), and window_reservoir_size ${R} windows of ${s.layout.history} values ` +
    `(max lag ${s.lags[s.lags.length - 1]} + context_length + prediction_length); lower window_reservoir_size, or give cardinality=[…] when "cat" ids are large`,
    () => {
      const parameters = new Float32Array(P);
      initialise(parameters, s, hp.seed);
      return {
        parameters: tensor(parameters), moment1: tensor(new Float32Array(P)), moment2: tensor(new Float32Array(P)),
        train_counters: tensor(new Float64Array(3)),
        reservoir_targets: tensor(new Float32Array(R * s.layout.history).fill(NaN), [R, s.layout.history]),
        reservoir_dynamic: tensor(new Float32Array(Math.max(1, R * T * D))),
        reservoir_cats: tensor(new Int32Array(Math.max(1, R * K))),
        reservoir_origin: tensor(new Float64Array(R)), reservoir_age: tensor(new Float64Array(R)),
        reservoir_scale: tensor(new Float32Array(R)), reservoir_keys: tensor(new Float64Array(R)),
        reservoir_counters: tensor(new Float64Array(3)),
      };
    });
  return { algorithm: 'deepar', hyperparameters: hp, schema: { ...schema }, tensors, scalars: freshScalars() };
}

export function freshScalars(): DeeparState['scalars'] {
  // epoch_loss: the last round's mean NLL per observed value (SageMaker's train:loss); NaN-free JSON: null before any.
  return { epochs_trained: 0, epoch_loss: null };
}

/** The native view of a state's reservoir. */
export function reservoirOf(state: DeeparState): DeeparReservoir {
  const t = state.tensors;
  return {
    capacity: state.hyperparameters.window_reservoir_size,
    targets: t.reservoir_targets.data as Float32Array, dynamic: t.reservoir_dynamic.data as Float32Array,
    cats: t.reservoir_cats.data as Int32Array, origin: t.reservoir_origin.data as Float64Array, age: t.reservoir_age.data as Float64Array,
    scale: t.reservoir_scale.data as Float32Array, keys: t.reservoir_keys.data as Float64Array,
    counters: t.reservoir_counters.data as Float64Array,
  };
}
