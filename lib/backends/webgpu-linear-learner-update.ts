// webgpu's linearLearnerUpdate: every model of a linear-learner state trained on
// the device. The weights, the averages, the optimizer's moments, each feature's
// last step and the progressive metric sums live in one GPU buffer from batch to
// batch; the host keeps what is cheap and sequential (the step and row counters,
// the class counts, the start of averaging) and computes each optimizer step's
// constants in float64 as cpu does (linear-learner-steps.ts). A batch is one
// command buffer: per optimizer step (step_rows rows, in row order) the passes of
// kernels/wgsl/linear_learner/train.wgsl, each step's uniform block picked by a
// dynamic offset. Nothing is read back until the state is settled (device-state.ts:
// the trainer does it at checkpoints and at the end of each pass).
//
// A batch is checked on a libuv thread first with the cpu kernel's checks and
// messages (linearLearnerStepIndex), which also lists each step's touched features
// and their entries in row order for a sparse batch. Batches whose rows refine the
// scaler (the first num_point_for_scaler rows) run on cpu by design, counted as
// cpuSteps: the scaler's sums are float64 and every later step depends on them.
//
// Accuracy: scores, sparse gradients and metric sums are float-float sums of exact
// products (cpu: float64), the dense gradients too (cpu: float32 tiles); the
// optimizer and proximal steps are float32 as cpu's; the catch-up's closed form is
// float32 where cpu's is float64. States agree with cpu's within
// llUpdateStateTolerance. Declined to cpu: scaled values past 1e15, a regressor's
// labels past 1e15, row weights times the rows seen past 1e15, buffers past
// the binding limit and loops past a software adapter's 65,535.
import type { Batch } from '../data/batch.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { KernelDeclined, type LinearLearnerArrays, type LinearLearnerMetrics, type LinearLearnerSettings, type LinearLearnerStep } from './kernels.js';
import { commitSteps, modelWords, planSteps, stepIndexOf, type PlannedSteps } from './linear-learner-steps.js';
import { registerKernel } from './registry.js';
import { sharedCpuBackend } from './run-kernel.js';
import { workgroupGrid } from './webgpu-dispatch.js';
import { addSumsInto, sumsLayout } from './linear-learner-sums.js';
import { GrowingBuffers, readBackInto, sharedLayout, storageUsage } from './webgpu-resident.js';
import type { WebGpuBackend } from './webgpu.js';

/**
 * Agreement of a linear-learner state trained on webgpu with cpu's: every weight, average and moment within relTol of
 * the largest magnitude of its array, and the progressive sums within relTol of theirs (measured: 1e-7 to 3e-6). Not
 * for losses with a kink in their slope (absolute, ε-insensitive absolute, quantile, hinge) once a row's residual or
 * margin falls within float32's rounding of the kink: its slope then takes the other branch on one backend, and the
 * states part from there.
 */
export const llUpdateStateTolerance = { relTol: 1e-3 } as const;

const softwareLoopLimit = 60_000;
/** Scaled values, and a regressor's labels, past this run on cpu: products and squared residuals near float32's range. */
const valueCeiling = 1e15;
/**
 * Row weights times the rows seen (the progressive sums' recency weight) past this run on cpu: Σ of their squares (the
 * test against model 0) and the squared gradients of the optimizer's moments would pass float32's range (3.4e38).
 */
const weightCeiling = 1e15;
/** The device's sums are settled before a bound on them passes this. */
const sumCeiling = 1e30;
const loss = { softmax: 2, regression: 3 } as const;
const blockBytes = 256;
const paramsWords = 64;
const stepWords = 20;
/** Entry points of train.wgsl, in the order a step runs them. */
const passes = ['catch_up', 'forward', 'gradients', 'weights', 'bias'] as const;

const layoutOf = (gpu: WebGpuBackend) => sharedLayout(gpu, 'linear_learner/train', ['read', 'write', 'write', 'uniform', 'dynamic']);

/** train.wgsl's optimizer codes (StepKind): sgd with or without momentum, adam, rmsprop, adagrad. */
function stepKind(s: LinearLearnerSettings, a: LinearLearnerArrays): number {
  return s.optimizer === 0 ? (a.moment1 ? 1 : 0) : s.optimizer + 1;
}

/** Where the state buffer's parts start, in 32-bit words (train.wgsl says the layout); 0 for parts the state lacks. */
function stateLayout(s: LinearLearnerSettings, a: LinearLearnerArrays, metrics: LinearLearnerMetrics) {
  const width = s.models * s.classes;
  let words = 0;
  const take = (present: unknown, n: number) => {
    if (!present) return 0;
    const at = words;
    words += n;
    return at;
  };
  const parts = {
    weights: take(true, s.dim * width), average: take(a.average, s.dim * width), m1: take(a.moment1, s.dim * width),
    m2: take(a.moment2, s.dim * width), bias: take(true, width), biasAverage: take(a.biasAverage, width),
    biasM1: take(a.biasMoment1, width), biasM2: take(a.biasMoment2, width), lastStep: take(true, s.dim),
    shift: take(a.featureShift, s.dim), scale: take(a.featureScale, s.dim), label: take(a.labelTransform, 2),
    classWeight: take(a.classWeight, s.classes), averaged: take(true, s.models),
  };
  const sums = sumsLayout(s, metrics, true);
  const sumsAt = take(true, sums.words);
  return { ...parts, width, sums, sumsAt, words };
}
type StateLayout = ReturnType<typeof stateLayout>;

/** The parameter arrays a settle reads back, with their offsets. */
function parameterArrays(a: LinearLearnerArrays, l: StateLayout): [Float32Array | undefined, number][] {
  return [[a.weights, l.weights], [a.average, l.average], [a.moment1, l.m1], [a.moment2, l.m2], [a.bias, l.bias],
    [a.biasAverage, l.biasAverage], [a.biasMoment1, l.biasM1], [a.biasMoment2, l.biasM2]];
}

/** What the batch's check on a libuv thread found (linearLearnerStepIndex's result). */
interface Checked {
  longestRow: number;
  /** The largest |value| after the scaler, as training computes it. */
  largestScaled: number;
  largestLabel: number;
  heaviest: number;
  touched: number;
}

/** One linear-learner state on one device, and the progressive sums of one metrics object. */
class LinearLearnerOnDevice implements PendingOnDevice {
  readonly backend = 'webgpu';
  get owner(): object {
    return this.gpu;
  }
  readonly layout: StateLayout;
  private readonly state: GPUBuffer;
  private readonly params: GPUBuffer;
  private stepBlocks: GPUBuffer | undefined;
  private readonly buffers: GrowingBuffers;
  private done: Promise<unknown> = Promise.resolve();
  private released = false;
  /** A bound on every sum the device holds. */
  bound = 0;

  constructor(private readonly gpu: WebGpuBackend, private readonly s: LinearLearnerSettings, private readonly host: LinearLearnerArrays,
    readonly metrics: LinearLearnerMetrics, readonly slot: Int32Array, public index: Uint32Array) {
    this.layout = stateLayout(s, host, metrics);
    const l = this.layout;
    const bytes = new ArrayBuffer(l.words * 4);
    const f32 = new Float32Array(bytes);
    for (const [array, at] of parameterArrays(host, l)) if (array) f32.set(array, at);
    new Int32Array(bytes, l.lastStep * 4, s.dim).set(host.lastStep!);
    if (host.featureShift) f32.set(host.featureShift, l.shift);
    if (host.featureScale) f32.set(host.featureScale, l.scale);
    if (host.labelTransform) f32.set(host.labelTransform, l.label);
    if (host.classWeight) f32.set(host.classWeight, l.classWeight);
    if (host.averaged) f32.set(host.averaged, l.averaged);
    this.state = gpu.device.createBuffer({ size: l.words * 4, usage: storageUsage(), label: 'linear-learner state' });
    gpu.queue.writeBuffer(this.state, 0, bytes);
    this.params = gpu.device.createBuffer({ size: blockBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'linear-learner params' });
    this.buffers = new GrowingBuffers(gpu, 'linear-learner training');
    holdOnDevice(host.weights, this);
    holdOnDevice(metrics.lossSum, this);
    gpu.states.resident.add(this);
  }

  /** The uniform buffer of a batch's step blocks, grown to the next power of two of them. */
  private stepBuffer(steps: number): GPUBuffer {
    if (this.stepBlocks && this.stepBlocks.size >= steps * blockBytes) return this.stepBlocks;
    this.stepBlocks?.destroy();
    const size = blockBytes * 2 ** Math.ceil(Math.log2(Math.max(1, steps)));
    this.stepBlocks = this.gpu.device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'linear-learner steps' });
    return this.stepBlocks;
  }

  /** Enqueues one batch's steps; resolves once they are enqueued and the batch before has run. */
  async add(batch: Batch & { kind: 'dense' | 'sparse' }, plan: PlannedSteps, checked: Checked): Promise<void> {
    const { device } = this.gpu;
    const s = this.s;
    const rows = batch.rows;
    const sparse = batch.kind === 'sparse';
    const nnz = sparse ? batch.indptr[rows] : 0;
    const weighted = batch.weights !== undefined;
    const steps = plan.steps.length;
    const valuesAt = rows * (weighted ? 2 : 1);
    const indexAt = valuesAt + (sparse ? rows + 1 + 2 * nnz : rows * s.dim);
    const indexWords = sparse ? steps + 1 + 2 * checked.touched + 1 + 2 * nnz : 0;
    const tableAt = indexAt + indexWords;
    await this.done;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const buffer = this.buffers.get('batch', (tableAt + plan.table.length) * 4);
    const write = (at: number, array: ArrayBufferView, words: number) => {
      if (words > 0) this.gpu.queue.writeBuffer(buffer, at * 4, array.buffer, array.byteOffset, words * 4);
    };
    write(0, batch.labels!, rows);
    if (weighted) write(rows, batch.weights!, rows);
    if (sparse) {
      write(valuesAt, batch.indptr, rows + 1);
      write(valuesAt + rows + 1, batch.indices, nnz);
      write(valuesAt + rows + 1 + nnz, batch.values, nnz);
      write(indexAt, this.index, indexWords);
    } else {
      write(valuesAt, batch.values, rows * s.dim);
    }
    write(tableAt, plan.table, plan.table.length);
    const stepRows = Math.max(...plan.steps.map((step) => step.rows));
    const width = this.layout.width;
    const work = this.buffers.get('work', Math.max(4, 5 * stepRows * width) * 4);
    this.writeParams({ rows, sparse, nnz, weighted, valuesAt, indexAt, steps, touched: checked.touched, workScores: stepRows * width });
    const blocks = this.stepBuffer(steps);
    const grids = this.writeSteps(blocks, plan, tableAt, sparse);
    const layout = layoutOf(this.gpu);
    const group = device.createBindGroup({
      layout: layout.group,
      entries: [
        { binding: 0, resource: { buffer } }, { binding: 1, resource: { buffer: this.state } },
        { binding: 2, resource: { buffer: work } }, { binding: 3, resource: { buffer: this.params } },
        { binding: 4, resource: { buffer: blocks, size: stepWords * 4 } },
      ],
    });
    const pipelines = await Promise.all(passes.map((entry) => this.gpu.pipeline('linear_learner/train', entry, layout.pipeline)));
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const [i, stepGrids] of grids.entries()) {
      for (const [n, grid] of stepGrids.entries()) {
        if (!grid) continue;
        pass.setPipeline(pipelines[n]);
        pass.setBindGroup(0, group, [i * blockBytes]);
        pass.dispatchWorkgroups(grid.x, grid.y);
      }
    }
    pass.end();
    this.gpu.queue.submit([encoder.finish()]);
    const error = (await device.popErrorScope()) ?? (await device.popErrorScope());
    if (error) throw new Error(`webgpu: the device refused the linear learner's batch (${error.message.split('\n')[0]})`);
    this.done = this.gpu.queue.onSubmittedWorkDone();
  }

  /** The batch's constant uniform block (train.wgsl's Params). */
  private writeParams(v: { rows: number; sparse: boolean; nnz: number; weighted: boolean; valuesAt: number; indexAt: number; steps: number; touched: number; workScores: number }): void {
    const { s, host, metrics } = this;
    const l = this.layout;
    const bytes = new ArrayBuffer(blockBytes);
    const u32 = new Uint32Array(bytes, 0, paramsWords);
    const f32 = new Float32Array(bytes, 0, paramsWords);
    const threshold = metrics.threshold ?? 0;
    u32.set([s.dim, s.models, s.classes, v.sparse ? 1 : 0, v.nnz, v.weighted ? 1 : 0, s.loss, host.featureScale ? 1 : 0,
      host.labelTransform ? 1 : 0, 0, metrics.histogramBins ?? 0, metrics.histogramLogScale ? 1 : 0, metrics.topK ?? 0,
      s.useBias ? 1 : 0, stepKind(s, host), host.average ? 1 : 0]);
    f32.set([s.margin, s.quantile, s.insensitivity, s.huberDelta, Math.fround(threshold), threshold - Math.fround(threshold),
      s.beta1, s.beta2, s.momentum, s.epsilon], 16);
    u32.set([v.valuesAt, v.indexAt, v.steps, v.touched, host.classWeight ? 1 : 0, v.workScores, l.average, l.m1, l.m2, l.bias,
      l.biasAverage, l.biasM1, l.biasM2, l.lastStep, l.shift, l.scale, l.label, l.classWeight, l.averaged, l.sumsAt, v.rows, 0], 26);
    u32.set(l.sums.at, 48);
    this.gpu.queue.writeBuffer(this.params, 0, bytes);
  }

  /** Each step's uniform block (train.wgsl's Step); returns each step's grids, pass by pass (undefined: skipped). */
  private writeSteps(blocks: GPUBuffer, plan: PlannedSteps, tableAt: number, sparse: boolean) {
    const s = this.s;
    const width = this.layout.width;
    const bytes = new ArrayBuffer(plan.steps.length * blockBytes);
    const beta1 = Math.fround(s.beta1);
    const beta2 = Math.fround(s.beta2);
    const grids = plan.steps.map((step, i) => {
      const touchedBegin = sparse ? this.index[i] : 0;
      const touched = sparse ? this.index[i + 1] - touchedBegin : 0;
      const grid = [
        sparse && touched > 0 ? workgroupGrid(touched * width) : undefined,
        workgroupGrid(step.rows * width),
        workgroupGrid(s.models),
        workgroupGrid((sparse ? touched : s.dim) * width),
        s.useBias ? workgroupGrid(width) : undefined,
      ];
      const u32 = new Uint32Array(bytes, i * blockBytes, stepWords);
      const i32 = new Int32Array(bytes, i * blockBytes, stepWords);
      const f32 = new Float32Array(bytes, i * blockBytes, stepWords);
      const t = step.t;
      u32.set([step.rowBegin, step.rows, touchedBegin, touched, t, tableAt + i * s.models * modelWords]);
      i32[6] = step.start;
      const recency = Math.fround(step.recency);
      f32.set([t - 1 > step.start && step.start >= 0 ? 1 / (t - 1 - step.start) : 0, step.start >= 0 && t > step.start ? 1 / (t - step.start) : 0,
        1 - Math.pow(beta1, t), 1 - Math.pow(beta2, t), 1 - Math.pow(beta1, t), 1 - Math.pow(beta2, t), recency, step.recency - recency], 7);
      u32.set(grid.map((g) => g?.x ?? 1), 15);
      return grid;
    });
    this.gpu.queue.writeBuffer(blocks, 0, bytes);
    return grids;
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
    try {
      await readBackInto(this.gpu, this.state, this.layout.words * 4, 'the linear-learner state', (mapped) => this.readInto(mapped));
    } finally {
      this.state.destroy();
      this.params.destroy();
      this.stepBlocks?.destroy();
      this.buffers.destroy();
    }
  }

  /** The device's state into the host's arrays: parameters and last steps replaced, progressive sums added. */
  private readInto(mapped: ArrayBuffer): void {
    const l = this.layout;
    const f32 = new Float32Array(mapped);
    for (const [array, at] of parameterArrays(this.host, l)) if (array) array.set(f32.subarray(at, at + array.length));
    this.host.lastStep!.set(new Int32Array(mapped, l.lastStep * 4, this.s.dim));
    addSumsInto(f32.subarray(l.sumsAt, l.sumsAt + l.sums.words), l.sums, this.s, this.metrics);
  }
}

/** Why the device cannot take this state or batch (before the batch is checked), or undefined. */
function refusal(gpu: WebGpuBackend, inputs: LinearLearnerStep): string | undefined {
  const { settings: s, state: a, batch, metrics } = inputs;
  if (batch.kind !== 'dense' && batch.kind !== 'sparse') return `a ${batch.kind} batch has no rows of features`;
  if (batch.kind === 'sparse' && batch.rows > 0 && batch.indptr[0] !== 0) return 'a sparse batch whose indptr does not start at 0';
  if (!batch.labels || !a.counters || !a.lastStep || !a.learningRate || !a.wd || !a.l1) return undefined;  // cpu's check names it
  if (Boolean(a.average) !== Boolean(a.biasAverage) || (a.average && !a.averaged)) return 'a state with an average of the weights but not of the bias';
  const width = s.models * s.classes;
  const nnz = batch.kind === 'sparse' ? batch.indptr[batch.rows] : 0;
  const stepRows = Math.min(batch.rows, s.stepRows || batch.rows);
  const steps = Math.ceil(batch.rows / Math.max(1, stepRows));
  const batchWords = 2 * batch.rows + (batch.kind === 'sparse' ? batch.rows + 1 + 2 * nnz + steps + 2 + 4 * nnz : batch.rows * s.dim) + steps * s.models * modelWords;
  const bytes = 4 * Math.max(stateLayout(s, a, metrics).words, batchWords, 5 * stepRows * width);
  if (bytes > gpu.bindingLimitBytes) return `its buffers need ${bytes} bytes, over this WebGPU device's storage binding limit of ${gpu.bindingLimitBytes} bytes`;
  return undefined;
}

/** Why float32 cannot hold this batch's products and sums, or the software adapter its loops; undefined when it can. */
function rangeRefusal(gpu: WebGpuBackend, inputs: LinearLearnerStep, c: Checked): string | undefined {
  const { settings: s, state: a, batch } = inputs;
  const scaled = c.largestScaled;
  if (!(scaled <= valueCeiling)) return `its values after the scaler reach ${scaled.toExponential(1)}: past ${valueCeiling.toExponential(0)}, products near float32's range; cpu takes them in float64`;
  if (s.loss >= loss.regression && !(c.largestLabel <= valueCeiling)) return `its labels reach ${c.largestLabel.toExponential(1)}: past ${valueCeiling.toExponential(0)} for a regressor, whose residuals are squared; cpu takes them in float64`;
  const recency = (a.counters![1] + batch.rows) * c.heaviest;
  if (!(recency <= weightCeiling)) {
    return `its row weights times the rows seen reach ${recency.toExponential(1)}: past ${weightCeiling.toExponential(0)}, whose squares pass float32's range; cpu takes them in float64`;
  }
  const stepRows = Math.min(batch.rows, s.stepRows || batch.rows);
  const loop = Math.max(batch.kind === 'sparse' ? c.longestRow * stepRows : s.dim, stepRows * (1 + 9 * s.classes));
  if (gpu.details.software === true && loop > softwareLoopLimit) return `a loop of ${loop} iterations: this software adapter stops a shader's loops after 65,535`;
  return undefined;
}

/** A bound on what the batch adds to the progressive sums: rows × recency × weight × a loss's scale, and Σ (recency × weight)². */
function sumBound(inputs: LinearLearnerStep, c: Checked): number {
  const rows = inputs.batch.rows;
  const term = inputs.settings.loss >= loss.regression ? 1 + c.largestLabel ** 2 : 1 + Math.log(inputs.settings.classes);
  const weight = (inputs.state.counters![1] + rows) * c.heaviest;
  return rows * Math.max(weight * term, weight * weight);
}

registerKernel<'linearLearnerUpdate', WebGpuBackend>('webgpu', 'linearLearnerUpdate', (gpu, inputs) => gpu.states.run(inputs.state.weights, async () => {
  const { settings: s, state: a, batch, metrics } = inputs;
  let held = heldOnDevice<LinearLearnerOnDevice>(a.weights);
  const decline = async (why: string): Promise<never> => {
    // cpu runs it on the host's arrays: they must hold every batch before it.
    await held?.settleNow();
    throw new KernelDeclined('linearLearnerUpdate', why);
  };
  const refused = refusal(gpu, inputs);
  if (refused) return decline(refused);
  const { index, slot, result, stepClasses } = await stepIndexOf(s, a, batch, held);
  if (batch.rows === 0) return;
  if (a.counters![2] < s.scalerPoints) {
    // The scaler's sample is still being taken (float64 sums, refined step by step): cpu, by design.
    await held?.settleNow();
    gpu.counters.recordCpuStep('linearLearnerUpdate');
    return sharedCpuBackend().run('linearLearnerUpdate', inputs);
  }
  const checked: Checked = { longestRow: result[0], largestScaled: result[5], largestLabel: result[2], heaviest: result[3], touched: result[4] };
  const range = rangeRefusal(gpu, inputs, checked);
  if (range) return decline(range);
  const bound = sumBound(inputs, checked);
  if (held && (held.metrics.lossSum !== metrics.lossSum || !(held.bound + bound < sumCeiling))) {
    // Other sums (a later pass's), or sums near float32's range: what the device holds goes to the host first.
    await held.settleNow();
    held = undefined;
  }
  held ??= new LinearLearnerOnDevice(gpu, s, a, metrics, slot, index);
  held.index = index;
  held.bound += bound;
  const plan = planSteps(s, a, stepClasses, batch.rows);
  await held.add(batch as Batch & { kind: 'dense' | 'sparse' }, plan, checked);
  commitSteps(a, plan);
}));
