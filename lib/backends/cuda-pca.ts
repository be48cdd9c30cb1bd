// cuda's pcaAccumulate and pcaRandomizedAccumulate: PCA's exact moments
// (algorithm_mode regular), or its randomized sketch Y = Σw(x − o)((x − o)ᵀΩ)
// with Σw‖x − o‖², summed on the device in float64 (kernels/cuda/pca/),
// batch after batch, with nothing
// read back per batch; the state's arrays get them when it is settled
// (device-state.ts), as under webgpu (webgpu-pca.ts). Each entry is summed by
// one GPU thread in row order: two runs give the same bits, and cpu's within
// float64 rounding (a different order of the same additions). Batches are
// checked first with the cpu kernel's checks and messages; sparse batches are
// declined (cpu adds them to the host arrays; the sums commute).
import type { DenseBatch } from '../data/batch.js';
import type { CudaBackend } from './cuda.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { declineOutOfMemory, settleAndDeclineOutOfMemory } from './cuda-out-of-memory.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { keptBatchId } from '../data/kept-batches.js';

type Moments = KernelInputs['pcaAccumulate']['moments'];
type Sketch = KernelInputs['pcaRandomizedAccumulate']['sketch'];

/** The addon's handle of one state's randomized sketch on the device (kernels/cuda/pca/pca_sketch_binding.cc). */
export type PcaSketchHandle = { readonly __pcaSketch: unique symbol };

/** The addon's handle of one state's moments on the device (kernels/cuda/pca/pca_moments_binding.cc). */
export type PcaMomentsHandle = { readonly __pcaMoments: unique symbol };

/** Agreement of cuda's PCA moments with cpu's (float64 both, summed in another order): relative to Σ|terms|. */
export const cudaPcaMomentsTolerance = { relTol: 1e-12 } as const;

class CudaMomentsOnDevice implements PendingOnDevice {
  readonly backend = 'cuda';
  get owner(): object {
    return this.gpu;
  }
  private readonly handle: PcaMomentsHandle;
  private released = false;
  private readonly origin: Float64Array | null;

  constructor(private readonly gpu: CudaBackend, private readonly moments: Moments, private readonly dim: number) {
    try {
      this.handle = gpu.addon.pcaMomentsOpen(dim);
    } catch (error) {
      declineOutOfMemory('pcaAccumulate', error);
    }
    this.origin = moments.origin ? Float64Array.from(moments.origin) : null;
    holdOnDevice(moments.cross, this);
    gpu.states.resident.add(this);
  }

  about(origin: Float64Array | undefined): boolean {
    for (let j = 0; j < this.dim; j++) if ((origin ? origin[j] : 0) !== (this.origin ? this.origin[j] : 0)) return false;
    return true;
  }

  add(batch: DenseBatch): Promise<void> {
    return this.gpu.addon.pcaMomentsAdd(this.handle, batch.values.subarray(0, batch.rows * this.dim),
      batch.weights ? batch.weights.subarray(0, batch.rows) : null, this.origin, batch.rows, keptBatchId(batch));
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.moments.cross, () => this.settleNow());
  }

  /** settle, for a caller already holding the state's exclusive turn (the kernel). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.moments.cross, this);
    this.gpu.states.resident.delete(this);
    try {
      await this.gpu.addon.pcaMomentsRead(this.handle, this.moments.count, this.moments.sum, this.moments.cross);
    } finally {
      this.gpu.addon.pcaMomentsClose(this.handle);
    }
  }
}

registerKernel<'pcaAccumulate', CudaBackend>('cuda', 'pcaAccumulate', (gpu, { moments, dim, batch }) => gpu.states.run(moments.cross, async () => {
  if (batch.kind === 'sparse') throw new KernelDeclined('pcaAccumulate', 'sparse rows: the cuda kernel takes dense rows (sparse products run on cpu)');
  if (batch.kind !== 'dense') throw new KernelDeclined('pcaAccumulate', `a ${batch.kind} batch has no rows of features`);
  // The cpu kernel's checks: the same errors, before anything is enqueued.
  await loadCoreAddon().validateFeatureRows(batch, dim, 'pcaAccumulate');
  if (batch.rows === 0) return;
  let held = heldOnDevice<CudaMomentsOnDevice>(moments.cross);
  if (held && !held.about(moments.origin)) {
    await held.settleNow();
    held = undefined;
  }
  held ??= new CudaMomentsOnDevice(gpu, moments, dim);
  await settleAndDeclineOutOfMemory('pcaAccumulate', held, held.add(batch));
}));

/** One state's randomized sketch on the device: Y, Σw·x, Σw and Σw‖x − o‖² of the batches since it was settled. */
class CudaSketchOnDevice implements PendingOnDevice {
  readonly backend = 'cuda';
  get owner(): object {
    return this.gpu;
  }
  private readonly handle: PcaSketchHandle;
  private released = false;
  private readonly origin: Float64Array | null;

  constructor(private readonly gpu: CudaBackend, private readonly sketch: Sketch, readonly omega: Float64Array, private readonly dim: number, ell: number) {
    this.origin = sketch.origin ? Float64Array.from(sketch.origin) : null;
    try {
      this.handle = gpu.addon.pcaSketchOpen(dim, ell, omega.subarray(0, dim * ell), this.origin);
    } catch (error) {
      declineOutOfMemory('pcaRandomizedAccumulate', error);
    }
    holdOnDevice(sketch.y, this);
    gpu.states.resident.add(this);
  }

  about(origin: Float64Array | undefined): boolean {
    for (let j = 0; j < this.dim; j++) if ((origin ? origin[j] : 0) !== (this.origin ? this.origin[j] : 0)) return false;
    return true;
  }

  add(batch: DenseBatch): Promise<void> {
    return this.gpu.addon.pcaSketchAdd(this.handle, batch.values.subarray(0, batch.rows * this.dim),
      batch.weights ? batch.weights.subarray(0, batch.rows) : null, batch.rows, keptBatchId(batch));
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.sketch.y, () => this.settleNow());
  }

  /** settle, for a caller already holding the state's exclusive turn (the kernel). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.sketch.y, this);
    this.gpu.states.resident.delete(this);
    try {
      await this.gpu.addon.pcaSketchRead(this.handle, this.sketch.count, this.sketch.sum, this.sketch.squares, this.sketch.y);
    } finally {
      this.gpu.addon.pcaSketchClose(this.handle);
    }
  }
}

registerKernel<'pcaRandomizedAccumulate', CudaBackend>('cuda', 'pcaRandomizedAccumulate', (gpu, { sketch, omega, dim, ell, batch }) => gpu.states.run(sketch.y, async () => {
  if (!(Number.isInteger(ell) && ell >= 1 && ell <= dim)) throw new RangeError(`pcaRandomizedAccumulate: ell must be in 1..${dim}`);
  let held = heldOnDevice<CudaSketchOnDevice>(sketch.y);
  if (batch.kind !== 'dense') {
    // cpu adds it to the host arrays, which must hold every batch before it.
    await held?.settleNow();
    throw new KernelDeclined('pcaRandomizedAccumulate', batch.kind === 'sparse'
      ? 'sparse rows: the cuda kernel takes dense rows (sparse products run on cpu)' : `a ${batch.kind} batch has no rows of features`);
  }
  // The cpu kernel's checks: the same errors, before anything is enqueued.
  await loadCoreAddon().validateFeatureRows(batch, dim, 'pcaRandomizedAccumulate');
  if (batch.rows === 0) return;
  if (held && (!held.about(sketch.origin) || held.omega !== omega)) {
    await held.settleNow();
    held = undefined;
  }
  held ??= new CudaSketchOnDevice(gpu, sketch, omega, dim, ell);
  await settleAndDeclineOutOfMemory('pcaRandomizedAccumulate', held, held.add(batch));
}));
