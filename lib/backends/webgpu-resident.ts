// What webgpu's training kernels share for a state they keep on the device
// (webgpu-pca, webgpu-kmeans, webgpu-fm, webgpu-linear-learner): the usage of
// their storage buffers, batch-sized buffers that grow to the largest batch
// (never created per call), one bind-group layout per shader for all its entry
// points, and the one read-back a state gets when it is settled.
import type { WebGpuBackend } from './webgpu.js';

/** Storage that the host writes batches into and reads sums back from. */
export const storageUsage = (): number => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;

/** Batch-sized buffers by role, each grown (never shrunk) to the next power of two the device can bind. */
export class GrowingBuffers {
  private readonly held = new Map<string, GPUBuffer>();

  /** label: what the buffers are of, for the device's messages ("kmeans"). */
  constructor(private readonly gpu: WebGpuBackend, private readonly label: string) {}

  /** The buffer for `role` with at least `bytes`; growing waits for no one, as the queue keeps a destroyed buffer until its work is done. */
  get(role: string, bytes: number): GPUBuffer {
    const held = this.held.get(role);
    if (held && held.size >= bytes) return held;
    held?.destroy();
    const doubled = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    // A whole buffer is bound: growth past the binding limit would make a fitting call unbindable.
    const size = doubled <= this.gpu.bindingLimitBytes ? doubled : Math.ceil(bytes / 4) * 4;
    const buffer = this.gpu.device.createBuffer({ size, usage: storageUsage(), label: `${this.label} ${role}` });
    this.held.set(role, buffer);
    return buffer;
  }

  destroy(): void {
    for (const buffer of this.held.values()) buffer.destroy();
    this.held.clear();
  }
}

/** 'dynamic': a uniform block chosen per dispatch by a dynamic offset (one bind group for many steps). */
type Binding = 'read' | 'write' | 'uniform' | 'dynamic';
const layouts = new WeakMap<WebGpuBackend, Map<string, { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout }>>();

/**
 * One bind-group layout (bindings 0, 1, … as `bindings` says) and its pipeline layout for every entry point of the
 * shader `name`, made once per device: each pass of a batch then binds the same buffers.
 */
export function sharedLayout(gpu: WebGpuBackend, name: string, bindings: Binding[]): { group: GPUBindGroupLayout; pipeline: GPUPipelineLayout } {
  let byName = layouts.get(gpu);
  if (!byName) {
    byName = new Map();
    layouts.set(gpu, byName);
  }
  let layout = byName.get(name);
  if (!layout) {
    const type = { read: 'read-only-storage', write: 'storage', uniform: 'uniform', dynamic: 'uniform' } as const;
    const group = gpu.device.createBindGroupLayout({
      entries: bindings.map((kind, binding) => ({
        binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: type[kind], hasDynamicOffset: kind === 'dynamic' },
      })),
    });
    layout = { group, pipeline: gpu.device.createPipelineLayout({ bindGroupLayouts: [group] }) };
    byName.set(name, layout);
  }
  return layout;
}

/**
 * Copies the first `bytes` of `source` back to the host and hands them to `read` while mapped. `what` names what is
 * lost if the read-back fails ("the k-means state"): the error says so rather than leaving the host's arrays stale.
 */
export async function readBackInto(gpu: WebGpuBackend, source: GPUBuffer, bytes: number, what: string, read: (mapped: ArrayBuffer) => void): Promise<void> {
  const readback = gpu.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: `${what} read-back` });
  try {
    const encoder = gpu.device.createCommandEncoder();
    encoder.copyBufferToBuffer(source, 0, readback, 0, bytes);
    gpu.queue.submit([encoder.finish()]);
    await gpu.queue.readBack(readback, bytes).catch((error: Error) => {
      throw new Error(`webgpu: reading ${what} back failed (${error.message || error.name}); its latest batches are lost`);
    });
    read(readback.getMappedRange(0, bytes));
    readback.unmap();
  } finally {
    readback.destroy();
  }
}
