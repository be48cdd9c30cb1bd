// The cuda backend: the optional second addon built from kernels/cuda with
// cmake-js — shipped in the package for linux-x64 (npm run prebuild), or built
// here (npm run build:cuda). Loaded only where an NVIDIA device node exists;
// used only when the CUDA runtime finds a device. Anything missing makes it
// unavailable with the reason, and everything runs on cpu.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '../package-root.js';
import { KernelDeclined, validateDenseLinear } from './kernels.js';
import { flagsOf, paramWords, registerRowKernels, type RowKernelName } from './row-kernels.js';
import type { Batch } from '../data/batch.js';
import { onKeptBatchesReleased } from '../data/kept-batches.js';
import { KernelCounters } from './kernel-counters.js';
import { getKernel, registerKernel, type Backend, type BackendDefinition } from './registry.js';
import type { KernelInputs, KernelName, KernelOutputs } from './kernels.js';
import { ResidentStates } from './device-state.js';
import { declineOutOfMemory } from './cuda-out-of-memory.js';
import { countsSince, type DeviceTrafficCounts } from './device-traffic-counts.js';
import type { PcaMomentsHandle, PcaSketchHandle } from './cuda-pca.js';
import type { PcaFrequentDirectionsHandle } from './cuda-pca-frequent-directions.js';
import type { KmeansHandle } from './cuda-kmeans.js';
import type { LinearEvaluateHandle } from './cuda-linear-learner.js';
import type { LinearUpdateHandle } from './cuda-linear-learner-update.js';
import type { FmHandle } from './cuda-fm.js';
import './cuda-pca.js';  // registers cuda's PCA training kernels
import './cuda-pca-frequent-directions.js';  // and its Frequent Directions sketch
import './cuda-kmeans.js';  // its k-means one
import './cuda-linear-learner.js';  // the linear learner's evaluation
import './cuda-linear-learner-update.js';  // its training
import './cuda-fm.js';  // and factorization machines' training and evaluation

export interface CudaAddon {
  deviceInfo(): {
    available: boolean;
    reason: string;
    runtimeVersion: number;
    driverVersion: number;
    devices: { name: string; computeCapability: string; memoryBytes: number }[];
    /** Set by the CPU emulation the tests build (scripts/build-cuda-emulation.mjs): its kernels ran on no GPU. */
    emulated?: boolean;
  };
  /** The process's kernel launches, bytes each way, waits for the device and read-backs since the addon loaded (runtime/traffic.cuh). */
  trafficCounts(): { launches: number; bytesToDevice: number; bytesFromDevice: number; synchronizations: number; readBacks: number };
  /**
   * Every Add above takes, last, `keptBatch`: the epoch cache's id of the batch (lib/data/kept-batches.ts; 0 or absent:
   * none). The arrays of a kept batch are uploaded once and stay on the device (kernels/cuda/runtime/resident_batches.cuh)
   * until residentRelease frees the ids first..last; residentStats says what is held and what it spared.
   */
  residentRelease(first: number, last: number): void;
  residentStats(): { arrays: number; bytes: number; hits: number; bytesNotSent: number; declined: number };
  denseLinear(x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array,
    rows: number, cols: number, models: number): Promise<void>;
  /** The device later calls run on: an index among those CUDA_VISIBLE_DEVICES leaves visible. */
  selectDevice(index: number): void;
  /** A row kernel (row-kernels.ts): writes `output`, resolves to the four flags' rows (0xffffffff: not raised). */
  rowKernel(kernel: RowKernelName, batch: Batch, model: (Float32Array | Int32Array | Uint32Array)[], params: Uint32Array,
    output: Uint32Array): Promise<Uint32Array>;
  /** Zeroed float64 accumulators of PCA's moments for `dim` features on the selected device (kernels/cuda/pca/). */
  pcaMomentsOpen(dim: number): PcaMomentsHandle;
  /** Enqueues a batch's rows (rows × dim), weights and origin (null: 1s, 0s); resolves once the arrays may be reused. */
  pcaMomentsAdd(handle: PcaMomentsHandle, values: Float32Array, weights: Float32Array | null, origin: Float64Array | null, rows: number,
    keptBatch?: number): Promise<void>;
  /** Adds the accumulators into count, sum and cross's lower triangle, and clears them. */
  pcaMomentsRead(handle: PcaMomentsHandle, count: Float64Array, sum: Float64Array, cross: Float64Array): Promise<void>;
  /** Frees the handle's device memory. */
  pcaMomentsClose(handle: PcaMomentsHandle): void;
  /** Zeroed accumulators of PCA's randomized sketch (dim × ell), with Ω [dim × ell] and the origin (null: 0), on the selected device. */
  pcaSketchOpen(dim: number, ell: number, omega: Float64Array, origin: Float64Array | null): PcaSketchHandle;
  /** Enqueues a batch's rows (rows × dim) and weights (null: 1s); resolves once the arrays may be reused. */
  pcaSketchAdd(handle: PcaSketchHandle, values: Float32Array, weights: Float32Array | null, rows: number, keptBatch?: number): Promise<void>;
  /** Adds the accumulators into count, sum, squares and y, and clears them. */
  pcaSketchRead(handle: PcaSketchHandle, count: Float64Array, sum: Float64Array, squares: Float64Array, y: Float64Array): Promise<void>;
  /** Frees the handle's device memory. */
  pcaSketchClose(handle: PcaSketchHandle): void;
  /** PCA's Frequent Directions buffer (2ℓ × dim, `filled` rows in use) and origin (null: 0) copied to the selected device, its sums at 0. */
  pcaFrequentDirectionsOpen(dim: number, ell: number, rows: Float64Array, filled: number, origin: Float64Array | null): PcaFrequentDirectionsHandle;
  /** Enqueues a batch's rows (rows × dim) and weights (null: 1s), shrinking on the device; resolves once the arrays may be reused. */
  pcaFrequentDirectionsAdd(handle: PcaFrequentDirectionsHandle, values: Float32Array, weights: Float32Array | null, rows: number,
    keptBatch?: number): Promise<void>;
  /** Replaces rows (2ℓ × dim) and filled with the device's buffer, adds the sums into count, sum and squares, and clears them. */
  pcaFrequentDirectionsRead(handle: PcaFrequentDirectionsHandle, count: Float64Array, sum: Float64Array, squares: Float64Array, rows: Float64Array,
    filled: Float64Array): Promise<void>;
  /** Frees the handle's device memory. */
  pcaFrequentDirectionsClose(handle: PcaFrequentDirectionsHandle): void;
  /** A k-means state's centres [K × dim], weights, model centres [k × dim] and weights copied to the selected device (kernels/cuda/kmeans/). */
  kmeansOpen(centers: number, modelK: number, dim: number, centres: Float32Array, weights: Float64Array,
    modelCentres: Float32Array, modelWeights: Float64Array): KmeansHandle;
  /** Enqueues one batch's streaming update (rows × dim, weights or null: 1s); halfLife 0: no forgetting. Resolves once the arrays may be reused. */
  kmeansAdd(handle: KmeansHandle, values: Float32Array, weights: Float32Array | null, rows: number, modelActive: boolean, halfLife: number,
    keptBatch?: number): Promise<void>;
  /** Centres and weights into the arrays; the device's cost sums [5] and reseed count added into sums and reseeds, then cleared. */
  kmeansRead(handle: KmeansHandle, centres: Float32Array, weights: Float64Array, modelCentres: Float32Array, modelWeights: Float64Array,
    sums: Float64Array, reseeds: Float64Array): Promise<void>;
  /** Frees the handle's device memory. */
  kmeansClose(handle: KmeansHandle): void;
  /**
   * A linear-learner model (weights [dim × width], bias [width], the scaler's shift and scale, the label transform) and
   * zeroed float64 sums on the selected device; settings and `at` as kernels/cuda/linear_learner/ll_evaluate_binding.cc says.
   */
  linearEvaluateOpen(settings: Float64Array, at: Int32Array, sums: number, weights: Float32Array, bias: Float32Array,
    shift: Float32Array | null, scale: Float32Array | null, labelTransform: Float32Array | null): LinearEvaluateHandle;
  /** Enqueues a batch's scores and metric sums (dense: indptr and indices null); resolves once the arrays may be reused. */
  linearEvaluateAdd(handle: LinearEvaluateHandle, labels: Float32Array, weights: Float32Array | null, values: Float32Array,
    indptr: Int32Array | null, indices: Uint32Array | null, rows: number, keptBatch?: number): Promise<void>;
  /** Adds the device's sums into `out` and clears them. */
  linearEvaluateRead(handle: LinearEvaluateHandle, out: Float64Array): Promise<void>;
  /** Frees the handle's device memory. */
  linearEvaluateClose(handle: LinearEvaluateHandle): void;
  /**
   * A linear-learner state's arrays (parts in ll_update.cuh's LinearPart order, null where absent) and last steps copied
   * to the selected device with zeroed float64 sums; settings, at (14) and update as ll_update_binding.cc says.
   */
  linearUpdateOpen(settings: Float64Array, at: Int32Array, sums: number, update: Float64Array, parts: (Float32Array | null)[],
    lastStep: Int32Array): LinearUpdateHandle;
  /** Enqueues a batch's optimizer steps (records and table as ll_update.cuh says); resolves once the arrays may be reused. */
  linearUpdateAdd(handle: LinearUpdateHandle, labels: Float32Array, weights: Float32Array | null, values: Float32Array,
    indptr: Int32Array | null, indices: Uint32Array | null, rows: number, index: Uint32Array | null, touched: number,
    steps: Float64Array, table: Float64Array, keptBatch?: number): Promise<void>;
  /** The device's arrays into parts and lastStep; its sums added into `sums` and cleared. */
  linearUpdateRead(handle: LinearUpdateHandle, parts: (Float32Array | null)[], lastStep: Int32Array, sums: Float64Array): Promise<void>;
  /** Frees the handle's device memory. */
  linearUpdateClose(handle: LinearUpdateHandle): void;
  /**
   * A factorization-machine state (parts in fm_step.cuh's FmPart order, null where absent), its model table
   * [models × 8] and last steps copied to the selected device with zeroed metric sums (fm_step_binding.cc).
   */
  fmOpen(settings: Float64Array, models: Float64Array, parts: (Float32Array | null)[], lastStep: Int32Array): FmHandle;
  /** Enqueues a batch's step (training) or scoring; slot: the metric sums it adds to (−1: none). Resolves once the arrays may be reused. */
  fmAdd(handle: FmHandle, labels: Float32Array, weights: Float32Array | null, values: Float32Array, indptr: Int32Array | null,
    indices: Uint32Array | null, rows: number, index: Uint32Array | null, touched: number, step: number, training: boolean, slot: number,
    keptBatch?: number): Promise<void>;
  /** The device's parts and last steps into the host's; its sums [2 × models × 6] added into `sums` and cleared. */
  fmRead(handle: FmHandle, parts: (Float32Array | null)[], lastStep: Int32Array, sums: Float64Array): Promise<void>;
  /** Frees the handle's device memory. */
  fmClose(handle: FmHandle): void;
  /**
   * The top indices.length candidates for one user, each scored as the row user ∪ item (params: dim, factors, bias,
   * logistic); indptr and indices null for dense rows (kernels/cuda/factorization_machines/fm_recommend_binding.cc).
   */
  fmRecommend(linear: Float32Array, factors: Float32Array, params: Float64Array, userValues: Float32Array, userIndptr: Int32Array | null,
    userIndices: Uint32Array | null, itemValues: Float32Array, itemIndptr: Int32Array | null, itemIndices: Uint32Array | null, itemRows: number,
    indices: Int32Array, scores: Float32Array): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The CUDA addon npm users get: built by `npm run prebuild` for every shipped architecture (scripts/build-cuda.mjs). */
export function shippedCudaAddonPath(): string {
  return join(packageRoot, 'prebuilds', 'cuda', `${process.platform}-${process.arch}`, 'boundless_cuda.node');
}

/**
 * Where the CUDA addon is loaded from: BOUNDLESS_CUDA_ADDON_PATH, else this checkout's
 * `npm run build:cuda` output (build-cuda/), else the one shipped in the package.
 */
export function cudaAddonPath(): string {
  if (process.env.BOUNDLESS_CUDA_ADDON_PATH) return resolve(process.env.BOUNDLESS_CUDA_ADDON_PATH);
  const built = join(packageRoot, 'build-cuda', 'Release', 'boundless_cuda.node');
  return existsSync(built) || !existsSync(shippedCudaAddonPath()) ? built : shippedCudaAddonPath();
}

/** CUDA 13's minimum Linux driver (NVIDIA's CUDA 13.0 release notes: 580.65.06). */
export const minimumDriver = '580';

/**
 * Why the shipped addon is not even loaded here: on Linux, no NVIDIA device node (/dev/nvidiactl;
 * WSL's /dev/dxg). A machine without a GPU then never starts the CUDA runtime.
 */
function noDeviceReason(path: string): string | undefined {
  if (process.platform !== 'linux' || path !== shippedCudaAddonPath()) return undefined;
  if (existsSync('/dev/nvidiactl') || existsSync('/dev/dxg')) return undefined;
  return 'no NVIDIA device node (/dev/nvidiactl): the shipped CUDA addon was not loaded; cpu runs';
}

const cudaVersion = (v: number) => `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;

/** deviceInfo's reason, with what to do when the driver is older than the addon's CUDA runtime. */
function explain(info: ReturnType<CudaAddon['deviceInfo']>): string {
  if (!/cudaErrorInsufficientDriver/.test(info.reason)) return info.reason;
  const driver = info.driverVersion > 0 ? `the installed NVIDIA driver supports CUDA ${cudaVersion(info.driverVersion)}` : 'no NVIDIA driver is loaded';
  return `${driver}, but the CUDA addon's runtime is CUDA ${cudaVersion(info.runtimeVersion)}, which needs driver ${minimumDriver} or newer; ` +
    `cpu runs (${info.reason})`;
}

function loadCudaAddon(): CudaAddon {
  const path = cudaAddonPath();
  const named = process.env.BOUNDLESS_CUDA_ADDON_PATH;
  if (!existsSync(path)) {
    throw new Error(named ? `BOUNDLESS_CUDA_ADDON_PATH=${named}: no file ${path}`
      : `CUDA addon not built (no ${path}; run \`npm run build:cuda\` where nvcc exists)`);
  }
  try {
    return require(path) as CudaAddon;
  } catch (error) {
    throw new Error(`${named ? `BOUNDLESS_CUDA_ADDON_PATH=${named}: ` : ''}cannot load the CUDA addon ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** BOUNDLESS_CUDA_DEVICE: the device index among the visible ones (default 0); anything else is an error. */
export function cudaDeviceIndex(): number {
  const value = process.env.BOUNDLESS_CUDA_DEVICE;
  if (value === undefined || value === '') return 0;
  if (!/^\d+$/.test(value)) throw new Error(`BOUNDLESS_CUDA_DEVICE: expected a device index (0, 1, …), got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Addons told to free the device copies of kept batches when the epoch cache lets them go (once each). */
const releasing = new WeakSet<CudaAddon>();

function freeKeptCopiesWith(addon: CudaAddon): void {
  if (releasing.has(addon)) return;
  releasing.add(addon);
  onKeptBatchesReleased((first, last) => addon.residentRelease(first, last));
}

export class CudaBackend implements Backend {
  readonly name = 'cuda' as const;
  readonly details: Record<string, unknown>;
  readonly counters = new KernelCounters('cuda');
  /** The states this device trains (device-state.ts): their calls one at a time, settled before the backend goes. */
  readonly states = new ResidentStates('cuda');

  private readonly trafficAtStart: DeviceTrafficCounts;

  constructor(readonly addon: CudaAddon) {
    const device = cudaDeviceIndex();
    try {
      addon.selectDevice(device);
    } catch (error) {
      throw new Error(`BOUNDLESS_CUDA_DEVICE=${device}: ${(error as Error).message}`);
    }
    this.details = { ...addon.deviceInfo(), addonPath: cudaAddonPath(), selectedDevice: device };
    this.trafficAtStart = this.trafficNow();
    freeKeptCopiesWith(addon);
  }

  private trafficNow(): DeviceTrafficCounts {
    const t = this.addon.trafficCounts();
    return { submissions: t.launches, bytesToDevice: t.bytesToDevice, readBacks: t.readBacks, bytesFromDevice: t.bytesFromDevice, synchronizations: t.synchronizations };
  }

  /**
   * What the cuda addon launched, copied and waited for since this backend was made (or since `since`): the process's
   * counts, so two cuda backends in one process see each other's.
   */
  readonly traffic = {
    snapshot: (since?: DeviceTrafficCounts): DeviceTrafficCounts => {
      const counts = countsSince(this.trafficNow(), this.trafficAtStart);
      return since ? countsSince(counts, since) : counts;
    },
  };

  run<K extends KernelName>(kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
    this.states.assertOpen();
    return getKernel('cuda', kernel)(this, inputs);
  }

  async dispose(): Promise<void> {
    await this.states.close();
  }
}

registerKernel<'denseLinear', CudaBackend>('cuda', 'denseLinear', async (backend, inputs) => {
  const out = validateDenseLinear(inputs);
  await backend.addon.denseLinear(inputs.x, inputs.w, inputs.bias ?? null, out,
    inputs.rows, inputs.cols, inputs.models).catch((error) => declineOutOfMemory('denseLinear', error));
  return out;
});

// kernels/cuda/rows/: device buffers kept from call to call; a model or batch that does not fit in
// device memory is declined (cpu runs it, or strict mode says so) with the sizes in the reason.
registerRowKernels<CudaBackend>('cuda', (backend) => ({
  async run(call) {
    const output = new Uint32Array(call.outputWords);
    const flags = await backend.addon.rowKernel(call.kernel, call.batch, call.model, paramWords(call.params), output)
      .catch((error) => declineOutOfMemory(call.kernel, error));
    return { output: output.buffer, flags: flagsOf(flags) };
  },
}));

export const cudaBackend: BackendDefinition = {
  name: 'cuda',
  priority: 300,
  async probe() {
    const skipped = noDeviceReason(cudaAddonPath());
    if (skipped) return { available: false, preferred: false, reason: skipped, details: { addonPath: cudaAddonPath() } };
    let addon: CudaAddon;
    try {
      addon = loadCudaAddon();
    } catch (error) {
      return { available: false, preferred: false, reason: (error as Error).message.split('\n')[0], details: {} };
    }
    const info = addon.deviceInfo();
    const details = { ...info, addonPath: cudaAddonPath() };
    if (!info.available) return { available: false, preferred: false, reason: explain(info), details };
    const first = info.devices[0];
    if (info.emulated) {
      return {
        available: true,
        preferred: false,
        reason: `${first.name}: the CUDA addon's sources built against a CPU emulation of the CUDA runtime, for tests; runs when forced`,
        details,
      };
    }
    // Not auto's choice: on an H200 its kernels gave cpu's results but ran slower than the same machine's
    // 16-core cpu for most shapes (bench/results/gpu, README "Backends"); auto picks what is faster.
    return {
      available: true,
      preferred: false,
      reason: `${info.devices.length} device(s), first ${first.name} (sm ${first.computeCapability}): runs when forced ` +
        '(--backend cuda, BOUNDLESS_BACKEND=cuda); auto keeps cpu, which was faster for most kernels on an H200 beside 16 CPU cores',
      details,
    };
  },
  async create() {
    return new CudaBackend(loadCudaAddon());
  },
};
