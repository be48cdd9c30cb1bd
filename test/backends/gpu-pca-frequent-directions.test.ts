// PCA's Frequent Directions sketch on cuda (lib/backends/cuda-pca-frequent-directions.ts,
// kernels/cuda/pca/pca_frequent_directions.cu): the buffer is shrunk on the device on cpu's
// schedule, so the sketch is cpu's up to rounding. Compared as BᵀB (the rows of B are defined
// up to an orthogonal mix), with the fill count, the sums and the trained model; shrinks of
// rank-deficient buffers, ℓ = 1, a sketch continued from a host state, two runs' bits, bad rows,
// sparse batches (declined), the handle's argument checks, and train() under strict mode.
// Runs wherever cuda is available: CI has the CUDA emulation, the lent device a GPU.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, listBackends, pca, runKernel, settleState, StrictBackendError, train, type Backend, type DenseBatch } from '../../lib/index.js';
import type { KernelInputs } from '../../lib/backends/kernels.js';
import type { CudaBackend } from '../../lib/backends/cuda.js';
import { cudaFrequentDirectionsTolerance } from '../../lib/backends/cuda-pca-frequent-directions.js';
import { withEnv } from '../fixtures/with-env.js';

type Sketch = KernelInputs['pcaFrequentDirectionsAccumulate']['sketch'];

/** Deterministic floats: `offset` + uniform [−1, 1) × π. */
function values(length: number, seed: number, offset = 0): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return offset + (state / 2 ** 31 - 1) * Math.PI;
  });
}

/** Rows of rank ≤ 3 (plus a little noise): a spectrum that decays, as a sketch is meant for. */
function dense(rows: number, dim: number, seed: number, offset = 0, weighted = false): DenseBatch {
  const z = values(rows * 4, seed);
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < dim; j++) {
      x[r * dim + j] = offset + 3 * z[r * 4] * Math.cos(j) + z[r * 4 + 1] * Math.sin(2 * j) + 0.5 * z[r * 4 + 2] * ((j % 3) - 1) + 0.01 * z[r * 4 + 3] * (j % 5);
    }
  }
  const batch: DenseBatch = { kind: 'dense', rows, cols: dim, values: x };
  if (weighted) batch.weights = values(rows, seed + 1, 2).map(Math.abs);
  return batch;
}

function fresh(dim: number, ell: number, origin?: Float64Array): Sketch {
  return { count: new Float64Array(1), sum: new Float64Array(dim), squares: new Float64Array(1), rows: new Float64Array(2 * ell * dim), filled: new Float64Array(1), origin };
}

const holder = (s: Sketch) => ({ tensors: { rows: { data: s.rows } } });

/** BᵀB (dim × dim) of the buffer's first `filled` rows. */
function gram(s: Sketch, dim: number): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let r = 0; r < s.filled[0]; r++) for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) out[i * dim + j] += s.rows[r * dim + i] * s.rows[r * dim + j];
  return out;
}

function assertSketchesAgree(got: Sketch, expected: Sketch, dim: number, what: string): void {
  assert.equal(got.filled[0], expected.filled[0], `${what}: filled`);
  assert.equal(got.count[0], expected.count[0], `${what}: count`);
  const [a, b] = [gram(got, dim), gram(expected, dim)];
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += b[i * dim + i];
  let worst = 0;
  for (let t = 0; t < dim * dim; t++) worst = Math.max(worst, Math.abs(a[t] - b[t]));
  assert.ok(worst <= cudaFrequentDirectionsTolerance.relTol * Math.max(trace, 1e-300), `${what}: BᵀB differs by ${worst}, trace ${trace}`);
  assert.ok(Math.abs(got.squares[0] - expected.squares[0]) <= 1e-12 * expected.squares[0], `${what}: squares ${got.squares[0]} vs ${expected.squares[0]}`);
  for (let j = 0; j < dim; j++) {
    assert.ok(Math.abs(got.sum[j] - expected.sum[j]) <= 1e-12 * (Math.abs(expected.sum[j]) + expected.count[0]), `${what}: sum[${j}]`);
  }
  // Rows past `filled` are zero on both: the buffer's unused part is not state.
  for (let t = got.filled[0] * dim; t < got.rows.length; t++) assert.equal(got.rows[t], 0, `${what}: rows[${t}] past filled`);
}

describe('cuda: PCA\'s Frequent Directions sketch on the device', function () {
  this.timeout(300_000);
  let gpu: Backend;
  let cpu: Backend;

  before(async function () {
    const report = (await listBackends()).find((b) => b.name === 'cuda');
    if (!report?.available) this.skip();
    gpu = await createBackend('cuda');
    cpu = await createBackend('cpu');
  });

  after(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  async function both(batches: DenseBatch[], dim: number, ell: number, origin?: Float64Array, start?: DenseBatch): Promise<{ onGpu: Sketch; onCpu: Sketch }> {
    const onGpu = fresh(dim, ell, origin);
    const onCpu = fresh(dim, ell, origin);
    if (start) {
      // A state with rows in it already, from cpu (a checkpoint, a merge): the device copy starts from it.
      await runKernel(cpu, 'pcaFrequentDirectionsAccumulate', { sketch: onGpu, dim, ell, batch: start });
      await runKernel(cpu, 'pcaFrequentDirectionsAccumulate', { sketch: onCpu, dim, ell, batch: start });
    }
    for (const batch of batches) {
      await runKernel(cpu, 'pcaFrequentDirectionsAccumulate', { sketch: onCpu, dim, ell, batch });
      await runKernel(gpu, 'pcaFrequentDirectionsAccumulate', { sketch: onGpu, dim, ell, batch });
    }
    await settleState(holder(onGpu));
    return { onGpu, onCpu };
  }

  it('agrees with cpu as BᵀB over many shrinks: weighted rows 1e4 from 0 about an origin, batches of every size', async () => {
    const dim = 11;
    const ell = 4;
    const batches = [dense(9, dim, 1, 1e4, true), dense(1, dim, 2, 1e4, true), dense(37, dim, 3, 1e4, true), dense(3, dim, 4, 1e4, true), dense(120, dim, 5, 1e4, true)];
    const origin = Float64Array.from(batches[0].values.subarray(0, dim));
    const { onGpu, onCpu } = await both(batches, dim, ell, origin);
    assertSketchesAgree(onGpu, onCpu, dim, 'weighted');
    assert.ok(onCpu.filled[0] > 0 && onCpu.count[0] > 0);
    const counted = gpu.counters.snapshot().pcaFrequentDirectionsAccumulate!;
    assert.equal(counted.fallbacks, 0, 'every batch ran on cuda');
  });

  it('continues a sketch that already holds rows, and shrinks buffers of rank below 2ℓ (d < 2ℓ, repeated rows)', async () => {
    const dim = 3;
    const ell = 3;  // 2ℓ = 6 rows in 3 dimensions: every shrink's Gram matrix has three zero eigenvalues
    const repeated = dense(20, dim, 7);
    for (let r = 1; r < 20; r += 2) repeated.values.copyWithin(r * dim, (r - 1) * dim, r * dim);
    const { onGpu, onCpu } = await both([repeated, dense(15, dim, 8)], dim, ell, undefined, dense(4, dim, 6));
    assertSketchesAgree(onGpu, onCpu, dim, 'rank-deficient');
  });

  it('keeps nothing with ℓ = 1 (each shrink empties the buffer), as cpu does', async () => {
    const dim = 5;
    const { onGpu, onCpu } = await both([dense(7, dim, 11), dense(2, dim, 12)], dim, 1);
    assertSketchesAgree(onGpu, onCpu, dim, 'ℓ = 1');
  });

  it('gives the same bits in two runs, and reads nothing back until the state is settled', async () => {
    const dim = 9;
    const ell = 3;
    const batches = [dense(50, dim, 21, -50, true), dense(13, dim, 22, -50, true)];
    const runs: Sketch[] = [];
    for (let run = 0; run < 2; run++) {
      const sketch = fresh(dim, ell);
      for (const batch of batches) await runKernel(gpu, 'pcaFrequentDirectionsAccumulate', { sketch, dim, ell, batch });
      assert.equal(sketch.count[0], 0, 'the host arrays lag');
      assert.equal(sketch.filled[0], 0);
      await settleState(holder(sketch));
      await settleState(holder(sketch));  // nothing more to read
      runs.push(sketch);
    }
    assert.deepEqual(Array.from(runs[0].rows), Array.from(runs[1].rows));
    assert.deepEqual([runs[0].count[0], runs[0].filled[0]], [runs[1].count[0], runs[1].filled[0]]);
    assert.ok(runs[0].count[0] > 63, 'Σw of 63 weighted rows');
  });

  it('refuses a bad row with the cpu kernel\'s message, declines sparse rows (cpu inserts them), and strict mode says so', async () => {
    const dim = 4;
    const ell = 2;
    const sketch = fresh(dim, ell);
    await runKernel(gpu, 'pcaFrequentDirectionsAccumulate', { sketch, dim, ell, batch: dense(10, dim, 31) });
    const bad = dense(3, dim, 32);
    bad.values[1 * dim + 2] = Infinity;
    await assert.rejects(runKernel(gpu, 'pcaFrequentDirectionsAccumulate', { sketch, dim, ell, batch: bad }), /^Error: row 1, feature 2 is not finite; features must be finite$/);
    const sparse = { kind: 'sparse' as const, rows: 2, cols: dim, indptr: Int32Array.from([0, 1, 2]), indices: Uint32Array.from([0, 3]), values: Float32Array.from([2, 3]) };
    await runKernel(gpu, 'pcaFrequentDirectionsAccumulate', { sketch, dim, ell, batch: sparse });
    assert.equal(sketch.count[0], 12, 'the device\'s rows were settled before cpu inserted the sparse ones');
    const onCpu = fresh(dim, ell);
    await runKernel(cpu, 'pcaFrequentDirectionsAccumulate', { sketch: onCpu, dim, ell, batch: dense(10, dim, 31) });
    await runKernel(cpu, 'pcaFrequentDirectionsAccumulate', { sketch: onCpu, dim, ell, batch: sparse });
    assertSketchesAgree(sketch, onCpu, dim, 'dense then sparse');
    await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(runKernel(gpu, 'pcaFrequentDirectionsAccumulate', { sketch, dim, ell, batch: sparse }),
      (error: Error) => error instanceof StrictBackendError && /backend 'cuda' declined kernel 'pcaFrequentDirectionsAccumulate' \(sparse rows: the cuda kernel takes dense rows/.test(error.message)));
  });

  it('checks the handle\'s arguments and refuses use after close', () => {
    const addon = (gpu as CudaBackend).addon;
    assert.throws(() => addon.pcaFrequentDirectionsOpen(4, 2, new Float64Array(15), 0, null), /^RangeError: cuda pcaFrequentDirectionsOpen: rows has length 15, expected 16$/);
    assert.throws(() => addon.pcaFrequentDirectionsOpen(4, 2, new Float64Array(16), 5, null), /^RangeError: cuda pcaFrequentDirectionsOpen: filled must be at most 2·ell = 4$/);
    assert.throws(() => addon.pcaFrequentDirectionsOpen(4, 0, new Float64Array(0), 0, null), /^RangeError: cuda pcaFrequentDirectionsOpen: dim must be in 1\.\.2147483647 and ell in 1\.\.536870911$/);
    const handle = addon.pcaFrequentDirectionsOpen(4, 2, new Float64Array(16), 0, null);
    assert.throws(() => addon.pcaFrequentDirectionsRead(handle, new Float64Array(1), new Float64Array(4), new Float64Array(1), new Float64Array(16), new Float64Array(2)),
      /^RangeError: cuda pcaFrequentDirectionsRead: filled has length 2, expected 1$/);
    assert.throws(() => addon.pcaFrequentDirectionsAdd(handle, new Float32Array(7), null, 2), /^RangeError: cuda pcaFrequentDirectionsAdd: values has length 7, expected 8$/);
    addon.pcaFrequentDirectionsClose(handle);
    addon.pcaFrequentDirectionsClose(handle);
    assert.throws(() => addon.pcaFrequentDirectionsAdd(handle, new Float32Array(4), null, 1), /^Error: cuda pcaFrequentDirectionsAdd: the handle is closed$/);
  });

  describe('train() on cuda, strict', () => {
    let directory: string;
    let csv: string;
    const dim = 12;

    before(async () => {
      directory = await mkdtemp(join(tmpdir(), 'boundless-cuda-fd-'));
      csv = join(directory, 'rows.csv');
      const batch = dense(2000, dim, 41, 1e3);
      const lines: string[] = [];
      for (let r = 0; r < batch.rows; r++) lines.push(Array.from(batch.values.subarray(r * dim, (r + 1) * dim), (v) => v.toFixed(4)).join(','));
      await writeFile(csv, lines.join('\n') + '\n');
    });

    after(async () => {
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    it('gives cpu\'s model, every batch on cuda, and checkpoints resume to it', async () => {
      const hp = { num_components: 3, algorithm_mode: 'frequent_directions', extra_components: 3, mini_batch_size: 256 };
      // 256-row batches asked for: by default PCA reads these narrow rows 2^18 values a batch.
      const data = { format: 'csv' as const, featureDim: dim, labelSize: 0 as const, miniBatchSize: 256 };
      const onCpu = await train(pca, hp, { train: csv, data, backend: 'cpu' });
      const onGpu = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => train(pca, hp, { train: csv, data, backend: 'cuda' }));
      assert.deepEqual(onGpu.metrics.kernels.pcaFrequentDirectionsAccumulate, { backend: 'cuda', calls: 8, fallbacks: 0 });
      const checkpoints = join(directory, 'checkpoints');
      const controller = new AbortController();
      let batches = 0;
      await assert.rejects(train(pca, hp, {
        train: csv, data, backend: 'cuda', checkpoint: { directory: checkpoints, everyBatches: 2 }, signal: controller.signal,
        onProgress: (event) => { if (event.phase === 'batch' && ++batches === 5) controller.abort(); },
      }), { name: 'AbortError' });
      const resumed = await train(pca, hp, { train: csv, data, backend: 'cuda', resume: true, checkpoint: { directory: checkpoints } });
      for (const [what, got] of [['trained', onGpu], ['resumed', resumed]] as const) {
        const tensors = (r: typeof got) => r.model.data().tensors;
        const ev = (r: typeof got) => tensors(r).explained_variance.data as Float64Array;
        const v = (r: typeof got) => tensors(r).v.data as Float32Array;
        for (let m = 0; m < 3; m++) {
          assert.ok(Math.abs(ev(got)[m] - ev(onCpu)[m]) <= 1e-6 * ev(onCpu)[0], `${what}: explained_variance[${m}]: ${ev(got)[m]} vs cpu ${ev(onCpu)[m]}`);
          let cosine = 0;
          for (let j = 0; j < dim; j++) cosine += v(got)[j * 3 + m] * v(onCpu)[j * 3 + m];
          assert.ok(Math.abs(Math.abs(cosine) - 1) <= 1e-4, `${what}: component ${m}: |cos| ${Math.abs(cosine)} to cpu's`);
        }
        assert.equal((got.state.tensors.count.data as Float64Array)[0], 2000, `${what}: every row once`);
      }
    });
  });
});
