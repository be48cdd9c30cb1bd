// What the native model needs from the hyperparameters and the data's schema: the frequency,
// its lags, the embedding tables, the network and Adam. Computed once per state or model.
import { loadCoreAddon, type DeeparModelSettings } from '../../backends/native-addon.js';
import type { DataSchema } from '../types.js';
import { lagsFor, parseFrequency, type Frequency } from './frequency.js';
import { likelihoodCodes, parseList, type DeeparHyperparameters as Hp } from './hyperparameters.js';

export interface DeeparSettings {
  native: DeeparModelSettings;
  frequency: Frequency;
  lags: number[];
  /** Categorical features kept, and each one's categories (ids 0 … n − 1); the table has one more row, for ids never trained on. */
  categories: number[];
  layout: { parameters: number; networkParameters: number; features: number; history: number; steps: number };
}

/** The categories of each "cat" feature the model embeds: given, from the data (auto), or none. */
export function categoriesOf(hp: Hp, schema: DataSchema): number[] {
  if (hp.cardinality === 'ignore' || hp.cardinality.trim() === '') return [];
  if (hp.cardinality === 'auto') return (schema.cardinality as number[] | undefined) ?? [];
  return parseList(hp.cardinality);
}

/** Dynamic features the model reads per step: given, from the data (auto), or none. */
export function dynamicFeaturesOf(hp: Hp, schema: DataSchema): number {
  if (hp.num_dynamic_feat === 'ignore' || hp.num_dynamic_feat.trim() === '') return 0;
  if (hp.num_dynamic_feat === 'auto') return schema.featureDim;
  return Number(hp.num_dynamic_feat);
}

const cache = new WeakMap<object, DeeparSettings>();

export function settingsOf(hp: Hp, schema: DataSchema, key?: object): DeeparSettings {
  const cached = key && cache.get(key);
  if (cached) return cached;
  const frequency = parseFrequency(hp.time_freq);
  const lags = lagsFor(frequency);
  const categories = categoriesOf(hp, schema);
  const native: DeeparModelSettings = {
    context: hp.context_length, prediction: hp.prediction_length, lags: Uint32Array.from(lags),
    featureSet: frequency.featureSet, unit: frequency.unit, multiple: frequency.step,
    dynamic: dynamicFeaturesOf(hp, schema), cardinality: Uint32Array.from(categories, (c) => c + 1),
    embedding: hp.embedding_dimension, scaleInputs: hp.likelihood !== 'beta',
    network: {
      cells: hp.num_cells, layers: hp.num_layers, likelihood: likelihoodCodes[hp.likelihood], zoneout: hp.dropout_rate, seed: hp.seed,
      // Adam as SageMaker's DeepAR and GluonTS train it, with GluonTS's gradient clipping at 10.
      optimizer: { kind: 1, learningRate: hp.learning_rate, beta1: 0.9, beta2: 0.999, rho: 0, epsilon: 1e-8, weightDecay: 0, clipGradient: 10, rescaleGradient: 1 },
    },
  };
  const settings = { native, frequency, lags, categories, layout: loadCoreAddon().deeparModelLayout(native) };
  if (key) cache.set(key, settings);
  return settings;
}
