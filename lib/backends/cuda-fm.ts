// cuda's fmUpdate, fmEvaluate and fmRecommend: factorization machines trained and scored
// with their state on the device (kernels/cuda/factorization_machines/). The
// parameters, optimizer moments, each feature's lazy-decay step and two sets of
// metric sums (progressive and validation, say) stay there from batch to
// batch; nothing is read back per batch: the state's arrays get it all when
// the state is settled (device-state.ts). As under webgpu (webgpu-fm.ts), a
// batch is checked on a libuv thread first with the cpu kernel's checks and
// messages, and the same call groups a sparse batch's non-zeros by feature in
// row order (a feature's gradient is then one pass over its own entries, summed
// in the order cpu sums them).
//
// Accuracy: cpu's arithmetic — float64 scores, factor sums, gradients and
// metric sums, float32 optimizer steps, cpu's own Adam corrections — so states
// agree with cpu's within cudaFmStateTolerance (the GPU's exp and fused
// multiply-adds round differently), and nothing is declined for its range.
import type { Batch } from '../data/batch.js';
import type { CudaBackend } from './cuda.js';
import { declineOutOfMemory, settleAndDeclineOutOfMemory } from './cuda-out-of-memory.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { KernelDeclined, type FmKernelMetrics, type FmKernelSettings, type FmKernelState, type FmStepInputs } from './kernels.js';
import { FmDeviceSlots, addLabelMoments, featureIndexResultLength, repeatedIndices } from './fm-device-slots.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { sharedCpuBackend } from './run-kernel.js';
import { keptBatchId } from '../data/kept-batches.js';

/** Agreement of a factorization-machine state trained on cuda with cpu's: every parameter and moment within relTol of its array's largest magnitude. */
export const cudaFmStateTolerance = { relTol: 1e-5 } as const;

/** The addon's handle of one state on the device (kernels/cuda/factorization_machines/fm_step_binding.cc). */
export type FmHandle = { readonly __fm: unique symbol };

/** Doubles per metric slot per model: loss, weight, tp, fp, tn, fn (fm_step.cuh's kFmSlotWords). */
const slotWords = 6;

/** fm_step.cuh's FmPart order. */
function partsOf(h: FmKernelState): (Float32Array | null)[] {
  return [h.bias, h.linear, h.factors, h.biasM1, h.linearM1, h.factorsM1, h.biasM2, h.linearM2, h.factorsM2].map((array) => array ?? null);
}

/** One factorization-machine state on the device. */
class CudaFmOnDevice implements PendingOnDevice {
  readonly backend = 'cuda';
  get owner(): object {
    return this.gpu;
  }
  private readonly handle: FmHandle;
  private released = false;
  readonly models: number;
  private readonly held: FmDeviceSlots;
  readonly checkResult = new Float64Array(featureIndexResultLength);

  constructor(private readonly gpu: CudaBackend, private readonly host: FmKernelState, private readonly s: FmKernelSettings, index: Uint32Array) {
    this.held = new FmDeviceSlots(this, index);
    this.models = s.models.length / 8;
    const settings = Float64Array.from([s.loss, s.optimizer, s.decay, s.dim, s.eps, s.beta1, s.beta2, s.clipGradient, s.rescaleGrad]);
    try {
      this.handle = gpu.addon.fmOpen(settings, s.models, partsOf(host), host.lastStep);
    } catch (error) {
      declineOutOfMemory('fmUpdate', error);
    }
    holdOnDevice(host.bias, this);
    gpu.states.resident.add(this);
  }

  /** The slot that adds to `metrics` (-1 for none), or undefined when both are taken by other targets. */
  slotFor(metrics: FmKernelMetrics | null): number | undefined {
    return this.held.slotFor(metrics, -1);
  }

  indexFor(nnz: number): Uint32Array {
    return this.held.indexFor(nnz);
  }

  get slots() {
    return this.held.targets;
  }

  add(batch: Batch & { kind: 'dense' | 'sparse' }, touched: number, step: number, training: boolean, slot: number): Promise<void> {
    const rows = batch.rows;
    const labels = batch.labels!.subarray(0, rows);
    const weights = batch.weights ? batch.weights.subarray(0, rows) : null;
    if (batch.kind === 'dense') {
      return this.gpu.addon.fmAdd(this.handle, labels, weights, batch.values.subarray(0, rows * this.s.dim), null, null, rows, null, 0, step, training, slot,
        keptBatchId(batch));
    }
    const nnz = batch.indptr[rows];
    return this.gpu.addon.fmAdd(this.handle, labels, weights, batch.values.subarray(0, nnz), batch.indptr.subarray(0, rows + 1), batch.indices.subarray(0, nnz),
      rows, this.held.indexFor(nnz).subarray(0, 2 * touched + 1 + 2 * nnz), touched, step, training, slot, keptBatchId(batch));
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.host.bias, () => this.settleNow());
  }

  /** settle, for a caller already holding the state's exclusive turn (the kernel). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.host.bias, this);
    for (const slot of this.slots) if (slot) releaseOnDevice(slot.loss, this);
    this.gpu.states.resident.delete(this);
    const sums = new Float64Array(2 * this.models * slotWords);
    try {
      await this.gpu.addon.fmRead(this.handle, partsOf(this.host), this.host.lastStep, sums);
    } finally {
      this.gpu.addon.fmClose(this.handle);
    }
    const models = this.models;
    for (const [s, slot] of this.slots.entries()) {
      if (!slot) continue;
      const base = s * models * slotWords;
      for (let m = 0; m < models; m++) {
        slot.loss[m] += sums[base + m];
        slot.weight[m] += sums[base + models + m];
        if (slot.confusion) for (let c = 0; c < 4; c++) slot.confusion[4 * m + c] += sums[base + 2 * models + 4 * m + c];
      }
    }
  }
}

function runStep(gpu: CudaBackend, inputs: FmStepInputs, training: boolean): Promise<void> {
  const kernel = training ? 'fmUpdate' : 'fmEvaluate';
  return gpu.states.run(inputs.state.bias, async () => {
    const { settings: s, state: host, batch, metrics } = inputs;
    let held = heldOnDevice<CudaFmOnDevice>(host.bias);
    if (batch.kind !== 'dense' && batch.kind !== 'sparse') {
      // cpu runs it on the host's arrays: they must hold every batch before it.
      await held?.settleNow();
      throw new KernelDeclined(kernel, `a ${batch.kind} batch has no rows of features`);
    }
    if (!training && !metrics) throw new TypeError('fmStep: evaluation needs metrics');
    const nnz = batch.kind === 'sparse' ? batch.indptr[batch.rows] : 0;
    // The cpu kernel's checks (the same errors, before anything is enqueued) and the feature index, off the event loop.
    const index = held ? held.indexFor(nnz) : new Uint32Array(4 * nnz + 1);
    const result = held?.checkResult ?? new Float64Array(featureIndexResultLength);
    await loadCoreAddon().fmFeatureIndex(s, batch, host.slot, index, result);
    if (batch.rows === 0) return;
    const repeated = repeatedIndices(result);
    if (repeated) {
      // cpu runs it on the host's arrays: they must hold every batch before it.
      await held?.settleNow();
      throw new KernelDeclined(kernel, repeated);
    }
    if (held && held.slotFor(metrics) === undefined) {
      // A third set of metric sums: the two held go to their arrays first.
      await held.settleNow();
      held = undefined;
    }
    held ??= new CudaFmOnDevice(gpu, host, s, index);
    const step = host.counters[0];
    await settleAndDeclineOutOfMemory(kernel, held, held.add(batch, result[0], step, training, held.slotFor(metrics)!));
    addLabelMoments(metrics, result);
    if (training) {
      host.counters[0] = step + 1;
      host.counters[1] += batch.rows;
    }
  });
}

/** A batch's rows as the addon's fmRecommend takes them: values, and for CSR rows indptr and indices. */
function featureRows(batch: Batch & { kind: 'dense' | 'sparse' }, dim: number): [Float32Array, Int32Array | null, Uint32Array | null] {
  if (batch.kind === 'dense') return [batch.values.subarray(0, batch.rows * dim), null, null];
  const nnz = batch.indptr[batch.rows];
  return [batch.values.subarray(0, nnz), batch.indptr.subarray(0, batch.rows + 1), batch.indices.subarray(0, nnz)];
}

// fmRecommend: every candidate scored on the device as the row user ∪ item, the top n picked on a libuv thread
// (kernels/cuda/factorization_machines/fm_recommend.cu); cpu's checks and messages first.
registerKernel<'fmRecommend', CudaBackend>('cuda', 'fmRecommend', async (gpu, inputs) => {
  const { model, user, items, indices, scores } = inputs;
  if (user.kind === 'series' || items.kind === 'series' || user.rows !== 1 || model.linear.length !== model.dim
    || model.factors.length !== model.dim * model.k || scores.length !== indices.length || indices.length > items.rows) {
    // cpu's own error for these (it throws); should it take them after all, it runs them.
    await sharedCpuBackend().run('fmRecommend', inputs);
    throw new KernelDeclined('fmRecommend', 'inputs the cuda kernel cannot lay out');
  }
  const core = loadCoreAddon();
  await core.validateFeatureRows(user, model.dim, 'fmRecommend');
  await core.validateFeatureRows(items, model.dim, 'fmRecommend');
  // The row user ∪ item naming an index twice is scored with the values summed (cpu); this kernel sums entry by entry.
  const toMerge = await core.fmRowsToMerge(user, items);
  if (toMerge > 0) throw new KernelDeclined('fmRecommend', 'candidates name an index the user names (or one twice), which cpu merges (their values summed) and this kernel does not');
  const params = Float64Array.from([model.dim, model.k, model.bias, model.logistic ? 1 : 0]);
  await gpu.addon.fmRecommend(model.linear, model.factors, params, ...featureRows(user, model.dim), ...featureRows(items, model.dim), items.rows, indices, scores)
    .catch((error) => declineOutOfMemory('fmRecommend', error));
});

registerKernel<'fmUpdate', CudaBackend>('cuda', 'fmUpdate', (gpu, inputs) => runStep(gpu, inputs, true));
registerKernel<'fmEvaluate', CudaBackend>('cuda', 'fmEvaluate', (gpu, inputs) => runStep(gpu, inputs, false));
