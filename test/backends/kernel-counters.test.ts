// Kernel counters, fallbacks and strict mode (lib/backends/run-kernel.ts), and
// the coverage table the README shows (lib/backends/coverage.ts).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createBackend, denseBatch, resolveBackend, type Backend } from '../../lib/index.js';
import { KernelCounters } from '../../lib/backends/kernel-counters.js';
import { KernelDeclined, kernelNames, type KernelInputs, type KernelName, type KernelOutputs } from '../../lib/backends/kernels.js';
import { runKernel, strictBackend, StrictBackendError } from '../../lib/backends/run-kernel.js';
import { coverageMarkdown, coverageTable, covers, operations } from '../../lib/backends/coverage.js';
import { hasKernel } from '../../lib/backends/registry.js';
import { packageRoot } from '../../lib/package-root.js';
import { cudaDeviceIndex } from '../../lib/backends/cuda.js';
import { withEnv } from '../fixtures/with-env.js';

/**
 * A stand-in for the webgpu backend (no device needed): it has webgpu's registry entries, so a
 * kernel webgpu lacks falls back, and its own run declines or answers as the test says.
 */
class StandInGpu implements Backend {
  readonly details = {};
  readonly counters: KernelCounters;
  ran: KernelName[] = [];
  constructor(private readonly answer: 'decline' | 'zeros', readonly name: 'webgpu' | 'cuda' = 'webgpu') {
    this.counters = new KernelCounters(name);
  }
  async run<K extends KernelName>(kernel: K, inputs: KernelInputs[K]): Promise<KernelOutputs[K]> {
    this.ran.push(kernel);
    if (this.answer === 'decline') throw new KernelDeclined(kernel, 'w is over the binding limit');
    const { rows, models } = inputs as KernelInputs['denseLinear'];
    return new Float32Array(rows * models) as KernelOutputs[K];
  }
  async dispose(): Promise<void> {}
}

const dense = { x: new Float32Array([1, 2, 3, 4]), w: new Float32Array([1, 1]), bias: new Float32Array([0.5]), rows: 2, cols: 2, models: 1 };
const pcaInputs = () => ({
  model: { rows: new Float32Array([1, 0]), mean: new Float32Array([0, 0]) }, dim: 2, components: 1,
  batch: denseBatch(new Float32Array([3, 4, 5, 6]), 2), out: new Float32Array(2),
});

describe('kernel counters', () => {
  it('count calls and fallbacks by kernel, add other counts, and give what came after a snapshot', () => {
    const counters = new KernelCounters('cuda');
    counters.record('fmUpdate', true);
    counters.record('denseLinear', false);
    const before = counters.snapshot();
    counters.record('denseLinear', false);
    counters.record('denseLinear', true);
    counters.add({ fmUpdate: { backend: 'cpu', calls: 2, fallbacks: 2 } });
    assert.deepEqual(counters.snapshot(), {
      denseLinear: { backend: 'cuda', calls: 3, fallbacks: 1 },
      fmUpdate: { backend: 'cpu', calls: 3, fallbacks: 3 },
    });
    assert.deepEqual(counters.snapshot(before), {
      denseLinear: { backend: 'cuda', calls: 2, fallbacks: 1 },
      fmUpdate: { backend: 'cpu', calls: 2, fallbacks: 2 },
    });
  });

  it('cpu counts every call as its own', async () => {
    const cpu = await createBackend('cpu');
    await runKernel(cpu, 'denseLinear', dense);
    await runKernel(cpu, 'pcaProject', pcaInputs());
    await runKernel(cpu, 'pcaProject', pcaInputs());
    assert.deepEqual(cpu.counters.snapshot(), {
      denseLinear: { backend: 'cpu', calls: 1, fallbacks: 0 },
      pcaProject: { backend: 'cpu', calls: 2, fallbacks: 0 },
    });
  });

  it('a kernel the backend lacks runs on cpu, counted as a fallback, strict or not', async function () {
    // pcaProject on cuda's registry entries (cuda has no pcaProject yet; once it has, pick another kernel here).
    if (hasKernel('cuda', 'pcaProject')) this.skip();
    for (const strict of ['0', '1']) {
      const gpu = new StandInGpu('zeros', 'cuda');
      const inputs = pcaInputs();
      await withEnv('BOUNDLESS_STRICT_BACKEND', strict, () => runKernel(gpu, 'pcaProject', inputs));
      assert.deepEqual(Array.from(inputs.out), [3, 5], 'cpu projected the rows');
      assert.deepEqual(gpu.ran, []);
      assert.deepEqual(gpu.counters.snapshot(), { pcaProject: { backend: 'cpu', calls: 1, fallbacks: 1 } });
    }
  });

  it('a kernel the backend declines runs on cpu, and is an error under BOUNDLESS_STRICT_BACKEND=1', async () => {
    const gpu = new StandInGpu('decline');
    const out = await withEnv('BOUNDLESS_STRICT_BACKEND', undefined, () => runKernel(gpu, 'denseLinear', dense));
    assert.deepEqual(Array.from(out), [3.5, 7.5]);
    assert.deepEqual(gpu.counters.snapshot(), { denseLinear: { backend: 'cpu', calls: 1, fallbacks: 1, declined: 'w is over the binding limit' } });
    await assert.rejects(withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => runKernel(gpu, 'denseLinear', dense)),
      /^StrictBackendError: BOUNDLESS_STRICT_BACKEND=1: backend 'webgpu' declined kernel 'denseLinear' \(w is over the binding limit\); it would have run on cpu$/);
    assert.equal(gpu.counters.snapshot().denseLinear!.calls, 1, 'the refused call is not counted as run');
    const error = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => runKernel(gpu, 'denseLinear', dense)).catch((e: unknown) => e);
    assert.ok(error instanceof StrictBackendError && error.cause instanceof KernelDeclined && error.backend === 'webgpu', 'a StrictBackendError caused by the KernelDeclined');
  });

  it('an unknown kernel name is an error, and nothing is counted', async () => {
    const cpu = await createBackend('cpu');
    await assert.rejects(runKernel(cpu, 'nope' as KernelName, {} as never), /^TypeError: runKernel: no kernel "nope"; expected one of denseLinear, /);
    assert.deepEqual(cpu.counters.snapshot(), {});
  });

  it('a kernel the backend runs is counted as its own', async () => {
    const gpu = new StandInGpu('zeros');
    await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => runKernel(gpu, 'denseLinear', dense));
    assert.deepEqual(gpu.ran, ['denseLinear']);
    assert.deepEqual(gpu.counters.snapshot(), { denseLinear: { backend: 'webgpu', calls: 1, fallbacks: 0 } });
  });

  it('BOUNDLESS_STRICT_BACKEND takes 1 or 0; anything else is an error naming it', async () => {
    await withEnv('BOUNDLESS_STRICT_BACKEND', '1', async () => assert.equal(strictBackend(), true));
    await withEnv('BOUNDLESS_STRICT_BACKEND', '0', async () => assert.equal(strictBackend(), false));
    await withEnv('BOUNDLESS_STRICT_BACKEND', 'yes', async () => {
      assert.throws(() => strictBackend(), /^Error: BOUNDLESS_STRICT_BACKEND: expected 1 \(strict\) or 0, got "yes"$/);
      await assert.rejects(resolveBackend('cpu'), /^Error: BOUNDLESS_STRICT_BACKEND: expected 1/);
    });
  });
});

describe('BOUNDLESS_CUDA_DEVICE', () => {
  it('is a device index; anything else is an error before any work', async () => {
    await withEnv('BOUNDLESS_CUDA_DEVICE', '1', async () => assert.equal(cudaDeviceIndex(), 1));
    await withEnv('BOUNDLESS_CUDA_DEVICE', undefined, async () => assert.equal(cudaDeviceIndex(), 0));
    await withEnv('BOUNDLESS_CUDA_DEVICE', 'gpu1', async () => {
      await assert.rejects(resolveBackend('cpu'), /^Error: BOUNDLESS_CUDA_DEVICE: expected a device index \(0, 1, …\), got "gpu1"$/);
    });
  });
});

describe('kernel coverage table', () => {
  it('lists every kernel under an operation, and reads the registry', () => {
    assert.deepEqual([...new Set(operations.map((op) => op.kernel))].sort(), [...kernelNames].sort());
    for (const row of coverageTable()) {
      assert.equal(row.backends.cpu, true, `${row.kernel} runs on cpu`);
      assert.equal(row.backends.cuda, hasKernel('cuda', row.kernel));
      assert.equal(row.backends.webgpu, hasKernel('webgpu', row.kernel));
    }
    assert.equal(covers('webgpu', 'denseLinear'), true);
    assert.equal(covers('cuda', 'linearLearnerUpdate'), hasKernel('cuda', 'linearLearnerUpdate'));
  });

  it("is the README's table, as `boundless backends --coverage` prints it", async () => {
    const readme = await readFile(join(packageRoot, 'README.md'), 'utf8');
    assert.ok(readme.includes(coverageMarkdown()), 'README.md holds coverageMarkdown() verbatim (regenerate with `npx boundless backends --coverage`)');
  });
});
