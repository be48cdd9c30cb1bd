// The between-batch share of a stream's variance (lib/algorithms/batch-order.ts): about 1/batch size
// for rows in random order, the between-group share for rows sorted by group; exact against a
// float64 computation on the rows; shards merged judged each about its own mean (shards apart but
// each shuffled are in random order); unaffected by an offset of 10^6; sparse rows and row weights counted as the dense kernels count them.
import assert from 'node:assert/strict';
import { denseBatch, Random, type Batch } from '../../lib/index.js';
import { addBatchOrder, batchOrderLength, batchOrderOf, looksSorted, mergeBatchOrder, sortedRatio } from '../../lib/algorithms/batch-order.js';

const dim = 3;

/** Rows of four groups 10 apart (unit spread), in group order or shuffled, plus an offset. */
function groups(rows: number, sorted: boolean, offset = 0, seed = 3): Float32Array {
  const random = Random.fromSeed(seed);
  const order = Array.from({ length: rows }, (_, r) => Math.floor((4 * r) / rows));
  if (!sorted) for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const x = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) x[r * dim + j] = offset + 10 * order[r] * (j === 0 ? 1 : 0) + random.nextGaussian();
  return x;
}

const batchesOf = (x: Float32Array, size: number, weights?: Float32Array): Batch[] =>
  Array.from({ length: Math.ceil(x.length / dim / size) }, (_, b) => denseBatch(x.subarray(b * size * dim, Math.min(x.length, (b + 1) * size * dim)), dim,
    undefined, weights?.subarray(b * size, Math.min(weights.length, (b + 1) * size))));

async function momentsOf(batches: Batch[]): Promise<Float64Array> {
  const moments = new Float64Array(batchOrderLength(dim));
  for (const batch of batches) await addBatchOrder(moments, dim, batch);
  return moments;
}

/** Between-batch and total scatter in float64 about the rows' mean, straight from the rows (weighted). */
function scatters(x: Float32Array, size: number, weights?: Float32Array): { between: number; scatter: number } {
  const rows = x.length / dim;
  const w = (r: number) => (weights ? weights[r] : 1);
  const mean = new Float64Array(dim);
  let total = 0;
  for (let r = 0; r < rows; r++) { total += w(r); for (let j = 0; j < dim; j++) mean[j] += w(r) * x[r * dim + j]; }
  mean.forEach((v, j) => { mean[j] = v / total; });
  let scatter = 0;
  let between = 0;
  for (let start = 0; start < rows; start += size) {
    const end = Math.min(rows, start + size);
    const batchMean = new Float64Array(dim);
    let batchWeight = 0;
    for (let r = start; r < end; r++) {
      batchWeight += w(r);
      for (let j = 0; j < dim; j++) { batchMean[j] += w(r) * x[r * dim + j]; scatter += w(r) * (x[r * dim + j] - mean[j]) ** 2; }
    }
    for (let j = 0; j < dim; j++) between += batchWeight * (batchMean[j] / batchWeight - mean[j]) ** 2;
  }
  return { between, scatter };
}

function reference(x: Float32Array, size: number, weights?: Float32Array): number {
  const { between, scatter } = scatters(x, size, weights);
  return between / scatter;
}

describe('batch order (between-batch share of the variance)', () => {
  it('is about 1/batch size for shuffled rows and the groups\' share for rows sorted by group; 20 batches of 500', async () => {
    const shuffled = batchOrderOf(await momentsOf(batchesOf(groups(10_000, false), 500)), dim)!;
    assert.equal(shuffled.degrees, 19);
    assert.equal(shuffled.shards, 1);
    assert.equal(shuffled.rows, 10_000);
    assert.ok(Math.abs(shuffled.shuffledShare - 19 / 9999) < 1e-15);
    assert.ok(shuffled.share > 0.2 * shuffled.shuffledShare && shuffled.share < 3 * shuffled.shuffledShare, `shuffled share ${shuffled.share}`);
    assert.equal(looksSorted(shuffled, 0.1), false);
    const x = groups(10_000, true);
    const sorted = batchOrderOf(await momentsOf(batchesOf(x, 500)), dim)!;
    // The groups' variance is 125 of 127 (x₀ in {0, 10, 20, 30}, plus three unit variances).
    assert.ok(Math.abs(sorted.share - reference(x, 500)) < 1e-9, `${sorted.share} against ${reference(x, 500)}`);
    assert.ok(sorted.share > 0.95);
    assert.equal(looksSorted(sorted, 0.1), true);
    // Each of the three later groups begins a batch far from the rows before it (and its next ones are,
    // while the mean of all the rows before lags behind); shuffled, none is.
    assert.ok(sorted.novelBatches >= 3 && sorted.novelBatches <= 15, `${sorted.novelBatches}`);
    assert.equal(shuffled.novelBatches, 0);
  });

  it('calls a share sorted past the χ² 10⁻⁶ quantile of its degrees of freedom (Wilson–Hilferty), never below 2×', () => {
    assert.ok(Math.abs(sortedRatio(1) - 27.4) < 0.1, `${sortedRatio(1)}`);
    assert.ok(Math.abs(sortedRatio(3) - 10.9) < 0.1, `${sortedRatio(3)}`);
    assert.ok(Math.abs(sortedRatio(100) - 1.82) < 0.01 || sortedRatio(100) === 2, `${sortedRatio(100)}`);
    assert.equal(sortedRatio(100_000), 2);
  });

  it('keeps its digits at an offset of 10^6 (sums about the first row), with row weights', async () => {
    const weights = Float32Array.from({ length: 4000 }, (_, r) => 0.5 + (r % 3));
    const x = groups(4000, true, 1e6);
    const got = batchOrderOf(await momentsOf(batchesOf(x, 250, weights)), dim)!;
    assert.ok(Math.abs(got.share - reference(x, 250, weights)) < 1e-9, `${got.share} against ${reference(x, 250, weights)}`);
    // Rows of weight 0 are not rows: they count neither as rows nor in any sum.
    const zero = new Float32Array(4000);
    const none = await momentsOf(batchesOf(x, 250, zero));
    assert.deepEqual(Array.from(none.subarray(0, 5)), [0, 0, 0, 0, 0]);
    assert.equal(batchOrderOf(none, dim), undefined);
  });

  it('expects of shuffled rows with heavy-tailed weights the between-batch share their few effective rows give', async () => {
    // Weights e^(3z): a few rows carry most of each batch, so batch means scatter far more than 1/rows says.
    const random = Random.fromSeed(5);
    const x = groups(20_000, false, 0, 9);
    const weights = Float32Array.from({ length: 20_000 }, () => Math.exp(3 * random.nextGaussian()));
    let sorted = 0;
    for (let seed = 0; seed < 5; seed++) {
      const w = seed === 0 ? weights : Float32Array.from(weights).sort(() => 0).map((v, i, all) => all[(i * 7919 + seed * 104_729) % all.length]);
      const order = batchOrderOf(await momentsOf(batchesOf(x, 500, w)), dim)!;
      assert.ok(order.share > 20 * (39 / 19_999) || seed > 0, `the unweighted expectation would call it sorted (${order.share})`);
      assert.ok(order.share < 5 * order.shuffledShare, `share ${order.share} against ${order.shuffledShare} expected`);
      if (looksSorted(order, 0.05)) sorted++;
    }
    assert.equal(sorted, 0);
  });

  it('pools shards, each judged about its own mean: apart but each shuffled is random order; each sorted is sorted', async () => {
    // Two workers' shares: the first and second halves of rows sorted by group, each shuffled by its own buffer.
    const low = groups(4000, false, 0, 5);
    const high = groups(4000, false, 40, 6);
    const merged = new Float64Array(batchOrderLength(dim));
    mergeBatchOrder(merged, [await momentsOf(batchesOf(low, 500)), await momentsOf(batchesOf(high, 500))], dim);
    const apart = batchOrderOf(merged, dim)!;
    assert.equal(apart.shards, 2);
    assert.equal(apart.degrees, 14);
    assert.equal(apart.rows, 8000);
    const [a, b] = [scatters(low, 500), scatters(high, 500)];
    // What random order puts between each shard's batches, (batches − 1)/(rows − 1) of its scatter, pooled.
    const expected = (a.scatter * 7 / 3999 + b.scatter * 7 / 3999) / (a.scatter + b.scatter);
    assert.ok(Math.abs(apart.shuffledShare - expected) < 1e-12, `${apart.shuffledShare} against ${expected}`);
    assert.ok(Math.abs(apart.share - (a.between + b.between) / (a.scatter + b.scatter)) < 1e-12);
    assert.equal(looksSorted(apart, 0.1), false);
    // One stream's batches seen as one: the 40 between the halves counts.
    const together = new Float32Array(8000 * dim);
    together.set(low);
    together.set(high, low.length);
    assert.equal(looksSorted(batchOrderOf(await momentsOf(batchesOf(together, 500)), dim), 0.1), true);
    // Shards each sorted, merged twice over (a merge's result is a part of the next), with a shard of nothing.
    const x = groups(6000, true, 5e3);
    const parts = [batchesOf(x.subarray(0, 2000 * dim), 400), batchesOf(x.subarray(2000 * dim), 400)];
    const first = new Float64Array(batchOrderLength(dim));
    mergeBatchOrder(first, [await momentsOf(parts[0]), new Float64Array(batchOrderLength(dim))], dim);
    const second = new Float64Array(batchOrderLength(dim));
    mergeBatchOrder(second, [first, await momentsOf(parts[1])], dim);
    const sorted = batchOrderOf(second, dim)!;
    const [c, d] = [scatters(x.subarray(0, 2000 * dim), 400), scatters(x.subarray(2000 * dim), 400)];
    assert.equal(sorted.shards, 2);
    assert.equal(sorted.degrees, 13);
    assert.ok(Math.abs(sorted.share - (c.between + d.between) / (c.scatter + d.scatter)) < 1e-9);
    assert.equal(looksSorted(sorted, 0.1), true);
  });

  it('reads sparse rows (absent entries zero) as the same rows given dense', async () => {
    const x = groups(2000, true);
    for (let i = 0; i < x.length; i++) if (i % 3 === 1) x[i] = 0;
    const indptr = new Int32Array(501);
    const indices: number[] = [];
    const values: number[] = [];
    const sparse: Batch[] = [];
    for (let b = 0; b < 4; b++) {
      indices.length = 0;
      values.length = 0;
      for (let r = 0; r < 500; r++) {
        for (let j = 0; j < dim; j++) {
          const v = x[(b * 500 + r) * dim + j];
          if (v !== 0) { indices.push(j); values.push(v); }
        }
        indptr[r + 1] = indices.length;
      }
      sparse.push({ kind: 'sparse', rows: 500, cols: dim, indptr: Int32Array.from(indptr), indices: Uint32Array.from(indices), values: Float32Array.from(values) });
    }
    const fromSparse = batchOrderOf(await momentsOf(sparse), dim)!;
    assert.ok(Math.abs(fromSparse.share - reference(x, 500)) < 1e-9, `${fromSparse.share} against ${reference(x, 500)}`);
  });

  it('has nothing to say of one batch or rows all one point, and refuses a bad batch naming the row', async () => {
    assert.equal(batchOrderOf(await momentsOf(batchesOf(groups(100, true), 100)), dim), undefined);
    assert.equal(batchOrderOf(await momentsOf(batchesOf(new Float32Array(300).fill(7), 10)), dim), undefined);
    const bad = new Float32Array(30).fill(1);
    bad[7] = NaN;
    const moments = new Float64Array(batchOrderLength(dim));
    await assert.rejects(addBatchOrder(moments, dim, denseBatch(bad, dim)), /^Error: row 2, feature 1 is not finite; features must be finite$/);
    assert.deepEqual(Array.from(moments.subarray(0, 5)), [0, 0, 0, 0, 0]);
  });
});
