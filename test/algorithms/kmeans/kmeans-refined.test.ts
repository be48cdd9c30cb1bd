// The refined model: one pass with the default hyperparameters ends close to Lloyd's algorithm
// run to convergence, where reducing the streaming centres alone (the model before it) does not.
// The data: 40,000 rows from four broad, anisotropic Gaussians in 16 dimensions, clustered with
// k = 100, so that every cluster is a cell of a continuum (as images are) and the K = 200
// streaming centres' cells straddle the final clusters' boundaries. Measured: one pass 1.011×
// Lloyd's cost (1.027× before the refined model), the reduction alone 1.023×, two merged shards
// 1.021× (1.034× before).
import assert from 'node:assert/strict';
import { createBackend, denseBatch, kmeans, loadCoreAddon, parseHyperparameters, Random, type Backend, type Batch, type KmeansState } from '../../../lib/index.js';
import { reductionTrials } from '../../../lib/algorithms/kmeans/settings.js';

const dim = 16;
const rows = 40_000;
const k = 100;

function mixture(seed: number): Float32Array {
  const random = Random.fromSeed(seed);
  const means = Array.from({ length: 4 }, () => Float32Array.from({ length: dim }, () => random.nextGaussian()));
  const scale = Float32Array.from({ length: dim }, (_, j) => 1 / Math.sqrt(1 + 0.3 * j));
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    const mean = means[Math.floor(random.nextFloat() * means.length)];
    for (let j = 0; j < dim; j++) x[r * dim + j] = mean[j] + scale[j] * random.nextGaussian();
  }
  return x;
}

let backend: Backend;
let x: Float32Array;
let lloyd: number;

const batchesOf = (values: Float32Array, size = 5000): Batch[] =>
  Array.from({ length: Math.ceil(values.length / dim / size) }, (_, b) => denseBatch(values.subarray(b * size * dim, Math.min(values.length, (b + 1) * size * dim)), dim));

async function inertia(centers: Float32Array): Promise<number> {
  const nearest = new Int32Array(rows);
  const distance2 = new Float64Array(rows);
  await loadCoreAddon().kmeansAssign(centers, centers.length / dim, dim, denseBatch(x, dim), nearest, distance2, null);
  return distance2.reduce((sum, d) => sum + d, 0);
}

async function trained(batches: Batch[]): Promise<KmeansState> {
  const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k }), { featureDim: dim, labelSize: 0 }, backend);
  for (const batch of batches) await kmeans.update(state, batch, backend);
  return state;
}

describe('kmeans refined model', function () {
  this.timeout(60_000);
  before(async () => {
    backend = await createBackend('cpu');
    x = mixture(11);
    // Lloyd's algorithm on every row from weighted k-means++ until the cost changes by under 10^-4
    // (scikit-learn's KMeans(init='k-means++', n_init=1)): the native reduction, every row weight 1.
    lloyd = loadCoreAddon().kmeansReduce(x, new Float64Array(rows).fill(1), rows, dim, k, true, 300, 1e-4, 1, 5).cost;
  });
  after(() => backend.dispose());

  it('ends one pass with the defaults within 1.5% of Lloyd\'s to convergence; the streaming centres reduced alone end 2% above', async () => {
    const state = await trained(batchesOf(x));
    const model = await kmeans.finalize(state, backend);
    // K = 200 streaming centres: the refined model starts from their reduction after 50 rows each
    // (10,000 rows) and takes every later row.
    assert.equal(model.data().scalars.streaming_centers, 200);
    assert.equal(model.data().scalars.refined_rows, 30_000);
    const refined = await inertia(model.centers);
    // The model finalize gave before the refined model: the K centres reduced to k.
    const held = 200;
    const reduced = loadCoreAddon().kmeansReduce((state.tensors.centers.data as Float32Array).subarray(0, held * dim),
      (state.tensors.center_weights.data as Float64Array).subarray(0, held), held, dim, k, true, 300, 1e-4,
      reductionTrials(state.hyperparameters, held, k, dim), 0);
    const alone = await inertia(reduced.centers);
    assert.ok(refined < 1.015 * lloyd, `one pass ${refined / lloyd}× Lloyd's`);
    assert.ok(alone > 1.02 * lloyd, `the reduction alone ${alone / lloyd}× Lloyd's (the data should tell the two apart)`);
    // Its progressive cost (each batch before the model learnt from it) is an honest estimate, above the final cost.
    const progressive = kmeans.progressiveMetrics!(state).progressive_model_msd;
    assert.ok(progressive * rows > refined && progressive * rows < 1.05 * refined, `progressive msd ${progressive}, final ${refined / rows}`);
  });

  it('merges two shards\' refined models into one within 2.5% of Lloyd\'s', async () => {
    const half = (rows / 2) * dim;
    const shards = [await trained(batchesOf(x.subarray(0, half))), await trained(batchesOf(x.subarray(half)))];
    const merged = kmeans.merge(shards);
    const model = await kmeans.finalize(merged, backend);
    assert.equal(model.data().scalars.refined_rows, 20_000);
    const cost = await inertia(model.centers);
    assert.ok(cost < 1.025 * lloyd, `merged ${cost / lloyd}× Lloyd's`);
  });

  it('replaces a refined model stranded by input sorted by cluster with a reduction of the streaming summary (msd 6.9 → 2.0)', async () => {
    // Three clusters in 2-d, 50,000 rows each, one after another: every batch is one cluster, and each
    // candidate was judged on the next batch alone, which the stranded model fits. (At 20,000 rows
    // each the refined model ends 30% above the optimum and is kept: the summary's estimate of the
    // data's cost cannot tell that from a sound model's few %.)
    const random = Random.fromSeed(8);
    const centres = [[0, 0], [5, 0], [0, 5]];
    const sorted = new Float32Array(150_000 * 2);
    for (let r = 0; r < 150_000; r++) {
      const c = centres[Math.floor(r / 50_000)];
      sorted[2 * r] = c[0] + random.nextGaussian();
      sorted[2 * r + 1] = c[1] + random.nextGaussian();
    }
    const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 3 }), { featureDim: 2, labelSize: 0 }, backend);
    for (let first = 0; first < 150_000; first += 5000) await kmeans.update(state, denseBatch(sorted.subarray(first * 2, (first + 5000) * 2), 2), backend);
    const model = await kmeans.finalize(state, backend);
    const { distance2 } = await model.assign(denseBatch(sorted, 2));
    const msd = distance2.reduce((a, b) => a + b, 0) / 150_000;
    assert.ok(msd < 2.1, `msd ${msd}: the three clusters (each of variance 2) found`);
    assert.equal(model.data().scalars.refined_rows, 0, 'the reduction, not the refined model');
  });

  it('keeps no refined model when a shard that saw rows has none: its rows would be ignored', async () => {
    // One shard of 12,000 rows (its model starts at 10,000 and takes 2,000), one of 8,000 (none yet): a
    // data-parallel worker's case. Keeping the first model would leave the second shard's data out.
    const split = 12_000 * dim;
    const shards = [await trained(batchesOf(x.subarray(0, split))), await trained(batchesOf(x.subarray(split, 20_000 * dim)))];
    assert.equal((shards[0].tensors.model_counters.data as Float64Array)[0], 1);
    assert.equal((shards[1].tensors.model_counters.data as Float64Array)[0], 0);
    const merged = kmeans.merge(shards);
    assert.equal((merged.tensors.model_counters.data as Float64Array)[0], 0, 'no refined model');
    const model = await kmeans.finalize(merged, backend);
    assert.equal(model.data().scalars.refined_rows, 0);
    const pooled = await inertia(model.centers);
    const kept = await inertia(modelCentersOf(shards[0]));
    assert.ok(pooled < kept, `the pooled reduction (${pooled / lloyd}× Lloyd's) beats the one shard's model (${kept / lloyd}×)`);
  });
});

function modelCentersOf(state: KmeansState): Float32Array {
  return Float32Array.from(state.tensors.model_centers.data as Float32Array);
}
