// What a GPU backend's factorization-machine state on the device keeps beside
// its parameters (webgpu-fm.ts, cuda-fm.ts): two sets of metric sums — the
// progressive ones and a validation pass's, say — each added into its host
// arrays when the state is settled, and the buffer the cpu kernel writes a
// sparse batch's feature index into.
import { holdOnDevice, type PendingOnDevice } from './device-state.js';
import type { FmKernelMetrics } from './kernels.js';

export class FmDeviceSlots {
  /** The two metric targets whose sums the device holds. */
  readonly targets: [FmKernelMetrics | undefined, FmKernelMetrics | undefined] = [undefined, undefined];

  constructor(private readonly holder: PendingOnDevice, private index: Uint32Array) {}

  /** The slot that adds to `metrics` (`none` for no metrics), or undefined when both are taken by other targets. */
  slotFor(metrics: FmKernelMetrics | null, none: number): number | undefined {
    if (!metrics) return none;
    const found = this.targets.findIndex((slot) => slot?.loss === metrics.loss);
    if (found >= 0) return found;
    const free = this.targets.findIndex((slot) => slot === undefined);
    if (free < 0) return undefined;
    this.targets[free] = metrics;
    holdOnDevice(metrics.loss, this.holder);
    return free;
  }

  /** The index buffer for a batch of `nnz` non-zeros (2·touched + 1 + 2·nnz ≤ 4·nnz + 1 words), grown to the largest batch. */
  indexFor(nnz: number): Uint32Array {
    if (this.index.length < 4 * nnz + 1) this.index = new Uint32Array(2 ** Math.ceil(Math.log2(4 * nnz + 1)));
    return this.index;
  }
}

/**
 * The length of fmFeatureIndex's result: [touched, Σw, longest row, largest |value|, largest |label|, largest weight, Σw·y, Σw·y²,
 * rows that name an index twice (the device kernels sum entry by entry: they decline such batches, cpu merges the repeats)].
 */
export const featureIndexResultLength = 9;

/** Why a device kernel declines a batch whose rows name an index twice (fmFeatureIndex's result[8]), or undefined. */
export function repeatedIndices(result: Float64Array): string | undefined {
  return result[8] > 0 ? `${result[8]} row${result[8] === 1 ? ' names' : 's name'} an index twice, which cpu merges (their values summed) and this kernel does not` : undefined;
}

/**
 * A batch the device took: its labels' moments (fmFeatureIndex's result, made on the host) into the
 * metrics' `labels` (Σw, Σw·y, Σw·y²), as the cpu kernel adds them. Only once the batch is the
 * device's: one declined goes to cpu, which adds them itself.
 */
export function addLabelMoments(metrics: FmKernelMetrics | null, result: Float64Array): void {
  if (!metrics?.labels) return;
  metrics.labels[0] += result[1];
  metrics.labels[1] += result[6];
  metrics.labels[2] += result[7];
}
