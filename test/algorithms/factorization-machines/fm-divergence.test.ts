// A diverged factorization machine is never a model: on features of magnitude 1e30 the
// factor gradients (x · Σ vx ≈ 1e59) pass float32's range, Adam's moments overflow and the
// parameters become NaN. finalize once wrote that model (its progressive cross-entropy NaN);
// now it stops with an error saying what to change, and in a rich state it picks a model that
// kept finite parameters over a lower-loss one that did not.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Random, createBackend, denseBatch, factorizationMachines as fm, parseHyperparameters,
  type Backend, type Batch, type FactorizationMachinesState,
} from '../../../lib/index.js';
import { trainingWarnings } from '../../fixtures/training-warnings.js';

const dim = 6;

/**
 * Rows of `dim` features, label = [x0 + x1 > 0]; features 4 and 5 are both `huge` on every other
 * row (two at once: each one's factor gradient is x₄·v₅x₅ ≈ 1e59, past float32; one alone gives
 * about 1e29, whose square overflows Adam's second moment, which then only stops the step).
 */
function batches(seed: number, count: number, huge: number): Batch[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const rows = 200;
    const x = new Float32Array(rows * dim);
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < 4; j++) x[r * dim + j] = random.nextGaussian();
      x[r * dim + 4] = x[r * dim + 5] = r % 2 ? huge : 0;
      y[r] = x[r * dim] + x[r * dim + 1] > 0 ? 1 : 0;
    }
    return denseBatch(x, dim, y);
  });
}

async function trained(backend: Backend, hp: Record<string, unknown>, data: Batch[]): Promise<FactorizationMachinesState> {
  const state = fm.createState(parseHyperparameters('factorization-machines', fm.hyperparameters,
    { predictor_type: 'binary_classifier', num_factors: 4, num_models: 1, ...hp }), { featureDim: dim, labelSize: 1 }, backend);
  for (const batch of data) await fm.update(state, batch, backend);
  return state;
}

describe('factorization machines: divergence', function () {
  this.timeout(120_000);
  let backend: Backend;
  before(async () => { backend = await createBackend('cpu'); });

  it('stops with an error naming what to change when the only model diverged on features of 1e30', async () => {
    const state = await trained(backend, {}, batches(1, 5, 1e30));
    assert.ok(Number.isNaN(fm.progressiveMetrics!(state).progressive_binary_classification_cross_entropy), 'the case diverges');
    await assert.rejects(async () => fm.finalize(state, backend), (error: Error) => {
      assert.match(error.message, /^factorization-machines: training diverged: model 0's parameters are not finite \(its progressive loss is NaN\); it is the only model: /);
      assert.match(error.message, /scale the features .*set clip_gradient \(e\.g\. 1\).*lower factors_lr \(0\.003\), linear_lr \(0\.03\) or bias_lr \(0\.1\)/);
      return true;
    });
  });

  it('says so for every model of a grid that diverged, and for a selected model', async () => {
    const state = await trained(backend, { num_models: 3 }, batches(2, 5, 1e30));
    await assert.rejects(async () => fm.finalize(state, backend), /training diverged: .*none of the 3 models kept finite parameters and loss/);
    await assert.rejects(async () => fm.finalize(state, backend, { model: 2 }), /training diverged: model 2's parameters are not finite.*it is the model selected/);
  });

  it('trains on the same data with clip_gradient, as the error suggests', async () => {
    const state = await trained(backend, { clip_gradient: 1 }, batches(1, 5, 1e30));
    const model = await fm.finalize(state, backend);
    const { w0, w, v } = model.data().tensors;
    for (const t of [w0, w, v]) assert.ok((t.data as Float32Array).every(Number.isFinite));
  });

  it('never selects a diverged model while another kept finite parameters', async () => {
    const state = await trained(backend, { num_models: 4 }, batches(3, 10, 0));
    const loss = state.tensors.progressive_loss.data as Float64Array;
    const weight = state.tensors.progressive_weight.data as Float64Array;
    const healthy = await fm.finalize(state, backend);
    const best = Number(healthy.data().scalars.selected_model);
    // The best model's linear weights poisoned: the next best by loss must be chosen instead.
    const other = [0, 1, 2, 3].filter((m) => m !== best).sort((a, b) => loss[a] / weight[a] - loss[b] / weight[b] || a - b)[0];
    (state.tensors.linear.data as Float32Array)[2 * 4 + best] = NaN;
    assert.equal((await fm.finalize(state, backend)).data().scalars.selected_model, other);
    await assert.rejects(async () => fm.finalize(state, backend, { model: best }), new RegExp(`model ${best}'s parameters are not finite`));
    // A model whose parameters are finite but whose loss sum overflowed is no model either.
    (state.tensors.linear.data as Float32Array)[2 * 4 + best] = 0;
    for (const m of [0, 1, 2, 3]) if (m !== best) (state.tensors.linear.data as Float32Array)[4 + m] = Infinity;
    loss[best] = Infinity;
    // (Otherwise it would be selected: the others' parameters are poisoned.)
    await assert.rejects(async () => fm.finalize(state, backend), /training diverged: .*none of the 4 models kept finite parameters and loss/);
    const single = await trained(backend, {}, batches(3, 2, 0));
    (single.tensors.progressive_loss.data as Float64Array)[0] = Infinity;
    await assert.rejects(async () => fm.finalize(single, backend), /model 0's progressive loss is Infinity \(its scores overflowed\); it is the only model/);
  });

  it('warns after the first pass when the best model is worse than predicting the positive rate (dense features at ±1e6); not near 0', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'boundless-fm-far-'));
    try {
      const warningsAt = async (offset: number) => {
        const random = Random.fromSeed(5);
        const lines = Array.from({ length: 4000 }, () => {
          const [a, b] = [random.nextGaussian(), random.nextGaussian()];
          return `${a * b + 0.5 * a > 0 ? 1 : 0},${(offset + a).toFixed(3)},${(b - offset).toFixed(3)}`;
        });
        const path = join(directory, `far-${offset}.csv`);
        await writeFile(path, lines.join('\n') + '\n');
        // 4 batches: the few-steps warning (fm-steps-warning.test.ts) is not what this tests.
        return (await trainingWarnings(fm, { predictor_type: 'binary_classifier', num_factors: 4 }, { train: path, epochs: 1, backend: 'cpu' }))
          .filter((w) => !w.includes('optimizer step'));
      };
      assert.deepEqual(await warningsAt(0), []);
      const far = await warningsAt(1e6);
      assert.equal(far.length, 1, far.join('\n'));
      assert.match(far[0], /^factorization-machines: the best model's progressive cross-entropy, [0-9.e+]+, is more than twice that of predicting the training stream's positive rate \(0\.6[0-9]+\): factorization machines neither centre nor scale their inputs/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('refuses a regressor\'s score past float32\'s range, naming the row (it was an infinite prediction, null in JSON)', async () => {
    const state = await trained(backend, { predictor_type: 'regressor' }, batches(4, 3, 0));
    const model = await fm.finalize(state, backend);
    const probe = new Float32Array(2 * dim);
    probe[0] = 1;
    probe.fill(1e25, dim, 2 * dim);  // pairwise terms of 1e50
    await assert.rejects(model.predict(denseBatch(probe, dim)),
      /^RangeError: factorization-machines predict: row 1: its score of -?[0-9.]+e\+[0-9]+ is past float32's range \(features or parameters too large for a float32 prediction\)$/);
    assert.ok(Number.isFinite((await model.predict(denseBatch(probe.subarray(0, dim), dim))).score[0]));
    // predictOne as predict: it returned 1e50 (a float64 score no float32 output holds).
    assert.throws(() => model.predictOne(probe.subarray(dim)), /^RangeError: factorization-machines predictOne: its score of -?[0-9.]+e\+[0-9]+ is past float32's range/);
    assert.equal(model.predictOne(probe.subarray(0, dim)).score, (await model.predict(denseBatch(probe.subarray(0, dim), dim))).score[0]);
  });
});
