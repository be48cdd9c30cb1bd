// DeepAR's test metrics: sample quantiles against numpy's np.quantile (default 'linear'
// method; the expected numbers were printed by numpy 2.4), the sample mean, and RMSE, ND and
// wQuantileLoss on two hand-computed series of 3 steps and 5 paths, with and without missing
// targets; the metric names SageMaker writes; the errors for undefined metrics.
import assert from 'node:assert/strict';
import { ForecastMetrics, pythonFloatName, sampleMean, sampleQuantiles } from '../../../lib/algorithms/deepar/forecast-metrics.js';

/** Row-major [paths × steps] from one array per path. */
function paths(rows: number[][]): Float32Array {
  return Float32Array.from(rows.flat());
}

function assertClose(actual: number, expected: number, what: string, tolerance = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected}`);
}

// Series A, truth [10, 20, 30]. Per step, sorted: [8 9 10 11 12], [17 18 19 22 24], [28 29 30 33 35]:
// means 10, 20, 31; medians 10, 19, 30; q0.1 (position 0.4) 8.4, 17.4, 28.4; q0.9 (position 3.6) 11.6, 23.2, 34.2.
const truthA = Float32Array.from([10, 20, 30]);
const samplesA = paths([[8, 18, 28], [9, 19, 29], [10, 22, 30], [12, 24, 33], [11, 17, 35]]);
// Series B, truth [−4, 0, 6]. Sorted: [−6 −5 −4 −3 −2], [−1 0 1 2 3], [4 5 6 6 9]:
// means −4, 1, 6; medians −4, 1, 6; q0.1 −5.6, −0.6, 4.4; q0.9 −2.4, 2.6, 7.8.
const truthB = Float32Array.from([-4, 0, 6]);
const samplesB = paths([[-5, 1, 4], [-3, 0, 6], [-4, 2, 9], [-6, -1, 5], [-2, 3, 6]]);

describe('deepar forecast metrics', () => {
  describe('sampleQuantiles', () => {
    // Two steps over 7 paths; step 0 has a tie and negative values.
    const samples = paths([[3.5, 100], [-1.25, 40], [7, 55], [2, 70], [2, 85], [10.5, 10], [0.75, 25]]);
    const numpy: [number, [number, number]][] = [
      [0, [-1.25, 10]], [0.05, [-0.6499999999999999, 14.5]], [0.1, [-0.04999999999999982, 19]],
      [0.25, [1.375, 32.5]], [0.5, [2, 55]], [0.75, [5.25, 77.5]], [0.9, [8.400000000000002, 91]],
      [0.95, [9.449999999999998, 95.49999999999999]], [1, [10.5, 100]],
    ];
    for (const [q, expected] of numpy) {
      it(`q = ${q} equals np.quantile(samples, ${q}, axis=0) in float32`, () => {
        assert.deepEqual(Array.from(sampleQuantiles(samples, 7, 2, q)), expected.map(Math.fround));
      });
    }

    it('an even number of paths: np.quantile([1, 4, 2, 8], [0.1, 0.3, 0.5, 0.9]) = 1.3, 1.9, 3, 6.8', () => {
      const four = Float32Array.from([1, 4, 2, 8]);
      assert.deepEqual([0.1, 0.3, 0.5, 0.9].map((q) => sampleQuantiles(four, 4, 1, q)[0]), [1.3, 1.9, 3, 6.800000000000001].map(Math.fround));
    });

    it('writes into out, and a step with a NaN sample is NaN as in numpy', () => {
      const out = new Float32Array(2);
      const returned = sampleQuantiles(Float32Array.from([1, 5, NaN, 6, 2, 7]), 3, 2, 0.5, out);
      assert.equal(returned, out);
      assert.ok(Number.isNaN(out[0]));
      assert.equal(out[1], 6);
    });

    it('a single path is its own quantile at every level', () => {
      assert.deepEqual(Array.from(sampleQuantiles(Float32Array.from([3, -2]), 1, 2, 0.9)), [3, -2]);
    });

    it('RangeError for q outside [0, 1], a mismatched shape, or out of another length', () => {
      const s = new Float32Array(6);
      assert.throws(() => sampleQuantiles(s, 3, 2, 1.5), /quantile must be in \[0, 1\], got 1.5/);
      assert.throws(() => sampleQuantiles(s, 3, 2, NaN), RangeError);
      assert.throws(() => sampleQuantiles(s, 4, 2, 0.5), /6 values, not paths × steps = 4 × 2/);
      assert.throws(() => sampleQuantiles(s, 0, 0, 0.5), /paths must be a positive integer/);
      assert.throws(() => sampleQuantiles(s, 3, 2, 0.5, new Float32Array(3)), /out holds 3 values, not steps = 2/);
    });
  });

  it('sampleMean: the mean of each step over the paths', () => {
    assert.deepEqual(Array.from(sampleMean(samplesA, 5, 3)), [10, 20, 31]);
    assert.deepEqual(Array.from(sampleMean(samplesB, 5, 3)), [-4, 1, 6]);
  });

  describe('ForecastMetrics', () => {
    it('two series of 3 steps, 5 paths: RMSE, ND and wQuantileLoss by hand', () => {
      const metrics = new ForecastMetrics([0.1, 0.5, 0.9]);
      metrics.add(truthA, samplesA, 5);
      metrics.add(truthB, samplesB, 5);
      const r = metrics.result();
      assert.deepEqual(Object.keys(r).sort(), ['ND', 'RMSE', 'mean_wQuantileLoss', 'wQuantileLoss[0.1]', 'wQuantileLoss[0.5]', 'wQuantileLoss[0.9]']);
      // Mean-forecast errors 0, 0, −1 and 0, −1, 0: 2 over 6 points.
      assertClose(r.RMSE, Math.sqrt(2 / 6), 'RMSE');
      // Σ|y| = 10 + 20 + 30 + 4 + 0 + 6 = 70; median errors 0, 1, 0, 0, 1, 0.
      assertClose(r.ND, 2 / 70, 'ND');
      // τ = 0.1, every q below y: 0.1 · (1.6 + 2.6 + 1.6 + 1.6 + 0.6 + 1.6) = 0.96.
      assertClose(r['wQuantileLoss[0.1]'], 2 * 0.96 / 70, 'wQuantileLoss[0.1]');
      // τ = 0.5: half the absolute median error, so the weighted loss equals ND.
      assertClose(r['wQuantileLoss[0.5]'], 2 / 70, 'wQuantileLoss[0.5]');
      // τ = 0.9, every q above y: 0.1 · (1.6 + 3.2 + 4.2 + 1.6 + 2.6 + 1.8) = 1.5.
      assertClose(r['wQuantileLoss[0.9]'], 2 * 1.5 / 70, 'wQuantileLoss[0.9]');
      assertClose(r.mean_wQuantileLoss, (1.92 + 2 + 3) / 70 / 3, 'mean_wQuantileLoss');
    });

    it('the median is the 0.5 quantile even when 0.5 is not a test quantile', () => {
      const metrics = new ForecastMetrics([0.9]);
      metrics.add(truthA, samplesA, 5);
      assertClose(metrics.result().ND, 1 / 60, 'ND');
    });

    it('a missing target (NaN) is left out of every sum, and a NaN sample there does no harm', () => {
      const metrics = new ForecastMetrics([0.1, 0.9]);
      const samples = samplesA.slice();
      samples[2 * 3 + 1] = NaN;  // path 2, step 1
      metrics.add(Float32Array.from([10, NaN, 30]), samples, 5);
      metrics.add(truthB, samplesB, 5);
      const r = metrics.result();
      // Points A0, A2, B0, B1, B2: squared errors 0, 1, 0, 1, 0; Σ|y| = 50; median errors 0, 0, 0, 1, 0.
      assertClose(r.RMSE, Math.sqrt(2 / 5), 'RMSE');
      assertClose(r.ND, 1 / 50, 'ND');
      assertClose(r['wQuantileLoss[0.1]'], 2 * 0.1 * (1.6 + 1.6 + 1.6 + 0.6 + 1.6) / 50, 'wQuantileLoss[0.1]');
      assertClose(r['wQuantileLoss[0.9]'], 2 * 0.1 * (1.6 + 4.2 + 1.6 + 2.6 + 1.8) / 50, 'wQuantileLoss[0.9]');
    });

    it('a NaN sample at a scored point shows as NaN metrics', () => {
      const metrics = new ForecastMetrics([0.5]);
      const samples = samplesA.slice();
      samples[0] = NaN;
      metrics.add(truthA, samples, 5);
      assert.ok(Number.isNaN(metrics.result().RMSE));
    });

    it('quantiles are named as Python writes floats (SageMaker\'s metric names)', () => {
      const metrics = new ForecastMetrics([0.05, 0.25, 0.00001]);
      metrics.add(truthA, samplesA, 5);
      const names = Object.keys(metrics.result()).filter((k) => k.startsWith('wQuantileLoss'));
      assert.deepEqual(names, ['wQuantileLoss[0.05]', 'wQuantileLoss[0.25]', 'wQuantileLoss[1e-05]']);
      assert.deepEqual([0.1, 0.0001, 0.000015, 0.99].map(pythonFloatName), ['0.1', '0.0001', '1.5e-05', '0.99']);
    });

    it('RangeError naming a test quantile outside (0, 1), repeated, or none given', () => {
      assert.throws(() => new ForecastMetrics([0.1, 1]), /test quantile 1 is not in \(0, 1\)/);
      assert.throws(() => new ForecastMetrics([0, 0.5]), /test quantile 0 is not in \(0, 1\)/);
      assert.throws(() => new ForecastMetrics([NaN]), /test quantile NaN is not in \(0, 1\)/);
      assert.throws(() => new ForecastMetrics([0.5, 0.5]), /test quantile 0.5 is listed twice/);
      assert.throws(() => new ForecastMetrics([]), RangeError);
    });

    it('Error when no point was scored or every target is 0; RangeError for a mismatched series', () => {
      const metrics = new ForecastMetrics([0.5]);
      assert.throws(() => metrics.result(), /no test points were scored/);
      metrics.add(Float32Array.from([NaN, NaN, NaN]), samplesA, 5);
      assert.throws(() => metrics.result(), /no test points were scored/);
      metrics.add(Float32Array.from([0, 0, 0]), samplesA, 5);
      assert.throws(() => metrics.result(), /every test target is 0, so ND and wQuantileLoss .* are undefined/);
      assert.throws(() => metrics.add(truthA, samplesA, 4), /15 values, not paths × steps = 4 × 3/);
    });
  });
});
