// The linear learner (SageMaker's, re-designed for streams): many linear
// models trained side by side in one pass over the data, each with its own
// learning rate and regularization, then calibrated and selected on the
// validation channel (or on progressive validation of the training stream).
import { requireAlgorithm } from '../merge-checks.js';
import type { LinearLearnerMetrics, LinearLearnerStep } from '../../backends/kernels.js';
import { BatchError, type Batch } from '../../data/batch.js';
import { tensor } from '../../state/tensor.js';
import { parseHyperparameters } from '../hyperparameters.js';
import type { Algorithm, ModelData, Selection } from '../types.js';
import { DegenerateDataError, requireTrainingWeight, requireTwoClasses } from '../degenerate-data.js';
import { createModelEvaluator, createStateValidator, modelSums, stateMetrics } from './evaluator.js';
import { linearLearnerSchema, type LinearLearnerHyperparameters, type LinearLearnerSchema } from './hyperparameters.js';
import { runKernel } from '../../backends/run-kernel.js';
import { isSettled, requireSettled, settleForBackend, settleState } from '../../backends/device-state.js';
import type { Backend } from '../../backends/registry.js';
import { LinearLearnerModel } from './model.js';
import { constantSample, featuresShown } from './constant-features.js';
import { linearLearnerDataWarnings, oneStepPass } from './data-warnings.js';
import { criterionOf, objectiveOf, targetsOf } from './objective.js';
import { chooseModel, lastPassThreshold } from './selection.js';
import { calibrationBins, readBatchRows, resolveSettings, stepRowsOf } from './settings.js';
import {
  catchUpInPlace, catchUpInPlaceAsync, caughtUpAsync, counter, createLinearLearnerState, endPassSums, passSumNames, resetPassSums, kernelSettings, kernelArrays, kernelMetrics, mergeLinearLearnerRound, mergeLinearLearnerStates, rebaseLinearLearnerRound,
  type LinearLearnerState,
} from './state.js';
import { laterDivergence, laterDivergenceError } from './pass-divergence.js';
import { addLabelOrder, addLabelRuns, labelRunsLength } from '../label-order.js';
import { addScalerDrift } from './scaler-drift.js';
import { countedKernel, oneUpdateAtATime } from '../counted-update.js';
import { guardStates } from '../state-guard.js';

export { LinearLearnerModel } from './model.js';
export type { LinearLearnerPredictOptions, LinearLearnerPredictions } from './model.js';
export { linearLearnerSchema } from './hyperparameters.js';
export type { LinearLearnerHyperparameters } from './hyperparameters.js';
export type { LinearLearnerState } from './state.js';

/**
 * Each pass after the first starts averaging again (tail averaging): a model outputs the mean of
 * the latest pass's iterates. The mean over every pass keeps the first pass's far-off iterates at
 * 1/passes of the weight. Held out after 15 passes (per-pass rate schedule at 0.8), mean of every
 * pass → mean of the last: flights one model AUC 0.6818 → 0.6872 (liblinear's optimum 0.6883),
 * diamonds RMSE 0.1457 → 0.1451 (0.1453), Fashion-MNIST one model 0.8392 → 0.8405 (0.8419; the
 * grid 0.8445 → 0.8430), spam 0.9972 → 0.9971 (0.9970). `average_pass` is the
 * pass averaging last began in, so a checkpoint taken mid-pass resumes without restarting it.
 */
function restartAverage(state: LinearLearnerState): void {
  const passes = Number(state.scalars.passes ?? 0);
  if (passes === 0 || state.scalars.average_pass === passes) return;
  state.scalars.average_pass = passes;
  const start = state.tensors.average_start?.data as Float64Array | undefined;
  if (!start || start[0] === 0) return;  // the scaler sample is not complete: averaging has not begun
  start[0] = (state.tensors.counters.data as Float64Array)[counter.step] + 1;
}

/** What update hands the kernel, built once per state object (the arrays never change identity). */
const prepared = new WeakMap<LinearLearnerState, { weights: unknown; passes: unknown; step: Omit<LinearLearnerStep, 'batch'>; unbias: boolean }>();

/**
 * Sums the kernel adds to after the first pass, thrown away: from the second pass on a row's
 * score comes from a model that has trained on it, so the progressive sums (what selection
 * without a validation channel reads) keep the first pass only. Allocated once per state.
 */
function discardedMetrics(state: LinearLearnerState): LinearLearnerMetrics {
  const kept = kernelMetrics(state, 'progressive');
  const discarded = Object.fromEntries(Object.entries(kept).map(([name, value]) =>
    [name, value instanceof Float64Array ? new Float64Array(value.length) : value])) as unknown as LinearLearnerMetrics;
  // Each model's loss and scores over the pass are kept (pass_*: finalize's check for a later divergence, and its threshold).
  const pass = (name: string) => state.tensors[`pass_${name}`]?.data as Float64Array | undefined;
  if (!pass('loss')) return discarded;
  return { ...discarded, lossSum: pass('loss')!, weightSum: pass('weight')!, ...(pass('histogram') ? { histogram: pass('histogram') } : {}) };
}

function preparedFor(state: LinearLearnerState) {
  let entry = prepared.get(state);
  const passes = state.scalars.passes ?? 0;
  if (!entry || entry.weights !== state.tensors.weights.data || entry.passes !== passes) {
    const r = resolveSettings(state.hyperparameters, state.schema);
    const metrics = Number(passes) > 0 ? discardedMetrics(state) : kernelMetrics(state, 'progressive');
    entry = {
      weights: state.tensors.weights.data, passes,
      step: { settings: kernelSettings(state), state: kernelArrays(state), metrics },
      unbias: r.kernel.unbiasData,
    };
    prepared.set(state, entry);
  }
  return entry;
}

function validatedNow(state: LinearLearnerState): boolean {
  const step = (state.tensors.counters.data as Float64Array)[counter.step];
  const weight = (state.tensors.validation_weight.data as Float64Array)[0];
  return state.scalars.validated_at_step === step && weight > 0;
}

function selectionModel(selection: Selection | undefined, models: number): number | undefined {
  if (selection?.model === undefined) return undefined;
  const model = Number(selection.model);
  if (!Number.isInteger(model) || model < 0 || model >= models) {
    throw new RangeError(`linear-learner select: model ${JSON.stringify(selection.model)} is not in 0..${models - 1}`);
  }
  return model;
}

/**
 * A state file from before the one-pass defaults (no defaults_version scalar) keeps SageMaker's:
 * adam, the scheduler, steps of 1000 rows, uniform initial weights, scaling by deviation, no averaging.
 */
function sageMakerDefaults(hp: Record<string, unknown>): Record<string, unknown> {
  const auto = (name: string) => hp[name] === undefined || hp[name] === 'auto';
  return {
    ...hp,
    ...(auto('optimizer') ? { optimizer: 'adam' } : {}),
    ...(hp.use_lr_scheduler === undefined ? { use_lr_scheduler: true } : {}),
    ...(auto('mini_batch_size') ? { mini_batch_size: 1000 } : {}),
    ...(auto('init_method') ? { init_method: 'uniform' } : {}),
    ...(auto('init_scale') ? { init_scale: 0.07 } : {}),
    ...(auto('init_sigma') ? { init_sigma: 0.01 } : {}),
    ...(hp.normalize_method === undefined ? { normalize_method: 'std' } : {}),
    ...(hp.average === undefined ? { average: false } : {}),
    ...(hp.normalize_lr === undefined ? { normalize_lr: false } : {}),
  };
}

/** Classifiers need two classes in the training stream (class_counts counts all of it). */
function checkTrainingData(state: LinearLearnerState): void {
  requireTrainingWeight('linear-learner', Number(state.scalars.examples_seen), (state.tensors.progressive_weight.data as Float64Array)[0]);
  const classCounts = state.tensors.class_counts?.data as Float64Array | undefined;
  if (classCounts) requireTwoClasses('linear-learner', state.hyperparameters.predictor_type, classCounts);
  requireVaryingFeatures(state);
}

/**
 * Every feature one value in every training row (all zero, the wrong columns): the models could
 * learn only the labels' base rate, one prediction for every row, which trained with exit 0 and no
 * word (k-means and PCA refuse such data). Known exactly where the scaler's sample held every row
 * of the pass (constant-features.ts); past it, a warning says what the sample saw.
 */
function requireVaryingFeatures(state: LinearLearnerState): void {
  const c = constantSample(state);
  if (!c || c.rows < Number(state.scalars.examples_seen)) return;
  throw new DegenerateDataError(`linear-learner: every feature is one value in all ${c.rows.toLocaleString('en-US')} training rows ` +
    `(${featuresShown(c)}): the models could learn only the labels' base rate, the same prediction for every row. Check the feature ` +
    'columns (--label-column, --ignore-columns; labelColumn in the API) and the file');
}

/**
 * The models whose optimizer moments overflowed float32, with how many features (and whether the
 * bias) did. A squared gradient past 3.4e38 (row weights near 1e20 do it) leaves a moment at ∞;
 * the weight's step then divides by √∞ and the weight stops moving, so the model stays finite and
 * quietly stops learning. Moments are laid out [feature_dim, models, classes].
 */
function overflowedMoments(state: LinearLearnerState, dim: number, models: number, classes: number): Map<number, { features: number; bias: boolean }> {
  const out = new Map<number, { features: number; bias: boolean }>();
  const entry = (m: number) => out.get(m) ?? out.set(m, { features: 0, bias: false }).get(m)!;
  // Plain loops: a hashed state holds 2^20 features × 32 models, read once here at finalize.
  const width = models * classes;
  const counted = new Int32Array(models).fill(-1);  // the last feature counted per model
  const first = state.tensors.moment1?.data as Float32Array | undefined;
  const second = state.tensors.moment2?.data as Float32Array | undefined;
  if (first || second) {
    for (let k = 0; k < dim * width; k++) {
      if ((!first || Number.isFinite(first[k])) && (!second || Number.isFinite(second[k]))) continue;
      const j = Math.floor(k / width);
      const m = Math.floor((k % width) / classes);
      if (counted[m] === j) continue;
      counted[m] = j;
      entry(m).features++;
    }
  }
  for (const name of ['bias_moment1', 'bias_moment2']) {
    const moments = state.tensors[name]?.data as Float32Array | undefined;
    for (let m = 0; moments && m < models; m++) {
      if (!moments.subarray(m * classes, (m + 1) * classes).every(Number.isFinite)) entry(m).bias = true;
    }
  }
  return out;
}

/** The DegenerateDataError of a chosen model whose moments overflowed (overflowedMoments). */
function overflowError(model: number, dim: number, { features, bias }: { features: number; bias: boolean }, all: number): DegenerateDataError {
  const where = [features > 0 ? `${features.toLocaleString('en-US')} of its ${dim.toLocaleString('en-US')} features' weights` : '', bias ? 'its bias' : '']
    .filter(Boolean).join(' and ');
  const what = all > 1
    ? `the optimizer moments of every model of the grid (${all}) overflowed float32 (squared gradients past 3.4e38); in model ${model}, the one selection chose, ${where} stopped learning`
    : `model ${model}'s optimizer moments overflowed float32 (squared gradients past 3.4e38), so ${where} stopped learning`;
  return new DegenerateDataError(`linear-learner: ${what}. Row weights this large do it (near 1e20 and beyond): scale them down, since ` +
    'rows weigh against each other by the ratios of their weights');
}

/**
 * Picks a model (and, for binary classifiers, its threshold) and folds the scaler into its
 * weights, about the scaler's shift (the model's origin) when it centres. Selection keys:
 * `criterion` (another selection rule), `model` (an index into the grid), `threshold` (binary: a
 * probability for logistic, a raw score for hinge).
 */
async function finalize(state: LinearLearnerState, backend: Backend, selection?: Selection): Promise<LinearLearnerModel> {
  // Validation sums a GPU backend holds go into the state first: selection reads them.
  await settleState(state);
  // The model's weights, caught up off the event loop (selection below reads only the sums).
  return finalizeSettled(state, backend, selection, await caughtUpAsync(state));
}

function finalizeSettled(state: LinearLearnerState, backend: Backend, selection: Selection | undefined,
  current: { weights: Float32Array; bias: Float32Array }): LinearLearnerModel {
  const hp = state.hyperparameters;
  const known = new Set(['criterion', 'model', 'threshold']);
  for (const key of Object.keys(selection ?? {})) {
    if (!known.has(key)) throw new RangeError(`linear-learner select: unknown selection '${key}'; expected criterion, model or threshold`);
  }
  const r = resolveSettings(hp, state.schema);
  checkTrainingData(state);
  const source = validatedNow(state) ? 'validation' : 'progressive';
  const criterion = criterionOf(hp, selection?.criterion as string | undefined);
  const binary = r.predictor === 'binary_classifier';
  // As a threshold: a criterion picks among binary classifiers only (it was ignored, exit 0).
  if (selection?.criterion !== undefined && !binary) {
    throw new RangeError(`linear-learner select: criterion applies to binary classifiers only; a ${r.predictor} is chosen by its loss`);
  }
  // Models whose moments overflowed are left out as diverged ones are (an infinite loss), while any other is not.
  const overflowed = overflowedMoments(state, r.kernel.dim, r.models, r.classes);
  const sums = modelSums(state, source);
  if (overflowed.size > 0) sums.loss = Float64Array.from(sums.loss, (loss, m) => (overflowed.has(m) ? Infinity : loss));
  // So are models that diverged after the first pass (pass-divergence.ts), whose first pass the progressive
  // sums are, while any model did not; if every one did, the one chosen is the error.
  const later = laterDivergence(state);
  const kept = Array.from(sums.loss).some((loss, m) => Number.isFinite(loss) && !later.models.has(m));
  if (later.models.size > 0 && kept) sums.loss = Float64Array.from(sums.loss, (loss, m) => (later.models.has(m) ? Infinity : loss));
  const choice = chooseModel(sums, binary, criterion, targetsOf(hp), selectionModel(selection, r.models),
    source === 'progressive' && selection?.criterion === undefined);
  if (later.models.has(choice.model)) {
    throw laterDivergenceError(state, choice.model, later, kept);
  }
  // Without a validation channel, after more than one pass, the threshold is the last pass's (selection.ts, lastPassThreshold).
  const lastPass = binary && source === 'progressive' && Number(state.scalars.passes ?? 0) > 1
    ? lastPassThreshold(state.tensors.last_pass_histogram?.data as Float64Array | undefined, choice.model, calibrationBins, criterion, targetsOf(hp)) : undefined;
  // One pass of one optimizer step (mini_batch_size at least the rows): its progressive scores are the
  // untrained models', every row's alike, and a threshold calibrated on them is arbitrary. The
  // decision boundary is the threshold then, said in threshold_source and in the warning after the
  // pass (data-warnings.ts), which says too that one step trained little.
  const untrainedScores = binary && source === 'progressive' && lastPass === undefined && oneStepPass(state);
  let threshold = binary ? lastPass ?? (untrainedScores ? 0 : choice.threshold) : 0;
  if (selection?.threshold !== undefined) {
    const given = Number(selection.threshold);
    if (!binary) throw new RangeError('linear-learner select: threshold applies to binary classifiers only');
    if (r.loss === 'logistic' && !(given > 0 && given < 1)) throw new RangeError(`linear-learner select: threshold ${selection.threshold} must be a probability in (0, 1)`);
    threshold = r.loss === 'logistic' ? Math.log(given / (1 - given)) : given;
  }
  // Fold x' = (x − shift)·scale and y = y'/labelScale + labelShift into coefficients about the
  // scaler's shift: score = bias + Σ (x − origin)·w. Folding the shift into the bias too would
  // leave it at −Σ shift·w, which for data far from 0 is a large number float32 rounds by more than
  // a score can bear (a bias of 2.2e6 moved scores by 0.1 and test loss by 1%).
  const { dim } = r.kernel;
  const { classes, models } = r;
  const { weights: all, bias } = current;
  const shift = state.tensors.feature_shift?.data as Float32Array | undefined;
  const scale = state.tensors.feature_scale?.data as Float32Array | undefined;
  const label = state.tensors.label_transform?.data as Float32Array | undefined;
  const origin = shift && shift.some((v) => v !== 0) ? Float32Array.from(shift) : undefined;
  const weights = new Float32Array(dim * classes);
  const intercept = new Float64Array(classes);
  for (let c = 0; c < classes; c++) intercept[c] = hp.use_bias ? bias[choice.model * classes + c] : 0;
  for (let j = 0; j < dim; j++) {
    for (let c = 0; c < classes; c++) weights[j * classes + c] = all[(j * models + choice.model) * classes + c] * (scale ? scale[j] : 1);
  }
  // A regressor's intercept is split into a float32 label origin and the small rest (score =
  // label_origin + bias + …): labels far from 0, centred or not, would otherwise round the bias by
  // up to half a float32 step of their size (0.5 at 1e7; test mse 10% off validation's).
  let labelOrigin: Float32Array | undefined;
  if (label) {
    for (let j = 0; j < weights.length; j++) weights[j] /= label[1];
    const total = intercept[0] / label[1] + label[0];
    labelOrigin = Math.fround(total) !== 0 ? Float32Array.of(total) : undefined;
    intercept[0] = total - (labelOrigin ? labelOrigin[0] : 0);
  }
  const grid = (name: string) => Number((state.tensors[name].data as Float32Array)[choice.model]);
  if (!weights.every(Number.isFinite) || !intercept.every(Number.isFinite)) {
    const tiny = scale?.findIndex((v) => !Number.isFinite(v)) ?? -1;
    if (tiny >= 0) throw tinyFeatureError(state, tiny);
    throw new RangeError(`linear-learner: training diverged: model ${choice.model}'s weights are not finite` +
      ` (its loss is ${choice.loss}; ${r.models > 1 ? 'no model of the grid kept a finite loss' : 'it is the only model'}):` +
      ` lower learning_rate (${grid('learning_rate')})${r.kernel.normalizeData ? '' : ', or turn normalize_data on'}` +
      '; with row weights, scale them down too (a step grows with the weight of its rows)');
  }
  const stuck = overflowed.get(choice.model);
  if (stuck) throw overflowError(choice.model, dim, stuck, overflowed.size === models ? models : 0);
  const data: ModelData = {
    algorithm: 'linear-learner',
    hyperparameters: hp,
    schema: state.schema,
    tensors: { weights: tensor(weights, [dim, classes]), bias: tensor(Float32Array.from(intercept)), ...(origin ? { origin: tensor(origin) } : {}),
      ...(labelOrigin ? { label_origin: tensor(labelOrigin) } : {}) },
    scalars: {
      predictor_type: r.predictor, loss: r.loss, num_classes: classes, threshold,
      ...(binary && r.loss === 'logistic' ? { threshold_probability: 1 / (1 + Math.exp(-threshold)) } : {}),
      selected_model: choice.model,
      selection_source: source === 'validation' ? 'validation' : 'progressive validation on the training stream',
      ...(lastPass !== undefined && selection?.threshold === undefined ? { threshold_source: `the training stream's last pass (${Number(state.scalars.passes)})` } : {}),
      ...(untrainedScores && selection?.threshold === undefined
        ? { threshold_source: 'the decision boundary: the one pass was one optimizer step, whose progressive scores were the untrained models\'' } : {}),
      selection_criterion: binary ? criterion : 'loss_function',
      ...(binary && Number.isFinite(choice.value) ? { selection_value: choice.value } : {}),
      selection_loss: Number.isFinite(choice.loss) ? choice.loss : null,
      ...(later.models.size > 0 ? { diverged_in_later_passes: [...later.models.keys()] } : {}),
      learning_rate: grid('learning_rate'), wd: grid('wd'), l1: grid('l1'),
      // Averaging begins when the scaler's sample is complete; a shorter stream's model is its last iterate.
      averaged: r.averaged[choice.model] === 1 && ((state.tensors.average_start?.data as Float64Array | undefined)?.[0] ?? 0) > 0,
      examples_seen: state.scalars.examples_seen,
    },
  };
  return new LinearLearnerModel(data, backend);
}

export const linearLearner: Algorithm<LinearLearnerSchema, LinearLearnerModel> & {
  createStateValidator: typeof createStateValidator;
  /** Metrics of each model the state holds, from its progressive or validation sums. */
  modelMetrics(state: LinearLearnerState, source?: 'progressive' | 'validation'): Record<string, number>[];
} = guardStates({
  name: 'linear-learner',
  hyperparameters: linearLearnerSchema,
  labelSize: 1,
  labelClasses: (hp) => (hp.predictor_type === 'binary_classifier' ? 2
    : hp.predictor_type === 'multiclass_classifier' && typeof hp.num_classes === 'number' ? hp.num_classes : undefined),

  createState(hp, schema) {
    return createLinearLearnerState(hp, schema);
  },

  update: (state, batch: Batch, backend) => oneUpdateAtATime(state, async () => {
    state.scalars.step_pass = Number(state.scalars.passes ?? 0);
    const { step, unbias } = preparedFor(state);
    restartAverage(state);
    if (batch.kind === 'sparse' && unbias) {
      // A state that has seen no batch was made for dense rows by its schema, not by its data.
      throw new BatchError(`linear-learner batch ${state.scalars.batches_seen}: sparse rows, but the state centres features (unbias_data, on by default for ` +
        (state.scalars.batches_seen === 0
          ? 'dense rows, and this state was made for dense rows: its schema has no sparse: true): make the state with { sparse: true } in its schema, or set unbias_data=false'
          : 'dense rows, which it was trained on): continue it on dense rows (CSV, dense recordIO), or train a new state on the sparse data'));
    }
    const sampledBefore = (state.tensors.counters.data as Float64Array)[counter.scalerRows];
    await countedKernel(state, batch, async () => {
      // Batches another backend still holds go into the arrays first: this backend's kernel reads them.
      await settleForBackend(state, backend);
      await runKernel(backend, 'linearLearnerUpdate', { ...step, batch });
    });
    await addScalerDrift(state, batch, sampledBefore, step.settings.scalerPoints);
    // The first pass's label order (a later pass reads the same rows in the same order).
    const order = state.tensors.progressive_label_order?.data as Float64Array | undefined;
    if (order && Number(state.scalars.passes ?? 0) === 0 && batch.labels) {
      if (state.hyperparameters.predictor_type === 'regressor') await addLabelRuns(order.subarray(0, labelRunsLength), batch);
      else await addLabelOrder(order, batch);
    }
  }),

  merge: (states) => {
    requireAlgorithm('linear-learner merge', 'linear-learner', states);
    for (const s of states) requireSettled(s, 'linear-learner merge');
    return mergeLinearLearnerStates(states);
  },
  mergeRound: mergeLinearLearnerRound,
  rebaseRound: rebaseLinearLearnerRound,
  prepareUpload: catchUpInPlace,
  // Rounds every 32 batches: within the merge tolerance on flights (400k and 2.4M rows) and the
  // generated 4M-row file, as 16 was and 64 not; each round costs a merge of the states on the
  // coordinating thread that every worker waits for, so 32 is faster (sync-policy.ts).
  roundBatches: 32,
  upgradeStoredHyperparameters: (hp, scalars) => (scalars.defaults_version === undefined ? sageMakerDefaults(hp) : hp),
  // A batch of a whole number of steps: one that is not would end in a short step, and the model
  // would depend on how the rows were cut (a requested size is rounded up to whole steps).
  readBatchRows: (hp, requested) => readBatchRows(stepRowsOf(hp), requested),
  endPass(state) {
    // catchUpInPlaceAsync refuses a state a GPU backend holds at once (the trainer settles it first).
    // Every feature gets the regularization it owes at this pass's rate before the next pass
    // changes the rate (passRateScale) and starts averaging again: lazy stays equal to eager.
    return catchUpInPlaceAsync(state).then(() => {
      if (Number(state.scalars.passes ?? 0) > 0) endPassSums(state, Number(state.scalars.passes));
      state.scalars.passes = Number(state.scalars.passes ?? 0) + 1;
    });
  },
  beginRun(state) {
    if (state.scalars.passes !== undefined) state.scalars.passes = 0;
    resetPassSums(state);
    // Pass numbers start again: the last run's pass averaging began in means nothing now.
    delete state.scalars.average_pass;
  },
  // scaler_origin: the scaler's sums are about it (0 in files from before it, as they were taken).
  // *_loss_difference_sq, *_weight_sq: zero, no test against model 0 (selection as before).
  // progressive_label_order: zeros, no labels seen (no warning about their order).
  // pass_*, last_pass_*: zeros, no later pass seen (no check for a divergence after the first, the threshold from the first).
  // scaler_drift: zeros, no rows after the sample counted (no warning about them).
  addedTensors: ['scaler_origin', 'progressive_label_order', 'scaler_drift', ...['progressive', 'validation'].flatMap((p) => [`${p}_loss_difference_sq`, `${p}_weight_sq`]),
    ...passSumNames],
  checkTrainingData,
  dataWarnings: linearLearnerDataWarnings,
  finalize,

  loadModel(data, backend) {
    parseHyperparameters('linear-learner', linearLearnerSchema, data.hyperparameters);
    return new LinearLearnerModel(data, backend);
  },

  createEvaluator: createModelEvaluator,
  createStateValidator,
  objective: (hp: LinearLearnerHyperparameters) => objectiveOf(hp),

  progressiveMetrics(state) {
    // A GPU backend holds the latest batches' sums until the state is settled (the end of each
    // pass, checkpoints): no numbers rather than stale ones meanwhile.
    if (!isSettled(state)) return {};
    const sums = modelSums(state, 'progressive');
    if (sums.weight === 0) return {};
    const binary = state.hyperparameters.predictor_type === 'binary_classifier';
    const choice = chooseModel(sums, binary, criterionOf(state.hyperparameters), targetsOf(state.hyperparameters), undefined, true);
    const metrics = stateMetrics(state, 'progressive', choice.model);
    return Object.fromEntries([...Object.entries(metrics).map(([k, v]) => [`progressive_${k}`, v]), ['best_model', choice.model]]);
  },

  modelMetrics(state, source = 'progressive') {
    requireSettled(state, 'linear-learner modelMetrics');
    const models = (state.tensors.learning_rate.data as Float32Array).length;
    return Array.from({ length: models }, (_, m) => ({
      model: m,
      learning_rate: (state.tensors.learning_rate.data as Float32Array)[m],
      wd: (state.tensors.wd.data as Float32Array)[m],
      l1: (state.tensors.l1.data as Float32Array)[m],
      ...stateMetrics(state, source, m),
    }));
  },
}, { modelMetrics: false });

/**
 * A feature whose values are all below float32's normal range (1.2e-38): 1 / their RMS, its
 * scale, does not fit float32, and neither would the weight that multiplies it in the model.
 */
function tinyFeatureError(state: LinearLearnerState, feature: number): RangeError {
  const n = (state.tensors.feature_nonzero?.data as Float64Array | undefined)?.[feature];
  return new RangeError(`linear-learner: feature ${feature} (0-based, after the label) has values too small for float32: ` +
    `the RMS of its ${n === undefined ? '' : `${n} sampled `}non-zero values is below 1 / 3.4e38, so its scale and its weight overflow float32; ` +
    'multiply that feature by a constant (e.g. 1e30) before training, or set normalize_data=false');
}
