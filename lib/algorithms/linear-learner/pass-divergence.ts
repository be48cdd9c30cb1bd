// Models that diverged over later passes. Selection without a validation channel reads the first
// pass's progressive sums (later passes score rows the model has trained on), so a model whose
// steps were too large for many passes was chosen by how it did in the first, and written out: an
// sgd regressor at learning_rate 1 had a mean squared error of 16 in pass 1 and 10^16 on its own
// training rows after pass 15, exit 0 and no word. Each model's loss over the second pass and over
// the last whole pass (state.ts, pass sums) says so.
//
// The reference is the larger of the first and second passes' mean losses, not the first alone:
// on rows sorted by label, or drifting in time, the first pass scores each row right after its
// like (a mean squared error of 0.002 where the noise alone gives 1.0), and every later pass, from
// the second on, sits at the noise floor; ten times the first pass called such a model diverged.
import { DegenerateDataError } from '../degenerate-data.js';
import { resolveSettings } from './settings.js';
import type { LinearLearnerState } from './state.js';

/** How many times its reference mean loss a model's last pass may reach before it counts as diverged. */
export const laterDivergenceFactor = 10;

export interface LaterDivergence {
  /** The reference mean loss (the larger of passes 1 and 2) and the last whole pass's, per model that diverged. */
  models: Map<number, { reference: number; last: number }>;
  /** The last whole pass (1-based). */
  pass: number;
}

const meanOf = (state: LinearLearnerState, prefix: string, m: number) => {
  const weight = (state.tensors[`${prefix}_weight`]?.data as Float64Array | undefined)?.[0] ?? 0;
  return weight > 0 ? (state.tensors[`${prefix}_loss`].data as Float64Array)[m] / weight : NaN;
};

/**
 * The models whose mean loss over the last whole pass is not finite or over laterDivergenceFactor
 * times their reference; none before three passes are complete (the second pass is the reference's,
 * and a state from before the pass sums has none).
 */
export function laterDivergence(state: LinearLearnerState): LaterDivergence {
  const models = new Map<number, { reference: number; last: number }>();
  const passes = Number(state.scalars.passes ?? 0);
  const second = state.tensors.second_pass_weight?.data as Float64Array | undefined;
  const last = state.tensors.last_pass_weight?.data as Float64Array | undefined;
  if (passes < 3 || !(second?.[0]! > 0) || !(last?.[0]! > 0)) return { models, pass: passes };
  for (let m = 0; m < (state.tensors.last_pass_loss.data as Float64Array).length; m++) {
    const first = meanOf(state, 'progressive', m);
    // A first pass that diverged is the progressive sums' to judge (selection leaves non-finite losses out).
    if (!Number.isFinite(first)) continue;
    const reference = Math.max(first, meanOf(state, 'second_pass', m));
    const lastMean = meanOf(state, 'last_pass', m);
    // A second or last pass that is not finite counts as diverged (NaN compares false).
    if (!(lastMean <= laterDivergenceFactor * reference + 1e-12)) models.set(m, { reference, last: lastMean });
  }
  return { models, pass: passes };
}

/**
 * The error of a chosen model that diverged in later passes: every model of the grid did, or none
 * was left with a finite loss (`kept` false), or it is the one `select` asked for.
 */
export function laterDivergenceError(state: LinearLearnerState, model: number, found: LaterDivergence, kept: boolean): DegenerateDataError {
  const { reference, last } = found.models.get(model)!;
  const grid = (state.tensors.learning_rate.data as Float32Array).length;
  const rate = Number((state.tensors.learning_rate.data as Float32Array)[model].toPrecision(4));
  const optimizer = resolveSettings(state.hyperparameters, state.schema).optimizer;
  const which = grid === 1 || kept ? `model ${model}`
    : found.models.size === grid ? `every model of the grid (${grid}) did; model ${model}, the one selection chose,`
    : `no model of the grid kept a finite loss without (the others diverged in their first passes); model ${model}, the one selection chose,`;
  return new DegenerateDataError(`linear-learner: training diverged after the first passes: ${which} had a mean loss of ` +
    `${last.toPrecision(4)} over pass ${found.pass} against ${reference.toPrecision(4)} over passes 1 and 2 (over ${laterDivergenceFactor}×): ` +
    `its steps (learning_rate ${rate}) were too large for this many passes. Lower learning_rate or epochs` +
    (optimizer === 'adagrad' ? '' : `, or train with optimizer adagrad (the default; this run's is ${optimizer}), whose steps shrink as its gradients add up`));
}
