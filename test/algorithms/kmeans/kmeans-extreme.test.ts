// K-means on valid float32 data of extreme magnitude (coordinates near 1e30, whose squares,
// 1e60, overflow float32 though not float64). Squared distances once came back in float32:
// every cost was infinite, no reduction trial won, the empty candidate crashed Assign
// (SIGSEGV) during training, and finalize wrote an empty model. Now distances stay float64
// and the clusters are found.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Random, createBackend, denseBatch, kmeans, loadCoreAddon, loadModel, parseHyperparameters, train, type Backend,
} from '../../../lib/index.js';
import { packageRoot } from '../../../lib/package-root.js';

const cli = join(packageRoot, 'dist', 'cli', 'main.js');
const scale = 1e30;
// Three clusters 1e30 apart, each with a standard deviation of 1e28 per coordinate.
const truth = [[0, 0], [scale, 0], [0, scale]];
const spread = 1e28;

function extremeCsv(rows: number, seed: number): string {
  const random = Random.fromSeed(seed);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const c = truth[r % truth.length];
    lines.push(['0', ...c.map((v) => String(v + spread * random.nextGaussian()))].join(','));
  }
  return lines.join('\n') + '\n';
}

/** Each true centre has a model centre within `tolerance` (and the model has no other). */
function assertNearTruth(centers: Float32Array, tolerance: number): void {
  assert.equal(centers.length, truth.length * 2);
  const found = new Set<number>();
  for (const t of truth) {
    let best = -1;
    let bestDistance = Infinity;
    for (let c = 0; c < truth.length; c++) {
      const d = Math.hypot(centers[2 * c] - t[0], centers[2 * c + 1] - t[1]);
      if (d < bestDistance) { bestDistance = d; best = c; }
    }
    assert.ok(bestDistance < tolerance, `true centre ${t}: nearest model centre ${centers[2 * best]},${centers[2 * best + 1]} is ${bestDistance} away`);
    found.add(best);
  }
  assert.equal(found.size, truth.length, `centres ${Array.from(centers)} do not cover the three clusters`);
}

describe('k-means on extreme-valued data (1e30)', function () {
  this.timeout(120_000);
  let directory: string;
  let backend: Backend;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'boundless-kmeans-extreme-'));
    backend = await createBackend('cpu');
  });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('trains through the refined model without crashing (in a child process) and finds the clusters', async () => {
    // 3000 rows in batches of 500: the refined model starts (its first reduction) at a batch
    // after 1500 rows (50 × 30 streaming centres for k = 3), where the empty reduction crashed.
    const data = join(directory, 'extreme.csv');
    await writeFile(data, extremeCsv(3000, 5));
    const modelDir = join(directory, 'model');
    const result = spawnSync(process.execPath, [cli, 'train', 'kmeans', '--train', data, '--label-size', '1', '--hp', 'k=3', '--hp', 'seed=5', '--hp', 'mini_batch_size=500',
      '--epochs', '1', '--model-dir', modelDir], { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, BOUNDLESS_NUM_THREADS: '1' } });
    assert.equal(result.signal, null, `the CLI was killed by ${result.signal}: ${result.stderr}`);
    assert.equal(result.status, 0, result.stderr);
    const model = await loadModel(join(modelDir, 'model.safetensors'), kmeans, backend);
    assertNearTruth(model.data().tensors.centers.data as Float32Array, 10 * spread);
  });

  it('reduces a handful of huge points to the right centres (not an empty model)', async () => {
    // The 5 rows of the lead's case: the optimum for k = 2 puts the two rows at x = 1e30 together.
    const path = join(directory, 'five.csv');
    await writeFile(path, '0,1,2\n1,1e30,3\n0,2,1\n1,5,5\n0,1e30,1e30\n');
    const { model } = await train(kmeans, { k: 2 }, { train: path, data: { labelSize: 1 } });
    const centers = Array.from(model.data().tensors.centers.data as Float32Array);
    const sorted = [centers.slice(0, 2), centers.slice(2, 4)].sort((a, b) => a[0] - b[0]);
    assert.deepEqual(sorted.map((c) => c.map((v) => Number(v.toPrecision(4)))), [[2.667, 2.667], [1e30, 5e29]]);
    const cost = Number(model.data().scalars.reduction_cost);
    // (5e29)² twice, plus the small cluster's 2·(5/3)² + (14/3)²/… ≈ 20: 5e59 to float64 precision.
    assert.ok(Math.abs(cost / 5e59 - 1) < 1e-6, `reduction cost ${cost}`);
  });

  it('reports distances of 1e30 (not Infinity) from predict and evaluation', async () => {
    const centers = Float32Array.of(0, 0, scale, 0);
    const x = Float32Array.of(0, scale, scale, scale, 1, 2);
    const nearest = new Int32Array(3);
    const distance2 = new Float64Array(3);
    await loadCoreAddon().kmeansAssign(centers, 2, 2, denseBatch(x, 2), nearest, distance2, null);
    assert.deepEqual(Array.from(nearest), [0, 1, 0]);
    const f = (v: number) => Math.fround(v);
    assert.deepEqual(Array.from(distance2), [f(scale) ** 2, f(scale) ** 2, 5]);
    const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 2 }), { featureDim: 2, labelSize: 0 }, backend);
    await kmeans.update(state, denseBatch(Float32Array.of(0, 0, scale, 0, 0, 0, scale, 0), 2), backend);
    const model = await kmeans.finalize(state, backend);
    const predicted = await model.predict(denseBatch(x, 2));
    assert.ok(Math.abs(predicted.distance_to_cluster[0] / scale - 1) < 1e-6, `distance_to_cluster ${predicted.distance_to_cluster[0]}`);
  });

  it('refuses a distance past float32 (rows near 3e38) naming the row and the cluster, not a null distance', async () => {
    const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 2 }), { featureDim: 2, labelSize: 0 }, backend);
    await kmeans.update(state, denseBatch(Float32Array.of(0, 0, 1, 1, 0, 0, 1, 1), 2), backend);
    const model = await kmeans.finalize(state, backend);
    const near = Float32Array.of(0, 0, 3e38, 3e38);  // √2·3e38 from every centre
    await assert.rejects(model.predict(denseBatch(near, 2)),
      /^RangeError: kmeans predict: row 1: its distance to cluster [01], 4\.24e\+38, is past float32's range \(features too large for a float32 distance\)$/);
    await assert.rejects(model.predict(denseBatch(near, 2), { distances: true }), /row 1: its distance to cluster/);
    const csv = join(directory, 'huge.csv');
    await writeFile(csv, '0,0\n3e38,3e38\n');
    const modelPath = join(directory, 'huge-model.safetensors');
    await model.save(modelPath);
    const run = spawnSync(process.execPath, [cli, 'predict', '--model', modelPath, '--input', csv], { encoding: 'utf8' });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /kmeans predict: .*huge\.csv, record 2: its distance to cluster [01], 4\.24e\+38, is past float32's range/);
  });
});
