import assert from 'node:assert/strict';
import { FeatureStatistics, Random, denseBatch, readBatches, shuffleBatches, type Batch, type SparseBatch } from '../../lib/index.js';

function* lines(count: number) {
  for (let i = 0; i < count; i++) yield Buffer.from(`${i % 2},${i},${-i}\n`);
}

describe('shuffle buffer', () => {
  it('emits every row exactly once, in a seeded order that mixes across batches', async () => {
    const shape = { sparse: false, rows: 10, cols: 2, labelSize: 1 };
    const order = async (seed: number) => {
      const seen: number[] = [];
      const stream = readBatches(lines(1000), { miniBatchSize: 10 });
      for await (const batch of shuffleBatches(stream, shape, { capacity: 8, seed })) {
        for (let r = 0; r < batch.rows; r++) seen.push(batch.values[r * 2]);
      }
      return seen;
    };
    const a = await order(1);
    assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual(await order(1), a, 'same seed, same order');
    assert.notDeepEqual(await order(2), a, 'another seed, another order');
    // Rows travel: in a buffer of 8 batches, the first output batch draws from many input batches.
    const firstBatchSources = new Set(a.slice(0, 10).map((v) => Math.floor(v / 10)));
    assert.ok(firstBatchSources.size >= 5, `first batch drew from ${firstBatchSources.size} input batches`);
    // Displacement is bounded by the buffer: no row moves more than ~capacity batches early.
    assert.ok(a.every((v, position) => position >= v - 100), 'no row emitted before it was read');
  });

  it('holds only what the stream gives it: a buffer of 2^40 batches over 30 batches mixes all 300 rows', async () => {
    // It allocated every buffer at once: 2^40 batches was 'Invalid array length', and 10^8 of 5,000
    // rows was killed at 24 GB on a 20,000-row file.
    const shape = { sparse: false, rows: 10, cols: 2, labelSize: 1 };
    const seen: number[] = [];
    for await (const batch of shuffleBatches(readBatches(lines(300), { miniBatchSize: 10 }), shape, { capacity: 2 ** 40, seed: 3 })) {
      for (let r = 0; r < batch.rows; r++) seen.push(batch.values[r * 2]);
    }
    assert.deepEqual([...seen].sort((x, y) => x - y), Array.from({ length: 300 }, (_, i) => i));
    // Everything was held before the first row went out, so the first batch draws from the whole stream.
    assert.ok(new Set(seen.slice(0, 10).map((v) => Math.floor(v / 10))).size >= 7);
  });

  it('is an option of readBatches: shuffleBuffer and seed', async () => {
    const seen: number[] = [];
    for await (const batch of readBatches(lines(300), { miniBatchSize: 10, shuffleBuffer: 4, seed: 9 })) {
      for (let r = 0; r < batch.rows; r++) seen.push(batch.values[r * 2]);
      assert.ok(batch.position.records >= seen.length, 'position is at or past the rows emitted');
    }
    assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i));
    assert.notDeepEqual(seen, Array.from({ length: 300 }, (_, i) => i));
    assert.throws(() => readBatches([], { miniBatchSize: 1, shuffleBuffer: 0 }), /shuffleBuffer must be a positive integer \(batches\), got 0/);
  });

  it('shuffles sparse rows, keeping each row whole', async () => {
    const text = Array.from({ length: 50 }, (_, i) => `${i} ${(i % 5) + 1}:${i} ${((i + 2) % 5) + 1}:${-i}`).join('\n');
    const stream = readBatches([Buffer.from(text)], { format: 'libsvm', featureDim: 5, miniBatchSize: 8 });
    const rows: string[] = [];
    for await (const batch of shuffleBatches(stream, { sparse: true, rows: 8, cols: 5, labelSize: 1, nnzCapacity: 65536 }, { capacity: 3, seed: 4 })) {
      const b = batch as SparseBatch;
      for (let r = 0; r < b.rows; r++) {
        const label = b.labels![r];
        const entries = Array.from(b.indices.subarray(b.indptr[r], b.indptr[r + 1])).map((j, k) => `${j}:${b.values[b.indptr[r] + k]}`);
        assert.deepEqual(entries, [`${label % 5}:${label}`, `${(label + 2) % 5}:${-label}`].map((e) => e.replace(':-0', ':0')));
        rows.push(String(label));
      }
    }
    assert.equal(new Set(rows).size, 50);
  });
});

describe('feature statistics', () => {
  const random = Random.fromSeed(3);
  const data = Float32Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 5 + 2 * random.nextGaussian() : i % 3 === 1 ? -1e4 + random.nextFloat() : 0));
  const batches = (): Batch[] => Array.from({ length: 10 }, (_, k) => denseBatch(data.slice(k * 300, (k + 1) * 300), 3));

  function reference(feature: number, rows = 1000) {
    const values = Array.from({ length: rows }, (_, r) => data[r * 3 + feature]);
    const mean = values.reduce((a, b) => a + b, 0) / rows;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (rows - 1);
    return { mean, variance, min: Math.min(...values), max: Math.max(...values), nonZeros: values.filter((v) => v !== 0).length };
  }

  it('keeps the variance of features far from the origin (10^5 and 10^6 × the spread) to 1e-9 of a two-pass reference', () => {
    // Σv² − n·mean² per batch lost 4e-4 of the variance at 10^5 and 5e-2 at 10^6; shifted sums keep it.
    for (const offset of [1e5, 1e6]) {
      const random = Random.fromSeed(4);
      const x = Float32Array.from({ length: 4000 }, () => offset + random.nextGaussian());
      const stats = new FeatureStatistics(1);
      for (let b = 0; b < 4; b++) stats.update(denseBatch(x.slice(b * 1000, (b + 1) * 1000), 1));
      const mean = x.reduce((a, v) => a + v, 0) / x.length;
      const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / (x.length - 1);
      assert.ok(Math.abs(stats.variance(0) - variance) <= 1e-9 * variance, `offset ${offset}: variance ${stats.variance(0)}, two-pass ${variance}`);
      assert.ok(Math.abs(stats.mean[0] - mean) <= 1e-12 * Math.abs(mean), `offset ${offset}: mean ${stats.mean[0]} vs ${mean}`);
    }
  });

  it('matches a two-pass reference: mean, variance, min, max, non-zeros', () => {
    const stats = new FeatureStatistics(3);
    for (const b of batches()) stats.update(b);
    assert.equal(stats.rows, 1000);
    for (let j = 0; j < 3; j++) {
      const ref = reference(j);
      assert.ok(Math.abs(stats.mean[j] - ref.mean) <= 1e-9 * Math.max(1, Math.abs(ref.mean)), `mean ${j}`);
      assert.ok(Math.abs(stats.variance(j) - ref.variance) <= 1e-6 * Math.max(1e-12, ref.variance), `variance ${j}: ${stats.variance(j)} vs ${ref.variance}`);
      assert.equal(stats.min[j], ref.min);
      assert.equal(stats.max[j], ref.max);
      assert.equal(stats.nonZeros[j], ref.nonZeros);
    }
  });

  it('stops at the sample limit, mid-batch', () => {
    const stats = new FeatureStatistics(3, 250);
    const taken = batches().map((b) => stats.update(b));
    assert.deepEqual(taken.slice(0, 3), [100, 100, 50]);
    assert.equal(stats.rows, 250);
    assert.ok(stats.full);
    assert.ok(Math.abs(stats.mean[0] - reference(0, 250).mean) < 1e-9);
  });

  it('merges shards exactly and round-trips through state tensors', () => {
    const whole = new FeatureStatistics(3);
    const left = new FeatureStatistics(3);
    const right = new FeatureStatistics(3);
    batches().forEach((b, k) => { whole.update(b); (k < 4 ? left : right).update(b); });
    left.merge(right);
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(left.mean[j] - whole.mean[j]) <= 1e-9 * Math.max(1, Math.abs(whole.mean[j])));
      assert.ok(Math.abs(left.variance(j) - whole.variance(j)) <= 1e-9 * Math.max(1e-12, whole.variance(j)));
    }
    const restored = FeatureStatistics.fromTensors(left.toTensors());
    assert.deepEqual(Array.from(restored.m2), Array.from(left.m2));
    assert.equal(restored.rows, 1000);
  });

  it('counts missing sparse entries as zeros', async () => {
    const stream = readBatches([Buffer.from('1 1:2\n0 2:4\n1 1:-2\n0\n')], { format: 'libsvm', featureDim: 3, miniBatchSize: 4 });
    const stats = new FeatureStatistics(3);
    for await (const b of stream) stats.update(b);
    assert.deepEqual(Array.from(stats.mean), [0, 1, 0]);
    assert.deepEqual([stats.variance(0), stats.variance(1)], [8 / 3, 4]);
    assert.deepEqual(Array.from(stats.min), [-2, 0, 0]);
    assert.deepEqual(Array.from(stats.max), [2, 4, 0]);
    assert.deepEqual(Array.from(stats.nonZeros), [2, 1, 0]);
  });
});
