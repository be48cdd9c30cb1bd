// The bucket sketch (Space-Saving per hash bucket): exact while a bucket sees no more words
// than it has slots, Space-Saving's guarantees on a Zipf stream, the merge of two halves against
// one pass, order-independence of the merge, and the round trip through a checkpoint.
import assert from 'node:assert/strict';
import {
  bucketNames, bucketWordBytes, createBucketSketch, mergeBucketSketches, updateBucketSketch,
} from '../../../lib/algorithms/ntm/bucket-sketch.js';
import type { SparseBatch } from '../../../lib/data/batch.js';
import { readBatches } from '../../../lib/index.js';
import { Random } from '../../../lib/random.js';
import { decodeStoredObject, encodeStoredObject } from '../../../lib/state/checkpoint.js';
import { cloneTensor, tensorsEqual, type Tensor } from '../../../lib/state/tensor.js';

type Sketch = Record<string, Tensor>;

/** A batch of one row whose entries are (bucket, count, word), as the text format gives them. */
function namedBatch(entries: [number, number, string][], cols: number): SparseBatch {
  const bytes = entries.map(([, , word]) => Buffer.from(word));
  const offsets = new Uint32Array(entries.length + 1);
  bytes.forEach((b, k) => { offsets[k + 1] = offsets[k] + b.length; });
  return {
    kind: 'sparse', rows: 1, cols, indptr: Int32Array.from([0, entries.length]),
    indices: Uint32Array.from(entries.map(([bucket]) => bucket)), values: Float32Array.from(entries.map(([, count]) => count)),
    words: { offsets, bytes: new Uint8Array(Buffer.concat(bytes)) },
  };
}

/** Each bucket's kept words: word → [count, error]. */
function contents(sketch: Sketch): Map<string, [number, number]>[] {
  const [dim, slots] = sketch.bucket_counts.shape;
  const counts = sketch.bucket_counts.data as Float64Array;
  const errors = sketch.bucket_errors.data as Float64Array;
  const words = sketch.bucket_words.data as Uint8Array;
  return Array.from({ length: dim }, (_, b) => {
    const kept = new Map<string, [number, number]>();
    for (let s = b * slots; s < (b + 1) * slots; s++) {
      if (counts[s] === 0) continue;
      const cell = words.subarray(s * bucketWordBytes, (s + 1) * bucketWordBytes);
      const end = cell.indexOf(0);
      kept.set(Buffer.from(end < 0 ? cell : cell.subarray(0, end)).toString(), [counts[s], errors[s]]);
    }
    return kept;
  });
}

/** A Zipf(1.1) stream over `vocabulary` words, in buckets word % dim, weights 1..3: the batches and the true counts. */
function zipfStream(seed: number, entries: number, vocabulary: number, dim: number) {
  const random = Random.fromSeed(seed);
  const cumulative: number[] = [];
  let total = 0;
  for (let i = 1; i <= vocabulary; i++) cumulative.push(total += 1 / i ** 1.1);
  const truth = Array.from({ length: dim }, () => new Map<string, number>());
  const batches: SparseBatch[] = [];
  for (let start = 0; start < entries; start += 500) {
    const batch: [number, number, string][] = [];
    for (let k = start; k < Math.min(entries, start + 500); k++) {
      const u = random.nextFloat() * total;
      let lo = 0;
      for (let hi = vocabulary - 1; lo < hi;) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] < u) lo = mid + 1; else hi = mid;
      }
      const bucket = lo % dim;
      const weight = 1 + Math.floor(random.nextFloat() * 3);
      const word = `w${lo}`;
      batch.push([bucket, weight, word]);
      truth[bucket].set(word, (truth[bucket].get(word) ?? 0) + weight);
    }
    batches.push(namedBatch(batch, dim));
  }
  return { batches, truth };
}

/** Space-Saving's guarantees, bucket by bucket: f ∈ [count − error, count], error ≤ N/slots, every word above N/slots kept. */
function assertGuarantees(sketch: Sketch, truth: Map<string, number>[], slots: number, what: string): void {
  contents(sketch).forEach((kept, bucket) => {
    const total = [...truth[bucket].values()].reduce((a, b) => a + b, 0);
    for (const [word, [count, error]] of kept) {
      const f = truth[bucket].get(word) ?? 0;
      assert.ok(count - error <= f && f <= count, `${what}, bucket ${bucket}: ${word} true ${f}, counted ${count} ± ${error}`);
      assert.ok(error <= total / slots + 1e-9, `${what}, bucket ${bucket}: error ${error} above N/slots = ${total / slots}`);
    }
    for (const [word, f] of truth[bucket]) {
      if (f > total / slots) assert.ok(kept.has(word), `${what}, bucket ${bucket}: ${word} (${f} of ${total}) is a heavy hitter and was dropped`);
    }
  });
}

describe('bucket sketch (Space-Saving per bucket)', () => {
  it('creates fixed tensors: words U8 [dim, slots, 32], counts and errors F64 [dim, slots]', () => {
    const sketch = createBucketSketch(10);
    assert.deepEqual(Object.fromEntries(Object.entries(sketch).map(([n, t]) => [n, [t.data.constructor.name, t.shape]])), {
      bucket_words: ['Uint8Array', [10, 4, 32]], bucket_counts: ['Float64Array', [10, 4]], bucket_errors: ['Float64Array', [10, 4]],
    });
    assert.throws(() => createBucketSketch(0), /featureDim must be a positive integer, got 0/);
    assert.throws(() => createBucketSketch(5, 1.5), /slots must be a positive integer, got 1.5/);
  });

  it('counts exactly, with no error, while a bucket sees no more words than it has slots; names buckets by their top words', async () => {
    const text = ['{"text": "Streams of data, streams of words: streaming data"}', '{"text": "Data data DATA words"}', '{"text": "the of and"}'].join('\n');
    const dim = 1 << 16;
    const sketch = createBucketSketch(dim, 4);
    const truth = Array.from({ length: dim }, () => new Map<string, number>());
    for await (const batch of readBatches([Buffer.from(text)], { format: 'text', miniBatchSize: 2, featureDim: dim })) {
      const b = batch as SparseBatch;
      for (let k = 0; k < b.indptr[b.rows]; k++) {
        const word = Buffer.from(b.words!.bytes.subarray(b.words!.offsets[k], b.words!.offsets[k + 1])).toString();
        truth[b.indices[k]].set(word, (truth[b.indices[k]].get(word) ?? 0) + b.values[k]);
      }
      await updateBucketSketch(sketch, batch);
    }
    const kept = contents(sketch);
    truth.forEach((words, bucket) => assert.deepEqual(kept[bucket], new Map([...words].map(([w, f]) => [w, [f, 0]]))));
    const names = bucketNames(sketch, dim);
    const named = names.filter((n) => n !== '').sort();
    assert.deepEqual(named, ['data', 'streaming', 'streams', 'words']);
    assert.equal(truth.flatMap((m) => [...m.values()]).reduce((a, b) => a + b, 0), 10);
  });

  it('names a bucket by up to maxWords words, largest counts first, and leaves empty buckets empty', async () => {
    const sketch = createBucketSketch(3, 4);
    await updateBucketSketch(sketch, namedBatch([[1, 2, 'beta'], [1, 5, 'alpha'], [1, 1, 'delta'], [1, 3, 'gamma'], [2, 1, 'ζήτα']], 3));
    assert.deepEqual(bucketNames(sketch, 3), ['', 'alpha|gamma|beta', 'ζήτα']);
    assert.deepEqual(bucketNames(sketch, 3, 1), ['', 'alpha', 'ζήτα']);
    assert.deepEqual(bucketNames(sketch, 3, 10), ['', 'alpha|gamma|beta|delta', 'ζήτα']);
    assert.throws(() => bucketNames(sketch, 4), /featureDim is 4, the sketch's is 3/);
  });

  it('keeps Space-Saving\'s guarantees on a Zipf stream (f within [count − error, count], error ≤ N/slots, heavy hitters kept)', async () => {
    const { batches, truth } = zipfStream(11, 60_000, 3000, 8);
    for (const slots of [1, 2, 4, 8]) {
      const sketch = createBucketSketch(8, slots);
      for (const batch of batches) await updateBucketSketch(sketch, batch);
      assertGuarantees(sketch, truth, slots, `one pass, ${slots} slots`);
      // The stream is skewed enough that every bucket has heavy hitters to find.
      assert.ok(contents(sketch).every((kept) => kept.size === slots));
    }
  });

  it('a large batch is counted off the event loop and gives what small batches give', async () => {
    const { batches, truth } = zipfStream(5, 40_000, 500, 16);
    const entries: [number, number, string][] = [];
    for (const b of batches) {
      for (let k = 0; k < b.indptr[1]; k++) entries.push([b.indices[k], b.values[k], Buffer.from(b.words!.bytes.subarray(b.words!.offsets[k], b.words!.offsets[k + 1])).toString()]);
    }
    const whole = namedBatch(entries, 16);
    const inOne = createBucketSketch(16);
    const pending = updateBucketSketch(inOne, whole);
    let settled = false;
    void pending.then(() => { settled = true; });
    await Promise.resolve();
    // Inline work would have settled by now (the promise of a kernel run inline is resolved on return).
    assert.equal(settled, false, 'a 40,000-entry update runs on a libuv thread');
    await pending;
    const inMany = createBucketSketch(16);
    for (const batch of batches) await updateBucketSketch(inMany, batch);
    for (const name of Object.keys(inOne)) assert.ok(tensorsEqual(inOne[name], inMany[name]), name);
    assertGuarantees(inOne, truth, 4, 'one batch');
  });

  it('merges two halves into what keeps the guarantees over the whole; exact when the words fit; order-independent', async () => {
    const slots = 4;
    const { batches, truth } = zipfStream(23, 60_000, 3000, 8);
    const half = batches.length / 2;
    const first = createBucketSketch(8, slots);
    const second = createBucketSketch(8, slots);
    const third = createBucketSketch(8, slots);
    for (const [i, batch] of batches.entries()) await updateBucketSketch(i < half ? first : i < half * 1.5 ? second : third, batch);
    const merged = Object.fromEntries(Object.entries(first).map(([n, t]) => [n, cloneTensor(t)]));
    mergeBucketSketches(merged, [second, third]);
    assertGuarantees(merged, truth, slots, 'merged');
    const onePass = createBucketSketch(8, slots);
    for (const batch of batches) await updateBucketSketch(onePass, batch);
    // The heavy hitters of one pass are the merged sketch's too.
    contents(onePass).forEach((kept, bucket) => {
      const total = [...truth[bucket].values()].reduce((a, b) => a + b, 0);
      for (const [word] of kept) if ((truth[bucket].get(word) ?? 0) > total / slots) assert.ok(contents(merged)[bucket].has(word), word);
    });
    // Any order of the same sketches gives the same bytes.
    const other = Object.fromEntries(Object.entries(third).map(([n, t]) => [n, cloneTensor(t)]));
    mergeBucketSketches(other, [first, second]);
    for (const name of Object.keys(merged)) assert.ok(tensorsEqual(merged[name], other[name]), `${name}: merge order`);
    // Few words per bucket: the merge is the one-pass count, exactly.
    const small = zipfStream(3, 4000, 12, 4);
    const [a, b, whole] = [createBucketSketch(4), createBucketSketch(4), createBucketSketch(4)];
    for (const [i, batch] of small.batches.entries()) {
      await updateBucketSketch(i % 2 ? a : b, batch);
      await updateBucketSketch(whole, batch);
    }
    mergeBucketSketches(a, [b]);
    assert.deepEqual(contents(a).map((m) => new Map([...m].sort())), contents(whole).map((m) => new Map([...m].sort())));
    assert.deepEqual(contents(a).map((m) => [...m.values()].every(([, error]) => error === 0)), [true, true, true, true]);
  });

  it('round-trips through a checkpoint (safetensors) with its names', async () => {
    const sketch = createBucketSketch(5, 2);
    await updateBucketSketch(sketch, namedBatch([[0, 3, 'naïve'], [0, 1, 'x'.repeat(32)], [4, 2, '東京']], 5));
    const bytes = encodeStoredObject({ kind: 'state', algorithm: 'ntm', hyperparameters: {}, schema: { featureDim: 5, labelSize: 0 }, tensors: sketch, scalars: {} });
    const back = decodeStoredObject(bytes, { kind: 'state' }).tensors;
    for (const name of Object.keys(sketch)) assert.ok(tensorsEqual(sketch[name], back[name]), name);
    assert.deepEqual(bucketNames(back, 5), ['naïve|' + 'x'.repeat(32), '', '', '', '東京']);
  });

  it('refuses a bad batch before changing anything, and ignores batches without words', async () => {
    const sketch = createBucketSketch(4);
    const before = cloneTensor(sketch.bucket_counts);
    await assert.rejects(updateBucketSketch(sketch, namedBatch([[1, 1, 'fine'], [4, 1, 'outside']], 4)), /bucket sketch: batch entry 1 has bucket 4, expected < 4 \(feature_dim\)/);
    await assert.rejects(updateBucketSketch(sketch, namedBatch([[1, -1, 'negative']], 4)), /entry 0 has count -1\.0+; counts must be finite and non-negative/);
    await assert.rejects(updateBucketSketch(sketch, namedBatch([[1, 1, 'y'.repeat(33)]], 4)), /entry 0 has a word of 33 bytes; at most 32 are kept/);
    assert.ok(tensorsEqual(before, sketch.bucket_counts));
    await updateBucketSketch(sketch, { kind: 'dense', rows: 1, cols: 4, values: new Float32Array(4) });
    const unnamed = namedBatch([[1, 1, 'w']], 4);
    delete unnamed.words;
    await updateBucketSketch(sketch, unnamed);
    assert.ok(tensorsEqual(before, sketch.bucket_counts));
    assert.throws(() => mergeBucketSketches(sketch, [createBucketSketch(4, 3)]), /source 0 is \[4, 3\], target \[4, 4\]/);
    assert.throws(() => bucketNames({}, 4), /no bucket_words tensor/);
  });
});
