// What a merge round computes, for any algorithm of the contract: the
// round's merge from the previous round's result (the base) and the states
// the workers uploaded, and the state each worker continues from.
//   - Algorithms with mergeRound (SGD: linear learner, factorization
//     machines) continue every worker from the merge itself, and mergeRound
//     counts base's sums once while averaging what the workers learned.
//   - The others (sums and sketches: PCA, k-means) continue every worker
//     from a fresh state, so a worker's state holds only its records since
//     the last round, and the round is merge([base, ...uploads]): exact.
// Either way every record is counted exactly once.
import type { Algorithm, State } from '../algorithms/types.js';
import type { Backend } from '../backends/registry.js';

/**
 * The round's merge. `base` is undefined before the first round of a fresh run (every worker then
 * started from a fresh state of the uploads' schema). Uploads are in worker order, which fixes the
 * merge's arithmetic (a deterministic run gives the same bytes run to run). `into`: a state whose
 * buffers mergeRound may take (the round before last's merge), so rounds allocate nothing.
 */
export function mergeOfRound(algorithm: Algorithm, base: State | undefined, uploads: State[], backend: Backend, into?: State): State {
  if (uploads.length === 0) {
    if (!base) throw new RangeError('merge round: no state to merge');
    return base;
  }
  if (algorithm.mergeRound) {
    const from = base ?? algorithm.createState(uploads[0].hyperparameters as never, uploads[0].schema, backend);
    return algorithm.mergeRound(from as never, uploads as never[], into as never) as State;
  }
  return algorithm.merge((base ? [base, ...uploads] : uploads) as never[]) as State;
}

/** Whether workers continue from the merge (SGD algorithms) or from a fresh state (sums and sketches). */
export function continuesFromMerge(algorithm: Algorithm): boolean {
  return algorithm.mergeRound !== undefined;
}
