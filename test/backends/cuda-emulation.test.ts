// The cuda backend on every machine: the CUDA addon's sources built with the C++
// compiler against a CPU emulation of the CUDA runtime (kernels/cuda/emulation/,
// scripts/build-cuda-emulation.mjs), then the tests that run on every GPU
// backend — row kernels, PCA and k-means trained on the device, denseLinear, kernel
// counters, the conformance suite strict — run again in a child process with
// BOUNDLESS_CUDA_ADDON_PATH naming it and cuda required. Their kernels, argument
// bindings, device buffers and TypeScript thus run in CI, not only on a lent GPU
// (which still decides speed and the hardware's own rounding: npm run test:gpu).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cudaBackend, type CudaAddon } from '../../lib/backends/cuda.js';
import { packageRoot } from '../../lib/package-root.js';
import { withEnv } from '../fixtures/with-env.js';

const emulatedAddon = join(packageRoot, 'build-cuda-emulation', 'boundless_cuda.node');

/** The tests that run on every available GPU backend (and skip one that is absent). */
const gpuTests = [
  'test/backends/backends.test.ts', 'test/backends/kernel-counters.test.ts', 'test/backends/row-kernels.test.ts',
  'test/backends/gpu-pca-training.test.ts', 'test/backends/gpu-kmeans-training.test.ts', 'test/backends/gpu-linear-learner-evaluate.test.ts',
  'test/backends/gpu-linear-learner-training.test.ts', 'test/backends/gpu-fm-training.test.ts', 'test/backends/gpu-resident-batches.test.ts',
  'test/backends/gpu-pca-frequent-directions.test.ts',
  'test/conformance/*.test.ts',
];

describe('cuda on the CPU emulation of the CUDA runtime', function () {
  this.timeout(900_000);

  before(() => {
    // Incremental: compiles only sources (or headers) changed since the last build.
    execFileSync(process.execPath, [join(packageRoot, 'scripts', 'build-cuda-emulation.mjs')], { cwd: packageRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  });

  it('emulates a block\'s barriers and shared memory, warp shuffles, and the errors a GPU gives', () => {
    const addon = createRequire(import.meta.url)(emulatedAddon) as { emulationSelfTest(): Record<string, unknown> };
    assert.deepEqual(addon.emulationSelfTest(), {
      launch: 'cudaSuccess',
      blockSums: [32896, 98432, 163968],  // Σ 1..256, Σ 257..512, Σ 513..768
      warpSums: [496, 1520],  // Σ 0..31, Σ 32..63
      hostPointerInKernel: 'cudaErrorIllegalAddress',
      blockOf2048: 'cudaErrorInvalidConfiguration',
      copyIntoHostAsDevice: 'cudaErrorInvalidValue',
      pastBudget: 'cudaErrorMemoryAllocation',
    });
  });

  it('is available only when named, says it is an emulation, and is never auto\'s choice', async () => {
    const report = await withEnv('BOUNDLESS_CUDA_ADDON_PATH', emulatedAddon, () => cudaBackend.probe());
    assert.equal(report.available, true);
    assert.equal(report.preferred, false);
    assert.match(report.reason, /^CUDA emulated on the CPU \(tests only\): the CUDA addon's sources built against a CPU emulation of the CUDA runtime, for tests; runs when forced$/);
    assert.equal(report.details.emulated, true);
  });

  it('kmeans and pcaSketch handles check their arguments and refuse use after close', async () => {
    const addon = createRequire(import.meta.url)(emulatedAddon) as CudaAddon;
    const [K, k, d] = [3, 1, 2];
    assert.throws(() => addon.kmeansOpen(K, k, d, new Float32Array(5), new Float64Array(K), new Float32Array(k * d), new Float64Array(k)),
      /^RangeError: cuda kmeansOpen: centres has length 5, expected 6$/);
    assert.throws(() => addon.kmeansOpen(0, k, d, new Float32Array(0), new Float64Array(0), new Float32Array(k * d), new Float64Array(k)),
      /^RangeError: cuda kmeansOpen: centers and dim must be in 1\.\.2147483647, modelK in 0\.\.2147483647$/);
    const handle = addon.kmeansOpen(K, k, d, new Float32Array(K * d), new Float64Array(K), new Float32Array(k * d), new Float64Array(k));
    assert.throws(() => addon.kmeansAdd(handle, new Float32Array(3), null, 2, false, 0), /^RangeError: cuda kmeansAdd: values has length 3, expected 4$/);
    assert.throws(() => addon.kmeansAdd(handle, new Float32Array(4), null, 2, false, -1), /^RangeError: cuda kmeansAdd: halfLife must be a number ≥ 0$/);
    assert.throws(() => addon.kmeansAdd({} as never, new Float32Array(4), null, 2, false, 0), /^TypeError: cuda kmeansAdd: argument handle must come from kmeansOpen$/);
    addon.kmeansClose(handle);
    assert.throws(() => addon.kmeansAdd(handle, new Float32Array(4), null, 2, false, 0), /^Error: cuda kmeansAdd: the handle is closed$/);
    addon.kmeansClose(handle);  // twice: a no-op
    assert.throws(() => addon.pcaSketchOpen(4, 2, new Float64Array(7), null), /^RangeError: cuda pcaSketchOpen: omega has length 7, expected 8$/);
    const sketch = addon.pcaSketchOpen(4, 2, new Float64Array(8), null);
    assert.throws(() => addon.pcaSketchRead(sketch, new Float64Array(1), new Float64Array(4), new Float64Array(1), new Float64Array(7)),
      /^RangeError: cuda pcaSketchRead: y has length 7, expected 8$/);
    addon.pcaSketchClose(sketch);
    assert.throws(() => addon.pcaSketchAdd(sketch, new Float32Array(4), null, 1), /^Error: cuda pcaSketchAdd: the handle is closed$/);
  });

  it('linearEvaluate handles check their arguments, a CSR batch\'s structure and a multiclass batch\'s labels, and refuse use after close', async () => {
    const addon = createRequire(import.meta.url)(emulatedAddon) as CudaAddon;
    // dim 3, 1 model, 2 classes (softmax), threshold 0; sums: loss [1] at 0, weight [1] at 1, the rest not wanted.
    const settings = Float64Array.from([3, 1, 2, 2, 1, 0.5, 0.01, 1, 1, 0, 0, 0, 0]);
    const at = Int32Array.from({ length: 12 }, (_, i) => (i < 2 ? i : -1));
    const open = (sums = 2, atArray = at) => addon.linearEvaluateOpen(settings, atArray, sums, new Float32Array(6), new Float32Array(2), null, null, null);
    assert.throws(() => open(1), /^RangeError: cuda linearEvaluateOpen: at\[1\] = 1 puts its sum outside the 1 sums$/);
    assert.throws(() => addon.linearEvaluateOpen(Float64Array.from([0, ...settings.subarray(1)]), at, 2, new Float32Array(0), new Float32Array(2), null, null, null),
      /^RangeError: cuda linearEvaluateOpen: settings\.dim must be a whole number in 1\.\.2147483647$/);
    assert.throws(() => addon.linearEvaluateOpen(settings, at, 2, new Float32Array(6), new Float32Array(2), new Float32Array(3), null, null),
      /^TypeError: cuda linearEvaluateOpen: shift and scale come together, or both null$/);
    assert.throws(() => addon.linearEvaluateOpen(settings, at, 2, new Float32Array(5), new Float32Array(2), null, null, null),
      /^RangeError: cuda linearEvaluateOpen: weights has length 5, expected 6$/);
    const handle = open();
    const labels = Float32Array.from([0, 1]);
    assert.throws(() => addon.linearEvaluateAdd(handle, labels, null, new Float32Array(5), null, null, 2), /^RangeError: cuda linearEvaluateAdd: values has length 5, expected 6$/);
    assert.throws(() => addon.linearEvaluateAdd(handle, labels, null, new Float32Array(2), Int32Array.from([0, 1, 3]), new Uint32Array(2), 2),
      /^RangeError: cuda linearEvaluateAdd: indptr\[rows\] is 3, expected the 2 values$/);
    await assert.rejects(addon.linearEvaluateAdd(handle, labels, null, new Float32Array(2), Int32Array.from([0, 1, 2]), Uint32Array.from([0, 3]), 2),
      /^Error: cuda linearEvaluateAdd: row 1: feature index 3 is not below dim 3$/);
    await assert.rejects(addon.linearEvaluateAdd(handle, Float32Array.from([0, 2]), null, new Float32Array(6), null, null, 2),
      /^Error: cuda linearEvaluateAdd: row 1: label is not a class$/);
    // Nothing was added by the refused batches; a good one (all scores 0: loss log 2 a row) is.
    await addon.linearEvaluateAdd(handle, labels, Float32Array.from([1, 3]), new Float32Array(6), null, null, 2);
    const out = new Float64Array(2);
    await addon.linearEvaluateRead(handle, out);
    assert.deepEqual(Array.from(out), [4 * Math.log(2), 4]);
    addon.linearEvaluateClose(handle);
    await assert.rejects(async () => addon.linearEvaluateRead(handle, out), /^Error: cuda linearEvaluateRead: the handle is closed$/);
    addon.linearEvaluateClose(handle);  // twice: a no-op
  });

  it('linearUpdate handles check the parts the optimizer needs, the steps\' rows and the step index, and refuse use after close', async () => {
    const addon = createRequire(import.meta.url)(emulatedAddon) as CudaAddon;
    // dim 3, 1 model, binary logistic; sums: loss [1] at 0, weight [1] at 1; adam (step kind 2).
    const settings = Float64Array.from([3, 1, 1, 0, 1, 0.5, 0.01, 1, 1, 0, 0, 0, 0]);
    const at = Int32Array.from({ length: 14 }, (_, i) => (i < 2 ? i : -1));
    const adam = Float64Array.from([2, 0.9, 0.999, 0, 1e-8]);
    const parts = (moments: boolean) => [new Float32Array(3), null, moments ? new Float32Array(3) : null, moments ? new Float32Array(3) : null,
      new Float32Array(1), null, moments ? new Float32Array(1) : null, moments ? new Float32Array(1) : null, null, null, null, null, null];
    assert.throws(() => addon.linearUpdateOpen(settings, at, 2, adam, parts(false), new Int32Array(3)), /^TypeError: cuda linearUpdateOpen: parts\.moment1 is needed by the optimizer$/);
    assert.throws(() => addon.linearUpdateOpen(settings, at, 2, adam, parts(true), new Int32Array(2)), /^RangeError: cuda linearUpdateOpen: lastStep has length 2, expected 3$/);
    assert.throws(() => addon.linearUpdateOpen(Float64Array.from([3, 1, 2, ...settings.subarray(3)]), at, 2, adam, parts(true), new Int32Array(3)),
      /^RangeError: cuda linearUpdateOpen: settings\.classes must be 1 but for the softmax loss$/);
    assert.throws(() => addon.linearUpdateOpen(settings, Int32Array.from({ length: 14 }, (_, i) => (i < 2 ? 0 : -1)), 2, adam, parts(true), new Int32Array(3)),
      /^RangeError: cuda linearUpdateOpen: at puts two sums on the same entries$/);
    const handle = addon.linearUpdateOpen(settings, at, 2, adam, parts(true), new Int32Array(3));
    const labels = Float32Array.from([0, 1]);
    const table = new Float64Array(9).fill(0.1);
    const step = (begin: number, rows: number, touchedBegin = 0, touched = 0) => Float64Array.from([begin, rows, 1, -1, 1, touchedBegin, touched, 0.1, 0.001]);
    assert.throws(() => addon.linearUpdateAdd(handle, labels, null, new Float32Array(6), null, null, 2, null, 0, step(1, 2), table),
      /^RangeError: cuda linearUpdateAdd: step 0's rows are not within the batch's 2$/);
    // The steps cover the batch's rows in order, each once: a gap, an overlap, a row left out.
    const steps = (...rows: [number, number][]) => Float64Array.from(rows.flatMap(([begin, n]) => Array.from(step(begin, n))));
    const twoTables = new Float64Array(18).fill(0.1);
    assert.throws(() => addon.linearUpdateAdd(handle, labels, null, new Float32Array(6), null, null, 2, null, 0, step(1, 1), table),
      /^RangeError: cuda linearUpdateAdd: step 0 begins at row 1, not where the step before ends \(row 0\)$/);
    assert.throws(() => addon.linearUpdateAdd(handle, labels, null, new Float32Array(6), null, null, 2, null, 0, steps([0, 2], [1, 1]), twoTables),
      /^RangeError: cuda linearUpdateAdd: step 1 begins at row 1, not where the step before ends \(row 2\)$/);
    assert.throws(() => addon.linearUpdateAdd(handle, labels, null, new Float32Array(6), null, null, 2, null, 0, step(0, 1), table),
      /^RangeError: cuda linearUpdateAdd: the steps end at row 1 of the batch's 2$/);
    // A CSR batch whose index names a feature past dim (the index lays out: step starts, features, starts, (entry, row) pairs).
    const index = Uint32Array.from([0, 1, 7, 0, 2, 0, 0, 1, 1]);
    await assert.rejects(addon.linearUpdateAdd(handle, labels, null, Float32Array.from([1, 2]), Int32Array.from([0, 1, 2]), Uint32Array.from([2, 2]), 2,
      index, 1, step(0, 2, 0, 1), table), /^Error: cuda linearUpdateAdd: the step index's slot 0 is out of range$/);
    // Two touched slots naming feature 2 in one step: two threads would step the same weights.
    await assert.rejects(addon.linearUpdateAdd(handle, labels, null, Float32Array.from([1, 2]), Int32Array.from([0, 1, 2]), Uint32Array.from([2, 2]), 2,
      Uint32Array.from([0, 2, 2, 2, 0, 1, 2, 0, 0, 1, 1]), 2, step(0, 2, 0, 2), table), /^Error: cuda linearUpdateAdd: step 0's index lists a feature twice$/);
    index[2] = 2;
    await addon.linearUpdateAdd(handle, labels, null, Float32Array.from([1, 2]), Int32Array.from([0, 1, 2]), Uint32Array.from([2, 2]), 2, index, 1, step(0, 2, 0, 1), table);
    const sums = new Float64Array(2);
    const lastStep = new Int32Array(3);
    await addon.linearUpdateRead(handle, parts(true), lastStep, sums);
    // Two rows scored 0 (weights and bias 0): a logistic loss of log 2 each, weighed by the recency 1.
    assert.deepEqual([Array.from(lastStep), sums[1], Math.abs(sums[0] - 2 * Math.log(2)) < 1e-6], [[0, 0, 1], 2, true]);
    addon.linearUpdateClose(handle);
    await assert.rejects(async () => addon.linearUpdateAdd(handle, labels, null, new Float32Array(6), null, null, 2, null, 0, step(0, 2), table),
      /^Error: cuda linearUpdateAdd: the handle is closed$/);
  });

  it('fm handles check the model table, the moments training needs and the feature index, and refuse use after close; fmRecommend its rows', async () => {
    const addon = createRequire(import.meta.url)(emulatedAddon) as CudaAddon;
    // Squared loss, adagrad, L2 decay, dim 3; one model of 2 factors at offset 0.
    const settings = Float64Array.from([1, 1, 1, 3, 1e-8, 0.9, 0.999, 0, 0]);
    const models = Float64Array.from([2, 0, 0.1, 0.1, 0.1, 0, 0, 0]);
    const parts = (moments: boolean) => [new Float32Array(1), new Float32Array(3), new Float32Array(6), ...(moments ? [new Float32Array(1), new Float32Array(3), new Float32Array(6)] : [null, null, null]), null, null, null];
    assert.throws(() => addon.fmOpen(settings, Float64Array.from([2, 0.5, 0, 0, 0, 0, 0, 0]), parts(true), new Int32Array(3)),
      /^RangeError: cuda fmOpen: model 0's factors and offset must be whole numbers$/);
    assert.throws(() => addon.fmOpen(settings, models, parts(true), new Int32Array(2)), /^RangeError: cuda fmOpen: lastStep has length 2, expected 3$/);
    assert.throws(() => addon.fmOpen(settings, Float64Array.from([2, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0]), [new Float32Array(2), new Float32Array(6), new Float32Array(9),
      new Float32Array(2), new Float32Array(6), new Float32Array(9), null, null, null], new Int32Array(3)), /^RangeError: cuda fmOpen: two models' factors overlap$/);
    const scoring = addon.fmOpen(settings, models, parts(false), new Int32Array(3));  // a finalized model: no moments, it only scores
    const labels = Float32Array.from([1, 2]);
    assert.throws(() => addon.fmAdd(scoring, labels, null, new Float32Array(6), null, null, 2, null, 0, 0, true, -1),
      /^TypeError: cuda fmAdd: the state has no biasM1, which the optimizer steps with$/);
    await addon.fmAdd(scoring, labels, null, new Float32Array(6), null, null, 2, null, 0, 0, false, 0);
    const sums = new Float64Array(12);
    await addon.fmRead(scoring, parts(false), new Int32Array(3), sums);
    // All parameters 0: ŷ = 0, losses 1 and 4, weights 1 each.
    assert.deepEqual(Array.from(sums.subarray(0, 2)), [5, 2]);
    addon.fmClose(scoring);
    const handle = addon.fmOpen(settings, models, parts(true), new Int32Array(3));
    // A CSR batch whose feature index names a row past the batch: features [2], starts [0, 2], rows [0, 5], values.
    const index = Uint32Array.from([2, 0, 2, 0, 5, 0, 0]);
    await assert.rejects(addon.fmAdd(handle, labels, null, Float32Array.from([1, 1]), Int32Array.from([0, 1, 2]), Uint32Array.from([2, 2]), 2, index, 1, 0, true, 0),
      /^Error: cuda fmAdd: the feature index's entry 1 is out of range$/);
    addon.fmClose(handle);
    await assert.rejects(async () => addon.fmRead(handle, parts(true), new Int32Array(3), sums), /^Error: cuda fmRead: the handle is closed$/);
    // fmRecommend: lengths at once, a CSR candidate past dim on the worker thread.
    const fmParams = Float64Array.from([3, 2, 0, 0]);
    const out = [new Int32Array(1), new Float32Array(1)] as const;
    assert.throws(() => addon.fmRecommend(new Float32Array(3), new Float32Array(5), fmParams, new Float32Array(3), null, null, new Float32Array(6), null, null, 2, ...out),
      /^RangeError: cuda fmRecommend: factors has length 5, expected 6$/);
    assert.throws(() => addon.fmRecommend(new Float32Array(3), new Float32Array(6), fmParams, new Float32Array(3), null, null, new Float32Array(6), null, null, 2, new Int32Array(3), new Float32Array(3)),
      /^RangeError: cuda fmRecommend: asked for 3 items of 2 candidates$/);
    await assert.rejects(addon.fmRecommend(new Float32Array(3), new Float32Array(6), fmParams, new Float32Array(3), null, null,
      Float32Array.from([1, 1]), Int32Array.from([0, 1, 2]), Uint32Array.from([0, 3]), 2, ...out), /^Error: cuda fmRecommend: row 1: feature index 3 is not below dim 3$/);
  });

  it('a handle collected while its work is queued stays alive until the work ends (the worker holds it)', () => {
    // One libuv thread: a slow batch of one state holds it while a second state's batch waits, whose handle JavaScript drops and collects.
    const script = `
      const addon = require(${JSON.stringify(emulatedAddon)});
      const open = (dim) => addon.linearUpdateOpen(Float64Array.from([dim, 1, 1, 3, 1, 0.5, 0.01, 1, 1, 0, 0, 0, 0]), new Int32Array(14).fill(-1), 0,
        Float64Array.from([0, 0.9, 0.999, 0, 1e-8]), [new Float32Array(dim), null, null, null, new Float32Array(1), null, null, null, null, null, null, null, null],
        new Int32Array(dim));
      const add = (handle, rows, dim) => addon.linearUpdateAdd(handle, new Float32Array(rows), null, new Float32Array(rows * dim).fill(1), null, null, rows, null, 0,
        Float64Array.from([0, rows, 1, -1, 1, 0, 0, 0.1, 0.001]), Float64Array.from([0.1, 1, 0, 0, 0.5, 1, 1, 0.1, 1]));
      (async () => {
        const slow = add(open(1024), 3000, 1024);
        let dropped = open(64);
        const queued = add(dropped, 8, 64).then(() => 'resolved', (error) => 'rejected: ' + error.message);
        dropped = null;
        for (let i = 0; i < 5; i++) { global.gc(); await new Promise((resolve) => setImmediate(resolve)); }
        await slow;
        console.log(await queued);
      })();`;
    const run = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, UV_THREADPOOL_SIZE: '1' } });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'resolved');
  });

  it('device memory past its budget is declined with the sizes, or an error in strict mode', () => {
    const script = `
      import { createBackend, runKernel } from './lib/index.js';
      const cuda = await createBackend('cuda');
      const inputs = { centers: new Float32Array(8), count: 2, dim: 4, batch: { kind: 'dense', rows: 64, cols: 4, values: new Float32Array(256) },
        nearest: new Int32Array(64), distance2: new Float64Array(64) };
      process.env.BOUNDLESS_STRICT_BACKEND = '1';
      await runKernel(cuda, 'kmeansAssign', inputs).then(() => console.log('ran'), (error) => console.log(error.message));
      await cuda.dispose();`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: packageRoot, encoding: 'utf8',
      env: { ...process.env, BOUNDLESS_CUDA_ADDON_PATH: emulatedAddon, BOUNDLESS_CUDA_EMULATION_MEMORY: '600' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.trim(), /^BOUNDLESS_STRICT_BACKEND=1: backend 'cuda' declined kernel 'kmeansAssign' \(cuda rowKernel: out of device memory: the batch needs 1028 bytes; the device has 600 free of 600\); it would have run on cpu$/);
  });

  it('a PCA batch that does not fit on the device is declined after settling: cpu gives the same moments, strict mode says why', () => {
    const script = `
      import { createBackend, runKernel, settleState } from './lib/index.js';
      const [cuda, cpu] = [await createBackend('cuda'), await createBackend('cpu')];
      const dim = 8;
      const fresh = () => ({ count: new Float64Array(1), sum: new Float64Array(dim), cross: new Float64Array(dim * dim) });
      const batch = (rows, seed) => ({ kind: 'dense', rows, cols: dim, values: Float32Array.from({ length: rows * dim }, (_, i) => Math.sin(i * seed)) });
      const [onCuda, onCpu] = [fresh(), fresh()];
      for (const b of [batch(20, 1), batch(300, 2), batch(20, 3)]) {
        await runKernel(cuda, 'pcaAccumulate', { moments: onCuda, dim, batch: b });
        await runKernel(cpu, 'pcaAccumulate', { moments: onCpu, dim, batch: b });
      }
      await settleState({ tensors: { cross: { data: onCuda.cross } } });
      const worst = Math.max(...Array.from(onCpu.cross, (v, i) => Math.abs(v - onCuda.cross[i]) / Math.max(1, Math.abs(v))));
      console.log(JSON.stringify({ count: [onCuda.count[0], onCpu.count[0]], worst, kernels: cuda.counters.snapshot().pcaAccumulate }));
      process.env.BOUNDLESS_STRICT_BACKEND = '1';
      await runKernel(cuda, 'pcaAccumulate', { moments: fresh(), dim, batch: batch(300, 4) }).then(() => console.log('ran'), (error) => console.log(error.message));
      await Promise.all([cuda.dispose(), cpu.dispose()]);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: packageRoot, encoding: 'utf8',
      env: { ...process.env, BOUNDLESS_CUDA_ADDON_PATH: emulatedAddon, BOUNDLESS_CUDA_EMULATION_MEMORY: '15000', BOUNDLESS_STRICT_BACKEND: '' },
    });
    assert.equal(run.status, 0, run.stderr);
    const [summary, strict] = run.stdout.trim().split('\n');
    const { count, worst, kernels } = JSON.parse(summary);
    assert.deepEqual(count, [340, 340], 'every row in the moments once');
    assert.ok(worst < 1e-12, `cross differs from cpu by ${worst}`);
    // The batch's rows, weights and origin go in one buffer: 300·8·4 + 300·4 + 8·8 = 10,864 bytes, held in 16,384 (the next
    // power of two); the device has what the state (the cross and sums of 8 features: 584 bytes) leaves of 15,000.
    assert.deepEqual(kernels, {
      backend: 'cuda', calls: 3, fallbacks: 1,
      declined: 'cuda pcaMomentsAdd: out of device memory: a batch of 300 rows × 8 features needs 16384 bytes; the device has 14416 free of 15000',
    });
    assert.match(strict, /^BOUNDLESS_STRICT_BACKEND=1: backend 'cuda' declined kernel 'pcaAccumulate' \(cuda pcaMomentsAdd: out of device memory: a batch of 300 rows × 8 features needs \d+ bytes; the device has \d+ free of 15000\); it would have run on cpu$/);
  });

  it('a linear-learner model that does not fit on the device is evaluated on cpu (the same sums), or strict mode says why', () => {
    const script = `
      import { createBackend, linearLearner, parseHyperparameters } from './lib/index.js';
      const [cuda, cpu] = [await createBackend('cuda'), await createBackend('cpu')];
      const dim = 100;
      const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { feature_dim: dim, predictor_type: 'binary_classifier', num_models: 8 });
      const state = linearLearner.createState(hp, { featureDim: dim, labelSize: 1 }, cpu);
      const batch = { kind: 'dense', rows: 16, cols: dim, values: Float32Array.from({ length: 16 * dim }, (_, i) => Math.sin(i)),
        labels: Float32Array.from({ length: 16 }, (_, r) => r % 2) };
      await linearLearner.update(state, batch, cpu);
      const results = [];
      for (const backend of [cuda, cpu]) {
        const validator = linearLearner.createStateValidator(structuredClone(state), backend);
        await validator.add(batch);
        results.push(await validator.finish());
      }
      console.log(JSON.stringify({ same: JSON.stringify(results[0]) === JSON.stringify(results[1]), kernels: cuda.counters.snapshot().linearLearnerEvaluate }));
      process.env.BOUNDLESS_STRICT_BACKEND = '1';
      await linearLearner.createStateValidator(structuredClone(state), cuda).add(batch).then(() => console.log('ran'), (error) => console.log(error.message));
      await Promise.all([cuda.dispose(), cpu.dispose()]);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: packageRoot, encoding: 'utf8', env: { ...process.env, BOUNDLESS_CUDA_ADDON_PATH: emulatedAddon, BOUNDLESS_CUDA_EMULATION_MEMORY: '3000', BOUNDLESS_STRICT_BACKEND: '' },
    });
    assert.equal(run.status, 0, run.stderr);
    const [summary, strict] = run.stdout.trim().split('\n');
    // The model (weights, bias, the scaler's shift and scale: 4,032 bytes) and its sums, the score histograms (8 models × 2 × 2,048 bins) most of them.
    const declined = 'cuda linearEvaluateOpen: out of device memory: the model of 100 features × 8 outputs and its sums needs 266312 bytes; the device has 3000 free of 3000';
    assert.deepEqual(JSON.parse(summary), { same: true, kernels: { backend: 'cpu', calls: 1, fallbacks: 1, declined } });
    assert.equal(strict, `linear-learner validation batch 0: BOUNDLESS_STRICT_BACKEND=1: backend 'cuda' declined kernel 'linearLearnerEvaluate' (${declined}); it would have run on cpu`);
  });

  it('a state that does not fit gives back what it had allocated before the message measures the free memory', () => {
    // 100,000 features × 4 factors: the last steps, table, sums, bias and linear weights fit in 2,000,000 bytes; the factors do not
    // (2,400,164 bytes in all: 400,000 of last steps, 64 of table, 96 of sums, 4 of bias, 400,000 linear, 1,600,000 factors).
    const script = `
      const addon = require(${JSON.stringify(emulatedAddon)});
      const dim = 100000;
      const parts = [new Float32Array(1), new Float32Array(dim), new Float32Array(4 * dim), null, null, null, null, null, null];
      try {
        addon.fmOpen(Float64Array.from([1, 0, 1, dim, 1e-8, 0.9, 0.999, 0, 0]), Float64Array.from([4, 0, 0.1, 0.1, 0.1, 0, 0, 0]), parts, new Int32Array(dim));
        console.log('opened');
      } catch (error) {
        console.log(error.message);
      }`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, BOUNDLESS_CUDA_EMULATION_MEMORY: '2000000' } });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'cuda fmOpen: out of device memory: the state of 100000 features × 1 models needs 2400164 bytes; the device has 2000000 free of 2000000');
  });

  it('a BOUNDLESS_CUDA_EMULATION_MEMORY that is not a whole number of bytes makes cuda unavailable, saying so', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
      "import { listBackends } from './lib/index.js'; console.log((await listBackends()).find((b) => b.name === 'cuda').reason);"], {
      cwd: packageRoot, encoding: 'utf8', env: { ...process.env, BOUNDLESS_CUDA_ADDON_PATH: emulatedAddon, BOUNDLESS_CUDA_EMULATION_MEMORY: '1GiB' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'cudaGetDeviceCount: cudaErrorEmulationSetting (BOUNDLESS_CUDA_EMULATION_MEMORY must be a whole number of bytes, such as 1048576, code 999)');
  });

  it('passes the tests that run on every GPU backend, cuda required, the conformance suite strict', () => {
    const mocha = join(packageRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');
    const run = spawnSync(process.execPath, [mocha, '--no-config', '--node-option', 'import=tsx', '--timeout', '600000', '--no-color',
      '--reporter', './test/summary-reporter.cjs', ...gpuTests], {
      cwd: packageRoot, encoding: 'utf8', maxBuffer: 64 << 20,
      env: { ...process.env, BOUNDLESS_CUDA_ADDON_PATH: emulatedAddon, BOUNDLESS_EXPECT_BACKENDS: 'cuda' },
    });
    // Strip colour codes too: a CI runner may force colour (FORCE_COLOR) whatever the flag says.
    const output = (run.stdout + run.stderr).replace(/\x1B\[[0-9;]*m/g, '');
    const summary = output.trim().split('\n').at(-1) ?? '';
    assert.equal(run.status, 0, `the GPU tests failed on the emulated cuda backend:\n${output.slice(-6000)}`);
    assert.match(summary, /^\d+ passed, 0 failed/);
    // The cuda sections ran rather than skipped: the expected-backends check passed, cuda's own blocks reported.
    assert.match(output, /every backend the environment expects is available/);
    assert.match(output, /cuda row kernels\n\s+✔/);
    assert.match(output, /cuda: PCA trained on the device\n\s+✔/);
    assert.match(output, /cuda: k-means trained on the device\n\s+✔/);
    assert.match(output, /cuda: the linear learner evaluated on the device\n\s+✔/);
    assert.match(output, /cuda: the linear learner trained on the device\n\s+✔/);
    assert.match(output, /cuda: factorization machines trained on the device\n\s+✔/);
    console.log(`      (emulated cuda: ${summary})`);
  });
});
