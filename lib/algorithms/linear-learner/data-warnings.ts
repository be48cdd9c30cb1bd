// Data the linear learner trains on without error but cannot use well: sparse
// input is never centred (SageMaker's rule: centring would make every zero a
// non-zero), and its features are scaled by the RMS of their non-zero values.
// A feature whose non-zero values sit far from 0 with a small spread (a
// timestamp, a price near 1e6) is then ≈ 1 in every row that has it: its
// variation is invisible to the model, which may learn nothing (AUC 0.5).
import { counter, type LinearLearnerState } from './state.js';
import { resolveSettings } from './settings.js';

/** Spread ÷ |mean| of the non-zero values below which a varying feature looks constant once scaled. */
const relativeSpread = 1e-3;
/** Above float32's rounding of the values themselves: a spread this small is one-hot noise, not signal. */
const roundingSpread = 1e-6;

/** Warnings (one line each, at most a few features named) about the sampled data; none for dense or centred input. */
export function linearLearnerDataWarnings(state: LinearLearnerState): string[] {
  const r = resolveSettings(state.hyperparameters, state.schema);
  const t = state.tensors;
  if (!state.schema.sparse || r.kernel.unbiasData || !r.kernel.normalizeData || !t.feature_nonzero || !t.feature_sum) return [];
  const n = (t.counters.data as Float64Array)[counter.scalerRows];
  const flat = flatFeatures(state, n);
  if (flat.length === 0) return [];
  const named = flat.slice(0, 3).map(({ j, mean, spread }) => `${j} (${mean.toPrecision(4)} ± ${spread.toPrecision(2)})`);
  const more = flat.length > 3 ? ` and ${flat.length - 3} more` : '';
  return [`linear-learner: features ${named.join(', ')}${more} (0-based) vary by less than ${relativeSpread} of their size among their non-zero values: ` +
    'sparse input is not centred, so once scaled they are ≈ 1 wherever present and the model cannot use how they vary. ' +
    'Subtract their typical value before training, or give the rows as dense (centred by default, unbias_data)'];
}

/** Features whose non-zero values vary, but by a tiny fraction of their mean (moments from the scaler's sums about its origin). */
function flatFeatures(state: LinearLearnerState, n: number): { j: number; mean: number; spread: number }[] {
  const sum = state.tensors.feature_sum.data as Float64Array;
  const sumsq = state.tensors.feature_sumsq.data as Float64Array;
  const nonzero = state.tensors.feature_nonzero.data as Float64Array;
  const origin = state.tensors.scaler_origin?.data as Float64Array | undefined;
  const found: { j: number; mean: number; spread: number }[] = [];
  for (let j = 0; j < sum.length; j++) {
    const count = nonzero[j];
    if (!(count > 1)) continue;
    const o = origin ? origin[j] : 0;
    // The zeros' share of the sums is (0 − o) each: what is left is over the non-zero values.
    const s1 = (sum[j] + (n - count) * o) / count;
    const s2 = (sumsq[j] - (n - count) * o * o) / count;
    const mean = o + s1;
    const spread = Math.sqrt(Math.max(0, s2 - s1 * s1));
    const scale = Math.abs(mean);
    if (spread > roundingSpread * scale && spread < relativeSpread * scale) found.push({ j, mean, spread });
  }
  return found;
}
