// Runs a kernel on the chosen backend, or on cpu where that backend has no
// implementation of it (the coverage table, lib/backends/coverage.ts, lists
// which) or its implementation declines the inputs. Every call is counted on
// the chosen backend (kernel-counters.ts). Under BOUNDLESS_STRICT_BACKEND=1 a
// backend that declines a kernel it implements is an error instead of a
// fallback: how the conformance suite proves a GPU backend ran what it claims.
import { CpuBackend } from './cpu.js';
import { KernelDeclined, kernelNames, type KernelInputs, type KernelName, type KernelOutputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { hasKernel, type Backend } from './registry.js';

let fallback: CpuBackend | undefined;
const knownKernels = new Set<string>(kernelNames);

/** A kernel the chosen backend declined under BOUNDLESS_STRICT_BACKEND=1; `cause` is the KernelDeclined. */
export class StrictBackendError extends Error {
  override name = 'StrictBackendError';
  constructor(readonly backend: string, readonly declined: KernelDeclined) {
    super(`BOUNDLESS_STRICT_BACKEND=1: backend '${backend}' declined kernel '${declined.kernel}' (${declined.message}); it would have run on cpu`,
      { cause: declined });
  }
}

/** BOUNDLESS_STRICT_BACKEND: '1' strict, unset, '' or '0' not; anything else is an error. */
export function strictBackend(): boolean {
  const value = process.env.BOUNDLESS_STRICT_BACKEND;
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(`BOUNDLESS_STRICT_BACKEND: expected 1 (strict) or 0, got ${JSON.stringify(value)}`);
}

/** Runs `kernel` on `backend`, or on cpu where the backend lacks or declines it; counts the call. */
export async function runKernel<K extends KernelName>(backend: Backend, kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
  if (!knownKernels.has(kernel)) throw new TypeError(`runKernel: no kernel ${JSON.stringify(kernel)}; expected one of ${kernelNames.join(', ')}`);
  const strict = strictBackend();
  if (backend.name === 'cpu' || !hasKernel(backend.name, kernel)) {
    backend.counters.record(kernel, backend.name !== 'cpu');
    return (backend.name === 'cpu' ? backend : sharedCpuBackend()).run(kernel, inputs);
  }
  try {
    const output = await backend.run(kernel, inputs);
    backend.counters.record(kernel, false);
    return output;
  } catch (error) {
    if (!(error instanceof KernelDeclined)) throw error;
    if (strict) throw new StrictBackendError(backend.name, error);
    backend.counters.record(kernel, true, error.message);
    return sharedCpuBackend().run(kernel, inputs);
  }
}

/** The process's cpu backend, for fallbacks and for work no backend was given to. */
export function sharedCpuBackend(): CpuBackend {
  fallback ??= new CpuBackend(loadCoreAddon());
  return fallback;
}
