// Factorization machines (SageMaker's, re-designed for streams): M models of
// different factor sizes, learning rates and weight decay trained side by side
// in one pass over sparse or dense rows, selected on the validation channel (or
// by progressive validation of the first pass over the training stream), with
// top-N recommendations and the factors exposed as embeddings.
import { requireAlgorithm, requireSameHyperparameters } from '../merge-checks.js';
import { requireEvaluatedWeight, requireTrainingWeight, requireTwoClasses, requireValidationWeight } from '../degenerate-data.js';
import type { Backend } from '../../backends/registry.js';
import { CallsUnderWay, isSettled, requireSettled, settleForBackend, settleState } from '../../backends/device-state.js';
import { runKernel } from '../../backends/run-kernel.js';
import { loadCoreAddon } from '../../backends/native-addon.js';
import { BatchError, type Batch } from '../../data/batch.js';
import { tensor } from '../../state/tensor.js';
import { parseHyperparameters } from '../hyperparameters.js';
import type { Algorithm, Evaluator, ModelData, Selection, StateValidator } from '../types.js';
import {
  factorizationMachinesSchema, type FactorizationMachinesHyperparameters as Hp, type FactorizationMachinesSchema,
} from './hyperparameters.js';
import { FactorizationMachinesModel } from './model.js';
import { checkHyperparameters, fmSettings, modelGrid, revisionOf, type FmSettings } from './settings.js';
import { counter, createFmState, freshScalars, kernelMetrics, kernelState, type FactorizationMachinesState } from './state.js';
import { addScaled, removeExtraBaseCounts } from '../round-counts.js';
import { countedUpdate } from '../counted-update.js';
import { guardStates } from '../state-guard.js';

export { FactorizationMachinesModel } from './model.js';
export type { Recommendations } from './model.js';
export { factorizationMachinesSchema } from './hyperparameters.js';
export type { FactorizationMachinesHyperparameters } from './hyperparameters.js';
export type { FactorizationMachinesState } from './state.js';

const settingsCache = new WeakMap<FactorizationMachinesState, FmSettings>();
function settingsOf(state: FactorizationMachinesState): FmSettings {
  let settings = settingsCache.get(state);
  if (!settings) {
    const revision = revisionOf(state);
    settings = fmSettings(state.hyperparameters, state.schema.featureDim, modelGrid(state.hyperparameters, revision), revision);
    settingsCache.set(state, settings);
  }
  return settings;
}

/** SageMaker's metric names from one model's sums. */
function metricsOf(binary: boolean, loss: number, weight: number, confusion?: ArrayLike<number>): Record<string, number> {
  if (weight === 0) return {};
  if (!binary) return { rmse: Math.sqrt(loss / weight), mse: loss / weight };
  const [tp, fp, tn, fn] = [confusion![0], confusion![1], confusion![2], confusion![3]];
  return {
    binary_classification_cross_entropy: loss / weight,
    binary_classification_accuracy: (tp + tn) / weight,
    binary_f_beta: tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
  };
}

function modelMetrics(state: FactorizationMachinesState, source: 'progressive' | 'validation', m: number): Record<string, number> {
  const t = state.tensors;
  const confusion = (t[`${source}_confusion`].data as Float64Array).subarray(m * 4, m * 4 + 4);
  return metricsOf(state.hyperparameters.predictor_type === 'binary_classifier',
    (t[`${source}_loss`].data as Float64Array)[m], (t[`${source}_weight`].data as Float64Array)[m], confusion);
}

function validatedNow(state: FactorizationMachinesState): boolean {
  const step = (state.tensors.counters.data as Float64Array)[counter.step];
  return state.scalars.validated_at_step === step && (state.tensors.validation_weight.data as Float64Array)[0] > 0;
}

/** The model with the lowest mean loss (log loss or squared error) on validation, else progressively. */
function bestModel(state: FactorizationMachinesState, source: 'progressive' | 'validation'): { model: number; loss: number } {
  const loss = state.tensors[`${source}_loss`].data as Float64Array;
  const weight = state.tensors[`${source}_weight`].data as Float64Array;
  let best = { model: 0, loss: Infinity };
  for (let m = 0; m < loss.length; m++) {
    const mean = weight[m] > 0 ? loss[m] / weight[m] : Infinity;
    if (mean < best.loss) best = { model: m, loss: mean };
  }
  return best;
}

/** Whether model m's bias, linear weights and factors are all finite (decay caught up). */
function parametersFinite(state: FactorizationMachinesState, m: number, grid: ReturnType<typeof modelGrid>): boolean {
  const models = grid.length;
  const { factors: k, offset } = grid[m];
  const width = state.tensors.factors.shape[1];
  const linear = state.tensors.linear.data as Float32Array;
  const factors = state.tensors.factors.data as Float32Array;
  if (!Number.isFinite((state.tensors.bias.data as Float32Array)[m])) return false;
  // model-sized work, once per finalize
  for (let i = 0; i < state.schema.featureDim; i++) {
    if (!Number.isFinite(linear[i * models + m])) return false;
    for (let f = 0; f < k; f++) if (!Number.isFinite(factors[i * width + offset + f])) return false;
  }
  return true;
}

/**
 * Why model m cannot be a model (undefined when it can): parameters that are not finite, or a
 * loss sum that is not (its scores overflowed: NaN or infinite predictions on data like the
 * training data's).
 */
function divergence(state: FactorizationMachinesState, source: 'progressive' | 'validation', m: number): string | undefined {
  const grid = modelGrid(state.hyperparameters, revisionOf(state));
  const loss = (state.tensors[`${source}_loss`].data as Float64Array)[m];
  const weight = (state.tensors[`${source}_weight`].data as Float64Array)[m];
  if (!parametersFinite(state, m, grid)) return `model ${m}'s parameters are not finite (its ${source} loss is ${weight > 0 ? loss / weight : 'unmeasured'})`;
  if (weight > 0 && !Number.isFinite(loss)) return `model ${m}'s ${source} loss is ${loss / weight} (its scores overflowed)`;
  return undefined;
}

/**
 * The model of lowest mean loss among those that have not diverged (finite parameters and loss
 * sums); lower index on ties. A diverged model is never chosen while another is sound; when every
 * model diverged, finalize stops with an error saying what to change.
 */
function healthiestModel(state: FactorizationMachinesState, source: 'progressive' | 'validation', grid: ReturnType<typeof modelGrid>): number {
  const loss = state.tensors[`${source}_loss`].data as Float64Array;
  const weight = state.tensors[`${source}_weight`].data as Float64Array;
  // No model scored (no validation rows, no progressive pass): order unknown, model 0 first as before.
  const mean = (m: number) => (weight[m] > 0 ? loss[m] / weight[m] : Infinity);
  const order = grid.map((_, m) => m).sort((a, b) => {
    const [x, y] = [mean(a), mean(b)];
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.isNaN(x) ? 1 : -1;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  let first: string | undefined;
  for (const m of order) {
    const problem = divergence(state, source, m);
    if (!problem) return m;
    first ??= problem;
  }
  throw divergedError(state, grid, order[0], first!, grid.length > 1 ? `none of the ${grid.length} models kept finite parameters and loss` : 'it is the only model');
}

function divergedError(state: FactorizationMachinesState, grid: ReturnType<typeof modelGrid>, m: number, problem: string, context: string): RangeError {
  const g = grid[m];
  // Features of very large magnitude (1e30) make gradients past float32's range, which no
  // learning rate tames (Adam's step would be bounded, but its float32 moments overflow first):
  // so scaling and clipping come first, the learning rates after.
  const clip = state.hyperparameters.clip_gradient;
  return new RangeError(`factorization-machines: training diverged: ${problem}; ${context}: ` +
    'scale the features (factorization machines do not normalize their inputs; features of very large magnitude give ' +
    `gradients past float32's range), ${clip === 'auto' ? 'set clip_gradient (e.g. 1)' : `lower clip_gradient (${clip})`}, ` +
    `or lower factors_lr (${g.factorsLr}), linear_lr (${g.linearLr}) or bias_lr (${g.biasLr})`);
}

/** Rows of positive weight, and for a binary classifier both classes, in the training stream. */
function requireBothClasses(state: FactorizationMachinesState): void {
  // It reads the progressive sums: stale while a GPU backend holds the latest batches.
  requireSettled(state, 'factorization-machines checkTrainingData');
  requireTrainingWeight('factorization-machines', Number(state.scalars.examples_seen), (state.tensors.progressive_weight.data as Float64Array)[0]);
  if (state.hyperparameters.predictor_type !== 'binary_classifier') return;
  // Every model sees every row: model 0's confusion weights [tp, fp, tn, fn] give the classes'.
  const c = state.tensors.progressive_confusion.data as Float64Array;
  requireTwoClasses('factorization-machines', 'binary_classifier', [c[1] + c[2], c[0] + c[3]]);
}

/** What the first pass says of the models that its metrics cannot show (the trainer emits each line as a warning). */
function fmDataWarnings(state: FactorizationMachinesState, _selection?: unknown, epochs?: number): string[] {
  const model = state.hyperparameters.predictor_type === 'binary_classifier' ? binaryWarnings(state) : regressorWarnings(state);
  return [...oneBatchWarnings(state), ...fewStepsWarnings(state, epochs ?? Math.max(1, Number(state.scalars.passes ?? 1))), ...model];
}

/** Optimizer steps below which a run is warned about: on 3-feature logistic data (num_factors=4), held-out accuracy 0.805 needed about 50. */
const enoughSteps = 50;

/**
 * A run of few optimizer steps (the first pass's steps × `epochs`, the run's passes): the defaults
 * (batches of 1,000, one epoch) give a small file a handful, and the model is then far from fitted
 * with exit 0 and no word (2,000 rows of 3-feature logistic data: held-out accuracy 0.68 after 2
 * steps, 0.77 after 10, 0.80 after 50, where the linear learner reached 0.805). Said after the first pass.
 */
function fewStepsWarnings(state: FactorizationMachinesState, epochs: number): string[] {
  const seen = Math.max(1, Number(state.scalars.passes ?? 1));
  const passes = Math.max(seen, epochs);
  const steps = ((state.tensors.counters.data as Float64Array)[counter.step] / seen) * passes;
  if (!(steps > 0) || steps >= enoughSteps) return [];
  // Batches that many times smaller make 50 steps: the rows a step takes, whether one process
  // reads them all or each data-parallel worker its share (the advice was the batch size in use).
  const batch = Number(state.hyperparameters.mini_batch_size);
  const perStep = Math.min(batch, Number(state.scalars.examples_seen) / ((state.tensors.counters.data as Float64Array)[counter.step]));
  const size = Math.floor((perStep * steps) / enoughSteps);
  const advice = size >= 1 ? `lower mini_batch_size (to ${size.toLocaleString('en-US')} or fewer), or train more epochs` : 'train more epochs';
  return [`factorization-machines: this run makes ${steps.toLocaleString('en-US')} optimizer step${steps === 1 ? '' : 's'} ` +
    `(mini_batch_size ${batch}${passes > 1 ? `, ${passes} epochs` : ''}), too few for the weights and factors to fit (on 3-feature logistic ` +
    `data, held-out accuracy was 0.68 after 2 steps, 0.77 after 10 and 0.80 after 50, where a fitted model gives 0.805): ${advice}`];
}

/**
 * A first pass of one batch: progressive validation scores a batch before the models learn from it,
 * so with one batch the models were compared untrained (breast cancer, 398 rows under the default
 * mini_batch_size of 1,000: progressive accuracy 0.43, the choice among 3 models made by chance).
 */
function oneBatchWarnings(state: FactorizationMachinesState): string[] {
  const models = modelGrid(state.hyperparameters, revisionOf(state)).length;
  if (models < 2 || Number(state.scalars.batches_seen) !== 1) return [];
  return [`factorization-machines: the first pass was one batch (${state.scalars.examples_seen} rows, mini_batch_size ` +
    `${state.hyperparameters.mini_batch_size}): progressive validation scores each batch before the models learn from it, so the ${models} ` +
    'models were compared untrained and the progressive metrics are those of untrained models (a validation channel, when given, ' +
    'chooses instead). Lower mini_batch_size, or set num_models=1'];
}

/**
 * A binary classifier whose best model scored the first pass worse than twice the cross-entropy of
 * predicting the stream's positive rate: factorization machines neither centre nor scale their
 * inputs, and features far from 0 or of very different sizes make the pairwise terms too large
 * (dense features at ±1e6 gave cross-entropy 3e7 and accuracy 0.5, with exit 0 and no word).
 */
function binaryWarnings(state: FactorizationMachinesState): string[] {
  const [tp, fp, tn, fn] = state.tensors.progressive_confusion.data as Float64Array;
  const p = (tp + fn) / (tp + fp + tn + fn);
  if (!(p > 0 && p < 1)) return [];
  const baseline = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  const loss = state.tensors.progressive_loss.data as Float64Array;
  const weight = state.tensors.progressive_weight.data as Float64Array;
  const best = Math.min(...Array.from(loss, (l, m) => l / weight[m]).filter(Number.isFinite));
  if (!(best > 2 * baseline) || !Number.isFinite(best)) return [];
  return [`factorization-machines: the best model's progressive cross-entropy, ${best.toPrecision(4)}, is more than twice that of ` +
    `predicting the training stream's positive rate (${baseline.toFixed(4)}): factorization machines neither centre nor scale their inputs, ` +
    'and features far from 0 or of very different sizes make the pairwise terms too large. Centre and scale the features before training'];
}

/**
 * A regressor whose best progressive mean squared error is more than twice the labels' variance:
 * predicting their mean would do better. Labels far from 0 are the usual cause (the bias starts near
 * 0 and moves a learning rate a step: labels near 10^6 gave RMSE 10^6, with exit 0 and no word).
 * States written before the label moments were kept have none (Σw = 0): nothing to say.
 */
function regressorWarnings(state: FactorizationMachinesState): string[] {
  const [weight, sum, squares] = state.tensors.progressive_labels.data as Float64Array;
  if (!(weight > 0)) return [];
  const mean = sum / weight;
  const variance = Math.max(0, squares / weight - mean * mean);
  const loss = state.tensors.progressive_loss.data as Float64Array;
  const lossWeight = state.tensors.progressive_weight.data as Float64Array;
  const best = Math.min(...Array.from(loss, (l, m) => l / lossWeight[m]).filter(Number.isFinite));
  if (!Number.isFinite(best)) return [];
  // Labels all equal (variance 0, or what rounding leaves of it): "twice their variance" would be any
  // error at all (all labels 0, predictions within 0.06: "centre the labels"). Said only when the
  // predictions miss the one value by more than a tenth of it (or of 1, for labels near 0).
  if (variance <= 1e-13 * mean * mean) {
    if (!(best > 0.01 * Math.max(mean * mean, 1))) return [];
    return [`factorization-machines: the training labels are all ${mean.toPrecision(6)}, and the best model's progressive mean squared error is ` +
      `${best.toPrecision(4)}: the bias starts near 0 and moves a learning rate a step. There is nothing to learn from these rows but that value: ` +
      `set bias_init_method=constant with bias_init_value=${mean.toPrecision(6)}, or give rows whose labels vary`];
  }
  if (!(best > 2 * variance) || !(best > 1e-12)) return [];
  return [`factorization-machines: the best model's progressive mean squared error, ${best.toPrecision(4)}, is more than twice the variance of ` +
    `the training labels (${variance.toPrecision(4)}): predicting their mean, ${mean.toPrecision(6)}, would do better. Factorization machines ` +
    'centre neither the labels nor the features, and the bias starts near 0: centre the labels (subtract their mean and add it back to ' +
    'predictions, or set bias_init_method=constant with bias_init_value near it), and centre and scale the features'];
}

/** The chosen model of a state; what a GPU backend holds of it is read back first. */
async function finalize(state: FactorizationMachinesState, backend: Backend, selection?: Selection): Promise<FactorizationMachinesModel> {
  await settleState(state);
  return finalizeSettled(state, backend, selection);
}

function finalizeSettled(state: FactorizationMachinesState, backend: Backend, selection?: Selection): FactorizationMachinesModel {
  const hp = state.hyperparameters;
  for (const key of Object.keys(selection ?? {})) {
    if (key !== 'model') throw new RangeError(`factorization-machines select: unknown selection '${key}'; expected model`);
  }
  const grid = modelGrid(hp, revisionOf(state));
  requireBothClasses(state);
  const source = validatedNow(state) ? 'validation' : 'progressive';
  const settings = settingsOf(state);
  loadCoreAddon().fmCatchUp(settings, kernelState(state));
  let chosen: number;
  if (selection?.model !== undefined) {
    const model = Number(selection.model);
    if (!Number.isInteger(model) || model < 0 || model >= grid.length) throw new RangeError(`factorization-machines select: model ${JSON.stringify(selection.model)} is not in 0..${grid.length - 1}`);
    const problem = divergence(state, source, model);
    if (problem) throw divergedError(state, grid, model, problem, 'it is the model selected');
    chosen = model;
  } else {
    chosen = healthiestModel(state, source, grid);
  }
  const d = state.schema.featureDim;
  const models = grid.length;
  const { factors: k, offset } = grid[chosen];
  const width = state.tensors.factors.shape[1];
  const linear = state.tensors.linear.data as Float32Array;
  const factors = state.tensors.factors.data as Float32Array;
  const w = new Float32Array(d);
  const v = new Float32Array(d * k);
  for (let i = 0; i < d; i++) {
    w[i] = linear[i * models + chosen];
    v.set(factors.subarray(i * width + offset, i * width + offset + k), i * k);
  }
  const data: ModelData = {
    algorithm: 'factorization-machines',
    hyperparameters: hp,
    schema: state.schema,
    tensors: { w0: tensor(Float32Array.of((state.tensors.bias.data as Float32Array)[chosen])), w: tensor(w), v: tensor(v, [d, k]) },
    scalars: {
      predictor_type: hp.predictor_type, num_factors: k, selected_model: chosen,
      selection_source: selection?.model !== undefined ? 'given' : source === 'validation' ? 'validation' : 'progressive validation on the training stream',
      linear_lr: grid[chosen].linearLr, factors_lr: grid[chosen].factorsLr, linear_wd: grid[chosen].linearWd, factors_wd: grid[chosen].factorsWd,
      examples_seen: state.scalars.examples_seen,
    },
  };
  return new FactorizationMachinesModel(data, backend);
}

/** Metrics of a finalized model: its arrays as a one-model state, scored by the same kernel. */
function createEvaluator(model: FactorizationMachinesModel): Evaluator {
  const hp = model.data().hyperparameters as Hp;
  const d = model.featureDim;
  const settings = fmSettings({ ...hp, num_models: 1, num_factors: model.numFactors }, d, [{
    factors: model.numFactors, offset: 0, biasLr: 0, linearLr: 0, factorsLr: 0, biasWd: 0, linearWd: 0, factorsWd: 0,
  }]);
  const state = {
    bias: Float32Array.of(model.bias), linear: model.linear, factors: model.factors,
    lastStep: new Int32Array(d), counters: new Float64Array(2), slot: new Int32Array(d).fill(-1),
  };
  const metrics = { loss: new Float64Array(1), weight: new Float64Array(1), confusion: new Float64Array(4) };
  const sums = { tensors: { loss: { data: metrics.loss } } };
  const calls = new CallsUnderWay();
  let batches = 0;
  return {
    add: (batch: Batch) => calls.track((async () => {
      try {
        await runKernel(model.backend, 'fmEvaluate', { settings, state, batch, metrics });
      } catch (error) {
        throw new BatchError(`factorization-machines evaluate batch ${batches}: ${(error as Error).message}`);
      }
      batches++;
    })()),
    // A GPU backend holds the sums until they are read: after the adds under way.
    async settle() {
      await calls.ended();
      await settleState(sums);
    },
    result() {
      requireSettled(sums, 'factorization-machines evaluate', 'await evaluator.settle() before result() (train() and the CLI do it)');
      requireEvaluatedWeight('factorization-machines', metrics.weight[0]);
      return metricsOf(model.binary, metrics.loss[0], metrics.weight[0], metrics.confusion);
    },
  };
}

/** Scores every model of the state on validation batches; finalize then selects on these sums. */
function createStateValidator(state: FactorizationMachinesState, backend: Backend): StateValidator {
  // The sums start again from zero: sums a GPU backend still held would be added back in when settled.
  requireSettled(state, 'factorization-machines validation');
  for (const name of ['validation_loss', 'validation_weight', 'validation_confusion']) (state.tensors[name].data as Float64Array).fill(0);
  const metrics = kernelMetrics(state, 'validation');
  const calls = new CallsUnderWay();
  let batches = 0;
  return {
    add: (batch: Batch) => calls.track((async () => {
      try {
        await settleForBackend(state, backend);
        await runKernel(backend, 'fmEvaluate', { settings: settingsOf(state), state: kernelState(state), batch, metrics });
      } catch (error) {
        throw new BatchError(`factorization-machines validation batch ${batches}: ${(error as Error).message}`);
      }
      batches++;
    })()),
    async finish() {
      await calls.ended();
      await settleState(state);
      state.scalars.validated_at_step = (state.tensors.counters.data as Float64Array)[counter.step];
      requireValidationWeight('factorization-machines', (state.tensors.validation_weight.data as Float64Array)[0]);
      const { model } = bestModel(state, 'validation');
      return { ...modelMetrics(state, 'validation', model), selected_model: model };
    },
  };
}

/**
 * Called by the trainer after each whole pass over the training channel. From revision 2 on,
 * progressive sums stop at the end of the first pass — later passes score rows the state has
 * trained on, which would favour the model that memorises most — so selection without a
 * validation channel is honest.
 */
function endPass(state: FactorizationMachinesState): void {
  if (revisionOf(state) >= 2) state.scalars.passes = Number(state.scalars.passes ?? 0) + 1;
}

/** New data (incremental training): its first pass is progressive again. */
function beginRun(state: FactorizationMachinesState): void {
  if (revisionOf(state) >= 2) state.scalars.passes = 0;
}

/** Progressive sums to add this batch's scores to: none once a pass is complete (revision 2). */
function progressiveSums(state: FactorizationMachinesState) {
  return revisionOf(state) >= 2 && Number(state.scalars.passes ?? 0) > 0 ? null : kernelMetrics(state, 'progressive');
}

/**
 * Shards' states averaged, weighted by the rows each trained on (every feature's decay
 * caught up first); metric sums added. The result is at the latest shard's step.
 */
function merge(states: FactorizationMachinesState[]): FactorizationMachinesState {
  return mergeSince(states, undefined);
}

/**
 * A merge round: `states` each continued from a copy of `base`. Parameters and moments are averaged
 * weighted by the rows each trained on since base; rows and metric sums are base's plus every
 * state's increment.
 */
function mergeRound(base: FactorizationMachinesState, states: FactorizationMachinesState[], into?: FactorizationMachinesState): FactorizationMachinesState {
  const merged = mergeSince(states, base, into);
  const copies = states.length - 1;
  removeExtraBaseCounts(merged, base, copies, Object.keys(merged.tensors).filter((name) => name.startsWith('progressive_') || name.startsWith('validation_')));
  (merged.tensors.counters.data as Float64Array)[counter.rows] -= copies * (base.tensors.counters.data as Float64Array)[counter.rows];
  return merged;
}

/** Whether every feature is current at the state's step (nothing owed: a merge, or caught up already). */
function allCurrent(state: FactorizationMachinesState): boolean {
  const step = (state.tensors.counters.data as Float64Array)[counter.step];
  const last = state.tensors.last_step.data as Int32Array;
  for (let i = 0; i < last.length; i++) if (last[i] !== step) return false;
  return true;
}

/**
 * Every feature's decay brought to the state's step in place (what it means is unchanged); nothing
 * is called when nothing is owed: a no-op catch-up still went through the thread pool, where it
 * waited behind parse work while every worker waited for the round.
 */
function catchUpInPlace(state: FactorizationMachinesState, what = 'factorization-machines catch-up'): void {
  requireSettled(state, what);
  if (!allCurrent(state)) loadCoreAddon().fmCatchUp(settingsOf(state), kernelState(state));
}

function mergeSince(states: FactorizationMachinesState[], base: FactorizationMachinesState | undefined,
  into?: FactorizationMachinesState): FactorizationMachinesState {
  if (states.length === 0) throw new RangeError('factorization-machines merge: no states');
  requireAlgorithm('factorization-machines merge', 'factorization-machines', base ? [...states, base] : states);
  const first = states[0];
  // Every tensor is written below: `into`'s buffers serve as they are (allocating costs more than the merge).
  const merged = into ? Object.assign(into, { schema: { ...first.schema }, scalars: freshScalars() }) : createFmState(first.hyperparameters, first.schema);
  merged.scalars.revision = revisionOf(first);
  const baseRows = base ? (base.tensors.counters.data as Float64Array)[counter.rows] : 0;
  const rows = states.map((s) => (s.tensors.counters.data as Float64Array)[counter.rows] - baseRows);
  const trained = rows.reduce((a, b) => a + b, 0);
  const total = trained + states.length * baseRows;
  for (const s of states) requireSettled(s, 'factorization-machines merge');
  requireSameHyperparameters('factorization-machines merge', base ? [...states, base] : states);
  for (const [i, s] of states.entries()) {
    if (s.schema.featureDim !== first.schema.featureDim) throw new RangeError(`factorization-machines merge: state ${i} has ${s.schema.featureDim} features, state 0 has ${first.schema.featureDim}`);
    if (revisionOf(s) !== revisionOf(first)) throw new RangeError(`factorization-machines merge: state ${i} is of revision ${revisionOf(s)}, state 0 of revision ${revisionOf(first)} (train both with one version)`);
    catchUpInPlace(s, 'factorization-machines merge');
  }
  for (const [name, t] of Object.entries(merged.tensors)) {
    const out = t.data as Float32Array | Float64Array;
    if (name === 'last_step' || name === 'counters') continue;
    out.fill(0);
    const additive = name.startsWith('progressive_') || name.startsWith('validation_');
    for (const [i, s] of states.entries()) {
      addScaled(out, s.tensors[name].data as Float32Array | Float64Array, additive ? 1 : trained > 0 ? rows[i] / trained : 1 / states.length);
    }
  }
  const step = Math.max(...states.map((s) => (s.tensors.counters.data as Float64Array)[counter.step]));
  (merged.tensors.last_step.data as Int32Array).fill(step);
  (merged.tensors.counters.data as Float64Array).set([step, total]);
  merged.scalars.examples_seen = states.reduce((n, s) => n + Number(s.scalars.examples_seen), 0);
  merged.scalars.batches_seen = states.reduce((n, s) => n + Number(s.scalars.batches_seen), 0);
  if (revisionOf(first) >= 2) merged.scalars.passes = Math.max(...states.map((s) => Number(s.scalars.passes ?? 0)));
  else delete merged.scalars.passes;
  return merged;
}

export const factorizationMachines: Algorithm<FactorizationMachinesSchema, FactorizationMachinesModel> & {
  /** Metrics of each model the state holds, from its progressive or validation sums. */
  modelMetrics(state: FactorizationMachinesState, source?: 'progressive' | 'validation'): Record<string, number>[];
} = guardStates({
  name: 'factorization-machines',
  hyperparameters: factorizationMachinesSchema,
  labelSize: 1,
  labelClasses: (hp) => (hp.predictor_type === 'binary_classifier' ? 2 : undefined),

  createState(hp, schema) {
    checkHyperparameters(hp);
    return createFmState(hp, schema);
  },

  update: (state, batch, backend) => countedUpdate(state, batch, async () => {
    // Batches another backend still holds go into the arrays first: this backend's kernel reads them.
    await settleForBackend(state, backend);
    return runKernel(backend, 'fmUpdate', { settings: settingsOf(state), state: kernelState(state), batch, metrics: progressiveSums(state) });
  }),

  merge,
  mergeRound,
  // The catch-up mergeSince does to every state, done by each worker on its own core (then a no-op there): same bytes.
  // (It writes the host's arrays: a GPU backend's copy would overwrite it when settled, so the state must be settled.)
  prepareUpload: (state) => catchUpInPlace(state, 'factorization-machines prepareUpload'),
  // num_models' default was 1 before it was auto: a file that does not name it meant one model.
  upgradeStoredHyperparameters: (hp) => (hp.num_models === undefined ? { ...hp, num_models: 1 } : hp),
  checkTrainingData: requireBothClasses,
  dataWarnings: fmDataWarnings,
  // The label moments (regressorWarnings): a state written before them has none.
  addedTensors: ['progressive_labels'],
  endPass,
  beginRun,
  finalize,
  loadModel(data, backend) {
    parseHyperparameters('factorization-machines', factorizationMachinesSchema, data.hyperparameters);
    return new FactorizationMachinesModel(data, backend);
  },

  createEvaluator,
  createStateValidator,
  objective: (hp: Hp) => (hp.predictor_type === 'binary_classifier'
    ? { metric: 'binary_classification_cross_entropy', minimize: true }
    : { metric: 'rmse', minimize: true }),

  progressiveMetrics(state) {
    // A GPU backend holds the latest batches' sums until the state is settled (the end of each
    // pass, checkpoints): no numbers rather than stale ones meanwhile.
    if (!isSettled(state)) return {};
    const { model } = bestModel(state, 'progressive');
    const metrics = modelMetrics(state, 'progressive', model);
    if (Object.keys(metrics).length === 0) return {};
    return Object.fromEntries([...Object.entries(metrics).map(([k, v]) => [`progressive_${k}`, v]), ['best_model', model]]);
  },

  modelMetrics(state, source = 'progressive') {
    if (source !== 'progressive' && source !== 'validation') throw new RangeError(`factorization-machines modelMetrics: source ${JSON.stringify(source)} is not 'progressive' or 'validation'`);
    requireSettled(state, 'factorization-machines modelMetrics');
    const grid = modelGrid(state.hyperparameters, revisionOf(state));
    return grid.map((g, m) => ({
      model: m, num_factors: g.factors, linear_lr: g.linearLr, factors_lr: g.factorsLr, linear_wd: g.linearWd, factors_wd: g.factorsWd, ...modelMetrics(state, source, m),
    }));
  },
}, { modelMetrics: false });
