// A finalized linear learner: one plain linear model (the scaler folded into
// its weights, so the coefficients read directly on the input's scale) with
// its decision threshold. A model trained with centring scores rows about an
// origin (the training data's mean): score = bias + Σ (x − origin)·w, and a
// regressor adds its label origin (its intercept's float32 part, the rest in
// bias), so data and labels far from 0 keep their digits. Outputs follow SageMaker: `score` (probability for
// logistic, the raw margin for hinge, class probabilities for multiclass,
// the value for regression) and `predicted_label`.
import { requireRowBatch, type Batch } from '../../data/batch.js';
import type { Backend } from '../../backends/registry.js';
import { saveModel } from '../persistence.js';
import type { Model, ModelData } from '../types.js';
import { parseHyperparameters } from '../hyperparameters.js';
import { linearLearnerSchema, type LinearLearnerHyperparameters } from './hyperparameters.js';
import { runKernel } from '../../backends/run-kernel.js';
import { checkPredictRow, float32Score, rejectUnknownPredictOptions } from '../predict-one.js';
import { lossCodes, lossesFor, type LossName, type PredictorType } from './settings.js';

export interface LinearLearnerPredictOptions {
  /**
   * Decision threshold for binary classifiers, overriding the calibrated one: a probability in
   * (0, 1) for logistic loss, a raw score for hinge loss.
   */
  threshold?: number;
}

export type LinearLearnerPredictions = Record<string, Float32Array> & { score: Float32Array };

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

export class LinearLearnerModel implements Model {
  readonly algorithm = 'linear-learner';
  readonly predictorType: PredictorType;
  readonly loss: LossName;
  readonly classes: number;
  readonly featureDim: number;
  readonly hyperparameters: LinearLearnerHyperparameters;
  private readonly weights: Float32Array;
  /** The bias at the origin (at 0 for a model without one). */
  private readonly bias: Float32Array;
  private readonly origin?: Float32Array;
  /** A regressor's label origin (its intercept's float32 part), added to every score; 0 without one. */
  private readonly labelOrigin: number;

  constructor(private readonly modelData: ModelData, readonly backend: Backend) {
    this.hyperparameters = parseHyperparameters('linear-learner', linearLearnerSchema, modelData.hyperparameters);
    this.predictorType = modelData.scalars.predictor_type as PredictorType;
    this.loss = modelData.scalars.loss as LossName;
    this.classes = Number(modelData.scalars.num_classes);
    this.featureDim = modelData.schema.featureDim;
    if (!(this.loss in lossCodes)) throw new RangeError(`linear-learner model: unknown loss '${this.loss}'`);
    // A file edited or damaged since training can pair them wrongly (a regressor's file saying loss
    // logistic crashed predict; a classifier's saying regressor scored mse 0): training refuses that.
    // A binary classifier's decision threshold (a raw score) is in every model finalize writes: without
    // it, predictions cut at 0 (a margin of 0.5 became 0, and rows between changed class).
    const threshold = modelData.scalars.threshold;
    if ((threshold !== undefined || this.predictorType === 'binary_classifier') && typeof threshold !== 'number') {
      throw new RangeError(`linear-learner model: threshold ${threshold === undefined ? 'is missing' : `${JSON.stringify(threshold)} is not a number`}: the file was edited or damaged`);
    }
    const expected = lossesFor[this.predictorType];
    if (!expected || this.predictorType !== this.hyperparameters.predictor_type || !expected.includes(this.loss)) {
      throw new RangeError(`linear-learner model: predictor_type ${String(this.predictorType)} (hyperparameter: ${this.hyperparameters.predictor_type}) ` +
        `with loss ${this.loss} is not a model training makes${expected ? ` (its losses: ${expected.join(', ')})` : ''}: the file was edited or damaged`);
    }
    const { weights, bias } = modelData.tensors;
    if (!weights || !bias || !(weights.data instanceof Float32Array) || !(bias.data instanceof Float32Array)
      || weights.data.length !== this.featureDim * this.classes || bias.data.length !== this.classes) {
      throw new RangeError(`linear-learner model: expected Float32 weights [${this.featureDim}, ${this.classes}] and bias [${this.classes}]`);
    }
    this.weights = weights.data;
    this.bias = bias.data;
    const origin = modelData.tensors.origin;
    if (origin && (!(origin.data instanceof Float32Array) || origin.data.length !== this.featureDim)) {
      throw new RangeError(`linear-learner model: expected a Float32 origin [${this.featureDim}]`);
    }
    this.origin = origin?.data as Float32Array | undefined;
    const labelOrigin = modelData.tensors.label_origin;
    if (labelOrigin && (!(labelOrigin.data instanceof Float32Array) || labelOrigin.data.length !== 1 || this.classes !== 1)) {
      throw new RangeError('linear-learner model: expected a Float32 label_origin [1] of a one-output model');
    }
    this.labelOrigin = labelOrigin ? (labelOrigin.data as Float32Array)[0] : 0;
  }

  /** The decision threshold on the raw score (binary classifiers). */
  get threshold(): number {
    return Number(this.modelData.scalars.threshold ?? 0);
  }

  /**
   * Coefficients on the input's own scale: weights [featureDim × classes] (row-major) and bias
   * [classes], score = bias + x·w. A model trained with centring also gives the origin
   * [featureDim] it scores about and biasAtOrigin [classes], and a regressor its labelOrigin (the
   * intercept's float32 part, biasAtOrigin the rest): score = labelOrigin + biasAtOrigin + (x − origin)·w, which is what predict
   * computes. `bias` is that folded into one float32: for data or labels far from 0 its rounding
   * moves scores (by 0.1 at a bias of 2e6, 0.5 at 1e7); use the origin form there.
   */
  coefficients(): { weights: Float32Array; bias: Float32Array; origin?: Float32Array; biasAtOrigin?: Float32Array; labelOrigin?: number; featureDim: number; classes: number } {
    const plain = { weights: this.weights, featureDim: this.featureDim, classes: this.classes };
    if (!this.origin && this.labelOrigin === 0) return { ...plain, bias: this.bias };
    const bias = Float64Array.from(this.bias, (b) => b + this.labelOrigin);
    for (let j = 0; this.origin && j < this.featureDim; j++) {
      for (let c = 0; c < this.classes; c++) bias[c] -= this.origin[j] * this.weights[j * this.classes + c];
    }
    return {
      ...plain, bias: Float32Array.from(bias), ...(this.origin ? { origin: this.origin } : {}),
      biasAtOrigin: this.bias, ...(this.labelOrigin !== 0 ? { labelOrigin: this.labelOrigin } : {}),
    };
  }

  /** What the kernels score with: weights, the bias at the origin, the origin and the label origin (absent: 0). */
  scoring(): { weights: Float32Array; bias: Float32Array; origin?: Float32Array; labelOrigin?: number } {
    return {
      weights: this.weights, bias: this.bias, ...(this.origin ? { origin: this.origin } : {}),
      ...(this.labelOrigin !== 0 ? { labelOrigin: this.labelOrigin } : {}),
    };
  }

  private rawThreshold(options?: LinearLearnerPredictOptions): number {
    rejectUnknownPredictOptions('linear-learner predict', options);
    const given = options?.threshold;
    if (given === undefined) return this.threshold;
    if (this.predictorType !== 'binary_classifier') throw new RangeError('linear-learner predict: threshold applies to binary classifiers only');
    if (this.loss === 'logistic') {
      if (!(given > 0 && given < 1)) throw new RangeError(`linear-learner predict: threshold ${given} must be a probability in (0, 1) for logistic loss`);
      return logit(given);
    }
    if (!Number.isFinite(given)) throw new RangeError(`linear-learner predict: threshold ${given} must be a finite score`);
    return given;
  }

  checkPredictOptions(options: LinearLearnerPredictOptions & { distances?: boolean }): void {
    if (options.distances) throw new RangeError('linear-learner predict: distances are for clustering models');
    this.rawThreshold(options);
  }

  async predict(batch: Batch, options?: LinearLearnerPredictOptions): Promise<LinearLearnerPredictions> {
    requireRowBatch('linear-learner predict', batch);
    const width = this.predictorType === 'multiclass_classifier' ? this.classes : 1;
    const score = new Float32Array(batch.rows * width);
    const classifier = this.predictorType !== 'regressor';
    const predictedLabel = classifier ? new Float32Array(batch.rows) : undefined;
    const threshold = this.rawThreshold(options);
    try {
      await runKernel(this.backend, 'linearLearnerPredict', {
        model: { loss: lossCodes[this.loss], dim: this.featureDim, classes: this.classes, threshold, ...this.scoring() },
        batch,
        outputs: { score, ...(predictedLabel ? { predictedLabel } : {}) },
      });
    } catch (error) {
      const message = (error as Error).message;
      throw new RangeError(message.startsWith('linear-learner predict: ') ? message : `linear-learner predict: ${message}`);
    }
    return predictedLabel ? { score, predicted_label: predictedLabel } : { score };
  }

  predictOne(features: Float32Array, options?: LinearLearnerPredictOptions): Record<string, number | Float32Array> {
    rejectUnknownPredictOptions('linear-learner predictOne', options);
    checkPredictRow('linear-learner predictOne', features, this.featureDim);
    const scores = Float64Array.from(this.bias, (b) => b + this.labelOrigin);
    for (let j = 0; j < this.featureDim; j++) {
      const x = features[j] - (this.origin ? this.origin[j] : 0);
      if (x === 0) continue;
      for (let c = 0; c < this.classes; c++) scores[c] += x * this.weights[j * this.classes + c];
    }
    if (this.predictorType === 'regressor') return { score: float32Score('linear-learner predictOne', scores[0]) };
    if (this.predictorType === 'binary_classifier') {
      const label = scores[0] >= this.rawThreshold(options) ? 1 : 0;
      const score = this.loss === 'logistic' ? Math.fround(1 / (1 + Math.exp(-scores[0]))) : float32Score('linear-learner predictOne', scores[0]);
      return { score, predicted_label: label };
    }
    let best = 0;
    for (let c = 1; c < this.classes; c++) if (scores[c] > scores[best]) best = c;
    let total = 0;
    for (let c = 0; c < this.classes; c++) total += Math.exp(scores[c] - scores[best]);
    const probabilities = Float32Array.from(scores, (s) => Math.exp(s - scores[best]) / total);
    return { score: probabilities, predicted_label: best };
  }

  data(): ModelData {
    return this.modelData;
  }

  save(path: string): Promise<void> {
    return saveModel(path, this);
  }
}
