// webgpu's kmeansUpdate: streaming k-means with its state on the device. The
// centres, their weights, the refined model and the progressive cost sums live
// in one GPU buffer from batch to batch; each batch is one command buffer of
// passes (kernels/wgsl/kmeans/update.wgsl): the refined model's Lloyd steps
// (up to three, stopping once the assignment repeats, as on cpu), then the
// streaming centres' assignment, decay, move and reseeding. Nothing is read
// back per batch; the state's arrays get it all when the state is settled
// (device-state.ts).
//
// Two kinds of batch run on cpu instead, inside this kernel and by design: the
// first batches, while the K centres are seeded on distinct rows (sequential
// sampling), and the few batches where a candidate reduction of the streaming
// centres is tried for the refined model (geometrically spaced: at
// start_rows, then ×4, or once per half-life) — a weighted k-means of the K
// centres, finalize's work. The state is settled first and goes back to the
// device on the next batch; those calls are counted as `cpuSteps` in
// metrics.kernels. Sparse rows are declined (after settling): cpu runs them.
//
// Accuracy: distances are compensated f32 sums where cpu's are float64, so a
// row whose two nearest centres are within float32 rounding of each other may
// go to the other one; weights and cost sums are float-float pairs; a centre
// moves by a compensated sum of differences from it, rounded about once as
// cpu's float64 result is (so data far from the origin keep their digits). On
// the tests' data states agree with cpu's within 1e-4 of their scale
// (kmeansStateTolerance) and the counts of rows, seeds, reseeds and candidates exactly.
import type { Batch, DenseBatch } from '../data/batch.js';
import { exclusiveOnDevice, heldOnDevice, holdOnDevice, releaseOnDevice, type PendingOnDevice } from './device-state.js';
import { float32Ceiling, float32Refusal, largestMagnitude, type BatchMagnitudes } from './float32-range.js';
import { counter, modelCounter, needsCpu } from './kmeans-device-steps.js';
import { KernelDeclined, type KernelInputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { registerKernel } from './registry.js';
import { sharedCpuBackend } from './run-kernel.js';
import { workgroupGrid } from './webgpu-dispatch.js';
import { GrowingBuffers, readBackInto, sharedLayout, storageUsage } from './webgpu-resident.js';
import type { WebGpuBackend } from './webgpu.js';

/** Agreement of a k-means state trained on webgpu with cpu's, relative to each tensor's scale (conformance data). */
export const kmeansStateTolerance = { relTol: 1e-4 } as const;

type Inputs = KernelInputs['kmeansUpdate'];
type Settings = Inputs['settings'];
type HostState = Inputs['state'];

/** A software adapter stops a shader's loops after 65,535 iterations in all. */
const softwareLoopLimit = 60_000;
/** Parameter blocks in the uniform buffer: the model's three Lloyd steps, then the streaming centres. */
const blockBytes = 256;
const blocks = 4;

/** The bind group layout every pass of update.wgsl shares: batch, state, work, parameters. */
const layoutOf = (gpu: WebGpuBackend) => sharedLayout(gpu, 'kmeans/update', ['read', 'write', 'write', 'uniform']);

/** Where the state buffer's parts start, in 32-bit words (update.wgsl says the layout). */
function stateLayout(K: number, k: number, d: number) {
  const weights = K * d;
  const modelCentres = weights + 2 * K;
  const modelWeights = modelCentres + k * d;
  const counters = modelWeights + 2 * k + k * d + 2 * k;
  const flags = counters + 10;
  return { weights, modelCentres, modelWeights, counters, flags, words: flags + 4 };
}

const workWords = (rows: number, K: number, k: number) => 2 * rows * Math.max(K, k) + 2 * rows + 2 * Math.max(K, k);

/** The most loop iterations one invocation of any pass runs for this batch. */
function longestLoop(s: Settings, rows: number): number {
  const limit = Math.max(1, Math.floor(s.centers / 100));
  return Math.max(s.dim, s.centers, rows, limit * (s.centers + rows + s.dim) + s.centers);
}

/** One state's streaming centres and refined model on one device. */
class KmeansOnDevice implements PendingOnDevice {
  readonly backend = 'webgpu';
  get owner(): object {
    return this.gpu;
  }
  private readonly layout: ReturnType<typeof stateLayout>;
  private readonly state: GPUBuffer;
  private readonly params: GPUBuffer;
  private readonly buffers: GrowingBuffers;
  private done: Promise<unknown> = Promise.resolve();
  private released = false;
  /** The largest |coordinate| of the centres and of every row since the state came to the device. */
  scale: number;
  /** A bound on the cost sums the device holds (Σ over batches of rows × their largest weighted distance). */
  private bound = 0;
  /** A bound on every weight sum the device holds: the weights brought to it, plus every row's weight since. */
  weightBound: number;

  constructor(private readonly gpu: WebGpuBackend, private readonly host: HostState, private readonly s: Settings) {
    const { centers: K, modelK: k, dim: d } = s;
    this.layout = stateLayout(K, k, d);
    const { device } = gpu;
    this.state = device.createBuffer({ size: this.layout.words * 4, usage: storageUsage(), label: 'kmeans state' });
    this.buffers = new GrowingBuffers(gpu, 'kmeans');
    const words = new Float32Array(this.layout.words);  // zeroed: prior, counters and flags start empty
    words.set(host.centers.subarray(0, K * d), 0);
    writePairs(words, this.layout.weights, host.weights, K);
    words.set(host.modelCenters.subarray(0, k * d), this.layout.modelCentres);
    writePairs(words, this.layout.modelWeights, host.modelWeights, k);
    this.gpu.queue.writeBuffer(this.state, 0, words);
    this.params = device.createBuffer({ size: blocks * blockBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'kmeans params' });
    this.scale = Math.max(largestMagnitude(host.centers), largestMagnitude(host.modelCenters));
    this.weightBound = hostWeights(host);
    holdOnDevice(host.centers, this);
    gpu.states.resident.add(this);
  }

  /** Whether the cost sums can take `bound` more without passing float32's range. */
  fits(bound: number): boolean {
    return this.bound + bound < float32Ceiling;
  }

  /**
   * Enqueues one batch's passes (`bound`: rows × its largest weighted distance); resolves once they are enqueued and
   * the batch before has run. A command the device refuses is an error, not a batch silently skipped.
   */
  async add(batch: DenseBatch, modelActive: boolean, bound: number, weights: number): Promise<void> {
    const { device } = this.gpu;
    const { centers: K, modelK: k, dim: d, halfLife } = this.s;
    const rows = batch.rows;
    this.bound += bound;
    this.weightBound += weights;
    await this.done;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const values = this.buffers.get('batch', (rows * d + rows) * 4);
    this.gpu.queue.writeBuffer(values, 0, batch.values.buffer, batch.values.byteOffset, rows * d * 4);
    if (batch.weights) this.gpu.queue.writeBuffer(values, rows * d * 4, batch.weights.buffer, batch.weights.byteOffset, rows * 4);
    const work = this.buffers.get('work', workWords(rows, K, k) * 4);
    const keep = halfLife > 0 ? 0.5 ** (rows / halfLife) : 1;
    this.writeParams(rows, batch.weights !== undefined, keep);
    const group = (block: number) => device.createBindGroup({
      layout: layoutOf(this.gpu).group,
      entries: [
        { binding: 0, resource: { buffer: values } }, { binding: 1, resource: { buffer: this.state } },
        { binding: 2, resource: { buffer: work } }, { binding: 3, resource: { buffer: this.params, offset: block * blockBytes, size: 48 } },
      ],
    });
    const steps: [entry: string, block: number, invocations: number][] = [];
    if (modelActive && k > 0) {
      steps.push(['distances', 0, rows * k], ['nearest', 0, rows], ['cost', 0, 1], ['prior', 0, k * d + k], ['move_centres', 0, k * d]);
      for (const block of [1, 2]) steps.push(['distances', block, rows * k], ['nearest', block, rows], ['stop_check', block, 1], ['move_centres', block, k * d]);
      steps.push(['model_weights', 0, k]);
    }
    steps.push(['distances', 3, rows * K], ['nearest', 3, rows], ['cost', 3, 1]);
    if (halfLife > 0) steps.push(['decay', 3, K]);
    steps.push(['move_centres', 3, K * d], ['add_received', 3, K], ['reseed', 3, 1]);
    const groups = [0, 1, 2, 3].map(group);
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    for (const [entry, block, invocations] of steps) {
      pass.setPipeline(await this.gpu.pipeline('kmeans/update', entry, layoutOf(this.gpu).pipeline));
      pass.setBindGroup(0, groups[block]);
      // Single-invocation passes have workgroups of one; the rest 64 (update.wgsl).
      const grid = invocations === 1 ? { x: 1, y: 1 } : workgroupGrid(invocations);
      pass.dispatchWorkgroups(grid.x, grid.y);
    }
    pass.end();
    this.gpu.queue.submit([encoder.finish()]);
    const error = (await device.popErrorScope()) ?? (await device.popErrorScope());
    if (error) throw new Error(`webgpu: the device refused k-means' batch (${error.message.split('\n')[0]})`);
    this.done = this.gpu.queue.onSubmittedWorkDone();
  }

  /** The four parameter blocks: the model's Lloyd steps 0, 1, 2 (set 1), then the streaming centres (set 0). */
  private writeParams(rows: number, weighted: boolean, keep: number): void {
    const { centers: K, modelK: k, dim: d } = this.s;
    const bytes = new ArrayBuffer(blocks * blockBytes);
    for (let block = 0; block < blocks; block++) {
      const words = new Uint32Array(bytes, block * blockBytes, 12);
      const model = block < 3;
      words.set([rows, d, K, k, model ? 1 : 0, model ? block : 0, weighted ? 1 : 0, 0, 0, Math.max(1, Math.floor(K / 100)), 0, 0]);
      // keep as hi + lo: float64's decay, which compounds over every batch.
      const floats = new Float32Array(bytes, block * blockBytes, 12);
      floats[8] = keep;
      floats[10] = keep - floats[8];
    }
    this.gpu.queue.writeBuffer(this.params, 0, bytes);
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
    try {
      await readBackInto(this.gpu, this.state, this.layout.words * 4, 'the k-means state', (mapped) => this.readInto(mapped));
    } finally {
      for (const buffer of [this.state, this.params]) buffer.destroy();
      this.buffers.destroy();
    }
  }

  /** The device's state into the host's arrays: centres and weights replaced, counter sums added. */
  private readInto(mapped: ArrayBuffer): void {
    const { centers: K, modelK: k, dim: d } = this.s;
    const v = new Float32Array(mapped);
    const { host, layout } = this;
    const pair = (at: number) => v[at] + v[at + 1];
    host.centers.set(v.subarray(0, K * d));
    for (let c = 0; c < K; c++) host.weights[c] = pair(layout.weights + 2 * c);
    host.modelCenters.set(v.subarray(layout.modelCentres, layout.modelCentres + k * d));
    for (let c = 0; c < k; c++) host.modelWeights[c] = pair(layout.modelWeights + 2 * c);
    host.counters[counter.costSum] += pair(layout.counters);
    host.counters[counter.costWeight] += pair(layout.counters + 2);
    host.modelCounters[modelCounter.costSum] += pair(layout.counters + 4);
    host.modelCounters[modelCounter.costWeight] += pair(layout.counters + 6);
    host.modelCounters[modelCounter.rows] += pair(layout.counters + 8);
    host.counters[counter.reseeds] += new Uint32Array(mapped, layout.flags * 4, 1)[0];
  }
}

/** The weights the host's state holds, streaming and model together (an upper bound on any sum of them). */
function hostWeights(host: HostState): number {
  let total = 0;
  for (const w of host.weights) total += w;
  for (const w of host.modelWeights) total += w;
  return total;
}

/** A float64 array's first `count` values as f32 (hi, lo) pairs from word `at`. */
function writePairs(words: Float32Array, at: number, values: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const hi = Math.fround(values[i]);
    words[at + 2 * i] = hi;
    words[at + 2 * i + 1] = values[i] - hi;
  }
}

/** Why the device kernel cannot take this batch, or undefined. */
function refusal(gpu: WebGpuBackend, s: Settings, batch: Batch): string | undefined {
  if (batch.kind === 'sparse') return 'sparse rows: the webgpu kernel takes dense rows';
  if (batch.kind !== 'dense') return `a ${batch.kind} batch has no rows of features`;
  const limit = gpu.bindingLimitBytes;
  const bytes = Math.max(stateLayout(s.centers, s.modelK, s.dim).words, workWords(batch.rows, s.centers, s.modelK), batch.rows * (s.dim + 1)) * 4;
  if (bytes > limit) return `its buffers need ${bytes} bytes, over this WebGPU device's storage binding limit of ${limit} bytes`;
  const loop = longestLoop(s, batch.rows);
  if (gpu.details.software === true && loop > softwareLoopLimit) return `a loop of ${loop} iterations: this software adapter stops a shader's loops after 65,535`;
  return undefined;
}

/**
 * The largest weighted squared distance of the batch to the centres (d·(2·scale)², scale bounding every coordinate),
 * and why float32 cannot hold it, if it cannot: distances past the ceiling, or coordinates so small that distances
 * between distinct rows fall below float32's normal range.
 */
function distanceRange(s: Settings, m: BatchMagnitudes, scale: number): { term: number; refusal?: string } {
  const term = m.maxWeight * s.dim * (2 * scale) ** 2;
  if (m.maxAbs > 0 && m.maxAbs < 1e-12) return { term, refusal: `its coordinates are at most ${m.maxAbs.toExponential(1)}: their squared distances are too small for float32; cpu measures them in float64` };
  return { term, refusal: float32Refusal(term, { ...m, maxAbs: scale }) };
}

registerKernel<'kmeansUpdate', WebGpuBackend>('webgpu', 'kmeansUpdate', (gpu, inputs) => gpu.states.run(inputs.state.centers, async () => {
  const { settings: s, state: host, batch } = inputs;
  let held = heldOnDevice<KmeansOnDevice>(host.centers);
  const decline = async (why: string): Promise<never> => {
    // cpu runs it on the host's arrays: they must hold every batch before it.
    await held?.settleNow();
    throw new KernelDeclined('kmeansUpdate', why);
  };
  const refused = refusal(gpu, s, batch);
  if (refused) return decline(refused);
  // The cpu kernel's checks, off the event loop: the same errors, before anything is enqueued.
  const magnitudes = await loadCoreAddon().validateFeatureRows(batch, s.dim, 'kmeansUpdate');
  if (batch.rows === 0) return;
  if (needsCpu(s, host, inputs.novel === true)) {
    await held?.settleNow();
    gpu.counters.recordCpuStep('kmeansUpdate');
    return sharedCpuBackend().run('kmeansUpdate', inputs);
  }
  const scale = Math.max(magnitudes.maxAbs, held ? held.scale : Math.max(largestMagnitude(host.centers), largestMagnitude(host.modelCenters)));
  const range = distanceRange(s, magnitudes, scale);
  if (range.refusal) return decline(range.refusal);
  const bound = batch.rows * range.term;
  if (held && !held.fits(bound)) {
    await held.settleNow();
    held = undefined;
  }
  // The centres' weights are the state itself, not sums the host takes back: past float32's range, cpu carries on.
  const weights = batch.rows * magnitudes.maxWeight;
  if (!((held ? held.weightBound : hostWeights(host)) + weights < float32Ceiling)) {
    return decline(`the centres' weights would pass ${float32Ceiling}, past what float32 holds; cpu keeps them in float64`);
  }
  held ??= new KmeansOnDevice(gpu, host, s);
  held.scale = Math.max(held.scale, magnitudes.maxAbs);
  await held.add(batch as DenseBatch, host.modelCounters[modelCounter.active] === 1, bound, weights);
  host.counters[counter.rows] += batch.rows;
}));
