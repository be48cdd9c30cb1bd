// PCA's sketched modes: Frequent Directions against its proven bound (plain,
// weighted and merged), the randomized Nyström sketch exact on low-rank data
// and within its expected-error bound on noisy data, and what both share with
// regular mode (exact total variance, centring at finalize, sparse input).
import assert from 'node:assert/strict';
import {
  Random, createBackend, denseBatch, loadCoreAddon, parseHyperparameters, pca, type Backend, type Batch, type PcaState,
} from '../../../lib/index.js';
import { originOf } from '../../../lib/algorithms/pca/origin.js';

let backend: Backend;

/** n × d rows with a decaying spectrum (scale^m on axis m, axes rotated) plus a mean. */
function decayingRows(seed: number, n: number, d: number, decay: number, rank = d): Float32Array {
  const random = Random.fromSeed(seed);
  const axes = Array.from({ length: d }, () => Array.from({ length: d }, () => random.nextGaussian()));
  const x = new Float32Array(n * d);
  for (let r = 0; r < n; r++) {
    for (let m = 0; m < rank; m++) {
      const z = random.nextGaussian() * decay ** m;
      for (let j = 0; j < d; j++) x[r * d + j] += z * axes[m][j] / Math.sqrt(d);
    }
    for (let j = 0; j < d; j++) x[r * d + j] += 0.5 * Math.sin(j);
  }
  return x;
}

async function fit(batches: Batch[], d: number, input: Record<string, unknown>): Promise<PcaState> {
  const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, input), { featureDim: d, labelSize: 0 }, backend);
  for (const batch of batches) await pca.update(state, batch, backend);
  return state;
}

function batchesOf(x: Float32Array, d: number, rows: number): Batch[] {
  const out: Batch[] = [];
  for (let r = 0; r < x.length / d; r += rows) out.push(denseBatch(x.slice(r * d, Math.min(x.length / d, r + rows) * d), d));
  return out;
}

/** Σ w·(x − o)(x − o)ᵀ about an origin o (0, or the state's), or centred, in float64, d × d. */
function scatter(x: Float32Array, d: number, weights?: number[], centre = false, origin?: Float64Array): Float64Array {
  const n = x.length / d;
  const mean = new Float64Array(d);
  let total = 0;
  for (let r = 0; r < n; r++) {
    const w = weights?.[r] ?? 1;
    total += w;
    for (let j = 0; j < d; j++) mean[j] += w * x[r * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] = centre ? mean[j] / total : origin?.[j] ?? 0;
  const c = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    const w = weights?.[r] ?? 1;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) c[i * d + j] += w * (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]);
  }
  return c;
}

const eigenvalues = (m: Float64Array, d: number) => Array.from(loadCoreAddon().symmetricEigen(m, d).values);
const spectralNorm = (m: Float64Array, d: number) => Math.max(...eigenvalues(m, d).map(Math.abs));

/** AᵀA − BᵀB for the sketch's rows B. */
function sketchGap(state: PcaState, exact: Float64Array, d: number): Float64Array {
  const filled = (state.tensors.filled.data as Float64Array)[0];
  const b = state.tensors.rows.data as Float64Array;
  const gap = Float64Array.from(exact);
  for (let r = 0; r < filled; r++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) gap[i * d + j] -= b[r * d + i] * b[r * d + j];
  return gap;
}

/** Checks 0 ⪯ AᵀA − BᵀB and ‖AᵀA − BᵀB‖₂ ≤ ‖A − A_k‖²_F / (ℓ − k) for every k < ℓ. */
function assertFrequentDirectionsBound(state: PcaState, exact: Float64Array, d: number, ell: number): void {
  const gap = sketchGap(state, exact, d);
  const gapValues = eigenvalues(gap, d);
  const scale = eigenvalues(exact, d)[0];
  assert.ok(Math.min(...gapValues) >= -1e-9 * scale, `BᵀB ⪯ AᵀA: smallest eigenvalue of the gap ${Math.min(...gapValues)}`);
  const error = Math.max(...gapValues.map(Math.abs));
  assert.ok(error > 1e-6 * scale, 'the sketch shrank (the bound is not checked on an exact copy)');
  const spectrum = eigenvalues(exact, d);
  for (let k = 0; k < ell; k++) {
    const tail = spectrum.slice(k).reduce((s, v) => s + v, 0);
    assert.ok(error <= tail / (ell - k) * (1 + 1e-9), `k = ${k}: ‖AᵀA − BᵀB‖₂ = ${error} > ${tail / (ell - k)}`);
  }
}

describe('pca (sketched modes)', function () {
  this.timeout(60_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  describe('frequent_directions', () => {
    const d = 24;
    const input = { num_components: 3, algorithm_mode: 'frequent_directions', extra_components: 5 };  // ℓ = 8

    it('keeps ‖AᵀA − BᵀB‖₂ ≤ ‖A − A_k‖²_F / (ℓ − k) for every k < ℓ, with BᵀB ⪯ AᵀA', async () => {
      const x = decayingRows(1, 700, d, 0.8);
      const state = await fit(batchesOf(x, d, 64), d, input);
      assert.equal(state.tensors.rows.shape.join('×'), `16×${d}`, 'a 2ℓ-row buffer: memory fixed by ℓ and d');
      assertFrequentDirectionsBound(state, scatter(x, d, undefined, false, originOf(state)), d, 8);
    });

    it('treats a row weight w as the row √w·x (the bound holds with weights)', async () => {
      const x = decayingRows(2, 300, d, 0.7);
      const weights = Array.from({ length: 300 }, (_, r) => 1 + (r % 3));
      const batch: Batch = { ...denseBatch(x, d), weights: Float32Array.from(weights) };
      const state = await fit([batch], d, input);
      assert.equal((state.tensors.count.data as Float64Array)[0], weights.reduce((s, w) => s + w, 0));
      assertFrequentDirectionsBound(state, scatter(x, d, weights, false, originOf(state)), d, 8);
    });

    it('merges shards by its rule, and the merged sketch keeps the bound for all the data', async () => {
      const x = decayingRows(3, 900, d, 0.8);
      const shards = await Promise.all([0, 1, 2].map((s) => fit(batchesOf(x.slice(s * 300 * d, (s + 1) * 300 * d), d, 50), d, input)));
      const merged = pca.merge(shards);
      assert.equal((merged.tensors.count.data as Float64Array)[0], 900);
      assertFrequentDirectionsBound(merged, scatter(x, d, undefined, false, originOf(merged)), d, 8);
    });

    it('is exact (BᵀB = AᵀA to rounding) when ℓ = d, across many shrinks and a merge', async () => {
      // Subtracting λ_ℓ = λ_d at each shrink took the smallest direction's variance off every one
      // (iris, d = 4: the 3rd variance 30% low); with ℓ ≥ d a shrink re-factors B into its d rows.
      const narrow = 6;
      const x = decayingRows(5, 500, narrow, 0.6);
      const hp = { num_components: 3, algorithm_mode: 'frequent_directions', extra_components: 3 };  // ℓ = 6 = d
      const state = await fit(batchesOf(x, narrow, 16), narrow, hp);
      assert.equal((state.tensors.filled.data as Float64Array)[0] <= 12, true);
      const exact = scatter(x, narrow, undefined, false, originOf(state));
      const scale = eigenvalues(exact, narrow)[0];
      const gap = (st: PcaState, truth: Float64Array) => spectralNorm(sketchGap(st, truth, narrow), narrow);
      assert.ok(gap(state, exact) <= 1e-12 * scale, `‖AᵀA − BᵀB‖₂ = ${gap(state, exact)}, λ₁ = ${scale}`);
      const merged = pca.merge([await fit(batchesOf(x.slice(0, 250 * narrow), narrow, 16), narrow, hp), await fit(batchesOf(x.slice(250 * narrow), narrow, 16), narrow, hp)]);
      assert.ok(gap(merged, scatter(x, narrow, undefined, false, originOf(merged))) <= 1e-12 * scale);
    });

    it('finds the leading components of a well-separated spectrum', async () => {
      const x = decayingRows(4, 2000, d, 0.5);
      const regular = (await pca.finalize(await fit(batchesOf(x, d, 200), d, { num_components: 3 }), backend)).data();
      const sketched = (await pca.finalize(await fit(batchesOf(x, d, 200), d, { ...input, extra_components: 9 }), backend)).data();
      for (let m = 0; m < 2; m++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (regular.tensors.v.data as Float32Array)[j * 3 + m] * (sketched.tensors.v.data as Float32Array)[j * 3 + m];
        assert.ok(Math.abs(dot) > 0.99, `component ${m}: |cos| = ${Math.abs(dot)}`);
      }
      assert.ok(Math.abs(Number(sketched.scalars.total_variance) / Number(regular.scalars.total_variance) - 1) < 1e-9, 'the total variance is exact');
    });
  });

  describe('randomized', () => {
    const d = 30;

    it('is exact (to rounding) when the centred data have rank ≤ ℓ', async () => {
      const x = decayingRows(5, 500, d, 0.6, 4);
      const regular = (await pca.finalize(await fit(batchesOf(x, d, 100), d, { num_components: 4 }), backend)).data();
      const state = await fit(batchesOf(x, d, 100), d, { num_components: 4, algorithm_mode: 'randomized', extra_components: 2, seed: 9 });
      assert.deepEqual(state.tensors.y.shape, [d, 6]);
      const sketched = (await pca.finalize(state, backend)).data();
      const ev = (m: typeof regular) => Array.from(m.tensors.explained_variance.data as Float64Array);
      for (let m = 0; m < 4; m++) {
        assert.ok(Math.abs(ev(sketched)[m] / ev(regular)[m] - 1) < 1e-5, `variance ${m}: ${ev(sketched)[m]} vs ${ev(regular)[m]}`);
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (regular.tensors.v.data as Float32Array)[j * 4 + m] * (sketched.tensors.v.data as Float32Array)[j * 4 + m];
        assert.ok(Math.abs(dot) > 1 - 1e-5, `component ${m}: ${dot}`);
      }
    });

    it('stays within the Nyström bound ‖C − Ĉ‖_* ≤ (1 + r/(ℓ − r − 1))·‖C − C_r‖_* on noisy data', async () => {
      const x = decayingRows(6, 1500, d, 0.85);
      const ell = 12;
      const state = await fit(batchesOf(x, d, 100), d, { num_components: 4, algorithm_mode: 'randomized', extra_components: ell - 4, seed: 3 });
      const model = (await pca.finalize(state, backend, { num_components: ell })).data();
      const c = scatter(x, d, undefined, true);
      const approx = Float64Array.from(c);
      const v = model.tensors.v.data as Float32Array;
      const s = model.tensors.s.data as Float32Array;
      for (let m = 0; m < ell; m++) for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) approx[i * d + j] -= s[m] ** 2 * v[i * ell + m] * v[j * ell + m];
      const error = eigenvalues(approx, d).reduce((sum, value) => sum + Math.abs(value), 0);
      const spectrum = eigenvalues(c, d);
      for (let r = 1; r < ell - 1; r++) {
        const tail = spectrum.slice(r).reduce((sum, value) => sum + value, 0);
        assert.ok(error <= (1 + r / (ell - r - 1)) * tail, `r = ${r}: ${error} > ${(1 + r / (ell - r - 1)) * tail}`);
      }
      assert.ok(error > 0.01 * spectrum.reduce((sum, value) => sum + value, 0), 'the sketch is not exact here (the bound is really tested)');
    });

    it('merges by addition (equal to one pass) and refuses shards with another seed', async () => {
      const x = decayingRows(7, 400, d, 0.8);
      const hp = { num_components: 3, algorithm_mode: 'randomized', seed: 11 };
      const whole = await fit(batchesOf(x, d, 100), d, hp);
      const shards = [await fit(batchesOf(x.slice(0, 200 * d), d, 100), d, hp), await fit(batchesOf(x.slice(200 * d), d, 100), d, hp)];
      const merged = pca.merge(shards);
      const a = merged.tensors.y.data as Float64Array;
      const b = whole.tensors.y.data as Float64Array;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-9 * Math.max(1, Math.abs(b[i])), `y[${i}]`);
      const other = await fit(batchesOf(x.slice(0, 200 * d), d, 100), d, { ...hp, seed: 12 });
      assert.throws(() => pca.merge([shards[0], other]), /pca merge: state 1 has seed 12, state 0 has 11/);
    });

    it('counts a row of weight 2 as that row twice', async () => {
      const x = decayingRows(10, 300, d, 0.8);
      const hp = { num_components: 3, algorithm_mode: 'randomized', seed: 4 };
      const weights = Float32Array.from({ length: 300 }, (_, r) => (r % 3 === 0 ? 2 : 1));
      const weighted = await fit([{ ...denseBatch(x, d), weights }], d, hp);
      const repeated = Float32Array.from({ length: (300 + 100) * d }, () => 0);
      let at = 0;
      for (let r = 0; r < 300; r++) {
        for (let copy = 0; copy < weights[r]; copy++) repeated.set(x.subarray(r * d, (r + 1) * d), (at++) * d);
      }
      const plain = await fit([denseBatch(repeated, d)], d, hp);
      for (const name of ['count', 'sum', 'squares', 'y']) {
        const a = weighted.tensors[name].data as Float64Array;
        const b = plain.tensors[name].data as Float64Array;
        for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-9 * Math.max(1, Math.abs(b[i])), `${name}[${i}]: ${a[i]} vs ${b[i]}`);
      }
    });

    it('selects up to ℓ components and says why not more', async () => {
      const x = decayingRows(8, 200, d, 0.8);
      const state = await fit(batchesOf(x, d, 100), d, { num_components: 2, algorithm_mode: 'randomized' });  // ℓ = 2 + max(10, 2)
      assert.equal((await pca.finalize(state, backend, { num_components: 12 })).components, 12);
      await assert.rejects(async () => pca.finalize(state, backend, { num_components: 13 }), /pca select: num_components 13 must be an integer in 1\.\.12 \(the randomized sketch has ℓ = 12 directions\)/);
    });
  });

  it('says how much memory a mode needs when it cannot be allocated, and what to use instead', () => {
    assert.throws(() => pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 5 }), { featureDim: 2 ** 20, labelSize: 0 }, backend),
      /pca: the state needs 8192\.0 GiB \(regular mode keeps feature_dim² = 1048576² doubles; for wide data use algorithm_mode randomized or frequent_directions\)(, more than this machine's [0-9.]+ GiB of memory| and could not be allocated)/);
    const sketch = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 5, algorithm_mode: 'frequent_directions' }), { featureDim: 2 ** 20, labelSize: 0 }, backend);
    assert.deepEqual(sketch.tensors.rows.shape, [30, 2 ** 20], 'the sketch of the same data fits: 2ℓ × d');
  });

  it('takes sparse rows in both sketches and predicts sparse rows as dense ones', async () => {
    const d = 16;
    const x = decayingRows(9, 300, d, 0.7);
    for (let i = 0; i < x.length; i += 3) x[i] = 0;
    x.fill(0, 0, d);  // a first row of zeros: the dense state's origin is then 0, as a sparse state's
    const sparse = (values: Float32Array): Batch => {
      const rows = values.length / d;
      const indptr = new Int32Array(rows + 1);
      const indices: number[] = [];
      const nz: number[] = [];
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < d; j++) if (values[r * d + j] !== 0) { indices.push(j); nz.push(values[r * d + j]); }
        indptr[r + 1] = indices.length;
      }
      return { kind: 'sparse', rows, cols: d, indptr, indices: Uint32Array.from(indices), values: Float32Array.from(nz) };
    };
    for (const mode of ['randomized', 'frequent_directions']) {
      const hp = { num_components: 3, algorithm_mode: mode, extra_components: 3 };
      const dense = await fit(batchesOf(x, d, 100), d, hp);
      const fromSparse = await fit(batchesOf(x, d, 100).map((b) => sparse((b as { values: Float32Array }).values)), d, hp);
      for (const name of Object.keys(dense.tensors)) {
        const a = dense.tensors[name].data as Float64Array;
        const b = fromSparse.tensors[name].data as Float64Array;
        for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-9 * Math.max(1, Math.abs(a[i])), `${mode}: ${name}[${i}]`);
      }
    }
    const model = await pca.finalize(await fit(batchesOf(x, d, 100), d, { num_components: 3 }), backend);
    const rows = x.slice(0, 10 * d);
    const denseOut = (await model.predict(denseBatch(rows, d))).projection;
    const sparseOut = (await model.predict(sparse(rows))).projection;
    for (let i = 0; i < denseOut.length; i++) assert.ok(Math.abs(denseOut[i] - sparseOut[i]) < 1e-4, `projection ${i}: ${sparseOut[i]} vs ${denseOut[i]}`);
  });

  it('warns after the first pass when Frequent Directions keeps sparse rows far from 0 (ratio 9.1 at 1e6 ± 3); not near 0, not in regular mode', async () => {
    const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { trainingWarnings } = await import('../../fixtures/training-warnings.js');
    const directory = await mkdtemp(join(tmpdir(), 'boundless-pca-fd-'));
    try {
      const warningsOf = async (offset: number, mode: string) => {
        const random = Random.fromSeed(9);
        const lines = Array.from({ length: 3000 }, () => `0 ${[3, 2, 1].map((sd, j) => `${j + 1}:${(offset + sd * random.nextGaussian()).toFixed(4)}`).join(' ')}`);
        const path = join(directory, `rows-${offset}.svm`);
        await writeFile(path, lines.join('\n') + '\n');
        return trainingWarnings(pca, { num_components: 2, algorithm_mode: mode }, { train: path, epochs: 1, backend: 'cpu', data: { format: 'libsvm', featureDim: 3 } });
      };
      const far = await warningsOf(1e6, 'frequent_directions');
      assert.equal(far.length, 1, far.join('\n'));
      assert.match(far[0], /^pca: frequent_directions on sparse rows far from 0: the sketch keeps the rows about 0, and its error \(up to Σ‖x‖²\/ℓ = [0-9.e+]+\) exceeds the data's whole variance about its mean \([0-9.e+]+\): its components and explained variances are not the data's\. Use algorithm_mode=regular/);
      assert.deepEqual(await warningsOf(0, 'frequent_directions'), []);
      assert.deepEqual(await warningsOf(1e6, 'regular'), []);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
