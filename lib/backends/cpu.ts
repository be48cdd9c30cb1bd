// The cpu backend: the core C++ addon. Always present; the reference every
// other backend is tested against.
import { coreAddonPath, loadCoreAddon, type CoreAddon } from './native-addon.js';
import { validateDenseLinear } from './kernels.js';
import { getKernel, registerKernel, type Backend, type BackendDefinition } from './registry.js';
import type { KernelInputs, KernelName, KernelOutputs } from './kernels.js';

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly details: Record<string, unknown>;

  constructor(readonly addon: CoreAddon) {
    this.details = { ...addon.runtimeInfo(), addonPath: coreAddonPath() };
  }

  run<K extends KernelName>(kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
    return getKernel('cpu', kernel)(this, inputs);
  }

  async dispose(): Promise<void> {}
}

registerKernel<'denseLinear', CpuBackend>('cpu', 'denseLinear', async (backend, inputs) => {
  const out = validateDenseLinear(inputs);
  await backend.addon.denseLinear(inputs.x, inputs.w, inputs.bias ?? null, out,
    inputs.rows, inputs.cols, inputs.models);
  return out;
});

registerKernel<'linearLearnerUpdate', CpuBackend>('cpu', 'linearLearnerUpdate', (backend, { settings, state, batch, metrics }) =>
  backend.addon.linearLearnerUpdate(settings, state, batch, metrics));
registerKernel<'linearLearnerEvaluate', CpuBackend>('cpu', 'linearLearnerEvaluate', (backend, { settings, state, batch, metrics }) =>
  backend.addon.linearLearnerEvaluate(settings, state, batch, metrics));
registerKernel<'linearLearnerPredict', CpuBackend>('cpu', 'linearLearnerPredict', (backend, { model, batch, outputs }) =>
  backend.addon.linearLearnerPredict(model, batch, outputs));

registerKernel<'kmeansUpdate', CpuBackend>('cpu', 'kmeansUpdate', (backend, { settings, state, batch }) =>
  backend.addon.kmeansUpdate(settings, state, batch));
registerKernel<'kmeansAssign', CpuBackend>('cpu', 'kmeansAssign', (backend, i) =>
  backend.addon.kmeansAssign(i.centers, i.count, i.dim, i.batch, i.nearest, i.distance2, i.all ?? null));

export const cpuBackend: BackendDefinition = {
  name: 'cpu',
  priority: 100,
  async probe() {
    try {
      const info = loadCoreAddon().runtimeInfo();
      return {
        available: true,
        preferred: true,
        reason: `core addon loaded (${info.isa}, ${info.threads} threads)`,
        details: { ...info, addonPath: coreAddonPath() },
      };
    } catch (error) {
      return { available: false, preferred: false, reason: (error as Error).message, details: {} };
    }
  },
  async create() {
    return new CpuBackend(loadCoreAddon());
  },
};
