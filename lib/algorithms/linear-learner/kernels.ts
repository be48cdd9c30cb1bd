// Runs the linear learner's kernels on the chosen backend, or on cpu where
// that backend has no implementation yet (the CUDA and WGSL versions of the
// update are a later step; the registry makes them drop-in).
import { CpuBackend } from '../../backends/cpu.js';
import type { KernelInputs, KernelOutputs } from '../../backends/kernels.js';
import { loadCoreAddon, type CoreAddon } from '../../backends/native-addon.js';
import { hasKernel, type Backend } from '../../backends/registry.js';

type LinearKernel = 'linearLearnerUpdate' | 'linearLearnerEvaluate' | 'linearLearnerPredict';

let fallback: CpuBackend | undefined;

export function runLinearKernel<K extends LinearKernel>(backend: Backend, kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
  if (hasKernel(backend.name, kernel)) return backend.run(kernel, inputs);
  fallback ??= new CpuBackend(loadCoreAddon());
  return fallback.run(kernel, inputs);
}

/** The core addon, for the model-sized synchronous steps (initialization, catch-up). */
export function coreAddon(): CoreAddon {
  return loadCoreAddon();
}
