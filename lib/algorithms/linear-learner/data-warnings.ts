// Data the linear learner trains on without error but cannot use well: sparse
// input is never centred (SageMaker's rule: centring would make every zero a
// non-zero), and its features are scaled by the RMS of their non-zero values.
// A feature whose non-zero values sit far from 0 with a small spread (a
// timestamp, a price near 1e6) is then ≈ 1 in every row that has it: its
// variation is invisible to the model, which may learn nothing (AUC 0.5).
import { labelOrderOf, labelRunsOf, looksSortedByClass, looksSortedByValue } from '../label-order.js';
import { counter, type LinearLearnerState } from './state.js';
import { constantSample, featuresShown } from './constant-features.js';
import { scalerDriftWarnings } from './scaler-drift.js';
import { resolveSettings } from './settings.js';

/** Spread ÷ |mean| of the non-zero values below which a varying feature looks constant once scaled. */
const relativeSpread = 1e-3;
/**
 * Above float64's rounding of the sums (a one-hot or constant feature's spread is 0 or ~1e-16 of
 * it), below one float32 step of a value (6e-8–1.2e-7 of it): 1e6 ± 1 is signal. It was 1e-6,
 * which let the worst features (1e6 ± 1, trained nothing) pass unflagged.
 */
const roundingSpread = 2e-8;

/**
 * Mean row weights outside this band are warned about: a step is a weighted sum of its rows'
 * gradients, so on a break test's data (binary, 10 features) a uniform weight of 1e-10 raised the
 * held-out log loss from 0.120 to 0.149 and 1e-20 left the model at its start (ln 2: adam's
 * epsilon outweighs such gradients), while with optimizer=sgd a weight of 1e6 gave a log loss of 87.
 */
const usualWeights = { low: 1e-4, high: 1e4 };

/** Warnings (one line each) about the first pass's data: row weights far from 1, one step in a one-pass run, flat sparse features, rows sorted by class. `epochs`: the run's passes (select: the state's). */
export function linearLearnerDataWarnings(state: LinearLearnerState, _selection?: unknown, epochs?: number): string[] {
  return [...weightScaleWarnings(state), ...oneStepWarnings(state, epochs ?? Number(state.scalars.passes ?? 1)), ...flatFeatureWarnings(state), ...constantSampleWarnings(state), ...absentClassWarnings(state), ...labelOrderWarnings(state), ...labelRunWarnings(state), ...regressorWarnings(state), ...scalerDriftWarnings(state)];
}

/**
 * Every feature one value in every row of the scaler's sample, the stream going on past it: an
 * all-zero file of more rows than num_point_for_scaler trained a base-rate model with no word
 * (within the sample it is an error, index.ts).
 */
function constantSampleWarnings(state: LinearLearnerState): string[] {
  const c = constantSample(state);
  if (!c || c.rows >= Number(state.scalars.examples_seen)) return [];
  return [`linear-learner: every feature was one value in every row of the scaler's sample, the first ${c.rows.toLocaleString('en-US')} rows ` +
    `(${featuresShown(c)}): if the rest are like them, the models learn only the labels' base rate, the same prediction for every row. ` +
    'Check the feature columns (--label-column, --ignore-columns; labelColumn in the API) and the file'];
}

/**
 * A multiclass classifier with classes of num_classes that no training row holds: the model never
 * predicts them (labels {0, 1, 3} with num_classes=4 trained with exit 0 and no word, class 2's
 * scores pushed down by every row). Fewer than two classes seen is an error (degenerate-data.ts).
 */
function absentClassWarnings(state: LinearLearnerState): string[] {
  if (state.hyperparameters.predictor_type !== 'multiclass_classifier') return [];
  const counts = state.tensors.class_counts?.data as Float64Array | undefined;
  if (!counts) return [];
  const absent = Array.from(counts.keys()).filter((c) => counts[c] === 0);
  if (absent.length === 0 || absent.length === counts.length) return [];
  const shown = absent.length > 8 ? `${absent.length.toLocaleString('en-US')} classes (${absent.slice(0, 8).join(', ')}, …)` : absent.join(', ');
  return [`linear-learner: num_classes=${counts.length} but ${absent.length === 1 ? `class ${shown} has` : absent.length > 8 ? `${shown} have` : `classes ${shown} have`} no rows in ` +
    'the training data: the model never predicts ' + (absent.length === 1 ? 'it' : 'them') + ', every row having pushed ' +
    (absent.length === 1 ? 'its' : 'their') + ' scores down. Check the label column, or train with the num_classes the labels use ' +
    '(labels are 0 to num_classes − 1)'];
}

/** Whether the state has seen one pass, of one optimizer step: every row was scored by the untrained models. */
export function oneStepPass(state: LinearLearnerState): boolean {
  const steps = (state.tensors.counters.data as Float64Array)[counter.step];
  return Number(state.scalars.passes ?? 0) <= 1 && steps === 1 && Number(state.scalars.examples_seen) > 1;
}

/** The mini_batch_size that gives a pass over `rows` rows four steps or more (1 for under 8 rows: one step a row). */
function lowerTo(rows: number): string {
  const size = Math.floor(rows / 4);
  return size >= 2 ? `Lower mini_batch_size (to ${size.toLocaleString('en-US')} or fewer)` : 'Lower mini_batch_size (to 1: a step a row)';
}

/**
 * A first pass of one optimizer step (mini_batch_size at least the rows): the progressive metrics
 * scored the untrained models alone, so they say nothing about what was learned, and without a
 * validation channel neither the model of the grid nor its threshold can be chosen on them.
 */
function oneStepWarnings(state: LinearLearnerState, passes: number): string[] {
  if (!oneStepPass(state)) return [];
  const rows = Number(state.scalars.examples_seen);
  // More passes score the trained models (the last pass's threshold), but each is still one step:
  // R's longley (16 rows, mini_batch_size auto: 32) ended at RMSE 0.861 after 15 epochs and 0.852
  // after 200 (lm: 0.229), and at 0.40 with mini_batch_size 4.
  if (passes > 1) {
    return [`linear-learner: each pass over these ${rows.toLocaleString('en-US')} rows is one optimizer step (mini_batch_size ` +
      `${String(state.hyperparameters.mini_batch_size)}), so the run's ${passes.toLocaleString('en-US')} epochs make ${passes.toLocaleString('en-US')} ` +
      'steps, too few to fit them, and more epochs barely help, the learning rate falling pass by pass (R\'s longley, 16 rows: RMSE 0.861 after ' +
      `15 epochs, 0.852 after 200; 0.40 with mini_batch_size 4). ${lowerTo(rows)}`];
  }
  const advice = rows >= 20 ? `Lower mini_batch_size (to ${Math.floor(rows / 10).toLocaleString('en-US')} or fewer, ten steps or more), or give a validation channel`
    : 'With this few rows, train more than one epoch, or give a validation channel';
  return [`linear-learner: the first pass was one optimizer step of all ${rows.toLocaleString('en-US')} rows (mini_batch_size ` +
    `${String(state.hyperparameters.mini_batch_size)}): each model took one step, and the progressive metrics scored the untrained models only, so with one pass and no validation ` +
    'channel the model of the grid is not chosen on what it learned, and a binary classifier\'s threshold is the decision boundary ' +
    `(probability 0.5). ${advice}`];
}

/**
 * A regressor whose best model's progressive mean squared error is over 100 times the variance of
 * the labels of the scaler's sample: the models diverged, their steps too large for the rows (with
 * optimizer=sgd, one model, on 20 scaled non-zeros a row: MSE 1.3e9 on labels of variance 6.7, exit
 * 0 and no word). Not twice, as factorization machines' warning: the sample is the stream's first
 * rows, and labels that drift over a stream in time order (y = 0.001·t) have a wider spread than
 * the sample's, which a model tracking them exceeded tenfold.
 */
function regressorWarnings(state: LinearLearnerState): string[] {
  const squared = state.tensors.progressive_squared_error?.data as Float64Array | undefined;
  const weight = (state.tensors.progressive_weight?.data as Float64Array | undefined)?.[0];
  const counters = state.tensors.counters.data as Float64Array;
  const n = counters[counter.scalerRows];
  if (!squared || !(weight! > 0) || !(n > 1)) return [];
  const shifted = counters[counter.labelSum] / n;
  const variance = Math.max(0, counters[counter.labelSumSq] / n - shifted * shifted);
  const best = Math.min(...Array.from(squared, (e) => e / weight!).map((e) => (Number.isNaN(e) ? Infinity : e)));
  // Labels all equal (variance 0, or what rounding leaves of it) are not a reason to warn.
  if (!(best > 100 * variance) || !(best > 1e-12)) return [];
  // Without an intercept, labels far from 0 are out of reach of centred features: no learning rate
  // helps (labels near 1e6: MSE 1e12 at any rate, and the advice was to lower it).
  const origin = state.tensors.scaler_origin?.data as Float64Array | undefined;
  const mean = shifted + (origin?.[origin.length - 1] ?? 0);
  if (state.hyperparameters.use_bias === false && mean * mean > 100 * variance) {
    return [`linear-learner: the best model's progressive mean squared error, ${best.toPrecision(4)}, is over 100 times the variance of the ` +
      `training labels (${variance.toPrecision(4)}), which average ${mean.toPrecision(6)}: with use_bias=false the models have no intercept, and ` +
      'no step size lets the features reach labels that far from 0 unless the features themselves do. Train with use_bias=true (the default), or subtract the labels\' mean'];
  }
  const optimizer = resolveSettings(state.hyperparameters as never, state.schema).optimizer;
  const advice = optimizer === 'adagrad' ? 'lower learning_rate'
    : `lower learning_rate, or train with optimizer adagrad (the default; this run's is ${optimizer}), whose steps are scaled by the rows' norms`;
  return [`linear-learner: the best model's progressive mean squared error, ${best.toPrecision(4)}, is over 100 times the variance of the ` +
    `training labels (${variance.toPrecision(4)}, in the scaler's first ${n.toLocaleString('en-US')} rows): the models diverged, their steps too ` +
    `large for these rows. ${advice[0].toUpperCase()}${advice.slice(1)}`];
}

/**
 * A classifier's rows sorted or grouped by class. One pass learns as the rows come, so the models
 * end leaning to the last class seen; and without validation rows the model and its threshold are
 * chosen by how each model scored rows before learning from them, which on sorted rows rewards the
 * models that follow the latest class fastest.
 */
function labelOrderWarnings(state: LinearLearnerState): string[] {
  const moments = state.tensors.progressive_label_order?.data as Float64Array | undefined;
  const counts = state.tensors.class_counts?.data as Float64Array | undefined;
  if (state.hyperparameters.predictor_type === 'regressor') return [];
  const order = moments && counts ? labelOrderOf(moments, counts) : undefined;
  if (!order || !looksSortedByClass(order)) return [];
  const percent = (x: number) => `${x < 0.01 ? (100 * x).toPrecision(2) : (100 * x).toPrecision(3)}%`;
  const signs = [
    ...(order.agreement !== undefined ? [`neighbouring rows were of one class ${percent(order.same)} of the time, against ${percent(order.chance)} in random order`] : []),
    ...(order.batches >= 2 ? [`${percent(order.between)} of the classes' scatter lay between batches, against about ${percent(order.expected)} in random order`] : []),
  ];
  const batches = Math.max(1, order.batches);
  return [`linear-learner: the training rows came sorted or grouped by class, not in random order: ${signs.join('; ')} ` +
    `(${order.rows.toLocaleString('en-US')} rows in ${batches.toLocaleString('en-US')} batch${batches === 1 ? '' : 'es'}). One pass learns as ` +
    'the rows come, so the models lean to the class seen last; and the model and its threshold, unless chosen on a validation channel, ' +
    'are chosen by how each scored the rows before learning them, which sorted rows make look perfect: on R\'s infert in its published ' +
    `order (cases first) every row was then predicted 0. Shuffle the rows: shuf the file, or train --shuffle-buffer ${batches} (it keeps ` +
    `${batches} batch${batches === 1 ? '' : 'es'}, these rows, and draws from them)`];
}

/**
 * A regressor's rows sorted by the label. One pass learns as the rows come, so the models follow
 * the latest labels and end fitted to the last ones; and the progressive metrics, each row scored
 * just before it is learned, read near-perfect, since a model tracking the label's level already
 * predicts the next row's. R's quakes sorted by magnitude: held-out RMSE 0.760 (the label's standard
 * deviation is 0.403, lm's error 0.192) while progressive_rmse read 0.068; shuffled, 0.228.
 */
function labelRunWarnings(state: LinearLearnerState): string[] {
  const moments = state.tensors.progressive_label_order?.data as Float64Array | undefined;
  if (!moments || state.hyperparameters.predictor_type !== 'regressor') return [];
  const runs = labelRunsOf(moments);
  if (!looksSortedByValue(runs)) return [];
  const untied = runs.rises + runs.falls;
  const direction = runs.rises >= runs.falls ? 'rose' : 'fell';
  const batchRows = Number(state.hyperparameters.mini_batch_size);
  const batches = Math.max(1, Math.ceil(runs.rows / (Number.isFinite(batchRows) && batchRows > 0 ? batchRows : 1000)));
  return [`linear-learner: the training rows came sorted by the label: of ${untied.toLocaleString('en-US')} neighbouring pairs with different ` +
    `labels, ${Math.max(runs.rises, runs.falls).toLocaleString('en-US')} ${direction} (about half do in random order; ` +
    `${runs.rows.toLocaleString('en-US')} rows). One pass learns as the rows come, so the models end fitted to the last labels, and the ` +
    'progressive metrics, each row scored by a model that has just seen its neighbours, look far better than the model is (R\'s quakes ' +
    'sorted by magnitude: progressive_rmse 0.068, held-out RMSE 0.760, worse than predicting the mean). Shuffle the rows: shuf the file, ' +
    `or train --shuffle-buffer ${Math.min(batches, 1000)}`];
}

/**
 * Rows whose weights average far from 1. The progressive sums weigh each row by its weight × its
 * step's recency (1 + the rows before the step), so N rows in S steps of N/S rows sum to
 * N²(S − 1)/(2S) + N × the mean weight (S = 1: N; many steps: about N²/2). Workers count their own
 * rows, which leaves the estimate within a small factor, enough for a band 8 decades wide. (It
 * divided by N(N + 1)/2 whatever the steps: one step of 20,000 rows, mini_batch_size ≥ the rows,
 * read as weights averaging 1e-4.)
 */
function weightScaleWarnings(state: LinearLearnerState): string[] {
  const rows = Number(state.scalars.examples_seen);
  const steps = Math.max(1, (state.tensors.counters.data as Float64Array)[counter.step]);
  const unitSum = (rows * rows * (steps - 1)) / (2 * steps) + rows;
  const mean = (state.tensors.progressive_weight.data as Float64Array)[0] / unitSum;
  if (!(rows > 0) || !(mean > 0) || (mean >= usualWeights.low && mean <= usualWeights.high)) return [];
  return [`linear-learner: the rows' weights average about ${mean.toPrecision(1)}: its steps are weighted sums of the rows' gradients, so ` +
    `weights far from 1 (below ${usualWeights.low}) leave the model near its start, or (above ${usualWeights.high}, with optimizer=sgd) ` +
    'make its steps too large. Scale the weights to average about 1: only their ratios weigh rows against each other'];
}

/** Features that look constant once scaled, because the input is not centred (sparse, or dense with unbias_data=false). */
function flatFeatureWarnings(state: LinearLearnerState): string[] {
  const r = resolveSettings(state.hyperparameters, state.schema);
  const t = state.tensors;
  const sparse = state.schema.sparse === true;
  if (r.kernel.unbiasData || !r.kernel.normalizeData || !t.feature_sum || (sparse && !t.feature_nonzero)) return [];
  // Without a bias the model passes through 0, and a feature's level is signal (y ≈ x near 1000
  // fits to the optimum): centring would be the wrong advice there.
  if (!sparse && !r.kernel.useBias) return [];
  const n = (t.counters.data as Float64Array)[counter.scalerRows];
  const flat = flatFeatures(state, n, sparse);
  if (flat.length === 0) return [];
  const named = flat.slice(0, 3).map(({ j, mean, spread }) => `${j} (${mean.toPrecision(4)} ± ${spread.toPrecision(2)})`);
  const more = flat.length > 3 ? ` and ${flat.length - 3} more` : '';
  if (!sparse) {
    // Dense rows far from 0 and not centred: scaled by their RMS (or, with std, by a tiny deviation
    // to about 1e6) they trained nothing (log loss ln 2, AUC 0.5).
    return [`linear-learner: features ${named.join(', ')}${more} (0-based) vary by less than ${relativeSpread} of their size: ` +
      'with unbias_data=false dense input is not centred, so once scaled they are ≈ constant and the model cannot use how they vary. ' +
      'Leave unbias_data on (its default with use_bias), or subtract their typical value before training'];
  }
  return [`linear-learner: features ${named.join(', ')}${more} (0-based) vary by less than ${relativeSpread} of their size among their non-zero values: ` +
    'sparse input is not centred, so once scaled they are ≈ 1 wherever present and the model cannot use how they vary. ' +
    'Subtract their typical value before training, or give the rows as dense (centred by default, unbias_data)'];
}

/**
 * Features whose values vary, but by a tiny fraction of their mean (moments from the scaler's sums
 * about its origin): among their non-zero values for sparse input, among all for dense.
 */
function flatFeatures(state: LinearLearnerState, n: number, sparse: boolean): { j: number; mean: number; spread: number }[] {
  const sum = state.tensors.feature_sum.data as Float64Array;
  const sumsq = state.tensors.feature_sumsq.data as Float64Array;
  const nonzero = sparse ? state.tensors.feature_nonzero.data as Float64Array : undefined;
  const origin = state.tensors.scaler_origin?.data as Float64Array | undefined;
  const found: { j: number; mean: number; spread: number }[] = [];
  for (let j = 0; j < sum.length; j++) {
    const count = nonzero ? nonzero[j] : n;
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
