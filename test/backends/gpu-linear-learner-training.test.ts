// The linear learner trained on a GPU (lib/backends/webgpu-linear-learner-update.ts,
// cuda-linear-learner-update.ts):
// weights, averages, moments, last steps and progressive sums on the device from
// batch to batch, against cpu on the same batches — every loss family, every
// optimizer, L1 and L2 with lazy catch-up of rare sparse features, iterate
// averaging, the step schedule, class and row weights, dense and sparse rows;
// the scaler's batches on cpu by design; bad rows with cpu's message; nothing
// read back per batch; what float32 cannot hold, which webgpu declines and cuda
// (float64) trains. Runs on every GPU backend available: CI has webgpu on Mesa's
// llvmpipe and cuda on the CPU emulation of the CUDA runtime (cuda-emulation.test.ts);
// the lent device, both on its GPU.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseBatch, isSettled, linearLearner, listBackends, parseHyperparameters, settleState, train, type Backend, type Batch, type HyperparameterInput,
} from '../../lib/index.js';
import { llUpdateStateTolerance } from '../../lib/backends/webgpu-linear-learner-update.js';
import { cudaLlUpdateStateTolerance } from '../../lib/backends/cuda-linear-learner-update.js';
import { dim, linearBatches, sparseDim, sparseLinearBatches } from '../fixtures/linear-data.js';
import { withEnv } from '../fixtures/with-env.js';

type LlState = ReturnType<typeof linearLearner.createState>;

function fresh(hp: HyperparameterInput, backend: Backend, width: number): LlState {
  const parsed = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { feature_dim: width, num_point_for_scaler: 100, seed: 3, ...hp });
  return linearLearner.createState(parsed, { featureDim: width, labelSize: 1 }, backend);
}

async function trainOn(backend: Backend, hp: HyperparameterInput, batches: Batch[]): Promise<LlState> {
  const state = fresh(hp, backend, batches[0].kind === 'sparse' ? sparseDim : dim);
  for (const batch of batches) await linearLearner.update(state, batch, backend);
  await settleState(state);
  return state;
}

/**
 * Score histograms [models][2][bins] agree when each (model, class)'s total agrees and its rows moved little: the
 * distance between the two distributions (Σ over bins of |Δ cumulative weight|) is at most 0.01 bin of the total.
 * A score within float32's rounding of a bin's edge may fall on the other side on the device, and on a model whose
 * weights L1 zeroed, many rows share the bias's score.
 */
function assertHistogramsAgree(a: number[], b: number[], what: string): void {
  const bins = 2048;
  for (let block = 0; block < b.length / bins; block++) {
    let [cumulativeA, cumulativeB, distance] = [0, 0, 0];
    for (let k = block * bins; k < (block + 1) * bins; k++) {
      cumulativeA += a[k];
      cumulativeB += b[k];
      distance += Math.abs(cumulativeA - cumulativeB);
    }
    assert.ok(Math.abs(cumulativeA - cumulativeB) <= 1e-6 * cumulativeB, `${what}: histogram ${block}'s total ${cumulativeA} vs ${cumulativeB}`);
    assert.ok(distance <= 0.01 * cumulativeB, `${what}: histogram ${block}'s rows moved ${distance / cumulativeB} bins on average`);
  }
}

/** Every float tensor within tolerance × its scale; counters, class counts and last steps exact. */
function assertStatesAgreeWithin(relTol: number, got: LlState, expected: LlState, what: string): void {
  for (const [name, t] of Object.entries(expected.tensors)) {
    const a = Array.from(got.tensors[name].data as Float32Array);
    const b = Array.from(t.data as Float32Array);
    if (['last_step', 'counters', 'class_counts', 'average_start'].includes(name)) {
      assert.deepEqual(a, b, `${what}: ${name}`);
      continue;
    }
    if (name.endsWith('histogram')) {
      assertHistogramsAgree(a, b, `${what}: ${name}`);
      continue;
    }
    const scale = Math.max(1e-30, ...b.map(Math.abs));
    const worst = Math.max(0, ...b.map((v, i) => Math.abs(a[i] - v)));
    assert.ok(worst <= relTol * scale, `${what}: ${name} differs from cpu by ${worst} (scale ${scale})`);
  }
}

const cases: { name: string; hp: HyperparameterInput; batches: () => Batch[] }[] = [
  { name: 'binary logistic, dense, the defaults (adagrad, a grid of rates and penalties, averaging)', hp: { predictor_type: 'binary_classifier', num_models: 4 }, batches: () => linearBatches('binary', 5, 8) },
  { name: 'binary logistic, sparse rare features, adam with L1 and L2', hp: { predictor_type: 'binary_classifier', num_models: 3, optimizer: 'adam', l1: 0.01, wd: 0.001, unbias_data: false }, batches: () => sparseLinearBatches('binary', 5, 8) },
  { name: 'binary hinge, sparse, balanced positive weight, a grid of penalties', hp: { predictor_type: 'binary_classifier', loss: 'hinge_loss', positive_example_weight_mult: 'balanced', num_models: 8, unbias_data: false }, batches: () => sparseLinearBatches('binary', 6, 8) },
  { name: 'multiclass softmax, sparse, balanced class weights (confident rows: p − 1 below float32\'s rounding of 1)', hp: { predictor_type: 'multiclass_classifier', num_classes: 3, num_models: 4, balance_multiclass_weights: true, unbias_data: false }, batches: () => sparseLinearBatches('multiclass', 5, 8) },
  { name: 'multiclass softmax, dense, sgd with momentum and the step schedule', hp: { predictor_type: 'multiclass_classifier', num_classes: 3, num_models: 2, optimizer: 'sgd', momentum: 0.9, use_lr_scheduler: true, lr_scheduler_step: 3 }, batches: () => linearBatches('multiclass', 7, 8) },
  { name: 'regression squared loss, dense, normalized labels', hp: { predictor_type: 'regressor', num_models: 4 }, batches: () => linearBatches('regression', 5, 8) },
  { name: 'regression huber, sparse, rmsprop, L1 with L2 near 0 (the catch-up\'s log1p of 3e-8)', hp: { predictor_type: 'regressor', loss: 'huber_loss', optimizer: 'rmsprop', num_models: 1, wd: 2.3e-7, l1: 0.4, unbias_data: false }, batches: () => sparseLinearBatches('regression', 5, 8) },
  { name: 'regression quantile, dense, weighted rows, no averaging', hp: { predictor_type: 'regressor', loss: 'quantile_loss', quantile: 0.8, num_models: 2, average: false }, batches: () => linearBatches('regression', 8, 8).map((b) => ({ ...b, weights: Float32Array.from({ length: b.rows }, (_, r) => 0.5 + (r % 3)) })) },
];

for (const name of ['webgpu', 'cuda'] as const) describe(`${name}: the linear learner trained on the device`, function () {
  this.timeout(300_000);
  let gpu: Backend;
  let cpu: Backend;
  // webgpu trains with float32 sums and products; cuda with cpu's float64 ones.
  const tolerance = name === 'webgpu' ? llUpdateStateTolerance : cudaLlUpdateStateTolerance;
  const assertStatesAgree = (got: LlState, expected: LlState, what: string) => assertStatesAgreeWithin(tolerance.relTol, got, expected, what);

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

  for (const c of cases) {
    it(`${c.name}: cpu's state within ${tolerance.relTol} of each array's scale`, async () => {
      const before = gpu.counters.snapshot();
      const traffic = gpu.traffic?.snapshot();
      const state = fresh(c.hp, gpu, c.batches()[0].kind === 'sparse' ? sparseDim : dim);
      for (const batch of c.batches()) await linearLearner.update(state, batch, gpu);
      if (traffic) assert.equal(gpu.traffic!.snapshot(traffic).readBacks, 0, 'nothing read back per batch');
      assert.equal(isSettled(state), false);
      await settleState(state);
      // 100 scaler rows: the first two batches of 64 refine the scaler on cpu, by design; the other six run on the device.
      assert.deepEqual(gpu.counters.snapshot(before).linearLearnerUpdate, { backend: name, calls: 8, fallbacks: 0, cpuSteps: 2 });
      assertStatesAgree(state, await trainOn(cpu, c.hp, c.batches()), c.name);
    });
  }

  it('progressive metrics wait for the settle; modelMetrics and a merge refuse the state meanwhile; then they are cpu\'s', async () => {
    const hp = { predictor_type: 'binary_classifier', num_models: 3 };
    const state = fresh(hp, gpu, dim);
    for (const batch of linearBatches('binary', 9, 4)) await linearLearner.update(state, batch, gpu);
    assert.deepEqual(linearLearner.progressiveMetrics!(state), {});
    assert.throws(() => linearLearner.modelMetrics(state), new RegExp(`^Error: linear-learner modelMetrics: the state's latest batches are still on the ${name} device; await settleState\\(state\\) first`));
    assert.throws(() => linearLearner.merge([state]), new RegExp(`linear-learner merge: the state's latest batches are still on the ${name} device`));
    assert.throws(() => linearLearner.endPass!(state), new RegExp(`linear-learner catch-up: the state's latest batches are still on the ${name} device`));
    await settleState(state);
    const expected = await trainOn(cpu, hp, linearBatches('binary', 9, 4));
    const [got, want] = [linearLearner.progressiveMetrics!(state), linearLearner.progressiveMetrics!(expected)];
    assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
    for (const [name, value] of Object.entries(want)) assert.ok(Math.abs(got[name] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `${name}: ${got[name]} vs ${value}`);
  });

  it('a bad row gets cpu\'s message before anything is enqueued; the state carries on as cpu\'s', async () => {
    const hp = { predictor_type: 'binary_classifier', num_models: 2 };
    const good = linearBatches('binary', 10, 5);
    const bad = denseBatch(good[0].kind === 'dense' ? good[0].values.map((v, i) => (i === 3 * dim + 2 ? NaN : v)) : new Float32Array(), dim, good[0].labels);
    const state = fresh(hp, gpu, dim);
    for (const batch of good.slice(0, 3)) await linearLearner.update(state, batch, gpu);
    await assert.rejects(linearLearner.update(state, bad, gpu), /^BatchError: linear-learner batch 3: row 3, feature 2 is NaN; features must be finite$/);
    for (const batch of good.slice(3)) await linearLearner.update(state, batch, gpu);
    await settleState(state);
    assertStatesAgree(state, await trainOn(cpu, hp, good), 'after a bad batch');
  });

  it('cpu continues a state the device holds (settled first), and the device continues cpu\'s', async () => {
    const hp = { predictor_type: 'regressor', num_models: 2, unbias_data: false };
    const batches = sparseLinearBatches('regression', 11, 8);
    const state = fresh(hp, gpu, sparseDim);
    for (const [i, batch] of batches.entries()) await linearLearner.update(state, batch, i % 3 === 1 ? cpu : gpu);
    await settleState(state);
    assertStatesAgree(state, await trainOn(cpu, hp, batches), 'alternating backends');
  });

  if (name === 'cuda') {
    it('once its buffers are grown, a batch\'s copy and launches are enqueued without waiting for the device, and nothing is read back', async () => {
      for (const group of [linearBatches('binary', 41, 6), sparseLinearBatches('binary', 42, 6)]) {
        const sparse = group[0].kind === 'sparse';
        const state = fresh({ predictor_type: 'binary_classifier', num_models: 4, unbias_data: !sparse }, gpu, sparse ? sparseDim : dim);
        for (const batch of group.slice(0, 3)) await linearLearner.update(state, batch, gpu);  // the scaler's two on cpu, then the device's first
        const before = gpu.traffic!.snapshot();
        for (const batch of group.slice(3)) await linearLearner.update(state, batch, gpu);
        const traffic = gpu.traffic!.snapshot(before);
        assert.equal(traffic.synchronizations, 0, `${group[0].kind}: no wait`);
        assert.equal(traffic.readBacks, 0, `${group[0].kind}: nothing read back`);
        if (sparse) {
          assert.ok(traffic.submissions >= 3 * 2 * 3, `sparse: three launches or more an optimizer step (${traffic.submissions})`);
        } else {
          // Every step of a batch in one launch (FusedDenseKernel), and one for the loss differences from model 0.
          assert.equal(traffic.submissions, 3 * 2, 'dense: two launches a batch, whatever its steps');
        }
        await settleState(state);
      }
    });

    it('trains values past 1e15 after the scaler and a row weighted 1e20 on the device, in float64: cpu\'s state', async () => {
      // A rate small enough that cpu's own state stays finite (adagrad's Σg² of a 3e16 value passes float32's range on cpu too).
      const hp = { predictor_type: 'regressor', num_models: 1, normalize_data: false, unbias_data: false, normalize_label: false, unbias_label: false, num_point_for_scaler: 1,
        optimizer: 'sgd', learning_rate: 1e-18 };
      const batches: Batch[] = linearBatches('regression', 12, 3);
      batches[1] = { ...batches[1], values: (batches[1] as { values: Float32Array }).values.map((v, i) => (i === 5 ? 3e16 : v)) } as Batch;
      const heavy = linearBatches('binary', 14, 4).map((b, i) => (i === 2 ? { ...b, weights: Float32Array.from({ length: b.rows }, (_, r) => (r === 7 ? 1e20 : 1)) } : b));
      for (const [what, settings, data] of [['values past 1e15', hp, batches], ['a row weighted 1e20', { predictor_type: 'binary_classifier', num_models: 2 }, heavy]] as const) {
        const before = gpu.counters.snapshot();
        const state = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => trainOn(gpu, settings, [...data]));
        assert.equal(gpu.counters.snapshot(before).linearLearnerUpdate!.fallbacks, 0, what);
        assertStatesAgree(state, await trainOn(cpu, settings, [...data]), what);
      }
    });
  } else {
    it('declines values past 1e15 after the scaler, settling first: cpu takes the batch; strict mode names why', async () => {
      const hp = { predictor_type: 'regressor', num_models: 1, normalize_data: false, unbias_data: false, normalize_label: false, unbias_label: false, num_point_for_scaler: 1 };
      const batches = linearBatches('regression', 12, 3);
      const huge = { ...batches[1], values: (batches[1] as { values: Float32Array }).values.map((v, i) => (i === 5 ? 3e16 : v)) } as Batch;
      const state = fresh(hp, gpu, dim);
      await linearLearner.update(state, batches[0], gpu);
      const before = gpu.counters.snapshot();
      await linearLearner.update(state, huge, gpu);
      const reason = "its values after the scaler reach 3.0e+16: past 1e+15, products near float32's range; cpu takes them in float64";
      assert.deepEqual(gpu.counters.snapshot(before).linearLearnerUpdate, { backend: 'cpu', calls: 1, fallbacks: 1, declined: reason });
      assert.equal(isSettled(state), true, 'settled before cpu took the batch');
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(linearLearner.update(state, huge, gpu),
        /declined kernel 'linearLearnerUpdate' \(its values after the scaler reach 3\.0e\+16: past 1e\+15/));
    });

    it('declines a row weighted so that its square passes float32 (1e20: NaN in Σw² before), and cpu\'s state results', async () => {
      const hp = { predictor_type: 'binary_classifier', num_models: 2 };
      const batches = linearBatches('binary', 14, 4).map((b, i) => (i === 2 ? { ...b, weights: Float32Array.from({ length: b.rows }, (_, r) => (r === 7 ? 1e20 : 1)) } : b));
      const before = gpu.counters.snapshot();
      const state = await trainOn(gpu, hp, batches);
      const count = gpu.counters.snapshot(before).linearLearnerUpdate!;
      assert.equal(count.fallbacks, 1);
      assert.match(count.declined!, /^its row weights times the rows seen reach 1\.9e\+22: past 1e\+15, whose squares pass float32's range/);
      assertStatesAgree(state, await trainOn(cpu, hp, batches), 'a row weighted 1e20');
      assert.ok(Number.isFinite((state.tensors.progressive_weight_sq.data as Float64Array)[0]));
    });

    it('train() says why the device declined calls (a warning), besides counting them in metrics.kernels', async () => {
      const directory = await mkdtemp(join(tmpdir(), 'boundless-webgpu-ll-declined-'));
      try {
        const path = join(directory, 'huge.csv');
        const rows = Array.from({ length: 400 }, (_, r) => `${r % 2},${r % 2 === 1 ? 3e16 : -3e16},${(r * 7) % 5}`);
        await writeFile(path, rows.join('\n') + '\n');
        const warnings: string[] = [];
        const result = await train(linearLearner, { predictor_type: 'binary_classifier', normalize_data: false, unbias_data: false, num_point_for_scaler: 1 }, {
          train: path, epochs: 1, backend: 'webgpu', data: { featureDim: 2, miniBatchSize: 100 },
          onProgress: (event) => { if (event.phase === 'warning') warnings.push(event.message!); },
        });
        const count = result.metrics.kernels.linearLearnerUpdate!;
        assert.equal(count.fallbacks, 3, 'the scaler\'s batch ran on cpu by design; the other three were declined');
        assert.deepEqual(warnings.filter((w) => w.includes('declined')), [
          `webgpu declined linearLearnerUpdate on 3 of 4 calls, which ran on cpu: ${count.declined} (BOUNDLESS_STRICT_BACKEND=1 makes that an error)`,
        ]);
        assert.match(count.declined!, /^its values after the scaler reach 3\.0e\+16: past 1e\+15/);
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    });
  }

  it('takes columns of very different sizes (a timestamp in milliseconds beside thousandths): each is bounded after its own scale', async () => {
    const hp = { predictor_type: 'binary_classifier', num_models: 2 };
    const batches = linearBatches('binary', 13, 5).map((b) => {
      const values = Float32Array.from((b as { values: Float32Array }).values);
      for (let r = 0; r < b.rows; r++) {
        values[r * dim] = 1.7e12 + 1e9 * values[r * dim];
        values[r * dim + 1] *= 1e-3;
      }
      return { ...b, values } as Batch;
    });
    const state = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => trainOn(gpu, hp, batches));
    assertStatesAgree(state, await trainOn(cpu, hp, batches), 'timestamps beside thousandths');
  });

  it(`train() on ${name}, strict: checkpoints, a stopped run resumed, validation give cpu's model`, async () => {
    const directory = await mkdtemp(join(tmpdir(), `boundless-${name}-ll-`));
    try {
      const csv = (batches: Batch[]) => batches.flatMap((b) => {
        const d = b as Extract<Batch, { kind: 'dense' }>;
        return Array.from({ length: b.rows }, (_, r) => [d.labels![r], ...Array.from(d.values.subarray(r * dim, (r + 1) * dim), (v) => v.toFixed(5))].join(','));
      }).join('\n') + '\n';
      const [trainFile, validationFile] = [join(directory, 'train.csv'), join(directory, 'validation.csv')];
      await writeFile(trainFile, csv(linearBatches('binary', 21, 40)));
      await writeFile(validationFile, csv(linearBatches('binary', 22, 5)));
      const settings = { predictor_type: 'binary_classifier', num_models: 3, seed: 8, feature_dim: dim, num_point_for_scaler: 200 };
      const options = { train: trainFile, validation: validationFile, data: { format: 'csv' as const, featureDim: dim, labelSize: 1 as const, miniBatchSize: 256 }, epochs: 2 };
      const onCpu = await train(linearLearner, settings, { ...options, backend: 'cpu' });
      const controller = new AbortController();
      let batches = 0;
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(train(linearLearner, settings, {
        ...options, backend: name, checkpoint: { directory: join(directory, 'checkpoints'), everyBatches: 3 }, signal: controller.signal,
        onProgress: (event) => { if (event.phase === 'batch' && ++batches === 14) controller.abort(); },
      }), { name: 'AbortError' }));
      const resumed = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => train(linearLearner, settings, {
        ...options, backend: name, resume: true, checkpoint: { directory: join(directory, 'checkpoints') },
      }));
      assertStatesAgree(resumed.state as LlState, onCpu.state as LlState, 'resumed');
      assert.equal(resumed.metrics.kernels.linearLearnerUpdate!.backend, name);
      for (const [name, value] of Object.entries(onCpu.metrics.validation!)) {
        assert.ok(Math.abs(resumed.metrics.validation![name] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `validation ${name}: ${resumed.metrics.validation![name]} vs ${value}`);
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
