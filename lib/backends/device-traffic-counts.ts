// What a GPU backend moves and waits for, as counts (see device-traffic.ts, which counts
// webgpu's; the cuda addon counts its own). A module of its own, free of WebGPU's types:
// train()'s result and the Backend interface carry these counts, and a TypeScript user who
// checks the package's declarations (skipLibCheck off) would otherwise need @webgpu/types.

/** The counts (since the backend was created, or since a snapshot). */
export interface DeviceTrafficCounts {
  /** Command buffers submitted to the device's queue (webgpu), or kernels launched (cuda). */
  submissions: number;
  /** Bytes written from the host into device buffers. */
  bytesToDevice: number;
  /** Read-backs: each maps a buffer and waits for the device to finish the work before it. */
  readBacks: number;
  /** Bytes those read-backs brought to the host. */
  bytesFromDevice: number;
  /** cuda: every wait for the device (read-backs, a kernel's fault check, a buffer grown once the work reading it ran). */
  synchronizations?: number;
}

/** The difference of two counts: what was counted after `since`. */
export function countsSince(now: DeviceTrafficCounts, since: DeviceTrafficCounts): DeviceTrafficCounts {
  const difference = {
    submissions: now.submissions - since.submissions, bytesToDevice: now.bytesToDevice - since.bytesToDevice,
    readBacks: now.readBacks - since.readBacks, bytesFromDevice: now.bytesFromDevice - since.bytesFromDevice,
  };
  return now.synchronizations === undefined ? difference : { ...difference, synchronizations: now.synchronizations - (since.synchronizations ?? 0) };
}
