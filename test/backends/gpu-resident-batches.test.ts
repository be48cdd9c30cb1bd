// The epoch cache's batches kept on the device (kernels/cuda/runtime/resident_batches.cuh,
// lib/data/kept-batches.ts): from the second cached epoch on, a kept batch's arrays are not
// uploaded again — the bytes to the device fall by exactly what the store says it spared — the
// state is the same to the byte as a run that uploads every epoch, and the copies are freed when
// the run ends. Runs where cuda is available: CI on the CPU emulation of the CUDA runtime
// (cuda-emulation.test.ts), the lent device on its GPU. (webgpu uploads every batch: it keeps none.)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, factorizationMachines, kmeans, linearLearner, listBackends, stateToBytes, train,
  type Algorithm, type Backend, type TrainOptions,
} from '../../lib/index.js';
import type { CudaAddon } from '../../lib/backends/cuda.js';
import { regressionCsv, sparseLibsvm } from '../fixtures/trainer-files.js';

const bytesOf = (state: unknown) => createHash('sha256').update(stateToBytes(state as never)).digest('hex');

describe('cuda: the epoch cache\'s batches kept on the device', function () {
  this.timeout(300_000);
  let gpu: Backend;
  let addon: CudaAddon;
  let root: string;
  let dense: string;
  let sparse: string;

  before(async function () {
    const report = (await listBackends()).find((b) => b.name === 'cuda');
    if (!report?.available) this.skip();
    gpu = await createBackend('cuda');
    addon = (gpu as unknown as { addon: CudaAddon }).addon;
    root = await mkdtemp(join(tmpdir(), 'boundless-resident-'));
    [dense, sparse] = [join(root, 'train.csv'), join(root, 'train.libsvm')];
    await writeFile(dense, regressionCsv(1, 3000));
    await writeFile(sparse, sparseLibsvm(3, 3000, 60));
  });
  after(async () => {
    await gpu?.dispose();
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A run with the epoch cache and one without, on cuda: what each sent to the device, and what the store spared. */
  async function withAndWithout(algorithm: Algorithm, hp: Record<string, unknown>, options: TrainOptions) {
    const run = async (epochCacheBytes: number) => {
      const [traffic, stats] = [addon.trafficCounts(), addon.residentStats()];
      const result = await train(algorithm, hp, { ...options, backend: gpu, epochCacheBytes });
      const [after, statsAfter] = [addon.trafficCounts(), addon.residentStats()];
      return {
        state: bytesOf(result.state), sent: after.bytesToDevice - traffic.bytesToDevice,
        hits: statsAfter.hits - stats.hits, spared: statsAfter.bytesNotSent - stats.bytesNotSent, heldAfter: statsAfter.arrays,
        report: result.metrics.epochCache!, kernels: result.metrics.kernels,
      };
    };
    const kept = await run(2 ** 26);
    const read = await run(0);
    return { kept, read };
  }

  for (const [what, algorithm, hp, file, format, arrays] of [
    ['the linear learner, dense', linearLearner, { predictor_type: 'regressor' }, () => dense, 'csv', 2],
    ['k-means, dense', kmeans, { k: 3, extra_center_factor: 2 }, () => dense, 'csv', 1],
    ['factorization machines, sparse', factorizationMachines, { predictor_type: 'binary_classifier', num_factors: 4 }, () => sparse, 'libsvm', 4],
  ] as const) {
    it(`${what}: later epochs send no batch bytes, the same state to the byte, the copies freed at the end`, async () => {
      const data = { format, miniBatchSize: 500, ...(format === 'libsvm' ? { featureDim: 60 } : {}), ...(algorithm === kmeans ? { labelSize: 1 } : {}) };
      const { kept, read } = await withAndWithout(algorithm as Algorithm, hp, { train: file(), epochs: 4, data } as TrainOptions);
      assert.equal(kept.state, read.state);
      assert.equal(kept.report.train.epochsFromCache, 3);
      assert.equal(read.hits, 0);
      // Epoch 1 reads the file, epoch 2 uploads the kept batches and keeps them there, epochs 3 and 4 find them:
      // at least `arrays` arrays of each of the 6 batches, in each of the 2 epochs, on every call cuda ran.
      assert.ok(kept.hits >= 6 * 2 * arrays, `${kept.hits} kept arrays found`);
      assert.ok(kept.spared > 0);
      assert.equal(read.sent - kept.sent, kept.spared, 'the bytes to the device fall by what the store spared');
      assert.equal(kept.heldAfter, 0, 'the device copies are freed when the run ends');
      for (const counts of Object.values(kept.kernels ?? {})) assert.equal(counts.backend, 'cuda');
    });
  }

  it('validation batches, scored every epoch, are kept on the device too (the linear learner\'s evaluation)', async () => {
    const validation = join(root, 'validation.csv');
    await writeFile(validation, regressionCsv(2, 1000));
    const { kept, read } = await withAndWithout(linearLearner, { predictor_type: 'regressor' },
      { train: dense, validation, epochs: 4, data: { format: 'csv', miniBatchSize: 500 } });
    assert.equal(kept.state, read.state);
    assert.equal(kept.report.validation?.epochsFromCache, 3);
    // 6 training batches and 2 validation batches found in epochs 3 and 4, labels and values of each.
    assert.ok(kept.hits >= (6 + 2) * 2 * 2, `${kept.hits} kept arrays found`);
    assert.equal(read.sent - kept.sent, kept.spared);
    assert.equal(kept.kernels?.linearLearnerEvaluate?.backend, 'cuda');
    assert.equal(kept.heldAfter, 0);
  });

  it('a cache dropped for its budget keeps nothing on the device', async () => {
    const before = addon.residentStats();
    const small = await train(linearLearner, { predictor_type: 'regressor' },
      { train: dense, epochs: 3, backend: gpu, epochCacheBytes: 50_000, data: { format: 'csv', miniBatchSize: 500 } });
    assert.match(small.metrics.epochCache!.train.notCached!, /need more than epochCacheBytes/);
    assert.equal(addon.residentStats().hits, before.hits);
    assert.equal(addon.residentStats().arrays, 0);
  });

  it('residentRelease and the Add functions check their arguments', () => {
    assert.throws(() => (addon.residentRelease as (...a: unknown[]) => void)(1), /^TypeError: residentRelease: given 1 arguments, expected 2$/);
    assert.throws(() => addon.kmeansAdd({} as never, new Float32Array(4), null, 2, false, 0, -1),
      /^TypeError: cuda kmeansAdd: argument keptBatch must be an integer ≥ 0$/);
    assert.throws(() => (addon.kmeansAdd as (...a: unknown[]) => void)({}, new Float32Array(4), null, 2, false, 0, 1, 2),
      /^TypeError: cuda kmeansAdd: given 8 arguments, expected 6 \(or 7 with keptBatch\)$/);
  });
});
