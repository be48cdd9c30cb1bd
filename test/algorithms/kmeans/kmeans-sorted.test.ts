// Rows sorted by cluster: streaming k-means placed its centres on the first batches and left
// clusters that came later without one (eight clusters, 20,000 rows in cluster order: msd 541, about
// 100× the shuffled run's). Batches far from the rows before them now give their farthest rows
// centres of their own (native kmeans_novelty.h): the sorted run ends at the shuffled run's cost,
// and rows in random order train to the same bytes as before. The order is said after the first
// pass, from the share of the rows' variance between batches; rows in random order, forgetting
// (drift expected), and states written before the moments were kept say nothing; `train
// --shuffle-buffer` covering the data undoes the order.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackend, denseBatch, kmeans, parseHyperparameters, Random, stateFromBytes, stateToBytes, type Backend, type Batch, type KmeansState } from '../../../lib/index.js';
import { packageRoot } from '../../../lib/package-root.js';

const dim = 5;
const rows = 20_000;
const clusters = 8;

/** Unit-spread clusters with centres uniform in [−50, 50]^d; rows in cluster order or shuffled. */
function blobs(sorted: boolean, count = clusters, rows = 20_000, dim = 5): Float32Array {
  const random = Random.fromSeed(21);
  const centres = Array.from({ length: count }, () => Array.from({ length: dim }, () => 100 * random.nextFloat() - 50));
  const label = Array.from({ length: rows }, (_, r) => Math.floor((r * count) / rows));
  if (!sorted) for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    [label[i], label[j]] = [label[j], label[i]];
  }
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) x[r * dim + j] = centres[label[r]][j] + random.nextGaussian();
  return x;
}

const batchesOf = (x: Float32Array, size = 5000, dim = 5): Batch[] =>
  Array.from({ length: Math.ceil(x.length / dim / size) }, (_, b) => denseBatch(x.subarray(b * size * dim, (b + 1) * size * dim), dim));

let backend: Backend;

async function trained(batches: Batch[], hp: Record<string, unknown> = {}): Promise<KmeansState> {
  const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: clusters, ...hp }), { featureDim: batches[0].cols, labelSize: 0 }, backend);
  for (const batch of batches) await kmeans.update(state, batch, backend);
  return state;
}

async function msd(state: KmeansState, x: Float32Array): Promise<number> {
  const model = await kmeans.finalize(state, backend);
  const evaluator = kmeans.createEvaluator!(model);
  await evaluator.add(denseBatch(x, state.schema.featureDim));
  return evaluator.result().msd;
}

describe('kmeans on rows sorted by cluster', function () {
  this.timeout(120_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  it('trains rows sorted by cluster to the shuffled rows\' cost, and says the order was not random', async () => {
    const x = blobs(true);
    const state = await trained(batchesOf(x));
    const shuffled = blobs(false);
    const shuffledState = await trained(batchesOf(shuffled));
    const good = await msd(shuffledState, shuffled);
    assert.ok(good < 1.1 * dim, `shuffled msd ${good}`);
    const sorted = await msd(state, x);
    assert.ok(sorted < 1.02 * good, `sorted msd ${sorted} against ${good} shuffled (541 before sorted batches got centres)`);
    const reseeds = (state.tensors.counters.data as Float64Array)[2];
    assert.ok(reseeds > 0);
    assert.equal((shuffledState.tensors.counters.data as Float64Array)[2], 0, 'rows in random order give no batch far from the rows before it');
    const warnings = kmeans.dataWarnings!(state);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], new RegExp('^kmeans: the training rows came sorted or drifting, not in random order: \\d\\d% of their variance lies between batches, ' +
      'against about 0\\.015% for rows in random order \\(20,000 rows in 4 batches\\); 3 batches sat far from the rows before them \\(a cluster ' +
      `first seen late, outliers, or a jump\\), and ${reseeds} streaming centres in all were moved onto rows \\(reseeds\\)`));
    assert.match(warnings[0], /train --shuffle-buffer 4 keeps 4 batches, these rows, and draws from them/);
  });

  it('gives clusters that begin in the middle of a batch centres too: 40 clusters in 8 features, 2.5 to a batch', async () => {
    const x = blobs(true, 40, 80_000, 8);
    const shuffled = blobs(false, 40, 80_000, 8);
    const sorted = await msd(await trained(batchesOf(x, 5000, 8), { k: 40 }), x);
    const good = await msd(await trained(batchesOf(shuffled, 5000, 8), { k: 40 }), shuffled);
    assert.ok(good < 1.1 * 8, `shuffled msd ${good}`);
    assert.ok(sorted < 1.05 * good, `sorted msd ${sorted} against ${good} shuffled`);
  });

  it('splits the centre that took two new clusters\' rows in sparse data: 16 clusters on disjoint features, 1,600 features', async () => {
    // Each row: 20 of its cluster's 100 features, values in [0.5, 1.5]. A new cluster's rows are nearer
    // the old centres than they are to one another, so no row of theirs is a place worth a centre:
    // the mean of the rows a centre absorbed is, or either half of it when it absorbed two clusters.
    const random = Random.fromSeed(8);
    const rowsOf = (cluster: number) => {
      const chosen = new Set<number>();
      while (chosen.size < 20) chosen.add(cluster * 100 + Math.floor(random.nextFloat() * 100));
      return [...chosen].sort((a, b) => a - b);
    };
    const rows = Array.from({ length: 20_000 }, (_, r) => Math.floor(r / 1250)).map((c) => rowsOf(c));
    const batchOf = (order: number[]): Batch => {
      const indptr = new Int32Array(order.length + 1);
      const indices = new Uint32Array(order.length * 20);
      const values = new Float32Array(order.length * 20);
      order.forEach((r, i) => {
        indices.set(rows[r], i * 20);
        for (let e = 0; e < 20; e++) values[i * 20 + e] = 0.5 + ((r * 31 + e * 17) % 100) / 100;
        indptr[i + 1] = (i + 1) * 20;
      });
      return { kind: 'sparse', rows: order.length, cols: 1600, indptr, indices, values };
    };
    const sortedOrder = Array.from({ length: 20_000 }, (_, r) => r);
    const shuffledOrder = [...sortedOrder];
    for (let i = shuffledOrder.length - 1; i > 0; i--) {
      const j = Math.floor(random.nextFloat() * (i + 1));
      [shuffledOrder[i], shuffledOrder[j]] = [shuffledOrder[j], shuffledOrder[i]];
    }
    const inBatches = (order: number[]) => Array.from({ length: 8 }, (_, b) => batchOf(order.slice(b * 2500, (b + 1) * 2500)));
    const all = batchOf(sortedOrder);
    const msdOf = async (state: KmeansState) => {
      const evaluator = kmeans.createEvaluator!(await kmeans.finalize(state, backend));
      await evaluator.add(all);
      return evaluator.result().msd;
    };
    const sorted = await msdOf(await trained(inBatches(sortedOrder), { k: 16 }));
    const good = await msdOf(await trained(inBatches(shuffledOrder), { k: 16 }));
    assert.ok(sorted < 1.02 * good, `sorted msd ${sorted} against ${good} shuffled (19% above before)`);
  });

  it('gives clusters centres in batches of 20 too, and warns (the share between batches is then far from 20× its random-order value)', async () => {
    // Batches of 40 rows or fewer missed the clusters that appeared between earlier ones (msd 110
    // against 5.0) while the batch mean was measured against the variance of all the earlier rows.
    const x = blobs(true);
    const state = await trained(batchesOf(x, 20), { mini_batch_size: 20 });
    const shuffled = blobs(false);
    const good = await msd(await trained(batchesOf(shuffled, 20), { mini_batch_size: 20 }), shuffled);
    const sorted = await msd(state, x);
    assert.ok(sorted < 1.02 * good, `sorted msd ${sorted} against ${good} shuffled`);
    assert.match(kmeans.dataWarnings!(state)[0] ?? '', /^kmeans: the training rows came sorted or drifting, not in random order: \d+% of their variance lies between batches, against about 5\.0% for rows in random order \(20,000 rows in 1,000 batches\)/);
    assert.deepEqual(kmeans.dataWarnings!(await trained(batchesOf(blobs(false), 20), { mini_batch_size: 20 })), []);
  });

  it('says nothing of the same rows shuffled, or sorted with forgetting (drift expected)', async () => {
    assert.deepEqual(kmeans.dataWarnings!(await trained(batchesOf(blobs(false)))), []);
    assert.deepEqual(kmeans.dataWarnings!(await trained(batchesOf(blobs(true)), { half_life_time_size: 5000 })), []);
  });

  it('keeps the moments through a state file and a merge of shards sorted within; a state written before them says nothing', async () => {
    const batches = batchesOf(blobs(true), 2500);
    const whole = await trained(batches);
    const restored = stateFromBytes(stateToBytes(whole), kmeans, backend) as KmeansState;
    assert.deepEqual(restored.tensors.batch_order.data, whole.tensors.batch_order.data);
    const merged = kmeans.merge([await trained(batches.slice(0, 3)), await trained(batches.slice(3))]);
    // Each shard is sorted within itself: the merge (which pools each shard's own statistic) warns too.
    assert.equal(kmeans.dataWarnings!(whole).length, 1);
    assert.match(kmeans.dataWarnings!(merged)[0], /not in random order: .* \(20,000 rows in 8 batches\)/);
    (whole.tensors.batch_order.data as Float64Array).fill(0);
    assert.deepEqual(kmeans.dataWarnings!(whole), []);
  });

  describe('from the command line', () => {
    let root: string;
    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'boundless-kmeans-sorted-'));
      const x = blobs(true);
      const lines: string[] = [];
      for (let r = 0; r < rows; r++) lines.push(Array.from(x.subarray(r * dim, (r + 1) * dim), (v) => v.toFixed(4)).join(','));
      await writeFile(join(root, 'sorted.csv'), lines.join('\n') + '\n');
    });
    after(async () => { await rm(root, { recursive: true, force: true }); });
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { cwd: root, encoding: 'utf8' });

    it('train warns on stderr; --shuffle-buffer covering the data trains the shuffled model and says nothing', () => {
      const sorted = cli('train', 'kmeans', '--train', 'sorted.csv', '--label-size', '0', '--hp', 'k=8', '--model-dir', 'sorted');
      assert.equal(sorted.status, 0, sorted.stderr);
      assert.match(sorted.stderr, /^warning: kmeans: the training rows came sorted or drifting, not in random order: /m);
      const fixed = cli('train', 'kmeans', '--train', 'sorted.csv', '--label-size', '0', '--hp', 'k=8', '--shuffle-buffer', '4', '--model-dir', 'fixed');
      assert.equal(fixed.status, 0, fixed.stderr);
      assert.doesNotMatch(fixed.stderr, /warning/);
      const evaluated = cli('evaluate', '--model', join('fixed', 'model.safetensors'), '--test', 'sorted.csv', '--label-size', '0');
      assert.equal(evaluated.status, 0, evaluated.stderr);
      assert.ok(JSON.parse(evaluated.stdout).msd < 1.1 * dim, evaluated.stdout);
    });

    it('a resumed shuffled run says that the rows its buffer held at the checkpoint are not trained on', async () => {
      const first = cli('train', 'kmeans', '--train', 'sorted.csv', '--label-size', '0', '--hp', 'k=8', '--shuffle-buffer', '2',
        '--checkpoint-dir', 'checkpoints', '--checkpoint-every', '1b', '--keep-checkpoints', '10', '--model-dir', 'first');
      assert.equal(first.status, 0, first.stderr);
      // The newest valid checkpoint is then the one after the second batch, mid-epoch.
      for (const n of [3, 4, 5]) await rm(join(root, 'checkpoints', `checkpoint-00000${n}.safetensors`));
      const resumed = cli('train', 'kmeans', '--train', 'sorted.csv', '--label-size', '0', '--hp', 'k=8', '--shuffle-buffer', '2',
        '--checkpoint-dir', 'checkpoints', '--resume', '--model-dir', 'resumed');
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stderr, /^warning: resume: the run shuffles through a buffer of 2 batches, which a checkpoint does not keep: the rows it held when checkpoints\/checkpoint-000002\.safetensors was written \(at most 2 batches\) are not trained on in this epoch$/m);
    });

    it('refuses --shuffle-buffer 0 and --shuffle-buffer for DeepAR, exit 2', () => {
      const zero = cli('train', 'kmeans', '--train', 'sorted.csv', '--hp', 'k=8', '--shuffle-buffer', '0');
      assert.equal(zero.status, 2);
      assert.equal(zero.stderr.trim().split('\n').pop(), 'boundless: train: --shuffle-buffer must be an integer >= 1, got "0"');
      const deepar = cli('train', 'deepar', '--train', 'sorted.csv', '--hp', 'prediction_length=2', '--hp', 'context_length=2', '--epochs', '1', '--shuffle-buffer', '2');
      assert.equal(deepar.status, 2, deepar.stderr);
      assert.match(deepar.stderr, /train: --shuffle-buffer shuffles rows; deepar reads whole time series and draws its own training windows/);
    });
  });
});
