// cuda's linearLearnerUpdate: every model of a linear-learner state trained on
// the device (kernels/cuda/linear_learner/ll_update.cu). The weights, averages,
// optimizer moments, each feature's last step and the progressive metric sums
// live there from batch to batch; the host keeps what is cheap and sequential
// (the step and row counters, the class counts, the start of averaging) and
// computes each step's constants in float64 as cpu does (linear-learner-steps.ts).
// Nothing is read back until the state is settled (device-state.ts: the trainer
// does it at checkpoints and at the end of each pass).
//
// As under webgpu (webgpu-linear-learner-update.ts), a batch is checked on a
// libuv thread first with the cpu kernel's checks and messages
// (linearLearnerStepIndex), which also lists each step's touched features and
// their entries in row order for a sparse batch; batches whose rows refine the
// scaler (the first num_point_for_scaler rows) run on cpu by design, counted as
// cpuSteps.
//
// Accuracy: cpu's arithmetic — float64 scores, sums and catch-up, float32
// optimizer and proximal steps, cpu's float32 logistic loss — with two
// differences: dense scores and gradients are summed in float64 where cpu sums
// float32 tiles, and the GPU's exp and fused multiply-adds round differently.
// States agree with cpu's within cudaLlUpdateStateTolerance; being float64,
// nothing is declined for its range (webgpu declines values past 1e15).
import type { Batch } from '../data/batch.js';
import { keptBatchId } from '../data/kept-batches.js';
import type { CudaBackend } from './cuda.js';
import { linearSettingsArray } from './cuda-linear-learner.js';
import { declineOutOfMemory, settleAndDeclineOutOfMemory } from './cuda-out-of-memory.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { KernelDeclined, type LinearLearnerArrays, type LinearLearnerMetrics, type LinearLearnerSettings } from './kernels.js';
import { commitSteps, planSteps, stepIndexOf, type PlannedSteps } from './linear-learner-steps.js';
import { addFloat64SumsInto, noSum, sumsLayout } from './linear-learner-sums.js';
import { registerKernel } from './registry.js';
import { sharedCpuBackend } from './run-kernel.js';

/**
 * Agreement of a linear-learner state trained on cuda with cpu's: every weight, average and moment within relTol of the
 * largest magnitude of its array, the progressive sums within relTol of theirs. As for webgpu, not for losses with a
 * kink in their slope once a row's residual or margin falls within rounding of the kink.
 */
export const cudaLlUpdateStateTolerance = { relTol: 1e-5 } as const;

/** The addon's handle of one state on the device (kernels/cuda/linear_learner/ll_update_binding.cc). */
export type LinearUpdateHandle = { readonly __linearUpdate: unique symbol };

/** Doubles per step record (ll_update.cuh's kStepWords). */
const stepWords = 9;

/** ll_update.cuh's LinearPart order. */
function partsOf(a: LinearLearnerArrays): (Float32Array | null)[] {
  return [a.weights, a.average, a.moment1, a.moment2, a.bias, a.biasAverage, a.biasMoment1, a.biasMoment2, a.featureShift, a.featureScale,
    a.labelTransform, a.classWeight, a.averaged].map((array) => array ?? null);
}

/** ll_update.cuh's LinearStepKind: sgd with or without momentum, adam, rmsprop, adagrad. */
function stepKind(s: LinearLearnerSettings, a: LinearLearnerArrays): number {
  return s.optimizer === 0 ? (a.moment1 ? 1 : 0) : s.optimizer + 1;
}

/** One linear-learner state on the device, and the progressive sums of one metrics object. */
class CudaLinearLearnerOnDevice implements PendingOnDevice {
  readonly backend = 'cuda';
  get owner(): object {
    return this.gpu;
  }
  private readonly handle: LinearUpdateHandle;
  private readonly layout: { at: number[]; words: number };
  private released = false;

  constructor(private readonly gpu: CudaBackend, private readonly s: LinearLearnerSettings, private readonly host: LinearLearnerArrays,
    readonly metrics: LinearLearnerMetrics, readonly slot: Int32Array, public index: Uint32Array) {
    this.layout = sumsLayout(s, metrics, true);
    const at = Int32Array.from(this.layout.at, (words) => (words === noSum ? -1 : words / 2));
    const update = Float64Array.from([stepKind(s, host), s.beta1, s.beta2, s.momentum, s.epsilon]);
    try {
      this.handle = gpu.addon.linearUpdateOpen(linearSettingsArray(s, metrics), at, this.layout.words / 2, update, partsOf(host), host.lastStep!);
    } catch (error) {
      declineOutOfMemory('linearLearnerUpdate', error);
    }
    holdOnDevice(host.weights, this);
    holdOnDevice(metrics.lossSum, this);
    gpu.states.resident.add(this);
  }

  /** Enqueues one batch's steps; resolves once the host's arrays may be reused. */
  add(batch: Batch & { kind: 'dense' | 'sparse' }, plan: PlannedSteps<Float64Array>, touched: number): Promise<void> {
    const rows = batch.rows;
    const sparse = batch.kind === 'sparse';
    const beta1 = Math.fround(this.s.beta1);
    const beta2 = Math.fround(this.s.beta2);
    const steps = new Float64Array(plan.steps.length * stepWords);
    for (const [i, step] of plan.steps.entries()) {
      const first = sparse ? this.index[i] : 0;
      steps.set([step.rowBegin, step.rows, step.t, step.start, step.recency, first, sparse ? this.index[i + 1] - first : 0,
        1 - Math.pow(beta1, step.t), 1 - Math.pow(beta2, step.t)], i * stepWords);
    }
    const labels = batch.labels!.subarray(0, rows);
    const weights = batch.weights ? batch.weights.subarray(0, rows) : null;
    if (!sparse) {
      return this.gpu.addon.linearUpdateAdd(this.handle, labels, weights, batch.values.subarray(0, rows * this.s.dim), null, null, rows,
        null, 0, steps, plan.table, keptBatchId(batch));
    }
    const nnz = batch.indptr[rows];
    const indexWords = plan.steps.length + 1 + 2 * touched + 1 + 2 * nnz;
    return this.gpu.addon.linearUpdateAdd(this.handle, labels, weights, batch.values.subarray(0, nnz), batch.indptr.subarray(0, rows + 1),
      batch.indices.subarray(0, nnz), rows, this.index.subarray(0, indexWords), touched, steps, plan.table, keptBatchId(batch));
  }

  settle(): Promise<void> {
    return exclusiveOnDevice(this.host.weights, () => this.settleNow());
  }

  /** settle, for a caller already holding the state's exclusive turn (the kernel). */
  async settleNow(): Promise<void> {
    if (this.released) return;
    this.released = true;
    releaseOnDevice(this.host.weights, this);
    releaseOnDevice(this.metrics.lossSum, this);
    this.gpu.states.resident.delete(this);
    const sums = new Float64Array(this.layout.words / 2);
    try {
      await this.gpu.addon.linearUpdateRead(this.handle, partsOf(this.host), this.host.lastStep!, sums);
    } finally {
      this.gpu.addon.linearUpdateClose(this.handle);
    }
    addFloat64SumsInto(sums, this.layout, this.s, this.metrics);
  }
}

registerKernel<'linearLearnerUpdate', CudaBackend>('cuda', 'linearLearnerUpdate', (gpu, inputs) => gpu.states.run(inputs.state.weights, async () => {
  const { settings: s, state: a, batch, metrics } = inputs;
  let held = heldOnDevice<CudaLinearLearnerOnDevice>(a.weights);
  const decline = async (why: string): Promise<never> => {
    // cpu runs it on the host's arrays: they must hold every batch before it.
    await held?.settleNow();
    throw new KernelDeclined('linearLearnerUpdate', why);
  };
  if (batch.kind !== 'dense' && batch.kind !== 'sparse') return decline(`a ${batch.kind} batch has no rows of features`);
  if (!batch.labels || !a.counters || !a.lastStep || !a.learningRate || !a.wd || !a.l1) {
    // cpu's checks name what is missing.
    await held?.settleNow();
    return sharedCpuBackend().run('linearLearnerUpdate', inputs);
  }
  const { index, slot, result, stepClasses } = await stepIndexOf(s, a, batch, held);
  if (batch.rows === 0) return;
  if (a.counters[2] < s.scalerPoints) {
    // The scaler's sample is still being taken (float64 sums, refined step by step): cpu, by design.
    await held?.settleNow();
    gpu.counters.recordCpuStep('linearLearnerUpdate');
    return sharedCpuBackend().run('linearLearnerUpdate', inputs);
  }
  if (held && held.metrics.lossSum !== metrics.lossSum) {
    // Other sums (a later pass's): what the device holds goes to the host first.
    await held.settleNow();
    held = undefined;
  }
  held ??= new CudaLinearLearnerOnDevice(gpu, s, a, metrics, slot, index);
  held.index = index;
  const plan = planSteps(s, a, stepClasses, batch.rows, Float64Array);
  await settleAndDeclineOutOfMemory('linearLearnerUpdate', held, held.add(batch as Batch & { kind: 'dense' | 'sparse' }, plan, result[4]));
  commitSteps(a, plan);
}));
