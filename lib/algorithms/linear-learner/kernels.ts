// The linear learner's kernels: on the chosen backend or, where it has none yet, on cpu.
import type { KernelInputs, KernelOutputs } from '../../backends/kernels.js';
import { runOrFallBack } from '../../backends/cpu-fallback.js';
import { loadCoreAddon, type CoreAddon } from '../../backends/native-addon.js';
import type { Backend } from '../../backends/registry.js';

type LinearKernel = 'linearLearnerUpdate' | 'linearLearnerEvaluate' | 'linearLearnerPredict';

export function runLinearKernel<K extends LinearKernel>(backend: Backend, kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
  return runOrFallBack(backend, kernel, inputs);
}

/** The core addon, for the model-sized synchronous steps (initialization, catch-up). */
export function coreAddon(): CoreAddon {
  return loadCoreAddon();
}
