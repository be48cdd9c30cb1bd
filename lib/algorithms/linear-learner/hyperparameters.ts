// The linear learner's hyperparameters: SageMaker's names, defaults and
// ranges (reference/sagemaker-algorithms.md §2.3), plus `seed`. What each
// `auto` becomes is decided in settings.ts and listed in the README.
import type { HyperparameterValues } from '../hyperparameters.js';

const unitOpen = { type: 'float', min: 0, max: 1, exclusiveMin: true, exclusiveMax: true } as const;
const unitHalfOpen = { type: 'float', min: 0, max: 1, exclusiveMax: true } as const;

export const linearLearnerSchema = {
  predictor_type: {
    type: 'enum', values: ['binary_classifier', 'multiclass_classifier', 'regressor'], required: true,
    description: 'the task: binary labels 0/1, classes 0..num_classes-1, or real values',
  },
  num_classes: { type: 'int', min: 3, max: 1_000_000, default: 'auto', allowAuto: true, description: 'classes (multiclass_classifier only; required there)' },
  feature_dim: { type: 'int', min: 1, max: 2 ** 32, default: 'auto', allowAuto: true, description: 'features per row (auto: from the data; at most 2^32: feature indices are 32-bit)' },
  epochs: { type: 'int', min: 1, default: 15, description: 'passes over the training data (at most; early stopping may end sooner)' },
  mini_batch_size: {
    type: 'int', min: 1, default: 'auto', allowAuto: true,
    description: 'rows per optimizer step (auto: 32; SageMaker: 1000); the trainer hands the kernel batches of a whole number of steps',
  },
  num_models: { type: 'int', min: 1, max: 1024, default: 'auto', allowAuto: true, description: 'models trained in parallel on the same batches (auto: 32)' },
  num_calibration_samples: {
    type: 'int', min: 1, default: 'auto', allowAuto: true,
    description: 'validation rows used for threshold calibration and model selection (auto: 10,000,000)',
  },
  binary_classifier_model_selection_criteria: {
    type: 'enum',
    values: ['accuracy', 'f_beta', 'precision_at_target_recall', 'recall_at_target_precision', 'loss_function', 'f1', 'cross_entropy_loss'],
    default: 'accuracy',
    description: 'what picks the model and its threshold (f1 = f_beta with beta 1; cross_entropy_loss = loss_function)',
  },
  target_precision: { ...unitOpen, default: 0.8, description: 'precision held for recall_at_target_precision' },
  target_recall: { ...unitOpen, default: 0.8, description: 'recall held for precision_at_target_recall' },
  f_beta: { type: 'float', min: 0, exclusiveMin: true, default: 1, description: 'beta of the F-score' },
  positive_example_weight_mult: {
    type: 'float', min: 0, exclusiveMin: true, default: 1, allowAuto: true, keywords: ['balanced'],
    description: "weight of positive rows (negatives weigh 1); 'balanced' equalizes the classes; 'auto' puts weights between 1 and balanced on the model grid",
  },
  balance_multiclass_weights: { type: 'bool', default: false, description: 'weight classes by inverse frequency (from the scaler sample)' },
  accuracy_top_k: { type: 'int', min: 1, max: 1_000_000, default: 3, description: 'k of multiclass_top_k_accuracy' },
  loss: {
    type: 'enum',
    values: ['logistic', 'hinge_loss', 'softmax_loss', 'squared_loss', 'absolute_loss', 'eps_insensitive_squared_loss',
      'eps_insensitive_absolute_loss', 'quantile_loss', 'huber_loss'],
    default: 'auto', allowAuto: true,
    description: 'objective (auto: logistic, softmax_loss or squared_loss by predictor_type)',
  },
  quantile: { ...unitOpen, default: 0.5, description: 'quantile of quantile_loss' },
  loss_insensitivity: { type: 'float', min: 0, exclusiveMin: true, default: 0.01, description: 'epsilon of the eps-insensitive losses' },
  huber_delta: { type: 'float', min: 0, default: 1, description: 'where huber_loss turns from squared to linear' },
  margin: { type: 'float', min: 0, default: 1, description: 'margin of hinge_loss' },
  optimizer: { type: 'enum', values: ['sgd', 'adam', 'rmsprop', 'adagrad'], default: 'auto', allowAuto: true, description: 'update rule (auto: adagrad; SageMaker: adam)' },
  learning_rate: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'step size (auto: adagrad 5 (per unit of mean squared row norm, see normalize_lr), adam 0.02, sgd 0.1, rmsprop 0.01)' },
  momentum: { ...unitHalfOpen, default: 'auto', allowAuto: true, description: 'sgd momentum (auto: 0)' },
  beta_1: { ...unitHalfOpen, default: 'auto', allowAuto: true, description: 'adam first-moment decay (auto: 0.9)' },
  beta_2: { ...unitHalfOpen, default: 'auto', allowAuto: true, description: 'adam/rmsprop second-moment decay (auto: 0.999, rmsprop 0.99)' },
  wd: { type: 'float', min: 0, default: 'auto', allowAuto: true, description: 'L2 strength (auto: 0 for model 0, a grid for the others)' },
  l1: { type: 'float', min: 0, default: 'auto', allowAuto: true, description: 'L1 strength (auto: 0 for model 0, a grid for the others)' },
  use_bias: { type: 'bool', default: true, description: 'learn an intercept' },
  bias_lr_mult: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'bias learning rate = learning_rate × this (auto: 10 for sgd, 1 otherwise)' },
  bias_wd_mult: { type: 'float', min: 0, default: 'auto', allowAuto: true, description: 'bias L2 = wd × this (auto: 0)' },
  init_method: {
    type: 'enum', values: ['zero', 'uniform', 'normal'], default: 'auto', allowAuto: true,
    description: 'initial weights (auto: normal when init_sigma is given, uniform when init_scale is, else zero; SageMaker: uniform)',
  },
  init_scale: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'uniform init range ±init_scale (auto: 0.07)' },
  init_sigma: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'normal init standard deviation (auto: 0.01)' },
  init_bias: { type: 'float', default: 0, description: 'initial bias' },
  use_lr_scheduler: { type: 'bool', default: 'auto', allowAuto: true, description: 'step decay of the learning rate (auto: off for adagrad, whose steps shrink by themselves; on otherwise, as SageMaker)' },
  lr_scheduler_step: { type: 'int', min: 1, default: 'auto', allowAuto: true, description: 'updates between decays (auto: 100)' },
  lr_scheduler_factor: { ...unitOpen, default: 'auto', allowAuto: true, description: 'decay factor (auto: 0.99)' },
  lr_scheduler_minimum_lr: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'learning-rate floor (auto: 1e-5)' },
  normalize_data: { type: 'bool', default: true, allowAuto: true, description: 'scale features (see normalize_method)' },
  normalize_method: {
    type: 'enum', values: ['nonzero_rms', 'std'], default: 'nonzero_rms',
    description: 'feature scale: 1 / the RMS of the non-zero values about the shift, or 1 / the standard deviation (SageMaker)',
  },
  normalize_label: { type: 'bool', default: 'auto', allowAuto: true, description: 'scale the label (auto: on for regressor)' },
  unbias_data: { type: 'bool', default: 'auto', allowAuto: true, description: 'center features (auto: with use_bias on dense data; never on sparse)' },
  unbias_label: { type: 'bool', default: 'auto', allowAuto: true, description: 'center the label (auto: regressor with use_bias)' },
  num_point_for_scaler: { type: 'int', min: 1, default: 10000, description: 'rows the scaler statistics come from' },
  early_stopping_patience: { type: 'int', min: 1, default: 3, description: 'epochs without improvement before stopping' },
  early_stopping_tolerance: { type: 'float', min: 0, exclusiveMin: true, default: 0.001, description: 'relative improvement below this counts as none' },
  normalize_lr: {
    type: 'bool', default: 'auto', allowAuto: true,
    description: "divide the weights' learning rate by the mean squared norm of the scaled rows, as Vowpal Wabbit's normalized updates (auto: on for adagrad with normalize_data)",
  },
  average: {
    type: 'bool', default: 'auto', allowAuto: true,
    description: 'output the mean of the iterates since the scaler sample was complete (Polyak–Ruppert averaging) instead of the last (auto: on)',
  },
  seed: { type: 'int', min: 0, max: 0xffffffff, default: 0, description: 'random seed of the initial weights (init_method uniform or normal; the default, zero weights, draws nothing)' },
} as const;

export type LinearLearnerSchema = typeof linearLearnerSchema;
export type LinearLearnerHyperparameters = HyperparameterValues<LinearLearnerSchema>;
