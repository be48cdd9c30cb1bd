// Factorization machines' hyperparameters: SageMaker's names (reference/sagemaker-algorithms.md
// §3.2), plus `optimizer`, `num_models` and `seed`. SageMaker's optional knobs without a default
// take 'auto' here, meaning "not set". Where a default differs from SageMaker's (learning rates,
// weight decay, factors_init_sigma), the README's factorization-machines section says why; each
// SageMaker value can still be set by name.
import type { HyperparameterValues } from '../hyperparameters.js';

const rate = (value: number, group: string) => ({ type: 'float', min: 0, default: value, description: `${group} learning rate` }) as const;
const decay = (value: number, group: string) => ({ type: 'float', min: 0, default: value, description: `${group} weight decay: the L2 penalty (wd/2)·‖p‖² on the mean loss, applied every step through the optimizer's step scale` }) as const;
// auto: by predictor_type — log loss curves about a tenth as much as squared error per row
// (σ(1 − σ) ≤ ¼ against 2), so the same prior weighs a tenth as much for a binary classifier.
export const defaultWeightDecay = {
  regressor: { linear: 0.0003, factors: 0.003 },
  binary_classifier: { linear: 0.00003, factors: 0.0003 },
} as const;
const autoDecay = (group: string, regressor: number, binary: number) => ({
  type: 'float', min: 0, default: 'auto', allowAuto: true,
  description: `${group} weight decay: the L2 penalty (wd/2)·‖p‖² on the mean loss, applied every step through the optimizer's step scale (auto: ${regressor} for regressor, ${binary} for binary_classifier)`,
}) as const;
const initMethod = (group: string) => ({ type: 'enum', values: ['normal', 'uniform', 'constant'], default: 'normal', description: `initialiser of the ${group}` }) as const;
const initSigma = (value: number, group: string) => ({ type: 'float', min: 0, default: value, description: `standard deviation of the normal initialiser of the ${group}` }) as const;
const initScale = (group: string) => ({ type: 'float', min: 0, default: 'auto', allowAuto: true, description: `uniform initialiser of the ${group}: U(−scale, scale) (required with uniform)` }) as const;
const initValue = (group: string) => ({ type: 'float', default: 'auto', allowAuto: true, description: `constant initialiser of the ${group} (required with constant)` }) as const;

export const factorizationMachinesSchema = {
  predictor_type: { type: 'enum', values: ['binary_classifier', 'regressor'], required: true, description: 'binary_classifier: log loss on σ(ŷ), labels 0/1; regressor: squared loss' },
  num_factors: { type: 'int', min: 1, max: 4096, required: true, description: 'factor (embedding) size k' },
  feature_dim: { type: 'int', min: 1, max: 2 ** 32, default: 'auto', allowAuto: true, description: 'features per row (auto: from the data; at most 2^32: feature indices are 32-bit)' },
  epochs: { type: 'int', min: 1, default: 1, description: 'passes over the training data' },
  mini_batch_size: { type: 'int', min: 1, default: 1000, description: 'rows per update' },
  bias_lr: rate(0.1, 'bias'), linear_lr: rate(0.03, 'linear-term'), factors_lr: rate(0.003, 'factor'),
  bias_wd: decay(0, 'bias'), linear_wd: autoDecay('linear-term', defaultWeightDecay.regressor.linear, defaultWeightDecay.binary_classifier.linear),
  factors_wd: autoDecay('factor', defaultWeightDecay.regressor.factors, defaultWeightDecay.binary_classifier.factors),
  bias_init_method: initMethod('bias'), linear_init_method: initMethod('linear terms'), factors_init_method: initMethod('factors'),
  bias_init_sigma: initSigma(0.01, 'bias'), linear_init_sigma: initSigma(0.01, 'linear terms'), factors_init_sigma: initSigma(0.1, 'factors'),
  bias_init_scale: initScale('bias'), linear_init_scale: initScale('linear terms'), factors_init_scale: initScale('factors'),
  bias_init_value: initValue('bias'), linear_init_value: initValue('linear terms'), factors_init_value: initValue('factors'),
  clip_gradient: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'clip each gradient entry to [−c, c] (auto: no clipping)' },
  eps: { type: 'float', min: 0, exclusiveMin: true, default: 1e-8, description: 'added to the denominator of adagrad and adam' },
  rescale_grad: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'gradient multiplier (auto: 1 / the batch\'s total row weight, a mean)' },
  optimizer: { type: 'enum', values: ['sgd', 'adagrad', 'adam'], default: 'adam', description: 'update rule of all three groups' },
  num_models: {
    type: 'int', min: 1, max: 64, default: 'auto', allowAuto: true,
    description: 'models trained in one pass, the best chosen on validation (or by progressive validation of the first pass). auto: 3 models that differ only in factors_wd (×1, ×0.1, ×0.03 the given or default value); N: model 0 with these settings, the others spread over factor sizes, learning rates and weight decay',
  },
  seed: { type: 'int', min: 0, max: 0xffffffff, default: 0, description: 'random seed of the initialisers' },
} as const;

export type FactorizationMachinesSchema = typeof factorizationMachinesSchema;
export type FactorizationMachinesHyperparameters = HyperparameterValues<FactorizationMachinesSchema>;
