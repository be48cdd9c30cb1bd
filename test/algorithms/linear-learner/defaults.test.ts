// The one-pass defaults (adagrad on a rate normalized by the rows' norm, steps of 32 rows inside
// batches of 1024, non-zero RMS scaling, iterate averaging, selection that keeps model 0 unless
// another is better on evidence), the SageMaker defaults older state files keep, and the
// bookkeeping that makes them cheap (first-pass progressive sums, metrics computed when read).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseBatch, linearLearner, parseHyperparameters, Random, tensorsEqual, train, type Backend, type Batch, type LinearLearnerState,
} from '../../../lib/index.js';
import { passRateScale, readBatchRows, resolveSettings } from '../../../lib/algorithms/linear-learner/settings.js';
import { kernelSettings } from '../../../lib/algorithms/linear-learner/state.js';
import { calibrateThreshold, criterionValue, lowestLossModel, type ConfusionPoint } from '../../../lib/algorithms/linear-learner/selection.js';
import { ProgressReporter } from '../../../lib/train/progress.js';
import { dim, linearBatches, toSparse } from '../../fixtures/linear-data.js';

let backend: Backend;

const hpOf = (input: Record<string, unknown>) => parseHyperparameters('linear-learner', linearLearner.hyperparameters, input);

function stateFor(input: Record<string, unknown>, featureDim = dim, sparse = false): LinearLearnerState {
  return linearLearner.createState(hpOf(input), { featureDim, labelSize: 1, sparse }, backend);
}

const numbers = (state: LinearLearnerState, name: string) => state.tensors[name].data as Float32Array | Float64Array;

async function fit(state: LinearLearnerState, batches: Batch[]): Promise<LinearLearnerState> {
  for (const batch of batches) await linearLearner.update(state, batch, backend);
  return state;
}

/**
 * Click-style rows: 4 of 40 common indicators (the user's browser, hour, ...) and 3 of 4,000 rare
 * ones (ids), each with a true weight; labels from the logistic model. A rare id is 1 in ~1,300
 * rows: 1/std scales it by ~36, 1/(non-zero RMS) by 1.
 */
function clickBatches(seed: number, count: number, rows = 1000): Batch[] {
  const common = 40, rare = 4000, width = common + rare;
  const truth = Random.fromSeed(99);
  const weights = Float64Array.from({ length: width }, () => truth.nextGaussian() * (0.8));
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const values = new Float32Array(rows * width);
    const labels = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let score = -0.5;
      for (let k = 0; k < 4; k++) {
        const j = Math.floor(random.nextFloat() * common);
        values[r * width + j] = 1;
      }
      for (let k = 0; k < 3; k++) {
        const j = common + Math.floor(random.nextFloat() * rare);
        values[r * width + j] = 1;
      }
      for (let j = 0; j < width; j++) score += values[r * width + j] * weights[j];
      labels[r] = random.nextFloat() < 1 / (1 + Math.exp(-score)) ? 1 : 0;
    }
    return toSparse(denseBatch(values, width, labels));
  });
}

async function testAuc(state: LinearLearnerState, batches: Batch[]): Promise<number> {
  const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
  for (const batch of batches) await evaluator.add(batch);
  return evaluator.result().roc_auc_score;
}

describe('linear learner: one-pass defaults', function () {
  this.timeout(120_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  it('resolves auto to adagrad on the normalized rate 5, steps of 32 rows in batches of 1024, non-zero RMS scaling, averaging', () => {
    const hp = hpOf({ predictor_type: 'binary_classifier' });
    const r = resolveSettings(hp, { featureDim: 10, labelSize: 1 });
    assert.deepEqual(
      { optimizer: r.optimizer, learningRate: r.learningRate, stepRows: r.stepRows, models: r.models, scheduler: r.kernel.useLrScheduler,
        scaleByNonzero: r.kernel.scaleByNonzero, normalizeLr: r.kernel.normalizeLr, averaged: Array.from(new Set(r.averaged)) },
      { optimizer: 'adagrad', learningRate: 5, stepRows: 32, models: 32, scheduler: false, scaleByNonzero: true, normalizeLr: true, averaged: [1] });
    assert.equal(linearLearner.readBatchRows!(hp), 1024);
    assert.equal(readBatchRows(100), 1100);
    assert.equal(readBatchRows(5000), 5000);
    // SageMaker's values come back one by one.
    const sagemaker = resolveSettings(hpOf({ predictor_type: 'binary_classifier', optimizer: 'adam' }), { featureDim: 10, labelSize: 1 });
    assert.deepEqual([sagemaker.learningRate, sagemaker.kernel.useLrScheduler, sagemaker.kernel.normalizeLr], [0.02, true, false]);
    const weights = stateFor({ predictor_type: 'binary_classifier' }).tensors.weights.data as Float32Array;
    assert.ok(weights.every((w) => w === 0), 'zero initial weights');
    const uniform = stateFor({ predictor_type: 'binary_classifier', init_scale: 0.07 }).tensors.weights.data as Float32Array;
    assert.ok(uniform.some((w) => w !== 0) && uniform.every((w) => Math.abs(w) <= 0.07), 'init_scale given: uniform ±0.07');
  });

  it('state files without defaults_version keep SageMaker defaults; newer ones keep their own', () => {
    const stored = { predictor_type: 'binary_classifier', optimizer: 'auto', mini_batch_size: 'auto', init_method: 'auto', init_scale: 'auto' };
    assert.deepEqual(linearLearner.upgradeStoredHyperparameters!(stored, {}), {
      ...stored, optimizer: 'adam', use_lr_scheduler: true, mini_batch_size: 1000, init_method: 'uniform', init_scale: 0.07,
      init_sigma: 0.01, normalize_method: 'std', average: false, normalize_lr: false,
    });
    assert.deepEqual(linearLearner.upgradeStoredHyperparameters!(stored, { defaults_version: 2 }), stored);
    assert.equal(stateFor({ predictor_type: 'binary_classifier' }).scalars.defaults_version, 2);
  });

  it('a batch of 1024 rows takes 32 steps of 32, exactly as 32 batches of 32 rows', async () => {
    const batches = linearBatches('binary', 3, 16, 64);
    const whole = [0, 1].map((half) => {
      const parts = batches.slice(half * 8, half * 8 + 8);
      const rows = parts.reduce((n, b) => n + b.rows, 0);
      const values = new Float32Array(rows * dim);
      const labels = new Float32Array(rows);
      let at = 0;
      for (const b of parts) {
        values.set(b.kind === 'dense' ? b.values : [], at * dim);
        labels.set(b.labels!, at);
        at += b.rows;
      }
      return denseBatch(values, dim, labels);
    });
    const split = whole.flatMap((b) => Array.from({ length: b.rows / 32 }, (_, i) =>
      denseBatch((b as { values: Float32Array }).values.slice(i * 32 * dim, (i + 1) * 32 * dim), dim, b.labels!.slice(i * 32, (i + 1) * 32))));
    const settings = { predictor_type: 'binary_classifier', num_models: 3, num_point_for_scaler: 200 };
    const a = await fit(stateFor(settings), whole);
    const b = await fit(stateFor(settings), split);
    assert.equal((a.tensors.counters.data as Float64Array)[0], 32);
    for (const name of ['weights', 'average', 'progressive_loss']) {
      assert.deepEqual(Array.from(numbers(a, name)), Array.from(numbers(b, name)), name);
    }
  });

  it('on sparse click-style data, non-zero RMS scaling beats scaling by deviation, which inflates rare ids', async () => {
    const train = clickBatches(1, 40);
    const test = clickBatches(2, 10);
    const auc = async (extra: Record<string, unknown>) =>
      testAuc(await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 1, ...extra }, 4040, true), train), test);
    const [rms, std] = [await auc({}), await auc({ normalize_method: 'std' })];
    assert.ok(rms > std + 0.01, `non-zero RMS ${rms.toFixed(4)} vs deviation ${std.toFixed(4)}`);
    const scalesOf = async (extra: Record<string, unknown>) => {
      const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 1, ...extra }, 4040, true), train.slice(0, 10));
      return Array.from(state.tensors.feature_scale.data as Float32Array);
    };
    assert.ok((await scalesOf({})).every((s) => s === 1), 'indicators keep scale 1');
    assert.ok(Math.max(...await scalesOf({ normalize_method: 'std' })) > 30, 'a rare id scaled by 1/std is inflated');
  });

  it('progressive sums keep the first pass only: later passes score rows the model has trained on', async () => {
    const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 2 }), linearBatches('binary', 4, 20));
    const first = Array.from(numbers(state, 'progressive_loss'));
    await linearLearner.endPass!(state);
    await fit(state, linearBatches('binary', 4, 20));
    assert.deepEqual(Array.from(numbers(state, 'progressive_loss')), first);
    assert.equal(state.scalars.passes, 1);
  });

  it('selection keeps model 0 unless another model\'s loss is lower by 2 standard errors', () => {
    // Per-row differences of mean −0.01 with deviation 0.1: on 100 rows not significant, on 10,000 rows it is.
    const sums = (rows: number) => ({
      models: 2, loss: [0.5 * rows, 0.49 * rows], weight: rows, bins: 0,
      lossDifferenceSq: [0, rows * (0.1 ** 2 + 0.01 ** 2)], weightSq: rows,
    });
    assert.equal(lowestLossModel(sums(100)), 0);
    assert.equal(lowestLossModel(sums(10_000)), 1);
    assert.equal(lowestLossModel({ ...sums(100), lossDifferenceSq: undefined, weightSq: undefined }), 1);
  });

  it('the threshold search equals a brute-force scan of every bin edge', () => {
    const random = Random.fromSeed(8);
    const bins = 64;
    const negatives = Array.from({ length: bins }, () => Math.floor(random.nextFloat() * 20));
    const positives = Array.from({ length: bins }, (_, b) => Math.floor(random.nextFloat() * b));
    const targets = { beta: 1, targetPrecision: 0.8, targetRecall: 0.8 };
    for (const criterion of ['accuracy', 'f_beta', 'precision_at_target_recall', 'recall_at_target_precision'] as const) {
      let best = -Infinity;
      for (let edge = 0; edge < bins; edge++) {
        const sum = (a: number[]) => a.slice(edge).reduce((x, y) => x + y, 0);
        const [tp, fp] = [sum(positives), sum(negatives)];
        const point: ConfusionPoint = { threshold: 0, tp, fp, tn: negatives.reduce((x, y) => x + y) - fp, fn: positives.reduce((x, y) => x + y) - tp };
        best = Math.max(best, criterionValue(criterion, point, targets));
      }
      const { point, value } = calibrateThreshold(negatives, positives, criterion, targets);
      assert.equal(value, best, criterion);
      assert.equal(criterionValue(criterion, point, targets), best, `${criterion}: the returned point has the value`);
    }
  });

  it('evaluate ranks saturated scores: ROC AUC stays exact when |score| > 16', async () => {
    // One feature, weight 40 through the data's scale: scores spread over ±~100.
    const values = Float32Array.from({ length: 2000 }, (_, i) => (i - 1000) / 10);
    const labels = Float32Array.from(values, (v, i) => (v + ((i * 7919) % 200) / 10 - 10 > 0 ? 1 : 0));
    const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 1, normalize_data: false, learning_rate: 50 }, 1),
      [denseBatch(values, 1, labels)]);
    const model = await linearLearner.finalize(state, backend);
    const { score } = await model.predict(denseBatch(values, 1, labels));
    let concordant = 0;
    let pairs = 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== 1) continue;
      for (let j = 0; j < labels.length; j++) {
        if (labels[j] !== 0) continue;
        pairs++;
        concordant += values[i] > values[j] ? 1 : values[i] === values[j] ? 0.5 : 0;
      }
    }
    assert.ok(score.some((s) => s === 1) && score.some((s) => s === 0), 'scores saturate in float32');
    const evaluator = linearLearner.createEvaluator!(model);
    await evaluator.add(denseBatch(values, 1, labels));
    assert.ok(Math.abs(evaluator.result().roc_auc_score - concordant / pairs) < 1e-4, `${evaluator.result().roc_auc_score} vs ${concordant / pairs}`);
  });

  it('a diverged model is never selected over a finite one, and a model with no finite weights is an error naming the rate', async () => {
    const batches = linearBatches('regression', 5, 40);
    const diverging = { predictor_type: 'regressor', optimizer: 'sgd', learning_rate: 1, use_lr_scheduler: false, normalize_label: false };
    const one = await fit(stateFor({ ...diverging, num_models: 1 }), batches);
    await assert.rejects(async () => linearLearner.finalize(one, backend), /linear-learner: training diverged: model 0's weights are not finite .*lower learning_rate \(1\)/);
    const grid = await fit(stateFor({ ...diverging, num_models: 8 }), batches);
    const model = await linearLearner.finalize(grid, backend);
    assert.ok(Number.isFinite(Number(model.data().scalars.selection_loss)), `selected model ${model.data().scalars.selected_model}`);
    assert.ok(Array.from(model.coefficients().weights).every(Number.isFinite));
  });

  it('features of any magnitude train alike: 1e-15 × the data gives the same model up to scale', async () => {
    const scaled = (factor: number) => linearBatches('binary', 6, 40).map((b) => denseBatch(
      Float32Array.from((b as { values: Float32Array }).values, (v) => v * factor), dim, b.labels!));
    const auc = async (factor: number) => {
      const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 1 }), scaled(factor));
      const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
      for (const b of scaled(factor)) await evaluator.add(b);
      return evaluator.result().roc_auc_score;
    };
    const [plain, tiny] = [await auc(1), await auc(1e-15)];
    assert.ok(Math.abs(plain - tiny) < 1e-3, `AUC ${plain} at 1, ${tiny} at 1e-15`);
  });

  it('a feature whose values are all float32 denormals is an error naming the feature, not a divergence blamed on the rate', async () => {
    const batches = linearBatches('binary', 6, 10).map((b) => denseBatch(
      Float32Array.from((b as { values: Float32Array }).values, (v, i) => (i % dim === 1 ? v * 1e-40 : v)), dim, b.labels!));
    const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 1 }), batches);
    await assert.rejects(async () => linearLearner.finalize(state, backend),
      /^RangeError: linear-learner: feature 1 \(0-based, after the label\) has values too small for float32: .*multiply that feature by a constant \(e\.g\. 1e30\) before training, or set normalize_data=false$/);
    const plain = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 1, normalize_data: false }), batches);
    assert.ok(Array.from((await linearLearner.finalize(plain, backend)).coefficients().weights).every(Number.isFinite));
  });

  it('a requested read batch is rounded up to whole steps; settings whose step scratch cannot fit are refused', () => {
    const hp = hpOf({ predictor_type: 'binary_classifier' });
    assert.equal(linearLearner.readBatchRows!(hp, 100), 128);
    assert.equal(linearLearner.readBatchRows!(hp, 64), 64);
    assert.throws(() => stateFor({ predictor_type: 'multiclass_classifier', num_classes: 1_000_000 }, 3),
      /linear-learner: a step of mini_batch_size 32 rows × num_models 32 × 1000000 classes needs 19\.1 GiB of scores and gradients \(at most 2 GiB\); lower num_models/);
  });

  it('incremental training on new data scores its first pass progressively again', async () => {
    const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 2 }), linearBatches('binary', 7, 20));
    await linearLearner.endPass!(state);
    const before = (state.tensors.progressive_weight.data as Float64Array)[0];
    linearLearner.beginRun!(state);
    await fit(state, linearBatches('binary', 8, 5));
    assert.ok((state.tensors.progressive_weight.data as Float64Array)[0] > before, 'the new rows were scored');
  });

  it('progress events compute metrics only when a listener reads them', () => {
    let computed = 0;
    const events: unknown[] = [];
    const reporter = new ProgressReporter(1, (event) => events.push(event));
    reporter.emit('batch', { epoch: 0, batches: 1, records: 10 }, () => { computed++; return { loss: 1 }; });
    assert.equal(computed, 0);
    const read = events[0] as { metrics: Record<string, number> };
    assert.deepEqual([read.metrics, read.metrics], [{ loss: 1 }, { loss: 1 }]);
    assert.equal(computed, 1);
  });
  it('adagrad\'s rate falls by lr_scheduler_factor (auto 0.8) each pass; other optimizers and use_lr_scheduler=true keep SageMaker\'s schedule', async () => {
    const scaleAfter = async (input: Record<string, unknown>, passes: number) => {
      const state = stateFor({ predictor_type: 'binary_classifier', num_models: 1, ...input });
      for (let pass = 0; pass <= passes; pass++) {
        await fit(state, linearBatches('binary', 9, 2));
        if (pass < passes) await linearLearner.endPass!(state);
      }
      return kernelSettings(state).rateScale ?? 1;
    };
    assert.deepEqual(await Promise.all([0, 1, 2].map((p) => scaleAfter({}, p))), [1, 0.8, 0.8 ** 2]);
    assert.equal(await scaleAfter({ lr_scheduler_factor: 0.5 }, 2), 0.25);
    assert.equal(await scaleAfter({ optimizer: 'adam' }, 2), 1);
    assert.equal(await scaleAfter({ use_lr_scheduler: true }, 2), 1);
    assert.equal(passRateScale(hpOf({ predictor_type: 'binary_classifier', use_lr_scheduler: false }), 3), 1);
  });

  it('adagrad\'s per-pass rate stops at lr_scheduler_minimum_lr, and a factor whose powers underflow trains at that floor', async () => {
    const weightsAfter = async (input: Record<string, unknown>) => {
      const state = stateFor({ predictor_type: 'binary_classifier', num_models: 1, ...input });
      for (let pass = 0; pass < 4; pass++) {
        await fit(state, linearBatches('binary', 9, 2));
        await linearLearner.endPass!(state);
      }
      return Array.from(numbers(state, 'weights'));
    };
    // A floor above the rate (5): every pass runs at 5, whatever the factor.
    const floored = await weightsAfter({ lr_scheduler_factor: 0.01, lr_scheduler_minimum_lr: 50 });
    assert.deepEqual(floored, await weightsAfter({ lr_scheduler_factor: 0.5, lr_scheduler_minimum_lr: 50 }));
    assert.notDeepEqual(floored, await weightsAfter({ lr_scheduler_factor: 0.01 }));
    // 1e-100 ** 4 is 0 in doubles: the rate is the floor (1e-5), as it is for 1e-30 after the first pass.
    const underflow = await weightsAfter({ lr_scheduler_factor: 1e-100 });
    assert.ok(underflow.every(Number.isFinite));
    assert.deepEqual(underflow, await weightsAfter({ lr_scheduler_factor: 1e-30 }));
  });

  it('several epochs stopped mid-pass and resumed equal the uninterrupted run (the pass\'s rate and its restarted average are in the checkpoint)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'boundless-ll-resume-'));
    try {
      const random = Random.fromSeed(31);
      const lines: string[] = [];
      for (let r = 0; r < 400; r++) {
        const x = Array.from({ length: dim }, () => random.nextGaussian());
        lines.push([x[0] - x[1] + 0.5 * random.nextGaussian() > 0 ? 1 : 0, ...x.map((v) => v.toFixed(5))].join(','));
      }
      const path = join(root, 'train.csv');
      await writeFile(path, lines.join('\n') + '\n');
      const hp = { predictor_type: 'binary_classifier', feature_dim: dim, num_models: 4, wd: 0.001, l1: 0.001 };
      const options = { train: path, epochs: 3, data: { miniBatchSize: 64 } };
      const whole = await train(linearLearner, hp, options);
      const directory = join(root, 'checkpoints');
      const controller = new AbortController();
      let batches = 0;
      await assert.rejects(train(linearLearner, hp, {
        ...options, signal: controller.signal, checkpoint: { directory, everyBatches: 3 },
        onProgress: (e) => { if (e.phase === 'batch' && ++batches === 17) controller.abort(); },  // in the third pass
      }), { name: 'AbortError' });
      const resumed = await train(linearLearner, hp, { ...options, resume: true, checkpoint: { directory } });
      assert.equal(Number(resumed.state.scalars.average_pass), 2);
      for (const [name, t] of Object.entries(whole.state.tensors)) assert.ok(tensorsEqual(resumed.state.tensors[name], t), `tensor ${name}`);
      assert.deepEqual(resumed.state.scalars, whole.state.scalars);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
