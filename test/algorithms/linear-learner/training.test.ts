// What the linear learner learns: known answers on generated data, the
// lazy sparse updates against eager dense ones, every loss and optimizer,
// calibration on a validation channel, and its error messages.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createBackend, denseBatch, linearLearner, parseHyperparameters, readBatches, train, Random,
  type Backend, type Batch, type LinearLearnerState,
} from '../../../lib/index.js';
import { caughtUp, caughtUpAsync, weightsKind } from '../../../lib/algorithms/linear-learner/state.js';
import { packageRoot } from '../../../lib/package-root.js';
import { dim, linearBatches, toSparse, trueBias, trueWeights } from '../../fixtures/linear-data.js';

let backend: Backend;

function stateFor(input: Record<string, unknown>, featureDim = dim, sparse = false): LinearLearnerState {
  const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, input);
  return linearLearner.createState(hp, { featureDim, labelSize: 1, sparse }, backend);
}

/** Batches of 16 rows whose features are present now and then (the first four rarely), labels at random. */
function sometimesPresent(seed: number, count: number): Batch[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const rows = 16;
    const x = new Float32Array(rows * dim);
    const y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < dim; j++) if (random.nextFloat() < (j < 4 ? 0.02 : 0.3)) x[r * dim + j] = random.nextGaussian();
      y[r] = random.nextFloat() < 0.5 ? 1 : 0;
    }
    return denseBatch(x, dim, y);
  });
}

/** SGD with L1, L2 and averaging, no scaling: what lazy regularization must get right. */
const regularized = {
  predictor_type: 'binary_classifier', optimizer: 'sgd', learning_rate: 0.5, wd: 0.05, l1: 0.04, num_models: 2,
  use_lr_scheduler: false, normalize_data: false, unbias_data: false, init_scale: 0.5, mini_batch_size: 16,
  normalize_lr: false, num_point_for_scaler: 300, average: true,
};

async function fit(state: LinearLearnerState, batches: Batch[]): Promise<LinearLearnerState> {
  for (const batch of batches) await linearLearner.update(state, batch, backend);
  return state;
}

describe('linear learner: training', function () {
  this.timeout(60_000);
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  it('regression recovers the generating coefficients on the input scale (scaler folded into the model)', async () => {
    const state = await fit(stateFor({ predictor_type: 'regressor', num_models: 4 }),
      linearBatches('regression', 1, 400));
    const model = await linearLearner.finalize(state, backend);
    const { weights, bias } = model.coefficients();
    // y = 3·(x·w* + b*) + 10 + noise.
    for (let j = 0; j < dim; j++) assert.ok(Math.abs(weights[j] - 3 * trueWeights[j]) < 0.05, `w${j} ${weights[j]} vs ${3 * trueWeights[j]}`);
    assert.ok(Math.abs(bias[0] - (3 * trueBias + 10)) < 0.15, `bias ${bias[0]}`);
    const evaluator = linearLearner.createEvaluator!(model);
    for (const batch of linearBatches('regression', 2, 20)) await evaluator.add(batch);
    const { rmse } = evaluator.result();
    assert.ok(rmse < 0.55, `rmse ${rmse} (noise σ is 0.5)`);
  });

  it('binary logistic reaches the AUC of the true model', async () => {
    const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 8, mini_batch_size: 64 }), linearBatches('binary', 3, 300));
    const model = await linearLearner.finalize(state, backend);
    const test = linearBatches('binary', 4, 40);
    const evaluator = linearLearner.createEvaluator!(model);
    for (const batch of test) await evaluator.add(batch);
    const learned = evaluator.result();
    // The true model's AUC on the same rows.
    const scored: [number, number][] = [];
    for (const batch of test) {
      for (let r = 0; r < batch.rows; r++) {
        let s = trueBias;
        for (let j = 0; j < dim; j++) s += (batch as { values: Float32Array }).values[r * dim + j] * trueWeights[j];
        scored.push([s, batch.labels![r]]);
      }
    }
    scored.sort((a, b) => a[0] - b[0]);
    let negatives = 0;
    let right = 0;
    for (const [, y] of scored) { if (y === 1) right += negatives; else negatives++; }
    const optimum = right / (negatives * (scored.length - negatives));
    assert.ok(learned.roc_auc_score > optimum - 0.005, `AUC ${learned.roc_auc_score} vs the true model's ${optimum}`);
    assert.ok(learned.binary_classification_accuracy > 0.88, `accuracy ${learned.binary_classification_accuracy}`);
  });

  it('multiclass softmax separates three classes', async () => {
    const state = await fit(stateFor({ predictor_type: 'multiclass_classifier', num_classes: 3, num_models: 4, mini_batch_size: 64 }), linearBatches('multiclass', 5, 300));
    const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
    for (const batch of linearBatches('multiclass', 6, 20)) await evaluator.add(batch);
    const r = evaluator.result();
    assert.ok(r.multiclass_accuracy > 0.9, `accuracy ${r.multiclass_accuracy}`);
    assert.ok(r.multiclass_top_k_accuracy >= r.multiclass_accuracy);
  });

  for (const loss of ['hinge_loss', 'absolute_loss', 'eps_insensitive_squared_loss', 'eps_insensitive_absolute_loss', 'quantile_loss', 'huber_loss']) {
    it(`trains with ${loss}`, async () => {
      const binary = loss === 'hinge_loss';
      const state = await fit(stateFor({ predictor_type: binary ? 'binary_classifier' : 'regressor', loss, num_models: 2, mini_batch_size: 64 }),
        linearBatches(binary ? 'binary' : 'regression', 7, 300));
      const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
      for (const batch of linearBatches(binary ? 'binary' : 'regression', 8, 10)) await evaluator.add(batch);
      const r = evaluator.result();
      if (binary) assert.ok(r.binary_classification_accuracy > 0.88, `${loss}: accuracy ${r.binary_classification_accuracy}`);
      // The label's standard deviation is about 3·4.3 = 13; a fitted model is far below it.
      else assert.ok(r.rmse < 1.2, `${loss}: rmse ${r.rmse}`);
    });
  }

  it('quantile_loss at 0.9 puts about 90% of the labels below the prediction', async () => {
    // A tenth of the default rate: a quantile's intercept absorbs the spread of noisy iterates
    // (at the default rate 5 on these 8 features it lands 0.4 above the 0.9 quantile).
    const state = await fit(stateFor({ predictor_type: 'regressor', loss: 'quantile_loss', quantile: 0.9, num_models: 1, mini_batch_size: 64, learning_rate: 0.5 }),
      linearBatches('regression', 9, 400));
    const model = await linearLearner.finalize(state, backend);
    let below = 0;
    let total = 0;
    for (const batch of linearBatches('regression', 10, 20)) {
      const { score } = await model.predict(batch);
      for (let r = 0; r < batch.rows; r++) below += batch.labels![r] <= score[r] ? 1 : 0;
      total += batch.rows;
    }
    assert.ok(Math.abs(below / total - 0.9) < 0.04, `share below ${below / total}`);
  });

  for (const optimizer of ['sgd', 'adam', 'rmsprop', 'adagrad']) {
    it(`optimizer ${optimizer} learns (with momentum for sgd)`, async () => {
      const state = await fit(stateFor({ predictor_type: 'binary_classifier', optimizer, num_models: 1, mini_batch_size: 64, momentum: optimizer === 'sgd' ? 0.5 : 'auto' }),
        linearBatches('binary', 11, 200));
      const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
      for (const batch of linearBatches('binary', 12, 20)) await evaluator.add(batch);
      assert.ok(evaluator.result().roc_auc_score > 0.96, `${optimizer}: AUC ${evaluator.result().roc_auc_score}`);
    });
  }

  it('lazy sparse updates equal eager dense ones: regularization owed to absent features is applied in closed form', async () => {
    // Each feature is present in a row only now and then; the dense copy carries explicit zeros.
    const batches = sometimesPresent(21, 60);
    const settings = regularized;
    const dense = await fit(stateFor(settings), batches);
    const sparse = await fit(stateFor(settings, dim, true), batches.map(toSparse));
    const plain = await fit(stateFor({ ...settings, average: false }), batches);
    // The models output the mean of their iterates after the scaler's 300-row sample (step 19 of
    // 60): the steps a feature missed enter the lazy average in closed form, those before the
    // start left out, and the result equals the eager one.
    for (const model of [0, 1]) {
      const eager = (await linearLearner.finalize(dense, backend, { model })).coefficients().weights;
      const lazy = (await linearLearner.finalize(sparse, backend, { model })).coefficients().weights;
      for (let j = 0; j < dim; j++) assert.ok(Math.abs(eager[j] - lazy[j]) < 1e-5, `model ${model} w${j}: eager ${eager[j]}, lazy ${lazy[j]}`);
    }
    assert.equal((dense.tensors.average_start.data as Float64Array)[0], 19);
    const last = (await linearLearner.finalize(plain, backend, { model: 1 })).coefficients().weights;
    const averaged = (await linearLearner.finalize(dense, backend, { model: 1 })).coefficients().weights;
    assert.ok(Array.from(averaged).every((w, j) => w !== last[j]), 'the average differs from the last iterate');
    // L1 drove some rarely seen weights to exactly zero.
    assert.ok(Array.from(last).some((w) => w === 0), `no exact zeros in ${last}`);
    // The sparse state left features alone between appearances.
    const lastStep = sparse.tensors.last_step.data as Int32Array;
    assert.ok(Array.from(lastStep).some((s) => s < 60), 'every feature was touched every step');
  });

  for (const wd of [1e-7, 1e-3, 0]) {
    it(`lazy equals eager with L1 and wd ${wd} (a decay within float rounding of 1 once gave lazy weights 10⁴ times too large)`, async () => {
      // The closed form divides by 1 − decay; with wd 1e-7 its textbook version subtracted numbers
      // near 10⁵ to get a weight near 0.01 (lazy −62 against eager −0.008).
      const batches = sometimesPresent(24, 60);
      const settings = { ...regularized, wd, l1: 0.01 };
      const dense = await fit(stateFor(settings), batches);
      const sparse = await fit(stateFor(settings, dim, true), batches.map(toSparse));
      for (const model of [0, 1]) {
        const eager = (await linearLearner.finalize(dense, backend, { model })).coefficients().weights;
        const lazy = (await linearLearner.finalize(sparse, backend, { model })).coefficients().weights;
        for (let j = 0; j < dim; j++) assert.ok(Math.abs(eager[j] - lazy[j]) < 1e-5, `model ${model} w${j}: eager ${eager[j]}, lazy ${lazy[j]}`);
      }
      // The iterates too (the averages above take the missed steps' sums, these the last one).
      const eager = caughtUp(dense, weightsKind.plain).weights;
      const lazy = caughtUp(sparse, weightsKind.plain).weights;
      for (let k = 0; k < eager.length; k++) assert.ok(Math.abs(eager[k] - lazy[k]) < 1e-5, `iterate ${k}: eager ${eager[k]}, lazy ${lazy[k]}`);
      assert.ok(lazy.some((w) => w === 0) && lazy.some((w) => w !== 0), `L1 zeroes some weights, not all: ${lazy}`);
    });
  }

  it('several passes (adagrad\'s per-pass rate, averaging restarted each pass): lazy sparse updates equal eager dense ones', async () => {
    // The rate changes between passes and the average starts again: regularization a feature
    // owes from one pass is charged at that pass's rate, whatever pass it comes back in.
    const batches = sometimesPresent(23, 30);
    const settings = { ...regularized, optimizer: 'adagrad', learning_rate: 2, use_lr_scheduler: 'auto', lr_scheduler_factor: 0.5 };
    const passes = async (state: LinearLearnerState, data: Batch[]) => {
      for (let pass = 0; pass < 3; pass++) {
        await fit(state, data);
        await linearLearner.endPass!(state, backend);
      }
      return state;
    };
    const dense = await passes(stateFor(settings), batches);
    const sparse = await passes(stateFor(settings, dim, true), batches.map(toSparse));
    assert.equal((dense.tensors.average_start.data as Float64Array)[0], 61, 'the third pass (steps 61–90) is averaged');
    for (const model of [0, 1]) {
      const eager = (await linearLearner.finalize(dense, backend, { model })).coefficients().weights;
      const lazy = (await linearLearner.finalize(sparse, backend, { model })).coefficients().weights;
      for (let j = 0; j < dim; j++) assert.ok(Math.abs(eager[j] - lazy[j]) < 1e-5, `model ${model} w${j}: eager ${eager[j]}, lazy ${lazy[j]}`);
    }
  });

  it('a merge keeps the latest pass the average restarted in and the latest step\'s pass', async () => {
    const settings = { ...regularized, optimizer: 'adagrad', use_lr_scheduler: 'auto' };
    const ahead = stateFor(settings);
    for (let pass = 0; pass < 2; pass++) {
      await fit(ahead, sometimesPresent(25, 25));
      await linearLearner.endPass!(ahead, backend);
    }
    await fit(ahead, sometimesPresent(25, 2));
    const behind = await fit(stateFor(settings), sometimesPresent(26, 25));
    assert.deepEqual([ahead.scalars.average_pass, ahead.scalars.step_pass], [2, 2]);
    for (const order of [[behind, ahead], [ahead, behind]]) {
      const merged = linearLearner.merge(order);
      assert.deepEqual([merged.scalars.average_pass, merged.scalars.step_pass, merged.scalars.passes], [2, 2, 2]);
    }
  });

  it('prepareUpload (a data-parallel worker\'s catch-up before a round) brings every feature current without changing the model', async () => {
    const batches = sometimesPresent(22, 80).map(toSparse);
    const lazy = await fit(stateFor(regularized, dim, true), batches.slice(0, 60));
    const prepared = structuredClone(lazy);
    linearLearner.prepareUpload!(prepared);
    const step = (prepared.tensors.counters.data as Float64Array)[0];
    assert.ok(Array.from(lazy.tensors.last_step.data as Int32Array).some((s) => s < step), 'some feature was behind before');
    assert.ok(Array.from(prepared.tensors.last_step.data as Int32Array).every((s) => s === step), 'every feature is current after');
    // The same closed form as training's catch-up (float powers across models): the model within 1e-5,
    // before and after 20 more batches.
    const close = async (when: string) => {
      for (const model of [0, 1]) {
        const a = (await linearLearner.finalize(lazy, backend, { model })).coefficients().weights;
        const b = (await linearLearner.finalize(prepared, backend, { model })).coefficients().weights;
        for (let j = 0; j < dim; j++) assert.ok(Math.abs(a[j] - b[j]) < 1e-5, `${when}, model ${model} w${j}: lazy ${a[j]}, prepared ${b[j]}`);
      }
    };
    await close('at the round');
    await fit(lazy, batches.slice(60));
    await fit(prepared, batches.slice(60));
    await close('20 batches later');
  });

  it('positive_example_weight_mult=balanced raises recall on imbalanced data', async () => {
    const make = (seed: number, count: number) => linearBatches('binary', seed, count).map((batch) => {
      // Shift the labels to about 10% positives by dropping most positives' labels.
      const y = batch.labels!.map((v, r) => (v === 1 && (r % 10) !== 0 ? 0 : v));
      return { ...batch, labels: y };
    });
    const recall = async (weight: unknown) => {
      const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 1, positive_example_weight_mult: weight, mini_batch_size: 64 }), make(13, 200));
      const model = await linearLearner.finalize(state, backend, { threshold: 0.5 });
      const evaluator = linearLearner.createEvaluator!(model);
      for (const batch of make(14, 20)) await evaluator.add(batch);
      return evaluator.result().recall;
    };
    const [plain, balanced] = [await recall(1), await recall('balanced')];
    assert.ok(balanced > plain + 0.2, `recall: balanced ${balanced}, plain ${plain}`);
  });

  it('balance_multiclass_weights raises the recall of a rare class', async () => {
    // Class 2 kept for one row in ten (the others dropped to class 0): a rare class.
    const make = (seed: number, count: number) => linearBatches('multiclass', seed, count).map((batch) => ({
      ...batch, labels: batch.labels!.map((v, r) => (v === 2 && r % 10 !== 0 ? 0 : v)),
    }));
    const macroRecall = async (balance: boolean) => {
      const state = await fit(stateFor({ predictor_type: 'multiclass_classifier', num_classes: 3, num_models: 1, balance_multiclass_weights: balance, mini_batch_size: 64 }), make(17, 200));
      const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
      for (const batch of make(18, 20)) await evaluator.add(batch);
      return evaluator.result().macro_recall;
    };
    const [plain, balanced] = [await macroRecall(false), await macroRecall(true)];
    assert.ok(balanced > plain + 0.05, `macro recall: balanced ${balanced}, plain ${plain}`);
    assert.equal(stateFor({ predictor_type: 'multiclass_classifier', num_classes: 3, balance_multiclass_weights: true }).tensors.class_weight.data.length, 3);
  });

  it('predict: SageMaker outputs, a request-time threshold, and predictOne agreeing with predict', async () => {
    const state = await fit(stateFor({ predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 64 }), linearBatches('binary', 15, 50));
    const model = await linearLearner.finalize(state, backend);
    const [batch] = linearBatches('binary', 16, 1);
    const out = await model.predict(batch);
    assert.deepEqual(Object.keys(out).sort(), ['predicted_label', 'score']);
    const strict = await model.predict(batch, { threshold: 0.99 });
    const loose = await model.predict(batch, { threshold: 0.01 });
    const positives = (labels: Float32Array) => labels.reduce((a, b) => a + b, 0);
    assert.ok(positives(strict.predicted_label) < positives(out.predicted_label));
    assert.ok(positives(loose.predicted_label) > positives(out.predicted_label));
    for (let r = 0; r < batch.rows; r++) {
      const one = model.predictOne((batch as { values: Float32Array }).values.subarray(r * dim, (r + 1) * dim));
      assert.ok(Math.abs((one.score as number) - out.score[r]) < 1e-5);
      assert.equal(one.predicted_label, out.predicted_label[r]);
      const p = out.score[r];
      assert.equal(strict.predicted_label[r], p >= 0.99 ? 1 : 0);
    }
    await assert.rejects(model.predict(batch, { threshold: 1.5 }), /threshold 1.5 must be a probability in \(0, 1\) for logistic loss/);
  });

  it('rejects settings that do not fit together, naming the parameter', () => {
    assert.throws(() => stateFor({ predictor_type: 'multiclass_classifier' }), /'num_classes' is required for multiclass_classifier/);
    assert.throws(() => stateFor({ predictor_type: 'binary_classifier', loss: 'squared_loss' }), /loss 'squared_loss' does not fit predictor_type binary_classifier; expected logistic, hinge_loss/);
    assert.throws(() => stateFor({ predictor_type: 'regressor', positive_example_weight_mult: 2 }), /'positive_example_weight_mult' applies to binary_classifier only/);
    assert.throws(() => stateFor({ predictor_type: 'binary_classifier', feature_dim: 5 }), /the data has 8 features but feature_dim is 5/);
    assert.throws(() => stateFor({ predictor_type: 'binary_classifier', unbias_data: true }, dim, true), /unbias_data=true needs dense data/);
    assert.throws(() => stateFor({ predictor_type: 'binary_classifier', num_models: 32 }, 2 ** 28, true),
      /linear-learner: the state needs 109\.0 GiB \(feature_dim 268435456 × \(num_models 32 × 1 class × 3 arrays × 4 bytes \+ 52 bytes of the feature's own\); lower feature_dim \(hash bits\) or num_models, or use optimizer sgd, or average=false\)(, more than this machine's [0-9.]+ GiB of memory| and could not be allocated)/);
    // One model: the feature's own arrays are most of the state, and past the machine's memory it is refused before any is made
    // (it said "Array buffer allocation failed", or was killed once the pages were written: exit 137, nothing said).
    assert.throws(() => stateFor({ predictor_type: 'binary_classifier', num_models: 1 }, 2 ** 32 - 1, true),
      /linear-learner: the state needs 25[0-9]\.[0-9] GiB \(feature_dim 4294967295 × \(num_models 1 × 1 class × [0-9] arrays × 4 bytes \+ 52 bytes of the feature's own\); .*\)(, more than this machine's [0-9.]+ GiB of memory| and could not be allocated)/);
  });

  it('rejects multiclass labels outside the classes and sparse indices outside feature_dim', async () => {
    const multi = stateFor({ predictor_type: 'multiclass_classifier', num_classes: 3 });
    await assert.rejects(linearLearner.update(multi, denseBatch(new Float32Array(dim * 2), dim, Float32Array.of(1, 3)), backend),
      /linear-learner batch 0: row 1: label 3 is not a class in 0..2 \(num_classes 3\)/);
    const sparse = stateFor({ predictor_type: 'binary_classifier' }, dim, true);
    const bad = { kind: 'sparse' as const, rows: 1, cols: dim, indptr: Int32Array.of(0, 1), indices: Uint32Array.of(9), values: Float32Array.of(1), labels: Float32Array.of(1) };
    await assert.rejects(linearLearner.update(sparse, bad, backend), /row 0: feature index 9 is not below feature_dim 8/);
    // A state made without sparse: true centres features by default; its first sparse batch says how to make one that does not.
    const one = { kind: 'sparse' as const, rows: 1, cols: dim, indptr: Int32Array.of(0, 1), indices: Uint32Array.of(2), values: Float32Array.of(1), labels: Float32Array.of(1) };
    await assert.rejects(linearLearner.update(stateFor({ predictor_type: 'binary_classifier' }), one, backend),
      /linear-learner batch 0: sparse rows, but the state centres features \(unbias_data, on by default for dense rows, and this state was made for dense rows: its schema has no sparse: true\): make the state with \{ sparse: true \} in its schema, or set unbias_data=false/);
  });
});

describe('linear learner: trainer integration', function () {
  this.timeout(120_000);
  let root: string;
  before(async () => {
    backend = await createBackend('cpu');
    root = await mkdtemp(join(tmpdir(), 'boundless-ll-'));
    const csv = (seed: number, count: number) => linearBatches('binary', seed, count).flatMap((batch) => {
      const lines: string[] = [];
      const values = (batch as { values: Float32Array }).values;
      for (let r = 0; r < batch.rows; r++) lines.push([batch.labels![r], ...values.subarray(r * dim, (r + 1) * dim)].join(','));
      return lines;
    }).join('\n') + '\n';
    await writeFile(join(root, 'train.csv'), csv(31, 40));
    await writeFile(join(root, 'validation.csv'), csv(32, 10));
  });
  after(async () => {
    await backend.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('calibrates and selects on the validation channel, and re-selects from the state by another criterion', async () => {
    const result = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 6, mini_batch_size: 100, epochs: 3, binary_classifier_model_selection_criteria: 'f_beta' },
      { train: join(root, 'train.csv'), validation: join(root, 'validation.csv'), backend: 'cpu' });
    const scalars = result.model.data().scalars;
    assert.equal(scalars.selection_source, 'validation');
    assert.equal(scalars.selection_criterion, 'f_beta');
    assert.ok(result.metrics.validation!.binary_f_beta > 0.85, JSON.stringify(result.metrics.validation));
    assert.equal(result.metrics.validation!.selected_model, scalars.selected_model);
    const precise = await linearLearner.finalize(result.state, backend, { criterion: 'recall_at_target_precision' });
    assert.equal(precise.data().scalars.selection_criterion, 'recall_at_target_precision');
    // On the rows it was calibrated on, the chosen threshold holds precision at 0.8 or more.
    const evaluator = linearLearner.createEvaluator!(precise);
    for await (const batch of readBatches(join(root, 'validation.csv'), { format: 'csv', miniBatchSize: 100 })) await evaluator.add(batch);
    const held = evaluator.result();
    assert.ok(held.precision >= 0.8, `precision ${held.precision}`);
    assert.ok(Math.abs(held.recall - Number(precise.data().scalars.selection_value)) < 1e-9, `recall ${held.recall} vs ${precise.data().scalars.selection_value}`);
    await assert.rejects(async () => linearLearner.finalize(result.state, backend, { k: 3 }), /unknown selection 'k'; expected criterion, model or threshold/);
    await assert.rejects(async () => linearLearner.finalize(result.state, backend, { model: 6 }), /model 6 is not in 0..5/);
  });

  it('a validation channel of one class is an error saying so, not a threshold that rejects every row', async () => {
    const lines = (await readFile(join(root, 'validation.csv'), 'utf8')).trimEnd().split('\n').filter((l) => l.startsWith('0,'));
    await writeFile(join(root, 'one-class.csv'), lines.join('\n') + '\n');
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 100, epochs: 2 },
      { train: join(root, 'train.csv'), validation: join(root, 'one-class.csv'), backend: 'cpu' }),
    new RegExp(`^DegenerateDataError: linear-learner: the validation data held only rows of class 0 \\(weight ${lines.length}\\); ` +
      'choosing the model and calibrating its threshold needs rows of both classes'));
  });

  it('warns after the first pass about sparse features far from 0 with a tiny spread (never centred, so ≈ constant once scaled); not for one-hot or dense rows', async () => {
    const random = Random.fromSeed(41);
    const rows: string[] = [];
    const dense: string[] = [];
    const narrow: string[] = [];
    for (let r = 0; r < 2000; r++) {
      const x = random.nextGaussian();
      const label = x + 0.3 * random.nextGaussian() > 0 ? 1 : 0;
      const price = (1e6 + 5 * x).toFixed(3);  // the signal, 1e6 from the origin
      rows.push(`${label} 1:${price}${r % 2 ? ' 2:1' : ''}`);  // feature 2: one-hot, values all 1
      dense.push(`${label},${price},${r % 2}`);
      narrow.push(`${label},${(1e6 + x).toFixed(3)},${r % 2}`);  // 1e6 ± 1: 16 float32 steps, signal all the same
    }
    await writeFile(join(root, 'far-narrow.csv'), narrow.join('\n') + '\n');
    await writeFile(join(root, 'far.libsvm'), rows.join('\n') + '\n');
    await writeFile(join(root, 'far.csv'), dense.join('\n') + '\n');
    const warningsOf = async (file: string, format: 'libsvm' | 'csv', hp: Record<string, unknown> = {}) => {
      const warnings: string[] = [];
      await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 1, feature_dim: 2, ...hp },
        { train: join(root, file), epochs: 2, data: { format, featureDim: 2, ...(format === 'libsvm' ? { zeroBased: false } : {}) }, backend: 'cpu',
          onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
      return warnings;
    };
    const sparse = await warningsOf('far.libsvm', 'libsvm');
    assert.equal(sparse.length, 1, sparse.join('\n'));
    assert.match(sparse[0], /^linear-learner: features 0 \(1\.000e\+6 ± 5\.\d\) \(0-based\) vary by less than 0\.001 of their size among their non-zero values: sparse input is not centred/);
    assert.deepEqual(await warningsOf('far.csv', 'csv'), []);
    // Dense rows are centred by default; with unbias_data=false they are not, and are flagged too.
    const uncentred = await warningsOf('far.csv', 'csv', { unbias_data: false });
    assert.equal(uncentred.length, 1, uncentred.join('\n'));
    assert.match(uncentred[0], /^linear-learner: features 0 \(1\.000e\+6 ± 5\.\d\) \(0-based\) vary by less than 0\.001 of their size: with unbias_data=false dense input is not centred/);
    // A spread of 1e-6 of the value was taken for rounding and not flagged, though it trained nothing.
    const narrowWarnings = await warningsOf('far-narrow.csv', 'csv', { unbias_data: false });
    assert.match(narrowWarnings.join('\n'), /^linear-learner: features 0 \(1\.000e\+6 ± 1\.\d\) \(0-based\)/);
    // Without a bias the level is signal (the model passes through 0): no warning, no advice to centre.
    assert.deepEqual(await warningsOf('far.csv', 'csv', { unbias_data: false, use_bias: false }), []);
  });

  it('warns when a column the scaler\'s sample saw constant varies after it (the model was poor without a word); not when the same rows are shuffled', async () => {
    // A column 0 in the first 1,000 rows (the sample here) and ±10⁴ after, which the label depends on:
    // left unscaled, its later values threw the model off (test log loss 9.3 against 0.134 shuffled,
    // at the default sample of 10,000 rows of 40,000).
    const random = Random.fromSeed(43);
    const rows: string[] = [];
    const test: string[] = [];
    const row = (late: boolean) => {
      const a = random.nextGaussian(), b = random.nextGaussian();
      const c = late ? 1e4 * random.nextGaussian() : 0;
      return `${a + 0.5 * b + c / 1e4 + 0.3 * random.nextGaussian() > 0 ? 1 : 0},${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(2)}`;
    };
    for (let r = 0; r < 4000; r++) rows.push(row(r >= 1000));
    for (let r = 0; r < 1000; r++) test.push(row(true));
    const shuffled = [...rows];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random.nextFloat() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    await writeFile(join(root, 'late-column.csv'), 'y,a,b,late\n' + rows.join('\n') + '\n');
    await writeFile(join(root, 'late-column-shuffled.csv'), 'y,a,b,late\n' + shuffled.join('\n') + '\n');
    await writeFile(join(root, 'late-column-test.csv'), 'y,a,b,late\n' + test.join('\n') + '\n');
    const run = async (file: string) => {
      const warnings: string[] = [];
      const result = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 1, num_point_for_scaler: 1000 },
        { train: join(root, file), test: join(root, 'late-column-test.csv'), epochs: 1, data: { format: 'csv', header: true }, backend: 'cpu',
          onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
      return { warnings, loss: result.metrics.test!.objective_loss };
    };
    const sorted = await run('late-column.csv');
    const mixed = await run('late-column-shuffled.csv');
    // The warning is about a model that is worse for it, by far.
    assert.ok(sorted.loss > 3 * mixed.loss, `test log loss ${sorted.loss} (sorted) against ${mixed.loss} (shuffled)`);
    assert.equal(sorted.warnings.length, 1, sorted.warnings.join('\n'));
    assert.match(sorted.warnings[0], new RegExp('^linear-learner: the scaler took each feature\'s scaling from the first 1,000 rows \\(num_point_for_scaler\\); ' +
      'of the 3,000 rows after them, "late" \\(feature 2, 0-based\\) \\(constant in those rows, so left unscaled\\) was over 100 from that value in 2,9\\d\\d rows: ' +
      'those rows did not show how it varies, so its scaling does not fit the rest, and the model may be poor\\. Shuffle the input'));
    assert.deepEqual(mixed.warnings, []);
  });

  it('a large model\'s end of pass and finalize run off the event loop (2^22 features, 32 models held it 0.75 s and 1.9 s)', async () => {
    const featureDim = 1 << 20;
    const state = stateFor({ predictor_type: 'binary_classifier', num_models: 8, feature_dim: featureDim }, featureDim, true);
    const indices = Uint32Array.from({ length: 64 }, (_, i) => (i * 16_411) % featureDim);
    const batch: Batch = { kind: 'sparse', rows: 32, cols: featureDim, indptr: Int32Array.from({ length: 33 }, (_, r) => 2 * r),
      indices, values: new Float32Array(64).fill(1), labels: Float32Array.from({ length: 32 }, (_, r) => r % 2) };
    await linearLearner.update(state, batch, backend);
    // A timer's ticks while each call is awaited: a synchronous catch-up of 8M weights lets none fire.
    const ticksDuring = async (work: () => Promise<unknown>) => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        await work();
      } finally {
        clearInterval(timer);
      }
      return ticks;
    };
    const endPassTicks = await ticksDuring(() => Promise.resolve(linearLearner.endPass!(state, backend)));
    const finalizeTicks = await ticksDuring(async () => linearLearner.finalize(state, backend));
    assert.ok(endPassTicks > 0 && finalizeTicks > 0, `ticks: ${endPassTicks} during endPass, ${finalizeTicks} during finalize`);
    assert.equal(Number(state.scalars.passes), 1);
    // What the asynchronous catch-up computes is the synchronous one's, to the bit.
    for (const kind of [weightsKind.plain, weightsKind.average, weightsKind.output]) {
      const [sync, later] = [caughtUp(state, kind), await caughtUpAsync(state, kind)];
      assert.ok(Buffer.from(sync.weights.buffer).equals(Buffer.from(later.weights.buffer)), `weights of kind ${kind}`);
      assert.ok(Buffer.from(sync.bias.buffer).equals(Buffer.from(later.bias.buffer)), `bias of kind ${kind}`);
    }
  });

  it('closes the scaler\'s sample at the end of the first pass on a stream shorter than num_point_for_scaler: averaging begins in the second', async () => {
    // It re-added the pass's rows every pass (scalerRows 1365 after 3 passes of 455), and averaging,
    // which waits for a complete sample, never began on such data (the breast-cancer example).
    const result = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 1 },
      { train: join(packageRoot, 'examples', 'data', 'breast-cancer', 'train.csv'), epochs: 3, backend: 'cpu' });
    const counters = result.state.tensors.counters.data as Float64Array;
    assert.equal(counters[2], 455);
    const start = (result.state.tensors.average_start.data as Float64Array)[0];
    // Each pass from the second averages its own iterates: the first step of the last pass (a third of the steps each).
    assert.equal(start, (2 * counters[0]) / 3 + 1, `average_start ${start} of ${counters[0]} steps`);
    assert.equal(result.model.data().scalars.averaged, true);
  });

  it('scales an uncentred label by its RMS: a use_bias=false regressor on data 1000 from 0 fits (its deviation made targets of 1000: mse 1804)', async () => {
    const random = Random.fromSeed(42);
    const x = Float32Array.from({ length: 3000 }, () => 1000 + random.nextGaussian());
    const y = x.map((v) => v + 0.1 * random.nextGaussian());
    const state = await fit(stateFor({ predictor_type: 'regressor', use_bias: false }, 1), [denseBatch(x, 1, y)]);
    const label = state.tensors.label_transform.data as Float32Array;
    const rms = Math.sqrt(y.reduce((sum, v) => sum + v * v, 0) / y.length);
    assert.equal(label[0], 0);
    assert.ok(Math.abs(label[1] * rms - 1) < 1e-6, `label scale ${label[1]} vs 1/${rms}`);
    const model = await linearLearner.finalize(state, backend);
    const evaluator = linearLearner.createEvaluator!(model);
    await evaluator.add(denseBatch(x, 1, y));
    assert.ok(evaluator.result().mse < 0.05, JSON.stringify(evaluator.result()));
  });

  it('applies loss_insensitivity in the label\'s units in training too (with the label scaled by 1/1000 it ignored errors below 10)', async () => {
    const random = Random.fromSeed(43);
    const x = Float32Array.from({ length: 3000 }, () => 1000 + random.nextGaussian());
    const y = x.map((v) => v + 0.1 * random.nextGaussian());
    const mseOf = async (loss: string) => {
      const state = await fit(stateFor({ predictor_type: 'regressor', use_bias: false, loss, num_models: 1 }, 1),
        Array.from({ length: 5 }, () => denseBatch(x, 1, y)));
      const evaluator = linearLearner.createEvaluator!(await linearLearner.finalize(state, backend));
      await evaluator.add(denseBatch(x, 1, y));
      return evaluator.result().mse;
    };
    // The label's variance is 1: a model that ignored errors below 10 learned only the mean (mse 4.36 in a helper's run).
    for (const loss of ['eps_insensitive_squared_loss', 'huber_loss']) {
      const mse = await mseOf(loss);
      assert.ok(mse < 0.1, `${loss}: mse ${mse}`);
    }
  });

  it('warns when row weights average far from 1 (tiny weights left the model at its start, with exit 0)', async () => {
    const random = Random.fromSeed(8);
    const jsonl = (weight: number) => Array.from({ length: 3000 }, () => {
      const x = [random.nextGaussian(), random.nextGaussian()];
      return JSON.stringify({ label: x[0] - x[1] + 0.3 * random.nextGaussian() > 0 ? 1 : 0, weight, features: x });
    }).join('\n') + '\n';
    const warningsOf = async (weight: number, hp: Record<string, unknown> = {}) => {
      const path = join(root, `weights-${weight}.jsonl`);
      await writeFile(path, jsonl(weight));
      const warnings: string[] = [];
      await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 2, ...hp }, { train: path, epochs: 1, data: { format: 'jsonl', featureDim: 2 }, backend: 'cpu',
        onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
      return warnings;
    };
    for (const [weight, shown] of [[1e-20, '1e-20'], [1e6, '1e+6']] as const) {
      const warnings = await warningsOf(weight);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.equal(warnings[0], `linear-learner: the rows' weights average about ${shown}: its steps are weighted sums of the rows' gradients, so ` +
        'weights far from 1 (below 0.0001) leave the model near its start, or (above 10000, with optimizer=sgd) make its steps too large. ' +
        'Scale the weights to average about 1: only their ratios weigh rows against each other');
    }
    assert.deepEqual(await warningsOf(0.01), []);
    assert.deepEqual(await warningsOf(100), []);
    // One step of all 3,000 rows (mini_batch_size above the rows): unit weights read as 7e-4 until
    // the estimate counted the steps; tiny weights are still found.
    const weightWarnings = async (weight: number) => (await warningsOf(weight, { mini_batch_size: 5000 })).filter((w) => w.includes('weights average'));
    assert.deepEqual(await weightWarnings(1), []);
    assert.match((await weightWarnings(1e-20))[0], /^linear-learner: the rows' weights average about 1e-20:/);
  });

  it('a first pass of one optimizer step (mini_batch_size above the rows) says so; one pass of it takes the decision boundary as threshold', async () => {
    const random = Random.fromSeed(12);
    const path = join(root, 'one-step.jsonl');
    await writeFile(path, Array.from({ length: 3000 }, () => {
      const x = [random.nextGaussian(), random.nextGaussian()];
      return JSON.stringify({ label: x[0] - x[1] > 0 ? 1 : 0, features: x });
    }).join('\n') + '\n');
    const run = async (epochs: number, miniBatchSize: number) => {
      const warnings: string[] = [];
      const result = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: miniBatchSize },
        { train: path, epochs, data: { format: 'jsonl', featureDim: 2 }, backend: 'cpu',
          onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
      return { warnings, scalars: result.model.data().scalars };
    };
    const one = await run(1, 5000);
    assert.deepEqual(one.warnings, ['linear-learner: the first pass was one optimizer step of all 3,000 rows (mini_batch_size 5000): each model took one step, ' +
      'and the progressive metrics scored the untrained models only, so with one pass and no validation channel the model of the grid is not chosen on ' +
      'what it learned, and a binary classifier\'s threshold is the decision boundary (probability 0.5). Lower mini_batch_size (to 300 or fewer, ten steps or more), ' +
      'or give a validation channel']);
    assert.equal(one.scalars.threshold, 0);
    assert.match(String(one.scalars.threshold_source), /^the decision boundary: the one pass was one optimizer step/);
    // A second pass scores the trained models: its threshold is calibrated (the last pass's); that
    // each pass is one step, too few to fit the rows, is said (R's longley underfitted at any epochs).
    const two = await run(2, 5000);
    assert.deepEqual(two.warnings, ['linear-learner: each pass over these 3,000 rows is one optimizer step (mini_batch_size 5000), so the run\'s ' +
      '2 epochs make 2 steps, too few to fit them, and more epochs barely help, the learning rate falling pass by pass (R\'s longley, 16 rows: ' +
      'RMSE 0.861 after 15 epochs, 0.852 after 200; 0.40 with mini_batch_size 4). Lower mini_batch_size (to 750 or fewer)']);
    assert.match(String(two.scalars.threshold_source), /^the training stream's last pass \(2\)$/);
    // Ten steps: nothing to say.
    const steps = await run(1, 300);
    assert.deepEqual(steps.warnings, []);
    assert.equal(steps.scalars.threshold_source, undefined);
    // A handful of rows: the advice is a size that exists (it said "to 1 or fewer" for 2 rows).
    const tiny = join(root, 'one-step-tiny.jsonl');
    await writeFile(tiny, '{"label":1,"features":[1,0]}\n{"label":0,"features":[0,1]}\n');
    const warnings: string[] = [];
    await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 2 }, { train: tiny, epochs: 2, data: { format: 'jsonl', featureDim: 2 },
      backend: 'cpu', onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
    assert.ok(warnings.some((w) => w.endsWith('Lower mini_batch_size (to 1: a step a row)')), warnings.join('\n'));
  });

  it('warns when a classifier\'s rows come sorted by class (R\'s infert, cases first, was predicted all 0 with exit 0), not when shuffled', async () => {
    const random = Random.fromSeed(9);
    const rows = Array.from({ length: 3000 }, () => {
      const x = [random.nextGaussian(), random.nextGaussian()];
      return { label: x[0] - x[1] + 0.3 * random.nextGaussian() > 0 ? 1 : 0, features: x };
    });
    const warningsOf = async (name: string, ordered: typeof rows) => {
      const path = join(root, `${name}.jsonl`);
      await writeFile(path, ordered.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const warnings: string[] = [];
      await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 2 }, { train: path, epochs: 1, data: { format: 'jsonl', featureDim: 2 }, backend: 'cpu',
        onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
      return warnings;
    };
    const sorted = await warningsOf('sorted', [...rows].sort((a, b) => a.label - b.label));
    assert.equal(sorted.length, 1, sorted.join('\n'));
    assert.match(sorted[0], /^linear-learner: the training rows came sorted or grouped by class, not in random order: neighbouring rows were of one class (99\.\d|100)% of the time, against 5\d\.\d% in random order; \d\d\.\d% of the classes' scatter lay between batches, against about 0\.\d+% in random order \(3,000 rows in 3 batches\)\. .* Shuffle the rows: shuf the file, or train --shuffle-buffer 3 \(it keeps 3 batches, these rows, and draws from them\)$/);
    assert.deepEqual(await warningsOf('random', rows), []);
    // Alternating labels, and runs of 5 rows a class (which train as shuffled rows do): not sorted.
    assert.deepEqual(await warningsOf('alternating', rows.map((r, i) => ({ ...r, label: i % 2 }))), []);
    assert.deepEqual(await warningsOf('runs', rows.map((r, i) => ({ ...r, label: Math.floor(i / 5) % 2 }))), []);
    // Shuffled rows, then a run of one class appended: its batches give it away, not its neighbours.
    const appended = await warningsOf('appended', [...rows, ...rows.filter((r) => r.label === 1), ...rows.filter((r) => r.label === 1)]);
    assert.equal(appended.length, 1, appended.join('\n'));
    assert.match(appended[0], /in random order; \d+\.\d% of the classes' scatter lay between batches/);
  });

  it('warns when a regressor\'s rows come sorted by the label (R\'s quakes by magnitude: held-out RMSE worse than the mean, exit 0), not when shuffled or drifting', async () => {
    const random = Random.fromSeed(11);
    const rows = Array.from({ length: 3000 }, () => {
      const x = [random.nextGaussian(), random.nextGaussian()];
      return { label: 2 * x[0] - x[1] + 0.3 * random.nextGaussian(), features: x };
    });
    const warningsOf = async (name: string, ordered: typeof rows) => {
      const path = join(root, `${name}-regressor.jsonl`);
      await writeFile(path, ordered.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const warnings: string[] = [];
      await train(linearLearner, { predictor_type: 'regressor', num_models: 2 }, { train: path, epochs: 1, data: { format: 'jsonl', featureDim: 2 }, backend: 'cpu',
        onProgress: (e) => { if (e.phase === 'warning') warnings.push(String((e as { message?: string }).message)); } });
      return warnings;
    };
    const descending = await warningsOf('descending', [...rows].sort((a, b) => b.label - a.label));
    assert.equal(descending.length, 1, descending.join('\n'));
    assert.match(descending[0], /^linear-learner: the training rows came sorted by the label: of 2,997 neighbouring pairs with different labels, 2,997 fell \(about half do in random order; 3,000 rows\)\. .* Shuffle the rows: shuf the file, or train --shuffle-buffer 3$/);
    assert.deepEqual(await warningsOf('random', rows), []);
    // A stream in time order whose labels drift under noise is not sorted rows.
    assert.deepEqual(await warningsOf('drifting', rows.map((r, i) => ({ ...r, label: r.label + i / 1000 }))), []);
    // Few distinct labels, sorted: the ties say nothing, the 11 rises between them do.
    const steps = await warningsOf('steps', [...rows].sort((a, b) => a.label - b.label).map((r, i) => ({ ...r, label: Math.floor(i / 250) })));
    assert.match(steps[0] ?? '', /of 11 neighbouring pairs with different labels, 11 rose/);
  });

  it('without a validation channel, selects by progressive validation and says so', async () => {
    const result = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 4, mini_batch_size: 100, epochs: 1 },
      { train: join(root, 'train.csv'), backend: 'cpu' });
    assert.equal(result.model.data().scalars.selection_source, 'progressive validation on the training stream');
    assert.ok(result.metrics.train.progressive_binary_classification_accuracy > 0.85, JSON.stringify(result.metrics.train));
  });

  it('predicts a dense row in float64, as a sparse one: raw rows far from the origin or near float32\'s limit keep their scores', async () => {
    // Training sums a step's scores in float32 over centred, scaled rows; predictions see raw rows.
    // A multiclass model on N(0, 1)-like data, then a row with a 5e37 feature and rows offset by
    // 1e5: float32 sums gave NaN probabilities for the first and probabilities off by ~1e-2 for
    // the others; dense and sparse forms of the same rows must agree.
    const random = Random.fromSeed(11);
    const d = 6, rows = 600;
    const x = Float32Array.from({ length: rows * d }, () => random.nextGaussian());
    const y = Float32Array.from({ length: rows }, (_, r) => (x[r * d] > 0.5 ? 2 : x[r * d] > -0.5 ? 1 : 0));
    const state = await fit(stateFor({ predictor_type: 'multiclass_classifier', num_classes: 3, num_models: 2 }, d), [denseBatch(x, d, y)]);
    const model = await linearLearner.finalize(state, backend);
    const probe = Float32Array.from([3e38, 0, 0, 0, 0, 0, 1e5, 1e5 + 1, -1e5, 3, 1e5, -2]);
    const dense = await model.predict(denseBatch(probe, d));
    const sparse = await model.predict(toSparse(denseBatch(probe, d)));
    const scores = dense.score as Float32Array;
    assert.ok(scores.every(Number.isFinite), `dense scores ${Array.from(scores)}`);
    assert.deepEqual(Array.from(scores), Array.from(sparse.score as Float32Array));
    assert.deepEqual(Array.from(dense.predicted_label), Array.from(sparse.predicted_label));
    assert.equal(dense.predicted_label[0], 2, 'a huge first feature is class 2');
  });

  it('refuses a regressor\'s or hinge score past float32\'s range, naming the row (it was an infinite prediction, null in JSON)', async () => {
    const random = Random.fromSeed(12);
    const d = 3, rows = 400;
    const x = Float32Array.from({ length: rows * d }, () => random.nextGaussian());
    for (const [hp, label] of [[{ predictor_type: 'regressor' }, (r: number) => 4 * x[r * d] + x[r * d + 1]],
      [{ predictor_type: 'binary_classifier', loss: 'hinge_loss' }, (r: number) => (x[r * d] > 0 ? 1 : 0)]] as const) {
      const y = Float32Array.from({ length: rows }, (_, r) => label(r));
      const model = await linearLearner.finalize(await fit(stateFor({ ...hp, num_models: 1 }, d), [denseBatch(x, d, y)]), backend);
      const w = model.coefficients().weights[0];
      const probe = Float32Array.from([1, 0, 0, Math.sign(w) * 3e38, 0, 0]);
      await assert.rejects(model.predict(denseBatch(probe, d)), (error: Error) => {
        assert.match(error.message, /^linear-learner predict: row 1: its score of -?[0-9.]+e\+3[89] is past float32's range \(features or weights too large for a float32 prediction\)$/);
        return true;
      });
      assert.ok(Number.isFinite((await model.predict(denseBatch(probe.subarray(0, d), d))).score[0]));
      // predictOne as predict: it returned Infinity, and NaN for a NaN feature.
      assert.throws(() => model.predictOne(probe.subarray(d)), /^RangeError: linear-learner predictOne: its score of -?[0-9.]+e\+3[89] is past float32's range/);
      assert.throws(() => model.predictOne(Float32Array.of(NaN, 0, 0)), /^RangeError: linear-learner predictOne: feature 0 is NaN; features must be finite$/);
      // Not numbers: said as such (a string said as a bad number, undefined as JavaScript's own error).
      assert.throws(() => model.predictOne(['1', '0', '0'] as never), /^TypeError: linear-learner predictOne: feature 0 is the string "1"; features must be numbers$/);
      assert.throws(() => model.predictOne(undefined as never), /^TypeError: linear-learner predictOne: features must be a Float32Array \(or an array of numbers\) of 3, got undefined$/);
      assert.throws(() => model.predictOne(probe.subarray(0, d), 0.99 as never), /^TypeError: linear-learner predictOne: options must be an object such as \{ threshold: 0\.9 \}, got the number 0\.99$/);
      // A misspelt option ran with the default threshold.
      await assert.rejects(model.predict(denseBatch(probe.subarray(0, d), d), { thresold: 0.1 } as never),
        /^TypeError: linear-learner predict: unknown option 'thresold' \(predict takes threshold and distances\)$/);
    }
  });
});
