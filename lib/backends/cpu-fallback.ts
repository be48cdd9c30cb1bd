// Runs a kernel on the chosen backend, or on cpu where that backend has no
// implementation of it yet: algorithms stay usable on every backend while
// the CUDA and WGSL versions of their kernels land one by one.
import { CpuBackend } from './cpu.js';
import type { KernelInputs, KernelName, KernelOutputs } from './kernels.js';
import { loadCoreAddon } from './native-addon.js';
import { hasKernel, type Backend } from './registry.js';

let fallback: CpuBackend | undefined;

export function runOrFallBack<K extends KernelName>(backend: Backend, kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
  if (hasKernel(backend.name, kernel)) return backend.run(kernel, inputs);
  return sharedCpuBackend().run(kernel, inputs);
}

/** The process's cpu backend for kernels called where no backend was given (an algorithm's endPass). */
export function sharedCpuBackend(): CpuBackend {
  fallback ??= new CpuBackend(loadCoreAddon());
  return fallback;
}
