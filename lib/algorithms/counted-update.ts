// What every algorithm's update does around its kernel: the updates of one
// state run one at a time, in the order they were started (two kernels on one
// state's arrays at once — a libuv thread each, or a GPU's copy and cpu's —
// would lose one's work); a kernel error becomes a BatchError naming the
// algorithm and the batch; and the state counts the batch and its rows only
// once the kernel has taken it.
import { BatchError, type Batch } from '../data/batch.js';
import type { State } from './types.js';
import { inStateTurn } from '../backends/device-state.js';

/**
 * Runs `work` after every earlier update of the state has ended (not re-entrant: never nest on one state). The turns
 * are the state's (backends/device-state.ts): settleState and saveState take theirs after the updates started before.
 */
export function oneUpdateAtATime<T>(state: State<unknown>, work: () => Promise<T>): Promise<T> {
  return inStateTurn(state, work);
}

/** The kernel's call and the counting, for an update already holding the state's turn (oneUpdateAtATime). */
export async function countedKernel(state: State<unknown>, batch: Batch, kernel: () => Promise<void>): Promise<void> {
  try {
    await kernel();
  } catch (error) {
    throw new BatchError(`${state.algorithm} batch ${state.scalars.batches_seen}: ${(error as Error).message}`);
  }
  state.scalars.examples_seen = Number(state.scalars.examples_seen) + batch.rows;
  state.scalars.batches_seen = Number(state.scalars.batches_seen) + 1;
}

/** countedKernel in the state's turn. */
export function countedUpdate(state: State<unknown>, batch: Batch, kernel: () => Promise<void>): Promise<void> {
  return oneUpdateAtATime(state, () => countedKernel(state, batch, kernel));
}
