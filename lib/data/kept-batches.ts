// Batches that the epoch cache keeps (lib/train/epoch-cache.ts): their arrays
// never change while the cache holds them, and each gets an id no other batch
// of the process ever gets. A GPU backend may then keep a batch's arrays on
// the device from one epoch to the next, keyed by the id (the cuda backend:
// kernels/cuda/runtime/resident_batches.cuh), instead of uploading them every
// epoch; the cache tells it, through releaseKeptBatches, when it lets them go.
import { threadId } from 'node:worker_threads';
import type { Batch } from './batch.js';

const ids = new WeakMap<object, number>();
/**
 * The next id: never reused, so a released batch's device copy can never be taken for another's. The
 * device store is the process's, and each thread (a train() in a worker thread of the caller's) counts
 * its own: ids are threadId × 2^32 + a count, so two threads' ranges never meet.
 */
let next = threadId * 2 ** 32 + 1;
const listeners = new Set<(first: number, last: number) => void>();

/** Marks a batch as kept (its arrays will not change until it is released); returns its id (≥ 1). */
export function markKept(batch: Batch): number {
  const id = next++;
  ids.set(batch, id);
  return id;
}

/** The id of a kept batch; 0 for any other (a reader's pooled batch, a caller's own). */
export function keptBatchId(batch: Batch): number {
  return ids.get(batch) ?? 0;
}

/** Calls `listener(first, last)` whenever the kept batches with ids first..last are let go. */
export function onKeptBatchesReleased(listener: (first: number, last: number) => void): void {
  listeners.add(listener);
}

/** Lets the kept batches with ids first..last go: what was kept of them elsewhere (on a device) is freed. */
export function releaseKeptBatches(first: number, last: number): void {
  if (last < first) return;
  for (const listener of listeners) listener(first, last);
}
