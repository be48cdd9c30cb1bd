// Threshold calibration and model selection from score histograms: fixed
// memory whatever the number of calibration rows (no scores are stored).
// Bin i of `bins` covers scores [−16 + 32·i/bins, −16 + 32·(i+1)/bins);
// "positive at bin i" means score ≥ the bin's lower edge.
import type { SelectionCriterion } from './settings.js';

export const histogramRange = 16;

export interface ConfusionPoint {
  /** Raw score at which rows count as positive. */
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface SelectionTargets {
  beta: number;
  targetPrecision: number;
  targetRecall: number;
}

export function binEdge(bin: number, bins: number): number {
  return -histogramRange + (2 * histogramRange * bin) / bins;
}

export function precisionOf(p: ConfusionPoint): number {
  return p.tp + p.fp > 0 ? p.tp / (p.tp + p.fp) : 0;
}

export function recallOf(p: ConfusionPoint): number {
  return p.tp + p.fn > 0 ? p.tp / (p.tp + p.fn) : 0;
}

export function accuracyOf(p: ConfusionPoint): number {
  const total = p.tp + p.fp + p.tn + p.fn;
  return total > 0 ? (p.tp + p.tn) / total : 0;
}

/** (1 + β²)·P·R / (β²·P + R); 0 when both are 0. */
export function fBetaOf(p: ConfusionPoint, beta: number): number {
  const precision = precisionOf(p);
  const recall = recallOf(p);
  const b2 = beta * beta;
  return precision + recall > 0 ? ((1 + b2) * precision * recall) / (b2 * precision + recall) : 0;
}

/** Area under the ROC curve, with rows in the same bin counted as ties (half). */
export function rocAucOf(negatives: ArrayLike<number>, positives: ArrayLike<number>): number {
  let negativesBelow = 0;
  let area = 0;
  let totalPositive = 0;
  for (let b = 0; b < negatives.length; b++) {
    area += positives[b] * (negativesBelow + 0.5 * negatives[b]);
    negativesBelow += negatives[b];
    totalPositive += positives[b];
  }
  return totalPositive > 0 && negativesBelow > 0 ? area / (totalPositive * negativesBelow) : NaN;
}

/** The criterion's value at a point; −∞ where a target is not met. */
export function criterionValue(criterion: SelectionCriterion, p: ConfusionPoint, targets: SelectionTargets): number {
  switch (criterion) {
    case 'accuracy': return accuracyOf(p);
    case 'f_beta': return fBetaOf(p, targets.beta);
    case 'precision_at_target_recall': return recallOf(p) >= targets.targetRecall ? precisionOf(p) : -Infinity;
    case 'recall_at_target_precision': return precisionOf(p) >= targets.targetPrecision ? recallOf(p) : -Infinity;
    case 'loss_function': return -Infinity;
  }
}

/** The point at a raw-score threshold: rows in bins whose lower edge is at or above it count as positive. */
export function pointAt(negatives: ArrayLike<number>, positives: ArrayLike<number>, threshold: number): ConfusionPoint {
  const bins = negatives.length;
  let tp = 0;
  let fp = 0;
  let edge = -1;
  for (let b = bins - 1; b >= 0 && binEdge(b, bins) >= threshold - 1e-12; b--) {
    tp += positives[b];
    fp += negatives[b];
    edge = b;
  }
  const [totalNegative, totalPositive] = [sum(negatives), sum(positives)];
  return { threshold: edge >= 0 ? binEdge(edge, bins) : threshold, tp, fp, tn: totalNegative - fp, fn: totalPositive - tp };
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

/**
 * The threshold that maximizes the criterion (ties go to the threshold nearest 0). loss_function
 * keeps the default threshold. Returns value −∞ when no threshold meets a target. One running
 * point, no object per bin: this runs for every model whenever metrics are read.
 */
export function calibrateThreshold(negatives: ArrayLike<number>, positives: ArrayLike<number>,
  criterion: SelectionCriterion, targets: SelectionTargets): { point: ConfusionPoint; value: number } {
  if (criterion === 'loss_function') return { point: pointAt(negatives, positives, 0), value: -Infinity };
  const bins = negatives.length;
  const [totalNegative, totalPositive] = [sum(negatives), sum(positives)];
  const point: ConfusionPoint = { threshold: 0, tp: 0, fp: 0, tn: totalNegative, fn: totalPositive };
  let bestBin = -1;
  let bestValue = -Infinity;
  for (let b = bins - 1; b >= 0; b--) {
    point.tp += positives[b];
    point.fp += negatives[b];
    point.tn = totalNegative - point.fp;
    point.fn = totalPositive - point.tp;
    point.threshold = binEdge(b, bins);
    const value = criterionValue(criterion, point, targets);
    if (value > bestValue || (value === bestValue && bestBin >= 0 && Math.abs(point.threshold) < Math.abs(binEdge(bestBin, bins)))) {
      bestBin = b;
      bestValue = value;
    }
  }
  return { point: pointAt(negatives, positives, bestBin >= 0 ? binEdge(bestBin, bins) : 0), value: bestValue };
}

/** Per-model sums over a channel (validation or the progressive training stream). */
export interface ModelSums {
  models: number;
  loss: ArrayLike<number>;
  weight: number;
  /** models × 2 × bins (binary). */
  histogram?: ArrayLike<number> & { subarray?(begin: number, end: number): ArrayLike<number> };
  bins: number;
  /** Σ w·(loss_m − loss_0)² per model and Σ w²: the test of each model against model 0. */
  lossDifferenceSq?: ArrayLike<number>;
  weightSq?: number;
}

/** Standard errors a model's mean loss must be below model 0's to be chosen over it (progressive selection). */
export const selectionStandardErrors = 2;

/**
 * The model with the lowest mean loss among model 0 and those whose loss is below model 0's by
 * more than `selectionStandardErrors` standard errors of the mean per-row difference (rows
 * weighted as in the sums, n = (Σw)²/Σw²). Model 0 is the user's settings: another of the grid
 * replaces it on evidence, not on noise (31 candidates on a few thousand rows).
 */
export function lowestLossModel(sums: ModelSums): number {
  const mean = (m: number) => sums.loss[m] / sums.weight;
  // A model whose loss is NaN or infinite (it diverged) is never kept over a finite one, nor tested against.
  const baselineFinite = Number.isFinite(mean(0));
  let best = 0;
  for (let m = 1; m < sums.models; m++) {
    if (!Number.isFinite(mean(m))) continue;
    if (!Number.isFinite(mean(best))) {
      best = m;
      continue;
    }
    if (!(mean(m) < mean(best))) continue;
    if (baselineFinite && sums.lossDifferenceSq && sums.weightSq) {
      const difference = mean(m) - mean(0);
      const variance = Math.max(0, sums.lossDifferenceSq[m] / sums.weight - difference * difference);
      const effectiveRows = (sums.weight * sums.weight) / sums.weightSq;
      if (!(difference + selectionStandardErrors * Math.sqrt(variance / effectiveRows) < 0)) continue;
    }
    best = m;
  }
  return best;
}

export interface ModelChoice {
  model: number;
  /** Raw-score threshold (binary). */
  threshold: number;
  /** The criterion's value for the chosen model (binary, not loss_function). */
  value: number;
  /** Mean loss of the chosen model. */
  loss: number;
  point?: ConfusionPoint;
}

function histogramsOf(sums: ModelSums, m: number): [ArrayLike<number>, ArrayLike<number>] {
  const h = sums.histogram as Float64Array;
  const base = m * 2 * sums.bins;
  return [h.subarray(base, base + sums.bins), h.subarray(base + sums.bins, base + 2 * sums.bins)];
}

/**
 * Binary: each model's best threshold for the criterion, then the model with the best value
 * (ties and loss_function: the lowest mean loss). Multiclass and regression: the lowest mean
 * loss. `only` restricts the choice to one model (a user's selection). `byLoss` picks the model
 * by mean loss and only then its threshold by the criterion: on progressive scores of a stream a
 * thresholded metric is flat and noisy across models where the loss still ranks them.
 */
export function chooseModel(sums: ModelSums, binary: boolean, criterion: SelectionCriterion,
  targets: SelectionTargets, only?: number, byLoss = false): ModelChoice {
  if (byLoss && only === undefined && sums.weight > 0) {
    return chooseModel(sums, binary, criterion, targets, lowestLossModel(sums));
  }
  let best: ModelChoice | undefined;
  const all = Array.from({ length: sums.models }, (_, m) => m);
  // Models whose loss diverged (NaN, ∞) are left out while any other has a finite loss.
  const finite = all.filter((m) => sums.weight > 0 && Number.isFinite(sums.loss[m] / sums.weight));
  const candidates = only !== undefined ? [only] : finite.length > 0 ? finite : all;
  for (const m of candidates) {
    const loss = sums.weight > 0 ? sums.loss[m] / sums.weight : NaN;
    let choice: ModelChoice = { model: m, threshold: 0, value: -Infinity, loss };
    if (binary && sums.histogram) {
      const [negatives, positives] = histogramsOf(sums, m);
      const { point, value } = calibrateThreshold(negatives, positives, criterion, targets);
      choice = { model: m, threshold: point.threshold, value, loss, point };
    }
    const better = !best
      || (binary && criterion !== 'loss_function' && choice.value > best.value)
      || ((!binary || criterion === 'loss_function' || choice.value === best.value) && choice.loss < best.loss)
      || (Number.isNaN(best.loss) && !Number.isNaN(choice.loss));
    if (better) best = choice;
  }
  return best!;
}

/**
 * Model m's threshold calibrated on its scores over the last whole pass (`histogram`: models × 2 ×
 * bins, last_pass_histogram), or undefined when that pass is empty or no threshold meets a target.
 * Without a validation channel, selection reads the first pass (its progressive scores are from a
 * model that had not seen the rows); the threshold that pass calibrates is for that weaker model's
 * scores, which later passes move (a bias drifting under heavy L2, scores following features far
 * from 0 with no bias to absorb them) until every final score fell on one side of it.
 */
export function lastPassThreshold(histogram: Float64Array | undefined, model: number, bins: number, criterion: SelectionCriterion,
  targets: SelectionTargets): number | undefined {
  if (!histogram || criterion === 'loss_function') return undefined;
  const base = model * 2 * bins;
  const [negatives, positives] = [histogram.subarray(base, base + bins), histogram.subarray(base + bins, base + 2 * bins)];
  if (!(sum(negatives) + sum(positives) > 0)) return undefined;
  const { point, value } = calibrateThreshold(negatives, positives, criterion, targets);
  return Number.isFinite(value) ? point.threshold : undefined;
}

/** Metrics of one model from its histogram at the chosen point (binary). */
export function binaryMetricsAt(sums: ModelSums, choice: ModelChoice, beta: number): Record<string, number> {
  const [negatives, positives] = histogramsOf(sums, choice.model);
  const point = choice.point ?? pointAt(negatives, positives, choice.threshold);
  return {
    objective_loss: choice.loss,
    binary_classification_accuracy: accuracyOf(point),
    binary_f_beta: fBetaOf(point, beta),
    precision: precisionOf(point),
    recall: recallOf(point),
    roc_auc_score: rocAucOf(negatives, positives),
  };
}
