// The cpu backend: the core C++ addon. Always present; the reference every
// other backend is tested against.
import { coreAddonPath, loadCoreAddon, type CoreAddon } from './native-addon.js';
import { validateDenseLinear } from './kernels.js';
import { KernelCounters } from './kernel-counters.js';
import { getKernel, registerKernel, type Backend, type BackendDefinition } from './registry.js';
import type { KernelInputs, KernelName, KernelOutputs, LinearLearnerStep } from './kernels.js';
import type { Batch } from '../data/batch.js';

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly details: Record<string, unknown>;
  readonly counters = new KernelCounters('cpu');

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

// The native side reads a state's settings, arrays and metrics once per (state, metrics) pair:
// callers pass the same objects batch after batch (the algorithm caches them per state).
const preparedSteps = new WeakMap<object, { metrics: object; training: boolean; step: { run(batch: Batch): Promise<void> } }>();

function preparedStep(backend: CpuBackend, inputs: LinearLearnerStep, training: boolean) {
  const cached = preparedSteps.get(inputs.state);
  if (cached && cached.metrics === inputs.metrics && cached.training === training) return cached.step;
  const step = new backend.addon.LinearLearnerStep(inputs.settings, inputs.state, inputs.metrics, training);
  preparedSteps.set(inputs.state, { metrics: inputs.metrics, training, step });
  return step;
}

registerKernel<'linearLearnerUpdate', CpuBackend>('cpu', 'linearLearnerUpdate', (backend, inputs) =>
  preparedStep(backend, inputs, true).run(inputs.batch));
registerKernel<'linearLearnerEvaluate', CpuBackend>('cpu', 'linearLearnerEvaluate', (backend, inputs) =>
  preparedStep(backend, inputs, false).run(inputs.batch));
registerKernel<'linearLearnerPredict', CpuBackend>('cpu', 'linearLearnerPredict', (backend, { model, batch, outputs }) =>
  backend.addon.linearLearnerPredict(model, batch, outputs));

registerKernel<'kmeansUpdate', CpuBackend>('cpu', 'kmeansUpdate', (backend, { settings, state, batch, novel }) =>
  backend.addon.kmeansUpdate(settings, state, batch, novel === true));
registerKernel<'kmeansAssign', CpuBackend>('cpu', 'kmeansAssign', (backend, i) =>
  backend.addon.kmeansAssign(i.centers, i.count, i.dim, i.batch, i.nearest, i.distance2, i.all ?? null));

registerKernel<'fmUpdate', CpuBackend>('cpu', 'fmUpdate', (backend, i) => backend.addon.fmStep(i.settings, i.state, i.batch, i.metrics, true));
registerKernel<'fmEvaluate', CpuBackend>('cpu', 'fmEvaluate', (backend, i) => backend.addon.fmStep(i.settings, i.state, i.batch, i.metrics, false));
registerKernel<'fmPredict', CpuBackend>('cpu', 'fmPredict', (backend, i) => backend.addon.fmPredict(i.model, i.batch, i.score, i.label));
registerKernel<'fmRecommend', CpuBackend>('cpu', 'fmRecommend', (backend, i) => backend.addon.fmRecommend(i.model, i.user, i.items, i.indices, i.scores));

registerKernel<'ntmUpdate', CpuBackend>('cpu', 'ntmUpdate', (backend, i) => backend.addon.ntmStep(i.settings, i.state, i.batch, i.metrics, true));
registerKernel<'ntmEvaluate', CpuBackend>('cpu', 'ntmEvaluate', (backend, i) => backend.addon.ntmStep(i.settings, i.state, i.batch, i.metrics, false));
registerKernel<'ntmTopicWeights', CpuBackend>('cpu', 'ntmTopicWeights', (backend, i) => backend.addon.ntmTopicWeights(i.settings, i.state, i.batch, i.out));
registerKernel<'pcaAccumulate', CpuBackend>('cpu', 'pcaAccumulate', (backend, i) => backend.addon.pcaAccumulate(i.moments, i.dim, i.batch));
registerKernel<'pcaRandomizedAccumulate', CpuBackend>('cpu', 'pcaRandomizedAccumulate', (backend, i) =>
  backend.addon.pcaRandomizedAccumulate(i.sketch, i.omega, i.dim, i.ell, i.batch));
registerKernel<'pcaFrequentDirectionsAccumulate', CpuBackend>('cpu', 'pcaFrequentDirectionsAccumulate', (backend, i) =>
  backend.addon.pcaFrequentDirectionsAccumulate(i.sketch, i.dim, i.ell, i.batch));
registerKernel<'pcaProject', CpuBackend>('cpu', 'pcaProject', (backend, i) => backend.addon.pcaProject(i.model, i.dim, i.components, i.batch, i.out));

registerKernel<'deeparOffer', CpuBackend>('cpu', 'deeparOffer', (backend, i) => backend.addon.deeparOffer(i.settings, i.seed, i.reservoir, i.series));
registerKernel<'deeparTrainRound', CpuBackend>('cpu', 'deeparTrainRound', (backend, i) =>
  backend.addon.deeparTrainRound(i.settings, i.seed, i.state, i.reservoir, i.batch, i.count));
registerKernel<'deeparForecast', CpuBackend>('cpu', 'deeparForecast', (backend, i) =>
  backend.addon.deeparForecast(i.settings, i.parameters, i.series, i.draw, i.out));

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
