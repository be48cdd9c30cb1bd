// One rule for every cuda kernel: a call whose state or buffers do not fit in
// the device's memory is declined (cpu runs it, or strict mode says so), the
// bytes needed and free in the reason; any other failure is an error.
import { KernelDeclined, type KernelName } from './kernels.js';

/** Whether `error` is the addon's "cuda <fn>: out of device memory: …". */
export function isOutOfDeviceMemory(error: unknown): boolean {
  return error instanceof Error && /^cuda \w+: out of device memory: /.test(error.message);
}

/** Throws the KernelDeclined for an out-of-memory `error`, or `error` itself. */
export function declineOutOfMemory(kernel: KernelName, error: unknown): never {
  if (isOutOfDeviceMemory(error)) throw new KernelDeclined(kernel, (error as Error).message);
  throw error;
}

/**
 * Awaits a batch added to a state held on the device; when it did not fit (it added nothing there), settles the
 * state first, so that cpu, running the batch instead, continues from host arrays that hold every batch before it.
 */
export async function settleAndDeclineOutOfMemory(kernel: KernelName, held: { settleNow(): Promise<void> }, added: Promise<void>): Promise<void> {
  try {
    await added;
  } catch (error) {
    if (!isOutOfDeviceMemory(error)) throw error;
    await held.settleNow();
    declineOutOfMemory(kernel, error);
  }
}
