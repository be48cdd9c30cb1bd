// Factorization machines through the shared conformance suite.
import assert from 'node:assert/strict';
import { denseBatch, factorizationMachines, type Backend, type Batch } from '../../lib/index.js';
import { fmBatches, fmDim } from '../fixtures/fm-data.js';
import { describeConformance } from './suite.js';

async function rmse(model: { predict(b: Batch): Promise<Record<string, Float32Array>> }, batches: Batch[]): Promise<number> {
  let sum = 0;
  let rows = 0;
  for (const batch of batches) {
    const { score } = await model.predict(batch);
    for (let r = 0; r < batch.rows; r++) sum += (score[r] - batch.labels![r]) ** 2;
    rows += batch.rows;
  }
  return Math.sqrt(sum / rows);
}

describeConformance({
  algorithm: factorizationMachines,
  hyperparameters: {
    predictor_type: 'regressor', num_factors: 4, num_models: 3, mini_batch_size: 100, seed: 3,
    optimizer: 'adam', bias_lr: 0.2, linear_lr: 0.2, factors_lr: 0.2, factors_init_sigma: 0.1,
  },
  schema: { featureDim: fmDim, labelSize: 1 },
  batches: (seed, count) => fmBatches('regression', seed, count),
  invalidHyperparameters: [
    { input: { predictor_type: 'multiclass_classifier' }, message: /'predictor_type' got "multiclass_classifier", expected one of binary_classifier, regressor/ },
    { input: { num_factors: 0 }, message: /'num_factors' got 0, expected an integer in \[1, 4096\]/ },
    { input: { optimizer: 'rmsprop' }, message: /'optimizer' got "rmsprop", expected one of sgd, adagrad, adam/ },
    { input: { factors_init_method: 'xavier' }, message: /'factors_init_method' got "xavier", expected one of normal, uniform, constant/ },
    { input: { clip_gradient: 0 }, message: /'clip_gradient' got 0, expected a number in \(0, ∞\) or 'auto'/ },
    { input: { num_factors: undefined }, message: /'num_factors' is required/ },
  ],
  invalidBatches: [
    { name: 'a batch of the wrong width', batch: denseBatch(new Float32Array(6), 3, new Float32Array(2)), message: /factorization-machines batch 0: has 3 features per row, expected 55 \(feature_dim\)/ },
    {
      name: 'a non-finite label',
      batch: denseBatch(new Float32Array(fmDim * 2), fmDim, Float32Array.of(1, Infinity)),
      message: /factorization-machines batch 0: row 1, label inf is not finite/,
    },
    {
      name: 'missing labels',
      batch: denseBatch(new Float32Array(fmDim), fmDim),
      message: /factorization-machines batch 0: the batch has no labels; factorization machines need one label per row/,
    },
  ],
  backendTolerance: 1e-5,
  async checkMerge(merged, _shards, whole, backend: Backend) {
    const test = fmBatches('regression', 4321, 5);
    const untrained = factorizationMachines.createState(merged.hyperparameters, merged.schema, backend);
    const score = async (state: typeof merged) => rmse(await factorizationMachines.finalize(state, backend, { model: 0 }), test);
    const [mergedRmse, wholeRmse, untrainedRmse] = [await score(merged), await score(whole), await score(untrained)];
    // Averaging SGD shards lands near the model trained on everything, far from the untrained one.
    assert.ok(mergedRmse < 0.75 * untrainedRmse, `merged ${mergedRmse} vs untrained ${untrainedRmse}`);
    assert.ok(mergedRmse < 1.5 * wholeRmse, `merged ${mergedRmse} vs whole ${wholeRmse}`);
  },
});
