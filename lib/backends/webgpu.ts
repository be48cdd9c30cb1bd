// The webgpu backend: WGSL compute shaders from kernels/wgsl run through
// dawn.node (the optional `webgpu` package). On a machine without a GPU it
// runs on Mesa's llvmpipe through Dawn's OpenGL backend; that adapter is
// usable when forced (for conformance tests) but `auto` never picks it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { loadCoreAddon } from './native-addon.js';
import { KernelDeclined, validateDenseLinear } from './kernels.js';
import { KernelCounters } from './kernel-counters.js';
import { getKernel, registerKernel, type Backend, type BackendDefinition } from './registry.js';
import type { KernelInputs, KernelName, KernelOutputs } from './kernels.js';
import { encodePass, RowDispatcher, workgroupGrid } from './webgpu-dispatch.js';
import './webgpu-kernels.js';
import './webgpu-pca.js';
import './webgpu-kmeans.js';
import './webgpu-fm.js';
import './webgpu-linear-learner.js';
import './webgpu-linear-learner-update.js';
import { ResidentStates } from './device-state.js';
import { TrafficQueue } from './device-traffic.js';

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

interface OpenedAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  dawnBackend: string;
  software: boolean;
}

const softwareAdapterPattern = /llvmpipe|lavapipe|swiftshader|softpipe/i;

async function loadDawn(): Promise<DawnModule> {
  // Mesa needs a platform without a display server for headless EGL.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const dawn = (await import('webgpu')) as unknown as DawnModule;
  // WGSL constants such as GPUBufferUsage are globals in browsers.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  return dawn;
}

/**
 * Runs `work` with file descriptor 2 captured: Dawn and Mesa print diagnostics straight to it
 * ("Warning: maxDynamic... artificially reduced ...") while an adapter and device are set up.
 * Under BOUNDLESS_DEBUG=1 all of it is shown; otherwise their log lines are dropped and anything
 * else written meanwhile (the process's own output) is passed on.
 */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const addon = loadCoreAddon();
  addon.stderrCaptureBegin();
  try {
    return await work();
  } finally {
    const captured = addon.stderrCaptureEnd();
    const debug = process.env.BOUNDLESS_DEBUG === '1';
    const kept = debug ? captured : captured.split(/(?<=\n)/).filter((line) => !libraryLogLine.test(line)).join('');
    if (kept) process.stderr.write(debug ? kept.replace(/^(?=.)/gm, '[webgpu] ') : kept);
  }
}

/**
 * A line of Dawn's or Mesa's own logging: their prefixes; Mesa's Vulkan loader complaining about
 * XDG_RUNTIME_DIR (machines with Vulkan drivers but no session); the context lines Dawn adds under
 * an adapter that failed to start (" - While initializing adapter", "    at Fn (…/dawn/…)"); blank lines.
 */
const libraryLogLine = /^(Warning|Info|Debug|MESA|libEGL|ANGLE)\b|^error: XDG_RUNTIME_DIR\b|^ - While initializing adapter\b|^\s+at \S+ \(.*dawn.*\)\n?$|^\s*$/;

/** On Linux, whether the Vulkan loader is installed (in the linker cache or LD_LIBRARY_PATH). */
function vulkanLoaderPresent(): boolean {
  if (process.platform !== 'linux') return true;
  try {
    if (readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1')) return true;
  } catch {
    // No cache: fall through to the search path.
  }
  return (process.env.LD_LIBRARY_PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, 'libvulkan.so.1')));
}

/**
 * One Dawn instance per Dawn backend for the whole process, never released: dawn.node crashes
 * when an instance is collected while something made from it lives, and probing, every
 * createBackend('webgpu') and the tests' many backends would otherwise each make and drop one.
 * A held instance does not keep the process from exiting.
 */
const instances = new Map<string, GPU>();

function instanceFor(dawn: DawnModule, candidate: string): GPU {
  let gpu = instances.get(candidate);
  if (!gpu) {
    gpu = dawn.create(candidate === 'default' ? [] : [`backend=${candidate}`]);
    instances.set(candidate, gpu);
  }
  return gpu;
}

/**
 * The first adapter found: the platform's native GPU API first, then OpenGL (which Mesa's
 * llvmpipe provides on machines without a GPU). BOUNDLESS_WEBGPU_BACKEND names one Dawn backend
 * (vulkan, opengl, ...) to use alone.
 */
async function openAdapter(): Promise<OpenedAdapter> {
  const dawn = await loadDawn();
  const forced = process.env.BOUNDLESS_WEBGPU_BACKEND;
  const tried: string[] = [];
  let candidates = forced ? [forced] : ['default', 'opengl'];
  if (!forced && !vulkanLoaderPresent()) {
    // Dawn's default on Linux is Vulkan; without the loader it only prints a warning.
    candidates = ['opengl'];
    tried.push('default (no libvulkan.so.1)');
  }
  for (const candidate of candidates) {
    const gpu = instanceFor(dawn, candidate);
    const adapter = await gpu.requestAdapter({
      powerPreference: 'high-performance',
      featureLevel: candidate === 'opengl' || candidate === 'opengles' ? 'compatibility' : 'core',
    } as GPURequestAdapterOptions);
    if (adapter) {
      const info = adapter.info;
      const name = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
      return { gpu, adapter, dawnBackend: candidate, software: softwareAdapterPattern.test(name) };
    }
    tried.push(candidate);
  }
  throw new Error(`no WebGPU adapter from Dawn backend(s): ${tried.join(', ')}`);
}

function adapterDetails(opened: OpenedAdapter): Record<string, unknown> {
  const info = opened.adapter.info;
  return {
    dawnBackend: opened.dawnBackend,
    device: info.device,
    description: info.description,
    vendor: info.vendor,
    software: opened.software,
    maxStorageBufferBindingSize: opened.adapter.limits.maxStorageBufferBindingSize,
  };
}

/** kernels/wgsl/<name>.wgsl, with each `//! include <other>` line replaced by that file (WGSL has no includes). */
function shaderSource(name: string): string {
  const source = readFileSync(join(packageRoot, 'kernels', 'wgsl', `${name}.wgsl`), 'utf8');
  return source.replace(/^\/\/! include (\S+)$/gm, (_, other: string) => shaderSource(other));
}

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly details: Record<string, unknown>;
  readonly counters = new KernelCounters('webgpu');
  readonly device: GPUDevice;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly modules = new Map<string, GPUShaderModule>();
  /** The row kernels' buffers and their one-at-a-time queue (webgpu-dispatch.ts). */
  readonly rows: RowDispatcher;
  /** The device's queue, its writes, submissions and read-backs counted (device-traffic.ts). */
  readonly queue: TrafficQueue;

  get traffic(): TrafficQueue {
    return this.queue;
  }
  /**
   * Largest buffer one binding may hold; inputs beyond it go in chunks. Starts at the device
   * limit; lowering it (tests do) exercises the chunked path on small inputs.
   */
  bindingLimitBytes: number;
  /** The states this device trains (device-state.ts): their calls one at a time, settled before the device goes. */
  readonly states = new ResidentStates('webgpu');

  constructor(opened: OpenedAdapter, device: GPUDevice) {
    this.device = device;
    this.details = adapterDetails(opened);
    this.bindingLimitBytes = device.limits.maxStorageBufferBindingSize;
    this.queue = new TrafficQueue(device.queue);
    this.rows = new RowDispatcher(device, this.queue);
  }

  static async open(): Promise<WebGpuBackend> {
    return quietly(async () => {
      const opened = await openAdapter();
      const limits = opened.adapter.limits;
      const device = await opened.adapter.requestDevice({
        requiredLimits: {
          maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
          maxBufferSize: limits.maxBufferSize,
        },
      });
      return new WebGpuBackend(opened, device);
    });
  }

  /**
   * A compute pipeline for kernels/wgsl/<name>.wgsl (name: folder and file, e.g. linalg/dense_linear), compiled once
   * per entry point. `layout`: an explicit pipeline layout, for shaders whose entry points share one bind group (each
   * pipeline then binds every buffer of it, used or not); the default derives it from the entry point.
   */
  async pipeline(name: string, entryPoint = 'main', layout?: GPUPipelineLayout): Promise<GPUComputePipeline> {
    const key = `${name}#${entryPoint}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      let module = this.modules.get(name);
      if (!module) {
        module = this.device.createShaderModule({ code: shaderSource(name), label: name });
        this.modules.set(name, module);
      }
      pipeline = await this.device.createComputePipelineAsync({
        layout: layout ?? 'auto', compute: { module, entryPoint }, label: key,
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  run<K extends KernelName>(kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
    this.states.assertOpen();
    return getKernel('webgpu', kernel)(this, inputs);
  }

  async dispose(): Promise<void> {
    // What the device holds for states is theirs: read back before the device goes.
    await this.states.close();
    this.rows.destroy();
    this.pipelines.clear();
    this.modules.clear();
    this.device.destroy();
  }
}

registerKernel<'denseLinear', WebGpuBackend>('webgpu', 'denseLinear', async (backend, inputs) => {
  const out = validateDenseLinear(inputs);
  const { rows, cols, models } = inputs;
  if (rows === 0 || models === 0) return out;
  const device = backend.device;
  const pipeline = await backend.pipeline('linalg/dense_linear');
  // Rows go in chunks small enough for one storage binding of x and of out.
  const maxBinding = backend.bindingLimitBytes;
  const rowBytes = Math.max(cols, models) * 4;
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(maxBinding / Math.max(4, rowBytes))));
  if (models * cols * 4 > maxBinding) {
    throw new KernelDeclined('denseLinear', `w is ${models * cols * 4} bytes, over this WebGPU ` +
      `device's storage binding limit of ${maxBinding} bytes`);
  }
  const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
  // The row kernels' buffers, by role, one call at a time: nothing is created or destroyed per call.
  await backend.rows.exclusive(async (buffer) => {
    const w = buffer('model', inputs.w.byteLength + 4, storage);
    if (inputs.w.byteLength > 0) backend.queue.writeBuffer(w, 0, inputs.w.buffer, inputs.w.byteOffset, inputs.w.byteLength);
    const bias = buffer('bias', models * 4, storage);
    if (inputs.bias) backend.queue.writeBuffer(bias, 0, inputs.bias.buffer, inputs.bias.byteOffset, models * 4);
    const x = buffer('batch', chunkRows * cols * 4 + 4, storage);
    const result = buffer('output', chunkRows * models * 4, storage);
    const readback = buffer('readback', chunkRows * models * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    const dims = buffer('uniform', 32, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    for (let start = 0; start < rows; start += chunkRows) {
      const count = Math.min(chunkRows, rows - start);
      const xChunk = inputs.x.subarray(start * cols, (start + count) * cols);
      if (xChunk.byteLength > 0) backend.queue.writeBuffer(x, 0, xChunk.buffer, xChunk.byteOffset, xChunk.byteLength);
      const grid = workgroupGrid(count * models);
      backend.queue.writeBuffer(dims, 0, new Uint32Array([count, cols, models, inputs.bias ? 1 : 0, grid.x, 0, 0, 0]));
      const encoder = encodePass(device, pipeline, [x, w, bias, result, dims], grid);
      const bytes = count * models * 4;
      encoder.copyBufferToBuffer(result, 0, readback, 0, bytes);
      backend.queue.submit([encoder.finish()]);
      await backend.queue.readBack(readback, bytes);
      out.set(new Float32Array(readback.getMappedRange(0, bytes)), start * models);
      readback.unmap();
    }
  });
  return out;
});

export const webgpuBackend: BackendDefinition = {
  name: 'webgpu',
  priority: 200,
  async probe() {
    try {
      const opened = await quietly(openAdapter);
      const details = adapterDetails(opened);
      if (opened.software) {
        return {
          available: true,
          preferred: false,
          reason: `software adapter (${opened.adapter.info.device}): runs when forced, never chosen by auto`,
          details,
        };
      }
      // Not auto's choice, as cuda's: on an H200 its kernels ran slower than the same machine's 16-core cpu for
      // most shapes (README "Backends").
      return {
        available: true, preferred: false,
        reason: `adapter ${opened.adapter.info.device}: runs when forced (--backend webgpu, BOUNDLESS_BACKEND=webgpu); ` +
          'auto keeps cpu, which was faster for most kernels on an H200 beside 16 CPU cores',
        details,
      };
    } catch (error) {
      const message = (error as Error).message;
      const reason = /Cannot find (package|module) 'webgpu'/.test(message)
        ? "the optional package 'webgpu' is not installed (npm install webgpu@0.6.2)"
        : message.split('\n')[0];
      return { available: false, preferred: false, reason, details: {} };
    }
  },
  create: () => WebGpuBackend.open(),
  autoSkipReason() {
    // On Linux a GPU shows up as a DRM render node or an NVIDIA device; without one, only a
    // software adapter could answer, and auto never picks that.
    if (process.platform !== 'linux' || process.env.BOUNDLESS_WEBGPU_BACKEND) return undefined;
    let nodes: string[] = [];
    try {
      nodes = readdirSync('/dev/dri').filter((name) => name.startsWith('renderD'));
    } catch {
      // no /dev/dri
    }
    return nodes.length === 0 && !existsSync('/dev/nvidia0') ? 'no GPU device node (/dev/dri/renderD*, /dev/nvidia0)' : undefined;
  },
};
