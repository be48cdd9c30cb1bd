// What the GPU backends' kmeansUpdate (webgpu-kmeans.ts, cuda-kmeans.ts) share:
// where the counters sit in the state's tensors, and which batches must run on
// cpu because they take cpu's sequential steps.
import type { KernelInputs } from './kernels.js';

type Settings = KernelInputs['kmeansUpdate']['settings'];
type HostState = KernelInputs['kmeansUpdate']['state'];

/** Indices of the counters tensors (native/algorithms/kmeans/kmeans.h Counter, ModelCounter). */
export const counter = { rows: 0, filled: 1, reseeds: 2, costSum: 4, costWeight: 5 } as const;
export const modelCounter = { active: 0, rows: 1, next: 2, costSum: 5, costWeight: 6 } as const;

/**
 * Whether the batch needs cpu's sequential steps: seeding the centres, new rows (a novel batch:
 * centres swapped for its farthest rows), or a candidate reduction for the refined model.
 */
export function needsCpu(s: Settings, host: HostState, novel = false): boolean {
  if (host.counters[counter.filled] < s.centers || novel) return true;
  if (s.modelK === 0) return false;
  const next = host.modelCounters[modelCounter.next] > 0 ? host.modelCounters[modelCounter.next] : s.startRows;
  return host.counters[counter.rows] >= next;
}
