// What float32 on a GPU can hold. WGSL has no float64: webgpu's training
// kernels keep sums as float-float pairs of f32, whose range is float32's —
// products past 3.4e38 overflow to infinity and products below 1.2e-38 lose
// their digits (GPUs flush smaller ones to zero) — where cpu's float64 sums hold
// them. A kernel checks each batch against these bounds before it enqueues it
// (the batch's magnitudes come with its checks, validateFeatureRows) and
// declines what would leave them, so cpu computes it instead of the GPU
// computing a wrong number silently; its running sums it settles (reads back
// into the host's float64) before they could pass the ceiling.

/** The largest magnitude a term or a running sum may reach: well below float32's 3.4e38. */
export const float32Ceiling = 1e36;

/** The smallest magnitude of a batch's largest term that keeps float-float's digits (its low part is ~2⁻²⁴ below it). */
export const float32Floor = 1e-20;

/** A positive weight below this is subnormal-adjacent in float32 (GPUs may flush it to 0). */
export const smallestWeight = 1e-30;

/** The batch's largest |value| and its smallest positive and largest weight (validateFeatureRows). */
export interface BatchMagnitudes {
  maxAbs: number;
  minWeight: number;
  maxWeight: number;
}

/**
 * Why float32 cannot hold a batch whose largest term is `term` (its weight included): it passes the ceiling, or
 * (when not 0) falls below the floor, or a weight is too small; undefined when it can.
 */
export function float32Refusal(term: number, m: BatchMagnitudes): string | undefined {
  if (!(term < float32Ceiling)) return `its products reach ${term.toExponential(1)}, past what float32 holds (${float32Ceiling}); cpu sums them in float64`;
  if (term > 0 && term < float32Floor) return `its largest product is ${term.toExponential(1)}, too small for float32 to keep its digits; cpu sums it in float64`;
  if (m.minWeight < smallestWeight) return `a weight of ${m.minWeight.toExponential(1)} is too small for float32 on a GPU; cpu takes it`;
  return undefined;
}

/** The largest |value| of an array (state-sized: an origin, the centres). */
export function largestMagnitude(values: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]));
  return largest;
}
