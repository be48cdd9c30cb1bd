// train() with data-parallel workers: `workers: N` (N > 1) trains on a
// worker pool (worker-pool.ts) that the trainer runs each pass on; one worker
// is the trainer alone, in this thread. This is the train() of the public API.
import type { HyperparameterInput } from '../algorithms/hyperparameters.js';
import type { Algorithm } from '../algorithms/types.js';
import { requireArgumentShapes, train as trainInThisThread, type TrainOptions, type TrainResult } from '../train/train.js';
import { defaultSyncEveryOf, resolveSyncEvery } from './sync-policy.js';
import { WorkerPool } from './worker-pool.js';
import { availableParallelism } from 'node:os';

/**
 * Trains `algorithm` (see lib/train/train.ts for everything but the workers). With `workers: N`,
 * N threads each read their share of the training files — whole files dealt out when there are
 * at least N, else each file cut into N byte ranges at line starts; a stream's batches are dealt
 * round-robin by this thread — and meet in merge rounds
 * every `syncEvery` (default the algorithm's roundBatches, else 8 batches of each worker: the
 * linear learner 16); the result is the merge of the final
 * states. Errors: workers not a positive integer or more than maxWorkers(), recordIO in
 * fewer files than workers, syncEvery out of range or in seconds with `deterministic`.
 */
/** The most workers one process may start: 4 per core it may use (os.availableParallelism()). */
export function maxWorkers(): number {
  return 4 * availableParallelism();
}

export async function train<A extends Algorithm>(algorithm: A, hyperparameters: HyperparameterInput,
  options: TrainOptions): Promise<TrainResult<A>> {
  requireArgumentShapes(algorithm, options);
  const workers = options.workers ?? 1;
  if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError(`train: workers must be a positive integer, got ${typeof workers === 'number' ? String(workers) : JSON.stringify(workers)}`);
  // Each worker is a thread with a whole state: beyond a few per core they only cost memory.
  const most = maxWorkers();
  if (workers > most) {
    throw new RangeError(`train: workers ${workers} is more than ${most} (4 per core this process may use, ${availableParallelism()}): ` +
      'workers beyond the cores add states, not speed');
  }
  if (workers === 1) {
    // Taken and ignored, it would read as a schedule that ran.
    if (options.syncEvery !== undefined) {
      throw new RangeError('train: syncEvery sets how often workers merge their states; one worker (workers 1, the default) has ' +
        'nothing to merge: give workers N, or leave syncEvery out');
    }
    return trainInThisThread(algorithm, hyperparameters, options);
  }
  const sync = resolveSyncEvery(options.syncEvery, options.deterministic === true, defaultSyncEveryOf(algorithm));
  if ('auto' in sync) throw new RangeError('train: syncEvery auto is for cluster jobs (--cluster); workers of one process merge every N batches or N seconds');
  const pool = WorkerPool.open(algorithm, workers, sync);
  try {
    return await trainInThisThread(algorithm, hyperparameters, options, pool);
  } finally {
    await pool.close();
  }
}
