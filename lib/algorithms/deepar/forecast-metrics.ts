// DeepAR's test metrics as SageMaker reports them (RMSE, ND, wQuantileLoss[τ] and their mean;
// the definitions of GluonTS's Evaluator, which SageMaker DeepAR uses), accumulated series by
// series into a fixed number of float64 sums so that a test channel of any size is scored in
// constant memory. Forecasts are summarized from sample paths: the mean path, and quantiles
// interpolated between order statistics as numpy's default ('linear') method does.

/** The sample paths [paths × steps], row-major, checked against their stated shape. */
function checkSamples(samples: Float32Array, paths: number, steps: number): void {
  if (!Number.isInteger(paths) || paths < 1) throw new RangeError(`paths must be a positive integer, got ${paths}`);
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
  if (samples.length !== paths * steps) {
    throw new RangeError(`samples hold ${samples.length} values, not paths × steps = ${paths} × ${steps}`);
  }
}

function checkOut(out: Float32Array | undefined, steps: number): Float32Array {
  if (out === undefined) return new Float32Array(steps);
  if (out.length !== steps) throw new RangeError(`out holds ${out.length} values, not steps = ${steps}`);
  return out;
}

/** Copies step p of every path into column[0, paths) and sorts it; a NaN sorts last. */
function sortColumn(samples: Float32Array, paths: number, steps: number, p: number, column: Float64Array): void {
  for (let s = 0; s < paths; s++) column[s] = samples[s * steps + p];
  column.subarray(0, paths).sort();
}

/**
 * Quantile q of sorted[0, n) by numpy's 'linear' method: position h = (n − 1)·q, interpolated
 * between the order statistics either side of it. numpy's lerp form is kept (from the upper
 * end when the fraction is ≥ ½) so that float64 results agree with numpy to the last bit.
 * NaN when the column holds a NaN, as numpy gives.
 */
function quantileOfSorted(sorted: Float64Array, n: number, q: number): number {
  if (Number.isNaN(sorted[n - 1])) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h), hi = Math.min(lo + 1, n - 1), t = h - lo;
  const a = sorted[lo], b = sorted[hi], d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/**
 * Quantile q ∈ [0, 1] of each step over sample paths: samples [paths × steps] row-major (path s,
 * step p at s·steps + p), out [steps]. Linear interpolation between order statistics, numpy's
 * default method (np.quantile(samples, q, axis=0)). A step with a NaN sample gives NaN.
 * RangeError for q outside [0, 1], a shape that does not match, or out of another length.
 */
export function sampleQuantiles(samples: Float32Array, paths: number, steps: number, q: number, out?: Float32Array): Float32Array {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  checkSamples(samples, paths, steps);
  const result = checkOut(out, steps);
  const column = new Float64Array(paths);
  for (let p = 0; p < steps; p++) {
    sortColumn(samples, paths, steps, p, column);
    result[p] = quantileOfSorted(column, paths, q);
  }
  return result;
}

/** The mean path: out[p] = mean over paths of samples[s·steps + p], summed in float64. Shapes as sampleQuantiles. */
export function sampleMean(samples: Float32Array, paths: number, steps: number, out?: Float32Array): Float32Array {
  checkSamples(samples, paths, steps);
  const result = checkOut(out, steps);
  for (let p = 0; p < steps; p++) {
    let sum = 0;
    for (let s = 0; s < paths; s++) sum += samples[s * steps + p];
    result[p] = sum / paths;
  }
  return result;
}

/** τ as Python's str(float) writes it (SageMaker's metric names): 0.1, 0.5, 1e-05. */
export function pythonFloatName(x: number): string {
  if (x !== 0 && Math.abs(x) < 1e-4) {
    // Python switches to exponent form below 1e-4 (JS only below 1e-6), with a 2-digit exponent.
    return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(x);
}

/**
 * SageMaker DeepAR's test metrics over every series and horizon point together:
 *   RMSE = sqrt(mean (y − mean forecast)²)
 *   ND = Σ|y − median forecast| / Σ|y|
 *   wQuantileLoss[τ] = 2·Σ[τ·max(y − q_τ, 0) + (1 − τ)·max(q_τ − y, 0)] / Σ|y|
 *   mean_wQuantileLoss = the mean of wQuantileLoss over the test quantiles.
 * The median is the 0.5 sample quantile whether or not 0.5 is a test quantile. Memory is fixed:
 * 4 + quantiles float64 sums, and one column of scratch per path.
 *
 * GluonTS's aggregate RMSE is sqrt of the mean over series of each series' MSE; it equals this
 * one when every series has the same number of non-missing horizon points.
 */
export class ForecastMetrics {
  private readonly quantiles: readonly number[];
  private squaredError = 0;
  private points = 0;
  private absTarget = 0;
  private absError = 0;
  private readonly quantileLoss: Float64Array;
  private column = new Float64Array(0);

  /** quantiles: the test quantiles τ, e.g. [0.1, …, 0.9]. RangeError naming a τ outside (0, 1) or repeated, or an empty list. */
  constructor(quantiles: readonly number[]) {
    if (quantiles.length === 0) throw new RangeError('test quantiles: at least one quantile is needed');
    for (const [i, tau] of quantiles.entries()) {
      if (!(tau > 0 && tau < 1)) throw new RangeError(`test quantile ${tau} is not in (0, 1)`);
      if (quantiles.indexOf(tau) !== i) throw new RangeError(`test quantile ${tau} is listed twice`);
    }
    this.quantiles = [...quantiles];
    this.quantileLoss = new Float64Array(quantiles.length);
  }

  /**
   * Adds one series' horizon: truth y [P] (NaN = missing, left out of every sum) and its sample
   * paths [paths × P] row-major. A NaN sample at a scored point makes the metrics NaN (a broken
   * forecast should show, not vanish). RangeError when the samples' length is not paths × P.
   */
  add(truth: Float32Array, samples: Float32Array, paths: number): void {
    const steps = truth.length;
    checkSamples(samples, paths, steps);
    if (this.column.length < paths) this.column = new Float64Array(paths);
    const column = this.column;
    for (let p = 0; p < steps; p++) {
      const y = truth[p];
      if (Number.isNaN(y)) continue;
      let sum = 0;
      for (let s = 0; s < paths; s++) sum += samples[s * steps + p];
      this.squaredError += (y - sum / paths) ** 2;
      sortColumn(samples, paths, steps, p, column);
      this.absError += Math.abs(y - quantileOfSorted(column, paths, 0.5));
      this.quantiles.forEach((tau, k) => {
        const q = quantileOfSorted(column, paths, tau);
        this.quantileLoss[k] += tau * Math.max(y - q, 0) + (1 - tau) * Math.max(q - y, 0);
      });
      this.absTarget += Math.abs(y);
      this.points++;
    }
  }

  /**
   * The metrics by SageMaker's names: RMSE, ND, wQuantileLoss[0.1] … and mean_wQuantileLoss.
   * Error when no point was scored, or when every scored target is 0 (ND and the weighted
   * quantile losses divide by Σ|y| and are undefined).
   */
  result(): Record<string, number> {
    if (this.points === 0) throw new Error('forecast metrics: no test points were scored: a test series is scored on its last prediction_length values ' +
      '(the horizon, forecast from the values before them), and every one of those was missing (or there were no series)');
    if (this.absTarget === 0) {
      throw new Error('forecast metrics: every test target is 0, so ND and wQuantileLoss (which divide by Σ|y|) are undefined');
    }
    const metrics: Record<string, number> = {
      RMSE: Math.sqrt(this.squaredError / this.points),
      ND: this.absError / this.absTarget,
    };
    let sum = 0;
    this.quantiles.forEach((tau, k) => {
      const loss = 2 * this.quantileLoss[k] / this.absTarget;
      metrics[`wQuantileLoss[${pythonFloatName(tau)}]`] = loss;
      sum += loss;
    });
    metrics.mean_wQuantileLoss = sum / this.quantiles.length;
    return metrics;
  }
}
