// Runs the conformance suite on the test-only least-squares algorithm, so the
// suite itself is exercised before the first real algorithm registers.
import assert from 'node:assert/strict';
import { Random, denseBatch, type Batch } from '../../lib/index.js';
import { leastSquares } from '../fixtures/least-squares.js';
import { describeConformance } from './suite.js';

const dim = 8;
const trueWeights = Float32Array.from({ length: dim }, (_, i) => (i % 2 === 0 ? 1 : -0.5) * (1 + i / dim));
const trueBias = 0.75;

/** y = x·w* + b* + N(0, 0.1²), x ~ N(0, 1). */
function regressionBatches(seed: number, count: number, rows = 32): Batch[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const x = new Float32Array(rows * dim);
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let sum = trueBias;
      for (let c = 0; c < dim; c++) {
        x[r * dim + c] = random.nextGaussian();
        sum += x[r * dim + c] * trueWeights[c];
      }
      y[r] = sum + 0.1 * random.nextGaussian();
    }
    return denseBatch(x, dim, y);
  });
}

async function meanSquaredError(model: { predict(b: Batch): Promise<{ score: Float32Array }> }, batches: Batch[]): Promise<number> {
  let sum = 0;
  let count = 0;
  for (const batch of batches) {
    const { score } = await model.predict(batch);
    for (let r = 0; r < batch.rows; r++) sum += (score[r] - batch.labels![r]) ** 2;
    count += batch.rows;
  }
  return sum / count;
}

describeConformance({
  algorithm: leastSquares,
  hyperparameters: { feature_dim: dim, num_models: 3, learning_rate: 0.2, seed: 7, use_bias: true },
  schema: { featureDim: dim, labelSize: 1 },
  batches: regressionBatches,
  invalidHyperparameters: [
    { input: { num_models: 0 }, message: /least-squares: hyperparameter 'num_models' got 0, expected an integer in \[1, 64\]/ },
    { input: { learning_rate: 'fast' }, message: /'learning_rate' got "fast", expected a number in \(0, ∞\) or 'auto'/ },
    { input: { use_bias: 'yes' }, message: /'use_bias' got "yes", expected true or false/ },
    { input: { optimizer: 'adam' }, message: /'optimizer' got "adam", expected one of sgd/ },
    { input: { feature_dim: undefined }, message: /'feature_dim' is required/ },
  ],
  invalidBatches: [
    {
      name: 'a batch of the wrong width',
      batch: denseBatch(new Float32Array(6), 3, new Float32Array(2)),
      message: /least-squares batch 0: has 3 features per row, expected 8 \(feature_dim\)/,
    },
    {
      name: 'a NaN feature',
      batch: denseBatch(Float32Array.from({ length: dim }, (_, i) => (i === 5 ? NaN : 0)), dim, new Float32Array(1)),
      message: /row 0, feature 5 is NaN; features must be finite/,
    },
    {
      name: 'missing labels',
      batch: denseBatch(new Float32Array(dim), dim),
      message: /has no labels; this algorithm is supervised/,
    },
  ],
  backendTolerance: 1e-4,
  async checkMerge(merged, shards, whole, backend) {
    const test = regressionBatches(1234, 4);
    const untrained = leastSquares.createState(merged.hyperparameters, merged.schema, backend);
    const mse = async (state: typeof merged) => meanSquaredError(await leastSquares.finalize(state, backend, { model: 1 }), test);
    const [mergedError, wholeError, shardError, untrainedError] =
      [await mse(merged), await mse(whole), await mse(shards[0]), await mse(untrained)];
    // Averaging SGD shards is not exact, but it must land near the whole-data model
    // and far from the untrained one (whose error is the label variance, about 7).
    assert.ok(untrainedError > 3, `untrained error ${untrainedError}`);
    assert.ok(mergedError < 0.05, `merged error ${mergedError}`);
    assert.ok(mergedError < 2 * Math.max(wholeError, shardError), `merged ${mergedError} vs whole ${wholeError}`);
  },
});
