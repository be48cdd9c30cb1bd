import assert from 'node:assert/strict';
import { describeAllowed, factorizationMachines, kmeans, parseHyperparameters, type HyperparameterSchema } from '../../lib/index.js';

const schema = {
  feature_dim: { type: 'int', min: 1, required: true, description: 'features per row' },
  mini_batch_size: { type: 'int', min: 1, default: 1000, description: 'rows per batch' },
  learning_rate: { type: 'float', min: 0, exclusiveMin: true, default: 'auto', allowAuto: true, description: 'step size' },
  beta_1: { type: 'float', min: 0, max: 1, exclusiveMax: true, default: 0.9, description: 'momentum' },
  use_bias: { type: 'bool', default: true, description: 'intercept' },
  normalize_data: { type: 'bool', default: 'auto', allowAuto: true, description: 'scale features' },
  optimizer: { type: 'enum', values: ['sgd', 'adam', 'rmsprop'], default: 'auto', allowAuto: true, description: 'update rule' },
  predictor_type: { type: 'enum', values: ['binary_classifier', 'regressor'], required: true, description: 'task' },
  label: { type: 'string', default: 'y', description: 'label column' },
} as const satisfies HyperparameterSchema;

const parse = (input: Record<string, unknown>) =>
  parseHyperparameters('linear-learner', schema, { feature_dim: 10, predictor_type: 'regressor', ...input });

describe('hyperparameter schema engine', () => {
  it('fills defaults, including auto', () => {
    assert.deepEqual(parse({}), {
      feature_dim: 10, mini_batch_size: 1000, learning_rate: 'auto', beta_1: 0.9, use_bias: true,
      normalize_data: 'auto', optimizer: 'auto', predictor_type: 'regressor', label: 'y',
    });
  });

  it("parses SageMaker's string values: numbers, exponents, Python booleans, auto", () => {
    const values = parse({ mini_batch_size: '256', learning_rate: '1e-3', beta_1: ' 0.5 ', use_bias: 'False', normalize_data: 'true', optimizer: 'adam' });
    assert.equal(values.mini_batch_size, 256);
    assert.equal(values.learning_rate, 0.001);
    assert.equal(values.beta_1, 0.5);
    assert.equal(values.use_bias, false);
    assert.equal(values.normalize_data, true);
    assert.equal(values.optimizer, 'adam');
    assert.equal(parse({ learning_rate: 'auto' }).learning_rate, 'auto');
  });

  it("takes k-means' eval_metrics as the API's array too (it said got msd,ssd, expected a string)", () => {
    assert.equal(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 2, eval_metrics: ['msd', 'ssd'] }).eval_metrics, '["msd","ssd"]');
    assert.throws(() => parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 2, eval_metrics: [1, 'ssd'] }),
      { message: `kmeans: hyperparameter 'eval_metrics' got [1,"ssd"], expected a JSON list of msd, ssd (["msd", "ssd"]; in the API, the array too)` });
  });

  it('accepts camelCase names and rejects the same parameter given twice', () => {
    assert.equal(parse({ miniBatchSize: 64 }).mini_batch_size, 64);
    assert.throws(() => parse({ miniBatchSize: 64, mini_batch_size: 32 }),
      /^HyperparameterError: linear-learner: hyperparameter 'mini_batch_size' is given twice \(as 'mini_batch_size' and 'miniBatchSize'\)|given twice \(as 'miniBatchSize' and 'mini_batch_size'\)/);
  });

  it('names an unknown parameter and suggests the nearest', () => {
    assert.throws(() => parse({ learnig_rate: 0.1 }),
      /^HyperparameterError: linear-learner: unknown hyperparameter 'learnig_rate'\. Did you mean 'learning_rate'\? Known: feature_dim, mini_batch_size, /);
    assert.throws(() => parse({ zzz: 1 }), (error: Error) => !error.message.includes('Did you mean') && /unknown hyperparameter 'zzz'/.test(error.message));
  });

  it("refuses the factorization machines' eps=0 (adam and adagrad divided 0 by 0 on an all-zero column, and the error blamed the features)", () => {
    assert.throws(() => parseHyperparameters('factorization-machines', factorizationMachines.hyperparameters, { predictor_type: 'regressor', num_factors: 2, eps: 0 }),
      /hyperparameter 'eps' got 0, expected a number in \(0, ∞\)/);
  });

  it('names the parameter, the value and what is allowed for a bad value', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ mini_batch_size: 0 }, "hyperparameter 'mini_batch_size' got 0, expected an integer in [1, ∞)"],
      [{ mini_batch_size: '12.5' }, `hyperparameter 'mini_batch_size' got "12.5", expected an integer in [1, ∞)`],
      [{ mini_batch_size: 'auto' }, `hyperparameter 'mini_batch_size' got "auto", expected an integer in [1, ∞)`],
      [{ learning_rate: 0 }, "hyperparameter 'learning_rate' got 0, expected a number in (0, ∞) or 'auto'"],
      [{ learning_rate: 'NaN' }, `hyperparameter 'learning_rate' got "NaN", expected a number in (0, ∞) or 'auto'`],
      [{ learning_rate: Infinity }, "hyperparameter 'learning_rate' got Infinity, expected a number in (0, ∞) or 'auto'"],
      [{ learning_rate: 4e38 }, "hyperparameter 'learning_rate' got 4e+38, beyond float32's range: the kernels compute in float32, where it would be ∞; expected a magnitude of at most 3.4e38"],
      [{ learning_rate: '1e300' }, `hyperparameter 'learning_rate' got "1e300", beyond float32's range: the kernels compute in float32, where it would be ∞; expected a magnitude of at most 3.4e38`],
      [{ beta_1: 1 }, "hyperparameter 'beta_1' got 1, expected a number in [0, 1)"],
      [{ beta_1: '' }, `hyperparameter 'beta_1' got "", expected a number in [0, 1)`],
      [{ use_bias: 'yes' }, `hyperparameter 'use_bias' got "yes", expected true or false`],
      [{ use_bias: 1 }, "hyperparameter 'use_bias' got 1, expected true or false"],
      [{ optimizer: 'Adam' }, `hyperparameter 'optimizer' got "Adam", expected one of sgd, adam, rmsprop or 'auto'`],
      [{ label: 3 }, "hyperparameter 'label' got 3, expected a string"],
    ];
    for (const [input, message] of cases) {
      assert.throws(() => parse(input), (error: Error) => {
        assert.equal(error.message, `linear-learner: ${message}`);
        return true;
      });
    }
  });

  it('requires parameters without a default, saying what they are', () => {
    assert.throws(() => parseHyperparameters('linear-learner', schema, { predictor_type: 'regressor' }),
      /^HyperparameterError: linear-learner: hyperparameter 'feature_dim' is required \(features per row\); expected an integer in \[1, ∞\)$/);
  });

  it('describes ranges in interval notation', () => {
    assert.equal(describeAllowed({ type: 'float', min: -1, max: 1, description: '' }), 'a number in [-1, 1]');
    assert.equal(describeAllowed({ type: 'int', max: 5, description: '' }), 'an integer in (-∞, 5]');
    assert.equal(describeAllowed({ type: 'float', description: '' }), 'a number');
  });
});
