// Rows whose every feature is one value: the models can learn only the labels' base rate, one
// prediction for every row. The scaler's sample (its first num_point_for_scaler rows) tells it:
// exactly when the sample held the whole pass (an error then, index.ts), and as a warning of what
// the sample saw when the stream went on past it (data-warnings.ts).
import { counter, type LinearLearnerState } from './state.js';

export interface ConstantSample {
  /** The sample's rows. */
  rows: number;
  features: number;
  /** Every feature 0 in every row of the sample. */
  zero: boolean;
}

/** The sample's account when every feature was one value in every row of it; undefined otherwise. */
export function constantSample(state: LinearLearnerState): ConstantSample | undefined {
  const sum = state.tensors.feature_sum?.data as Float64Array | undefined;
  const sumsq = state.tensors.feature_sumsq?.data as Float64Array | undefined;
  const nonzero = state.tensors.feature_nonzero?.data as Float64Array | undefined;
  const rows = (state.tensors.counters.data as Float64Array)[counter.scalerRows];
  if (!sum || !sumsq || !(rows > 1)) return undefined;
  // Dense rows' sums are about the first row: 0 where every row holds its value. Sparse rows' are
  // about 0: a feature in no row has none, and one in every row with one value (1:5 in each) has
  // n·Σx² = (Σx)², within the sums' rounding.
  const constant = (j: number) => sumsq[j] === 0 ||
    (nonzero !== undefined && nonzero[j] === rows && Math.abs(rows * sumsq[j] - sum[j] * sum[j]) <= 1e-12 * rows * sumsq[j]);
  for (let j = 0; j < sumsq.length; j++) if (!constant(j)) return undefined;
  const origin = state.tensors.scaler_origin?.data as Float64Array | undefined;
  const zero = sumsq.every((v) => v === 0) && (!origin || origin.subarray(0, sumsq.length).every((v) => v === 0));
  return { rows, features: sumsq.length, zero };
}

/** How a message names the features: "3 features, all 0". */
export function featuresShown(c: ConstantSample): string {
  return `${c.features.toLocaleString('en-US')} feature${c.features === 1 ? '' : 's'}${c.zero ? ', all 0' : ''}`;
}
