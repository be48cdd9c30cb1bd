// Models that diverge after the first pass (lib/algorithms/linear-learner/pass-divergence.ts):
// selection reads the first pass's progressive sums, so without each model's loss over the last
// pass an sgd regressor that went from a mean squared error of 16 in pass 1 to 10^16 by pass 15 was
// chosen and written out, exit 0.
import assert from 'node:assert/strict';
import {
  createBackend, denseBatch, linearLearner, parseHyperparameters, Random, type Backend, type Batch, type LinearLearnerState,
} from '../../../lib/index.js';

let backend: Backend;

/** 300 rows y = 3·x0 − 2·x1 + x2 + N(0, 0.5²) over 5 standard normal features, in batches of 100. */
function regressionRows(seed = 4): Batch[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: 3 }, () => {
    const values = new Float32Array(100 * 5), labels = new Float32Array(100);
    for (let r = 0; r < 100; r++) {
      for (let j = 0; j < 5; j++) values[r * 5 + j] = random.nextGaussian();
      labels[r] = 3 * values[r * 5] - 2 * values[r * 5 + 1] + values[r * 5 + 2] + 0.5 * random.nextGaussian();
    }
    return denseBatch(values, 5, labels);
  });
}

async function train(hp: Record<string, unknown>, passes: number, batches = regressionRows()): Promise<LinearLearnerState> {
  const state = linearLearner.createState(parseHyperparameters('linear-learner', linearLearner.hyperparameters, hp), { featureDim: 5, labelSize: 1 }, backend);
  for (let pass = 0; pass < passes; pass++) {
    for (const batch of batches) await linearLearner.update(state, batch, backend);
    await linearLearner.endPass!(state, backend);
  }
  return state;
}

const sgd = (learningRate: number) => ({ predictor_type: 'regressor', optimizer: 'sgd', learning_rate: learningRate });

async function trainingMse(state: LinearLearnerState): Promise<number> {
  const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
  for (const batch of regressionRows()) await evaluator.add(batch);
  return evaluator.result().mse;
}

describe('linear learner: models that diverge after the first pass', function () {
  this.timeout(60_000);
  before(async () => { backend = await createBackend('cpu'); });

  it('are an error when every model of the grid did, naming the passes, their losses and the rate', async () => {
    const state = await train(sgd(1), 15);
    await assert.rejects(async () => linearLearner.finalize(state, backend), (error: Error) => {
      assert.equal(error.name, 'DegenerateDataError');
      assert.match(error.message, /^linear-learner: training diverged after the first passes: every model of the grid \(32\) did; model \d+, the one selection chose, had a mean loss of [\d.]+e\+\d+ over pass 15 against [\d.]+ over passes 1 and 2 \(over 10×\): its steps \(learning_rate 0\.\d{1,4}\) were too large for this many passes\. Lower learning_rate or epochs, or train with optimizer adagrad \(the default; this run's is sgd\), whose steps shrink as its gradients add up$/);
      return true;
    });
  });

  it('are left out of selection while another model did not, and listed in the model', async () => {
    const model = await linearLearner.finalize(await train(sgd(0.6), 15), backend);
    const scalars = model.data().scalars;
    const diverged = scalars.diverged_in_later_passes as number[];
    assert.ok(Array.isArray(diverged) && diverged.length > 0 && diverged.length < 32, `diverged: ${JSON.stringify(diverged)}`);
    assert.ok(!diverged.includes(Number(scalars.selected_model)), `model ${scalars.selected_model} chosen`);
    assert.ok((await trainingMse(await train(sgd(0.6), 15))) < 0.3, 'the model chosen fits its rows (noise variance 0.25)');
  });

  it('are not looked for before three passes, nor found in models that converged', async () => {
    // One or two passes: the first two are the reference (a first pass's own divergence is the progressive sums' to judge).
    for (const passes of [1, 2]) {
      const early = await linearLearner.finalize(await train(sgd(1), passes), backend);
      assert.equal(early.data().scalars.diverged_in_later_passes, undefined);
    }
    // The default optimizer over 15 passes: every model's last pass is below its first.
    const adam = await linearLearner.finalize(await train({ predictor_type: 'regressor' }, 15), backend);
    assert.equal(adam.data().scalars.diverged_in_later_passes, undefined);
  });

  it('are not rows sorted by label: the first pass scores each row after its like, and the later passes are no worse than the second', async () => {
    // 3,000 rows of weak signal (y = 0.1·x0 + N(0, 1)), sorted by label: pass 1's mean squared error is a fraction of the
    // noise's, every later pass's the noise's (ten times the first pass's called it diverged, exit 1, no model).
    const random = Random.fromSeed(8);
    const rows = Array.from({ length: 3000 }, () => {
      const x = Array.from({ length: 5 }, () => random.nextGaussian());
      return { x, y: 0.1 * x[0] + random.nextGaussian() };
    }).sort((a, b) => a.y - b.y);
    const batches = Array.from({ length: 3 }, (_, b) => denseBatch(Float32Array.from(rows.slice(b * 1000, (b + 1) * 1000).flatMap((r) => r.x)), 5,
      Float32Array.from(rows.slice(b * 1000, (b + 1) * 1000), (r) => r.y)));
    const state = await train({ predictor_type: 'regressor' }, 15, batches);
    const first = (state.tensors.progressive_loss.data as Float64Array)[0] / (state.tensors.progressive_weight.data as Float64Array)[0];
    const last = (state.tensors.last_pass_loss.data as Float64Array)[0] / (state.tensors.last_pass_weight.data as Float64Array)[0];
    assert.ok(last > 10 * first, `pass 1 ${first}, pass 15 ${last}: the case the first pass alone misjudged`);
    const model = await linearLearner.finalize(state, backend);
    assert.equal(model.data().scalars.diverged_in_later_passes, undefined);
  });

  it('are found in a merge of shards as in one state (the pass sums add)', async () => {
    const [a, b] = [await train(sgd(1), 15, regressionRows(4)), await train(sgd(1), 15, regressionRows(5))];
    const weight = (s: LinearLearnerState) => (s.tensors.last_pass_weight.data as Float64Array)[0];
    const merged = linearLearner.merge([a, b]);
    assert.equal(weight(merged), weight(a) + weight(b));
    await assert.rejects(async () => linearLearner.finalize(merged, backend), /training diverged after the first pass/);
  });
});
