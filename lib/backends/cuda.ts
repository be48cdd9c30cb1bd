// The cuda backend: the optional second addon built from kernels/cuda with
// cmake-js (npm run build:cuda). Loaded only when present; used only when
// the CUDA runtime finds a device. Anything missing makes it unavailable
// with the reason, and everything runs on cpu.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { validateDenseLinear } from './kernels.js';
import { KernelCounters } from './kernel-counters.js';
import { getKernel, registerKernel, type Backend, type BackendDefinition } from './registry.js';
import type { KernelInputs, KernelName, KernelOutputs } from './kernels.js';

export interface CudaAddon {
  deviceInfo(): {
    available: boolean;
    reason: string;
    runtimeVersion: number;
    driverVersion: number;
    devices: { name: string; computeCapability: string; memoryBytes: number }[];
  };
  denseLinear(x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array,
    rows: number, cols: number, models: number): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Where the CUDA addon is looked for: BOUNDLESS_CUDA_ADDON_PATH, else the cmake-js output. */
export function cudaAddonPath(): string {
  return process.env.BOUNDLESS_CUDA_ADDON_PATH
    ?? join(packageRoot, 'build-cuda', 'Release', 'boundless_cuda.node');
}

function loadCudaAddon(): CudaAddon {
  const path = cudaAddonPath();
  if (!existsSync(path)) {
    throw new Error(`CUDA addon not built (no ${path}; run \`npm run build:cuda\` where nvcc exists)`);
  }
  return require(path) as CudaAddon;
}

export class CudaBackend implements Backend {
  readonly name = 'cuda' as const;
  readonly details: Record<string, unknown>;
  readonly counters = new KernelCounters('cuda');

  constructor(readonly addon: CudaAddon) {
    this.details = { ...addon.deviceInfo(), addonPath: cudaAddonPath() };
  }

  run<K extends KernelName>(kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
    return getKernel('cuda', kernel)(this, inputs);
  }

  async dispose(): Promise<void> {}
}

registerKernel<'denseLinear', CudaBackend>('cuda', 'denseLinear', async (backend, inputs) => {
  const out = validateDenseLinear(inputs);
  await backend.addon.denseLinear(inputs.x, inputs.w, inputs.bias ?? null, out,
    inputs.rows, inputs.cols, inputs.models);
  return out;
});

export const cudaBackend: BackendDefinition = {
  name: 'cuda',
  priority: 300,
  async probe() {
    let addon: CudaAddon;
    try {
      addon = loadCudaAddon();
    } catch (error) {
      return { available: false, preferred: false, reason: (error as Error).message.split('\n')[0], details: {} };
    }
    const info = addon.deviceInfo();
    const details = { ...info, addonPath: cudaAddonPath() };
    if (!info.available) return { available: false, preferred: false, reason: info.reason, details };
    const first = info.devices[0];
    return {
      available: true,
      preferred: true,
      reason: `${info.devices.length} device(s), first ${first.name} (sm ${first.computeCapability})`,
      details,
    };
  },
  async create() {
    return new CudaBackend(loadCudaAddon());
  },
};
