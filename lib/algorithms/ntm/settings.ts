// From hyperparameters to the kernel's settings (native/algorithms/ntm/ntm.h):
// encoder widths, activation and optimizer codes, the prior's variance.
import { HyperparameterError } from '../hyperparameters.js';
import type { NtmKernelSettings, NnOptimizerSettings } from '../../backends/kernels.js';
import type { NtmHyperparameters as Hp } from './hyperparameters.js';

const activationCodes = { sigmoid: 0, tanh: 1, relu: 2, softplus: 3 } as const;
const optimizerCodes = { sgd: 0, adam: 1, adagrad: 2, rmsprop: 3, adadelta: 4 } as const;

/** Each optimizer's constants as MXNet (SageMaker's engine) defines them. */
const optimizerConstants = {
  sgd: { epsilon: 0, rho: 0 },
  adam: { epsilon: 1e-8, rho: 0 },
  adagrad: { epsilon: 1e-7, rho: 0 },
  rmsprop: { epsilon: 1e-8, rho: 0.9 },
  adadelta: { epsilon: 1e-5, rho: 0.9 },
} as const;

/** The encoder's widths: the list given, or SageMaker's auto (3·K, 2·K). */
export function encoderWidths(hp: Hp): number[] {
  const given = String(hp.encoder_layers).trim();
  if (given === 'auto') return [3 * hp.num_topics, 2 * hp.num_topics];
  const widths = given.replace(/^\[|\]$/g, '').split(',').map((part) => part.trim());
  if (widths.some((w) => !/^[1-9][0-9]*$/.test(w) || Number(w) > 100_000)) {
    throw new HyperparameterError(`ntm: encoder_layers ${JSON.stringify(hp.encoder_layers)} is not a comma-separated list of widths from 1 to 100000 (or auto)`);
  }
  return widths.map(Number);
}

/**
 * Variance of the logistic-normal prior: the Laplace approximation of a symmetric Dirichlet(α = 1)
 * in the softmax basis (Srivastava & Sutton 2017, eq. 3), (1/α)(1 − 2/K) + 1/(K²α)·K = 1 − 1/K.
 */
export function priorVariance(topics: number): number {
  return 1 - 1 / topics;
}

export function optimizerSettings(hp: Hp): NnOptimizerSettings {
  const constants = optimizerConstants[hp.optimizer];
  return {
    kind: optimizerCodes[hp.optimizer],
    // AdaDelta has no learning rate (Zeiler 2012; MXNet's has none): its step is used as published.
    learningRate: hp.optimizer === 'adadelta' ? 1 : hp.learning_rate,
    beta1: 0.9, beta2: 0.999, rho: constants.rho, epsilon: constants.epsilon,
    weightDecay: hp.weight_decay,
    clipGradient: hp.clip_gradient === 'auto' ? 0 : hp.clip_gradient,
    rescaleGradient: hp.rescale_gradient,
  };
}

export function kernelSettings(hp: Hp, vocabulary: number): NtmKernelSettings {
  return {
    vocabulary, topics: hp.num_topics, hidden: encoderWidths(hp),
    activation: activationCodes[hp.encoder_layers_activation], batchNorm: hp.batch_norm === true,
    // Batch norm of the posterior (with a learned scale and shift) and of the decoder's logits: without them
    // the posterior collapses onto the prior and every topic is the corpus's word frequencies (measured:
    // KL → 0, TU 0.06 on the State of the Union paragraphs). README "ntm" has the measurements.
    posteriorBatchNorm: true, decoderBatchNorm: true,
    priorVariance: priorVariance(hp.num_topics), seed: hp.seed, subSample: hp.sub_sample,
    optimizer: optimizerSettings(hp),
  };
}

/** Moment arrays the optimizer keeps per parameter (native nn::MomentArrays). */
export function momentArrays(optimizer: Hp['optimizer']): number {
  return optimizer === 'sgd' ? 0 : optimizer === 'adagrad' || optimizer === 'rmsprop' ? 1 : 2;
}
