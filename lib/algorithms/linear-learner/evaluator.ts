// Metrics under SageMaker's names: for a finalized model (evaluate, test
// channel) and for every model a state holds at once (validation: one pass
// calibrates thresholds and picks the model). All sums run in the native
// kernel; memory is fixed (histograms, per-class counts), never per row.
import type { Backend } from '../../backends/registry.js';
import type { LinearLearnerMetrics, LinearLearnerSettings } from '../../backends/kernels.js';
import type { Batch } from '../../data/batch.js';
import { BatchError } from '../../data/batch.js';
import { DegenerateDataError, requireEvaluatedWeight, requireValidationWeight } from '../degenerate-data.js';
import type { Evaluator } from '../types.js';
import type { LinearLearnerModel } from './model.js';
import { CallsUnderWay, requireSettled, settleState } from '../../backends/device-state.js';
import { runKernel } from '../../backends/run-kernel.js';
import { accuracyOf, binaryMetricsAt, chooseModel, fBetaOf, precisionOf, recallOf, rocAucOf, type ModelSums } from './selection.js';
import { calibrationBins, lossCodes, resolveSettings } from './settings.js';
import { caughtUp, kernelArrays, kernelMetrics, counter, type LinearLearnerState } from './state.js';
import { criterionOf, targetsOf } from './objective.js';

/** Bins of the score histogram a model's evaluation computes ROC AUC from. */
export const evaluationBins = 65536;

function kernelError(what: string, error: unknown): Error {
  return new BatchError(`${what}: ${(error as Error).message}`);
}

export function createModelEvaluator(model: LinearLearnerModel): Evaluator {
  const hp = model.hyperparameters;
  const resolved = resolveSettings(hp, model.data().schema);
  const classes = model.classes;
  const settings: LinearLearnerSettings = {
    ...resolved.kernel, models: 1, classes, loss: lossCodes[model.loss], useBias: true, scalerPoints: 0,
    normalizeData: false, unbiasData: model.scoring().origin !== undefined, normalizeLabel: false, unbiasLabel: false, positiveWeighting: 0, balanceMulticlass: false,
  };
  const binary = model.predictorType === 'binary_classifier';
  const multiclass = model.predictorType === 'multiclass_classifier';
  const metrics: LinearLearnerMetrics = {
    lossSum: new Float64Array(1), weightSum: new Float64Array(1),
    ...(binary ? { histogram: new Float64Array(2 * evaluationBins), histogramBins: evaluationBins, histogramLogScale: true, confusion: new Float64Array(4), threshold: model.threshold } : {}),
    ...(multiclass ? {
      correct: new Float64Array(1), topKCorrect: new Float64Array(1), topK: hp.accuracy_top_k, dcg: new Float64Array(1),
      classTruePositive: new Float64Array(classes), classPredicted: new Float64Array(classes), classActual: new Float64Array(classes),
    } : {}),
    ...(!binary && !multiclass ? { squaredError: new Float64Array(1), absoluteError: new Float64Array(1) } : {}),
  };
  const { weights, bias, origin, labelOrigin } = model.scoring();
  // One object for every batch: the kernel prepares it once. A model with an origin is scored
  // about it as a state is about its shift (a scale of 1): x' = x − origin; a label origin as a
  // state's label shift, added to the score in float64.
  const arrays = {
    weights, bias, ...(origin ? { featureShift: origin, featureScale: new Float32Array(origin.length).fill(1) } : {}),
    ...(labelOrigin !== undefined ? { labelTransform: Float32Array.of(labelOrigin, 1) } : {}),
  };
  const sums = { tensors: { loss: { data: metrics.lossSum } } };
  const calls = new CallsUnderWay();
  let batches = 0;
  return {
    add: (batch: Batch) => calls.track((async () => {
      try {
        await runKernel(model.backend, 'linearLearnerEvaluate', { settings, state: arrays, batch, metrics });
      } catch (error) {
        throw kernelError(`linear-learner evaluation batch ${batches}`, error);
      }
      batches++;
    })()),
    // A GPU backend holds the sums until they are read: after the adds under way.
    async settle() {
      await calls.ended();
      await settleState(sums);
    },
    result() {
      requireSettled(sums, 'linear-learner evaluate', 'await evaluator.settle() before result() (train() and the CLI do it)');
      const n = metrics.weightSum[0];
      requireEvaluatedWeight('linear-learner', n);
      const mean = (v: number) => v / n;
      const out: Record<string, number> = { objective_loss: mean(metrics.lossSum[0]) };
      if (binary) {
        const [tp, fp, tn, fn] = metrics.confusion!;
        const point = { threshold: model.threshold, tp, fp, tn, fn };
        const h = metrics.histogram!;
        Object.assign(out, {
          binary_classification_accuracy: accuracyOf(point), binary_f_beta: fBetaOf(point, hp.f_beta),
          precision: precisionOf(point), recall: recallOf(point),
          roc_auc_score: rocAucOf(h.subarray(0, evaluationBins), h.subarray(evaluationBins)),
        });
      } else if (multiclass) {
        let precision = 0;
        let recall = 0;
        let fBeta = 0;
        let present = 0;
        const b2 = hp.f_beta * hp.f_beta;
        for (let c = 0; c < classes; c++) {
          const actual = metrics.classActual![c];
          const predicted = metrics.classPredicted![c];
          if (actual === 0 && predicted === 0) continue;
          const tp = metrics.classTruePositive![c];
          const p = predicted > 0 ? tp / predicted : 0;
          const r = actual > 0 ? tp / actual : 0;
          precision += p;
          recall += r;
          fBeta += p + r > 0 ? ((1 + b2) * p * r) / (b2 * p + r) : 0;
          present++;
        }
        Object.assign(out, {
          multiclass_accuracy: mean(metrics.correct![0]), multiclass_top_k_accuracy: mean(metrics.topKCorrect![0]),
          macro_precision: present > 0 ? precision / present : NaN, macro_recall: present > 0 ? recall / present : NaN,
          macro_f_beta: present > 0 ? fBeta / present : NaN, dcg: mean(metrics.dcg![0]),
        });
      } else {
        const mse = mean(metrics.squaredError![0]);
        Object.assign(out, { mse, rmse: Math.sqrt(mse), absolute_loss: mean(metrics.absoluteError![0]) });
      }
      return out;
    },
  };
}

/** The per-model sums a state holds under a prefix, for selection. */
export function modelSums(state: LinearLearnerState, prefix: 'progressive' | 'validation'): ModelSums {
  const m = kernelMetrics(state, prefix);
  return {
    models: m.lossSum.length, loss: m.lossSum, weight: m.weightSum[0],
    ...(m.lossDifferenceSq && m.weightSqSum![0] > 0 ? { lossDifferenceSq: m.lossDifferenceSq, weightSq: m.weightSqSum![0] } : {}),
    ...(m.histogram ? { histogram: m.histogram } : {}), bins: calibrationBins,
  };
}

/** Metrics of one model of the state from its sums under a prefix. */
export function stateMetrics(state: LinearLearnerState, prefix: 'progressive' | 'validation', model: number,
  threshold?: number): Record<string, number> {
  const sums = modelSums(state, prefix);
  const metrics = kernelMetrics(state, prefix);
  const n = sums.weight;
  const mean = (v: number) => (n > 0 ? v / n : NaN);
  const hp = state.hyperparameters;
  const resolved = resolveSettings(hp, state.schema);
  if (resolved.predictor === 'binary_classifier') {
    const choice = chooseModel(sums, true, criterionOf(hp), targetsOf(hp), model);
    return binaryMetricsAt(sums, threshold === undefined ? choice : { ...choice, threshold, point: undefined }, hp.f_beta);
  }
  if (resolved.predictor === 'multiclass_classifier') {
    return { objective_loss: mean(metrics.lossSum[model]), multiclass_accuracy: mean(metrics.correct![model]) };
  }
  const mse = mean(metrics.squaredError![model]);
  return { objective_loss: mean(metrics.lossSum[model]), mse, rmse: Math.sqrt(mse), absolute_loss: mean(metrics.absoluteError![model]) };
}

/**
 * Scores every model of the state on validation batches (up to num_calibration_samples rows),
 * then stores the sums in the state's validation_* tensors, so finalize calibrates and selects
 * on them. Returns the selected model's metrics.
 */
export function createStateValidator(state: LinearLearnerState, backend: Backend): { add(batch: Batch): Promise<void>; finish(): Promise<Record<string, number>> } {
  const resolved = resolveSettings(state.hyperparameters, state.schema);
  // The sums start again from zero: sums a GPU backend still held would be added back in when settled.
  requireSettled(state, 'linear-learner validation');
  const arrays = { ...kernelArrays(state), ...caughtUp(state) };
  for (const name of Object.keys(state.tensors)) if (name.startsWith('validation_')) state.tensors[name].data.fill(0 as never);
  const metrics = kernelMetrics(state, 'validation');
  const calls = new CallsUnderWay();
  let rows = 0;
  let batches = 0;
  return {
    add(batch: Batch) {
      const left = resolved.calibrationSamples - rows;
      if (left <= 0) return Promise.resolve();
      const view = batch.rows > left ? { ...batch, rows: left } : batch;
      // Counted when started: adds started together take num_calibration_samples rows in all, as one after another do.
      rows += view.rows;
      return calls.track((async () => {
        try {
          await runKernel(backend, 'linearLearnerEvaluate', { settings: resolved.kernel, state: arrays, batch: view, metrics });
        } catch (error) {
          rows -= view.rows;
          throw kernelError(`linear-learner validation batch ${batches}`, error);
        }
        batches++;
      })());
    },
    async finish() {
      // What a GPU backend holds of the sums goes into the state's validation tensors, after the adds under way.
      await calls.ended();
      await settleState(state);
      state.scalars.validated_at_step = (state.tensors.counters.data as Float64Array)[counter.step];
      requireValidationWeight('linear-learner', modelSums(state, 'validation').weight);
      if (resolved.predictor === 'binary_classifier') requireBothClassesValidated(modelSums(state, 'validation'));
      const choice = chooseModel(modelSums(state, 'validation'), resolved.predictor === 'binary_classifier', criterionOf(state.hyperparameters), targetsOf(state.hyperparameters));
      return { ...stateMetrics(state, 'validation', choice.model), selected_model: choice.model };
    },
  };
}

/**
 * A binary classifier's threshold and model are chosen on validation rows: rows of one class make
 * every threshold that rejects all rows look perfect (accuracy 1, then recall 0 on real data).
 */
function requireBothClassesValidated(sums: ModelSums): void {
  const h = sums.histogram as Float64Array | undefined;
  if (!h) return;
  let [negatives, positives] = [0, 0];
  for (let b = 0; b < sums.bins; b++) {
    negatives += h[b];
    positives += h[sums.bins + b];
  }
  if (negatives > 0 && positives > 0) return;
  const what = negatives + positives === 0 ? 'no rows' : `only rows of class ${positives > 0 ? 1 : 0} (weight ${(negatives + positives).toLocaleString('en-US')})`;
  throw new DegenerateDataError(`linear-learner: the validation data held ${what}; choosing the model and calibrating its ` +
    'threshold needs rows of both classes. Check the validation channel\'s label column, or leave validation out ' +
    '(the model is then chosen on the training stream\'s first pass)');
}
