// cuda's linearLearnerEvaluate: every model of a linear-learner state (a
// validation pass) or one finalized model (evaluate, a test channel) scores
// batches on the device (kernels/cuda/linear_learner/), and the metric sums
// stay there, in float64, until they are read. As under webgpu
// (webgpu-linear-learner.ts), the arrays a caller hands the kernel are one
// object for a whole pass: they go to the device with the first batch and are
// not read again, so a caller that changes them between batches must hand a
// new object. Nothing is read back per batch; the sums are added into the
// host's when they are settled (device-state.ts: the state validator's finish
// and the model evaluator's settle do it).
//
// Accuracy: cpu's arithmetic in float64 — each score summed from the bias over
// the features in order, each model's sums over the rows in order, one GPU
// thread per model — so there is nothing float32 cannot hold to decline. The
// sums agree with cpu's within cudaLlEvaluateTolerance (the GPU's exp, log and
// fused multiply-adds round differently from the host's). Batches are checked
// first with the cpu kernel's checks and messages.
import type { Batch } from '../data/batch.js';
import type { CudaBackend } from './cuda.js';
import { declineOutOfMemory, settleAndDeclineOutOfMemory } from './cuda-out-of-memory.js';
import { exclusiveOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { KernelDeclined, type LinearLearnerArrays, type LinearLearnerMetrics, type LinearLearnerSettings } from './kernels.js';
import { addFloat64SumsInto, centredSparseRefusal, noSum, sumsLayout } from './linear-learner-sums.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { keptBatchId } from '../data/kept-batches.js';

/** Agreement of cuda's evaluation sums with cpu's, relative to each sum's size (rows whose score ties a boundary aside). */
export const cudaLlEvaluateTolerance = { relTol: 1e-9 } as const;

/** The addon's handle of one evaluation pass on the device (kernels/cuda/linear_learner/ll_evaluate_binding.cc). */
export type LinearEvaluateHandle = { readonly __linearEvaluate: unique symbol };

/** The linear-learner bindings' settings array (kernels/cuda/linear_learner/ll_settings_arg.h). */
export function linearSettingsArray(s: LinearLearnerSettings, metrics: LinearLearnerMetrics): Float64Array {
  return Float64Array.from([s.dim, s.models, s.classes, s.loss, s.margin, s.quantile, s.insensitivity, s.huberDelta, s.useBias ? 1 : 0,
    metrics.histogram ? metrics.histogramBins ?? 0 : 0, metrics.histogramLogScale ? 1 : 0, metrics.topK ?? 0, metrics.threshold ?? 0]);
}

/** One evaluation pass on the device: the model's arrays and the sums of one metrics object. */
class CudaEvaluationOnDevice implements PendingOnDevice {
  readonly backend = 'cuda';
  get owner(): object {
    return this.gpu;
  }
  private readonly handle: LinearEvaluateHandle;
  private readonly layout: { at: number[]; words: number };
  private released = false;
  readonly checkResult = new Float64Array(4);

  constructor(private readonly gpu: CudaBackend, private readonly arrays: LinearLearnerArrays, private readonly s: LinearLearnerSettings,
    readonly metrics: LinearLearnerMetrics) {
    this.layout = sumsLayout(s, metrics);
    const width = s.models * s.classes;
    const at = Int32Array.from(this.layout.at, (words) => (words === noSum ? -1 : words / 2));
    const scaled = arrays.featureShift !== undefined && arrays.featureScale !== undefined;
    try {
      this.handle = gpu.addon.linearEvaluateOpen(linearSettingsArray(s, metrics), at, this.layout.words / 2, arrays.weights.subarray(0, s.dim * width),
        arrays.bias.subarray(0, width), scaled ? arrays.featureShift!.subarray(0, s.dim) : null, scaled ? arrays.featureScale!.subarray(0, s.dim) : null,
        arrays.labelTransform ? arrays.labelTransform.subarray(0, 2) : null);
    } catch (error) {
      declineOutOfMemory('linearLearnerEvaluate', error);
    }
    holdOnDevice(metrics.lossSum, this);
    gpu.states.resident.add(this);
  }

  add(batch: Batch & { kind: 'dense' | 'sparse' }): Promise<void> {
    const rows = batch.rows;
    const labels = batch.labels!.subarray(0, rows);
    const weights = batch.weights ? batch.weights.subarray(0, rows) : null;
    if (batch.kind === 'dense') {
      return this.gpu.addon.linearEvaluateAdd(this.handle, labels, weights, batch.values.subarray(0, rows * this.s.dim), null, null, rows,
        keptBatchId(batch));
    }
    const nnz = batch.indptr[rows];
    return this.gpu.addon.linearEvaluateAdd(this.handle, labels, weights, batch.values.subarray(0, nnz), batch.indptr.subarray(0, rows + 1),
      batch.indices.subarray(0, nnz), rows, keptBatchId(batch));
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.arrays, () => this.settleNow());
  }

  /** settle, for a caller already holding the arrays' exclusive turn (the kernel). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.metrics.lossSum, this);
    if (passes.get(this.arrays) === this) passes.delete(this.arrays);
    this.gpu.states.resident.delete(this);
    const sums = new Float64Array(this.layout.words / 2);
    try {
      await this.gpu.addon.linearEvaluateRead(this.handle, sums);
    } finally {
      this.gpu.addon.linearEvaluateClose(this.handle);
    }
    addFloat64SumsInto(sums, this.layout, this.s, this.metrics);
  }
}

/** The pass under way for each arrays object (what a call with the same arrays continues). */
const passes = new WeakMap<object, CudaEvaluationOnDevice>();

registerKernel<'linearLearnerEvaluate', CudaBackend>('cuda', 'linearLearnerEvaluate', (gpu, inputs) => gpu.states.run(inputs.state, async () => {
  const { settings: s, state: arrays, batch, metrics } = inputs;
  let held = passes.get(arrays);
  if (batch.kind !== 'dense' && batch.kind !== 'sparse') {
    // cpu adds it to the host's sums: they must hold every batch before it.
    await held?.settleNow();
    throw new KernelDeclined('linearLearnerEvaluate', `a ${batch.kind} batch has no rows of features`);
  }
  const centred = centredSparseRefusal(s, arrays, batch);
  if (centred) {
    await held?.settleNow();
    throw new KernelDeclined('linearLearnerEvaluate', centred);
  }
  // The cpu kernel's checks, off the event loop: the same errors, before anything is enqueued.
  await loadCoreAddon().linearLearnerCheck(s, batch, held?.checkResult ?? new Float64Array(4));
  if (batch.rows === 0) return;
  if (held && held.metrics !== metrics) {
    // Another set of sums: the ones held go to their arrays first.
    await held.settleNow();
    held = undefined;
  }
  if (!held) {
    held = new CudaEvaluationOnDevice(gpu, arrays, s, metrics);
    passes.set(arrays, held);
  }
  await settleAndDeclineOutOfMemory('linearLearnerEvaluate', held, held.add(batch));
}));
