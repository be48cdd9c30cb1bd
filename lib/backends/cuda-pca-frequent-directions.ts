// cuda's pcaFrequentDirectionsAccumulate: PCA's Frequent Directions sketch
// (algorithm_mode frequent_directions) kept on the device — the 2ℓ × d buffer
// of rows √w·(x − o), shrunk there whenever it is full and a row arrives, with
// Σw·x, Σw and Σw‖x − o‖² (kernels/cuda/pca/pca_frequent_directions.cu). A
// shrink is four launches and no host round trip (the 2ℓ × 2ℓ Gram matrix is
// decomposed by one thread block, cyclic Jacobi), on cpu's schedule, so the
// sketch is cpu's up to rounding: BᵀB agrees within cudaFrequentDirectionsTolerance
// (the rows themselves may differ by an orthogonal mix: an eigenvector's sign
// is arbitrary). Nothing is read back per batch: the state's `rows` and
// `filled` are replaced, and its sums added to, when the state is settled
// (device-state.ts). Batches are checked first with the cpu kernel's checks and
// messages; sparse batches are declined (cpu inserts them into the settled
// host sketch).
import type { DenseBatch } from '../data/batch.js';
import type { CudaBackend } from './cuda.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { declineOutOfMemory, settleAndDeclineOutOfMemory } from './cuda-out-of-memory.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { keptBatchId } from '../data/kept-batches.js';

type Sketch = KernelInputs['pcaFrequentDirectionsAccumulate']['sketch'];

/** The addon's handle of one state's Frequent Directions sketch on the device (kernels/cuda/pca/pca_frequent_directions_binding.cc). */
export type PcaFrequentDirectionsHandle = { readonly __pcaFrequentDirections: unique symbol };

/**
 * Agreement of cuda's sketch with cpu's, as BᵀB (d × d): relative to the sketch's trace ‖B‖²_F. Both compute the same
 * shrinks in float64 with different eigensolvers (Jacobi here, Householder + QR on cpu) and summation orders, and each
 * shrink carries the last one's rounding forward, so the difference grows with the shrinks: on the CUDA emulation at
 * most 2.6e-15 over the tests' few shrinks (test/backends/gpu-pca-frequent-directions.test.ts), 4.0e-14 after 450
 * (5,000 rows of 64 features, ℓ = 10; bench/gpu-training.ts). A GPU's fused multiply-adds round differently again.
 */
export const cudaFrequentDirectionsTolerance = { relTol: 1e-12 } as const;

/** One state's sketch on the device, opened from the host's buffer; the host's copy is stale until settled. */
class CudaFrequentDirectionsOnDevice implements PendingOnDevice {
  readonly backend = 'cuda';
  get owner(): object {
    return this.gpu;
  }
  private readonly handle: PcaFrequentDirectionsHandle;
  private released = false;
  private readonly origin: Float64Array | null;

  constructor(private readonly gpu: CudaBackend, private readonly sketch: Sketch, private readonly dim: number, private readonly ell: number) {
    this.origin = sketch.origin ? Float64Array.from(sketch.origin) : null;
    try {
      this.handle = gpu.addon.pcaFrequentDirectionsOpen(dim, ell, sketch.rows.subarray(0, 2 * ell * dim), sketch.filled[0], this.origin);
    } catch (error) {
      declineOutOfMemory('pcaFrequentDirectionsAccumulate', error);
    }
    holdOnDevice(sketch.rows, this);
    gpu.states.resident.add(this);
  }

  /** Whether this copy was opened for the same ℓ and origin (a state's origin is set once, at its first batch). */
  fits(ell: number, origin: Float64Array | undefined): boolean {
    if (ell !== this.ell) return false;
    for (let j = 0; j < this.dim; j++) if ((origin ? origin[j] : 0) !== (this.origin ? this.origin[j] : 0)) return false;
    return true;
  }

  add(batch: DenseBatch): Promise<void> {
    return this.gpu.addon.pcaFrequentDirectionsAdd(this.handle, batch.values.subarray(0, batch.rows * this.dim),
      batch.weights ? batch.weights.subarray(0, batch.rows) : null, batch.rows, keptBatchId(batch));
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.sketch.rows, () => this.settleNow());
  }

  /** settle, for a caller already holding the state's exclusive turn (the kernel). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.sketch.rows, this);
    this.gpu.states.resident.delete(this);
    try {
      await this.gpu.addon.pcaFrequentDirectionsRead(this.handle, this.sketch.count, this.sketch.sum, this.sketch.squares,
        this.sketch.rows.subarray(0, 2 * this.ell * this.dim), this.sketch.filled);
    } finally {
      this.gpu.addon.pcaFrequentDirectionsClose(this.handle);
    }
  }
}

registerKernel<'pcaFrequentDirectionsAccumulate', CudaBackend>('cuda', 'pcaFrequentDirectionsAccumulate', (gpu, { sketch, dim, ell, batch }) =>
  gpu.states.run(sketch.rows, async () => {
    let held = heldOnDevice<CudaFrequentDirectionsOnDevice>(sketch.rows);
    if (batch.kind !== 'dense') {
      // cpu inserts it into the host's sketch, which must hold every batch before it.
      await held?.settleNow();
      throw new KernelDeclined('pcaFrequentDirectionsAccumulate', batch.kind === 'sparse'
        ? 'sparse rows: the cuda kernel takes dense rows (sparse products run on cpu)' : `a ${batch.kind} batch has no rows of features`);
    }
    // The cpu kernel's checks: the same errors, before anything is enqueued.
    await loadCoreAddon().validateFeatureRows(batch, dim, 'pcaFrequentDirectionsAccumulate');
    if (batch.rows === 0) return;
    if (held && !held.fits(ell, sketch.origin)) {
      await held.settleNow();
      held = undefined;
    }
    held ??= new CudaFrequentDirectionsOnDevice(gpu, sketch, dim, ell);
    await settleAndDeclineOutOfMemory('pcaFrequentDirectionsAccumulate', held, held.add(batch));
  }));
