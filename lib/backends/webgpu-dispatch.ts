// How the webgpu backend's row kernels reach the GPU: buffers that live as
// long as the backend and grow when a call needs more (never created per
// call), calls serialized so that they never share a buffer at once, and one
// shape for every row kernel — a batch, a model, an output and a flags buffer,
// one invocation per row, one read-back of the output and the flags.
//
// The four storage bindings are the most WebGPU's compatibility mode (Dawn's
// OpenGL backend, Mesa's llvmpipe) allows per shader stage, so a sparse batch
// travels as one buffer: indptr, then indices, then the values' bits.
import type { Batch } from '../data/batch.js';
import type { TrafficQueue } from './device-traffic.js';
import { batchLayout, flagCount, flagsOf, noRow, type BatchLayout, type RowResult } from './row-kernels.js';

const workgroupSize = 64;
const maxWorkgroupsPerDimension = 65535;

/** A grid of 64-wide workgroups covering `invocations`, in two dimensions (one holds at most 65535 workgroups). */
export function workgroupGrid(invocations: number): { x: number; y: number } {
  const groups = Math.max(1, Math.ceil(invocations / workgroupSize));
  const x = Math.min(groups, maxWorkgroupsPerDimension);
  return { x, y: Math.ceil(groups / x) };
}

/** An encoder holding one compute pass of `pipeline` over `buffers` (bindings 0, 1, …) on a `grid`. */
export function encodePass(device: GPUDevice, pipeline: GPUComputePipeline, buffers: GPUBuffer[], grid: { x: number; y: number }): GPUCommandEncoder {
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(grid.x, grid.y);
  pass.end();
  return encoder;
}

/** One buffer per role (its usage fixed by the role), grown to the next power of two when a call needs more. */
class BufferArena {
  private readonly buffers = new Map<string, GPUBuffer>();
  constructor(private readonly device: GPUDevice) {}

  get(role: string, bytes: number, usage: number): GPUBuffer {
    // A whole buffer is bound: growth past the binding limit would make a fitting call unbindable.
    const doubled = Math.max(16, 2 ** Math.ceil(Math.log2(Math.max(4, bytes))));
    const size = doubled <= this.device.limits.maxStorageBufferBindingSize ? doubled : Math.ceil(bytes / 4) * 4;
    const held = this.buffers.get(role);
    if (held && held.size >= bytes) return held;
    held?.destroy();
    const buffer = this.device.createBuffer({ size, usage, label: role });
    this.buffers.set(role, buffer);
    return buffer;
  }

  destroy(): void {
    for (const buffer of this.buffers.values()) buffer.destroy();
    this.buffers.clear();
  }
}

export interface RowDispatch {
  pipeline: GPUComputePipeline;
  batch: Batch;
  /** The model's arrays, uploaded one after another into the model buffer (each starting on a 4-byte word). */
  model: (Float32Array | Int32Array | Uint32Array)[];
  /** 32-bit words of output the kernel writes. */
  outputWords: number;
  /** The kernel's uniform block after the common header (u32 or f32 words). */
  uniform: ArrayBuffer;
  /** The most loop iterations one invocation may run (the adapter's limit; 0xffffffff: none). */
  maxLoop: number;
}

/** Runs row kernels on one device, one at a time. */
export class RowDispatcher {
  private readonly arena: BufferArena;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly device: GPUDevice, private readonly queue: TrafficQueue) {
    this.arena = new BufferArena(device);
  }

  run(dispatch: RowDispatch): Promise<RowResult> {
    return this.exclusive(() => this.dispatch(dispatch));
  }

  /**
   * Runs `work` when no other call is using the buffers, giving it the arena's buffer for a role
   * (at least `bytes`, kept for later calls): how kernels of other shapes (denseLinear) share them.
   */
  exclusive<T>(work: (buffer: (role: string, bytes: number, usage: number) => GPUBuffer) => Promise<T>): Promise<T> {
    const result = this.turn.then(() => work((role, bytes, usage) => this.arena.get(role, bytes, usage)));
    this.turn = result.catch(() => undefined);
    return result;
  }

  destroy(): void {
    this.arena.destroy();
  }

  private async dispatch({ pipeline, batch, model, outputWords, uniform, maxLoop }: RowDispatch): Promise<RowResult> {
    const device = this.device;
    const layout = batchLayout(batch);
    const storage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
    const batchBuffer = this.arena.get('batch', layout.words * 4, storage);
    this.uploadBatch(batchBuffer, batch, layout);
    const modelWords = model.reduce((sum, array) => sum + array.length, 0);
    const modelBuffer = this.arena.get('model', modelWords * 4, storage);
    let offset = 0;
    for (const array of model) {
      if (array.length > 0) this.queue.writeBuffer(modelBuffer, offset, array.buffer, array.byteOffset, array.length * 4);
      offset += array.length * 4;
    }
    const output = this.arena.get('output', outputWords * 4, storage);
    const flags = this.arena.get('flags', flagCount * 4, storage);
    this.queue.writeBuffer(flags, 0, new Uint32Array(flagCount).fill(noRow));
    const grid = workgroupGrid(layout.rows);
    // The header every row kernel's uniform starts with (kernels/wgsl/common/rows.wgsl), then its own words.
    const header = new Uint32Array([layout.rows, layout.cols, layout.sparse ? 1 : 0, layout.nnz, grid.x, maxLoop, 0, 0]);
    const block = new Uint8Array(header.byteLength + uniform.byteLength);
    block.set(new Uint8Array(header.buffer), 0);
    block.set(new Uint8Array(uniform), header.byteLength);
    const uniformBuffer = this.arena.get('uniform', block.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.queue.writeBuffer(uniformBuffer, 0, block);
    const encoder = encodePass(device, pipeline, [batchBuffer, modelBuffer, output, flags, uniformBuffer], grid);
    // One read-back: the flags, then the output.
    const readBytes = (flagCount + outputWords) * 4;
    const readback = this.arena.get('readback', readBytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    encoder.copyBufferToBuffer(flags, 0, readback, 0, flagCount * 4);
    if (outputWords > 0) encoder.copyBufferToBuffer(output, 0, readback, flagCount * 4, outputWords * 4);
    this.queue.submit([encoder.finish()]);
    await this.queue.readBack(readback, readBytes);
    try {
      const mapped = readback.getMappedRange(0, readBytes);
      return { flags: flagsOf(new Uint32Array(mapped, 0, flagCount)), output: mapped.slice(flagCount * 4, readBytes) };
    } finally {
      readback.unmap();
    }
  }

  private uploadBatch(buffer: GPUBuffer, batch: Batch, layout: BatchLayout): void {
    const queue = this.queue;
    if (batch.kind === 'dense') {
      if (layout.words > 0) queue.writeBuffer(buffer, 0, batch.values.buffer, batch.values.byteOffset, layout.words * 4);
      return;
    }
    if (batch.kind !== 'sparse') return;
    const { rows, nnz } = layout;
    queue.writeBuffer(buffer, 0, batch.indptr.buffer, batch.indptr.byteOffset, (rows + 1) * 4);
    if (nnz === 0) return;
    queue.writeBuffer(buffer, (rows + 1) * 4, batch.indices.buffer, batch.indices.byteOffset, nnz * 4);
    queue.writeBuffer(buffer, (rows + 1 + nnz) * 4, batch.values.buffer, batch.values.byteOffset, nnz * 4);
  }
}
