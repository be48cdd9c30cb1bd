// Resolves the linear learner's hyperparameters (every `auto`, the checks
// that span several parameters) into the kernel's settings, and builds the
// grid of models trained side by side.
import type { LinearLearnerSettings } from '../../backends/kernels.js';
import { HyperparameterError } from '../hyperparameters.js';
import type { DataSchema } from '../types.js';
import type { LinearLearnerHyperparameters } from './hyperparameters.js';

export type PredictorType = 'binary_classifier' | 'multiclass_classifier' | 'regressor';
export type LossName = Exclude<LinearLearnerHyperparameters['loss'], 'auto'>;
export type OptimizerName = Exclude<LinearLearnerHyperparameters['optimizer'], 'auto'>;

/** Codes of native/algorithms/linear_learner/linear_learner.h. */
export const lossCodes: Record<LossName, number> = {
  logistic: 0, hinge_loss: 1, softmax_loss: 2, squared_loss: 3, absolute_loss: 4,
  eps_insensitive_squared_loss: 5, eps_insensitive_absolute_loss: 6, quantile_loss: 7, huber_loss: 8,
};
const optimizerCodes: Record<OptimizerName, number> = { sgd: 0, adam: 1, rmsprop: 2, adagrad: 3 };

/** The losses each predictor_type takes. */
export const lossesFor: Record<PredictorType, LossName[]> = {
  binary_classifier: ['logistic', 'hinge_loss'],
  multiclass_classifier: ['softmax_loss'],
  regressor: ['squared_loss', 'absolute_loss', 'eps_insensitive_squared_loss', 'eps_insensitive_absolute_loss', 'quantile_loss', 'huber_loss'],
};

/** What `learning_rate=auto` is, per optimizer. */
export const defaultLearningRates: Record<OptimizerName, number> = { sgd: 0.1, adam: 0.02, rmsprop: 0.01, adagrad: 5 };

/** What `mini_batch_size=auto` is: rows per optimizer step. */
export const defaultStepRows = 32;

/** Rows per optimizer step for these hyperparameters (`mini_batch_size`, auto: defaultStepRows). */
export function stepRowsOf(hp: LinearLearnerHyperparameters): number {
  return hp.mini_batch_size === 'auto' ? defaultStepRows : hp.mini_batch_size;
}

/** What `lr_scheduler_factor=auto` is for adagrad's per-pass schedule (measured: see passRateScale). */
export const defaultPassFactor = 0.8;

/**
 * The per-pass schedule of adagrad with `use_lr_scheduler=auto`: every model's rate × this in a
 * pass, `lr_scheduler_factor` (auto: 0.8) to the power of the whole passes before it in this run
 * (`passes`, 0 in the first). Adagrad's own shrinkage is what one pass needs; over many passes
 * the default rate's iterates stay too noisy to settle on a noisy task and a decay too fast stops
 * a slow one short. Held out after 15 passes, one model, tail-averaged: flights AUC 0.6748 with a
 * constant rate, 0.6812 / 0.6872 / 0.6889 / 0.6895 at factors 0.9 / 0.8 / 0.7 / 0.5 (liblinear's
 * optimum 0.6883); Fashion-MNIST accuracy 0.8443 constant, 0.8422 / 0.8405 / 0.8387 / 0.8374
 * (0.8419). 0.8 is within 0.002 of the optimum on both.
 * 1 for every other optimizer, or with `use_lr_scheduler` set (SageMaker's step schedule then).
 */
export function passRateScale(hp: LinearLearnerHyperparameters, passes: number): number {
  const optimizer: OptimizerName = hp.optimizer === 'auto' ? 'adagrad' : hp.optimizer;
  if (optimizer !== 'adagrad' || hp.use_lr_scheduler !== 'auto' || passes <= 0) return 1;
  const factor = hp.lr_scheduler_factor === 'auto' ? defaultPassFactor : hp.lr_scheduler_factor;
  // The kernel floors each model's rate at lr_scheduler_minimum; a scale that underflowed to 0
  // (factor 1e-100 over a few passes) stays positive so that the floor is what applies.
  return Math.max(factor ** passes, Number.MIN_VALUE);
}

/** Rows the trainer reads per batch: a whole number of steps, at least this many rows. */
export const readBatchRowsAtLeast = 1024;

/** Bins of the per-model score histograms kept for threshold calibration. */
export const calibrationBins = 2048;

export type SelectionCriterion = 'accuracy' | 'f_beta' | 'precision_at_target_recall' | 'recall_at_target_precision' | 'loss_function';

export interface ResolvedSettings {
  predictor: PredictorType;
  loss: LossName;
  optimizer: OptimizerName;
  classes: number;
  models: number;
  sparse: boolean;
  learningRate: number;
  criterion: SelectionCriterion;
  calibrationSamples: number;
  /** Rows per optimizer step. */
  stepRows: number;
  /** Which models output their iterate average (1) rather than their last iterate (0). */
  averaged: Float32Array;
  kernel: LinearLearnerSettings;
}

function fail(message: string): never {
  throw new HyperparameterError(`linear-learner: ${message}`);
}

export function normalizeCriterion(value: string): SelectionCriterion {
  if (value === 'f1') return 'f_beta';
  if (value === 'cross_entropy_loss') return 'loss_function';
  if (['accuracy', 'f_beta', 'precision_at_target_recall', 'recall_at_target_precision', 'loss_function'].includes(value)) {
    return value as SelectionCriterion;
  }
  return fail(`unknown selection criterion '${value}'; expected accuracy, f_beta, precision_at_target_recall, recall_at_target_precision or loss_function`);
}

export function resolveSettings(hp: LinearLearnerHyperparameters, schema: DataSchema): ResolvedSettings {
  const predictor = hp.predictor_type as PredictorType;
  if (predictor === 'multiclass_classifier' && hp.num_classes === 'auto') {
    fail("hyperparameter 'num_classes' is required for multiclass_classifier (an integer in [3, 1000000])");
  }
  if (predictor !== 'multiclass_classifier' && hp.num_classes !== 'auto') {
    fail(`hyperparameter 'num_classes' applies to multiclass_classifier only, not ${predictor}`);
  }
  const classes = predictor === 'multiclass_classifier' ? (hp.num_classes as number) : 1;
  const loss: LossName = hp.loss === 'auto'
    ? (predictor === 'binary_classifier' ? 'logistic' : predictor === 'multiclass_classifier' ? 'softmax_loss' : 'squared_loss')
    : hp.loss;
  if (!lossesFor[predictor].includes(loss)) {
    fail(`loss '${loss}' does not fit predictor_type ${predictor}; expected ${lossesFor[predictor].join(', ')}`);
  }
  if (hp.feature_dim !== 'auto' && hp.feature_dim !== schema.featureDim) {
    fail(`the data has ${schema.featureDim} features but feature_dim is ${hp.feature_dim}`);
  }
  if (hp.positive_example_weight_mult !== 1 && predictor !== 'binary_classifier') {
    fail(`hyperparameter 'positive_example_weight_mult' applies to binary_classifier only, not ${predictor}`);
  }
  if (hp.balance_multiclass_weights && predictor !== 'multiclass_classifier') {
    fail(`hyperparameter 'balance_multiclass_weights' applies to multiclass_classifier only, not ${predictor}`);
  }
  const sparse = schema.sparse === true;
  if (hp.unbias_data === true && sparse) {
    fail("unbias_data=true needs dense data: centering would make every sparse row dense (set unbias_data=false or auto)");
  }
  const optimizer: OptimizerName = hp.optimizer === 'auto' ? 'adagrad' : hp.optimizer;
  const learningRate = hp.learning_rate === 'auto' ? defaultLearningRates[optimizer] : hp.learning_rate;
  const regression = predictor === 'regressor';
  const flag = (value: boolean | 'auto', otherwise: boolean) => (value === 'auto' ? otherwise : value);
  const weighting = hp.positive_example_weight_mult === 'balanced' ? 1 : hp.positive_example_weight_mult === 'auto' ? 2 : 0;
  const models = hp.num_models === 'auto' ? 32 : hp.num_models;
  const stepRows = stepRowsOf(hp);
  return {
    predictor, loss, optimizer, classes, sparse, learningRate, models, stepRows,
    averaged: averagedModels(hp.average, models),
    criterion: normalizeCriterion(hp.binary_classifier_model_selection_criteria),
    calibrationSamples: hp.num_calibration_samples === 'auto' ? 10_000_000 : hp.num_calibration_samples,
    kernel: {
      loss: lossCodes[loss],
      optimizer: optimizerCodes[optimizer],
      dim: schema.featureDim,
      models: hp.num_models === 'auto' ? 32 : hp.num_models,
      classes,
      margin: hp.margin,
      quantile: hp.quantile,
      insensitivity: hp.loss_insensitivity,
      huberDelta: hp.huber_delta,
      beta1: hp.beta_1 === 'auto' ? 0.9 : hp.beta_1,
      beta2: hp.beta_2 === 'auto' ? (optimizer === 'rmsprop' ? 0.99 : 0.999) : hp.beta_2,
      momentum: hp.momentum === 'auto' ? 0 : hp.momentum,
      epsilon: 1e-8,
      useBias: hp.use_bias,
      biasLrMult: hp.bias_lr_mult === 'auto' ? (optimizer === 'sgd' ? 10 : 1) : hp.bias_lr_mult,
      biasWdMult: hp.bias_wd_mult === 'auto' ? 0 : hp.bias_wd_mult,
      // adagrad's steps shrink by themselves within a pass; its schedule is per pass (passRateScale).
      useLrScheduler: flag(hp.use_lr_scheduler, optimizer !== 'adagrad'),
      lrSchedulerStep: hp.lr_scheduler_step === 'auto' ? 100 : hp.lr_scheduler_step,
      lrSchedulerFactor: hp.lr_scheduler_factor === 'auto' ? 0.99 : hp.lr_scheduler_factor,
      lrSchedulerMinimum: hp.lr_scheduler_minimum_lr === 'auto' ? 1e-5 : hp.lr_scheduler_minimum_lr,
      scalerPoints: hp.num_point_for_scaler,
      normalizeData: flag(hp.normalize_data, true),
      unbiasData: flag(hp.unbias_data, hp.use_bias && !sparse),
      normalizeLabel: regression && flag(hp.normalize_label, true),
      unbiasLabel: regression && flag(hp.unbias_label, hp.use_bias),
      positiveWeighting: weighting,
      balanceMulticlass: hp.balance_multiclass_weights,
      stepRows,
      scaleByNonzero: hp.normalize_method === 'nonzero_rms',
      normalizeLr: flag(hp.normalize_lr, optimizer === 'adagrad' && flag(hp.normalize_data, true)),
    },
  };
}

/** Which models average their iterates: every one unless `average=false`. */
export function averagedModels(average: boolean | 'auto', models: number): Float32Array {
  return new Float32Array(models).fill(average === false ? 0 : 1);
}

/** Rows per batch the trainer reads: the smallest whole number of steps of at least `requested` (default readBatchRowsAtLeast) rows. */
export function readBatchRows(stepRows: number, requested = readBatchRowsAtLeast): number {
  return stepRows * Math.max(1, Math.ceil(requested / stepRows));
}

/** The radical inverse of i in base b: a low-discrepancy sequence in [0, 1). */
function halton(i: number, base: number): number {
  let result = 0;
  let fraction = 1 / base;
  for (let n = i; n > 0; n = Math.floor(n / base)) {
    result += fraction * (n % base);
    fraction /= base;
  }
  return result;
}

export interface ModelGrid {
  learningRate: Float32Array;
  wd: Float32Array;
  l1: Float32Array;
  positiveWeight: Float32Array;
}

/**
 * Model 0 trains exactly the user's settings; the others spread around them on a Halton
 * sequence: learning rates over 0.1×–10×, given wd/l1 over 0.1×–10×, `auto` wd/l1 zero for
 * some models and log-spread over 1e-7–1e-2 for the rest, `auto` positive weights between 1
 * and balanced.
 */
export function modelGrid(hp: LinearLearnerHyperparameters, resolved: ResolvedSettings): ModelGrid {
  const { models, learningRate } = resolved;
  const grid: ModelGrid = {
    learningRate: new Float32Array(models), wd: new Float32Array(models),
    l1: new Float32Array(models), positiveWeight: new Float32Array(models),
  };
  const around = (given: number, u: number) => given * 10 ** (2 * u - 1);
  const automatic = (u: number, zeroShare: number) => (u < zeroShare ? 0 : 10 ** (-7 + (5 * (u - zeroShare)) / (1 - zeroShare)));
  for (let m = 0; m < models; m++) {
    // Index m + 1: the sequence's second point (0.5 in base 2) would repeat model 0's rate.
    const [u2, u3, u5, u7] = [halton(m + 1, 2), halton(m + 1, 3), halton(m + 1, 5), halton(m + 1, 7)];
    grid.learningRate[m] = m === 0 ? learningRate : around(learningRate, u2);
    grid.wd[m] = hp.wd === 'auto' ? (m === 0 ? 0 : automatic(u3, 0.4)) : (m === 0 ? hp.wd : around(hp.wd, u3));
    grid.l1[m] = hp.l1 === 'auto' ? (m === 0 ? 0 : automatic(u5, 0.5)) : (m === 0 ? hp.l1 : around(hp.l1, u5));
    const weight = hp.positive_example_weight_mult;
    grid.positiveWeight[m] = weight === 'auto' ? (m === 0 ? 0.5 : u7) : weight === 'balanced' ? 1 : weight;
  }
  return grid;
}
