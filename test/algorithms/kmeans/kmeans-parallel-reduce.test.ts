// The K → k reduction's trials run in parallel (native/algorithms/kmeans/kmeans_reduce.cc): the
// result must be the sequential loop's to the byte, whatever the thread count, including inputs
// where the seeding runs out of points and a trial's guessed stream start is wrong.
import assert from 'node:assert/strict';
import { loadCoreAddon } from '../../../lib/index.js';
import { runReduceFingerprint } from '../../fixtures/reduce-fingerprint.js';

// sha256 of the outputs below as computed by the sequential reduction (main at e982666, before the
// trials ran in parallel), with BOUNDLESS_NUM_THREADS=1 and 2 alike, was 493c5092…de37. Squared
// distances became float64 throughout (the robust branch: float32 ones overflowed on data near
// 1e30), which changes the reduction's costs and cached k-means++ distances in their last bits;
// this is the digest since, equal on 1, 2 and 3 threads, synchronous and asynchronous alike.
const sequentialDigest = 'f454cf0072f44f79ff041eb8cdb5269942df83fa40b96f3d21af25c2b611be9f';

const fingerprint = `
  import { createHash } from 'node:crypto';
  import { createBackend, denseBatch, kmeans, loadCoreAddon, parseHyperparameters, Random } from './lib/index.js';
  const backend = await createBackend('cpu');
  const addon = loadCoreAddon();
  const hash = createHash('sha256');
  const add = (a) => hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  // A: a state fit on 6-d clustered rows; models for three k from its 60 weighted centres (40 trials).
  const d = 6, random = Random.fromSeed(9);
  const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 5, extra_center_factor: 12, local_lloyd_num_trials: 40, seed: 11 }),
    { featureDim: d, labelSize: 0 }, backend);
  for (let b = 0; b < 20; b++) {
    const x = new Float32Array(100 * d);
    for (let i = 0; i < x.length; i++) x[i] = ((Math.floor(i / d) * 7) % 5) * 3 + random.nextGaussian();
    await kmeans.update(state, denseBatch(x, d), backend);
  }
  for (const k of [4, 5, 7]) {
    const m = (await kmeans.finalize(state, backend, { k })).data();
    for (const t of Object.values(m.tensors)) add(t.data);
    hash.update(JSON.stringify(m.scalars));
  }
  // B: 40 points with 4 distinct values, some weighing 0, reduced to 6 (the seeding runs out of points).
  const points = Float32Array.from({ length: 40 * 3 }, (_, i) => (Math.floor(i / 3) % 4) * 2 + (i % 3));
  const weights = Float64Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? 0 : 1 + (i % 5)));
  for (const plus of [true, false]) {
    const r = await addon.REDUCE(points, weights, 40, 3, 6, plus, 50, 1e-4, 9, 3);
    add(r.centers); add(r.mass); hash.update(JSON.stringify([r.cost, r.iterations]));
  }
  // C: 3000 points (past the distance cache), k = 8, 6 trials.
  const many = Float32Array.from({ length: 3000 * 3 }, (_, i) => Math.sin(i * 0.37) * 4 + (i % 5));
  const r = await addon.REDUCE(many, new Float64Array(3000).fill(1.5), 3000, 3, 8, true, 100, 1e-6, 6, 12);
  add(r.centers); add(r.mass); hash.update(JSON.stringify([r.cost, r.iterations]));
  console.log(JSON.stringify({ threads: addon.runtimeInfo().threads, sha256: hash.digest('hex') }));`;

const run = (threads: number, reduce: 'kmeansReduce' | 'kmeansReduceAsync') => runReduceFingerprint(fingerprint, threads, reduce);

describe('kmeans reduction trials in parallel', function () {
  this.timeout(120_000);

  it('give the sequential reduction\'s bytes on 1, 2 and 3 threads, synchronously and off the event loop', () => {
    assert.deepEqual(run(1, 'kmeansReduceAsync'), { threads: 1, sha256: sequentialDigest });
    assert.deepEqual(run(2, 'kmeansReduceAsync'), { threads: 2, sha256: sequentialDigest });
    assert.deepEqual(run(3, 'kmeansReduce'), { threads: 3, sha256: sequentialDigest });
  });

  it('rejects a k the points cannot give, naming the function', async () => {
    const addon = loadCoreAddon();
    const points = new Float32Array(8);
    const weights = new Float64Array(4).fill(1);
    await assert.rejects(async () => addon.kmeansReduceAsync(points, weights, 4, 2, 5, true, 10, 1e-4, 3, 1),
      { name: 'RangeError', message: 'kmeansReduceAsync: k must be in 1..4 (the weighted centres held)' });
    assert.throws(() => addon.kmeansReduce(points, weights, 4, 2, 0, true, 10, 1e-4, 3, 1),
      { name: 'RangeError', message: 'kmeansReduce: k must be in 1..4 (the weighted centres held)' });
    await assert.rejects(async () => addon.kmeansReduceAsync(points, weights, 5, 2, 2, true, 10, 1e-4, 3, 1), /kmeansReduceAsync: points has length 8, expected 10/);
  });
});
