// K-means on data far from the origin: every distance (assignment, prediction, all distances,
// evaluation, the reduction's cost) against a float64 reference computed here, for offsets of
// 0, 10^3 and 10^5 times the clusters' spread, dense and sparse rows, 2 and 8 dimensions; every
// true cluster recovered with default settings; the GPS case; the same bytes on any thread count
// and either kernel ISA (the screening pass differs between them, the float64 distances do not).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, createBackend, denseBatch, kmeans, parseHyperparameters, type Backend, type RowBatch, type KmeansModel, type KmeansState } from '../../../lib/index.js';
import { packageRoot } from '../../../lib/package-root.js';
import { toSparse } from '../../fixtures/linear-data.js';

const spread = 1e-3;   // the clusters' standard deviation per coordinate (GPS degrees: ~100 m)
const clusters = 4;
const rowsPerBatch = 1000;

/** Rows around `clusters` centres 20 spreads apart, all shifted by offset × spread (alternating sign per coordinate). */
function offsetData(dim: number, offset: number, seed: number, batches = 6): { batches: RowBatch[]; labels: number[] } {
  const random = Random.fromSeed(seed);
  const centres = Array.from({ length: clusters }, (_, c) =>
    Array.from({ length: dim }, (_, j) => (j % 2 ? -1 : 1) * offset * spread + 20 * spread * (j === c % dim ? 1 : 0) * (c < dim ? 1 : -1)));
  const labels: number[] = [];
  const out = Array.from({ length: batches }, () => {
    const x = new Float32Array(rowsPerBatch * dim);
    for (let r = 0; r < rowsPerBatch; r++) {
      const c = Math.floor(random.nextFloat() * clusters);
      labels.push(c);
      for (let j = 0; j < dim; j++) x[r * dim + j] = centres[c][j] + spread * random.nextGaussian();
    }
    return denseBatch(x, dim);
  });
  return { batches: out, labels };
}

function rowOf(batch: RowBatch, r: number): Float64Array {
  const row = new Float64Array(batch.cols);
  if (batch.kind === 'dense') {
    for (let j = 0; j < batch.cols; j++) row[j] = batch.values[r * batch.cols + j];
  } else {
    for (let e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) row[batch.indices[e]] += batch.values[e];
  }
  return row;
}

/** Squared distances from a row to every centre, in float64. */
function distances64(row: Float64Array, centers: Float32Array, k: number): number[] {
  const dim = row.length;
  return Array.from({ length: k }, (_, c) => {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += (row[j] - centers[c * dim + j]) ** 2;
    return sum;
  });
}

function argmin(values: number[]): number {
  return values.reduce((best, v, i) => (v < values[best] ? i : best), 0);
}

/** Purity (rows in their true cluster's majority prediction) and whether the majorities are all different. */
function purity(labels: number[], predicted: number[]): { purity: number; recovered: boolean } {
  let agree = 0;
  const majorities = new Set<number>();
  for (let t = 0; t < clusters; t++) {
    const counts = new Map<number, number>();
    labels.forEach((l, i) => { if (l === t) counts.set(predicted[i], (counts.get(predicted[i]) ?? 0) + 1); });
    const [majority, count] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a));
    agree += count;
    majorities.add(majority);
  }
  return { purity: agree / labels.length, recovered: majorities.size === clusters };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

let backend: Backend;

function stateFor(hp: Record<string, unknown>, dim: number): KmeansState {
  return kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, hp), { featureDim: dim, labelSize: 0 }, backend);
}

async function trained(batches: RowBatch[], dim: number, hp: Record<string, unknown> = {}): Promise<KmeansState> {
  const state = stateFor({ k: clusters, ...hp }, dim);
  for (const batch of batches) await kmeans.update(state, batch, backend);
  return state;
}

/** Checks every prediction against float64 and returns the predicted clusters and the reference msd. */
async function checkPredictions(model: KmeansModel, batches: RowBatch[]): Promise<{ predicted: number[]; msd: number }> {
  const predicted: number[] = [];
  let sum = 0;
  for (const batch of batches) {
    const out = await model.predict(batch, { distances: true });
    for (let r = 0; r < batch.rows; r++) {
      const reference = distances64(rowOf(batch, r), model.centers, model.k);
      const nearest = argmin(reference);
      assert.equal(out.closest_cluster[r], nearest, `row ${r}: cluster ${out.closest_cluster[r]}, float64 nearest ${nearest} (${reference})`);
      assert.ok(relative(out.distance_to_cluster[r], Math.sqrt(reference[nearest])) < 1e-6,
        `row ${r}: distance ${out.distance_to_cluster[r]}, float64 ${Math.sqrt(reference[nearest])}`);
      for (let c = 0; c < model.k; c++) {
        assert.ok(relative(out.distances[r * model.k + c], Math.sqrt(reference[c])) < 1e-6,
          `row ${r}, centre ${c}: distance ${out.distances[r * model.k + c]}, float64 ${Math.sqrt(reference[c])}`);
      }
      predicted.push(nearest);
      sum += reference[nearest];
    }
  }
  return { predicted, msd: sum / predicted.length };
}

async function evaluatorMsd(model: KmeansModel, batches: RowBatch[]): Promise<number> {
  const evaluator = kmeans.createEvaluator!(model);
  for (const batch of batches) await evaluator.add(batch);
  return evaluator.result().msd;
}

describe('kmeans far from the origin', function () {
  this.timeout(120_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  for (const dim of [2, 8]) {
    for (const offset of [0, 1e3, 1e5]) {
      for (const kind of ['dense', 'sparse'] as const) {
        it(`recovers every cluster and matches float64 distances: ${dim}-d, offset ${offset}× the spread, ${kind} rows`, async () => {
          const { batches: dense, labels } = offsetData(dim, offset, 100 * dim + [0, 1e3, 1e5].indexOf(offset));
          const batches = kind === 'dense' ? dense : dense.map(toSparse);
          const model = await kmeans.finalize(await trained(batches, dim), backend);
          const { predicted, msd } = await checkPredictions(model, batches);
          const result = purity(labels, predicted);
          assert.ok(result.recovered && result.purity >= 0.99, `purity ${result.purity}, every cluster recovered: ${result.recovered}`);
          const evaluated = await evaluatorMsd(model, batches);
          assert.ok(relative(evaluated, msd) < 1e-4, `evaluator msd ${evaluated}, float64 ${msd}`);
          // The clusters are well separated: the msd is the noise, dim · spread².
          assert.ok(relative(msd, dim * spread ** 2) < 0.1, `msd ${msd}, noise ${dim * spread ** 2}`);
        });
      }
    }
  }

  it('learns the same centres, progressive cost and reduction cost at offset 10^5 as at 0 (translated), the cost equal to float64', async () => {
    const dim = 8;
    const near = await trained(offsetData(dim, 0, 7).batches, dim, { init_method: 'kmeans++' });
    const far = await trained(offsetData(dim, 1e5, 7).batches, dim, { init_method: 'kmeans++' });
    const progressive = (s: KmeansState) => kmeans.progressiveMetrics!(s).progressive_msd;
    assert.ok(relative(progressive(far), progressive(near)) < 1e-2, `progressive msd ${progressive(far)} at 10^5, ${progressive(near)} at 0`);
    for (const state of [near, far]) {
      const model = await kmeans.finalize(state, backend);
      // The reduction's cost: the held centres' weighted squared distances to the model's, in float64.
      const held = (state.tensors.counters.data as Float64Array)[1];
      const points = state.tensors.centers.data as Float32Array;
      const weights = state.tensors.center_weights.data as Float64Array;
      let cost = 0;
      for (let i = 0; i < held; i++) {
        cost += weights[i] * Math.min(...distances64(Float64Array.from(points.subarray(i * dim, (i + 1) * dim)), model.centers, model.k));
      }
      assert.ok(relative(Number(model.data().scalars.reduction_cost), cost) < 1e-6, `reduction cost ${model.data().scalars.reduction_cost}, float64 ${cost}`);
      // The cost curve is the reductions' cost: finalize's for any k but the trained one, which
      // comes from the refined model (its reduction_cost is the held centres' cost at its centres).
      const fewer = await kmeans.finalize(state, backend, { k: clusters - 1 });
      assert.equal((await kmeans.costCurve(state, [clusters - 1]))[0].cost, fewer.data().scalars.reduction_cost);
    }
    // Centres translated back agree to a few float32 ulps of the offset (10^5 × 10^-3 = 100: ulp 7.6e-6).
    const [a, b] = [await kmeans.finalize(near, backend), await kmeans.finalize(far, backend)];
    const shift = (j: number) => (j % 2 ? -1 : 1) * 1e5 * spread;
    for (let c = 0; c < clusters; c++) {
      const match = Array.from({ length: clusters }, (_, m) => Math.max(...Array.from({ length: dim }, (_, j) =>
        Math.abs(b.centers[m * dim + j] - shift(j) - a.centers[c * dim + j]))));
      assert.ok(Math.min(...match) < 1e-2 * spread, `centre ${c}: nearest translated centre ${Math.min(...match) / spread} spreads away`);
    }
  });

  it('clusters the GPS case by neighbourhood with scikit-learn\'s msd (command line)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'boundless-kmeans-geo-'));
    try {
      const data = join(packageRoot, 'test', 'fixtures', 'kmeans-geo', 'geo.csv');
      const labels = (await readFile(join(packageRoot, 'test', 'fixtures', 'kmeans-geo', 'true-labels.txt'), 'utf8')).trim().split('\n').map(Number);
      // The reference: the float64 msd of the (float32) points to their neighbourhood's mean, the
      // optimum for clusters this well separated (scikit-learn's KMeans: 1.95e-6).
      const points = (await readFile(data, 'utf8')).trim().split('\n').map((l) => l.split(',').map((v) => Math.fround(Number(v))));
      const means = [0, 1, 2].map((t) => {
        const members = points.filter((_, i) => labels[i] === t);
        return [0, 1].map((j) => members.reduce((sum, p) => sum + p[j], 0) / members.length);
      });
      const referenceMsd = points.reduce((sum, p, i) => sum + (p[0] - means[labels[i]][0]) ** 2 + (p[1] - means[labels[i]][1]) ** 2, 0) / points.length;
      const cli = (...args: string[]) => {
        const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { cwd: root, encoding: 'utf8' });
        assert.equal(result.status, 0, result.stderr);
        return result.stdout;
      };
      cli('train', 'kmeans', '--train', data, '--hp', 'k=3', '--model-dir', 'model');
      const { msd } = JSON.parse(cli('evaluate', '--model', 'model/model.safetensors', '--test', data));
      assert.ok(relative(msd, referenceMsd) < 1e-3, `msd ${msd}, float64 optimum ${referenceMsd}`);
      const predicted = cli('predict', '--model', 'model/model.safetensors', '--input', data).trim().split('\n').map((l) => JSON.parse(l).closest_cluster);
      const byLabel = new Map<number, Set<number>>();
      labels.forEach((l, i) => byLabel.set(l, (byLabel.get(l) ?? new Set()).add(predicted[i])));
      assert.deepEqual([...byLabel.values()].map((s) => s.size), [1, 1, 1], 'each neighbourhood is one cluster');
      assert.equal(new Set([...byLabel.values()].map((s) => [...s][0])).size, 3, 'three different clusters');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('gives the same bytes on 1 and 3 threads and on the baseline and AVX2 kernels', function () {
    const code = `
      import { createBackend, denseBatch, kmeans, parseHyperparameters } from './lib/index.js';
      const backend = await createBackend('cpu');
      const bytes = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).reduce((h, x) => (Math.imul(h, 31) + x) >>> 0, 7);
      const d = 8, rows = 3000;
      const x = Float32Array.from({ length: rows * d }, (_, i) => 1e4 * (i % 2 ? -1 : 1) + ((i * 7919) % 1000) / 1000 + (Math.floor(i / d) % 5) * 0.3);
      const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 5 }), { featureDim: d, labelSize: 0 }, backend);
      await kmeans.update(state, denseBatch(x, d), backend);
      const model = await kmeans.finalize(state, backend);
      const out = await model.predict(denseBatch(x, d), { distances: true });
      const nearest = await model.predict(denseBatch(x, d));
      console.log(JSON.stringify([...Object.values(state.tensors).map((t) => bytes(t.data)), bytes(model.centers), ...Object.values(out).map(bytes), ...Object.values(nearest).map(bytes)]));`;
    const run = (env: Record<string, string>) => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: packageRoot, env: { ...process.env, ...env }, encoding: 'utf8',
    });
    const reference = run({ BOUNDLESS_NUM_THREADS: '1', BOUNDLESS_CPU_ISA: 'baseline' });
    assert.equal(run({ BOUNDLESS_NUM_THREADS: '3', BOUNDLESS_CPU_ISA: 'baseline' }), reference);
    assert.equal(run({ BOUNDLESS_NUM_THREADS: '3', BOUNDLESS_CPU_ISA: 'avx2' }), reference);
  });

  it('gives the same bytes for sparse rows far from the origin on every ISA variant of the centres\' norms', function () {
    // 203 features: the norms' 16-lane blocks and their tail, at an offset of 1e4 (‖c‖² about 10^10
    // times the distances). That the norms keep their compensation is checked to the byte by
    // kmeans-sparse-update.test.ts (the previous implementation's states).
    const code = `
      import { createBackend, kmeans, parseHyperparameters, loadCoreAddon } from './lib/index.js';
      const backend = await createBackend('cpu');
      const bytes = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).reduce((h, x) => (Math.imul(h, 31) + x) >>> 0, 7);
      const d = 203, rows = 2000, perRow = 12;
      const indptr = new Int32Array(rows + 1), indices = new Uint32Array(rows * perRow), values = new Float32Array(rows * perRow);
      for (let r = 0; r < rows; r++) {
        indptr[r + 1] = (r + 1) * perRow;
        for (let e = 0; e < perRow; e++) {
          indices[r * perRow + e] = (e * 17 + (r % 4)) % d;
          values[r * perRow + e] = 1e4 + (r % 4) * 0.5 + ((r * 7919 + e) % 100) / 1000;
        }
      }
      const batch = { kind: 'sparse', rows, cols: d, indptr, indices, values };
      const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 4 }), { featureDim: d, labelSize: 0 }, backend);
      await kmeans.update(state, batch, backend);
      const model = await kmeans.finalize(state, backend);
      const nearest = await model.predict(batch);
      console.log(JSON.stringify({ isa: loadCoreAddon().runtimeInfo().isa, warnings: loadCoreAddon().runtimeInfo().warnings,
        msd: state.tensors.counters.data[4] / state.tensors.counters.data[5],
        bytes: [...Object.values(state.tensors).map((t) => bytes(t.data)), bytes(model.centers), ...Object.values(nearest).map(bytes)] }));`;
    const run = (isa: string) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: packageRoot, env: { ...process.env, BOUNDLESS_NUM_THREADS: '2', BOUNDLESS_CPU_ISA: isa }, encoding: 'utf8',
    })) as { isa: string; warnings: string[]; msd: number; bytes: number[] };
    const runs = ['baseline', 'avx2', 'avx512'].map((isa) => ({ requested: isa, ...run(isa) })).filter((r) => r.warnings.length === 0);
    assert.ok(runs.length >= 2 || process.arch !== 'x64', `ISAs this machine ran: ${runs.map((r) => r.requested).join(', ')}`);
    for (const r of runs) {
      assert.equal(r.isa, r.requested);
      assert.deepEqual(r.bytes, runs[0].bytes, `${r.isa} against ${runs[0].isa}`);
    }
    // Rows differ from their neighbourhood's mean by at most 12 · 0.1² in squared distance.
    assert.ok(runs[0].msd >= 0 && runs[0].msd < 12 * 0.01, `progressive msd ${runs[0].msd}`);
  });
});
