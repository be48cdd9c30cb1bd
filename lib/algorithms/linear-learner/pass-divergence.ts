// Models that diverged after the first pass. Selection without a validation channel reads the
// first pass's progressive sums (later passes score rows the model has trained on), so a model
// whose steps were too large for many passes was chosen by how it did in the first, and written
// out: an sgd regressor at learning_rate 1 had a mean squared error of 16 in pass 1 and 10^16 on
// its own training rows after pass 15, exit 0 and no word. Each model's loss over the last whole
// pass (state.ts, last_pass_*) says so.
import { DegenerateDataError } from '../degenerate-data.js';
import { resolveSettings } from './settings.js';
import type { LinearLearnerState } from './state.js';

/** How many times its first pass's mean loss a model's last pass may reach before it counts as diverged. */
export const laterDivergenceFactor = 10;

export interface LaterDivergence {
  /** The first pass's mean loss (progressive) and the last whole pass's, per model that diverged. */
  models: Map<number, { first: number; last: number }>;
  /** The last whole pass (1-based). */
  pass: number;
}

/**
 * The models whose mean loss over the last whole pass is not finite or over laterDivergenceFactor
 * times their first pass's; none when fewer than two passes are complete (or the state is from
 * before the pass sums).
 */
export function laterDivergence(state: LinearLearnerState): LaterDivergence {
  const models = new Map<number, { first: number; last: number }>();
  const passes = Number(state.scalars.passes ?? 0);
  const lastWeight = (state.tensors.last_pass_weight?.data as Float64Array | undefined)?.[0] ?? 0;
  const firstWeight = (state.tensors.progressive_weight.data as Float64Array)[0];
  if (passes < 2 || !(lastWeight > 0) || !(firstWeight > 0)) return { models, pass: passes };
  const lastLoss = state.tensors.last_pass_loss.data as Float64Array;
  const firstLoss = state.tensors.progressive_loss.data as Float64Array;
  for (let m = 0; m < lastLoss.length; m++) {
    const first = firstLoss[m] / firstWeight, last = lastLoss[m] / lastWeight;
    // A first pass that diverged already is the progressive sums' to judge (selection leaves non-finite losses out).
    if (!Number.isFinite(first)) continue;
    if (!(last <= laterDivergenceFactor * first + 1e-12)) models.set(m, { first, last });
  }
  return { models, pass: passes };
}

/** The error of a chosen model that diverged after the first pass (every model of the grid did, or the one asked for). */
export function laterDivergenceError(state: LinearLearnerState, model: number, found: LaterDivergence, learningRate: number): DegenerateDataError {
  const { first, last } = found.models.get(model)!;
  const grid = (state.tensors.learning_rate.data as Float32Array).length;
  const optimizer = resolveSettings(state.hyperparameters, state.schema).optimizer;
  const which = found.models.size === grid && grid > 1 ? `every model of the grid (${grid}) did; model ${model}, the one selection chose,` : `model ${model}`;
  return new DegenerateDataError(`linear-learner: training diverged after the first pass: ${which} had a mean loss of ` +
    `${last.toPrecision(4)} over pass ${found.pass} against ${first.toPrecision(4)} over pass 1 (over ${laterDivergenceFactor}×): ` +
    `its steps were too large for this many passes. Lower learning_rate (${learningRate}) or epochs` +
    (optimizer === 'adagrad' ? '' : `, or train with optimizer adagrad (the default; this run's is ${optimizer}), whose steps shrink as its gradients add up`));
}
