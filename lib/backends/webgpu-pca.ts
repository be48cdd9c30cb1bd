// webgpu's PCA training kernels: the regular mode's exact moments
// (pcaAccumulate) and the randomized sketch (pcaRandomizedAccumulate) summed
// on the device, batch after batch, with nothing read back per batch. What the
// batches add is held in float-float accumulators on the device
// (kernels/wgsl/pca/) until the state is settled (device-state.ts): then it is
// read back once and added into the state's float64 arrays, and the device's
// copy is released. A batch is checked on a libuv thread first, with the cpu
// kernel's checks and messages, since work once enqueued cannot be taken back.
//
// Accuracy: every term (w·(x_i − o_i)(x_j − o_j), or w·(x_j − o_j)·t_c with t the
// row's projection onto the sketch's random signs) is float-float: the
// differences exact, the products to about 44 bits, the sums over rows
// compensated, so what a batch adds to an entry carries about 2⁻⁴³·Σ|terms|
// where cpu's float64 carries 2⁻⁵³ of it, however far a row lies from the
// origin. The device's sums are about its own origin, the mean of the first
// batch it takes, and the host moves them to the state's origin (its first row,
// which may be an outlier) in float64 when it reads them. The moments agree
// with cpu's within 1e-6 of the sum of their terms' magnitudes
// (pcaMomentsTolerance), for terms within float32's range: a batch whose
// products would pass float32-range.ts's ceiling or fall below its floor, or
// whose weights are too small for float32, is declined (cpu adds it), and the
// device's running sums are settled before they could overflow.
import type { Batch, DenseBatch } from '../data/batch.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { float32Ceiling, float32Refusal, largestMagnitude } from './float32-range.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { encodePass, workgroupGrid } from './webgpu-dispatch.js';
import { GrowingBuffers, readBackInto, storageUsage } from './webgpu-resident.js';
import type { WebGpuBackend } from './webgpu.js';

/** Agreement of webgpu's PCA sums with cpu's: |M − M_cpu| ≤ relTol · Σ over the rows of |each term|. */
export const pcaMomentsTolerance = { relTol: 1e-6 } as const;

/** Rows one dispatch reads: a software adapter stops a shader's loops after 65,535 iterations in all. */
const rowsPerDispatch = 60_000;


/** What both modes keep on the host: Σw, Σw·x, and the origin o their products are about (absent: 0). */
interface HostSums {
  count: Float64Array;
  sum: Float64Array;
  origin?: Float64Array;
}

/** The device's sums moved to the host's origin: δ = o′ − o, m′ = Σw(x − o′), W = Σw (the rank-one terms' parts). */
interface Moved {
  delta: Float64Array;
  m: Float64Array;
  weight: number;
}

/**
 * One state's sums on one device: float-float accumulators (pairs of f32) for what batches add,
 * the buffers batches pass through, and the read-back that adds them into the host's arrays.
 */
abstract class SumsOnDevice implements PendingOnDevice {
  readonly backend = 'webgpu';
  get owner(): object {
    return this.gpu;
  }
  protected readonly acc: GPUBuffer;
  protected readonly params: GPUBuffer;
  private readonly buffers: GrowingBuffers;
  /** The last submission's completion: a call waits for the one before, so at most one batch is queued behind the GPU. */
  private done: Promise<unknown> = Promise.resolve();
  private released = false;
  /** A bound on the largest running sum the accumulators hold (Σ over the batches of rows × their largest term). */
  private bound = 0;
  /**
   * The device's own origin o′, float32 values: the mean of the first batch it took. Its sums are about o′ and the
   * host moves them to the state's origin when it reads them (float64 rank-one terms, as merge moves shards): a
   * state's origin is its first row, which may lie far from the rest (an outlier, a row of weight 0), and sums
   * about a far point lose float-float's digits to cancellation where float64's keep enough.
   */
  readonly origin: Float64Array;
  private readonly originParts: Float32Array;

  constructor(protected readonly gpu: WebGpuBackend, private readonly key: object, protected readonly dim: number,
    origin: Float64Array, private readonly pairs: number) {
    this.origin = origin.map(Math.fround);
    this.originParts = new Float32Array(2 * dim);  // hi, then lo: 0 (o′ is a float32 point)
    this.originParts.set(this.origin);
    // New buffers are zeroed: the accumulators start empty.
    this.acc = gpu.device.createBuffer({ size: pairs * 8, usage: storageUsage(), label: 'pca sums' });
    this.buffers = new GrowingBuffers(gpu, 'pca');
    this.params = gpu.device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'pca params' });
    holdOnDevice(key, this);
    gpu.states.resident.add(this);
  }

  /** Whether the accumulators can take sums up to `bound` more without passing float32's range. */
  fits(bound: number): boolean {
    return this.bound + bound < float32Ceiling;
  }

  /**
   * Enqueues the batch's contribution (`bound`: rows × its largest term); resolves once it is enqueued and the one
   * before it has run. A command the device refuses is an error, not a batch silently skipped.
   */
  async add(batch: DenseBatch, bound: number): Promise<void> {
    const { device } = this.gpu;
    const { rows } = batch;
    const d = this.dim;
    this.bound += bound;
    await this.done;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const values = this.buffer('values', rows * d * 4);
    this.gpu.queue.writeBuffer(values, 0, batch.values.buffer, batch.values.byteOffset, rows * d * 4);
    const weighted = batch.weights !== undefined;
    const aux = new Float32Array((weighted ? rows : 0) + 2 * d);
    if (batch.weights) aux.set(batch.weights.subarray(0, rows));
    aux.set(this.originParts, weighted ? rows : 0);
    const auxBuffer = this.buffer('aux', aux.byteLength);
    this.gpu.queue.writeBuffer(auxBuffer, 0, aux);
    for (let first = 0; first < rows; first += rowsPerDispatch) {
      const count = Math.min(rowsPerDispatch, rows - first);
      // rows, cols, weighted, groups_x (set by encode), first, total, the kernel's own word, zero.
      const words = new Uint32Array([count, d, weighted ? 1 : 0, 0, first, rows, 0, 0]);
      this.gpu.queue.submit(await this.encode(values, auxBuffer, words));
    }
    const error = (await device.popErrorScope()) ?? (await device.popErrorScope());
    if (error) throw new Error(`webgpu: the device refused PCA's batch (${error.message.split('\n')[0]})`);
    this.done = this.gpu.queue.onSubmittedWorkDone();
  }

  /** The command buffers adding rows [first, first + rows) (words: the uniform block to complete and write). */
  protected abstract encode(values: GPUBuffer, aux: GPUBuffer, words: Uint32Array): Promise<GPUCommandBuffer[]>;

  /** Adds the read-back accumulators (hi, lo pairs) into the host's arrays. */
  protected abstract addInto(pairs: Float32Array): void;

  /** A pair's value (hi + lo: exact in float64). */
  protected static pair(v: Float32Array, at: number): number {
    return v[2 * at] + v[2 * at + 1];
  }

  /**
   * Adds Σw and Σw(x − o′) (pairs at `at`: the d sums, then Σw) into the host's Σw·x and Σw, and returns what moving
   * the products from o′ to the host's origin needs.
   */
  protected addSums(v: Float32Array, at: number, sums: HostSums): Moved {
    const weight = SumsOnDevice.pair(v, at + this.dim);
    const m = new Float64Array(this.dim);
    const delta = new Float64Array(this.dim);
    for (let j = 0; j < this.dim; j++) {
      m[j] = SumsOnDevice.pair(v, at + j);
      delta[j] = this.origin[j] - (sums.origin ? sums.origin[j] : 0);
      sums.sum[j] += m[j] + this.origin[j] * weight;
    }
    sums.count[0] += weight;
    return { delta, m, weight };
  }

  /** A batch-sized buffer by role (GrowingBuffers). */
  protected buffer(role: string, bytes: number): GPUBuffer {
    return this.buffers.get(role, bytes);
  }

  /** Writes the uniform block of one dispatch (its grid's width in word 3). */
  protected writeParams(words: Uint32Array, grid: { x: number }): void {
    words[3] = grid.x;
    this.gpu.queue.writeBuffer(this.params, 0, words);
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.key, () => this.settleNow());
  }

  /** settle, for a caller already holding the state's exclusive turn (the kernels). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.key, this);
    this.gpu.states.resident.delete(this);
    try {
      await readBackInto(this.gpu, this.acc, this.pairs * 8, "PCA's sums", (mapped) => this.addInto(new Float32Array(mapped)));
    } finally {
      for (const buffer of [this.acc, this.params]) buffer.destroy();
      this.buffers.destroy();
    }
  }
}

type Moments = KernelInputs['pcaAccumulate']['moments'];

/** The regular mode: Σw(x − o)(x − o)ᵀ's lower triangle, Σw(x − o), Σw (kernels/wgsl/pca/accumulate.wgsl). */
class MomentsOnDevice extends SumsOnDevice {
  private readonly triangle: number;

  constructor(gpu: WebGpuBackend, private readonly moments: Moments, dim: number, origin: Float64Array) {
    super(gpu, moments.cross, dim, origin, (dim * (dim + 1)) / 2 + dim + 1);
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

  /** Σw(x − o)(x − o)ᵀ = C′ + m′δᵀ + δm′ᵀ + Wδδᵀ for the device's C′ about o′ (lower triangle). */
  protected addInto(v: Float32Array): void {
    const { cross } = this.moments;
    const d = this.dim;
    const { delta, m, weight } = this.addSums(v, (d * (d + 1)) / 2, this.moments);
    let t = 0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++, t++) {
        cross[i * d + j] += SumsOnDevice.pair(v, t) + m[i] * delta[j] + delta[i] * m[j] + weight * delta[i] * delta[j];
      }
    }
  }
}

type Sketch = KernelInputs['pcaRandomizedAccumulate']['sketch'];

/**
 * The randomized sketch: Y = Σw(x − o)((x − o)ᵀΩ), Σw(x − o), Σw, Σw‖x − o‖² (kernels/wgsl/pca/
 * sketch_project.wgsl, then sketch_accumulate.wgsl). Ω (±1) goes to the device once.
 */
class SketchOnDevice extends SumsOnDevice {
  private readonly omega: GPUBuffer;

  constructor(gpu: WebGpuBackend, private readonly sketch: Sketch, private readonly signs: Float64Array, dim: number,
    private readonly ell: number, origin: Float64Array) {
    super(gpu, sketch.y, dim, origin, dim * ell + dim + 2);
    this.omega = this.buffer('omega', dim * ell * 4);
    this.gpu.queue.writeBuffer(this.omega, 0, Float32Array.from(signs.subarray(0, dim * ell)));
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
    this.gpu.queue.submit([project]);
    const accumulateGrid = workgroupGrid(this.dim * this.ell + this.dim + 2);
    this.writeParams(words.slice(), accumulateGrid);
    return [encodePass(device, await this.gpu.pipeline('pca/sketch_accumulate'), [values, aux, t, this.acc, this.params], accumulateGrid).finish()];
  }

  /**
   * Moved from o′ to o: Y = Y′ + m′(δᵀΩ) + δ(m′ᵀΩ) + Wδ(δᵀΩ) and Σw‖x − o‖² = S′ + 2δ·m′ + W‖δ‖².
   */
  protected addInto(v: Float32Array): void {
    const { y, squares } = this.sketch;
    const { dim: d, ell } = this;
    const cells = d * ell;
    const { delta, m, weight } = this.addSums(v, cells, this.sketch);
    const project = (u: Float64Array) => {
      const out = new Float64Array(ell);
      for (let j = 0; j < d; j++) for (let c = 0; c < ell; c++) out[c] += u[j] * this.signs[j * ell + c];
      return out;
    };
    const deltaOmega = project(delta);
    const mOmega = project(m);
    for (let j = 0; j < d; j++) {
      for (let c = 0; c < ell; c++) {
        y[j * ell + c] += SumsOnDevice.pair(v, j * ell + c) + m[j] * deltaOmega[c] + delta[j] * mOmega[c] + weight * delta[j] * deltaOmega[c];
      }
    }
    let cross = 0;
    let norm = 0;
    for (let j = 0; j < d; j++) {
      cross += delta[j] * m[j];
      norm += delta[j] * delta[j];
    }
    squares[0] += SumsOnDevice.pair(v, cells + d + 1) + 2 * cross + weight * norm;
  }
}

/** What the device kernels decline before they look at the values: kinds of batch, and buffers past the binding limit. */
function shapeRefusal(gpu: WebGpuBackend, batch: Batch, dim: number, bytes: number[], loopLength: number): string | undefined {
  if (batch.kind === 'sparse') return 'sparse rows: the webgpu kernel takes dense rows (sparse products run on cpu)';
  if (batch.kind !== 'dense') return `a ${batch.kind} batch has no rows of features`;
  const limit = gpu.bindingLimitBytes;
  const largest = Math.max(batch.rows * dim * 4, (batch.rows + 2 * dim) * 4, ...bytes);
  if (largest > limit) return `it needs a buffer of ${largest} bytes on the device, over this WebGPU device's storage binding limit of ${limit} bytes`;
  if (gpu.details.software === true && loopLength > rowsPerDispatch) return `a loop of ${loopLength} iterations: this software adapter stops a shader's loops after 65,535`;
  return undefined;
}

/**
 * The batch, checked as cpu checks it, if the device takes it (undefined: nothing to add); KernelDeclined when it
 * does not. `terms`: the largest term of a row, given the bound on |x − o| and the largest weight.
 */
async function admit(gpu: WebGpuBackend, kernel: 'pcaAccumulate' | 'pcaRandomizedAccumulate', key: object, batch: Batch, dim: number,
  bytes: number[], loopLength: number, terms: (scale: number, weight: number) => number) {
  const refused = shapeRefusal(gpu, batch, dim, bytes, loopLength);
  if (refused) throw new KernelDeclined(kernel, refused);
  const held = heldOnDevice<SumsOnDevice>(key);
  // The cpu kernel's checks, off the event loop: the same errors, before anything is enqueued. A first batch also
  // gives the device its origin: the batch's mean.
  const magnitudes = await loadCoreAddon().validateFeatureRows(batch, dim, kernel, !held);
  if (batch.rows === 0) return undefined;
  const origin = held?.origin ?? magnitudes.mean!;
  const scale = magnitudes.maxAbs + largestMagnitude(origin);  // |x − o′| at most
  const term = terms(scale, magnitudes.maxWeight);
  const outOfRange = float32Refusal(term, magnitudes);
  if (outOfRange) throw new KernelDeclined(kernel, outOfRange);
  const bound = batch.rows * Math.max(term, magnitudes.maxWeight * scale, magnitudes.maxWeight);
  return { batch: batch as DenseBatch, bound, origin };
}

/** The device's sums for the state keyed by `key`, made afresh (about the same origin) when there are none or they would overflow. */
async function onDevice<T extends SumsOnDevice>(key: object, bound: number, make: () => T): Promise<T> {
  const held = heldOnDevice<T>(key);
  if (held?.fits(bound)) return held;
  await held?.settleNow();
  return make();
}

registerKernel<'pcaAccumulate', WebGpuBackend>('webgpu', 'pcaAccumulate', (gpu, { moments, dim, batch }) =>
  gpu.states.run(moments.cross, async () => {
    const admitted = await admit(gpu, 'pcaAccumulate', moments.cross, batch, dim, [MomentsOnDevice.bytes(dim)], 0,
      (scale, weight) => weight * scale * scale);
    if (!admitted) return;
    const held = await onDevice(moments.cross, admitted.bound, () => new MomentsOnDevice(gpu, moments, dim, admitted.origin));
    await held.add(admitted.batch, admitted.bound);
  }));

registerKernel<'pcaRandomizedAccumulate', WebGpuBackend>('webgpu', 'pcaRandomizedAccumulate', (gpu, { sketch, omega, dim, ell, batch }) =>
  gpu.states.run(sketch.y, async () => {
    if (!(Number.isInteger(ell) && ell >= 1 && ell <= dim)) throw new RangeError(`pcaRandomizedAccumulate: ell must be in 1..${dim}`);
    const projections = Math.min(batch.rows, rowsPerDispatch) * (ell + 1) * 8;
    // y's terms: w·|x_j − o_j|·|t_c| with |t_c| ≤ d·max|x − o|; the squares' too.
    const admitted = await admit(gpu, 'pcaRandomizedAccumulate', sketch.y, batch, dim, [SketchOnDevice.bytes(dim, ell), projections, dim * ell * 4],
      dim, (scale, weight) => weight * dim * scale * scale);
    if (!admitted) return;
    const held = await onDevice(sketch.y, admitted.bound, () => new SketchOnDevice(gpu, sketch, omega, dim, ell, admitted.origin));
    await held.add(admitted.batch, admitted.bound);
  }));
