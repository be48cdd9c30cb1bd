// cuda's PCA training kernel on the host side (lib/backends/cuda-pca.ts), on any
// machine: the cuda backend driven with a stand-in addon whose pcaMoments*
// functions keep their sums in JavaScript where the real one keeps them on the
// device (kernels/cuda/pca/). What this proves is the backend's part — calls
// one at a time per state, nothing read back until the state is settled, the
// origin handed over, sparse batches declined, cpu's checks first, dispose
// settling — not the CUDA kernel, which gpu-pca-training.test.ts checks on a
// machine with a GPU.
import assert from 'node:assert/strict';
import { isSettled, parseHyperparameters, pca, runKernel, settleState, type DenseBatch } from '../../lib/index.js';
import { CudaBackend, type CudaAddon } from '../../lib/backends/cuda.js';
import { CpuBackend } from '../../lib/backends/cpu.js';
import { loadCoreAddon } from '../../lib/backends/native-addon.js';

interface Held { dim: number; cross: Float64Array; sums: Float64Array; open: boolean }

/** The pcaMoments* functions as the CUDA addon's contract says, in float64 on the host; counts what it is asked. */
function standIn() {
  const calls = { open: 0, add: 0, read: 0, close: 0 };
  const addon = {
    deviceInfo: () => ({ available: true, reason: '1 device(s)', runtimeVersion: 13000, driverVersion: 13000, devices: [{ name: 'stand-in', computeCapability: '9.0', memoryBytes: 1e9 }] }),
    selectDevice: () => undefined,
    pcaMomentsOpen(dim: number) {
      calls.open++;
      return { dim, cross: new Float64Array(dim * dim), sums: new Float64Array(dim + 1), open: true } as Held;
    },
    async pcaMomentsAdd(handle: Held, values: Float32Array, weights: Float32Array | null, origin: Float64Array | null, rows: number) {
      calls.add++;
      assert.ok(handle.open, 'added to a closed handle');
      const d = handle.dim;
      for (let r = 0; r < rows; r++) {
        const w = weights ? weights[r] : 1;
        for (let i = 0; i < d; i++) {
          handle.sums[i] += w * values[r * d + i];
          for (let j = 0; j <= i; j++) handle.cross[i * d + j] += w * (values[r * d + i] - (origin?.[i] ?? 0)) * (values[r * d + j] - (origin?.[j] ?? 0));
        }
        handle.sums[d] += w;
      }
    },
    async pcaMomentsRead(handle: Held, count: Float64Array, sum: Float64Array, cross: Float64Array) {
      calls.read++;
      for (let i = 0; i < cross.length; i++) cross[i] += handle.cross[i];
      for (let j = 0; j < handle.dim; j++) sum[j] += handle.sums[j];
      count[0] += handle.sums[handle.dim];
      handle.cross.fill(0);
      handle.sums.fill(0);
    },
    pcaMomentsClose(handle: Held) {
      calls.close++;
      handle.open = false;
    },
    trafficCounts: () => ({ launches: 0, bytesToDevice: 0, bytesFromDevice: 0, synchronizations: 0, readBacks: 0 }),
    // No device, so nothing of a kept batch stays on one: what the epoch cache lets go has nothing to free here.
    residentRelease: () => undefined,
  };
  return { backend: new CudaBackend(addon as unknown as CudaAddon), calls };
}

const batch = (rows: number, seed: number, offset = 0): DenseBatch => ({
  kind: 'dense', rows, cols: 3,
  values: Float32Array.from({ length: rows * 3 }, (_, i) => offset + Math.sin(seed * 31 + i * 7.3) * 3),
});

const fresh = (backend: CudaBackend | CpuBackend) =>
  pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 2 }), { featureDim: 3, labelSize: 0 }, backend);

describe('cuda PCA training, host side (a stand-in addon)', () => {
  const cpu = new CpuBackend(loadCoreAddon());

  it('holds the batches on the "device" until settled, then gives cpu\'s moments; one handle for the whole run', async () => {
    const { backend, calls } = standIn();
    const onCuda = fresh(backend);
    const onCpu = fresh(cpu);
    for (const [i, b] of [batch(50, 1, 1e4), batch(7, 2, 1e4), batch(30, 3, 1e4)].entries()) {
      await pca.update(onCuda, b, backend);
      await pca.update(onCpu, b, cpu);
      assert.equal(onCuda.tensors.count.data[0], 0, `after batch ${i}: nothing read back`);
    }
    assert.equal(isSettled(onCuda), false);
    await settleState(onCuda);
    assert.deepEqual(calls, { open: 1, add: 3, read: 1, close: 1 });
    assert.deepEqual(Array.from(onCuda.tensors.origin.data as Float64Array), Array.from(onCpu.tensors.origin.data as Float64Array), 'the first row is the origin');
    for (const name of ['count', 'sum', 'cross']) {
      const [a, b] = [onCuda.tensors[name].data as Float64Array, onCpu.tensors[name].data as Float64Array];
      for (let i = 0; i < b.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-9 * Math.max(1, Math.abs(b[i])), `${name}[${i}]: ${a[i]} vs cpu ${b[i]}`);
    }
    assert.deepEqual(backend.counters.snapshot().pcaAccumulate, { backend: 'cuda', calls: 3, fallbacks: 0 });
  });

  it('runs updates started together one at a time, refuses merge while held, and settles on dispose', async () => {
    const { backend, calls } = standIn();
    const state = fresh(backend);
    await Promise.all([batch(10, 4), batch(20, 5), batch(30, 6)].map((b) => pca.update(state, b, backend)));
    assert.equal(calls.open, 1, 'one handle: the second call waited for the first');
    assert.throws(() => pca.merge([state]), /^Error: pca merge: the state's latest batches are still on the cuda device/);
    await backend.dispose();
    assert.equal(state.tensors.count.data[0], 60);
    assert.equal(calls.close, 1);
    await assert.rejects(runKernel(backend, 'pcaAccumulate', { moments: { count: new Float64Array(1), sum: new Float64Array(3), cross: new Float64Array(9) }, dim: 3, batch: batch(2, 7) }),
      /^Error: cuda: this backend was disposed/);
  });

  it('declines sparse rows (cpu adds them at once), checks rows as cpu does, and settles before cpu continues a held state', async () => {
    const { backend } = standIn();
    const state = fresh(backend);
    await pca.update(state, batch(10, 8), backend);
    const sparse = { kind: 'sparse' as const, rows: 1, cols: 3, indptr: Int32Array.from([0, 1]), indices: Uint32Array.from([2]), values: Float32Array.from([5]) };
    await pca.update(state, sparse, backend);
    assert.equal(state.tensors.count.data[0], 1, 'the sparse row went to the host arrays; the dense ones are still held');
    const bad = batch(2, 9);
    bad.values[4] = Infinity;
    await assert.rejects(pca.update(state, bad, backend), /^BatchError: pca batch 2: row 1, feature 1 is not finite; features must be finite$/);
    await pca.update(state, batch(5, 10), cpu);
    assert.equal(isSettled(state), true, 'cpu\'s update settled what the cuda backend held');
    assert.equal(state.tensors.count.data[0], 16);
    assert.deepEqual(backend.counters.snapshot().pcaAccumulate, {
      backend: 'cuda', calls: 2, fallbacks: 1, declined: 'sparse rows: the cuda kernel takes dense rows (sparse products run on cpu)',
    }, 'the rejected batch is not a call');
  });
});
