// cuda's kmeansUpdate: streaming k-means with its state on the device
// (kernels/cuda/kmeans/): the centres, their weights, the refined model and the
// progressive cost sums live there from batch to batch; each batch is a
// sequence of kernels — the refined model's Lloyd steps (up to three, stopping
// once the assignment repeats, as on cpu), then the streaming centres'
// assignment, decay, move and reseeding. Nothing is read back per batch; the
// state's arrays get it all when the state is settled (device-state.ts).
//
// As under webgpu, two kinds of batch run on cpu inside this kernel, by design:
// the first batches, while the K centres are seeded on distinct rows
// (sequential sampling), and the few where a candidate reduction of the
// streaming centres is tried for the refined model. The state is settled
// first and goes back to the device on the next batch; those calls count as
// `cpuSteps` in metrics.kernels. Sparse rows are declined (after settling).
//
// Accuracy: float64 throughout, as cpu; a centre moves to (n·prior + Σw·x)/(n + m) with its sum in
// row order as cpu adds it. Distances are Σ(x − c)² in float64 (cpu may expand them), so a row
// whose two nearest centres are within float64 rounding of each other may go to the other one, and
// cost sums differ in rounding: states agree with cpu's within cudaKmeansStateTolerance.
import type { DenseBatch } from '../data/batch.js';
import type { CudaBackend } from './cuda.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { counter, modelCounter, needsCpu } from './kmeans-device-steps.js';
import { declineOutOfMemory, settleAndDeclineOutOfMemory } from './cuda-out-of-memory.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { sharedCpuBackend } from './run-kernel.js';
import { keptBatchId } from '../data/kept-batches.js';

/** Agreement of a k-means state trained on cuda with cpu's, relative to each tensor's scale (conformance data). */
export const cudaKmeansStateTolerance = { relTol: 1e-9 } as const;

/** The addon's handle of one k-means state on the device (kernels/cuda/kmeans/kmeans_update_binding.cc). */
export type KmeansHandle = { readonly __kmeans: unique symbol };

type Inputs = KernelInputs['kmeansUpdate'];
type Settings = Inputs['settings'];
type HostState = Inputs['state'];

/** One state's streaming centres and refined model on the device. */
class CudaKmeansOnDevice implements PendingOnDevice {
  readonly backend = 'cuda';
  get owner(): object {
    return this.gpu;
  }
  private readonly handle: KmeansHandle;
  private released = false;

  constructor(private readonly gpu: CudaBackend, private readonly host: HostState, private readonly s: Settings) {
    const { centers: K, modelK: k, dim: d } = s;
    try {
      this.handle = gpu.addon.kmeansOpen(K, k, d, host.centers.subarray(0, K * d), host.weights.subarray(0, K),
        host.modelCenters.subarray(0, k * d), host.modelWeights.subarray(0, k));
    } catch (error) {
      declineOutOfMemory('kmeansUpdate', error);
    }
    holdOnDevice(host.centers, this);
    gpu.states.resident.add(this);
  }

  add(batch: DenseBatch, modelActive: boolean): Promise<void> {
    return this.gpu.addon.kmeansAdd(this.handle, batch.values.subarray(0, batch.rows * this.s.dim),
      batch.weights ? batch.weights.subarray(0, batch.rows) : null, batch.rows, modelActive, this.s.halfLife, keptBatchId(batch));
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.host.centers, () => this.settleNow());
  }

  /** settle, for a caller already holding the state's exclusive turn (the kernel). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.host.centers, this);
    this.gpu.states.resident.delete(this);
    const { centers: K, modelK: k, dim: d } = this.s;
    const { host } = this;
    const sums = new Float64Array(5);  // cost sum and weight, the model's cost sum, weight and rows
    const reseeds = new Float64Array(1);
    try {
      await this.gpu.addon.kmeansRead(this.handle, host.centers.subarray(0, K * d), host.weights.subarray(0, K),
        host.modelCenters.subarray(0, k * d), host.modelWeights.subarray(0, k), sums, reseeds);
    } finally {
      this.gpu.addon.kmeansClose(this.handle);
    }
    host.counters[counter.costSum] += sums[0];
    host.counters[counter.costWeight] += sums[1];
    host.modelCounters[modelCounter.costSum] += sums[2];
    host.modelCounters[modelCounter.costWeight] += sums[3];
    host.modelCounters[modelCounter.rows] += sums[4];
    host.counters[counter.reseeds] += reseeds[0];
  }
}

registerKernel<'kmeansUpdate', CudaBackend>('cuda', 'kmeansUpdate', (gpu, inputs) => gpu.states.run(inputs.state.centers, async () => {
  const { settings: s, state: host, batch } = inputs;
  let held = heldOnDevice<CudaKmeansOnDevice>(host.centers);
  const decline = async (why: string): Promise<never> => {
    // cpu runs it on the host's arrays: they must hold every batch before it.
    await held?.settleNow();
    throw new KernelDeclined('kmeansUpdate', why);
  };
  if (batch.kind === 'sparse') return decline('sparse rows: the cuda kernel takes dense rows');
  if (batch.kind !== 'dense') return decline(`a ${batch.kind} batch has no rows of features`);
  // The cpu kernel's checks, off the event loop: the same errors, before anything is enqueued.
  await loadCoreAddon().validateFeatureRows(batch, s.dim, 'kmeansUpdate');
  if (batch.rows === 0) return;
  if (needsCpu(s, host, inputs.novel === true)) {
    await held?.settleNow();
    gpu.counters.recordCpuStep('kmeansUpdate');
    return sharedCpuBackend().run('kmeansUpdate', inputs);
  }
  held ??= new CudaKmeansOnDevice(gpu, host, s);
  await settleAndDeclineOutOfMemory('kmeansUpdate', held, held.add(batch, host.modelCounters[modelCounter.active] === 1));
  host.counters[counter.rows] += batch.rows;
}));
