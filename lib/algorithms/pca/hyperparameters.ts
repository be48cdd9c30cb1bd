// PCA hyperparameters: SageMaker's names (reference/sagemaker-algorithms.md §5.2),
// plus the `frequent_directions` mode and `seed` for the randomized sketch.
import type { HyperparameterValues } from '../hyperparameters.js';
import type { State } from '../types.js';

export const pcaSchema = {
  num_components: { type: 'int', min: 1, required: true, description: 'components in the model (others can be selected later from the state: up to feature_dim in regular mode, up to the sketch size ℓ in the sketched modes)' },
  feature_dim: { type: 'int', min: 1, max: 2 ** 32, default: 'auto', allowAuto: true, description: 'features per row (auto: from the data; at most 2^32: feature indices are 32-bit)' },
  mini_batch_size: { type: 'int', min: 1, default: 500, description: 'rows per update; unless the read size is asked for (--mini-batch-size), dense data is read in batches of at least ⌈262,144 / feature_dim⌉ rows (at most 65,536), as the sums and sketches do not depend on the grouping' },
  algorithm_mode: {
    type: 'enum', values: ['regular', 'randomized', 'frequent_directions'], default: 'regular',
    description: 'regular: exact covariance from float64 moments (d² memory); randomized: d × ℓ random-sign sketch (Nyström); frequent_directions: deterministic 2ℓ × d sketch with an error bound',
  },
  extra_components: { type: 'int', min: -1, default: -1, description: 'sketched modes: ℓ = num_components + extra_components (capped at feature_dim); −1: max(10, num_components)' },
  subtract_mean: { type: 'bool', default: true, description: 'centre the data (also selectable at finalize: the state keeps Σx)' },
  epochs: { type: 'int', min: 1, max: 1, default: 1, description: 'one pass: the state is a sum or a sketch, and another pass would count every row again' },
  seed: { type: 'int', min: 0, max: 0xffffffff, default: 0, description: 'randomized mode: seed of the random-sign test matrix (shards to be merged must share it)' },
} as const;

export type PcaSchema = typeof pcaSchema;
export type PcaHyperparameters = HyperparameterValues<PcaSchema>;
export type PcaState = State<PcaHyperparameters>;

/** The sketch size ℓ of the sketched modes, for data with `dim` features. */
export function sketchSize(hp: PcaHyperparameters, dim: number): number {
  const extra = hp.extra_components === -1 ? Math.max(10, hp.num_components) : hp.extra_components;
  return Math.max(1, Math.min(dim, hp.num_components + extra));
}
