// What streaming k-means learns and what its rich state gives: known
// centres, any k from the state (checked against the reduction run
// directly), the elbow, sparse = dense, forgetting, reseeding, the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, denseBatch, kmeans, loadCoreAddon, parseHyperparameters, type Backend, type Batch, type KmeansState } from '../../../lib/index.js';
import { packageRoot } from '../../../lib/package-root.js';
import { reductionTrials } from '../../../lib/algorithms/kmeans/settings.js';
import { clusterBatches, clusterCount, clusterDim, clusterNoise, trueCenters } from '../../fixtures/cluster-data.js';
import { toSparse } from '../../fixtures/linear-data.js';

let backend: Backend;

function stateFor(input: Record<string, unknown>, dim = clusterDim): KmeansState {
  return kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, input), { featureDim: dim, labelSize: 0 }, backend);
}

async function fit(state: KmeansState, batches: Batch[]): Promise<KmeansState> {
  for (const batch of batches) await kmeans.update(state, batch, backend);
  return state;
}

describe('kmeans', function () {
  this.timeout(60_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  it('a state too large to allocate says its size and what decides it (it was "Invalid typed array length: 20000000000")', () => {
    const hp = parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 2 });
    assert.throws(() => kmeans.createState(hp, { featureDim: 1e9, labelSize: 0, sparse: true }, backend),
      /^RangeError: kmeans: the state needs 10\d\.\d GiB \(k 2 × extra_center_factor 10 streaming centres and k model centres × feature_dim 1000000000 floats; lower feature_dim or extra_center_factor\)(, more than this machine's [0-9.]+ GiB of memory| and could not be allocated)/);
  });

  it('finds the generating centres in one pass', async () => {
    const state = await fit(stateFor({ k: clusterCount, seed: 1 }), clusterBatches(1, 50));
    const model = await kmeans.finalize(state, backend);
    for (const center of trueCenters) {
      let nearest = Infinity;
      for (let c = 0; c < model.k; c++) {
        let d = 0;
        for (let j = 0; j < clusterDim; j++) d += (model.centers[c * clusterDim + j] - center[j]) ** 2;
        nearest = Math.min(nearest, d);
      }
      assert.ok(nearest < 0.01, `a true centre is ${Math.sqrt(nearest)} from the nearest model centre`);
    }
    const evaluator = kmeans.createEvaluator!(model);
    for (const batch of clusterBatches(2, 10)) await evaluator.add(batch);
    const noise = clusterDim * clusterNoise ** 2;
    assert.ok(Math.abs(evaluator.result().msd - noise) < 0.05 * noise, `msd ${evaluator.result().msd} vs noise ${noise}`);
  });

  it('gives a model for any k from the state, equal to running the reduction on its weighted centres directly', async () => {
    const state = await fit(stateFor({ k: clusterCount, seed: 2 }), clusterBatches(3, 20));
    const dim = clusterDim;
    const held = (state.tensors.counters.data as Float64Array)[1];
    for (const k of [2, 3, 8]) {
      const model = await kmeans.finalize(state, backend, { k });
      const direct = loadCoreAddon().kmeansReduce(
        (state.tensors.centers.data as Float32Array).subarray(0, held * dim), (state.tensors.center_weights.data as Float64Array).subarray(0, held),
        held, dim, k, true, 300, 0.0001, reductionTrials(state.hyperparameters, held, k, dim), 2);
      assert.equal(model.k, k);
      assert.deepEqual(Array.from(model.centers), Array.from(direct.centers), `k=${k}`);
      assert.equal(model.data().scalars.reduction_cost, direct.cost);
    }
    await assert.rejects(async () => kmeans.finalize(state, backend, { k: held + 1 }), new RegExp(`kmeans: k=${held + 1} but the state holds ${held} weighted centres \\(k × extra_center_factor\\); k must be at most ${held}$`));
    await assert.rejects(async () => kmeans.finalize(state, backend, { criterion: 'x' }), /unknown selection 'criterion'; expected k/);
  });

  it('shows the elbow at the true number of clusters', async () => {
    const state = await fit(stateFor({ k: clusterCount, seed: 3 }), clusterBatches(4, 20));
    const curve = await kmeans.costCurve(state, [1, 2, 3, 4, 5, 6, 7]);
    for (let i = 1; i < curve.length; i++) assert.ok(curve[i].cost <= curve[i - 1].cost * 1.0001, JSON.stringify(curve));
    const drop = (k: number) => curve[k - 2].cost / curve[k - 1].cost;   // cost(k−1) / cost(k)
    assert.ok(drop(5) > 10, `cost falls ${drop(5)}× from k=4 to 5`);
    assert.ok(drop(6) < 1.5, `cost falls only ${drop(6)}× from k=5 to 6`);
  });

  it('takes sparse rows without densifying them, with the same result as dense', async () => {
    const batches = clusterBatches(5, 10);
    const dense = await fit(stateFor({ k: 3, seed: 4, extra_center_factor: 3 }), batches);
    const sparse = await fit(stateFor({ k: 3, seed: 4, extra_center_factor: 3 }), batches.map(toSparse));
    const a = dense.tensors.centers.data as Float32Array;
    const b = sparse.tensors.centers.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    assert.ok(worst < 1e-4, `centres differ by ${worst}`);
    assert.deepEqual(Array.from(dense.tensors.center_weights.data as Float64Array), Array.from(sparse.tensors.center_weights.data as Float64Array));
  });

  it('forgets old data with half_life_time_size, and not without', async () => {
    const before = clusterBatches(6, 30);
    const after = clusterBatches(7, 30, 100, 3); // the same clusters moved by +3 in every coordinate
    const shiftOf = async (halfLife: number) => {
      const state = await fit(stateFor({ k: clusterCount, seed: 5, half_life_time_size: halfLife }), [...before, ...after]);
      const model = await kmeans.finalize(state, backend);
      const evaluator = kmeans.createEvaluator!(model);
      for (const batch of clusterBatches(8, 5, 100, 3)) await evaluator.add(batch);
      return evaluator.result().msd;
    };
    const [remembering, forgetting] = [await shiftOf(0), await shiftOf(500)];
    assert.ok(forgetting < 0.5, `with forgetting, msd on the new data is ${forgetting}`);
    assert.ok(remembering > 2 * forgetting, `without forgetting ${remembering}, with ${forgetting}`);
  });

  it('reseeds a starving centre onto a point far from its centre, and counts it', async () => {
    // One outlier seeds a centre that no later point comes near; once it holds under 1% of its
    // fair share of the weight it is moved onto the batch point farthest from its own centre.
    const first = new Float32Array(clusterDim * 6);
    first.fill(40, 0, clusterDim);
    for (let c = 0; c < 5; c++) first.set(trueCenters[c], (c + 1) * clusterDim);
    const state = await fit(stateFor({ k: 6, extra_center_factor: 1, seed: 6 }), [denseBatch(first, clusterDim), ...clusterBatches(9, 20)]);
    const reseeds = (state.tensors.counters.data as Float64Array)[2];
    assert.ok(reseeds >= 1, `reseeds ${reseeds}`);
    const centers = state.tensors.centers.data as Float32Array;
    for (let c = 0; c < 6; c++) {
      const distance = Math.hypot(...Array.from(centers.subarray(c * clusterDim, (c + 1) * clusterDim), (v) => v - 40));
      assert.ok(distance > 30, `centre ${c} is still at the outlier`);
    }
    assert.equal(kmeans.progressiveMetrics!(state).reseeds, reseeds);
  });

  it('predicts SageMaker outputs, optionally every distance', async () => {
    const state = await fit(stateFor({ k: 3, seed: 7 }), clusterBatches(11, 5));
    const model = await kmeans.finalize(state, backend);
    const [batch] = clusterBatches(12, 1, 4);
    const out = await model.predict(batch, { distances: true });
    assert.deepEqual(Object.keys(out).sort(), ['closest_cluster', 'distance_to_cluster', 'distances']);
    for (let r = 0; r < 4; r++) {
      const row = out.distances.subarray(r * 3, r * 3 + 3);
      assert.equal(out.closest_cluster[r], row.indexOf(Math.min(...row)));
      assert.ok(Math.abs(out.distance_to_cluster[r] - Math.min(...row)) < 1e-4);
      const one = model.predictOne((batch as { values: Float32Array }).values.subarray(r * clusterDim, (r + 1) * clusterDim));
      assert.equal(one.closest_cluster, out.closest_cluster[r]);
    }
    await assert.rejects(model.predict(denseBatch(new Float32Array(4), 2)), /kmeans predict: has 2 features per row, expected 6/);
  });

  it('trains, selects another k and predicts from the command line', async () => {
    const root = await mkdtemp(join(tmpdir(), 'boundless-kmeans-cli-'));
    try {
      const lines = clusterBatches(13, 20).flatMap((b) => {
        const v = (b as { values: Float32Array }).values;
        return Array.from({ length: b.rows }, (_, r) => Array.from(v.subarray(r * clusterDim, (r + 1) * clusterDim)).join(','));
      });
      await writeFile(join(root, 'points.csv'), lines.join('\n') + '\n');
      let stderr = '';
      const cli = (...args: string[]) => {
        const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { cwd: root, encoding: 'utf8' });
        assert.equal(result.status, 0, result.stderr);
        stderr = result.stderr;
        return result.stdout;
      };
      const trained = JSON.parse(cli('train', 'kmeans', '--train', 'points.csv', '--hp', 'k=5', '--hp', 'mini_batch_size=500', '--model-dir', 'model'));
      assert.ok(trained.metrics.train.progressive_msd > 0);
      cli('select', '--state', 'model/state.safetensors', '--k', '3', '--model-dir', 'three');
      assert.equal(stderr, '');
      // A k above the state's own comes from fewer centres a cluster than training at it keeps: said.
      cli('select', '--state', 'model/state.safetensors', '--k', '8', '--model-dir', 'eight');
      assert.match(stderr, /^boundless: select: warning: kmeans: the model for k=8 is reduced from the state's 50 weighted centres \(it was trained with k=5\), where training with k=8 keeps 80: .* train with k=8, or with a larger extra_center_factor\n$/);
      assert.doesNotMatch(stderr, /The state saw/);
      // A state of one batch (the 2,000 rows in the default 5,000): its centres barely moved, and it says so.
      cli('train', 'kmeans', '--train', 'points.csv', '--hp', 'k=5', '--model-dir', 'one-batch');
      // Training itself says the pass was one batch (its centres moved once), and the batch size that makes ten.
      assert.match(stderr, /kmeans: the first pass read its 2,000 rows in one batch \(mini_batch_size 5000\): streaming k-means moves each centre once a batch, .* Lower mini_batch_size \(to about 200: ten batches a pass\)/);
      cli('select', '--state', 'one-batch/state.safetensors', '--k', '8', '--model-dir', 'eight-of-one');
      assert.match(stderr, /The state saw one batch of rows, so each centre was moved once, and the model can cost several times more: a smaller mini_batch_size makes more batches of the same rows\. For the best model at k=8/);
      const inspected = JSON.parse(cli('inspect', 'three/model.safetensors'));
      assert.equal(inspected.scalars.k, 3);
      const predicted = cli('predict', '--model', 'model/model.safetensors', '--input', 'points.csv').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(predicted.length, 2000);
      assert.deepEqual(Object.keys(predicted[0]).sort(), ['closest_cluster', 'distance_to_cluster']);
      const evaluated = JSON.parse(cli('evaluate', '--model', 'model/model.safetensors', '--test', 'points.csv'));
      assert.ok(evaluated.msd < 1.1 * clusterDim * clusterNoise ** 2, JSON.stringify(evaluated));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
