// What every algorithm's update does around its kernel: a kernel error becomes a
// BatchError naming the algorithm and the batch, and the state counts the batch
// and its rows only once the kernel has taken it.
import { BatchError, type Batch } from '../data/batch.js';
import type { State } from './types.js';

export async function countedUpdate(state: State<unknown>, batch: Batch, kernel: () => Promise<void>): Promise<void> {
  try {
    await kernel();
  } catch (error) {
    throw new BatchError(`${state.algorithm} batch ${state.scalars.batches_seen}: ${(error as Error).message}`);
  }
  state.scalars.examples_seen = Number(state.scalars.examples_seen) + batch.rows;
  state.scalars.batches_seen = Number(state.scalars.batches_seen) + 1;
}
