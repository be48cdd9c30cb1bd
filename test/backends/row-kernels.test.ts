// The GPU backends' row kernels (lib/backends/row-kernels.ts: WGSL in
// kernels/wgsl/, CUDA in kernels/cuda/rows/) against the cpu kernels: dense and
// sparse batches, far from the origin, bad input with cpu's own errors, declines
// and strict mode, and buffers reused from call to call. Runs on every GPU
// backend available (CI: webgpu on Mesa's llvmpipe; the lent device: cuda too).
import assert from 'node:assert/strict';
import { createBackend, listBackends, runKernel, type Backend } from '../../lib/index.js';
import type { Batch, DenseBatch, SparseBatch } from '../../lib/data/batch.js';
import type { KernelInputs, KernelName } from '../../lib/backends/kernels.js';
import { KernelCounters } from '../../lib/backends/kernel-counters.js';
import { withEnv } from '../fixtures/with-env.js';

/** Deterministic floats in [−1, 1) plus `offset`. */
function values(length: number, seed: number, offset = 0): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return offset + state / 2 ** 31 - 1;
  });
}

/** A dense batch with about a third of its entries zero, and the same rows as CSR. */
function batches(rows: number, cols: number, seed: number, offset = 0): { dense: DenseBatch; sparse: SparseBatch } {
  const x = values(rows * cols, seed, offset);
  for (let i = 0; i < x.length; i += 3) x[i] = 0;
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  const kept: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      if (x[r * cols + j] !== 0) {
        indices.push(j);
        kept.push(x[r * cols + j]);
      }
    }
    indptr[r + 1] = indices.length;
  }
  return {
    dense: { kind: 'dense', rows, cols, values: x },
    sparse: { kind: 'sparse', rows, cols, indptr, indices: Uint32Array.from(indices), values: Float32Array.from(kept) },
  };
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= relative * scale, `${what}[${i}]: ${actual[i]} vs cpu ${expected[i]}`);
  }
}

for (const name of ['webgpu', 'cuda'] as const) describe(`${name} row kernels`, function () {
  this.timeout(120_000);
  let gpu: Backend;
  let cpu: Backend;

  before(async function () {
    const report = (await listBackends()).find((b) => b.name === name);
    if (!report?.available) this.skip();
    gpu = await createBackend(name);
    cpu = await createBackend('cpu');
  });
  after(async () => { await gpu?.dispose(); });

  /** Runs `make()`'s inputs on both backends (strict), returning each one's copy of the inputs. */
  async function both<K extends KernelName>(kernel: K, make: () => KernelInputs[K]) {
    const [onGpu, onCpu] = [make(), make()];
    await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => runKernel(gpu, kernel, onGpu));
    await runKernel(cpu, kernel, onCpu);
    return { onGpu, onCpu };
  }

  for (const form of ['dense', 'sparse'] as const) {
    it(`kmeansAssign (${form}, far from the origin): the nearest centre and distances of cpu`, async () => {
      const [rows, cols, count] = [300, 17, 7];
      const data = batches(rows, cols, 1, 1000)[form];
      const centers = values(count * cols, 2, 1000);
      const make = () => ({
        centers, count, dim: cols, batch: data, nearest: new Int32Array(rows), distance2: new Float64Array(rows), all: new Float32Array(rows * count),
      });
      const { onGpu, onCpu } = await both('kmeansAssign', make);
      assert.deepEqual(Array.from(onGpu.nearest), Array.from(onCpu.nearest));
      assertClose(onGpu.distance2, onCpu.distance2, 1e-5, 'distance2');
      assertClose(onGpu.all!, onCpu.all!, 1e-5, 'all');
    });

    it(`pcaProject (${form}): cpu's projections within float32 rounding`, async () => {
      const [rows, cols, components] = [200, 23, 5];
      const data = batches(rows, cols, 3, 50)[form];
      const model = { rows: values(components * cols, 4), mean: values(cols, 5, 50) };
      const { onGpu, onCpu } = await both('pcaProject', () => ({ model, dim: cols, components, batch: data, out: new Float32Array(rows * components) }));
      assertClose(onGpu.out, onCpu.out, 1e-5, 'projection');
    });

    for (const [loss, classes] of [[0, 1], [1, 1], [2, 4], [3, 1]] as const) {
      it(`linearLearnerPredict (${form}, loss ${loss}, ${classes} class(es)): cpu's scores and labels`, async () => {
        const [rows, cols] = [150, 31];
        const data = batches(rows, cols, 6)[form];
        const model = { loss, dim: cols, classes, threshold: 0.1, weights: values(cols * classes, 7), bias: values(classes, 8) };
        const width = loss === 2 ? classes : 1;
        const { onGpu, onCpu } = await both('linearLearnerPredict', () => ({
          model, batch: data, outputs: { score: new Float32Array(rows * width), predictedLabel: new Float32Array(rows) },
        }));
        assertClose(onGpu.outputs.score, onCpu.outputs.score, 1e-5, 'score');
        assertClose(onGpu.outputs.predictedLabel!, onCpu.outputs.predictedLabel!, 1e-5, 'predicted_label');
      });
    }

    for (const logistic of [true, false]) {
      it(`fmPredict (${form}, ${logistic ? 'binary' : 'regressor'}): cpu's scores and labels`, async () => {
        const [rows, cols, k] = [120, 29, 6];
        const data = batches(rows, cols, 9)[form];
        const model = { dim: cols, k, bias: 0.25, logistic, linear: values(cols, 10), factors: values(cols * k, 11), threshold: 0.4 };
        const { onGpu, onCpu } = await both('fmPredict', () => ({
          model, batch: data, score: new Float32Array(rows), label: logistic ? new Float32Array(rows) : null,
        }));
        assertClose(onGpu.score, onCpu.score, 1e-5, 'score');
        if (logistic) assert.deepEqual(Array.from(onGpu.label!), Array.from(onCpu.label!));
      });
    }
  }

  it("bad input gets cpu's own error: a non-finite feature, an index past the width, the wrong width", async () => {
    const { dense, sparse } = batches(5, 4, 12);
    const assign = (batch: Batch, dim = 4) => ({ centers: values(2 * dim, 1), count: 2, dim, batch, nearest: new Int32Array(5), distance2: new Float64Array(5) });
    const nan = { ...dense, values: Float32Array.from(dense.values, (v, i) => (i === 9 ? NaN : v)) };
    const far = { ...sparse, indices: Uint32Array.from(sparse.indices, (v, i) => (i === 4 ? 99 : v)) };
    const backwards = { ...sparse, indptr: Int32Array.from(sparse.indptr, (v, i) => (i === 2 ? -2147483648 : v)) };
    for (const [batch, dim] of [[nan, 4], [far, 4], [dense, 3], [backwards, 4]] as const) {
      const expected = await runKernel(cpu, 'kmeansAssign', assign(batch, dim)).then(() => 'no error', (error: Error) => error.message);
      assert.notEqual(expected, 'no error');
      await assert.rejects(withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => runKernel(gpu, 'kmeansAssign', assign(batch, dim))),
        (error: Error) => error.message === expected);
    }
  });

  it('declines a sparse row with unsorted indices where it walks the columns: cpu answers, or strict mode says so', async () => {
    const { sparse } = batches(6, 5, 13);
    const swapped = Uint32Array.from(sparse.indices);
    [swapped[sparse.indptr[2]], swapped[sparse.indptr[2] + 1]] = [swapped[sparse.indptr[2] + 1], swapped[sparse.indptr[2]]];
    const values2 = Float32Array.from(sparse.values);
    [values2[sparse.indptr[2]], values2[sparse.indptr[2] + 1]] = [values2[sparse.indptr[2] + 1], values2[sparse.indptr[2]]];
    const unsorted: SparseBatch = { ...sparse, indices: swapped, values: values2 };
    const make = () => ({ centers: values(15, 3), count: 3, dim: 5, batch: unsorted, nearest: new Int32Array(6), distance2: new Float64Array(6) });
    const counted = Object.assign(Object.create(gpu) as Backend, { counters: new KernelCounters(name) });
    const inputs = make();
    await withEnv('BOUNDLESS_STRICT_BACKEND', '0', () => runKernel(counted, 'kmeansAssign', inputs));
    const reference = make();
    await runKernel(cpu, 'kmeansAssign', reference);
    assert.deepEqual(Array.from(inputs.nearest), Array.from(reference.nearest));
    assert.deepEqual(counted.counters.snapshot(), { kmeansAssign: {
      backend: 'cpu', calls: 1, fallbacks: 1, declined: 'sparse row 2\'s feature indices do not strictly increase (the GPU kernel walks them beside the columns)',
    } });
    await assert.rejects(withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => runKernel(gpu, 'kmeansAssign', make())),
      new RegExp(`^StrictBackendError: BOUNDLESS_STRICT_BACKEND=1: backend '${name}' declined kernel 'kmeansAssign' \\(sparse row 2's feature indices ` +
        'do not strictly increase \\(the GPU kernel walks them beside the columns\\)\\); it would have run on cpu$'));
  });

  /** Runs `make()`'s inputs on the GPU backend and on cpu; strict: either it ran on the GPU, or the decline's message. */
  async function compareOrDecline<K extends KernelName>(kernel: K, make: () => KernelInputs[K]) {
    const strict = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => runKernel(gpu, kernel, make())).then(() => null, (error: Error) => error.message);
    const [onGpu, onCpu] = [make(), make()];
    await runKernel(gpu, kernel, onGpu);
    await runKernel(cpu, kernel, onCpu);
    return { strict, onGpu, onCpu };
  }

  it('a linear model of data far from the origin (features about 1e6) keeps its digits: scored about an origin', async () => {
    const [rows, cols] = [400, 12];
    const weights = values(cols, 21);
    const bias = new Float32Array([-1e6 * weights.reduce((a, b) => a + b, 0)]);  // a scaler's shift folded in
    const x = values(rows * cols, 22, 1e6);
    for (const loss of [3, 0]) {
      const model = { loss, dim: cols, classes: 1, threshold: 0, weights: Float32Array.from(weights), bias };
      const { strict, onGpu, onCpu } = await compareOrDecline('linearLearnerPredict', () => ({
        model, batch: { kind: 'dense', rows, cols, values: x } as DenseBatch, outputs: { score: new Float32Array(rows), predictedLabel: new Float32Array(rows) },
      }));
      assert.equal(strict, null, `loss ${loss}: ran on ${name}`);
      assertClose(onGpu.outputs.score, onCpu.outputs.score, 1e-5, `loss ${loss} score`);
      assertClose(onGpu.outputs.predictedLabel!, onCpu.outputs.predictedLabel!, loss === 0 ? 0 : 1e-5, `loss ${loss} labels`);
    }
  });

  it('a model with an origin (trained with centring) scores dense rows about it on the device, and declines sparse ones to cpu', async () => {
    const [rows, cols] = [300, 10];
    const weights = values(cols * 3, 31);
    const origin = values(cols, 32, 1e6);
    // Rows near the origin, every entry present (zeros would sit 1e6 away from it).
    const dense: DenseBatch = { kind: 'dense', rows, cols, values: values(rows * cols, 33, 1e6) };
    const sparse: SparseBatch = {
      kind: 'sparse', rows, cols, values: dense.values, indptr: Int32Array.from({ length: rows + 1 }, (_, r) => r * cols),
      indices: Uint32Array.from({ length: rows * cols }, (_, k) => k % cols),
    };
    for (const [loss, classes] of [[0, 1], [3, 1], [2, 3]] as const) {
      const model = { loss, dim: cols, classes, threshold: 0.1, weights: weights.slice(0, cols * classes), bias: values(classes, 34), origin };
      const width = loss === 2 ? classes : 1;
      const make = (batch: Batch) => () => ({ model, batch, outputs: { score: new Float32Array(rows * width), predictedLabel: new Float32Array(rows) } });
      const onDense = await compareOrDecline('linearLearnerPredict', make(dense));
      assert.equal(onDense.strict, null, `loss ${loss}: dense rows ran on ${name}`);
      assertClose(onDense.onGpu.outputs.score, onDense.onCpu.outputs.score, 1e-5, `loss ${loss} score`);
      assertClose(onDense.onGpu.outputs.predictedLabel!, onDense.onCpu.outputs.predictedLabel!, loss === 3 ? 1e-5 : 0, `loss ${loss} labels`);
      const onSparse = await compareOrDecline('linearLearnerPredict', make(sparse));
      assert.match(onSparse.strict ?? '', /declined kernel 'linearLearnerPredict' \(sparse rows for a model that scores about its training data's mean/);
      assert.deepEqual(Array.from(onSparse.onGpu.outputs.score), Array.from(onSparse.onCpu.outputs.score));
      assertClose(onSparse.onCpu.outputs.score, onDense.onCpu.outputs.score, 1e-6, `loss ${loss}: sparse rows scored as the dense ones`);
    }
  });

  it('a row far from the origin a linear model was first scored about is declined to cpu, never scored wrong', async () => {
    const model = { loss: 0, dim: 1, classes: 1, threshold: 0, weights: Float32Array.from([0.1]), bias: new Float32Array([0]) };
    const make = (x: number) => () => ({
      model, batch: { kind: 'dense', rows: 1, cols: 1, values: Float32Array.from([x]) } as DenseBatch,
      outputs: { score: new Float32Array(1), predictedLabel: new Float32Array(1) },
    });
    await runKernel(gpu, 'linearLearnerPredict', make(1e8)());  // the origin: x = 1e8, its base score 1e7 in float32
    const near = await compareOrDecline('linearLearnerPredict', make(-1e-6));
    assert.deepEqual(Array.from(near.onGpu.outputs.predictedLabel!), Array.from(near.onCpu.outputs.predictedLabel!));
    assertClose(near.onGpu.outputs.score, near.onCpu.outputs.score, 1e-6, 'score');
    if (name === 'webgpu') assert.match(near.strict ?? '', /row 0's result is not accurate to 1e-4 in float32/);
  });

  it('a result float32 cannot give (a distance past its range, a cancelling pairwise term) is declined to cpu, or an error in strict mode', async () => {
    const cols = 4;
    const huge = Float32Array.from([1e20, 0, 0, 0, 1, 2, 3, 4]);
    const assign = await compareOrDecline('kmeansAssign', () => ({
      centers: new Float32Array(8), count: 2, dim: cols, batch: { kind: 'dense', rows: 2, cols, values: huge } as DenseBatch,
      nearest: new Int32Array(2), distance2: new Float64Array(2),
    }));
    assert.match(assign.strict ?? '', /declined kernel 'kmeansAssign' \(row 0's result is not accurate to 1e-4 in float32 \(features far from the origin, or values past float32's range or below its normal range\); cpu computes it in float64\)/);
    assert.deepEqual(Array.from(assign.onGpu.distance2), Array.from(assign.onCpu.distance2));
    assert.equal(assign.onGpu.distance2[0], Math.fround(1e20) ** 2);
    if (name === 'cuda') {
      // Data near 1e-24: squared distances near 1e-48, below float32's normal range — declined, never reported as 0.
      const tiny = await compareOrDecline('kmeansAssign', () => ({
        centers: Float32Array.from([0, 0, 3e-24, 3e-24]), count: 2, dim: 2,
        batch: { kind: 'dense', rows: 1, cols: 2, values: Float32Array.from([1e-24, 2e-24]) } as DenseBatch,
        nearest: new Int32Array(1), distance2: new Float64Array(1),
      }));
      assert.match(tiny.strict ?? '', /declined kernel 'kmeansAssign' \(row 0's result is not accurate to 1e-4 in float32/);
      assert.deepEqual(Array.from(tiny.onGpu.nearest), Array.from(tiny.onCpu.nearest));
      assert.ok(tiny.onGpu.distance2[0] > 0);
      // A binary model outputs σ(score), which float32 holds whatever the score: rows near ±1e20 are scored on cuda (0 and 1, as cpu).
      const far = Float32Array.from([1e20, 0, 0, 0, -1e20, 0, 0, 0]);
      const binaryFm = await compareOrDecline('fmPredict', () => ({
        model: { dim: cols, k: 1, bias: 0, logistic: true, linear: Float32Array.from([1, 0, 0, 0]), factors: Float32Array.from([1, 1, 1, 1]) },
        batch: { kind: 'dense', rows: 2, cols, values: far } as DenseBatch, score: new Float32Array(2), label: new Float32Array(2),
      }));
      assert.equal(binaryFm.strict, null);
      assert.deepEqual([Array.from(binaryFm.onGpu.score), Array.from(binaryFm.onGpu.label!)], [Array.from(binaryFm.onCpu.score), [1, 0]]);
      const binaryLl = await compareOrDecline('linearLearnerPredict', () => ({
        model: { loss: 0, dim: cols, classes: 1, threshold: 0, weights: Float32Array.from([1, 0, 0, 0]), bias: new Float32Array(1) },
        batch: { kind: 'dense', rows: 2, cols, values: far } as DenseBatch, outputs: { score: new Float32Array(2), predictedLabel: new Float32Array(2) },
      }));
      assert.equal(binaryLl.strict, null);
      assert.deepEqual(Array.from(binaryLl.onGpu.outputs.score), Array.from(binaryLl.onCpu.outputs.score));
    }
    // One feature dominates: (Σ v·x)² − Σ (v·x)² cancels all but the small cross terms.
    const fm = await compareOrDecline('fmPredict', () => ({
      model: { dim: cols, k: 1, bias: 0, logistic: false, linear: new Float32Array(cols), factors: Float32Array.from([1, 1, 1, 1]) },
      batch: { kind: 'dense', rows: 1, cols, values: Float32Array.from([1e5, 1e-3, 2e-3, 3e-3]) } as DenseBatch,
      score: new Float32Array(1), label: null,
    }));
    if (name === 'webgpu') {
      assert.match(fm.strict ?? '', /declined kernel 'fmPredict' \(row 0's result is not accurate to 1e-4 in float32/);
      assert.deepEqual(Array.from(fm.onGpu.score), Array.from(fm.onCpu.score));
    } else {
      // cuda sums the pairwise term in float64, as cpu does: nothing cancels away, it runs there.
      assert.equal(fm.strict, null);
      assertClose(fm.onGpu.score, fm.onCpu.score, 1e-6, 'fm score');
    }
  });

  it("a row needing more loop iterations than the adapter runs (llvmpipe: 65,535 in all) is declined there, computed on a GPU", async () => {
    const [rows, cols, components] = [3, 1000, 70];
    // Every term of (x − mean)·row positive (x 0 or in [2, 4), mean in [−3, −1), rows in [1, 3)):
    // no cancellation, so float32 holds 1e-4 and a real GPU declines nothing. (Values in ±1, as
    // elsewhere here, cancelled past the accuracy bound on an H200 and were declined for it.)
    const data = batches(rows, cols, 23, 3).dense;
    const model = { rows: values(components * cols, 24, 2), mean: values(cols, 25, -2) };
    const { strict, onGpu, onCpu } = await compareOrDecline('pcaProject', () => ({ model, dim: cols, components, batch: data, out: new Float32Array(rows * components) }));
    if (gpu.details.software === true) {
      assert.match(strict ?? '', /declined kernel 'pcaProject' \(row 0 needs more loop iterations than this adapter runs \(Mesa's llvmpipe stops a shader's loops after 65,535 in all\)\)/);
    } else {
      assert.equal(strict, null);
    }
    assertClose(onGpu.out, onCpu.out, 1e-5, 'projection');
  });

  it('a batch of no rows is no work; calls in flight at once each get their own answer', async () => {
    const empty: DenseBatch = { kind: 'dense', rows: 0, cols: 3, values: new Float32Array(0) };
    await runKernel(gpu, 'pcaProject', { model: { rows: values(3, 1), mean: values(3, 2) }, dim: 3, components: 1, batch: empty, out: new Float32Array(0) });
    const model = { rows: values(2 * 8, 3), mean: values(8, 4) };
    const calls = [1, 2, 3, 4].map((seed) => {
      const { dense } = batches(40 * seed, 8, seed);
      return { dense, out: new Float32Array(40 * seed * 2) };
    });
    await Promise.all(calls.map(({ dense, out }) => runKernel(gpu, 'pcaProject', { model, dim: 8, components: 2, batch: dense, out })));
    for (const { dense, out } of calls) {
      const expected = new Float32Array(out.length);
      await runKernel(cpu, 'pcaProject', { model, dim: 8, components: 2, batch: dense, out: expected });
      assertClose(out, expected, 1e-5, `rows ${dense.rows}`);
    }
  });
});
