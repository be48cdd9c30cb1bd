// Rows after the scaler's sample that its scaling does not fit. The linear learner scales each
// feature by the first num_point_for_scaler rows (SageMaker's scaler); a column those rows did not
// show varying — constant there, as a field that starts later in a log is, or a file sorted by it —
// is left unscaled, and its later values, thousands of times the sample's spread, threw the model
// off without a word (generated rows, a column 0 for the first 10,000 rows and ±10⁴ after: test
// log loss 9.3, accuracy 0.76; the same rows shuffled: 0.134, 0.943). The first pass counts, per
// feature, the values beyond 100 of the sample's standard deviations once scaled
// (native/algorithms/linear_learner/linear_learner_scaler_drift.h) and says so after it.
import type { Batch } from '../../data/batch.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { counter, type LinearLearnerState } from './state.js';

/** Scaled size beyond which a value counts as far (the native kScalerDriftDeviations). */
export const driftDeviations = 100;
/** A feature is named when this share of the rows after the sample, or more, held a far value of it. */
const driftShare = 0.01;
/** ... and at least this many did (a short tail after the sample says little). */
const leastFarRows = 10;

const slot = { rows: 0, features: 1 } as const;

/**
 * Adds a first-pass batch's rows after the scaler's sample into the counts. `sampledBefore`: the
 * sample's rows before the batch's update (the batch's first rows went into the sample until it was
 * complete; those are not checked against it).
 */
export async function addScalerDrift(state: LinearLearnerState, batch: Batch, sampledBefore: number, scalerPoints: number): Promise<void> {
  const drift = state.tensors.scaler_drift?.data as Float64Array | undefined;
  if (!drift || Number(state.scalars.passes ?? 0) !== 0) return;
  if (batch.kind !== 'dense' && batch.kind !== 'sparse') return;
  const sampled = (state.tensors.counters.data as Float64Array)[counter.scalerRows];
  if (sampled < scalerPoints) return;
  const first = Math.max(0, sampled - sampledBefore);
  if (first >= batch.rows) return;
  await loadCoreAddon().linearLearnerScalerDrift(drift, state.tensors.feature_shift.data as Float32Array,
    state.tensors.feature_scale.data as Float32Array, batch, first);
}

/** The warning (none, or one line) about features the scaler's sample misjudged. */
export function scalerDriftWarnings(state: LinearLearnerState): string[] {
  const drift = state.tensors.scaler_drift?.data as Float64Array | undefined;
  if (!drift) return [];
  const rows = drift[slot.rows];
  const least = Math.max(leastFarRows, driftShare * rows);
  const found: { j: number; far: number }[] = [];
  for (let j = 0; j + slot.features < drift.length; j++) {
    const far = drift[slot.features + j];
    if (far >= least) found.push({ j, far });
  }
  if (found.length === 0) return [];
  found.sort((a, b) => b.far - a.far || a.j - b.j);
  const names = Array.isArray(state.schema.featureNames) ? state.schema.featureNames as string[] : undefined;
  const sampled = (state.tensors.counters.data as Float64Array)[counter.scalerRows];
  // More rows sampled than one sample takes: shards or data-parallel workers, each with its own
  // sample and its own scaling while it counted, merged since (the sums say nothing of one sample).
  const limit = Number(state.hyperparameters.num_point_for_scaler);
  const merged = sampled > limit;
  const named = found.slice(0, 3).map(({ j, far }) => `${names?.[j] !== undefined ? `"${names[j]}" (feature ${j}, 0-based)` : `feature ${j} (0-based)`} ` +
    `${merged ? `was over ${driftDeviations} of its sample's standard deviations from its mean (or, constant there, ${driftDeviations} from its value)` : farWhere(state, j, sampled)} ` +
    `in ${far.toLocaleString('en-US')} rows`);
  const more = found.length > 3 ? `, and ${found.length - 3} more features` : '';
  const sample = merged
    ? `the first ${limit.toLocaleString('en-US')} rows (num_point_for_scaler) of each shard or worker's share (${sampled.toLocaleString('en-US')} in all)`
    : `the first ${sampled.toLocaleString('en-US')} rows (num_point_for_scaler)`;
  return [`linear-learner: the scaler took each feature's scaling from ${sample}; ` +
    `of the ${rows.toLocaleString('en-US')} rows after ${merged ? 'those' : 'them'}, ${named.join('; ')}${more}: those rows did not show how ` +
    `${found.length === 1 ? 'it varies, so its scaling does' : 'these vary, so their scaling does'} not fit the rest, and the model may be poor. ` +
    'Shuffle the input (--shuffle-buffer, or shuffle the file), or raise num_point_for_scaler'];
}

/**
 * Where a feature's far values lay, against what the sample gave it: a constant (dense) or absent
 * (sparse) feature is left unscaled, so "far" is a distance of 100 from its sample value (0 absent).
 */
function farWhere(state: LinearLearnerState, j: number, sampled: number): string {
  if (state.schema.sparse === true) {
    const nonzero = state.tensors.feature_nonzero?.data as Float64Array | undefined;
    return nonzero && nonzero[j] === 0 ? `(absent from those rows, so left unscaled) was beyond ±${driftDeviations}`
      : `was over ${driftDeviations} times the RMS of its non-zero values in those rows`;
  }
  const sum = state.tensors.feature_sum?.data as Float64Array | undefined;
  const sumsq = state.tensors.feature_sumsq?.data as Float64Array | undefined;
  // The sums are about the sample's first row: a constant feature's are exactly 0.
  const constant = sum && sumsq && sampled > 0 && sum[j] === 0 && sumsq[j] === 0;
  return constant ? `(constant in those rows, so left unscaled) was over ${driftDeviations} from that value`
    : `was over ${driftDeviations} of those rows' standard deviations from their mean`;
}
