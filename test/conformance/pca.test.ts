// PCA through the shared conformance suite, once per mode.
import assert from 'node:assert/strict';
import { denseBatch, pca, type PcaState } from '../../lib/index.js';
import { pcaBatches, pcaDim } from '../fixtures/pca-data.js';
import { describeConformance } from './suite.js';
import { pcaMomentsTolerance } from '../../lib/backends/webgpu-pca.js';

// Regular and randomized states are sums: a merge equals training on everything up to the
// order of float64 additions. Frequent Directions merges by its rule, a different sketch
// within the same bound; on this spectrum (ℓ = 4) the variances stay within 3% of each other
// (and each within the bound of the exact ones: 3.01 and 3.08 for 4.09, k = 3).
const mergeTolerance = { regular: 1e-6, randomized: 1e-6, frequent_directions: 3e-2 };

/** BᵀB (d × d) of a Frequent Directions state's filled rows. */
function sketchGram(state: PcaState): Float64Array {
  const rows = state.tensors.rows.data as Float64Array;
  const filled = (state.tensors.filled.data as Float64Array)[0];
  const out = new Float64Array(pcaDim * pcaDim);
  for (let r = 0; r < filled; r++) for (let i = 0; i < pcaDim; i++) for (let j = 0; j < pcaDim; j++) out[i * pcaDim + j] += rows[r * pcaDim + i] * rows[r * pcaDim + j];
  return out;
}

for (const mode of ['regular', 'randomized', 'frequent_directions'] as const) {
  describe(`pca, ${mode} mode`, () => {
    describeConformance({
      algorithm: pca,
      hyperparameters: { num_components: 3, mini_batch_size: 200, algorithm_mode: mode, extra_components: 1, seed: 5 },
      schema: { featureDim: pcaDim, labelSize: 0 },
      batches: (seed, count) => pcaBatches(seed, count, 50),
      invalidHyperparameters: [
        { input: { num_components: 0 }, message: /pca: hyperparameter 'num_components' got 0, expected an integer in \[1, ∞\)/ },
        { input: { algorithm_mode: 'stable' }, message: /'algorithm_mode' got "stable", expected one of regular, randomized, frequent_directions/ },
        { input: { num_components: undefined }, message: /'num_components' is required/ },
        { input: { num_components: 2, extra_components: -2 }, message: /'extra_components' got -2, expected an integer in \[-1, ∞\)/ },
      ],
      invalidBatches: [
        { name: 'a batch of the wrong width', batch: denseBatch(new Float32Array(4), 2), message: /pca batch 0: has 2 features per row, expected 6 \(feature_dim\)/ },
        {
          name: 'a NaN feature',
          batch: denseBatch(Float32Array.from({ length: pcaDim }, (_, i) => (i === 3 ? NaN : 0)), pcaDim),
          message: /pca batch 0: row 0, feature 3 is not finite; features must be finite/,
        },
      ],
      backendTolerance: 1e-9,
      // webgpu sums the regular mode's moments and the randomized sketch from float32 products (webgpu-pca.ts): a few 1e-8 of their scale here.
      stateTolerance: mode === 'frequent_directions' ? undefined : pcaMomentsTolerance.relTol,
      // webgpu projects in float32 (cpu sums in float64): about 1e-7 of the scale.
      predictionTolerance: 1e-5,
      // A sketch's rows are defined up to an orthogonal mix (an eigenvector's sign is arbitrary): compare BᵀB.
      ...(mode === 'frequent_directions' ? { comparedTensors: (state: PcaState) => ({ rows: sketchGram(state) }) } : {}),
      async checkMerge(merged, _shards, whole, backend) {
        const a = (await pca.finalize(merged, backend)).data();
        const b = (await pca.finalize(whole, backend)).data();
        const ev = (m: typeof a) => Array.from(m.tensors.explained_variance.data as Float64Array);
        for (const [i, value] of ev(a).entries()) {
          assert.ok(Math.abs(value - ev(b)[i]) <= mergeTolerance[mode] * Math.abs(ev(b)[i]), `component ${i}: ${value} vs ${ev(b)[i]}`);
        }
      },
    });
  });
}
