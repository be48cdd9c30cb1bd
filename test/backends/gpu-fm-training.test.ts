// Factorization machines trained on a GPU (lib/backends/webgpu-fm.ts, cuda-fm.ts): the
// parameters, moments, lazy-decay steps and metric sums on the device from
// batch to batch, against cpu on the same batches — every optimizer, both
// decay rules, clipping, row weights, dense and sparse rows, several models
// of different factor sizes, evaluation into two sets of sums; bad rows and
// labels with cpu's message; nothing read back per batch; what float32 cannot
// hold, which webgpu declines and cuda (float64) trains. Runs on every GPU backend
// available: CI has webgpu on Mesa's llvmpipe and cuda on the CPU emulation of the
// CUDA runtime (cuda-emulation.test.ts); the lent device, both on its GPU.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseBatch, factorizationMachines, isSettled, listBackends, parseHyperparameters, Random, settleState,
  train, type Backend, type Batch, type HyperparameterInput,
} from '../../lib/index.js';
import { withEnv } from '../fixtures/with-env.js';
import { fmStateTolerance } from '../../lib/backends/webgpu-fm.js';
import { cudaFmStateTolerance } from '../../lib/backends/cuda-fm.js';
import { fmBatches, fmDim, fmItems, fmUsers } from '../fixtures/fm-data.js';

type FmState = ReturnType<typeof factorizationMachines.createState>;

function fresh(hp: HyperparameterInput, backend: Backend, dim = fmDim): FmState {
  const parsed = parseHyperparameters('factorization-machines', factorizationMachines.hyperparameters, { feature_dim: dim, ...hp });
  return factorizationMachines.createState(parsed, { featureDim: dim, labelSize: 1 }, backend);
}

async function trainOn(backend: Backend, hp: HyperparameterInput, batches: Batch[], dim?: number): Promise<FmState> {
  const state = fresh(hp, backend, dim);
  for (const batch of batches) await factorizationMachines.update(state, batch, backend);
  await settleState(state);
  return state;
}

/** The batches as dense rows, weighted 0.5, 1.5, 2.5 in turn. */
function denseOf(batches: Batch[]): Batch[] {
  return batches.map((b) => {
    const sparse = b as Extract<Batch, { kind: 'sparse' }>;
    const x = new Float32Array(b.rows * fmDim);
    for (let r = 0; r < b.rows; r++) for (let e = sparse.indptr[r]; e < sparse.indptr[r + 1]; e++) x[r * fmDim + sparse.indices[e]] = sparse.values[e];
    return denseBatch(x, fmDim, sparse.labels, Float32Array.from({ length: b.rows }, (_, r) => 0.5 + (r % 3)));
  });
}

/** Every float tensor within tolerance × its scale; steps, counters and last steps exact. */
function assertStatesAgreeWithin(relTol: number, got: FmState, expected: FmState, what: string): void {
  for (const [name, t] of Object.entries(expected.tensors)) {
    const a = Array.from(got.tensors[name].data as Float32Array);
    const b = Array.from(t.data as Float32Array);
    if (name === 'last_step' || name === 'counters') {
      assert.deepEqual(a, b, `${what}: ${name}`);
      continue;
    }
    const scale = Math.max(1e-30, ...b.map(Math.abs));
    const worst = Math.max(0, ...b.map((v, i) => Math.abs(a[i] - v)));
    assert.ok(worst <= relTol * scale, `${what}: ${name} differs from cpu by ${worst} (scale ${scale})`);
  }
}

for (const name of ['webgpu', 'cuda'] as const) describe(`${name}: factorization machines trained on the device`, function () {
  this.timeout(300_000);
  let gpu: Backend;
  let cpu: Backend;
  // webgpu sums float-float pairs; cuda float64, as cpu.
  const tolerance = name === 'webgpu' ? fmStateTolerance : cudaFmStateTolerance;
  const assertStatesAgree = (got: FmState, expected: FmState, what: string) => assertStatesAgreeWithin(tolerance.relTol, got, expected, what);

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

  for (const optimizer of ['sgd', 'adagrad', 'adam']) {
    it(`trains sparse rows with ${optimizer} as cpu does (three models, weight decay, progressive sums)`, async () => {
      const hp = { predictor_type: 'binary_classifier', num_factors: 4, num_models: 3, optimizer, seed: 2, linear_wd: 0.01, factors_wd: 0.01, bias_wd: 0.01 };
      const batches = fmBatches('binary', 11, 20);
      const before = gpu.counters.snapshot();
      const trafficBefore = gpu.traffic?.snapshot();
      const onGpu = await trainOn(gpu, hp, batches);
      if (trafficBefore) assert.equal(gpu.traffic!.snapshot(trafficBefore).readBacks, 1, 'one read-back, when the state is settled');
      assert.deepEqual(gpu.counters.snapshot(before).fmUpdate, { backend: name, calls: 20, fallbacks: 0 });
      assertStatesAgree(onGpu, await trainOn(cpu, hp, batches), optimizer);
    });
  }
  it('trains weighted dense rows with sgd, clipping and squared loss; features absent for many steps catch their decay up', async () => {
    const hp = { predictor_type: 'regressor', num_factors: 6, optimizer: 'sgd', seed: 3, linear_wd: 0.02, factors_wd: 0.02, clip_gradient: 0.5 };
    assertStatesAgree(await trainOn(gpu, hp, denseOf(fmBatches('regression', 12, 12))), await trainOn(cpu, hp, denseOf(fmBatches('regression', 12, 12))), 'dense');
    // Batches of 4 rows: a user or item is absent for tens of steps at a time, and adam's step scale ages meanwhile.
    const sparse = { ...hp, optimizer: 'adam', num_models: 2 };
    assertStatesAgree(await trainOn(gpu, sparse, fmBatches('regression', 13, 120, 4)), await trainOn(cpu, sparse, fmBatches('regression', 13, 120, 4)), 'lazy decay');
  });

  it('declines a batch whose rows name an index twice (cpu merges them, the values summed), after the batches before it: cpu\'s state', async () => {
    const hp = { predictor_type: 'regressor', num_factors: 4, seed: 3 };
    const [first, second] = fmBatches('regression', 40, 2);
    const s = second as Extract<Batch, { kind: 'sparse' }>;
    // Row 0's user index repeated in place of its item: an index twice.
    const indices = Uint32Array.from(s.indices);
    indices[1] = indices[0];
    const repeated: Batch = { ...s, indices };
    const before = gpu.counters.snapshot();
    const onGpu = await trainOn(gpu, hp, [first, repeated]);
    const counted = gpu.counters.snapshot(before).fmUpdate!;
    assert.equal(counted.fallbacks, 1);
    assert.equal(counted.declined, '1 row names an index twice, which cpu merges (their values summed) and this kernel does not');
    assertStatesAgree(onGpu, await trainOn(cpu, hp, [first, repeated]), 'a batch with a repeated index');
  });

  it('keeps the pairwise term\'s digits for a feature from 1e3 to 1e6 (float-float factor sums), as cpu\'s float64 ones', async () => {
    const d = 5;
    const rows = (scale: number, seed: number) => Array.from({ length: 12 }, (_, b) => {
      const random = Random.fromSeed(seed * 100 + b);
      const x = new Float32Array(100 * d);
      const y = new Float32Array(100);
      for (let r = 0; r < 100; r++) {
        let z = 0;
        for (let j = 0; j < d; j++) {
          const v = j === 1 ? scale * (1 + random.nextFloat()) : random.nextGaussian();
          x[r * d + j] = v;
          z += (j === 1 ? v / scale : v) * (j - 2);
        }
        y[r] = z > 0 ? 1 : 0;
      }
      return denseBatch(x, d, y);
    });
    for (const scale of [1e3, 1e4, 1e5, 1e6]) {
      const hp = { predictor_type: 'binary_classifier', num_factors: 4, num_models: 3 };
      const before = gpu.counters.snapshot();
      const onGpu = await trainOn(gpu, hp, rows(scale, 3), d);
      assert.equal(gpu.counters.snapshot(before).fmUpdate!.fallbacks, 0, `${scale}: on the device`);
      // Measured: within 2e-6 of each array's scale (f32 sums differed by 1e-2 to 1e-1 at 1e4 to 1e6).
      const onCpu = await trainOn(cpu, hp, rows(scale, 3), d);
      for (const name of ['bias', 'linear', 'factors', 'progressive_loss']) {
        const [a, b] = [onGpu.tensors[name].data as Float32Array, onCpu.tensors[name].data as Float32Array];
        const scaleOf = Math.max(...Array.from(b, Math.abs));
        const worst = Math.max(...Array.from(b, (v, i) => Math.abs(a[i] - v)));
        assert.ok(worst <= 1e-5 * scaleOf, `features at ${scale}: ${name} differs from cpu by ${worst} (scale ${scaleOf})`);
      }
    }
  });

  if (name === 'webgpu') {
    it('declines, after settling, regression labels past 1e15 (squared residuals near float32\'s range)', async () => {
      const hp = { predictor_type: 'regressor', num_factors: 4, seed: 2 };
      const far = fmBatches('regression', 23, 3).map((b) => ({ ...b, labels: b.labels!.map((y) => y * 1e17) }) as Batch);
      const state = fresh(hp, gpu);
      await factorizationMachines.update(state, fmBatches('regression', 23, 1)[0], gpu);
      const before = gpu.counters.snapshot();
      await factorizationMachines.update(state, far[0], gpu);
      assert.equal(gpu.counters.snapshot(before).fmUpdate!.fallbacks, 1, 'cpu took it');
      assert.ok(Array.from(state.tensors.linear.data as Float32Array).every(Number.isFinite), 'finite, as cpu trains it');
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(factorizationMachines.update(state, far[1], gpu), /its labels reach \d\.\de\+17: past 1e\+15/));
    });
  }

  if (name === 'cuda') {
    it('trains regression labels, row weights and values past 1e15 on the device, in float64: cpu\'s state', async () => {
      // Small rates, and clipped gradients for the values: cpu's own state stays finite (its float32 gradients of 1e16 values overflow unclipped).
      const hp = { predictor_type: 'regressor', num_factors: 4, seed: 2, optimizer: 'sgd', bias_lr: 1e-20, linear_lr: 1e-20, factors_lr: 1e-20 };
      const cases: [string, HyperparameterInput, Batch[]][] = [
        ['labels past 1e15', hp, fmBatches('regression', 23, 3).map((b) => ({ ...b, labels: b.labels!.map((y) => y * 1e17) }) as Batch)],
        ['row weights past 1e15', hp, fmBatches('regression', 24, 3).map((b) => ({ ...b, weights: new Float32Array(b.rows).fill(1e20) }) as Batch)],
        ['values past 1e15', { predictor_type: 'regressor', num_factors: 4, seed: 6, clip_gradient: 1 },
          fmBatches('regression', 20, 3).map((b) => ({ ...b, values: (b as { values: Float32Array }).values.map((v, i) => (i % 3 === 2 ? v * 1e16 : v)) }) as Batch)],
      ];
      for (const [what, settings, batches] of cases) {
        const before = gpu.counters.snapshot();
        const onGpu = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => trainOn(gpu, settings, batches));
        assert.deepEqual(gpu.counters.snapshot(before).fmUpdate, { backend: 'cuda', calls: 3, fallbacks: 0 }, what);
        assertStatesAgree(onGpu, await trainOn(cpu, settings, batches), what);
      }
    });
  }

  if (name === 'cuda') {
    it('recommends the top n as cpu does (scored on the device): dense and sparse users and candidates, ties to the lower index, cpu\'s errors', async () => {
      const hp = { predictor_type: 'binary_classifier', num_factors: 4, num_models: 2, seed: 9 };
      const state = await trainOn(cpu, hp, fmBatches('binary', 31, 6));
      const [onGpu, onCpu] = [await factorizationMachines.finalize(structuredClone(state), gpu), await factorizationMachines.finalize(structuredClone(state), cpu)];
      // Users hold a user and the context, candidates an item: the row user ∪ item names each index once (where both
      // name one, cpu sums their values and this kernel declines: checked below).
      const part = (b: Batch, keep: (index: number) => boolean): Batch => {
        const s = b as Extract<Batch, { kind: 'sparse' }>;
        const rows = Array.from({ length: s.rows }, (_, r) => Array.from({ length: s.indptr[r + 1] - s.indptr[r] }, (_, e) => s.indptr[r] + e).filter((e) => keep(s.indices[e])));
        const indptr = new Int32Array(s.rows + 1);
        rows.forEach((row, r) => { indptr[r + 1] = indptr[r] + row.length; });
        return { ...s, indptr, indices: Uint32Array.from(rows.flat().map((e) => s.indices[e])), values: Float32Array.from(rows.flat().map((e) => s.values[e])) };
      };
      const userPart = (b: Batch) => part(b, (i) => i < fmUsers || i === fmDim - 1);
      // Each item once, at values that differ from row to row (so that the only ties are the copies below).
      const candidates: Batch = { kind: 'sparse', rows: fmItems, cols: fmDim, indptr: Int32Array.from({ length: fmItems + 1 }, (_, r) => r),
        indices: Uint32Array.from({ length: fmItems }, (_, r) => fmUsers + r), values: Float32Array.from({ length: fmItems }, (_, r) => 0.5 + r / fmItems) };
      const users = [denseOf([userPart(fmBatches('binary', 33, 1)[0])])[0], userPart(fmBatches('binary', 34, 1)[0])];
      for (const [u, user] of users.entries()) {
        const one = { ...user, rows: 1 } as Batch;
        const lists: Batch[] = [candidates, denseOf([candidates])[0]];
        for (const items of lists) {
          // Candidates twice over: every score ties with another, and the lower index must come first.
          const twice = (b: Batch): Batch => {
            if (b.kind === 'dense') return denseBatch(Float32Array.from([...b.values, ...b.values]), fmDim);
            const s = b as Extract<Batch, { kind: 'sparse' }>;
            return { ...s, labels: undefined, weights: undefined, rows: 2 * s.rows, indptr: Int32Array.from([...s.indptr, ...s.indptr.subarray(1).map((e) => e + s.indptr[s.rows])]),
              indices: Uint32Array.from([...s.indices, ...s.indices]), values: Float32Array.from([...s.values, ...s.values]) };
          };
          const before = gpu.counters.snapshot();
          const got: { indices: Int32Array; scores: Float32Array } = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => onGpu.recommend(one, twice(items), 7));
          assert.deepEqual(gpu.counters.snapshot(before).fmRecommend, { backend: 'cuda', calls: 1, fallbacks: 0 }, `user ${u}`);
          const expected = await onCpu.recommend(one, twice(items), 7);
          assert.deepEqual(Array.from(got.indices), Array.from(expected.indices), `user ${u}, ${items.kind} candidates`);
          for (const [i, score] of expected.scores.entries()) assert.ok(Math.abs(got.scores[i] - score) <= 1e-6, `score ${i}: ${got.scores[i]} vs cpu ${score}`);
          assert.ok(got.indices[0] < items.rows && got.indices[1] === got.indices[0] + items.rows, 'a tie goes to the lower index first');
        }
      }
      // A candidate naming an index the user names: declined, and cpu's score (the values summed) given.
      const overlapping = { ...fmBatches('binary', 35, 1)[0], rows: 1 } as Batch;
      const beforeOverlap = gpu.counters.snapshot();
      const merged = await onGpu.recommend(overlapping, candidates, 3);
      assert.deepEqual(gpu.counters.snapshot(beforeOverlap).fmRecommend, { backend: 'cpu', calls: 1, fallbacks: 1,
        declined: 'candidates name an index the user names (or one twice), which cpu merges (their values summed) and this kernel does not' });
      assert.deepEqual(merged, await onCpu.recommend(overlapping, candidates, 3));
      const bad = denseBatch(new Float32Array(fmDim).fill(NaN), fmDim);
      const message = await onCpu.recommend(bad, candidates, 3).then(() => 'resolved', (error: Error) => error.message);
      await assert.rejects(onGpu.recommend(bad, candidates, 3), { message });
      const twoUsers = denseBatch(new Float32Array(2 * fmDim), fmDim);
      await assert.rejects(onGpu.recommend(twoUsers, candidates, 3), /the user batch must have exactly one row, got 2/);
    });
  }

  it('keeps the slopes of rows saturated the wrong way (a feature near 1e3, adam\'s L2 decay): cpu\'s metrics', async () => {
    // Two one-hot fields and one feature near 1e3 (a user's case): rows score ±25 early, their slopes are ±(1 − 1e-11),
    // and a feature's gradient is the tiny difference of two; f32 slopes made it 0, and adaptive L2 decay (which
    // divides by the gradient's size) then zeroed other weights than cpu did: validation log loss 0.461 against 0.490.
    const random = Random.fromSeed(11);
    const rows = (count: number) => {
      const indptr = new Int32Array(count + 1);
      const indices = new Uint32Array(3 * count);
      const values = new Float32Array(3 * count);
      const labels = new Float32Array(count);
      for (let r = 0; r < count; r++) {
        const user = 1 + Math.floor(random.nextFloat() * 49);
        const item = 51 + Math.floor(random.nextFloat() * 49);
        const x = (0.5 + random.nextFloat()) * 1e3;
        indices.set([user, item, 100], 3 * r);
        values.set([1, 1, x], 3 * r);
        indptr[r + 1] = 3 * (r + 1);
        labels[r] = (user % 5) * 0.3 + (item % 3) * 0.5 + 0.2 * ((user * item) % 4) + x / 1e3 + 0.2 * random.nextGaussian() > 2 ? 1 : 0;
      }
      return { kind: 'sparse', rows: count, cols: 101, indptr, indices, values, labels } as Batch;
    };
    const batches = Array.from({ length: 16 }, () => rows(250));
    const held = rows(800);
    const hp = { predictor_type: 'binary_classifier', num_factors: 8, feature_dim: 101 };
    const run = async (backend: Backend) => {
      const state = await trainOn(backend, hp, batches, 101);
      const validator = factorizationMachines.createStateValidator!(state, backend);
      await validator.add(held);
      return { state, validation: await validator.finish() };
    };
    const [g, c] = [await run(gpu), await run(cpu)];
    // Every difference past its tolerance, listed together (a GPU run is scarce: one failure shows them all).
    const problems: string[] = [];
    for (const [name, value] of Object.entries(c.validation)) {
      if (!(Math.abs(g.validation[name] - value) <= 1e-5 * Math.max(1, Math.abs(value)))) problems.push(`validation ${name}: ${g.validation[name]} vs cpu ${value}`);
    }
    for (const name of ['bias', 'factors', 'progressive_loss']) {
      const [a, b] = [g.state.tensors[name].data as Float32Array, c.state.tensors[name].data as Float32Array];
      const scaleOf = Math.max(...Array.from(b, Math.abs));
      const worst = Math.max(...Array.from(b, (v, i) => Math.abs(a[i] - v)));
      if (!(worst <= 1e-4 * scaleOf)) problems.push(`${name} differs from cpu by ${worst} (scale ${scaleOf})`);
    }
    assert.deepEqual(problems, []);
  });

  it(name === 'webgpu' ? 'declines, after settling, row weights past 1e15; settles an evaluator after its adds under way'
    : 'settles an evaluator after its adds under way', async () => {
    const hp = { predictor_type: 'binary_classifier', num_factors: 4, seed: 2 };
    const heavy = { ...fmBatches('binary', 24, 1)[0], weights: new Float32Array(100).fill(1e35) } as Batch;
    const state = fresh(hp, gpu);
    await factorizationMachines.update(state, fmBatches('binary', 24, 1)[0], gpu);
    if (name === 'webgpu') await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(factorizationMachines.update(state, heavy, gpu), /its row weights reach 1\.0e\+35: past 1e\+15/));
    const trained = await trainOn(cpu, hp, fmBatches('binary', 25, 8));
    const results = await Promise.all([gpu, cpu].map(async (backend) => {
      const evaluator = factorizationMachines.createEvaluator!(await factorizationMachines.finalize(structuredClone(trained), backend));
      const adds = fmBatches('binary', 26, 4).map((batch) => evaluator.add(batch));  // not awaited before settle
      await evaluator.settle?.();
      await Promise.all(adds);
      return evaluator.result();
    }));
    for (const [name, value] of Object.entries(results[1])) {
      assert.ok(Math.abs(results[0][name] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `${name}: ${results[0][name]} vs cpu ${value}`);
    }
    assert.ok(Object.keys(results[0]).length > 0, 'metrics, not an empty result');
  });

  it('trains a state of revision 1 (decoupled weight decay) as cpu does', async () => {
    const hp = { predictor_type: 'binary_classifier', num_factors: 4, optimizer: 'adagrad', seed: 5, linear_wd: 0.05, factors_wd: 0.05 };
    const oldState = async (backend: Backend) => {
      const state = fresh(hp, backend);
      state.scalars.revision = 1;
      for (const batch of fmBatches('binary', 14, 40, 10)) await factorizationMachines.update(state, batch, backend);
      await settleState(state);
      return state;
    };
    assertStatesAgree(await oldState(gpu), await oldState(cpu), 'revision 1');
  });

  it('validates into its own sums and evaluates a finalized model as cpu does, reading back only when asked', async () => {
    const hp = { predictor_type: 'binary_classifier', num_factors: 4, num_models: 2, optimizer: 'adam', seed: 7 };
    const [batches, held] = [fmBatches('binary', 15, 10), fmBatches('binary', 16, 5)];
    const run = async (backend: Backend) => {
      const state = fresh(hp, backend);
      for (const batch of batches) await factorizationMachines.update(state, batch, backend);
      await settleState(state);
      const validator = factorizationMachines.createStateValidator!(state, backend);
      for (const batch of held) await validator.add(batch);
      const traffic = gpu.traffic?.snapshot();
      const validation = await validator.finish();
      const readBacks = traffic && gpu.traffic!.snapshot(traffic).readBacks;
      const evaluator = factorizationMachines.createEvaluator!(await factorizationMachines.finalize(state, backend));
      for (const batch of held) await evaluator.add(batch);
      if (backend === gpu) assert.throws(() => evaluator.result(), new RegExp(`^Error: factorization-machines evaluate: the state's latest batches are still on the ${name} device; await evaluator\\.settle\\(\\) before result\\(\\)`));
      await evaluator.settle?.();
      return { state, validation, test: evaluator.result(), readBacks };
    };
    const [g, c] = [await run(gpu), await run(cpu)];
    assert.equal(g.readBacks, 1, 'the validation sums read back once, when finished');
    assertStatesAgree(g.state, c.state, 'validated');
    for (const [name, value] of Object.entries(c.validation)) assert.ok(Math.abs(g.validation[name] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `validation ${name}: ${g.validation[name]} vs ${value}`);
    for (const [name, value] of Object.entries(c.test)) assert.ok(Math.abs(g.test[name] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `test ${name}: ${g.test[name]} vs ${value}`);
    assert.ok(c.test.binary_classification_accuracy > 0.6, `accuracy ${c.test.binary_classification_accuracy}`);
  });

  it('refuses bad rows and labels with cpu\'s message and keeps every batch before; a state not settled has no progressive metrics and cannot be merged', async () => {
    const hp = { predictor_type: 'binary_classifier', num_factors: 4, seed: 2 };
    const state = fresh(hp, gpu);
    const batches = fmBatches('binary', 17, 4);
    for (const batch of batches.slice(0, 3)) await factorizationMachines.update(state, batch, gpu);
    const badLabel = fmBatches('binary', 18, 1)[0];
    badLabel.labels![2] = 2;
    await assert.rejects(factorizationMachines.update(state, badLabel, gpu), /^BatchError: factorization-machines batch 3: row 2, label 2 is not 0 or 1 \(binary_classifier\)$/);
    const badValue = fmBatches('binary', 18, 1)[0] as Extract<Batch, { kind: 'sparse' }>;
    badValue.values[4] = Infinity;
    await assert.rejects(factorizationMachines.update(state, badValue, gpu), /^BatchError: factorization-machines batch 3: row 1, feature \d+ is not finite; features must be finite$/);
    const badIndex = fmBatches('binary', 18, 1)[0] as Extract<Batch, { kind: 'sparse' }>;
    badIndex.indices[0] = fmDim;
    await assert.rejects(factorizationMachines.update(state, badIndex, gpu), /^BatchError: factorization-machines batch 3: row 0, feature index 55 is not below feature_dim 55$/);
    assert.equal(isSettled(state), false);
    assert.deepEqual(factorizationMachines.progressiveMetrics!(state), {});
    assert.throws(() => factorizationMachines.merge([state]), new RegExp(`^Error: factorization-machines merge: the state's latest batches are still on the ${name} device`));
    await factorizationMachines.update(state, batches[3], gpu);
    await factorizationMachines.finalize(state, gpu);
    assert.equal(isSettled(state), true);
    // finalize caught every feature's decay up: so must cpu's state.
    const expected = await trainOn(cpu, hp, batches);
    await factorizationMachines.finalize(expected, cpu);
    assertStatesAgree(state, expected, 'after the refused batches');
    assert.ok(factorizationMachines.progressiveMetrics!(state).progressive_binary_classification_accuracy > 0);
  });

  it('trains every batch of updates of one state started together, and settles for cpu to continue it', async () => {
    const hp = { predictor_type: 'regressor', num_factors: 4, seed: 4, optimizer: 'adam' };
    const batches = fmBatches('regression', 19, 12);
    const together = fresh(hp, gpu);
    await Promise.all(batches.map((batch) => factorizationMachines.update(together, batch, gpu)));
    await settleState(together);
    const onCpu = await trainOn(cpu, hp, batches);
    assertStatesAgree(together, onCpu, 'started together');
    const mixed = fresh(hp, gpu);
    for (const batch of batches.slice(0, 6)) await factorizationMachines.update(mixed, batch, gpu);
    for (const batch of batches.slice(6)) await factorizationMachines.update(mixed, batch, cpu);
    assertStatesAgree(mixed, onCpu, `${name} then cpu`);
  });

  if (name === 'webgpu') {
    it('declines, after settling, what this adapter cannot run: loops past its limit, values past 1e15', async () => {
      // 1,000 dense features × 64 factors: 65,000 iterations for one row's forward pass, over llvmpipe's 65,535 less margin.
      const wide = 1000;
      const hp = { predictor_type: 'regressor', num_factors: 64, seed: 6 };
      const rows = (seed: number) => denseBatch(Float32Array.from({ length: 20 * wide }, (_, i) => ((i * seed) % 7) / 7), wide, Float32Array.from({ length: 20 }, (_, r) => r % 5));
      if ((await listBackends()).find((b) => b.name === 'webgpu')?.details?.software === true) {
        const state = fresh(hp, gpu, wide);
        await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(factorizationMachines.update(state, rows(3), gpu),
          /declined kernel 'fmUpdate' \(a loop of 65000 iterations: this software adapter stops a shader's loops after 65,535\)/));
      }
      const huge = fmBatches('regression', 20, 3).map((b) => ({ ...b, values: (b as { values: Float32Array }).values.map((v, i) => (i % 3 === 2 ? v * 1e16 : v)) }) as Batch);
      const hpClip = { predictor_type: 'regressor', num_factors: 4, seed: 6, clip_gradient: 1 };
      const state = fresh(hpClip, gpu);
      await factorizationMachines.update(state, fmBatches('regression', 20, 1)[0], gpu);
      const before = gpu.counters.snapshot();
      await factorizationMachines.update(state, huge[0], gpu);
      assert.equal(gpu.counters.snapshot(before).fmUpdate!.fallbacks, 1, 'declined to cpu');
      assert.equal(isSettled(state), true, 'settled before cpu took the batch');
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(factorizationMachines.update(state, huge[1], gpu), /its values reach 2\.\de\+16: past 1e\+15/));
    });
  }

  it(`train() on ${name}, strict: a validation channel, checkpoints and a resumed run give cpu's model`, async () => {
    const directory = await mkdtemp(join(tmpdir(), `boundless-${name}-fm-`));
    try {
      const libsvm = (batches: Batch[]) => batches.flatMap((b) => {
        const s = b as Extract<Batch, { kind: 'sparse' }>;
        return Array.from({ length: b.rows }, (_, r) => [s.labels![r], ...Array.from({ length: s.indptr[r + 1] - s.indptr[r] }, (_, k) => `${s.indices[s.indptr[r] + k] + 1}:${s.values[s.indptr[r] + k].toFixed(5)}`)].join(' '));
      }).join('\n') + '\n';
      const [trainFile, validationFile] = [join(directory, 'train.libsvm'), join(directory, 'validation.libsvm')];
      await writeFile(trainFile, libsvm(fmBatches('binary', 21, 30)));
      await writeFile(validationFile, libsvm(fmBatches('binary', 22, 5)));
      const settings = { predictor_type: 'binary_classifier', num_factors: 4, num_models: 2, mini_batch_size: 100, seed: 8, feature_dim: fmDim };
      const data = { format: 'libsvm' as const, featureDim: fmDim, labelSize: 1 as const };
      const options = { train: trainFile, validation: validationFile, data, epochs: 2 };
      const onCpu = await train(factorizationMachines, settings, { ...options, backend: 'cpu' });
      const controller = new AbortController();
      let batches = 0;
      await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => assert.rejects(train(factorizationMachines, settings, {
        ...options, backend: name, checkpoint: { directory: join(directory, 'checkpoints'), everyBatches: 4 }, signal: controller.signal,
        onProgress: (event) => { if (event.phase === 'batch' && ++batches === 37) controller.abort(); },
      }), { name: 'AbortError' }));
      const resumed = await withEnv('BOUNDLESS_STRICT_BACKEND', '1', () => train(factorizationMachines, settings, {
        ...options, backend: name, resume: true, checkpoint: { directory: join(directory, 'checkpoints') },
      }));
      assertStatesAgree(resumed.state, onCpu.state, 'resumed');
      assert.equal(resumed.metrics.kernels.fmUpdate!.backend, name);
      assert.equal(resumed.metrics.kernels.fmEvaluate!.backend, name);
      for (const [name, value] of Object.entries(onCpu.metrics.validation!)) {
        assert.ok(Math.abs(resumed.metrics.validation![name] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `validation ${name}: ${resumed.metrics.validation![name]} vs ${value}`);
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
