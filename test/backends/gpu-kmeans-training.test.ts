// k-means trained on a GPU (lib/backends/webgpu-kmeans.ts, cuda-kmeans.ts): the streaming
// centres and the refined model on the device from batch to batch, against
// cpu on the same batches — the refined model's Lloyd steps, decay with a
// half-life, row weights, reseeding of dying centres, data far from the
// origin; the seeding batches and candidate reductions on cpu (cpuSteps);
// sparse batches declined after settling; bad rows with cpu's message; state
// that is not settled refused by merge; train() with checkpoints and resume.
// Runs on every GPU backend available: CI has webgpu on Mesa's llvmpipe and cuda on the CPU
// emulation of the CUDA runtime (cuda-emulation.test.ts); the lent device, both on its GPU.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseBatch, isSettled, kmeans, listBackends, parseHyperparameters, Random, settleState, train,
  type Backend, type Batch, type HyperparameterInput,
} from '../../lib/index.js';
import { kmeansStateTolerance } from '../../lib/backends/webgpu-kmeans.js';
import { cudaKmeansStateTolerance } from '../../lib/backends/cuda-kmeans.js';
import { clusterBatches, clusterDim, trueCenters } from '../fixtures/cluster-data.js';
import { addBatchOrder, batchOrderLength, isNovelBatch } from '../../lib/algorithms/batch-order.js';
import { withEnv } from '../fixtures/with-env.js';

type KmeansState = ReturnType<typeof kmeans.createState>;

const fresh = (hp: HyperparameterInput, backend: Backend) =>
  kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, hp), { featureDim: clusterDim, labelSize: 0 }, backend);

async function trainOn(backend: Backend, hp: HyperparameterInput, batches: Batch[]): Promise<KmeansState> {
  const state = fresh(hp, backend);
  for (const batch of batches) await kmeans.update(state, batch, backend);
  await settleState(state);
  return state;
}

/** Every float tensor within tolerance × its scale, every counter that counts (rows, seeds, reseeds, candidates) exact. */
function assertAgree(got: KmeansState, expected: KmeansState, what: string, tolerance: { relTol: number } = kmeansStateTolerance): void {
  for (const [name, t] of Object.entries(expected.tensors)) {
    const a = Array.from(got.tensors[name].data as Float64Array);
    const b = Array.from(t.data as Float64Array);
    const scale = Math.max(1, ...b.map(Math.abs));
    const worst = Math.max(0, ...b.map((v, i) => Math.abs(a[i] - v)));
    assert.ok(worst <= tolerance.relTol * scale, `${what}: ${name} differs from cpu by ${worst} (scale ${scale})`);
  }
  const counters = got.tensors.counters.data as Float64Array;
  const cpuCounters = expected.tensors.counters.data as Float64Array;
  for (const i of [0, 1, 2, 3]) assert.equal(counters[i], cpuCounters[i], `${what}: counter ${i}`);
  const model = got.tensors.model_counters.data as Float64Array;
  const cpuModel = expected.tensors.model_counters.data as Float64Array;
  for (const i of [0, 2, 3, 4]) assert.equal(model[i], cpuModel[i], `${what}: model counter ${i}`);
}

for (const name of ['webgpu', 'cuda'] as const) describe(`${name}: k-means trained on the device`, function () {
  this.timeout(300_000);
  let gpu: Backend;
  let cpu: Backend;
  // webgpu measures in float32 pairs; cuda in float64, as cpu.
  const tolerance = name === 'webgpu' ? kmeansStateTolerance : cudaKmeansStateTolerance;
  const assertStatesAgree = (got: KmeansState, expected: KmeansState, what: string) => assertAgree(got, expected, what, tolerance);

  before(async function () {
    const report = (await listBackends()).find((b) => b.name === name);
    if (!report?.available) this.skip();
    gpu = await createBackend(name);
    cpu = await createBackend('cpu');
  });

  after(async () => {
    await gpu?.dispose();
    await cpu?.dispose();
  });

  const hp = { k: 5, extra_center_factor: 4, seed: 3 };

  it('refines the model on the device after its first candidate, as cpu does; seeding and candidates run on cpu (cpuSteps)', async () => {
    // K = 20 centres; the refined model starts at 50·K = 1000 rows (batch 11), the next candidate at 4000.
    const batches = clusterBatches(7, 45);
    const before = gpu.counters.snapshot();
    const trafficBefore = gpu.traffic?.snapshot();
    const onGpu = await trainOn(gpu, hp, batches);
    if (gpu.traffic) {
      // Nothing read back per batch: one read-back before each candidate's cpu step, one at the end.
      const traffic = gpu.traffic.snapshot(trafficBefore);
      assert.equal(traffic.readBacks, 3, 'read-backs');
      if (name === 'webgpu') assert.equal(traffic.submissions, 42 + 3, 'one command buffer per device batch, one per read-back');
    }
    const onCpu = await trainOn(cpu, hp, batches);
    assertStatesAgree(onGpu, onCpu, 'refined');
    const model = onGpu.tensors.model_counters.data as Float64Array;
    assert.equal(model[0], 1, 'the model is active');
    assert.equal(model[3], 2, 'two candidates: at 1,000 and 4,000 rows');
    const count = gpu.counters.snapshot(before).kmeansUpdate!;
    assert.deepEqual(count, { backend: name, calls: 45, fallbacks: 0, cpuSteps: 3 }, 'seeding (batch 1) and the two candidates on cpu');
  });

  it('runs a batch far from the rows before it (input sorted by cluster) on cpu, which gives its rows centres; the states agree', async () => {
    // The rows of 30 batches sorted by cluster: a batch where a new cluster begins sits far from the rows before it.
    const rows = clusterBatches(12, 30).flatMap((b) => Array.from({ length: b.rows }, (_, r) => (b as { values: Float32Array }).values.subarray(r * clusterDim, (r + 1) * clusterDim)));
    const nearestTrue = (x: Float32Array) => trueCenters.map((c) => c.reduce((sum, v, j) => sum + (v - x[j]) ** 2, 0)).reduce((best, d, i, all) => (d < all[best] ? i : best), 0);
    rows.sort((x, y) => nearestTrue(x) - nearestTrue(y));
    const batches = Array.from({ length: 30 }, (_, b) => denseBatch(Float32Array.from(rows.slice(b * 100, (b + 1) * 100).flatMap((x) => Array.from(x))), clusterDim));
    const moments = new Float64Array(batchOrderLength(clusterDim));
    let novel = 0;
    for (const batch of batches) {
      await addBatchOrder(moments, clusterDim, batch);
      if (isNovelBatch(moments)) novel++;
    }
    assert.ok(novel >= 4, `${novel} batches far from the rows before them (one at least where each later cluster begins)`);
    const before = gpu.counters.snapshot();
    const onGpu = await trainOn(gpu, hp, batches);
    const count = gpu.counters.snapshot(before).kmeansUpdate!;
    const onCpu = await trainOn(cpu, hp, batches);
    assertStatesAgree(onGpu, onCpu, 'sorted by cluster');
    assert.ok((onCpu.tensors.counters.data as Float64Array)[2] > 0, 'centres given to the new rows (reseeds)');
    assert.ok(count.cpuSteps! >= novel + 1, `cpuSteps ${count.cpuSteps}: seeding and every novel batch on cpu`);
  });

  it('decays old weight with a half-life, takes row weights, and keeps digits 1e4 from the origin', async () => {
    const batches = clusterBatches(8, 30, 100, 1e4).map((b, i) => ({ ...b, weights: Float32Array.from({ length: b.rows }, (_, r) => ((r + i) % 3) + 0.5) }) as Batch);
    const settings = { ...hp, half_life_time_size: 700 };
    assertStatesAgree(await trainOn(gpu, settings, batches), await trainOn(cpu, settings, batches), 'half-life, weights, offset');
  });

  it('reseeds dying centres onto the farthest rows, as cpu does', async () => {
    // The first batches spread the 20 centres over all five clusters and a far one; then only two
    // clusters come, and the centres that take nothing fall under 1% of their fair share.
    const far = clusterBatches(9, 2).map((b) => denseBatch((b as { values: Float32Array }).values.map((v, i) => (i % 2 === 0 ? v + 40 : v)), clusterDim));
    const narrow = clusterBatches(10, 60).map((b) => {
      const x = (b as { values: Float32Array }).values;
      for (let r = 0; r < b.rows; r++) if (r % 2 === 1) for (let j = 0; j < clusterDim; j++) x[r * clusterDim + j] = x[(r - 1) * clusterDim + j] + 0.01 * j;
      return denseBatch(x, clusterDim);
    });
    const batches = [...far, ...narrow];
    const settings = { ...hp, half_life_time_size: 200 };
    const onGpu = await trainOn(gpu, settings, batches);
    const onCpu = await trainOn(cpu, settings, batches);
    assert.ok((onCpu.tensors.counters.data as Float64Array)[2] > 0, 'cpu reseeded');
    assertStatesAgree(onGpu, onCpu, 'reseeding');
  });

  it('reseeds the same dying centres as cpu when many have equal weights (lightest first, then the lower index)', async () => {
    // 200 centres seeded on spread rows keep weight 1 each; then a tight, heavy cluster takes every row and
    // more than 16 of them are dying at once (where an unstable sort reorders equal weights).
    const random = Random.fromSeed(5);
    const dim = 2;
    const batches = [denseBatch(Float32Array.from({ length: 200 * dim }, () => 100 * random.nextGaussian()), dim)];
    for (let b = 0; b < 3; b++) batches.push(denseBatch(Float32Array.from({ length: 100 * dim }, () => random.nextGaussian()), dim, undefined, new Float32Array(100).fill(100)));
    const train2 = async (backend: Backend) => {
      const state = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 50 }), { featureDim: dim, labelSize: 0 }, backend);
      for (const batch of batches) await kmeans.update(state, batch, backend);
      await settleState(state);
      return state;
    };
    const [onGpu, onCpu] = [await train2(gpu), await train2(cpu)];
    assert.equal((onCpu.tensors.counters.data as Float64Array)[2], 4, 'cpu reseeded');
    // The same centres moved (a different choice would put a spread seed where cpu has one in the cluster).
    const [a, b] = [onGpu.tensors.centers.data as Float32Array, onCpu.tensors.centers.data as Float32Array];
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, Math.abs(b[i])), `centre coordinate ${i}: ${a[i]} vs cpu ${b[i]}`);
  });

  it('declines sparse rows after settling, so cpu continues from every batch before', async () => {
    const dense = clusterBatches(11, 15);
    const sparse = (() => {
      const x = (dense[14] as { values: Float32Array }).values;
      const indptr = Int32Array.from({ length: 101 }, (_, r) => r * clusterDim);
      const indices = Uint32Array.from({ length: 100 * clusterDim }, (_, i) => i % clusterDim);
      return { kind: 'sparse' as const, rows: 100, cols: clusterDim, indptr, indices, values: x };
    })();
    const batches: Batch[] = [...dense.slice(0, 14), sparse, ...clusterBatches(12, 3)];
    assertStatesAgree(await trainOn(gpu, hp, batches), await trainOn(cpu, hp, batches), 'a sparse batch among dense ones');
    const state = fresh(hp, gpu);
    for (const batch of dense.slice(0, 3)) await kmeans.update(state, batch, gpu);
    await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(kmeans.update(state, sparse, gpu),
      new RegExp(`^BatchError: kmeans batch 3: BOUNDLESS_STRICT_BACKEND=1: backend '${name}' declined kernel 'kmeansUpdate' \\(sparse rows: the ${name} kernel takes dense rows\\); it would have run on cpu$`)));
  });

  it('refuses a bad row with cpu\'s message; a state not settled has no progressive metrics and cannot be merged', async () => {
    const state = fresh(hp, gpu);
    for (const batch of clusterBatches(13, 3)) await kmeans.update(state, batch, gpu);
    const bad = denseBatch(new Float32Array(clusterDim * 2), clusterDim);
    bad.values[clusterDim + 4] = NaN;
    await assert.rejects(kmeans.update(state, bad, gpu), /^BatchError: kmeans batch 3: row 1, feature 4 is not finite; features must be finite$/);
    assert.equal(isSettled(state), false);
    assert.deepEqual(kmeans.progressiveMetrics!(state), {});
    assert.throws(() => kmeans.merge([state]), new RegExp(`^Error: kmeans merge: the state's latest batches are still on the ${name} device`));
    const model = await kmeans.finalize(state, gpu);
    assert.equal(isSettled(state), true);
    assert.equal(model.data().tensors.centers.shape.join(), `5,${clusterDim}`);
    assert.ok(kmeans.progressiveMetrics!(state).progressive_msd > 0);
  });

  it('trains every batch of updates of one state started together, in the order they were started', async () => {
    const batches = clusterBatches(15, 14);
    const onCpu = await trainOn(cpu, hp, batches);
    const state = fresh(hp, gpu);
    await Promise.all(batches.map((batch) => kmeans.update(state, batch, gpu)));
    await settleState(state);
    assertStatesAgree(state, onCpu, 'started together');
  });

  it('cuda measures coordinates near 1e18 and below 1e-12 in float64, as cpu: nothing declined', async function () {
    if (name !== 'cuda') this.skip();
    for (const [what, scale] of [['huge', 3e17], ['tiny', 1e-14]] as const) {
      const batches = clusterBatches(16, 4).map((b) => denseBatch((b as { values: Float32Array }).values.map((v) => v * scale), clusterDim));
      const onGpu = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => trainOn(gpu, hp, batches));
      assertStatesAgree(onGpu, await trainOn(cpu, hp, batches), what);
    }
  });

  it('declines, after settling, batches float32 cannot measure: coordinates near 1e18, or below 1e-12', async function () {
    if (name === 'cuda') this.skip();  // float64 on cuda: nothing to decline (the test before)
    for (const [what, scale, message] of [['huge', 3e17, /past what float32 holds/], ['tiny', 1e-14, /too small for float32/]] as const) {
      const batches = clusterBatches(16, 4).map((b) => denseBatch((b as { values: Float32Array }).values.map((v) => v * scale), clusterDim));
      assertStatesAgree(await trainOn(gpu, hp, batches), await trainOn(cpu, hp, batches), what);
      const state = fresh(hp, gpu);
      await kmeans.update(state, batches[0], gpu);
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(kmeans.update(state, batches[1], gpu), message, what));
    }
  });

  it('decays weight by float64\'s factor: the half-life compounds over every batch', async () => {
    // A half-life whose factor float32 rounds by 3e-8: 2,000 one-row batches would leave the weights 6e-5 off.
    const rows = (seed: number) => clusterBatches(seed, 1, 2000)[0] as { values: Float32Array };
    const settings = { k: 1, extra_center_factor: 2, half_life_time_size: 198788, seed: 1 };
    const batches = Array.from({ length: 2000 }, (_, r) => denseBatch(rows(17).values.slice(r * clusterDim, (r + 1) * clusterDim), clusterDim));
    const [onGpu, onCpu] = [await trainOn(gpu, settings, batches), await trainOn(cpu, settings, batches)];
    const total = (st: KmeansState) => Array.from(st.tensors.center_weights.data as Float64Array).reduce((a, b) => a + b);
    assert.ok(Math.abs(total(onGpu) / total(onCpu) - 1) < 1e-9, `weights ${total(onGpu)} vs cpu ${total(onCpu)}`);
  });

  it('declines, after settling, rows so heavy that the centres\' weights would pass float32\'s range', async function () {
    if (name === 'cuda') this.skip();  // float64 weights on cuda
    // 100 rows of weight 1e33 a batch: each adds 1e35 to the weights, and the tenth would take them past 1e36.
    const batches = clusterBatches(18, 14).map((b) => ({ ...b, weights: new Float32Array(b.rows).fill(1e33) }) as Batch);
    const onGpu = await trainOn(gpu, hp, batches);
    assertStatesAgree(onGpu, await trainOn(cpu, hp, batches), 'heavy rows');
    assert.ok(Array.from(onGpu.tensors.center_weights.data as Float64Array).every(Number.isFinite));
    const state = fresh(hp, gpu);
    await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(async () => {
      for (const batch of batches) await kmeans.update(state, batch, gpu);
    }, /the centres' weights would pass 1e\+36, past what float32 holds/));
  });

  it('settles a state another backend holds before cpu continues it (train() from such an initial state too)', async () => {
    const batches = clusterBatches(19, 10);
    const mixed = fresh(hp, gpu);
    for (const batch of batches.slice(0, 5)) await kmeans.update(mixed, batch, gpu);
    for (const batch of batches.slice(5)) await kmeans.update(mixed, batch, cpu);
    await settleState(mixed);
    const total = Array.from(mixed.tensors.center_weights.data as Float64Array).reduce((a, b) => a + b);
    assert.equal(total, 1000, 'every row\'s weight is in the centres');
    assertStatesAgree(mixed, await trainOn(cpu, hp, batches), `${name} then cpu`);
  });

  it(`train() on ${name}, strict: checkpoints hold every batch, a stopped run resumes, and the model matches cpu's`, async () => {
    const directory = await mkdtemp(join(tmpdir(), `boundless-${name}-kmeans-`));
    try {
      const csv = join(directory, 'points.csv');
      const rows = clusterBatches(14, 30).flatMap((b) => Array.from({ length: b.rows }, (_, r) =>
        Array.from((b as { values: Float32Array }).values.subarray(r * clusterDim, (r + 1) * clusterDim), (v) => v.toFixed(5)).join(',')));
      await writeFile(csv, rows.join('\n') + '\n');
      const settings = { ...hp, mini_batch_size: 100 };
      const data = { format: 'csv' as const, featureDim: clusterDim, labelSize: 0 as const };
      const onCpu = await train(kmeans, settings, { train: csv, data, backend: 'cpu' });
      const controller = new AbortController();
      let batches = 0;
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(train(kmeans, settings, {
        train: csv, data, backend: name, checkpoint: { directory: join(directory, 'checkpoints'), everyBatches: 4 }, signal: controller.signal,
        onProgress: (event) => { if (event.phase === 'batch' && ++batches === 17) controller.abort(); },
      }), { name: 'AbortError' }));
      const resumed = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => train(kmeans, settings, {
        train: csv, data, backend: name, resume: true, checkpoint: { directory: join(directory, 'checkpoints') },
      }));
      assert.equal((resumed.state.tensors.counters.data as Float64Array)[0], 3000, 'every row once');
      assertStatesAgree(resumed.state, onCpu.state, 'resumed');
      assert.equal(resumed.metrics.kernels.kmeansUpdate!.backend, name);
      const centres = (m: typeof onCpu.model) => m.data().tensors.centers.data as Float32Array;
      const worst = Math.max(...Array.from(centres(onCpu.model), (v, i) => Math.abs(centres(resumed.model)[i] - v)));
      assert.ok(worst < 1e-3, `model centres differ by ${worst}`);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
