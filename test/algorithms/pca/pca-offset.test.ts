// PCA on data far from the origin, every mode against a float64 two-pass reference. The data are
// exactly rank 3 after centring and exactly representable in float32 at every offset (integer
// axes, coefficients on a 1/64 grid, |x| < 2^17), so every mode is exact in exact arithmetic and
// any error is rounding: before the products were taken about a point of the data, an offset of
// 10^5 spreads cost the regular mode three digits and left Frequent Directions nothing.
import assert from 'node:assert/strict';
import { Random, createBackend, denseBatch, loadCoreAddon, parseHyperparameters, pca, type Backend, type Batch, type PcaState } from '../../../lib/index.js';
import { toSparse } from '../../fixtures/linear-data.js';

const dim = 12;
const rows = 6000;
const batchRows = 500;
const sigmas = [1, 0.5, 0.25];

/**
 * Rows o + Σ z_m a_m: integer axes a_m, z_m ~ N(0, σ_m²) rounded to 1/64 (1/8 past 2^17, where
 * float32 has 3 bits below the point), offset o = offset × (±1 per coordinate).
 */
function offsetRows(offset: number, seed: number, grid = true): Float32Array {
  const step = offset < 2 ** 17 ? 64 : 8;
  const random = Random.fromSeed(seed);
  const axes = sigmas.map(() => Array.from({ length: dim }, () => Math.floor(random.nextFloat() * 5) - 2));
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const z = sigmas.map((s) => (grid ? Math.round(step * s * random.nextGaussian()) / step : s * random.nextGaussian()));
    for (let j = 0; j < dim; j++) {
      const value = (j % 3 === 1 ? -offset : offset) + z.reduce((sum, zm, m) => sum + zm * axes[m][j], 0);
      x[r * dim + j] = value;
      if (grid && x[r * dim + j] !== value) throw new Error('test data must be exact in float32');
    }
  }
  return x;
}

/**
 * Eigenvalues (÷ dof) and unit eigenvectors of the float64 scatter about the mean, plus n·μμᵀ
 * when uncentred (summing x·xᵀ about 0 directly would round each product of ~10^12 at offset 10^6).
 */
function reference(x: Float32Array, centred: boolean, k: number) {
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j] += x[r * dim + j] / rows;
  const scatter = new Float64Array(dim * dim);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < dim; i++) {
      const xi = x[r * dim + i] - mean[i];
      for (let j = 0; j <= i; j++) scatter[i * dim + j] += xi * (x[r * dim + j] - mean[j]);
    }
  }
  if (!centred) for (let i = 0; i < dim; i++) for (let j = 0; j <= i; j++) scatter[i * dim + j] += rows * mean[i] * mean[j];
  let trace = 0;
  for (let i = 0; i < dim; i++) trace += scatter[i * dim + i];
  const { values, vectors } = loadCoreAddon().symmetricEigen(scatter, dim, k);
  const dof = centred ? rows - 1 : rows;
  return { variance: Array.from(values.slice(0, k), (v) => v / dof), ratio: Array.from(values.slice(0, k), (v) => v / trace), vectors };
}

let backend: Backend;

async function fitted(mode: string, batches: Batch[]): Promise<PcaState> {
  const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 3, algorithm_mode: mode }), { featureDim: dim, labelSize: 0 }, backend);
  for (const batch of batches) await pca.update(state, batch, backend);
  return state;
}

function batchesOf(x: Float32Array, sparse = false): Batch[] {
  return Array.from({ length: rows / batchRows }, (_, b) => {
    const batch = denseBatch(x.slice(b * batchRows * dim, (b + 1) * batchRows * dim), dim);
    return sparse ? toSparse(batch) : batch;
  });
}

/** Asserts the model's variances, ratios and components equal the reference's to `tolerance`. */
async function assertMatches(state: PcaState, x: Float32Array, centred: boolean, tolerance: number, label: string): Promise<void> {
  const k = 3;
  const model = await pca.finalize(state, backend, { subtract_mean: centred });
  const t = model.data().tensors;
  const ref = reference(x, centred, k);
  for (let m = 0; m < k; m++) {
    const variance = (t.explained_variance.data as Float64Array)[m];
    const ratio = (t.explained_variance_ratio.data as Float32Array)[m];
    assert.ok(Math.abs(variance - ref.variance[m]) <= tolerance * ref.variance[m], `${label}: variance ${m} ${variance}, float64 ${ref.variance[m]}`);
    assert.ok(Math.abs(ratio - ref.ratio[m]) <= tolerance * ref.ratio[m], `${label}: ratio ${m} ${ratio}, float64 ${ref.ratio[m]}`);
    let cosine = 0;
    for (let j = 0; j < dim; j++) cosine += (t.v.data as Float32Array)[j * k + m] * ref.vectors[m * dim + j];
    assert.ok(1 - Math.abs(cosine) <= tolerance, `${label}: component ${m} |cos| ${Math.abs(cosine)}`);
  }
}

describe('pca far from the origin', function () {
  this.timeout(120_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  for (const mode of ['regular', 'randomized', 'frequent_directions']) {
    for (const offset of [0, 1e3, 1e5]) {
      it(`matches float64 in ${mode} mode at an offset of ${offset}× the spread, centred and not`, async () => {
        const x = offsetRows(offset, 11);
        const state = await fitted(mode, batchesOf(x));
        await assertMatches(state, x, true, 1e-5, `${mode}, offset ${offset}, centred`);
        if (offset <= 1e3) await assertMatches(state, x, false, 1e-5, `${mode}, offset ${offset}, uncentred`);
      });
    }
    it(`merges ${mode} shards with different origins exactly at an offset of 10^5`, async () => {
      const x = offsetRows(1e5, 12);
      const batches = batchesOf(x);
      // Each shard's origin is its own first row: the merge moves them to one.
      const shards = await Promise.all([batches.slice(0, 3), batches.slice(3, 8), batches.slice(8)].map((b) => fitted(mode, b)));
      await assertMatches(pca.merge(shards), x, true, 1e-5, `${mode} merged`);
    });
  }

  for (const mode of ['regular', 'randomized', 'frequent_directions']) {
    it(`keeps every component uncentred (subtract_mean=false) in ${mode} mode at an offset of 10^6× the spread`, async () => {
      // n‖μ‖² is 4·10^11 × the spread: sketches moved to 0 as a whole lost components 2 and 3 in the
      // solver's floor (randomized) or the Nyström shift; about the mean with n·μμᵀ added they match.
      const x = offsetRows(1e6, 15);
      const state = await fitted(mode, batchesOf(x));
      await assertMatches(state, x, false, 2e-3, `${mode}, offset 10^6, uncentred`);
      await assertMatches(state, x, true, 1e-5, `${mode}, offset 10^6, centred`);
    });
  }

  it('warns when subtract_mean=false is asked of data so far from 0 that float64 cannot resolve its small components', async () => {
    const warnings = async (offset: number, subtractMean: boolean) => {
      const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 3, subtract_mean: subtractMean }),
        { featureDim: dim, labelSize: 0 }, backend);
      for (const batch of batchesOf(offsetRows(offset, 16, false))) await pca.update(state, batch, backend);
      return pca.dataWarnings!(state);
    };
    assert.deepEqual(await warnings(1e5, false), []);
    assert.deepEqual(await warnings(1e7, true), []);
    const [far, ...rest] = await warnings(1e7, false);
    assert.equal(rest.length, 0);
    assert.equal(far, 'pca: subtract_mean=false on data far from 0: n‖μ‖² is 3.6e+13 × the variance about the mean, so each component\'s ' +
      'eigenvalue carries a rounding error near 8.0e-3 of the total variance; every component but the mean\'s can be off by more than 0.1%. ' +
      'Use subtract_mean=true (the model then subtracts the mean before projecting) or centre the rows');
    // A selection's subtract_mean decides, not the hyperparameter's.
    const centred = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 3 }), { featureDim: dim, labelSize: 0 }, backend);
    for (const batch of batchesOf(offsetRows(1e7, 16, false))) await pca.update(centred, batch, backend);
    assert.deepEqual(pca.dataWarnings!(centred), []);
    assert.equal(pca.dataWarnings!(centred, { subtract_mean: false })[0], far);
    // One point repeated has no spread to resolve (the warning said "Infinity ×").
    const point = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 1, subtract_mean: false }), { featureDim: dim, labelSize: 0 }, backend);
    await pca.update(point, denseBatch(new Float32Array(5 * dim).fill(3), dim), backend);
    assert.deepEqual(pca.dataWarnings!(point), []);
    assert.match((await warnings(2e6, false))[0], /n‖μ‖² is 1\.5e\+12 × .* rounding error near 3\.3e-4 of the total variance; components with less than 33% of it can be off by more than 0\.1%\./);
  });

  it('refuses data with no spread: one point repeated, or all zero uncentred, naming what it saw', async () => {
    const same = denseBatch(new Float32Array(5 * dim).map((_, i) => 1e5 + (i % dim)), dim);
    for (const mode of ['regular', 'randomized', 'frequent_directions']) {
      const state = await fitted(mode, [same]);
      assert.throws(() => pca.checkTrainingData!(state), { name: 'DegenerateDataError', message: /^pca: all 5 rows seen are the same point, with no variance about their mean, so there is no direction of spread to find/ });
      await assert.rejects(async () => pca.finalize(state, backend, { num_components: 1 }), { name: 'DegenerateDataError', message: /all 5 rows seen are the same point/ });
      // Uncentred, the same rows have a direction: the mean's.
      const model = await pca.finalize(state, backend, { num_components: 1, subtract_mean: false });
      assert.ok((model.data().tensors.explained_variance_ratio.data as Float32Array)[0] > 0.999999, mode);
    }
    const zeros = await fitted('regular', [denseBatch(new Float32Array(4 * dim), dim)]);
    await assert.rejects(async () => pca.finalize(zeros, backend, { num_components: 1, subtract_mean: false }),
      { message: /^pca: the 4 rows seen are all zero \(subtract_mean=false measures spread about 0\)/ });
    const one = await fitted('regular', [denseBatch(new Float32Array(dim).fill(2), dim)]);
    await assert.rejects(async () => pca.finalize(one, backend, { num_components: 1 }), { message: /^pca: only 1 row seen, and one row has no variance about its mean/ });
  });

  it('keeps every digit in regular mode on data off the float32 grid at an offset of 10^5', async () => {
    // Rounded to float32, these rows are full rank; the exact mode must still match float64.
    const x = offsetRows(1e5, 14, false);
    await assertMatches(await fitted('regular', batchesOf(x)), x, true, 1e-6, 'regular, off the grid');
  });

  for (const mode of ['randomized', 'frequent_directions']) {
    it(`takes sparse rows about the origin too (${mode}, offset 10^5)`, async () => {
      const x = offsetRows(1e5, 13);
      const state = await fitted(mode, [denseBatch(x.slice(0, dim), dim), ...batchesOf(x, true)]);
      // The first (dense) row set the origin; it is counted twice, so compare against that data.
      const data = new Float32Array((rows + 1) * dim);
      data.set(x.subarray(0, dim));
      data.set(x, dim);
      const model = await pca.finalize(state, backend);
      const mean = new Float64Array(dim);
      for (let r = 0; r <= rows; r++) for (let j = 0; j < dim; j++) mean[j] += data[r * dim + j] / (rows + 1);
      const scatter = new Float64Array(dim * dim);
      for (let r = 0; r <= rows; r++) for (let i = 0; i < dim; i++) for (let j = 0; j <= i; j++) scatter[i * dim + j] += (data[r * dim + i] - mean[i]) * (data[r * dim + j] - mean[j]);
      const values = loadCoreAddon().symmetricEigen(scatter, dim, 3).values;
      for (let m = 0; m < 3; m++) {
        const variance = (model.data().tensors.explained_variance.data as Float64Array)[m];
        assert.ok(Math.abs(variance - values[m] / rows) <= 1e-5 * values[m] / rows, `variance ${m} ${variance}, float64 ${values[m] / rows}`);
      }
    });
  }

  for (const offset of [0, 1e5]) {
    it(`projects rows onto the model about its mean, dense and sparse, as float64 does, at an offset of ${offset}`, async () => {
      const x = offsetRows(offset, 21);
      const model = await pca.finalize(await fitted('regular', batchesOf(x)), backend);
      const { v, mean } = model.data().tensors as unknown as { v: { data: Float32Array }; mean: { data: Float32Array } };
      const probe = x.slice(0, 200 * dim);
      for (const batch of [denseBatch(probe, dim), toSparse(denseBatch(probe, dim))]) {
        const { projection } = await model.predict(batch);
        for (let r = 0; r < 200; r++) {
          for (let m = 0; m < 3; m++) {
            let exact = 0;
            for (let j = 0; j < dim; j++) exact += (probe[r * dim + j] - mean.data[j]) * v.data[j * 3 + m];
            // float32 output of an O(1) projection: a few ulps, whatever the offset.
            assert.ok(Math.abs(projection[r * 3 + m] - exact) <= 1e-5, `${batch.kind} row ${r} component ${m}: ${projection[r * 3 + m]} vs ${exact}`);
          }
        }
        const one = model.predictOne(probe.subarray(0, dim)).projection as Float32Array;
        assert.ok(Math.abs(one[0] - projection[0]) <= 1e-5);
      }
    });
  }
});
