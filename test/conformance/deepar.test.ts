// DeepAR through the shared conformance suite: each batch of series is a whole pass (the
// reservoir is offered its windows, then an epoch of steps is drawn from it).
import assert from 'node:assert/strict';
import { deepar, denseBatch, type Backend, type DeeparState } from '../../lib/index.js';
import { seasonalSeries, seriesBatch } from '../fixtures/series-data.js';
import { describeConformance } from './suite.js';

const hp = {
  time_freq: 'M', prediction_length: 6, context_length: 12, epochs: 1, num_cells: 12, num_layers: 2, mini_batch_size: 16,
  num_batches_per_epoch: 4, window_reservoir_size: 96, learning_rate: 0.01, num_eval_samples: 50, seed: 3,
};

/** ND of the model a state gives on held-out series (their last 6 values forecast from the rest). */
async function nd(state: DeeparState, backend: Backend): Promise<number> {
  const evaluator = deepar.createEvaluator(await deepar.finalize(state, backend), 1);
  await evaluator.add(seriesBatch(seasonalSeries(999, { series: 8, length: 48 })));
  return evaluator.result().ND;
}

describeConformance({
  algorithm: deepar,
  hyperparameters: hp,
  schema: { featureDim: 0, labelSize: 0, series: true, cardinality: [3] },
  batches: (seed, count) => Array.from({ length: count }, (_, i) => seriesBatch(seasonalSeries(seed * 100 + i, { series: 6, length: 48 }))),
  passPerBatch: true,
  invalidHyperparameters: [
    { input: { time_freq: 'Q' }, message: /deepar: hyperparameter 'time_freq' got "Q", expected a frequency M, W, D, H or min with an optional multiple/ },
    { input: { prediction_length: 0 }, message: /'prediction_length' got 0, expected an integer in \[1, 10000\]/ },
    { input: { likelihood: 'poisson' }, message: /'likelihood' got "poisson", expected one of gaussian, beta, negative-binomial, student-T, deterministic-L1/ },
    { input: { cardinality: 'x' }, message: /'cardinality' got "x", expected 'auto', 'ignore', '' or a list of category counts/ },
    { input: { time_freq: undefined }, message: /deepar: hyperparameter 'time_freq' is required/ },
    { input: { dropout_rate: 1 }, message: /'dropout_rate' got 1, expected a number in \[0, 1\)/ },
  ],
  invalidBatches: [
    { name: 'rows of features', batch: denseBatch(new Float32Array(6), 3), message: /deepar: batches must be series \(--format series: DeepAR's JSON Lines\), got dense rows/ },
    {
      name: 'a series shorter than prediction_length',
      batch: seriesBatch([{ ...seasonalSeries(1, { series: 1 })[0], target: Float32Array.of(1, 2, 3) }]),
      message: /fixture-1, line 1: has 3 values, fewer than prediction_length \(6\); SageMaker drops such series silently, boundless does not/,
    },
    {
      name: 'a series with every value missing',
      batch: seriesBatch([{ ...seasonalSeries(1, { series: 1 })[0], target: new Float32Array(20).fill(NaN) }]),
      message: /fixture-1, line 1: has no observed value \(every target is missing\)/,
    },
    {
      name: 'a category beyond what the table embeds',
      batch: seriesBatch([{ ...seasonalSeries(1, { series: 1 })[0], cat: Int32Array.of(7) }]),
      message: /fixture-1, line 1: "cat"\[0\] is 7, beyond the 3 categories the model embeds \(cardinality=auto takes them from the first batch of series/,
    },
  ],
  backendTolerance: 1e-4,
  async checkMerge(merged, shards, _whole, backend) {
    // What each shard's windows were offered, untrained: the merged parameters must do better.
    const untrained = deepar.createState(merged.hyperparameters, merged.schema, backend);
    await deepar.update(untrained, seriesBatch(seasonalSeries(800, { series: 6, length: 48 })), backend);
    const [mergedNd, untrainedNd] = [await nd(merged, backend), await nd(untrained, backend)];
    assert.ok(mergedNd < 0.8 * untrainedNd, `merged ND ${mergedNd} vs untrained ${untrainedNd}`);
    // The merged reservoir is the top keys of both: exactly as full as the capacity allows.
    const filled = (s: DeeparState) => (s.tensors.reservoir_counters.data as Float64Array)[0];
    assert.equal(filled(merged), Math.min(merged.hyperparameters.window_reservoir_size, filled(shards[0]) + filled(shards[1])));
  },
});
