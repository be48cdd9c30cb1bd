// K-means hyperparameters: SageMaker's names and defaults
// (reference/sagemaker-algorithms.md §6.2), plus `seed`.
import type { HyperparameterValues } from '../hyperparameters.js';

export const kmeansSchema = {
  k: { type: 'int', min: 1, required: true, description: 'clusters in the final model' },
  feature_dim: { type: 'int', min: 1, max: 2 ** 32, default: 'auto', allowAuto: true, description: 'features per row (auto: from the data; at most 2^32: feature indices are 32-bit)' },
  mini_batch_size: { type: 'int', min: 1, default: 5000, description: 'rows per update' },
  epochs: { type: 'int', min: 1, default: 1, description: 'passes over the training data' },
  extra_center_factor: {
    type: 'int', min: 1, default: 'auto', allowAuto: true,
    description: 'the stream keeps K = k × this weighted centres (auto: round(200 / k), kept in 2..10)',
  },
  init_method: { type: 'enum', values: ['random', 'kmeans++'], default: 'random', description: 'how the streaming centres are seeded from the first rows' },
  half_life_time_size: { type: 'int', min: 0, default: 0, description: 'points after which old points weigh half (0: no forgetting)' },
  local_lloyd_init_method: { type: 'enum', values: ['random', 'kmeans++'], default: 'kmeans++', description: 'seeding of the final K → k reduction' },
  local_lloyd_max_iter: { type: 'int', min: 1, default: 300, description: "Lloyd's iterations of the reduction" },
  local_lloyd_tol: { type: 'float', min: 0, max: 1, default: 0.0001, description: 'relative cost change that ends the reduction' },
  local_lloyd_num_trials: { type: 'int', min: 1, default: 'auto', allowAuto: true, description: 'reductions run; the lowest cost wins (auto: as many as ~2·10^8 multiply-adds allow, 5..100)' },
  eval_metrics: {
    type: 'string', default: '["msd"]', patternDescription: 'a JSON list of msd, ssd (["msd", "ssd"]; in the API, the array too)',
    description: 'JSON list of msd, ssd: the test metrics reported',
  },
  seed: { type: 'int', min: 0, max: 0xffffffff, default: 0, description: 'random seed (seeding, reseeding, reduction)' },
} as const;

export type KmeansSchema = typeof kmeansSchema;
export type KmeansHyperparameters = HyperparameterValues<KmeansSchema>;
