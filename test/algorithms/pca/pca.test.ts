// PCA's regular mode: exact moments, known axes and variances, any number of
// components and either centring from one state, projection and its inverse.
import assert from 'node:assert/strict';
import { createBackend, denseBatch, parseHyperparameters, pca, type Backend, type Batch, type PcaState } from '../../../lib/index.js';
import { assertSameModel, pcaAxes, pcaBatches, pcaDim, pcaMean, pcaSigmas } from '../../fixtures/pca-data.js';

let backend: Backend;

async function fit(batches: Batch[], input: Record<string, unknown> = { num_components: 3 }): Promise<PcaState> {
  const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, input), { featureDim: pcaDim, labelSize: 0 }, backend);
  for (const batch of batches) await pca.update(state, batch, backend);
  return state;
}

describe('pca (regular)', function () {
  this.timeout(60_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  it('accumulates n, Σx and Σ(x − o)(x − o)ᵀ about its origin o, the first row, in float64 (to rounding of the float32 inputs)', async () => {
    const batches = pcaBatches(1, 3, 40);
    const state = await fit(batches);
    const o = state.tensors.origin.data as Float64Array;
    assert.deepEqual(Array.from(o), Array.from((batches[0] as { values: Float32Array }).values.subarray(0, pcaDim)));
    const sum = new Float64Array(pcaDim);
    const cross = new Float64Array(pcaDim * pcaDim);
    for (const batch of batches) {
      const x = (batch as { values: Float32Array }).values;
      for (let r = 0; r < batch.rows; r++) {
        for (let i = 0; i < pcaDim; i++) {
          sum[i] += x[r * pcaDim + i];
          for (let j = 0; j <= i; j++) cross[i * pcaDim + j] += (x[r * pcaDim + i] - o[i]) * (x[r * pcaDim + j] - o[j]);
        }
      }
    }
    assert.equal((state.tensors.count.data as Float64Array)[0], 120);
    assert.deepEqual(Array.from(state.tensors.sum.data as Float64Array), Array.from(sum));
    const got = state.tensors.cross.data as Float64Array;
    // Row-order sums with fused multiply-adds: equal to the plain sum to rounding.
    for (let i = 0; i < pcaDim; i++) for (let j = 0; j <= i; j++) assert.ok(Math.abs(got[i * pcaDim + j] - cross[i * pcaDim + j]) <= 1e-12 * Math.abs(cross[i * pcaDim + j]), `cross ${i},${j}`);
  });

  it('accumulates weighted moments exactly across the kernel\'s panel and row-block edges (d = 37, 300 rows)', async () => {
    const d = 37;
    const rows = 300;  // more than one block of 256 rows; 37 is neither a multiple of 6 nor of 8
    const random = (await import('../../../lib/index.js')).Random.fromSeed(21);
    const x = Float32Array.from({ length: rows * d }, () => random.nextGaussian());
    const weights = Float32Array.from({ length: rows }, (_, r) => (r % 5) / 2);
    const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 2 }), { featureDim: d, labelSize: 0 }, backend);
    await pca.update(state, { ...denseBatch(x, d), weights }, backend);
    const got = state.tensors.cross.data as Float64Array;
    const o = state.tensors.origin.data as Float64Array;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j <= i; j++) {
        let expected = 0;
        for (let r = 0; r < rows; r++) expected += weights[r] * (x[r * d + i] - o[i]) * (x[r * d + j] - o[j]);
        assert.ok(Math.abs(got[i * d + j] - expected) <= 1e-12 * Math.max(1, Math.abs(expected)), `cross ${i},${j}: ${got[i * d + j]} vs ${expected}`);
      }
      for (let j = i + 1; j < d; j++) assert.equal(got[i * d + j], 0, `upper triangle ${i},${j} is not written`);
    }
  });

  it('recovers the generating axes (up to sign), variances and mean', async () => {
    const state = await fit(pcaBatches(2, 100));
    const model = await pca.finalize(state, backend, { num_components: pcaDim });
    const { v, mean, explained_variance: ev, explained_variance_ratio: ratio } = model.data().tensors;
    for (let m = 0; m < pcaDim; m++) {
      let dot = 0;
      for (let j = 0; j < pcaDim; j++) dot += (v.data as Float32Array)[j * pcaDim + m] * pcaAxes[m][j];
      assert.ok(Math.abs(Math.abs(dot) - 1) < 0.01, `axis ${m}: |cos| = ${Math.abs(dot)}`);
      const variance = (ev.data as Float64Array)[m];
      assert.ok(Math.abs(variance / pcaSigmas[m] ** 2 - 1) < 0.05, `variance ${m}: ${variance} vs ${pcaSigmas[m] ** 2}`);
    }
    for (let j = 0; j < pcaDim; j++) assert.ok(Math.abs((mean.data as Float32Array)[j] - pcaMean[j]) < 0.1);
    const total = pcaSigmas.reduce((s, x) => s + x * x, 0);
    assert.ok(Math.abs((ratio.data as Float32Array)[0] - 25 / total) < 0.01);
    assert.ok(Math.abs(Number(model.data().scalars.total_variance) / total - 1) < 0.05);
  });

  it('selects any number of components and either centring from one state', async () => {
    const state = await fit(pcaBatches(3, 20));
    const full = await pca.finalize(state, backend, { num_components: pcaDim });
    for (const k of [1, 2, 5]) {
      const model = await pca.finalize(state, backend, { num_components: k });
      assert.deepEqual(model.data().tensors.v.shape, [pcaDim, k]);
      const s = Array.from(model.data().tensors.s.data as Float32Array);
      assert.deepEqual(s, Array.from(full.data().tensors.s.data as Float32Array).slice(0, k));
    }
    const uncentred = await pca.finalize(state, backend, { subtract_mean: false });
    assert.deepEqual(Array.from(uncentred.data().tensors.mean.data as Float32Array), new Array(pcaDim).fill(0));
    // Without centring, the first axis points at the mean (it dominates the second moment).
    const v = uncentred.data().tensors.v.data as Float32Array;
    const norm = Math.hypot(...pcaMean);
    let dot = 0;
    for (let j = 0; j < pcaDim; j++) dot += v[j * 3] * pcaMean[j] / norm;
    assert.ok(Math.abs(dot) > 0.99, `first uncentred axis vs the mean direction: ${dot}`);
    await assert.rejects(async () => pca.finalize(state, backend, { num_components: 7 }), /num_components 7 must be an integer in 1..6/);
    await assert.rejects(async () => pca.finalize(state, backend, { k: 2 }), /unknown selection 'k'/);
  });

  it('projects rows and reconstructs them exactly with all components', async () => {
    const state = await fit(pcaBatches(4, 10));
    const model = await pca.finalize(state, backend, { num_components: pcaDim });
    const [batch] = pcaBatches(5, 1, 8);
    const { projection } = await model.predict(batch);
    assert.equal(projection.length, 8 * pcaDim);
    const one = model.predictOne((batch as { values: Float32Array }).values.subarray(0, pcaDim)).projection;
    for (let m = 0; m < pcaDim; m++) assert.ok(Math.abs(one[m] - projection[m]) < 1e-3);
    const back = await model.inverseTransform(projection, 8);
    const x = (batch as { values: Float32Array }).values;
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i] - x[i]) < 1e-3, `value ${i}: ${back[i]} vs ${x[i]}`);
    await assert.rejects(model.predict(denseBatch(new Float32Array(4), 2)), /pca predict: has 2 features per row, expected 6/);
    // Rows read with a label column (readBatches' CSV default): one short, and said why.
    await assert.rejects(model.predict(denseBatch(new Float32Array(10), 5, Float32Array.of(1, 0))),
      /^RangeError: pca predict: has 5 features per row, expected 6: the batch was read with a label column, which rows for PCA have not: read them with labelSize: 0$/);
    await assert.rejects(model.inverseTransform(projection, 7), /^RangeError: pca inverseTransform: projection has 48 values, expected rows × num_components = 7 × 6$/);
  });

  it('takes sparse rows with the same moments and model as dense', async () => {
    const dense = pcaBatches(6, 2, 30);
    const sparse = dense.map((b) => {
      const x = (b as { values: Float32Array }).values;
      const indptr = new Int32Array(b.rows + 1);
      const indices: number[] = [];
      const values: number[] = [];
      for (let r = 0; r < b.rows; r++) {
        for (let j = pcaDim - 1; j >= 0; j--) if (x[r * pcaDim + j] !== 0) { indices.push(j); values.push(x[r * pcaDim + j]); }
        indptr[r + 1] = indices.length;
      }
      return { kind: 'sparse' as const, rows: b.rows, cols: pcaDim, indptr, indices: Uint32Array.from(indices), values: Float32Array.from(values) };
    });
    const a = await fit(dense);
    const b = await fit(sparse);
    for (const name of ['count', 'sum']) {
      const x = a.tensors[name].data as Float64Array;
      const y = b.tensors[name].data as Float64Array;
      for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) <= 1e-9 * Math.max(1, Math.abs(x[i])), `${name}[${i}]`);
    }
    // The dense state's products are about its first row, the sparse one's about 0: the same model.
    assertSameModel((await pca.finalize(a, backend)).data().tensors, (await pca.finalize(b, backend)).data().tensors, 1e-6, 'sparse');
  });

  it('reports the variances of features at 1e30 (1e60, past float32) instead of Infinity', async () => {
    // The generated data scaled by 1e29: variances σ²·1e58 (25e58 for the first axis).
    const scale = 1e29;
    const batches = pcaBatches(2, 100).map((b) => denseBatch((b as { values: Float32Array }).values.map((v) => v * scale), pcaDim));
    const model = await pca.finalize(await fit(batches), backend, { num_components: pcaDim });
    const { v, s, explained_variance: ev } = model.data().tensors;
    for (let m = 0; m < pcaDim; m++) {
      const variance = (ev.data as Float64Array)[m];
      assert.ok(Math.abs(variance / (pcaSigmas[m] ** 2 * scale ** 2) - 1) < 0.05, `variance ${m}: ${variance} vs ${pcaSigmas[m] ** 2 * scale ** 2}`);
      assert.ok(Number.isFinite((s.data as Float64Array)[m]) && (s.data as Float64Array)[m] > 0, `s[${m}]`);
      let dot = 0;
      for (let j = 0; j < pcaDim; j++) dot += (v.data as Float32Array)[j * pcaDim + m] * pcaAxes[m][j];
      assert.ok(Math.abs(Math.abs(dot) - 1) < 0.01, `axis ${m}: |cos| = ${Math.abs(dot)}`);
    }
    const { projection } = await model.predict(batches[0]);
    assert.ok(projection.every(Number.isFinite), 'projections of rows at 1e30 are finite');
  });

  it('a projection past float32\'s range is an error naming the row, dense or sparse, not an infinity (JSON null)', async () => {
    const rows = Float32Array.from([3e38, 1, -3e38, 2, 3e38, 3, 1, 4]);
    const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 2 }), { featureDim: 2, labelSize: 0 }, backend);
    await pca.update(state, denseBatch(rows, 2), backend);
    const model = await pca.finalize(state, backend);
    await assert.rejects(model.predict(denseBatch(rows, 2)),
      /^RangeError: pca predict: row 1: its projection on component 0, -3\.75e\+38, is past float32's range \(features too large for a float32 projection\)$/);
    const sparse = { kind: 'sparse' as const, rows: 4, cols: 2, indptr: Int32Array.from([0, 2, 4, 6, 8]), indices: Uint32Array.from([0, 1, 0, 1, 0, 1, 0, 1]), values: rows };
    await assert.rejects(model.predict(sparse), /^RangeError: pca predict: row 1: its projection on component 0, -3\.75e\+38, is past float32's range/);
    assert.throws(() => model.predictOne(rows.subarray(2, 4)), /^RangeError: pca predictOne: its projection on component 0, -3\.75e\+38, is past float32's range/);
    assert.ok(Number.isFinite(model.predictOne(rows.subarray(6, 8)).projection[0]));
  });
});

describe('pca from the command line', function () {
  this.timeout(60_000);
  it('trains, selects another number of components from the state, and projects', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spawnSync } = await import('node:child_process');
    const { packageRoot } = await import('../../../lib/package-root.js');
    const root = await mkdtemp(join(tmpdir(), 'boundless-pca-cli-'));
    try {
      const lines = pcaBatches(7, 5).flatMap((b) => {
        const v = (b as { values: Float32Array }).values;
        return Array.from({ length: b.rows }, (_, r) => Array.from(v.subarray(r * pcaDim, (r + 1) * pcaDim)).join(','));
      });
      await writeFile(join(root, 'rows.csv'), lines.join('\n') + '\n');
      const cli = (...args: string[]) => {
        const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { cwd: root, encoding: 'utf8' });
        assert.equal(result.status, 0, result.stderr);
        return result.stdout;
      };
      cli('train', 'pca', '--train', 'rows.csv', '--hp', 'num_components=2', '--model-dir', 'model');
      cli('select', '--state', 'model/state.safetensors', '--num-components', '4', '--model-dir', 'four');
      const inspected = JSON.parse(cli('inspect', 'four/model.safetensors'));
      assert.equal(inspected.scalars.num_components, 4);
      const rows = cli('predict', '--model', 'four/model.safetensors', '--input', 'rows.csv').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(rows.length, 1000);
      assert.equal(rows[0].projection.length, 4);
      // One component's projection is an array of one (it was a bare number: a consumer indexing it broke).
      cli('select', '--state', 'model/state.safetensors', '--num-components', '1', '--model-dir', 'one');
      const first = JSON.parse(cli('predict', '--model', 'one/model.safetensors', '--input', 'rows.csv').split('\n')[0]);
      assert.ok(Array.isArray(first.projection) && first.projection.length === 1, JSON.stringify(first));
      // --epochs passed the hyperparameter's bound by: a second pass counted every row again (singular values ×√3 at 3).
      const again = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), 'train', 'pca', '--train', 'rows.csv', '--hp', 'num_components=2',
        '--epochs', '3', '--model-dir', 'three'], { cwd: root, encoding: 'utf8' });
      assert.equal(again.status, 2, 'a bad command line');
      // select warns for the model it makes: uncentred, the same rows moved to 10^7 are past float64's reach.
      await writeFile(join(root, 'far.csv'), lines.map((line) => line.split(',').map((v) => String(1e7 + Number(v))).join(',')).join('\n') + '\n');
      cli('train', 'pca', '--train', 'far.csv', '--hp', 'num_components=2', '--model-dir', 'far');
      const selected = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), 'select', '--state', 'far/state.safetensors',
        '--select', 'subtract_mean=False', '--model-dir', 'far-uncentred'], { cwd: root, encoding: 'utf8' });
      assert.equal(selected.status, 0, selected.stderr);
      assert.match(selected.stderr, /^boundless: select: warning: pca: subtract_mean=false on data far from 0: n‖μ‖² is [\d.]+e\+\d+ × the variance about the mean/);
      assert.deepEqual(JSON.parse(selected.stdout).selection, { subtract_mean: false });
      assert.match(again.stderr, /train: pca takes at most 1 epoch, got 3 \(epochs: one pass: the state is a sum or a sketch, and another pass would count every row again\)/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
