// The K → k reduction in the points' span (native/algorithms/kmeans/kmeans_gram.cc): with at most
// half as many points as features, the trials run on the points' centred Gram matrix. Its
// results must be those of the reduction in full space (the bytes below were computed by it,
// before the span existed), repeat on any thread count, and keep their accuracy far from the origin.
import assert from 'node:assert/strict';
import { loadCoreAddon, Random } from '../../../lib/index.js';
import { runReduceFingerprint } from '../../fixtures/reduce-fingerprint.js';

// sha256 of the outputs below (centres, masses, costs, iterations) from the full-space reduction
// (main at 4ee0be9), on 1 and 2 threads, synchronously and off the event loop alike.
const fullSpaceDigest = '13f1bec94dd5bceff78e031b9c0515bb5842379a09c4f45dc8620d489234394d';

const fingerprint = `
  import { createHash } from 'node:crypto';
  import { loadCoreAddon, Random } from './lib/index.js';
  const addon = loadCoreAddon();
  const hash = createHash('sha256');
  const add = (a) => hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const random = Random.fromSeed(21);
  // 60 weighted points of 400 features around 5 centres (120 ≤ 400: the span), k-means++ and random seeding.
  const count = 60, dim = 400, points = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) points[i * dim + j] = ((i % 5) === j % 7 ? 4 : 0) + random.nextGaussian();
  const weights = Float64Array.from({ length: count }, (_, i) => (i % 11 === 4 ? 0 : 1 + (i % 3)));
  const reduce = async (p, w, c, d, k, plus, trials) => {
    const r = await addon.REDUCE(p, w, c, d, k, plus, 100, 1e-6, trials, 5);
    add(r.centers); add(r.mass); hash.update(JSON.stringify([r.cost, r.iterations]));
  };
  for (const [k, plus, trials] of [[5, true, 7], [8, true, 5], [5, false, 4]]) await reduce(points, weights, count, dim, k, plus, trials);
  // Where distances from the Gram matrix cancel, the span declines and full space decides:
  // an outlier 10^10 out on one feature (its Gram entries 10^20, the others' distances about 10^3),
  // and one at 3.4·10^38 (the others' distances all round to 0).
  for (const far of [1e10, 3.4e38]) {
    const outlying = points.slice();
    outlying[7 * dim + 3] = far;
    for (const k of [5, 12]) await reduce(outlying, weights, count, dim, k, true, 3);
  }
  // Weights of 10^-170 (a forgetting state's oldest centres): a cluster's total squared underflowed.
  await reduce(points, weights.map((w) => w * 1e-170), count, dim, 6, true, 3);
  console.log(JSON.stringify({ threads: addon.runtimeInfo().threads, sha256: hash.digest('hex') }));`;

const run = (threads: number, reduce: 'kmeansReduce' | 'kmeansReduceAsync') => runReduceFingerprint(fingerprint, threads, reduce);

describe('kmeans reduction in the points\' span', function () {
  this.timeout(120_000);

  it('gives the full-space reduction\'s bytes on 1, 2 and 3 threads, synchronously and off the event loop', () => {
    for (const threads of [1, 2, 3]) {
      const result = run(threads, threads === 2 ? 'kmeansReduceAsync' : 'kmeansReduce');
      assert.equal(result.threads, threads);
      assert.equal(result.sha256, fullSpaceDigest, `${threads} threads`);
    }
  });

  it('finds clusters 10⁴ from the origin in 2,000 features, its cost that of the exact distances', async () => {
    const addon = loadCoreAddon();
    const random = Random.fromSeed(3);
    const count = 40, dim = 2000, k = 4;
    const points = new Float32Array(count * dim);
    // Cluster c sits 10⁴ out on every feature, plus 0.5 on its own quarter of them; noise 0.01.
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < dim; j++) points[i * dim + j] = 1e4 + (Math.floor(j / (dim / k)) === i % k ? 0.5 : 0) + 0.01 * random.nextGaussian();
    }
    const weights = Float64Array.from({ length: count }, (_, i) => 1 + (i % 3));
    const r = addon.kmeansReduce(points, weights, count, dim, k, true, 100, 1e-8, 5, 1);
    // Each centre holds one cluster's whole weight.
    const clusterWeight = [0, 1, 2, 3].map((c) => weights.filter((_, i) => i % k === c).reduce((a, b) => a + b, 0));
    assert.deepEqual([...r.mass].sort((a, b) => a - b), [...clusterWeight].sort((a, b) => a - b));
    // Centres are the clusters' weighted means (float32 at 10⁴: ulp ≈ 0.001).
    for (let c = 0; c < k; c++) {
      const centre = r.centers.subarray(c * dim, (c + 1) * dim);
      const own = centre.indexOf(Math.max(...centre));
      const cluster = Math.floor(own / (dim / k));
      for (let j = 0; j < dim; j += 97) {
        let sum = 0, total = 0;
        for (let i = cluster; i < count; i += k) { sum += weights[i] * points[i * dim + j]; total += weights[i]; }
        assert.ok(Math.abs(centre[j] - sum / total) <= 2e-3, `centre ${c} feature ${j}: ${centre[j]} vs ${sum / total}`);
      }
    }
    // The cost returned is that of these (float32) centres, as Score measures it: every distance in
    // float64 directly. Noise of 0.01 on 2,000 features gives 0.2 per unit weight; the rest is the
    // centres' float32 rounding at 10⁴.
    const scored = await addon.kmeansScore(points, weights, count, dim, r.centers, k);
    assert.ok(Math.abs(r.cost - scored.cost) <= 1e-6 * scored.cost, `${r.cost} vs ${scored.cost}`);
    assert.ok(scored.cost > 0.1 && scored.cost < 20, `cost ${scored.cost}`);
  });

  it('rejects non-finite points with the reduction\'s error', () => {
    const points = new Float32Array(10 * 50).fill(1);
    points[7] = Number.POSITIVE_INFINITY;
    assert.throws(() => loadCoreAddon().kmeansReduce(points, new Float64Array(10).fill(1), 10, 50, 2, true, 10, 1e-4, 2, 1),
      /no trial of the k-means reduction has a finite cost: the held centres or their weights are not finite/);
  });
});
