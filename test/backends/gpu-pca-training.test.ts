// PCA trained on a GPU (lib/backends/webgpu-pca.ts, cuda-pca.ts): the moments
// and the randomized sketch summed on the device with nothing read
// back per batch, added into the state's float64 arrays when the state is
// settled. Against cpu: dense and weighted batches, data far from the origin,
// batches past one dispatch; the state lags until settled and readers that
// cannot settle refuse it; bad rows get cpu's message and leave the state as it
// was; sparse batches are declined (a fallback, or an error under strict mode);
// and train() on the GPU gives cpu's model, checkpoints and resumes included.
// Runs on every GPU backend available: CI has webgpu on Mesa's llvmpipe; the
// lent device, cuda too.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, isSettled, listBackends, parseHyperparameters, pca, pcaMomentsTolerance, runKernel, settleState, stateToBytes, StrictBackendError, train,
  type Backend, type DenseBatch,
} from '../../lib/index.js';
import type { KernelInputs } from '../../lib/backends/kernels.js';
import { withEnv } from '../fixtures/with-env.js';
import { cudaPcaMomentsTolerance } from '../../lib/backends/cuda-pca.js';

type Moments = KernelInputs['pcaAccumulate']['moments'] & { origin: Float64Array };

/** Deterministic floats: `offset` + uniform [−1, 1) × π (full mantissas). */
function values(length: number, seed: number, offset = 0): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return offset + (state / 2 ** 31 - 1) * Math.PI;
  });
}

function dense(rows: number, cols: number, seed: number, offset = 0, weighted = false): DenseBatch {
  const batch: DenseBatch = { kind: 'dense', rows, cols, values: values(rows * cols, seed, offset) };
  if (weighted) batch.weights = values(rows, seed + 1, 2).map(Math.abs);
  return batch;
}

function fresh(dim: number, origin?: ArrayLike<number>): Moments {
  return { count: new Float64Array(1), sum: new Float64Array(dim), cross: new Float64Array(dim * dim), origin: Float64Array.from(origin ?? new Float64Array(dim)) };
}

const holder = (m: Moments) => ({ tensors: { count: { data: m.count }, sum: { data: m.sum }, cross: { data: m.cross } } });

/** Σ over the batches' rows of w·|x_i − o_i|·|x_j − o_j|: the scale the tolerance is relative to. */
function absoluteScale(batches: DenseBatch[], origin: Float64Array, i: number, j: number): number {
  let total = 0;
  for (const b of batches) {
    for (let r = 0; r < b.rows; r++) {
      const w = b.weights ? b.weights[r] : 1;
      total += w * Math.abs((b.values[r * b.cols + i] - origin[i]) * (b.values[r * b.cols + j] - origin[j]));
    }
  }
  return total;
}

/** Σ over the batches' rows of w·|x_j − o_j|: the scale of the sums' tolerance (the device sums about o). */
function sumScale(batches: DenseBatch[], origin: Float64Array, j: number): number {
  let total = 0;
  for (const b of batches) for (let r = 0; r < b.rows; r++) total += (b.weights ? b.weights[r] : 1) * Math.abs(b.values[r * b.cols + j] - origin[j]);
  return Math.max(total, 1e-300);
}

/**
 * `sumsAbout`: the point the backend sums w·x about. webgpu sums w(x − o) and adds o·Σw once; cuda, like cpu, sums
 * w·x itself, whose float64 rounding (in its order or cpu's) is relative to Σw|x|.
 */
function assertMomentsAgree(gpu: Moments, cpu: Moments, batches: DenseBatch[], dim: number, tolerance: { relTol: number }, sumsAbout: Float64Array): void {
  assert.equal(gpu.count[0], cpu.count[0], 'count');
  for (let j = 0; j < dim; j++) {
    assert.ok(Math.abs(gpu.sum[j] - cpu.sum[j]) <= tolerance.relTol * sumScale(batches, sumsAbout, j), `sum[${j}]: ${gpu.sum[j]} vs cpu ${cpu.sum[j]}`);
  }
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j < dim; j++) {
      const at = i * dim + j;
      if (j > i) {
        assert.equal(gpu.cross[at], 0, `cross[${i}][${j}] (upper triangle) stays 0`);
        continue;
      }
      const allowed = tolerance.relTol * absoluteScale(batches, cpu.origin, i, j);
      assert.ok(Math.abs(gpu.cross[at] - cpu.cross[at]) <= allowed, `cross[${i}][${j}]: ${gpu.cross[at]} vs cpu ${cpu.cross[at]} (allowed ${allowed})`);
    }
  }
}

for (const name of ['webgpu', 'cuda'] as const) describe(`${name}: PCA trained on the device`, function () {
  this.timeout(300_000);
  let gpu: Backend;
  let cpu: Backend;
  // webgpu sums float32 products; cuda float64 ones (in another order than cpu).
  const tolerance = name === 'webgpu' ? pcaMomentsTolerance : cudaPcaMomentsTolerance;

  before(async function () {
    const report = (await listBackends()).find((b) => b.name === name);
    if (!report?.available) this.skip();
    gpu = await createBackend(name);
    cpu = await createBackend('cpu');
  });

  after(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  async function both(batches: DenseBatch[], dim: number, origin?: ArrayLike<number>): Promise<{ onGpu: Moments; onCpu: Moments }> {
    const onGpu = fresh(dim, origin);
    const onCpu = fresh(dim, origin);
    for (const batch of batches) {
      await runKernel(cpu, 'pcaAccumulate', { moments: onCpu, dim, batch });
      await runKernel(gpu, 'pcaAccumulate', { moments: onGpu, dim, batch });
    }
    await settleState(holder(onGpu));
    return { onGpu, onCpu };
  }

  it('agrees with cpu within its tolerance, weighted, about an origin 1e5 from 0, over many batches', async () => {
    const dim = 23;
    const batches = [dense(300, dim, 1, 1e5, true), dense(17, dim, 2, 1e5, true), dense(1, dim, 3, 1e5, true), dense(250, dim, 4, 1e5, true)];
    const { onGpu, onCpu } = await both(batches, dim, batches[0].values.subarray(0, dim));
    assertMomentsAgree(onGpu, onCpu, batches, dim, tolerance, name === 'webgpu' ? onCpu.origin : new Float64Array(dim));
  });

  it('sums the randomized sketch Y = Σw(x − o)((x − o)ᵀΩ), Σw‖x − o‖² and Σw(x − o) as cpu does, within its tolerance', async function () {
    const dim = 19;
    const ell = 5;
    const batches = [dense(200, dim, 31, -3e4, true), dense(33, dim, 32, -3e4, true), dense(120, dim, 33, -3e4, true)];
    const origin = Float64Array.from(batches[0].values.subarray(0, dim));
    const omega = Float64Array.from({ length: dim * ell }, (_, i) => ((i * 2654435761) >>> 0) % 2 === 0 ? 1 : -1);
    const sketch = () => ({ count: new Float64Array(1), sum: new Float64Array(dim), squares: new Float64Array(1), y: new Float64Array(dim * ell), origin });
    const onCpu = sketch();
    const onGpu = sketch();
    for (const batch of batches) {
      await runKernel(cpu, 'pcaRandomizedAccumulate', { sketch: onCpu, omega, dim, ell, batch });
      await runKernel(gpu, 'pcaRandomizedAccumulate', { sketch: onGpu, omega, dim, ell, batch });
    }
    assert.equal(onGpu.count[0], 0, 'nothing read back before settling');
    await settleState({ tensors: { y: { data: onGpu.y } } });
    assert.equal(onGpu.count[0], onCpu.count[0]);
    // Scales: Σ_r w|x_j − o_j||t_rc| for y, Σ_r w‖x_r − o‖² for squares.
    const yScale = new Float64Array(dim * ell);
    let squaresScale = 0;
    for (const b of batches) {
      for (let r = 0; r < b.rows; r++) {
        const w = b.weights![r];
        const centred = Array.from({ length: dim }, (_, j) => b.values[r * dim + j] - origin[j]);
        for (let c = 0; c < ell; c++) {
          const t = centred.reduce((sum, x, j) => sum + x * omega[j * ell + c], 0);
          for (let j = 0; j < dim; j++) yScale[j * ell + c] += w * Math.abs(centred[j] * t);
        }
        squaresScale += w * centred.reduce((sum, x) => sum + x * x, 0);
      }
    }
    for (let i = 0; i < dim * ell; i++) {
      const allowed = tolerance.relTol * yScale[i];
      assert.ok(Math.abs(onGpu.y[i] - onCpu.y[i]) <= allowed, `y[${i}]: ${onGpu.y[i]} vs cpu ${onCpu.y[i]} (allowed ${allowed})`);
    }
    assert.ok(Math.abs(onGpu.squares[0] - onCpu.squares[0]) <= tolerance.relTol * squaresScale, `squares: ${onGpu.squares[0]} vs cpu ${onCpu.squares[0]}`);
    const sumsAbout = name === 'webgpu' ? origin : new Float64Array(dim);  // assertMomentsAgree says why
    for (let j = 0; j < dim; j++) {
      assert.ok(Math.abs(onGpu.sum[j] - onCpu.sum[j]) <= tolerance.relTol * sumScale(batches, sumsAbout, j), `sum[${j}]: ${onGpu.sum[j]} vs cpu ${onCpu.sum[j]}`);
    }
    await assert.rejects(runKernel(gpu, 'pcaRandomizedAccumulate', { sketch: onGpu, omega, dim, ell: dim + 1, batch: batches[0] }), /^RangeError: pcaRandomizedAccumulate: ell must be in 1\.\.19$/);
  });

  it('keeps float64-like digits over 70,000 rows: its sums are compensated and its products exact enough', async () => {
    // Small integers: every product and partial sum is exact in float64, while a float32 sum of 70,000 of them
    // passes 2^24 and rounds (1e-7 of the sum). The device sums about its own origin (the batch's mean) and the
    // host moves them back in float64: agreement to 1e-12 shows nothing was summed or multiplied in plain f32.
    const dim = 3;
    const rows = 70_000;  // past one dispatch (60,000 rows)
    const x = Float32Array.from({ length: rows * dim }, (_, i) => ((i * 7919) % 61) - 30);
    const batch: DenseBatch = { kind: 'dense', rows, cols: dim, values: x };
    const { onGpu, onCpu } = await both([batch], dim);
    for (let i = 0; i < dim * dim; i++) assert.ok(Math.abs(onGpu.cross[i] - onCpu.cross[i]) <= 1e-12 * Math.abs(onCpu.cross[0]), `cross[${i}]: ${onGpu.cross[i]} vs ${onCpu.cross[i]}`);
    for (let j = 0; j < dim; j++) assert.ok(Math.abs(onGpu.sum[j] - onCpu.sum[j]) <= 1e-9, `sum[${j}]: ${onGpu.sum[j]} vs ${onCpu.sum[j]}`);
    assert.equal(onGpu.count[0], rows);
  });

  it('reads nothing back per batch: the host arrays lag until settleState, which adds the batches once', async () => {
    const dim = 4;
    const m = fresh(dim);
    const batch = dense(50, dim, 9);
    await runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch });
    await runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch });
    assert.equal(m.count[0], 0);
    assert.equal(isSettled(holder(m)), false);
    await settleState(holder(m));
    assert.equal(m.count[0], 100);
    assert.equal(isSettled(holder(m)), true);
    await settleState(holder(m));  // nothing more to add
    assert.equal(m.count[0], 100);
  });

  it('refuses a bad row with the cpu kernel\'s message and leaves the state as it was', async () => {
    const dim = 4;
    const m = fresh(dim);
    await runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch: dense(10, dim, 5) });
    const bad = dense(3, dim, 6);
    bad.values[1 * dim + 2] = NaN;
    await assert.rejects(runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch: bad }), /^Error: row 1, feature 2 is not finite; features must be finite$/);
    const negative = dense(3, dim, 7, 0, true);
    negative.weights![2] = -1;
    await assert.rejects(runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch: negative }), /^Error: row 2, weight must be finite and >= 0$/);
    await assert.rejects(runKernel(gpu, 'pcaAccumulate', { moments: m, dim: 5, batch: dense(2, dim, 8) }), /has 4 features per row, expected 5 \(feature_dim\)/);
    await settleState(holder(m));
    assert.equal(m.count[0], 10);
  });

  it('declines sparse rows: cpu adds them (a counted fallback), or strict mode says so', async () => {
    const dim = 3;
    const m = fresh(dim);
    const sparse = { kind: 'sparse' as const, rows: 2, cols: dim, indptr: Int32Array.from([0, 1, 2]), indices: Uint32Array.from([0, 2]), values: Float32Array.from([2, 3]) };
    const before = gpu.counters.snapshot().pcaAccumulate ?? { calls: 0, fallbacks: 0 };
    await runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch: dense(5, dim, 3) });
    await runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch: sparse });
    assert.equal(m.count[0], 2, 'the sparse batch went into the host arrays at once');
    await settleState(holder(m));
    assert.equal(m.count[0], 7);
    const counted = gpu.counters.snapshot().pcaAccumulate!;
    assert.equal(counted.calls - before.calls, 2);
    assert.equal(counted.fallbacks - before.fallbacks, 1);
    await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(runKernel(gpu, 'pcaAccumulate', { moments: m, dim, batch: sparse }),
      (error: Error) => error instanceof StrictBackendError && new RegExp(`backend '${name}' declined kernel 'pcaAccumulate' \\(sparse rows: the ${name} kernel takes dense rows`).test(error.message)));
  });

  it('a state that is not settled cannot be merged or encoded; finalize settles it', async () => {
    const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 2, algorithm_mode: 'regular' }), { featureDim: 4, labelSize: 0 }, gpu);
    await pca.update(state, dense(40, 4, 11), gpu);
    assert.throws(() => pca.merge([state]), new RegExp(`^Error: pca merge: the state's latest batches are still on the ${name} device; await settleState\\(state\\) first`));
    assert.throws(() => stateToBytes(state), new RegExp(`^Error: writing a state: the state's latest batches are still on the ${name} device`));
    const model = await pca.finalize(state, gpu);
    assert.equal((state.tensors.count.data as Float64Array)[0], 40);
    assert.equal(model.data().tensors.v.shape.join(), '4,2');
    assert.equal(pca.merge([state]).tensors.count.data[0], 40);
  });

  it('adds both batches of two updates of one state started together, a fresh state too', async () => {
    for (const warm of [true, false]) {
      const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 1 }), { featureDim: 1, labelSize: 0 }, gpu);
      const one = (values: number[]): DenseBatch => ({ kind: 'dense', rows: values.length, cols: 1, values: Float32Array.from(values) });
      if (warm) await pca.update(state, one([1]), gpu);
      await Promise.all([pca.update(state, one([10, 10]), gpu), pca.update(state, one([100, 100, 100]), gpu), ...(warm ? [] : [pca.update(state, one([1]), gpu)])]);
      await settleState(state);
      assert.deepEqual([state.tensors.count.data[0], state.tensors.sum.data[0]], [6, 321], warm ? 'warm' : 'fresh');
    }
  });

  it('keeps cpu\'s digits when the state\'s origin is a far outlier of weight 0: the device sums about its first batch\'s mean', async () => {
    const dim = 3;
    const rows = 200;
    const x = values(rows * dim, 41);
    x.fill(1e5, 0, dim);
    const weights = new Float32Array(rows).fill(1);
    weights[0] = 0;
    const batch: DenseBatch = { kind: 'dense', rows, cols: dim, values: x, weights };
    const { onGpu, onCpu } = await both([batch], dim, x.subarray(0, dim));
    // About the outlier, cpu's own float64 keeps Σw(x − o)(x − o)ᵀ to ~1e-16 of 1e10·rows; compare the covariances.
    const covariance = (m: Moments) => {
      const n = m.count[0];
      const mean = Array.from(m.sum, (v) => v / n);
      return Array.from({ length: dim * dim }, (_, t) => {
        const [i, j] = [Math.floor(t / dim), t % dim];
        if (j > i) return 0;
        return (m.cross[t] - n * (mean[i] - m.origin[i]) * (mean[j] - m.origin[j])) / n;
      });
    };
    const [a, b] = [covariance(onGpu), covariance(onCpu)];
    for (let t = 0; t < dim * dim; t++) assert.ok(Math.abs(a[t] - b[t]) <= 1e-4 * Math.abs(b[0]), `covariance[${t}]: ${a[t]} vs cpu ${b[t]}`);
  });

  it('declines what float32 cannot hold — products past 1e36, values near 1e-24, tiny weights — so cpu sums them', async function () {
    if (name !== 'webgpu') this.skip();  // cuda sums in float64
    const dim = 2;
    const cases: [string, DenseBatch, RegExp][] = [
      ['huge', { kind: 'dense', rows: 3, cols: dim, values: Float32Array.from([0, 0, 1e20, 1, -1e20, 2]) }, /its products reach 1\.0e\+40, past what float32 holds/],
      ['tiny', { kind: 'dense', rows: 3, cols: dim, values: Float32Array.from([1e-24, 2e-24, 3e-24, 1e-24, 0, 5e-25]) }, /too small for float32 to keep its digits/],
      ['light', { kind: 'dense', rows: 2, cols: dim, values: Float32Array.from([1, 2, 3, 4]), weights: Float32Array.from([1e-35, 1]) }, /a weight of 1\.0e-35 is too small/],
    ];
    for (const [what, batch, message] of cases) {
      const { onGpu, onCpu } = await both([batch], dim);
      assert.deepEqual(Array.from(onGpu.cross), Array.from(onCpu.cross), `${what}: cpu took it`);
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(runKernel(gpu, 'pcaAccumulate', { moments: fresh(dim), dim, batch }), message, what));
    }
  });

  it('declines a batch whose buffers pass the binding limit instead of skipping it', async function () {
    if (name !== 'webgpu') this.skip();
    const webgpu = gpu as unknown as { bindingLimitBytes: number };
    const limit = webgpu.bindingLimitBytes;
    webgpu.bindingLimitBytes = 4096;
    try {
      const dim = 4;
      const ell = 3;
      const omega = Float64Array.from({ length: dim * ell }, (_, i) => (i % 2 === 0 ? 1 : -1));
      const sketch = { count: new Float64Array(1), sum: new Float64Array(dim), squares: new Float64Array(1), y: new Float64Array(dim * ell) };
      // 200 rows: the projections (200 × 4 pairs = 6,400 bytes) pass the limit, the rows (3,200 bytes) do not.
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(
        runKernel(gpu, 'pcaRandomizedAccumulate', { sketch, omega, dim, ell, batch: dense(200, dim, 50) }),
        /declined kernel 'pcaRandomizedAccumulate' \(it needs a buffer of 6400 bytes on the device, over this WebGPU device's storage binding limit of 4096 bytes\)/));
      await runKernel(gpu, 'pcaRandomizedAccumulate', { sketch, omega, dim, ell, batch: dense(200, dim, 50) });
      assert.equal(sketch.count[0], 200, 'cpu added it');
    } finally {
      webgpu.bindingLimitBytes = limit;
    }
  });

  it('finishes an update under way when the backend is disposed, then refuses new ones', async () => {
    const other = await createBackend(name);
    const m = fresh(4);
    await runKernel(other, 'pcaAccumulate', { moments: m, dim: 4, batch: dense(10, 4, 60) });
    const pending = runKernel(other, 'pcaAccumulate', { moments: m, dim: 4, batch: dense(10, 4, 61) });
    await other.dispose();
    await pending;
    assert.equal(m.count[0], 20, 'both batches are in the host arrays');
    await assert.rejects(runKernel(other, 'pcaAccumulate', { moments: m, dim: 4, batch: dense(10, 4, 62) }), new RegExp(`^Error: ${name}: this backend was disposed`));
  });

  describe(`train() on ${name}, strict`, () => {
    let directory: string;
    let csv: string;
    const dim = 12;

    before(async () => {
      directory = await mkdtemp(join(tmpdir(), `boundless-${name}-pca-`));
      csv = join(directory, 'rows.csv');
      // Correlated columns 1e4 from 0: principal axes that float32 about 0 could not resolve.
      const z = values(3000 * 3, 21);
      const lines: string[] = [];
      for (let r = 0; r < 3000; r++) {
        const row = Array.from({ length: dim }, (_, j) => 1e4 + 3 * z[r * 3] * Math.cos(j) + z[r * 3 + 1] * Math.sin(2 * j) + 0.1 * z[r * 3 + 2] * (j % 3));
        lines.push(row.map((v) => v.toFixed(4)).join(','));
      }
      await writeFile(csv, lines.join('\n') + '\n');
    });

    after(async () => {
      if (directory) await rm(directory, { recursive: true, force: true });
    });

    const hp = { num_components: 3, algorithm_mode: 'regular', mini_batch_size: 256 };
    const sketched = { ...hp, algorithm_mode: 'randomized', extra_components: 4 };
    // 256-row batches asked for: PCA would read the 3,000 rows of 12 features as one batch of 2^18 values.
    const data = { format: 'csv' as const, featureDim: dim, labelSize: 0 as const, miniBatchSize: 256 };

    function assertSameModel(got: Awaited<ReturnType<typeof train<typeof pca>>>, expected: Awaited<ReturnType<typeof train<typeof pca>>>): void {
      const ev = (r: typeof got) => Array.from(r.model.data().tensors.explained_variance.data as Float64Array);
      const v = (r: typeof got) => r.model.data().tensors.v.data as Float32Array;
      for (const [m, value] of ev(expected).entries()) {
        assert.ok(Math.abs(ev(got)[m] - value) <= 1e-5 * value, `explained_variance[${m}]: ${ev(got)[m]} vs cpu ${value}`);
        for (let j = 0; j < dim; j++) assert.ok(Math.abs(v(got)[j * 3 + m] - v(expected)[j * 3 + m]) <= 1e-4, `v[${j}][${m}]`);
      }
    }

    it('gives cpu\'s model, and metrics.kernels says the GPU backend ran every batch', async () => {
      const onCpu = await train(pca, hp, { train: csv, data, backend: 'cpu' });
      const onGpu = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => train(pca, hp, { train: csv, data, backend: name }));
      assertSameModel(onGpu, onCpu);
      assert.deepEqual(onGpu.metrics.kernels.pcaAccumulate, { backend: name, calls: 12, fallbacks: 0 });
      assert.equal(onGpu.metrics.device!.readBacks, 1, '12 batches, one read-back (the end of the pass)');
      assert.equal((onGpu.state.tensors.count.data as Float64Array)[0], 3000, 'the returned state is settled');
    });

    it('trains the randomized sketch too: cpu\'s model, every batch on the GPU backend', async function () {
      const onCpu = await train(pca, sketched, { train: csv, data, backend: 'cpu' });
      const onGpu = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => train(pca, sketched, { train: csv, data, backend: name }));
      assertSameModel(onGpu, onCpu);
      assert.deepEqual(onGpu.metrics.kernels.pcaRandomizedAccumulate, { backend: name, calls: 12, fallbacks: 0 });
    });

    it('checkpoints hold every batch trained; a stopped run resumes to cpu\'s model', async () => {
      const checkpoints = join(directory, 'checkpoints');
      const onCpu = await train(pca, hp, { train: csv, data, backend: 'cpu' });
      const controller = new AbortController();
      let batches = 0;
      await assert.rejects(train(pca, hp, {
        train: csv, data, backend: name, checkpoint: { directory: checkpoints, everyBatches: 3 }, signal: controller.signal,
        onProgress: (event) => { if (event.phase === 'batch' && ++batches === 7) controller.abort(); },
      }), { name: 'AbortError' });
      const resumed = await train(pca, hp, { train: csv, data, backend: name, resume: true, checkpoint: { directory: checkpoints } });
      assert.equal((resumed.state.tensors.count.data as Float64Array)[0], 3000, 'every row once');
      assertSameModel(resumed, onCpu);
    });
  });
});
