// Per-backend kernel counters: how many calls of each kernel a backend took,
// and how many of them ran on cpu instead (the backend has no implementation
// of the kernel, or its implementation declined the inputs). Read from the API
// (Backend.counters) and printed by the CLI as metrics.kernels, so that "it ran
// on the GPU" is a number a user can check rather than a belief.
import type { BackendName } from './registry.js';
import type { KernelName } from './kernels.js';

/** One kernel's calls on one backend. */
export interface KernelCount {
  /** Where the calls ran: the backend's own name, or 'cpu' when every call fell back. */
  backend: BackendName;
  /** Calls made through this backend. */
  calls: number;
  /** Calls of them that ran on cpu instead (included in calls). */
  fallbacks: number;
  /**
   * Calls the backend's own kernel ran on cpu by design, as part of its work (webgpu's k-means
   * update runs the seeding batches and the candidate reductions there): included in calls, not
   * in fallbacks. Absent when none.
   */
  cpuSteps?: number;
  /** Why the backend declined the latest of its calls that it declined (KernelDeclined's reason); absent when none was declined. */
  declined?: string;
}

/** Kernel name → its count; only kernels called at least once appear. */
export type KernelCounts = Partial<Record<KernelName, KernelCount>>;

/**
 * Why a backend's calls ran on cpu, one line per kernel it declined: what train() warns and the CLI's predict, evaluate
 * and recommend say on stderr, so that a slow run on a GPU backend explains itself.
 */
export function declinedWarnings(backend: string, counts: KernelCounts): string[] {
  return Object.entries(counts).filter(([, count]) => count.declined).map(([kernel, count]) =>
    `${backend} declined ${kernel} on ${count.fallbacks} of ${count.calls} calls, which ran on cpu: ${count.declined} (BOUNDLESS_STRICT_BACKEND=1 makes that an error)`);
}

export class KernelCounters {
  private readonly counts = new Map<KernelName, { calls: number; fallbacks: number; cpuSteps: number; declined?: string }>();

  constructor(readonly backend: BackendName) {}

  /** Counts one call of `kernel`; `fellBack`: it ran on cpu rather than on this backend; `declined`: why the backend declined it. */
  record(kernel: KernelName, fellBack: boolean, declined?: string): void {
    const count = this.counts.get(kernel) ?? { calls: 0, fallbacks: 0, cpuSteps: 0 };
    count.calls++;
    if (fellBack) count.fallbacks++;
    if (declined !== undefined) count.declined = declined;
    this.counts.set(kernel, count);
  }

  /** Notes that the call of `kernel` under way runs on cpu by the backend's design (KernelCount.cpuSteps). */
  recordCpuStep(kernel: KernelName): void {
    const count = this.counts.get(kernel) ?? { calls: 0, fallbacks: 0, cpuSteps: 0 };
    count.cpuSteps++;
    this.counts.set(kernel, count);
  }

  /** Adds counts taken elsewhere (a worker thread's backend of the same name). */
  add(counts: KernelCounts): void {
    for (const [kernel, count] of Object.entries(counts) as [KernelName, KernelCount][]) {
      const into = this.counts.get(kernel) ?? { calls: 0, fallbacks: 0, cpuSteps: 0 };
      into.calls += count.calls;
      into.fallbacks += count.fallbacks;
      into.cpuSteps += count.cpuSteps ?? 0;
      if (count.declined !== undefined) into.declined = count.declined;
      this.counts.set(kernel, into);
    }
  }

  /** The counts now, kernels in name order; with `since`, only what was counted after that snapshot. */
  snapshot(since?: KernelCounts): KernelCounts {
    const result: KernelCounts = {};
    for (const kernel of [...this.counts.keys()].sort()) {
      const count = this.counts.get(kernel)!;
      const calls = count.calls - (since?.[kernel]?.calls ?? 0);
      const fallbacks = count.fallbacks - (since?.[kernel]?.fallbacks ?? 0);
      const cpuSteps = count.cpuSteps - (since?.[kernel]?.cpuSteps ?? 0);
      if (calls === 0) continue;
      result[kernel] = {
        backend: fallbacks === calls ? 'cpu' : this.backend, calls, fallbacks, ...(cpuSteps > 0 ? { cpuSteps } : {}),
        ...(fallbacks > 0 && count.declined !== undefined ? { declined: count.declined } : {}),
      };
    }
    return result;
  }
}
