// What a GPU backend moves and waits for, counted where it happens: bytes
// written to the device, command buffers submitted (webgpu) or kernels launched
// (cuda), and read-backs (each one a wait for the device) with their bytes. The
// webgpu backend's kernels go through one TrafficQueue; the cuda addon counts
// its own copies, launches and waits (kernels/cuda/runtime/traffic.cuh). So
// "nothing is read back per batch" is a number a user can check (train()'s
// metrics.device, the CLI's final JSON) rather than a claim.

import { countsSince, type DeviceTrafficCounts } from './device-traffic-counts.js';

const zero = (): DeviceTrafficCounts => ({ submissions: 0, bytesToDevice: 0, readBacks: 0, bytesFromDevice: 0 });

/** A GPUQueue's writes and submissions, counted; and the read-backs of buffers, counted and awaited. */
export class TrafficQueue {
  private readonly counts = zero();

  constructor(private readonly queue: GPUQueue) {}

  /** queue.writeBuffer (data an ArrayBuffer with byte offsets, or a whole typed array). */
  writeBuffer(buffer: GPUBuffer, offset: number, data: ArrayBufferLike | ArrayBufferView, dataOffset?: number, size?: number): void {
    const bytes = size ?? (ArrayBuffer.isView(data) ? data.byteLength : data.byteLength - (dataOffset ?? 0));
    this.counts.bytesToDevice += bytes;
    if (ArrayBuffer.isView(data)) this.queue.writeBuffer(buffer, offset, data as unknown as ArrayBuffer);
    else this.queue.writeBuffer(buffer, offset, data as ArrayBuffer, dataOffset, size);
  }

  submit(commands: GPUCommandBuffer[]): void {
    this.counts.submissions += commands.length;
    this.queue.submit(commands);
  }

  onSubmittedWorkDone(): Promise<undefined> {
    return this.queue.onSubmittedWorkDone();
  }

  /** Maps `bytes` of a MAP_READ buffer (after the work that fills it was submitted): one wait for the device. */
  async readBack(buffer: GPUBuffer, bytes: number): Promise<void> {
    this.counts.readBacks++;
    this.counts.bytesFromDevice += bytes;
    await buffer.mapAsync(GPUMapMode.READ, 0, bytes);
  }

  /** The counts now; with `since`, only what was counted after that snapshot. */
  snapshot(since?: DeviceTrafficCounts): DeviceTrafficCounts {
    const now = { ...this.counts };
    return since ? countsSince(now, since) : now;
  }
}
