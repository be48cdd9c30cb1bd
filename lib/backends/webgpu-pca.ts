// webgpu's PCA training kernels: the regular mode's exact moments
// (pcaAccumulate) and the randomized sketch (pcaRandomizedAccumulate) summed
// on the device, batch after batch, with nothing read back per batch. What the
// batches add is held in float-float accumulators on the device
// (kernels/wgsl/pca/) until the state is settled (device-state.ts): then it is
// read back once and added into the state's float64 arrays, and the device's
// copy is released. A batch is checked on a libuv thread first, with the cpu
// kernel's checks and messages, since work once enqueued cannot be taken back.
//
// Accuracy: each term (w·(x_i − o_i)(x_j − o_j), or w·(x_j − o_j)·t_c with t the
// row's projection onto the sketch's random signs, itself summed exactly enough)
// is rounded to f32 once and the sums over rows are compensated, so what a batch
// adds to an entry carries an error of about 4u·Σ|terms| (u = 2⁻²⁴), where cpu's
// float64 carries 1e-16 of it: the moments agree with cpu's within 1e-6 of the
// sum of their terms' magnitudes (pcaMomentsTolerance), and every product is about
// a point of the data (its first row), so data far from 0 keep their digits.
import type { DenseBatch } from '../data/batch.js';
import { heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { encodePass, workgroupGrid } from './webgpu-dispatch.js';
import type { WebGpuBackend } from './webgpu.js';

/** Agreement of webgpu's PCA sums with cpu's: |M − M_cpu| ≤ relTol · Σ over the rows of |each term|. */
export const pcaMomentsTolerance = { relTol: 1e-6 } as const;

/** Rows one dispatch reads: a software adapter stops a shader's loops after 65,535 iterations in all. */
const rowsPerDispatch = 60_000;

const storage = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

/** What both modes keep on the host: Σw, Σw·x, and the origin the products are about. */
interface HostSums {
  count: Float64Array;
  sum: Float64Array;
  origin?: Float64Array;
}

/**
 * One state's sums on one device: float-float accumulators (pairs of f32) for what batches add,
 * the buffers batches pass through, and the read-back that adds them into the host's arrays.
 */
abstract class SumsOnDevice implements PendingOnDevice {
  readonly backend = 'webgpu';
  protected readonly acc: GPUBuffer;
  protected readonly params: GPUBuffer;
  private values: GPUBuffer | undefined;
  private aux: GPUBuffer | undefined;
  private readonly scratch = new Map<string, GPUBuffer>();
  /** The last submission's completion: a call waits for the one before, so at most one batch is queued behind the GPU. */
  private done: Promise<unknown> = Promise.resolve();
  private released = false;
  /** The origin the sums are about, and its f32 hi and lo parts for the shaders. */
  protected readonly origin: Float64Array;
  private readonly originParts: Float32Array;

  constructor(protected readonly gpu: WebGpuBackend, private readonly key: object, protected readonly dim: number,
    origin: Float64Array | undefined, private readonly pairs: number) {
    this.origin = origin ? Float64Array.from(origin) : new Float64Array(dim);
    this.originParts = new Float32Array(2 * dim);
    for (let j = 0; j < dim; j++) {
      this.originParts[j] = Math.fround(this.origin[j]);
      this.originParts[dim + j] = this.origin[j] - this.originParts[j];
    }
    // New buffers are zeroed: the accumulators start empty.
    this.acc = gpu.device.createBuffer({ size: pairs * 8, usage: storage(), label: 'pca sums' });
    this.params = gpu.device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'pca params' });
    holdOnDevice(key, this);
    gpu.resident.add(this);
  }

  /** Whether the state's origin is still the one these sums are about (it moves only on a settled state). */
  about(origin: Float64Array | undefined): boolean {
    for (let j = 0; j < this.dim; j++) if ((origin ? origin[j] : 0) !== this.origin[j]) return false;
    return true;
  }

  /** Enqueues the batch's contribution; resolves once it is enqueued and the one before it has run. */
  async add(batch: DenseBatch): Promise<void> {
    const { device } = this.gpu;
    const { rows } = batch;
    const d = this.dim;
    await this.done;
    const values = this.buffer('values', rows * d * 4);
    device.queue.writeBuffer(values, 0, batch.values.buffer, batch.values.byteOffset, rows * d * 4);
    const weighted = batch.weights !== undefined;
    const aux = new Float32Array((weighted ? rows : 0) + 2 * d);
    if (batch.weights) aux.set(batch.weights.subarray(0, rows));
    aux.set(this.originParts, weighted ? rows : 0);
    const auxBuffer = this.buffer('aux', aux.byteLength);
    device.queue.writeBuffer(auxBuffer, 0, aux);
    for (let first = 0; first < rows; first += rowsPerDispatch) {
      const count = Math.min(rowsPerDispatch, rows - first);
      // rows, cols, weighted, groups_x (set by encode), first, total, the kernel's own word, zero.
      const words = new Uint32Array([count, d, weighted ? 1 : 0, 0, first, rows, 0, 0]);
      device.queue.submit(await this.encode(values, auxBuffer, words));
    }
    this.done = device.queue.onSubmittedWorkDone();
  }

  /** The command buffers adding rows [first, first + rows) (words: the uniform block to complete and write). */
  protected abstract encode(values: GPUBuffer, aux: GPUBuffer, words: Uint32Array): Promise<GPUCommandBuffer[]>;

  /** Adds the read-back accumulators (hi, lo pairs) into the host's arrays. */
  protected abstract addInto(pairs: Float32Array): void;

  /** A pair's value (hi + lo: exact in float64). */
  protected static pair(v: Float32Array, at: number): number {
    return v[2 * at] + v[2 * at + 1];
  }

  /** Adds Σw and Σw(x − o) (pairs at `at`: the d sums, then Σw) into the host's Σw·x and Σw. */
  protected addSums(v: Float32Array, at: number, sums: HostSums): void {
    const weight = SumsOnDevice.pair(v, at + this.dim);
    for (let j = 0; j < this.dim; j++) sums.sum[j] += SumsOnDevice.pair(v, at + j) + this.origin[j] * weight;
    sums.count[0] += weight;
  }

  /** A batch-sized buffer, grown (never shrunk); growing waits for no one, as the queue keeps a destroyed buffer until its work is done. */
  protected buffer(role: string, bytes: number): GPUBuffer {
    const held = role === 'values' ? this.values : role === 'aux' ? this.aux : this.scratch.get(role);
    if (held && held.size >= bytes) return held;
    held?.destroy();
    const size = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(4, bytes))));
    const fitted = size <= this.gpu.bindingLimitBytes ? size : Math.ceil(bytes / 4) * 4;
    const buffer = this.gpu.device.createBuffer({ size: fitted, usage: storage(), label: `pca ${role}` });
    if (role === 'values') this.values = buffer;
    else if (role === 'aux') this.aux = buffer;
    else this.scratch.set(role, buffer);
    return buffer;
  }

  /** Writes the uniform block of one dispatch (its grid's width in word 3). */
  protected writeParams(words: Uint32Array, grid: { x: number }): void {
    words[3] = grid.x;
    this.gpu.device.queue.writeBuffer(this.params, 0, words);
  }

  async settle(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.key, this);
    this.gpu.resident.delete(this);
    const { device } = this.gpu;
    const bytes = this.pairs * 8;
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
      for (const buffer of [this.acc, this.params, this.values, this.aux, ...this.scratch.values()]) buffer?.destroy();
    }
  }
}

type Moments = KernelInputs['pcaAccumulate']['moments'];

/** The regular mode: Σw(x − o)(x − o)ᵀ's lower triangle, Σw(x − o), Σw (kernels/wgsl/pca/accumulate.wgsl). */
class MomentsOnDevice extends SumsOnDevice {
  private readonly triangle: number;

  constructor(gpu: WebGpuBackend, private readonly moments: Moments, dim: number) {
    super(gpu, moments.cross, dim, moments.origin, (dim * (dim + 1)) / 2 + dim + 1);
    this.triangle = (dim * (dim + 1)) / 2;
  }

  static bytes(dim: number): number {
    return 8 * ((dim * (dim + 1)) / 2 + dim + 1);
  }

  protected async encode(values: GPUBuffer, aux: GPUBuffer, words: Uint32Array): Promise<GPUCommandBuffer[]> {
    const grid = workgroupGrid(this.triangle + this.dim + 1);
    words[6] = this.triangle;
    this.writeParams(words, grid);
    const pipeline = await this.gpu.pipeline('pca/accumulate');
    return [encodePass(this.gpu.device, pipeline, [values, aux, this.acc, this.params], grid).finish()];
  }

  protected addInto(v: Float32Array): void {
    const { cross } = this.moments;
    const d = this.dim;
    let t = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++, t++) cross[i * d + j] += SumsOnDevice.pair(v, t);
    }
    this.addSums(v, t, this.moments);
  }
}

type Sketch = KernelInputs['pcaRandomizedAccumulate']['sketch'];

/**
 * The randomized sketch: Y = Σw(x − o)((x − o)ᵀΩ), Σw(x − o), Σw, Σw‖x − o‖² (kernels/wgsl/pca/
 * sketch_project.wgsl, then sketch_accumulate.wgsl). Ω (±1) goes to the device once.
 */
class SketchOnDevice extends SumsOnDevice {
  private readonly omega: GPUBuffer;

  constructor(gpu: WebGpuBackend, private readonly sketch: Sketch, omega: Float64Array, dim: number, private readonly ell: number) {
    super(gpu, sketch.y, dim, sketch.origin, dim * ell + dim + 2);
    this.omega = this.buffer('omega', dim * ell * 4);
    gpu.device.queue.writeBuffer(this.omega, 0, Float32Array.from(omega.subarray(0, dim * ell)));
  }

  static bytes(dim: number, ell: number): number {
    return 8 * (dim * ell + dim + 2);
  }

  protected async encode(values: GPUBuffer, aux: GPUBuffer, words: Uint32Array): Promise<GPUCommandBuffer[]> {
    const { device } = this.gpu;
    const rows = words[0];
    words[6] = this.ell;
    const t = this.buffer('projections', rows * (this.ell + 1) * 8);
    // The two passes share the uniform block but not their grid widths: two submissions.
    const projectGrid = workgroupGrid(rows * (this.ell + 1));
    this.writeParams(words, projectGrid);
    const project = encodePass(device, await this.gpu.pipeline('pca/sketch_project'), [values, aux, this.omega, t, this.params], projectGrid).finish();
    device.queue.submit([project]);
    const accumulateGrid = workgroupGrid(this.dim * this.ell + this.dim + 2);
    this.writeParams(words.slice(), accumulateGrid);
    return [encodePass(device, await this.gpu.pipeline('pca/sketch_accumulate'), [values, aux, t, this.acc, this.params], accumulateGrid).finish()];
  }

  protected addInto(v: Float32Array): void {
    const { y, squares } = this.sketch;
    const cells = this.dim * this.ell;
    for (let i = 0; i < cells; i++) y[i] += SumsOnDevice.pair(v, i);
    this.addSums(v, cells, this.sketch);
    squares[0] += SumsOnDevice.pair(v, cells + this.dim + 1);
  }
}

/** Declines what the device kernels do not take; runs the cpu kernel's batch checks off the event loop. */
async function admit(gpu: WebGpuBackend, kernel: 'pcaAccumulate' | 'pcaRandomizedAccumulate', batch: KernelInputs['pcaAccumulate']['batch'],
  dim: number, stateBytes: number, loopLength: number): Promise<DenseBatch | undefined> {
  if (batch.kind === 'sparse') throw new KernelDeclined(kernel, 'sparse rows: the webgpu kernel takes dense rows (sparse products run on cpu)');
  if (batch.kind !== 'dense') throw new KernelDeclined(kernel, `a ${batch.kind} batch has no rows of features`);
  const limit = gpu.bindingLimitBytes;
  if (stateBytes > limit) throw new KernelDeclined(kernel, `its sums take ${stateBytes} bytes on the device, over this WebGPU device's storage binding limit of ${limit} bytes`);
  if (batch.rows * dim * 4 > limit) throw new KernelDeclined(kernel, `a batch of ${batch.rows} rows × ${dim} features is over this WebGPU device's storage binding limit of ${limit} bytes`);
  if (gpu.details.software === true && loopLength > rowsPerDispatch) {
    throw new KernelDeclined(kernel, `a loop of ${loopLength} iterations: this software adapter stops a shader's loops after 65,535`);
  }
  // The cpu kernel's checks: the same errors, before anything is enqueued.
  await loadCoreAddon().validateFeatureRows(batch, dim);
  return batch.rows === 0 ? undefined : batch;
}

/** The device's sums for the state keyed by `key`, made afresh when there are none or the origin moved. */
async function onDevice<T extends SumsOnDevice>(key: object, origin: Float64Array | undefined, make: () => T): Promise<T> {
  const held = heldOnDevice<T>(key);
  if (held?.about(origin)) return held;
  await held?.settle();
  return make();
}

registerKernel<'pcaAccumulate', WebGpuBackend>('webgpu', 'pcaAccumulate', async (gpu, { moments, dim, batch }) => {
  const rows = await admit(gpu, 'pcaAccumulate', batch, dim, MomentsOnDevice.bytes(dim), 0);
  if (!rows) return;
  const held = await onDevice(moments.cross, moments.origin, () => new MomentsOnDevice(gpu, moments, dim));
  await held.add(rows);
});

registerKernel<'pcaRandomizedAccumulate', WebGpuBackend>('webgpu', 'pcaRandomizedAccumulate', async (gpu, { sketch, omega, dim, ell, batch }) => {
  if (!(Number.isInteger(ell) && ell >= 1 && ell <= dim)) throw new RangeError(`pcaRandomizedAccumulate: ell must be in 1..${dim}`);
  const rows = await admit(gpu, 'pcaRandomizedAccumulate', batch, dim, SketchOnDevice.bytes(dim, ell), dim);
  if (!rows) return;
  const held = await onDevice(sketch.y, sketch.origin, () => new SketchOnDevice(gpu, sketch, omega, dim, ell));
  await held.add(rows);
});
