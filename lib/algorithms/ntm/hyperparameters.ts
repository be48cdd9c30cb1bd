// The neural topic model's hyperparameters: SageMaker's names, ranges and defaults
// (reference/sagemaker-algorithms.md §4.2), plus `seed`. Where a default differs
// from SageMaker's, the README's ntm section says why (measured on the State of the
// Union paragraphs, bench/results/ntm.md); each SageMaker value can be set by name.
import type { HyperparameterValues } from '../hyperparameters.js';

export const ntmSchema = {
  num_topics: { type: 'int', min: 2, max: 1000, required: true, description: 'number of topics K' },
  feature_dim: { type: 'int', min: 1, max: 1_000_000, default: 'auto', allowAuto: true, description: 'vocabulary size V (auto: from the data)' },
  encoder_layers: {
    type: 'string', default: 'auto', pattern: /^(auto|\[?\s*[1-9][0-9]*(\s*,\s*[1-9][0-9]*)*\s*\]?)$/,
    patternDescription: 'a comma-separated list of widths such as "100,100" (brackets allowed), or \'auto\'',
    description: 'encoder MLP widths, comma-separated (e.g. "100,100"); auto: 3·K, 2·K as SageMaker',
  },
  encoder_layers_activation: {
    type: 'enum', values: ['sigmoid', 'tanh', 'relu', 'softplus'], default: 'sigmoid',
    description: 'activation of the encoder layers (SageMaker\'s three, and softplus, ProdLDA\'s)',
  },
  batch_norm: { type: 'bool', default: false, description: 'batch normalisation after each encoder layer\'s product (running moments at inference)' },
  epochs: { type: 'int', min: 1, default: 50, description: 'maximum passes over the training data (early stopping may end sooner)' },
  mini_batch_size: { type: 'int', min: 1, max: 10000, default: 64, description: 'documents per optimizer step (SageMaker: 256; 64 measured better for one pass, README "ntm")' },
  learning_rate: {
    type: 'float', min: 1e-6, max: 1, default: 0.001,
    description: 'step size of sgd, adam, adagrad and rmsprop; adadelta has none (its step is a ratio of running RMS values, as MXNet\'s, which SageMaker ran on)',
  },
  optimizer: { type: 'enum', values: ['sgd', 'adam', 'adagrad', 'rmsprop', 'adadelta'], default: 'adadelta', description: 'update rule of every parameter' },
  weight_decay: { type: 'float', min: 0, max: 1, default: 0, description: 'L2 coefficient added to every gradient entry (wd · w)' },
  clip_gradient: { type: 'float', min: 1e-3, default: 'auto', allowAuto: true, description: 'clip each gradient entry to [−c, c] after rescaling (auto: no clipping, SageMaker\'s Infinity)' },
  rescale_gradient: { type: 'float', min: 1e-3, max: 1, default: 1, description: 'multiplier of the gradient (the loss is already a mean over the batch\'s documents)' },
  num_patience_epochs: { type: 'int', min: 1, default: 3, description: 'early stopping: epochs without a relative improvement of the validation loss (else the training loss) larger than tolerance' },
  tolerance: { type: 'float', min: 1e-6, max: 0.1, default: 0.001, description: 'early stopping: the relative loss change that counts as progress' },
  sub_sample: { type: 'float', min: 0, max: 1, exclusiveMin: true, default: 1, description: 'fraction of the training documents trained on in each epoch (a seeded draw per document and epoch)' },
  seed: { type: 'int', min: 0, max: 0xffffffff, default: 0, description: 'random seed of the initialisation, the reparameterisation noise and sub_sample' },
} as const;

export type NtmSchema = typeof ntmSchema;
export type NtmHyperparameters = HyperparameterValues<NtmSchema>;
