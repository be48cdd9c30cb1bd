// Whether a training stream came in random order: the share of the rows'
// variance that lies between its batches. Shuffled, a batch's mean differs
// from the stream's by sampling noise alone and that share is about
// (batches − 1)/(rows − 1), one over the batch size; sorted by cluster or
// label, or drifting, whole batches sit apart and it is far larger. The
// moments (native/runtime/batch_order.h: Σw, rows, batches, Σ_b W_b‖m_b − s‖²,
// Σw‖x − s‖², the shift s, Σw(x − s), and how far the latest batch sat from
// the rows before it) are 3·dim + 24 float64s, added batch by
// batch off the event loop. A merge pools each shard's own statistic (its
// batches about its own mean): shards are trained apart (data-parallel
// workers, a merge round's fresh states), so the order that matters is the
// order within each.
import type { Batch } from '../data/batch.js';
import { loadCoreAddon } from '../backends/native-addon.js';

const slot = {
  weight: 0, rows: 1, batches: 2, between: 3, squares: 4, shifted: 5, lastShift: 6, lastRows: 7, sumNorm: 8,
  lastNovel: 9, novelBatches: 10, weightSquares: 11, batchRatio: 12,
  pooledBetween: 13, pooledTotal: 14, pooledExpected: 15, pooledDegrees: 16, pooledRows: 17, pooledShards: 18, pooledNovel: 19,
  // 20..23: the recent batches' weight, Σw², scale and ‖R‖² (native only); R follows the sums.
  shift: 24,
} as const;

/** The length of the moments array for rows of `dim` features. */
export function batchOrderLength(dim: number): number {
  return slot.shift + 3 * dim;
}

/** Adds a batch's rows into the moments (native, on a libuv thread for a large batch; checked as the unsupervised kernels check batches). */
export function addBatchOrder(moments: Float64Array, dim: number, batch: Batch): Promise<void> {
  return loadCoreAddon().addBatchOrder(moments, dim, batch);
}

/**
 * The stream's own scatter between batches and in all, each about the stream's mean, and what
 * random order would put between batches. With weights w (Σw = W, Σw² = Q, per batch W_b, Q_b), a
 * batch mean's variance is σ²·Q_b/W_b², so E[between] = σ²(Σ_b Q_b/W_b − Q/W) and E[total] =
 * σ²(W − Q/W): (batches − 1)/(rows − 1) of the total when every weight is 1.
 */
function ownScatter(moments: Float64Array, dim: number): { between: number; total: number; expected: number } {
  const weight = moments[slot.weight];
  if (!(weight > 0)) return { between: 0, total: 0, expected: 0 };
  let norm = 0;
  for (let j = 0; j < dim; j++) norm += moments[slot.shift + dim + j] ** 2;
  const centre = norm / weight;  // W‖μ − s‖²
  const total = Math.max(0, moments[slot.squares] - centre);
  const spread = weight - moments[slot.weightSquares] / weight;
  const expected = spread > 0 ? total * Math.max(0, moments[slot.batchRatio] - moments[slot.weightSquares] / weight) / spread : 0;
  return { between: Math.max(0, moments[slot.between] - centre), total, expected };
}

/**
 * Writes into `into` the parts' statistics pooled: each part's own stream counts as one shard, its
 * batches about its own mean, beside what the part had pooled itself. The merge's own stream starts
 * empty (a state trained on after the merge starts a new shard).
 */
export function mergeBatchOrder(into: Float64Array, parts: Float64Array[], dim: number): void {
  // The merge of one state is that state (the merge contract).
  if (parts.length === 1) {
    into.set(parts[0]);
    return;
  }
  const pooled = [0, 0, 0, 0, 0, 0, 0];
  for (const part of parts) {
    const own = ownScatter(part, dim);
    const ownShards = part[slot.batches] > 0 ? 1 : 0;
    pooled[0] += part[slot.pooledBetween] + own.between;
    pooled[1] += part[slot.pooledTotal] + own.total;
    pooled[2] += part[slot.pooledExpected] + own.expected;
    pooled[3] += part[slot.pooledDegrees] + Math.max(0, part[slot.batches] - 1);
    pooled[4] += part[slot.pooledRows] + part[slot.rows];
    pooled[5] += part[slot.pooledShards] + ownShards;
    pooled[6] += part[slot.pooledNovel] + part[slot.novelBatches];
  }
  into.fill(0);
  into.set(pooled, slot.pooledBetween);
}

/** What the moments say: the share of the variance between batches, against what random order gives. */
export interface BatchOrder {
  /** Batches beyond each shard's first, over all shards (the statistic's degrees of freedom). */
  degrees: number;
  rows: number;
  /** Shards (the stream, or the streams merged). */
  shards: number;
  /** Between-batch scatter over total scatter, each about its shard's mean, in [0, 1]. */
  share: number;
  /** The share's expected value when each shard's rows come in random order: (batches − 1)/(rows − 1) for one shard of rows of weight 1. */
  shuffledShare: number;
  /** Batches that sat far from the rows before them (isNovelBatch), over all shards. */
  novelBatches: number;
}

/** The statistic, or undefined without two batches in some shard, or without spread. */
export function batchOrderOf(moments: Float64Array, dim: number): BatchOrder | undefined {
  const own = ownScatter(moments, dim);
  const streaming = moments[slot.batches] > 0 ? 1 : 0;
  const degrees = moments[slot.pooledDegrees] + Math.max(0, moments[slot.batches] - 1);
  const rows = moments[slot.pooledRows] + moments[slot.rows];
  const shards = moments[slot.pooledShards] + streaming;
  const between = moments[slot.pooledBetween] + own.between;
  const total = moments[slot.pooledTotal] + own.total;
  const expected = moments[slot.pooledExpected] + own.expected;
  const squares = moments[slot.pooledTotal] + moments[slot.squares];
  if (degrees < 1 || rows - shards < 2) return undefined;
  // Rounding can leave a few ulps of a zero spread: all rows one point has no order to judge.
  if (!(total > 1e-12 * squares) || !(expected > 0)) return undefined;
  const novelBatches = moments[slot.pooledNovel] + moments[slot.novelBatches];
  return { degrees, rows, shards, share: Math.min(1, between / total), shuffledShare: expected / total, novelBatches };
}

/**
 * The ratio of the between-batch share to its random-order value that random order exceeds less
 * than once in 10⁶ runs: the share over its expectation is about χ²/degrees of freedom (one degree
 * per batch beyond each shard's first, at least), whose 10⁻⁶ quantile Wilson and Hilferty's cube
 * approximation gives (27 at one degree, 11 at three, 1.8 at a hundred); never below 2, since
 * heavy-tailed rows widen it.
 */
export function sortedRatio(degrees: number): number {
  const z = 4.75;  // the normal quantile at 1 − 10⁻⁶
  const v = 2 / (9 * degrees);
  return Math.max(2, (1 - v + z * Math.sqrt(v)) ** 3);
}

/**
 * Whether the stream is far from random order: the between-batch share at least `minShare` of the
 * variance (a slow drift that the algorithm follows well, detectable at large batches, does not
 * count) and more than random order gives it once in 10⁶ runs (sortedRatio).
 */
export function looksSorted(order: BatchOrder | undefined, minShare: number): boolean {
  return order !== undefined && order.share >= minShare && order.share >= sortedRatio(order.degrees) * order.shuffledShare;
}

/**
 * Whether the latest batch added sits far from the rows before it (native/runtime/batch_order.h
 * kOrderLastNovel): its mean at least 0.22 within-batch standard deviations from the earlier rows'
 * mean or the recent batches' (each weighing half the next), and 200× its sampling noise.
 */
export function isNovelBatch(moments: Float64Array): boolean {
  return moments[slot.lastNovel] === 1;
}
