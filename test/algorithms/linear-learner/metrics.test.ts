// Selection and metric arithmetic against hand-checked values.
import assert from 'node:assert/strict';
import { calibrateThreshold, chooseModel, fBetaOf, rocAucOf, binEdge } from '../../../lib/algorithms/linear-learner/selection.js';
import { createBackend, denseBatch, linearLearner, parseHyperparameters, LinearLearnerModel, tensor, type Backend } from '../../../lib/index.js';

/** Histograms of `bins` bins from (score, label) pairs. */
function histograms(pairs: [number, number][], bins: number): [Float64Array, Float64Array] {
  const negatives = new Float64Array(bins);
  const positives = new Float64Array(bins);
  for (const [score, label] of pairs) {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(((score + 16) / 32) * bins)));
    (label === 1 ? positives : negatives)[bin]++;
  }
  return [negatives, positives];
}

/** Exact AUC: the share of (positive, negative) pairs ordered right, ties half. */
function exactAuc(pairs: [number, number][]): number {
  let right = 0;
  let total = 0;
  for (const [sp, lp] of pairs) {
    if (lp !== 1) continue;
    for (const [sn, ln] of pairs) {
      if (ln !== 0) continue;
      right += sp > sn ? 1 : sp === sn ? 0.5 : 0;
      total++;
    }
  }
  return right / total;
}

describe('linear learner: selection arithmetic', () => {
  // Ten rows; scores chosen so that bins of width 32/32 = 1 separate them.
  const pairs: [number, number][] = [
    [-3.5, 0], [-2.5, 0], [-1.5, 1], [-0.5, 0], [0.5, 1], [0.5, 0], [1.5, 1], [2.5, 1], [3.5, 0], [4.5, 1],
  ];

  it('computes ROC AUC from histograms as the exact pairwise count (no ties inside a bin)', () => {
    const [n, p] = histograms(pairs.filter(([s]) => s !== 0.5), 32);
    const exact = exactAuc(pairs.filter(([s]) => s !== 0.5));
    assert.equal(rocAucOf(n, p), exact);
    // Hand count: positives at -1.5, 1.5, 2.5, 4.5 over negatives at -3.5, -2.5, -0.5, 3.5 → 2+3+3+4 = 12 of 16.
    assert.equal(exact, 12 / 16);
  });

  it('counts rows in one bin as ties, like the pairwise definition', () => {
    const [n, p] = histograms(pairs, 32);
    assert.equal(rocAucOf(n, p), exactAuc(pairs));
    // Positives over negatives below (ties half): 2 + 3.5 + 4 + 4 + 5 = 18.5 of 25.
    assert.equal(exactAuc(pairs), 18.5 / 25);
  });

  it('F-beta: hand-checked values', () => {
    // tp 3, fp 1, fn 2: P = 0.75, R = 0.6. F1 = 2PR/(P+R) = 0.9/1.35 = 2/3; F2 = 5PR/(4P+R) = 2.25/3.6 = 0.625.
    const point = { threshold: 0, tp: 3, fp: 1, tn: 4, fn: 2 };
    assert.ok(Math.abs(fBetaOf(point, 1) - 2 / 3) < 1e-12);
    assert.ok(Math.abs(fBetaOf(point, 2) - 0.625) < 1e-12);
    assert.equal(fBetaOf({ threshold: 0, tp: 0, fp: 0, tn: 5, fn: 5 }, 1), 0);
  });

  it('calibrates the threshold each criterion asks for', () => {
    const [n, p] = histograms(pairs, 32);
    const targets = { beta: 1, targetPrecision: 0.8, targetRecall: 0.8 };
    // Accuracy 0.7 is reached at edges 1, 0 and -2 (tp 3 tn 4; tp 4 tn 3; tp 5 tn 2): ties go to the edge nearest 0.
    const accuracy = calibrateThreshold(n, p, 'accuracy', targets);
    assert.equal(accuracy.value, 0.7);
    assert.equal(accuracy.point.threshold, binEdge(16, 32));
    // Recall ≥ 0.8 needs 4 of 5 positives: from 0.5 up gives tp 4, fp 2 → precision 2/3; that is the best.
    const precisionAtRecall = calibrateThreshold(n, p, 'precision_at_target_recall', targets);
    assert.ok(Math.abs(precisionAtRecall.value - 2 / 3) < 1e-12);
    assert.equal(precisionAtRecall.point.threshold, 0);
    // Precision ≥ 0.8 is reached only at 4.5 alone (1/1) → recall 0.2... or from 1.5 up: tp 3, fp 1 → 0.75 < 0.8.
    const recallAtPrecision = calibrateThreshold(n, p, 'recall_at_target_precision', targets);
    assert.ok(Math.abs(recallAtPrecision.value - 0.2) < 1e-12);
  });

  it('chooses the model with the best criterion, then the lowest loss', () => {
    const bins = 32;
    const [n1, p1] = histograms([[-1, 0], [1, 1], [2, 0]], bins);
    const [n2, p2] = histograms([[-1, 0], [1, 1], [2, 1]], bins);
    const histogram = new Float64Array(3 * 2 * bins);
    histogram.set(n1, 0); histogram.set(p1, bins);
    histogram.set(n2, 2 * bins); histogram.set(p2, 3 * bins);
    histogram.set(n2, 4 * bins); histogram.set(p2, 5 * bins);
    const sums = { models: 3, loss: [1, 2, 1.5], weight: 3, histogram, bins };
    const targets = { beta: 1, targetPrecision: 0.8, targetRecall: 0.8 };
    const byAccuracy = chooseModel(sums, true, 'accuracy', targets);
    assert.equal(byAccuracy.model, 2); // models 1 and 2 are perfect; 2 has the lower loss
    assert.equal(chooseModel(sums, true, 'loss_function', targets).model, 0);
    assert.equal(chooseModel(sums, false, 'accuracy', targets).model, 0);
    assert.equal(chooseModel(sums, true, 'accuracy', targets, 1).model, 1);
  });
});

describe('linear learner: model evaluation', () => {
  let backend: Backend;
  before(async () => { backend = await createBackend('cpu'); });
  after(() => backend.dispose());

  /** A one-feature model score = x (weights [1], bias 0). */
  function identityModel(predictor: string, extra: Record<string, unknown> = {}) {
    const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type: predictor, ...extra });
    return new LinearLearnerModel({
      algorithm: 'linear-learner', hyperparameters: hp, schema: { featureDim: 1, labelSize: 1 },
      tensors: { weights: tensor(Float32Array.of(1), [1, 1]), bias: tensor(Float32Array.of(0)) },
      scalars: { predictor_type: predictor, loss: predictor === 'binary_classifier' ? 'logistic' : 'squared_loss', num_classes: 1, threshold: 0 },
    }, backend);
  }

  it('binary: accuracy, precision, recall, F1, AUC and log loss of known scores', async () => {
    const pairs: [number, number][] = [[-3.5, 0], [-2.5, 0], [-1.5, 1], [-0.5, 0], [0.5, 1], [1.5, 1], [2.5, 1], [3.5, 0], [4.5, 1]];
    const evaluator = linearLearner.createEvaluator!(identityModel('binary_classifier'));
    await evaluator.add(denseBatch(Float32Array.from(pairs, ([s]) => s), 1, Float32Array.from(pairs, ([, y]) => y)));
    const result = evaluator.result();
    // At threshold 0: tp 4 (0.5, 1.5, 2.5, 4.5), fp 1 (3.5), tn 3, fn 1 (-1.5).
    assert.ok(Math.abs(result.binary_classification_accuracy - 7 / 9) < 1e-12);
    assert.ok(Math.abs(result.precision - 0.8) < 1e-12);
    assert.ok(Math.abs(result.recall - 0.8) < 1e-12);
    assert.ok(Math.abs(result.binary_f_beta - 0.8) < 1e-12);
    assert.ok(Math.abs(result.roc_auc_score - exactAuc(pairs)) < 1e-12);
    const logLoss = pairs.reduce((sum, [s, y]) => sum + Math.log1p(Math.exp(-s)) + (1 - y) * s, 0) / pairs.length;
    assert.ok(Math.abs(result.objective_loss - logLoss) < 1e-6, `${result.objective_loss} vs ${logLoss}`);
  });

  it('regression: mse, rmse and absolute loss', async () => {
    const evaluator = linearLearner.createEvaluator!(identityModel('regressor'));
    await evaluator.add(denseBatch(Float32Array.of(1, 2, 3, 4), 1, Float32Array.of(1, 1, 5, 4)));
    const result = evaluator.result();
    assert.deepEqual(result, { objective_loss: 5 / 4, mse: 5 / 4, rmse: Math.sqrt(5 / 4), absolute_loss: 3 / 4 });
  });

  it('multiclass: accuracy, top-k, macro precision/recall/F1 and DCG', async () => {
    const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type: 'multiclass_classifier', num_classes: 3, accuracy_top_k: 2 });
    // Scores = the three features themselves.
    const model = new LinearLearnerModel({
      algorithm: 'linear-learner', hyperparameters: hp, schema: { featureDim: 3, labelSize: 1 },
      tensors: { weights: tensor(Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1), [3, 3]), bias: tensor(new Float32Array(3)) },
      scalars: { predictor_type: 'multiclass_classifier', loss: 'softmax_loss', num_classes: 3, threshold: 0 },
    }, backend);
    const evaluator = linearLearner.createEvaluator!(model);
    // Rows: predicted 0 (label 0), predicted 1 (label 0, class 0 second), predicted 2 (label 1, class 1 third), predicted 2 (label 2).
    const x = Float32Array.of(3, 2, 1, 2, 3, 1, 1, 0, 2, 0, 1, 2);
    await evaluator.add(denseBatch(x, 3, Float32Array.of(0, 0, 1, 2)));
    const r = evaluator.result();
    assert.equal(r.multiclass_accuracy, 0.5);
    assert.equal(r.multiclass_top_k_accuracy, 0.75);
    // Per class: 0: P 1/1, R 1/2; 1: P 0/1, R 0/1; 2: P 1/2, R 1/1.
    assert.ok(Math.abs(r.macro_precision - 0.5) < 1e-12);
    assert.ok(Math.abs(r.macro_recall - 0.5) < 1e-12);
    assert.ok(Math.abs(r.macro_f_beta - (2 / 3 + 0 + 2 / 3) / 3) < 1e-12);
    assert.ok(Math.abs(r.dcg - (1 + 1 / Math.log2(3) + 0.5 + 1) / 4) < 1e-12);
  });
});
