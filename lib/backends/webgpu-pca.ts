// webgpu's pcaAccumulate: PCA's exact moments (algorithm_mode regular) summed
// on the device, batch after batch, with nothing read back per batch. What the
// batches add is held in float-float accumulators on the device
// (kernels/wgsl/pca/accumulate.wgsl) until the state is settled
// (device-state.ts): then it is read back once and added into the state's
// float64 arrays, and the device's copy is released. A batch is checked on a
// libuv thread first, with the cpu kernel's checks and messages, since work
// once enqueued cannot be taken back.
//
// Accuracy: each product w·(x_i − o_i)(x_j − o_j) is rounded to f32 and the
// sums over rows are compensated, so what a batch adds to an entry carries an
// error of about 4u·Σ|terms| (u = 2⁻²⁴), where cpu's float64 carries 1e-16 of it:
// the moments agree with cpu's within 1e-6 of Σ w|x_i − o_i||x_j − o_j| over the
// rows (pcaMomentsTolerance), and the products are about a point of the data
// (its first row), so data far from 0 keep their digits.
import type { Batch } from '../data/batch.js';
import { heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { encodePass, workgroupGrid } from './webgpu-dispatch.js';
import type { WebGpuBackend } from './webgpu.js';

/** Agreement of webgpu's PCA moments with cpu's: |M − M_cpu| ≤ relTol · Σ_rows w|x_i − o_i||x_j − o_j|. */
export const pcaMomentsTolerance = { relTol: 1e-6 } as const;

/** Rows one dispatch reads: a software adapter stops a shader's loops after 65,535 iterations in all. */
const rowsPerDispatch = 60_000;

type Moments = KernelInputs['pcaAccumulate']['moments'];

const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

/** One state's moments on one device: its accumulators and the buffers batches pass through. */
class PcaMomentsOnDevice implements PendingOnDevice {
  readonly backend = 'webgpu';
  private readonly triangle: number;
  private readonly acc: GPUBuffer;
  private rows: GPUBuffer | undefined;
  private aux: GPUBuffer | undefined;
  private readonly params: GPUBuffer;
  /** The last submission's completion: a call waits for the one before, so at most one batch is queued behind the GPU. */
  private done: Promise<unknown> = Promise.resolve();
  private released = false;
  /** The origin the products and sums are taken about, and its f32 hi and lo parts for the shader. */
  private readonly origin: Float64Array;
  private readonly originParts: Float32Array;

  constructor(private readonly gpu: WebGpuBackend, private readonly moments: Moments, private readonly dim: number) {
    this.triangle = (dim * (dim + 1)) / 2;
    this.origin = moments.origin ? Float64Array.from(moments.origin) : new Float64Array(dim);
    this.originParts = new Float32Array(2 * dim);
    for (let j = 0; j < dim; j++) {
      this.originParts[j] = Math.fround(this.origin[j]);
      this.originParts[dim + j] = this.origin[j] - this.originParts[j];
    }
    // New buffers are zeroed: the accumulators start empty.
    this.acc = gpu.device.createBuffer({ size: this.words() * 4, usage: storage(), label: 'pca moments' });
    this.params = gpu.device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'pca params' });
  }

  /** (hi, lo) pairs: the triangle, the sums, the count. */
  private words(): number {
    return 2 * (this.triangle + this.dim + 1);
  }

  /** Whether the state's origin is still the one this device's sums are about (it moves only on a settled state). */
  about(origin: Float64Array | undefined): boolean {
    for (let j = 0; j < this.dim; j++) if ((origin ? origin[j] : 0) !== this.origin[j]) return false;
    return true;
  }

  async add(batch: Extract<Batch, { kind: 'dense' }>): Promise<void> {
    const { device } = this.gpu;
    const d = this.dim;
    const rows = batch.rows;
    await this.done;
    const values = this.buffer('rows', rows * d * 4);
    device.queue.writeBuffer(values, 0, batch.values.buffer, batch.values.byteOffset, rows * d * 4);
    const weighted = batch.weights !== undefined;
    const aux = new Float32Array((weighted ? rows : 0) + 2 * d);
    if (batch.weights) aux.set(batch.weights.subarray(0, rows));
    aux.set(this.originParts, weighted ? rows : 0);
    const auxBuffer = this.buffer('aux', aux.byteLength);
    device.queue.writeBuffer(auxBuffer, 0, aux);
    const pipeline = await this.gpu.pipeline('pca/accumulate');
    const grid = workgroupGrid(this.triangle + d + 1);
    for (let first = 0; first < rows; first += rowsPerDispatch) {
      const count = Math.min(rowsPerDispatch, rows - first);
      // The last word is `zero` (accumulate.wgsl says why it comes from the host).
      device.queue.writeBuffer(this.params, 0, new Uint32Array([count, d, weighted ? 1 : 0, grid.x, first, this.triangle, rows, 0]));
      device.queue.submit([encodePass(device, pipeline, [values, auxBuffer, this.acc, this.params], grid).finish()]);
    }
    this.done = device.queue.onSubmittedWorkDone();
  }

  /** A batch-sized buffer, grown (never shrunk) once the work that used it is done. */
  private buffer(role: 'rows' | 'aux', bytes: number): GPUBuffer {
    const held = this[role];
    if (held && held.size >= bytes) return held;
    held?.destroy();
    const size = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(4, bytes))));
    const fitted = size <= this.gpu.bindingLimitBytes ? size : Math.ceil(bytes / 4) * 4;
    const buffer = this.gpu.device.createBuffer({ size: fitted, usage: storage(), label: `pca ${role}` });
    this[role] = buffer;
    return buffer;
  }

  async settle(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.moments.cross, this);
    this.gpu.resident.delete(this);
    const { device } = this.gpu;
    const bytes = this.words() * 4;
    const readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'pca read-back' });
    try {
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(this.acc, 0, readback, 0, bytes);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ, 0, bytes);
      this.addInto(new Float32Array(readback.getMappedRange(0, bytes)));
      readback.unmap();
    } finally {
      readback.destroy();
      for (const buffer of [this.acc, this.rows, this.aux, this.params]) buffer?.destroy();
    }
  }

  /**
   * Adds the accumulators (hi + lo, exact in float64) into the host's moments, state-sized work
   * once per settle. The device sums Σw(x − o), so that a weighted value far from 0 is not rounded
   * at its own magnitude; the host's Σw·x gets o·Σw added back in float64.
   */
  private addInto(v: Float32Array): void {
    const { cross, sum, count } = this.moments;
    const d = this.dim;
    let t = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++, t++) cross[i * d + j] += v[2 * t] + v[2 * t + 1];
    }
    const weight = v[2 * (t + d)] + v[2 * (t + d) + 1];
    for (let j = 0; j < d; j++, t++) sum[j] += v[2 * t] + v[2 * t + 1] + this.origin[j] * weight;
    count[0] += weight;
  }

  /** Why this device cannot hold PCA moments of `dim` features, or undefined. */
  static refusal(gpu: WebGpuBackend, dim: number): string | undefined {
    const bytes = 8 * ((dim * (dim + 1)) / 2 + dim + 1);
    if (bytes > gpu.bindingLimitBytes) {
      return `the moments of ${dim} features take ${bytes} bytes on the device, over this WebGPU device's storage binding limit of ${gpu.bindingLimitBytes} bytes`;
    }
    return undefined;
  }
}

registerKernel<'pcaAccumulate', WebGpuBackend>('webgpu', 'pcaAccumulate', async (gpu, { moments, dim, batch }) => {
  if (batch.kind === 'sparse') throw new KernelDeclined('pcaAccumulate', 'sparse rows: the webgpu kernel takes dense rows (sparse products run on cpu)');
  if (batch.kind !== 'dense') throw new KernelDeclined('pcaAccumulate', `a ${batch.kind} batch has no rows of features`);
  const refusal = PcaMomentsOnDevice.refusal(gpu, dim);
  if (refusal) throw new KernelDeclined('pcaAccumulate', refusal);
  if (batch.rows * dim * 4 > gpu.bindingLimitBytes) {
    throw new KernelDeclined('pcaAccumulate', `a batch of ${batch.rows} rows × ${dim} features is over this WebGPU device's storage binding limit of ${gpu.bindingLimitBytes} bytes`);
  }
  // The cpu kernel's checks, off the event loop: the same errors, before anything is enqueued.
  await loadCoreAddon().validateFeatureRows(batch, dim);
  if (batch.rows === 0) return;
  let held = heldOnDevice<PcaMomentsOnDevice>(moments.cross);
  if (held && !held.about(moments.origin)) {
    await held.settle();
    held = undefined;
  }
  if (!held) {
    held = new PcaMomentsOnDevice(gpu, moments, dim);
    holdOnDevice(moments.cross, held);
    gpu.resident.add(held);
  }
  await held.add(batch);
});
