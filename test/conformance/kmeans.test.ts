// K-means through the shared conformance suite.
import assert from 'node:assert/strict';
import { denseBatch, kmeans, type Backend, type Batch, type KmeansModel } from '../../lib/index.js';
import { clusterBatches, clusterDim, clusterNoise } from '../fixtures/cluster-data.js';
import { describeConformance } from './suite.js';

async function msd(model: KmeansModel, batches: Batch[]): Promise<number> {
  const evaluator = kmeans.createEvaluator!(model);
  for (const batch of batches) await evaluator.add(batch);
  return evaluator.result().msd;
}

describeConformance({
  algorithm: kmeans,
  hyperparameters: { k: 5, extra_center_factor: 4, mini_batch_size: 100, seed: 3 },
  schema: { featureDim: clusterDim, labelSize: 0 },
  batches: (seed, count) => clusterBatches(seed, count),
  invalidHyperparameters: [
    { input: { k: 0 }, message: /kmeans: hyperparameter 'k' got 0, expected an integer in \[1, ∞\)/ },
    { input: { init_method: 'farthest' }, message: /'init_method' got "farthest", expected one of random, kmeans\+\+/ },
    { input: { local_lloyd_tol: 2 }, message: /'local_lloyd_tol' got 2, expected a number in \[0, 1\]/ },
    { input: { k: undefined }, message: /'k' is required/ },
  ],
  invalidBatches: [
    { name: 'a batch of the wrong width', batch: denseBatch(new Float32Array(6), 3), message: /kmeans batch 0: has 3 features per row, expected 6 \(feature_dim\)/ },
    {
      name: 'an infinite feature',
      batch: denseBatch(Float32Array.from({ length: clusterDim * 2 }, (_, i) => (i === 8 ? Infinity : 0)), clusterDim),
      message: /kmeans batch 0: row 1, feature 2 is not finite; features must be finite/,
    },
  ],
  backendTolerance: 1e-4,
  async checkMerge(merged, shards, whole, backend: Backend) {
    const test = clusterBatches(4321, 10);
    const [mergedMsd, wholeMsd] = [await msd(await kmeans.finalize(merged, backend), test), await msd(await kmeans.finalize(whole, backend), test)];
    const noise = clusterDim * clusterNoise ** 2;
    // Pooling shards' weighted centres (20 + 20 > K = 20, so reduced back to 20) loses little.
    assert.ok(mergedMsd < 1.1 * noise, `merged msd ${mergedMsd} vs noise ${noise}`);
    assert.ok(mergedMsd < 1.1 * wholeMsd, `merged ${mergedMsd} vs whole ${wholeMsd}`);
    assert.equal((merged.tensors.counters.data as Float64Array)[1], 20);
    void shards;
  },
});
