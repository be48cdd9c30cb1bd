// webgpu's linearLearnerEvaluate: every model of a linear-learner state (a
// validation pass) or one finalized model (evaluate, a test channel) scores
// batches on the device, and the metric sums stay there until they are read.
// The arrays a caller hands the kernel are one object for a whole pass (the
// cpu kernel prepares them once too): they go to the device with the first
// batch and are not read again, so a caller that changes them between batches
// must hand a new object. A batch is one command buffer of two passes
// (kernels/wgsl/linear_learner/evaluate.wgsl); nothing is read back until the
// sums are settled (device-state.ts: the state validator's finish and the model
// evaluator's settle do it), then everything of the pass is released.
//
// Accuracy: each score is a float-float sum of exact products of the scaled
// values (rounded to f32 as cpu rounds them) and the weights, so it carries
// about 44 bits where cpu's float64 carries 53; losses are f32 of it. The sums
// agree with cpu's within 1e-6 of their size (llEvaluateTolerance); a row whose
// score lies within f32's rounding of the threshold, of 0 or of a histogram
// bin's edge may count on the other side (cpu's float64 score decides there).
// Batches float32 cannot score run on cpu: scores that may pass 1e30 (bounded
// from the batch's largest value and the model's weights, scales and bias), a
// regressor's scores and labels on the original scale past 1e15 (residuals are
// squared), row weights past 1e30 or weighted terms past 1e34, products all
// below 1e-30. The device's sums are settled before they could pass 1e36.
import type { Batch } from '../data/batch.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { largestMagnitude } from './float32-range.js';
import { KernelDeclined, type LinearLearnerArrays, type LinearLearnerMetrics, type LinearLearnerSettings, type LinearLearnerStep } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { addSumsInto, centredSparseRefusal, sumsLayout } from './linear-learner-sums.js';
import { registerKernel } from './registry.js';
import { workgroupGrid } from './webgpu-dispatch.js';
import { GrowingBuffers, readBackInto, sharedLayout, storageUsage } from './webgpu-resident.js';
import type { WebGpuBackend } from './webgpu.js';

/** Agreement of webgpu's evaluation sums with cpu's, relative to each sum's size (rows on a boundary aside). */
export const llEvaluateTolerance = { relTol: 1e-6 } as const;

/** A software adapter stops a shader's loops after 65,535 iterations in all. */
const softwareLoopLimit = 60_000;
/** Products past this (or all below its inverse) run on cpu: float32 cannot hold the scores. */
const productCeiling = 1e30;
/** A regressor's scores and labels past this run on cpu: their squared residuals near float32's range. */
const regressionCeiling = 1e15;
/** Loss codes from here on are regression losses (native/algorithms/linear_learner/linear_learner.h). */
const regressionLosses = 3;
const paramsBytes = 144;
const blockBytes = 256;


const layoutOf = (gpu: WebGpuBackend) => sharedLayout(gpu, 'linear_learner/evaluate', ['read', 'read', 'write', 'write', 'uniform']);

/** The model words: weights, bias, then the scaler's shift and scale, then the label transform. */
function modelWords(s: LinearLearnerSettings, arrays: LinearLearnerArrays): Float32Array {
  const width = s.models * s.classes;
  const scaled = arrays.featureShift !== undefined && arrays.featureScale !== undefined;
  const words = new Float32Array(s.dim * width + width + (scaled ? 2 * s.dim : 0) + (arrays.labelTransform ? 2 : 0));
  words.set(arrays.weights.subarray(0, s.dim * width));
  words.set(arrays.bias.subarray(0, width), s.dim * width);
  if (scaled) {
    words.set(arrays.featureShift!.subarray(0, s.dim), s.dim * width + width);
    words.set(arrays.featureScale!.subarray(0, s.dim), s.dim * width + width + s.dim);
  }
  if (arrays.labelTransform) words.set(arrays.labelTransform.subarray(0, 2), words.length - 2);
  return words;
}

/** What bounds a product x'·w of the model: |x'| ≤ (|x| + shift)·scale, |w| ≤ weight. */
interface ModelScale {
  weight: number;
  shift: number;
  scale: number;
}

function modelScaleOf(arrays: LinearLearnerArrays): ModelScale {
  return {
    weight: Math.max(largestMagnitude(arrays.weights), largestMagnitude(arrays.bias)),
    shift: arrays.featureShift ? largestMagnitude(arrays.featureShift) : 0,
    scale: arrays.featureScale ? largestMagnitude(arrays.featureScale) : 1,
  };
}

/** One evaluation pass on one device: the model's arrays, the sums of one metrics object, the buffers batches use. */
class EvaluationOnDevice implements PendingOnDevice {
  readonly backend = 'webgpu';
  get owner(): object {
    return this.gpu;
  }
  private readonly model: GPUBuffer;
  private readonly sums: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly layout: { at: number[]; words: number };
  private readonly buffers: GrowingBuffers;
  private done: Promise<unknown> = Promise.resolve();
  private released = false;
  readonly checkResult = new Float64Array(4);
  /** A bound on every sum the device holds: Σ over batches of rows × the largest weighted term. */
  bound = 0;

  /** modelScale: modelScaleOf(arrays), which the caller has measured. */
  constructor(private readonly gpu: WebGpuBackend, private readonly arrays: LinearLearnerArrays, private readonly s: LinearLearnerSettings,
    readonly metrics: LinearLearnerMetrics, readonly modelScale: ModelScale) {
    const words = modelWords(s, arrays);
    this.model = gpu.device.createBuffer({ size: Math.max(16, words.byteLength), usage: storageUsage(), label: 'linear-learner model' });
    this.buffers = new GrowingBuffers(gpu, 'linear-learner');
    gpu.queue.writeBuffer(this.model, 0, words);
    this.layout = sumsLayout(s, metrics);
    // Created zeroed: the sums of this pass start at 0 and are added into the host's when settled.
    this.sums = gpu.device.createBuffer({ size: this.layout.words * 4, usage: storageUsage(), label: 'linear-learner sums' });
    this.params = gpu.device.createBuffer({ size: 2 * blockBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'linear-learner params' });
    holdOnDevice(metrics.lossSum, this);
    gpu.states.resident.add(this);
  }

  /** Enqueues one batch's two passes; resolves once they are enqueued and the batch before has run. */
  async add(batch: Batch & { kind: 'dense' | 'sparse' }): Promise<void> {
    const { device } = this.gpu;
    const s = this.s;
    const rows = batch.rows;
    const width = s.models * s.classes;
    const sparse = batch.kind === 'sparse';
    const nnz = sparse ? batch.indptr[rows] : 0;
    const weighted = batch.weights !== undefined;
    await this.done;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const valuesAt = rows * (weighted ? 2 : 1);
    const buffer = this.buffers.get('batch', Math.max(4, valuesAt + (sparse ? rows + 1 + 2 * nnz : rows * s.dim)) * 4);
    const write = (at: number, array: ArrayBufferView, words: number) => {
      if (words > 0) this.gpu.queue.writeBuffer(buffer, at * 4, array.buffer, array.byteOffset, words * 4);
    };
    write(0, batch.labels!, rows);
    if (weighted) write(rows, batch.weights!, rows);
    if (sparse) {
      write(valuesAt, batch.indptr, rows + 1);
      write(valuesAt + rows + 1, batch.indices, nnz);
      write(valuesAt + rows + 1 + nnz, batch.values, nnz);
    } else {
      write(valuesAt, batch.values, rows * s.dim);
    }
    const work = this.buffers.get('work', Math.max(4, 2 * rows * width) * 4);
    const grids = [workgroupGrid(rows * width), workgroupGrid(s.models)];
    this.writeParams(grids.map((grid) => grid.x), { rows, sparse, nnz, weighted, valuesAt });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const [n, entry] of ['scores', 'metrics'].entries()) {
      pass.setPipeline(await this.gpu.pipeline('linear_learner/evaluate', entry, layoutOf(this.gpu).pipeline));
      pass.setBindGroup(0, device.createBindGroup({
        layout: layoutOf(this.gpu).group,
        entries: [
          { binding: 0, resource: { buffer } }, { binding: 1, resource: { buffer: this.model } },
          { binding: 2, resource: { buffer: this.sums } }, { binding: 3, resource: { buffer: work } },
          { binding: 4, resource: { buffer: this.params, offset: n * blockBytes, size: paramsBytes } },
        ],
      }));
      pass.dispatchWorkgroups(grids[n].x, grids[n].y);
    }
    pass.end();
    this.gpu.queue.submit([encoder.finish()]);
    const error = (await device.popErrorScope()) ?? (await device.popErrorScope());
    if (error) throw new Error(`webgpu: the device refused the linear learner's batch (${error.message.split('\n')[0]})`);
    this.done = this.gpu.queue.onSubmittedWorkDone();
  }

  /** The two passes' uniform blocks (evaluate.wgsl's Params), which differ only in their grid's width. */
  private writeParams(groupsX: number[], v: { rows: number; sparse: boolean; nnz: number; weighted: boolean; valuesAt: number }): void {
    const { s, metrics, arrays } = this;
    const bytes = new ArrayBuffer(2 * blockBytes);
    const threshold = metrics.threshold ?? 0;
    const thresholdHi = Math.fround(threshold);
    for (const [n, x] of groupsX.entries()) {
      const u32 = new Uint32Array(bytes, n * blockBytes, paramsBytes / 4);
      const f32 = new Float32Array(bytes, n * blockBytes, paramsBytes / 4);
      u32.set([v.rows, s.dim, s.models, s.classes, v.sparse ? 1 : 0, v.nnz, v.weighted ? 1 : 0, s.loss,
        arrays.featureScale ? 1 : 0, arrays.labelTransform ? 1 : 0, x, 0,
        metrics.histogramBins ?? 0, metrics.histogramLogScale ? 1 : 0, metrics.topK ?? 0, s.useBias ? 1 : 0]);
      f32.set([s.margin, s.quantile, s.insensitivity, s.huberDelta, thresholdHi, threshold - thresholdHi], 16);
      u32.set([v.valuesAt, 0], 22);
      u32.set(this.layout.at, 24);
    }
    this.gpu.queue.writeBuffer(this.params, 0, bytes);
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
    try {
      await readBackInto(this.gpu, this.sums, this.layout.words * 4, "the linear learner's evaluation sums", (mapped) => addSumsInto(new Float32Array(mapped), this.layout, this.s, this.metrics));
    } finally {
      for (const buffer of [this.model, this.sums, this.params]) buffer.destroy();
      this.buffers.destroy();
    }
  }
}

/** The pass under way for each arrays object (what a call with the same arrays continues). */
const passes = new WeakMap<object, EvaluationOnDevice>();

/** The weighted terms' ceiling: one row's, and all the device holds (settled before they pass it). */
const termCeiling = 1e34;
const sumCeiling = 1e36;
/** Row weights past this run on cpu (float-float products split them by 4097). */
const weightCeiling = 1e30;

/**
 * The largest term a row adds to any sum (its weight times its loss, squared error or 1), from bounds on its scores
 * (|s| ≤ scoreBound), labels and weight; and why float32 cannot hold the batch's terms, if it cannot. A regressor's
 * residuals are on the original label scale: s / label scale + label shift − y, then squared.
 */
function rangeOf(s: LinearLearnerSettings, arrays: LinearLearnerArrays, scoreBound: number, label: number, weight: number): { term: number; refusal?: string } {
  if (!(weight <= weightCeiling)) return { term: Infinity, refusal: `its row weights reach ${weight.toExponential(1)}: past ${weightCeiling.toExponential(0)}, near float32's range; cpu takes them in float64` };
  let term: number;
  if (s.loss >= regressionLosses) {
    const t = arrays.labelTransform;
    const residual = (t ? scoreBound / Math.abs(t[1]) + Math.abs(t[0]) : scoreBound) + label;
    if (!(residual <= regressionCeiling)) {
      return { term: Infinity, refusal: `its scores and labels on the original scale may reach ${residual.toExponential(1)}: past ${regressionCeiling.toExponential(0)} for a regressor, whose residuals are squared; cpu takes them in float64` };
    }
    term = weight * Math.max(1, residual * residual);
  } else {
    if (!(scoreBound <= productCeiling)) return { term: Infinity, refusal: `its scores may reach ${scoreBound.toExponential(1)}: outside what float32 scores hold; cpu scores in float64` };
    term = weight * Math.max(1, 2 * scoreBound + s.margin + Math.log(s.classes) + 1);
  }
  if (!(term <= termCeiling)) return { term, refusal: `its rows' weighted losses may reach ${term.toExponential(1)}: past ${termCeiling.toExponential(0)}, near float32's range; cpu takes them in float64` };
  return { term };
}

/** Why the device cannot take these inputs (before the batch is checked), or undefined. */
function refusal(gpu: WebGpuBackend, inputs: LinearLearnerStep): string | undefined {
  const { settings: s, batch, metrics } = inputs;
  if (batch.kind !== 'dense' && batch.kind !== 'sparse') return `a ${batch.kind} batch has no rows of features`;
  if (!batch.labels) return undefined;  // cpu's check names it
  const width = s.models * s.classes;
  const nnz = batch.kind === 'sparse' ? batch.indptr[batch.rows] : 0;
  const words = Math.max(s.dim * width + width + 2 * s.dim + 2, sumsLayout(s, metrics).words, 2 * batch.rows * width,
    2 * batch.rows + (batch.kind === 'sparse' ? batch.rows + 1 + 2 * nnz : batch.rows * s.dim));
  if (4 * words > gpu.bindingLimitBytes) return `its buffers need ${4 * words} bytes, over this WebGPU device's storage binding limit of ${gpu.bindingLimitBytes} bytes`;
  return undefined;
}

registerKernel<'linearLearnerEvaluate', WebGpuBackend>('webgpu', 'linearLearnerEvaluate', (gpu, inputs) => gpu.states.run(inputs.state, async () => {
  const { settings: s, state: arrays, batch, metrics } = inputs;
  let held = passes.get(arrays);
  const decline = async (why: string): Promise<never> => {
    // cpu adds this batch to the host's sums: they must hold every batch before it.
    await held?.settleNow();
    throw new KernelDeclined('linearLearnerEvaluate', why);
  };
  const refused = centredSparseRefusal(s, arrays, batch) ?? refusal(gpu, inputs);
  if (refused) return decline(refused);
  const result = held?.checkResult ?? new Float64Array(4);
  await loadCoreAddon().linearLearnerCheck(s, batch, result);
  if (batch.rows === 0) return;
  const [longestRow, largest, largestLabel, heaviest] = [result[0], result[1], result[2], result[3]];
  const loops = Math.max(longestRow, batch.rows * s.classes * 2);
  if (gpu.details.software === true && loops > softwareLoopLimit) return decline(`a loop of ${loops} iterations: this software adapter stops a shader's loops after 65,535`);
  if (held && held.metrics !== metrics) {
    // Another set of sums: the ones held go to their arrays first.
    await held.settleNow();
    held = undefined;
  }
  const m = held?.modelScale ?? modelScaleOf(arrays);
  const product = (largest + m.shift) * m.scale * m.weight;
  if (product > 0 && product < 1 / productCeiling) {
    return decline(`its products of values, scales and weights are at most ${product.toExponential(1)}: below what float32 scores hold; cpu scores in float64`);
  }
  const range = rangeOf(s, arrays, product * longestRow + m.weight, largestLabel, heaviest);
  if (range.refusal) return decline(range.refusal);
  const bound = batch.rows * range.term;
  if (held && !(held.bound + bound < sumCeiling)) {
    // The sums held would pass float32's range with this batch: they go to the host's float64 first.
    await held.settleNow();
    held = undefined;
  }
  if (!held) {
    held = new EvaluationOnDevice(gpu, arrays, s, metrics, m);
    passes.set(arrays, held);
  }
  held.bound += bound;
  await held.add(batch as Batch & { kind: 'dense' | 'sparse' });
}));
