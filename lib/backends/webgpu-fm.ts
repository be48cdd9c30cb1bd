// webgpu's fmUpdate and fmEvaluate: factorization machines trained and scored
// with their state on the device. Parameters, optimizer moments, each
// feature's lazy-decay step and the metric sums live in one GPU buffer from
// batch to batch; a batch is one command buffer of four passes
// (kernels/wgsl/factorization_machines/train.wgsl) and nothing is read back per
// batch: the state's arrays get it all when the state is settled
// (device-state.ts). A batch is checked on a libuv thread first with the cpu
// kernel's checks and messages (work once enqueued cannot be taken back), and
// the same call groups a sparse batch's non-zeros by feature in row order (the
// gradient of a feature is then one pass over its own entries, summed in the
// order cpu sums them).
//
// Accuracy: ŷ, the factor sums, the gradients and the metric sums are
// float-float sums of exact products (about 44 bits; cpu's are float64), the
// losses and dL/dŷ f32 of them. States trained on webgpu agree with cpu's
// within fmStateTolerance (below), the metrics they give within 1e-5 of their
// size. A batch whose values, labels or row weights pass 1e15 in magnitude
// (products, squared residuals and weighted losses near float32's range) runs on cpu.
import type { Batch } from '../data/batch.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { KernelDeclined, type FmKernelMetrics, type FmKernelSettings, type FmKernelState, type FmStepInputs } from './kernels.js';
import { FmDeviceSlots, addLabelMoments, featureIndexResultLength, repeatedIndices } from './fm-device-slots.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { workgroupGrid } from './webgpu-dispatch.js';
import { GrowingBuffers, readBackInto, sharedLayout, storageUsage } from './webgpu-resident.js';
import type { WebGpuBackend } from './webgpu.js';

/**
 * Agreement of a factorization-machine state trained on webgpu with cpu's: every parameter and moment within relTol
 * of the largest magnitude of its array. Usually about 1e-6 (the rounding of f32 scores); the bound is wider because
 * a feature whose rows' slopes cancel has a gradient near zero known only to f32's rounding of each row's slope (about
 * 1e-7 of it), and adaptive optimizers divide by that gradient's size (Adam's step is ±lr whatever it is; L2 decay
 * through √v̂ scales with 1/|g|): 8.7e-4 was measured on the test data's real-valued feature after one adam batch.
 */
export const fmStateTolerance = { relTol: 2e-3 } as const;

/** A software adapter stops a shader's loops after 65,535 iterations in all. */
const softwareLoopLimit = 60_000;
/** Values past this magnitude run on cpu: squared products of them with the factors near float32's range. */
const largestValue = 1e15;
const noSlot = 0xffffffff;
/** Each pass's uniform block (train.wgsl's Params; they differ only in the grid's width), 256-byte aligned. */
const blockBytes = 256;
const paramsWords = 28;
/** Entry points of train.wgsl, in the order a batch runs them. */
const passes = ['catch_up', 'forward', 'bias_metrics', 'update'] as const;

const bindings = ['read', 'write', 'write', 'uniform'] as const;
const layoutOf = (gpu: WebGpuBackend) => sharedLayout(gpu, 'factorization_machines/train', [...bindings]);

/** The shape of a state's settings: models, the factor width Σk, and each model's (factors, offset). */
function shapeOf(s: FmKernelSettings) {
  const models = s.models.length / 8;
  let width = 0;
  let mostFactors = 0;
  for (let m = 0; m < models; m++) {
    width = Math.max(width, s.models[m * 8] + s.models[m * 8 + 1]);
    mostFactors = Math.max(mostFactors, s.models[m * 8]);
  }
  return { models, width, mostFactors };
}

/** Where the state buffer's parts start, in 32-bit words (train.wgsl says the layout). */
function stateLayout(s: FmKernelSettings, host: FmKernelState) {
  const { models, width } = shapeOf(s);
  const parameters = models + s.dim * (models + width);
  const blocks = host.linearM2 ? 3 : host.linearM1 ? 2 : 1;
  const lastStep = parameters * blocks;
  const metrics = lastStep + s.dim;
  const table = metrics + 24 * models;
  return { models, width, parameters, blocks, lastStep, metrics, table, words: table + 8 * models + width };
}

/** The work buffer's words for a batch of `rows`: factor sums and slopes (pairs), then loss and ŷ per row and model. */
const workWords = (rows: number, models: number, width: number) => Math.max(4, rows * (2 * width + 4 * models));


/** What the batch's check on a libuv thread found, and the sparse batch's feature index (fmFeatureIndex). */
interface Checked {
  touched: number;
  totalWeight: number;
  longestRow: number;
  largest: number;
  index: Uint32Array;
}

/** One factorization-machine state on one device. */
class FmOnDevice implements PendingOnDevice {
  readonly backend = 'webgpu';
  get owner(): object {
    return this.gpu;
  }
  readonly layout: ReturnType<typeof stateLayout>;
  private readonly state: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly buffers: GrowingBuffers;
  private done: Promise<unknown> = Promise.resolve();
  private released = false;
  private readonly held: FmDeviceSlots;
  readonly checkResult = new Float64Array(featureIndexResultLength);

  /** index: fmFeatureIndex's output, grown to the largest batch. */
  constructor(private readonly gpu: WebGpuBackend, private readonly host: FmKernelState, private readonly s: FmKernelSettings,
    index: Uint32Array) {
    this.held = new FmDeviceSlots(this, index);
    this.layout = stateLayout(s, host);
    const { device } = gpu;
    const { models, parameters, blocks, lastStep, table, words } = this.layout;
    this.state = device.createBuffer({ size: words * 4, usage: storageUsage(), label: 'fm state' });
    this.buffers = new GrowingBuffers(gpu, 'fm');
    const bytes = new ArrayBuffer(words * 4);
    const f32 = new Float32Array(bytes);
    const u32 = new Uint32Array(bytes);
    const block = (at: number, bias?: Float32Array, linear?: Float32Array, factors?: Float32Array) => {
      f32.set(bias!, at);
      f32.set(linear!, at + models);
      f32.set(factors!, at + models + linear!.length);
    };
    block(0, host.bias, host.linear, host.factors);
    if (blocks >= 2) block(parameters, host.biasM1, host.linearM1, host.factorsM1);
    if (blocks === 3) block(2 * parameters, host.biasM2, host.linearM2, host.factorsM2);
    u32.set(new Uint32Array(host.lastStep.buffer, host.lastStep.byteOffset, s.dim), lastStep);
    for (let m = 0; m < models; m++) {
      const at = table + 8 * m;
      u32[at] = s.models[m * 8];
      u32[at + 1] = s.models[m * 8 + 1];
      for (let k = 2; k < 8; k++) f32[at + k] = s.models[m * 8 + k];
      for (let f = 0; f < s.models[m * 8]; f++) u32[table + 8 * models + s.models[m * 8 + 1] + f] = m;
    }
    gpu.queue.writeBuffer(this.state, 0, bytes);
    this.params = device.createBuffer({ size: passes.length * blockBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'fm params' });
    holdOnDevice(host.bias, this);
    gpu.states.resident.add(this);
  }

  /** The slot that adds to `metrics` (noSlot for none), or undefined when both are taken by other targets. */
  slotFor(metrics: FmKernelMetrics | null): number | undefined {
    return this.held.slotFor(metrics, noSlot);
  }

  indexFor(nnz: number): Uint32Array {
    return this.held.indexFor(nnz);
  }

  get slots() {
    return this.held.targets;
  }

  /** Enqueues one batch's passes; resolves once they are enqueued and the batch before has run. */
  async add(batch: Batch & { kind: 'dense' | 'sparse' }, checked: Checked, slot: number, training: boolean, step: number): Promise<void> {
    const { device } = this.gpu;
    const { models, width } = this.layout;
    const rows = batch.rows;
    const sparse = batch.kind === 'sparse';
    const nnz = sparse ? batch.indptr[rows] : 0;
    const weighted = batch.weights !== undefined;
    await this.done;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const labelsAt = 0;
    const valuesAt = rows * (weighted ? 2 : 1);
    const indexAt = valuesAt + (sparse ? rows + 1 + 2 * nnz : rows * this.s.dim);
    const indexWords = sparse ? 2 * checked.touched + 1 + 2 * nnz : 0;
    const buffer = this.buffers.get('batch', Math.max(4, indexAt + indexWords) * 4);
    const write = (at: number, array: ArrayBufferView, words: number) => {
      if (words > 0) this.gpu.queue.writeBuffer(buffer, at * 4, array.buffer, array.byteOffset, words * 4);
    };
    write(labelsAt, batch.labels!, rows);
    if (weighted) write(rows, batch.weights!, rows);
    if (sparse) {
      write(valuesAt, batch.indptr, rows + 1);
      write(valuesAt + rows + 1, batch.indices, nnz);
      write(valuesAt + rows + 1 + nnz, batch.values, nnz);
      write(indexAt, checked.index, indexWords);
    } else {
      write(valuesAt, batch.values, rows * this.s.dim);
    }
    const work = this.buffers.get('work', workWords(rows, models, width) * 4);
    const features = sparse ? checked.touched : this.s.dim;
    const grids = [features, rows * models, models, features * (models + width)].map((n) => workgroupGrid(n));
    const rescale = this.s.rescaleGrad > 0 ? this.s.rescaleGrad : checked.totalWeight > 0 ? 1 / checked.totalWeight : 0;
    this.writeParams(grids.map((grid) => grid.x), {
      rows, sparse, nnz, touched: checked.touched, weighted, slot, step, training, rescale, labelsAt, valuesAt, indexAt,
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const [n, entry] of passes.entries()) {
      if (entry === 'update' && !training) break;
      pass.setPipeline(await this.gpu.pipeline('factorization_machines/train', entry, layoutOf(this.gpu).pipeline));
      pass.setBindGroup(0, device.createBindGroup({
        layout: layoutOf(this.gpu).group,
        entries: [
          { binding: 0, resource: { buffer } }, { binding: 1, resource: { buffer: this.state } },
          { binding: 2, resource: { buffer: work } }, { binding: 3, resource: { buffer: this.params, offset: n * blockBytes, size: paramsWords * 4 } },
        ],
      }));
      pass.dispatchWorkgroups(grids[n].x, grids[n].y);
    }
    pass.end();
    this.gpu.queue.submit([encoder.finish()]);
    const error = (await device.popErrorScope()) ?? (await device.popErrorScope());
    if (error) throw new Error(`webgpu: the device refused factorization machines' batch (${error.message.split('\n')[0]})`);
    this.done = this.gpu.queue.onSubmittedWorkDone();
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
    try {
      await readBackInto(this.gpu, this.state, this.layout.table * 4, 'the factorization-machine state', (mapped) => this.readInto(mapped));
    } finally {
      for (const buffer of [this.state, this.params]) buffer.destroy();
      this.buffers.destroy();
    }
  }

  /** The device's state into the host's arrays: parameters, moments and steps replaced, metric sums added. */
  private readInto(mapped: ArrayBuffer): void {
    const f32 = new Float32Array(mapped);
    const { host } = this;
    const { models, parameters, blocks, lastStep, metrics } = this.layout;
    const block = (at: number, bias?: Float32Array, linear?: Float32Array, factors?: Float32Array) => {
      bias!.set(f32.subarray(at, at + models));
      linear!.set(f32.subarray(at + models, at + models + linear!.length));
      factors!.set(f32.subarray(at + models + linear!.length, at + parameters));
    };
    block(0, host.bias, host.linear, host.factors);
    if (blocks >= 2) block(parameters, host.biasM1, host.linearM1, host.factorsM1);
    if (blocks === 3) block(2 * parameters, host.biasM2, host.linearM2, host.factorsM2);
    host.lastStep.set(new Int32Array(mapped, lastStep * 4, this.s.dim));
    const pair = (at: number) => f32[at] + f32[at + 1];
    for (const [s, slot] of this.slots.entries()) {
      if (!slot) continue;
      const base = metrics + 12 * models * s;
      for (let m = 0; m < models; m++) {
        slot.loss[m] += pair(base + 2 * m);
        slot.weight[m] += pair(base + 2 * models + 2 * m);
        if (slot.confusion) for (let c = 0; c < 4; c++) slot.confusion[4 * m + c] += pair(base + 4 * models + 8 * m + 2 * c);
      }
    }
  }

  /** The passes' uniform blocks for one batch (train.wgsl's Params), one per grid width. */
  private writeParams(groupsX: number[], v: {
    rows: number; sparse: boolean; nnz: number; touched: number; weighted: boolean; slot: number; step: number; training: boolean;
    rescale: number; labelsAt: number; valuesAt: number; indexAt: number;
  }): void {
    const s = this.s;
    const { models, width, blocks } = this.layout;
    const bytes = new ArrayBuffer(passes.length * blockBytes);
    const t = v.step + 1;
    // Adam's corrections at t as cpu takes them (in float), the catch-up's at the state's step (float64, then rounded).
    const correction = (beta: number, n: number) => Math.fround(1 - Math.fround(Math.pow(Math.fround(beta), n)));
    for (const [n, x] of groupsX.entries()) {
      const u32 = new Uint32Array(bytes, n * blockBytes, paramsWords);
      const f32 = new Float32Array(bytes, n * blockBytes, paramsWords);
      u32.set([v.rows, s.dim, models, width, v.sparse ? 1 : 0, v.nnz, v.touched, v.weighted ? 1 : 0,
        s.loss === 0 ? 1 : 0, s.optimizer, s.decay === 0 ? 1 : 0, blocks, v.slot, v.step, x, 0]);
      f32.set([s.eps, s.beta1, s.beta2, s.clipGradient, v.rescale, correction(s.beta1, t), correction(s.beta2, t),
        v.step > 0 ? 1 - Math.pow(Math.fround(s.beta2), v.step) : 1], 16);
      u32.set([v.labelsAt, v.valuesAt, v.indexAt, v.training ? 1 : 0], 24);
    }
    this.gpu.queue.writeBuffer(this.params, 0, bytes);
  }
}

/** Why the device kernel cannot take this state or batch (before the batch is checked), or undefined. */
function refusal(gpu: WebGpuBackend, s: FmKernelSettings, host: FmKernelState, batch: Batch): string | undefined {
  if (batch.kind !== 'dense' && batch.kind !== 'sparse') return `a ${batch.kind} batch has no rows of features`;
  if (batch.kind === 'sparse' && batch.rows > 0 && batch.indptr[0] !== 0) return 'a sparse batch whose indptr does not start at 0';
  const { models, width, words } = stateLayout(s, host);
  const nnz = batch.kind === 'sparse' ? batch.indptr[batch.rows] : 0;
  const batchWords = batch.rows * 2 + (batch.kind === 'sparse' ? batch.rows + 1 + 2 * nnz + 4 * nnz + 1 : batch.rows * s.dim);
  const bytes = 4 * Math.max(words, batchWords, workWords(batch.rows, models, width));
  const limit = gpu.bindingLimitBytes;
  if (bytes > limit) return `its buffers need ${bytes} bytes, over this WebGPU device's storage binding limit of ${limit} bytes`;
  return undefined;
}

/** The most loop iterations one invocation runs for this batch (after the check: the longest row is known). */
function longestLoop(s: FmKernelSettings, rows: number, longestRow: number): number {
  const { models, mostFactors } = shapeOf(s);
  return Math.max(longestRow * (mostFactors + 1), rows, models * mostFactors);
}

function runStep(gpu: WebGpuBackend, inputs: FmStepInputs, training: boolean): Promise<void> {
  const kernel = training ? 'fmUpdate' : 'fmEvaluate';
  return gpu.states.run(inputs.state.bias, async () => {
    const { settings: s, state: host, batch, metrics } = inputs;
    let held = heldOnDevice<FmOnDevice>(host.bias);
    const decline = async (why: string): Promise<never> => {
      // cpu runs it on the host's arrays: they must hold every batch before it.
      await held?.settleNow();
      throw new KernelDeclined(kernel, why);
    };
    const refused = refusal(gpu, s, host, batch);
    if (refused) return decline(refused);
    if (!training && !metrics) throw new TypeError('fmStep: evaluation needs metrics');
    const nnz = batch.kind === 'sparse' ? batch.indptr[batch.rows] : 0;
    // The cpu kernel's checks (the same errors, before anything is enqueued) and the feature index, off the event loop.
    const index = held ? held.indexFor(nnz) : new Uint32Array(4 * nnz + 1);
    const result = held?.checkResult ?? new Float64Array(featureIndexResultLength);
    await loadCoreAddon().fmFeatureIndex(s, batch, host.slot, index, result);
    if (batch.rows === 0) return;
    const repeated = repeatedIndices(result);
    if (repeated) return decline(repeated);
    const checked: Checked = { touched: result[0], totalWeight: result[1], longestRow: result[2], largest: result[3], index };
    if (!(checked.largest <= largestValue)) return decline(`its values reach ${checked.largest.toExponential(1)}: past ${largestValue.toExponential(0)}, products with the factors near float32's range; cpu takes them in float64`);
    if (!(result[4] <= largestValue)) return decline(`its labels reach ${result[4].toExponential(1)}: past ${largestValue.toExponential(0)}, squared residuals near float32's range; cpu takes them in float64`);
    if (!(result[5] <= largestValue)) return decline(`its row weights reach ${result[5].toExponential(1)}: past ${largestValue.toExponential(0)}, weighted losses near float32's range; cpu takes them in float64`);
    const loop = longestLoop(s, batch.rows, checked.longestRow);
    if (gpu.details.software === true && loop > softwareLoopLimit) return decline(`a loop of ${loop} iterations: this software adapter stops a shader's loops after 65,535`);
    if (held && held.slotFor(metrics) === undefined) {
      // A third set of metric sums: the two held go to their arrays first.
      await held.settleNow();
      held = undefined;
    }
    held ??= new FmOnDevice(gpu, host, s, index);
    const step = host.counters[0];
    await held.add(batch as Batch & { kind: 'dense' | 'sparse' }, checked, held.slotFor(metrics)!, training, step);
    addLabelMoments(metrics, result);
    if (training) {
      host.counters[0] = step + 1;
      host.counters[1] += batch.rows;
    }
  });
}

registerKernel<'fmUpdate', WebGpuBackend>('webgpu', 'fmUpdate', (gpu, inputs) => runStep(gpu, inputs, true));
registerKernel<'fmEvaluate', WebGpuBackend>('webgpu', 'fmEvaluate', (gpu, inputs) => runStep(gpu, inputs, false));
