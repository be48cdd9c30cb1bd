// The linear learner through the shared conformance suite.
import assert from 'node:assert/strict';
import { denseBatch, linearLearner, type Backend, type Batch } from '../../lib/index.js';
import { dim, linearBatches } from '../fixtures/linear-data.js';
import { describeConformance } from './suite.js';

async function accuracy(model: { predict(b: Batch): Promise<Record<string, Float32Array>> }, batches: Batch[]): Promise<number> {
  let right = 0;
  let total = 0;
  for (const batch of batches) {
    const { predicted_label: label } = await model.predict(batch);
    for (let r = 0; r < batch.rows; r++) right += label[r] === batch.labels![r] ? 1 : 0;
    total += batch.rows;
  }
  return right / total;
}

describeConformance({
  algorithm: linearLearner,
  hyperparameters: { predictor_type: 'binary_classifier', num_models: 3, mini_batch_size: 64, seed: 7, num_point_for_scaler: 100 },
  schema: { featureDim: dim, labelSize: 1 },
  batches: (seed, count) => linearBatches('binary', seed, count),
  invalidHyperparameters: [
    { input: { predictor_type: 'ranker' }, message: /'predictor_type' got "ranker", expected one of binary_classifier, multiclass_classifier, regressor/ },
    { input: { num_models: 0 }, message: /'num_models' got 0, expected an integer in \[1, 1024\] or 'auto'/ },
    { input: { positive_example_weight_mult: 'lots' }, message: /'positive_example_weight_mult' got "lots", expected a number in \(0, ∞\) or 'balanced' or 'auto'/ },
    { input: { beta_1: 1 }, message: /'beta_1' got 1, expected a number in \[0, 1\) or 'auto'/ },
    { input: { optimizer: 'lbfgs' }, message: /'optimizer' got "lbfgs", expected one of sgd, adam, rmsprop, adagrad or 'auto'/ },
    { input: { predictor_type: undefined }, message: /'predictor_type' is required/ },
  ],
  invalidBatches: [
    {
      name: 'a batch of the wrong width',
      batch: denseBatch(new Float32Array(6), 3, new Float32Array(2)),
      message: /linear-learner batch 0: has 3 features per row, expected 8 \(feature_dim\)/,
    },
    {
      name: 'a NaN feature',
      batch: denseBatch(Float32Array.from({ length: dim * 2 }, (_, i) => (i === 13 ? NaN : 0)), dim, new Float32Array(2)),
      message: /linear-learner batch 0: row 1, feature 5 is NaN; features must be finite/,
    },
    {
      name: 'a label that is not 0 or 1',
      batch: denseBatch(new Float32Array(dim * 2), dim, Float32Array.of(1, 2)),
      message: /linear-learner batch 0: row 1: label 2 is not 0 or 1 \(binary_classifier\)/,
    },
    {
      name: 'missing labels',
      batch: denseBatch(new Float32Array(dim), dim),
      message: /linear-learner batch 0: has no labels; the linear learner is supervised/,
    },
  ],
  backendTolerance: 1e-4,
  async checkMerge(merged, shards, whole, backend: Backend) {
    const test = linearBatches('binary', 1234, 8);
    const untrained = linearLearner.createState(merged.hyperparameters, merged.schema, backend);
    // finalize refuses a state that has seen no rows of either class; the baseline is its initial weights.
    (untrained.tensors.class_counts.data as Float64Array).fill(1);
    const score = async (state: typeof merged) => accuracy(await linearLearner.finalize(state, backend, { model: 0 }), test);
    const [mergedAccuracy, wholeAccuracy, untrainedAccuracy] = [await score(merged), await score(whole), await score(untrained)];
    // The Bayes accuracy of this problem is about 0.93; averaging SGD shards lands near the whole-data model.
    assert.ok(untrainedAccuracy < 0.75, `untrained ${untrainedAccuracy}`);
    assert.ok(mergedAccuracy > 0.85, `merged ${mergedAccuracy}`);
    assert.ok(mergedAccuracy > wholeAccuracy - 0.03, `merged ${mergedAccuracy} vs whole ${wholeAccuracy}`);
    assert.equal(merged.scalars.validated_at_step, -1);
    assert.equal((merged.tensors.counters.data as Float64Array)[1], 24 * 64);
    void shards;
  },
});
