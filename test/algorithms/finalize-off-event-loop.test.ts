// Heavy finalize work runs off the event loop: a timer keeps firing while PCA solves a large
// covariance (O(d³)) and while k-means runs many reduction trials. A finalize that blocked the
// loop would let no tick through until it returned; the longest gap between ticks is bounded by
// the JS parts of finalize (O(d²) and less), a small share of the whole.
import assert from 'node:assert/strict';
import { Random, createBackend, denseBatch, kmeans, parseHyperparameters, pca, type Backend, type Model } from '../../lib/index.js';

/** Runs finalize with a 1 ms interval ticking; returns the ticks during it, the longest gap between them, and its duration. */
async function whileTicking(finalize: () => Promise<Model> | Model): Promise<{ ticks: number; longestGap: number; elapsed: number }> {
  let ticks = 0;
  let last = performance.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 1);
  const start = performance.now();
  last = start;
  try {
    await finalize();
  } finally {
    clearInterval(timer);
  }
  const elapsed = performance.now() - start;
  return { ticks, longestGap: Math.max(longestGap, performance.now() - last), elapsed };
}

describe('finalize off the event loop', function () {
  this.timeout(120_000);
  let backend: Backend;
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  function assertResponsive(label: string, r: { ticks: number; longestGap: number; elapsed: number }): void {
    // Heavy enough that a blocking finalize would have been seen (the interval is 1 ms).
    assert.ok(r.elapsed > 100, `${label}: finalize took ${r.elapsed.toFixed(0)} ms; make the case heavier`);
    assert.ok(r.ticks >= 10, `${label}: ${r.ticks} ticks in ${r.elapsed.toFixed(0)} ms`);
    assert.ok(r.longestGap < r.elapsed / 2, `${label}: the event loop was held ${r.longestGap.toFixed(0)} ms of ${r.elapsed.toFixed(0)} ms`);
  }

  it('PCA (regular, d = 700): the eigensolve runs on a libuv thread', async () => {
    const d = 700;
    const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 700 }), { featureDim: d, labelSize: 0 }, backend);
    const random = Random.fromSeed(3);
    const x = Float32Array.from({ length: 800 * d }, () => random.nextGaussian());
    await pca.update(state, denseBatch(x, d), backend);
    assertResponsive('pca', await whileTicking(() => pca.finalize(state, backend)));
  });

  it('k-means (500 trials of 50 from 500 held centres): the reduction runs on a libuv thread', async () => {
    const d = 64, k = 50;
    const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k, extra_center_factor: 10, local_lloyd_num_trials: 500 }),
      { featureDim: d, labelSize: 0 }, backend);
    const random = Random.fromSeed(5);
    const truth = Float32Array.from({ length: 200 * d }, () => 10 * random.nextGaussian());
    for (let b = 0; b < 10; b++) {
      const x = new Float32Array(1000 * d);
      for (let r = 0; r < 1000; r++) {
        const c = Math.floor(random.nextFloat() * 200);
        for (let j = 0; j < d; j++) x[r * d + j] = truth[c * d + j] + random.nextGaussian();
      }
      await kmeans.update(state, denseBatch(x, d), backend);
    }
    assert.equal((state.tensors.model_counters.data as Float64Array)[0], 0, 'the refined model has not started: finalize reduces');
    assertResponsive('kmeans', await whileTicking(() => kmeans.finalize(state, backend)));
  });
});
