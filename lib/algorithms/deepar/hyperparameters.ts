// DeepAR's hyperparameters: SageMaker's names, ranges and defaults (reference/sagemaker-
// algorithms.md §7.2), plus what a streaming trainer needs that SageMaker leaves implicit:
// num_batches_per_epoch (an epoch is a fixed number of batches, as in GluonTS), the window
// reservoir's size, and the seed.
import type { HyperparameterValues } from '../hyperparameters.js';
import { frequencyPattern } from './frequency.js';

const likelihoods = ['gaussian', 'beta', 'negative-binomial', 'student-T', 'deterministic-L1'] as const;

export const deeparSchema = {
  time_freq: {
    type: 'string', required: true, pattern: frequencyPattern,
    patternDescription: 'a frequency M, W, D, H or min with an optional multiple, e.g. "5min", "2H", "D"',
    description: 'the granularity of the series; picks the calendar features and lags',
  },
  prediction_length: { type: 'int', min: 1, max: 10000, required: true, description: 'steps forecast (the horizon), fixed at training' },
  context_length: { type: 'int', min: 1, max: 10000, required: true, description: 'steps the network conditions on before the horizon (lags reach further back)' },
  epochs: { type: 'int', min: 1, required: true, description: 'epochs, each num_batches_per_epoch batches drawn from the window reservoir after a pass over the series (also --epochs N)' },
  early_stopping_patience: { type: 'int', min: 1, default: 'auto', allowAuto: true, description: 'stop after this many epochs without a lower training loss; the lowest-loss epoch\'s model is kept (auto: never stop early)' },
  mini_batch_size: { type: 'int', min: 1, max: 4096, default: 128, description: 'windows per optimizer step' },
  learning_rate: { type: 'float', min: 1e-6, max: 1, default: 0.001, description: 'Adam\'s step size' },
  num_cells: { type: 'int', min: 1, max: 1024, default: 40, description: 'LSTM units per layer' },
  num_layers: { type: 'int', min: 1, max: 16, default: 2, description: 'stacked LSTM layers' },
  dropout_rate: { type: 'float', min: 0, max: 1, exclusiveMax: true, default: 0.1, description: 'zoneout rate of the LSTM cells in training' },
  likelihood: { type: 'enum', values: likelihoods, default: 'student-T', description: 'noise model: gaussian (real), beta (in (0, 1)), negative-binomial (counts), student-T (real, bursty), deterministic-L1 (a point forecast)' },
  cardinality: {
    type: 'string', default: 'auto', pattern: /^(auto|ignore|\[?\s*[1-9][0-9]*(\s*,\s*[1-9][0-9]*)*\s*\]?|)$/,
    patternDescription: "'auto', 'ignore', '' or a list of category counts such as [4, 12]",
    description: 'categories per "cat" feature (auto: from the first batch of series; ignore or "": drop "cat")',
  },
  embedding_dimension: { type: 'int', min: 1, max: 1000, default: 10, description: 'embedding width of each categorical feature' },
  num_dynamic_feat: {
    type: 'string', default: 'auto', pattern: /^(auto|ignore|[0-9]+|)$/,
    patternDescription: "'auto', 'ignore', '' or a count", description: 'dynamic features per series (auto: from the data; ignore or "": drop "dynamic_feat")',
  },
  num_eval_samples: { type: 'int', min: 1, max: 100000, default: 100, description: 'sample paths per series for the test metrics' },
  test_quantiles: {
    type: 'string', default: '[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]',
    pattern: /^\[?\s*0?\.[0-9]+(\s*,\s*0?\.[0-9]+)*\s*\]?$/,
    patternDescription: 'a list of quantiles in (0, 1) such as [0.1, 0.5, 0.9]', description: 'quantiles of the test wQuantileLoss',
  },
  num_batches_per_epoch: { type: 'int', min: 1, max: 1_000_000, default: 50, description: 'optimizer steps per epoch (GluonTS\'s default 50)' },
  window_reservoir_size: { type: 'int', min: 1, max: 1_000_000, default: 4096, description: 'training windows kept (a sample ∝ ν of every window offered); memory is this × (max lag + context + horizon) values' },
  seed: { type: 'int', min: 0, max: 0xffffffff, default: 0, description: 'random seed of the initialisation, the window draws, zoneout and sample paths' },
} as const;

export type DeeparSchema = typeof deeparSchema;
export type DeeparHyperparameters = HyperparameterValues<DeeparSchema>;

/** The list hyperparameters' values. */
export function parseList(text: string): number[] {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  return inner === '' ? [] : inner.split(',').map((v) => Number(v.trim()));
}

export const likelihoodCodes: Record<(typeof likelihoods)[number], number> = {
  gaussian: 0, 'student-T': 1, 'negative-binomial': 2, beta: 3, 'deterministic-L1': 4,
};
