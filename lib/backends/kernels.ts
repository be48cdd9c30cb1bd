// The kernels every backend implements, with their input and output types
// and the one place their inputs are validated. A kernel is looked up by
// (backend, name) in the registry; adding a kernel means adding it here and
// registering an implementation per backend.

/** out[r·models + m] = bias[m] + Σ_c x[r·cols + c] · w[m·cols + c] — one dot per row and model. */
export interface DenseLinearInputs {
  /** rows × cols, row-major. */
  x: Float32Array;
  /** models × cols, row-major (one weight vector per model). */
  w: Float32Array;
  /** models entries, or null for no bias. */
  bias?: Float32Array | null;
  rows: number;
  cols: number;
  models: number;
  /** rows × models; allocated when absent. */
  out?: Float32Array;
}

export interface KernelInputs {
  denseLinear: DenseLinearInputs;
}

export interface KernelOutputs {
  denseLinear: Float32Array;
}

export type KernelName = keyof KernelInputs;

export const kernelNames: readonly KernelName[] = ['denseLinear'];

/**
 * Agreement between backends for denseLinear: |y − y_cpu| ≤ relTol · Σ_c |x_c·w_c| + absTol.
 * Float32 sums in a different order (SIMD lanes, GPU trees, fused multiply-adds) differ by
 * about √cols · 2⁻²⁴ of the absolute sum; the bound leaves a wide margin above that while an
 * indexing or reduction bug shows up as an error of order one.
 */
export const denseLinearTolerance = { relTol: 1e-5, absTol: 1e-6 } as const;

function requireInteger(kernel: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${kernel}: ${name} must be a non-negative integer, got ${value}`);
  }
}

function requireFloat32(kernel: string, name: string, value: unknown, length: number): void {
  if (!(value instanceof Float32Array)) {
    const given = value === null ? 'null' : (value as object)?.constructor?.name ?? typeof value;
    throw new TypeError(`${kernel}: ${name} must be a Float32Array, got ${given}`);
  }
  if (value.length !== length) {
    throw new RangeError(`${kernel}: ${name} has length ${value.length}, expected ${length}`);
  }
}

/** Checks shapes and types; returns the output array to fill. */
export function validateDenseLinear(inputs: DenseLinearInputs): Float32Array {
  const { rows, cols, models } = inputs;
  requireInteger('denseLinear', 'rows', rows);
  requireInteger('denseLinear', 'cols', cols);
  requireInteger('denseLinear', 'models', models);
  requireFloat32('denseLinear', 'x', inputs.x, rows * cols);
  requireFloat32('denseLinear', 'w', inputs.w, models * cols);
  if (inputs.bias != null) requireFloat32('denseLinear', 'bias', inputs.bias, models);
  if (inputs.out !== undefined) {
    requireFloat32('denseLinear', 'out', inputs.out, rows * models);
    return inputs.out;
  }
  return new Float32Array(rows * models);
}
