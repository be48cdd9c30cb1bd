// PCA hyperparameters: SageMaker's names (reference/sagemaker-algorithms.md §5.2).
// `regular` (exact moments) is the mode implemented so far; the randomized and
// Frequent Directions sketches are the next step (issue 7).
import type { HyperparameterValues } from '../hyperparameters.js';

export const pcaSchema = {
  num_components: { type: 'int', min: 1, required: true, description: 'components in the model (any number up to feature_dim can be selected later from the state)' },
  feature_dim: { type: 'int', min: 1, default: 'auto', allowAuto: true, description: 'features per row (auto: from the data)' },
  mini_batch_size: { type: 'int', min: 1, default: 500, description: 'rows per update' },
  algorithm_mode: { type: 'enum', values: ['regular'], default: 'regular', description: 'regular: exact covariance from float64 moments' },
  subtract_mean: { type: 'bool', default: true, description: 'centre the data (also selectable at finalize: the state keeps Σx)' },
  epochs: { type: 'int', min: 1, max: 1, default: 1, description: 'one pass (the moments are sums)' },
} as const;

export type PcaSchema = typeof pcaSchema;
export type PcaHyperparameters = HyperparameterValues<PcaSchema>;
