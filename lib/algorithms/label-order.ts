// Whether a classifier's training rows came sorted or grouped by class. Two signs, each measured
// against what random order gives: neighbouring rows in a batch of one class more often than any
// two rows are (a file of one batch, sorted: R's infert, its cases first), and batches whose class
// mix differs far beyond sampling noise (sorted rows that a small shuffle buffer mixed only
// locally; a shuffled file with a run of one class appended). The sums
// (native/runtime/batch_order.h LabelOrderSlot: labels, neighbouring pairs, pairs of one class,
// batches, Σ_b Σ_c n_bc²/n_b) are 5 float64s added batch by batch off the event loop; shards' sums
// add. The class totals come from the caller (the linear learner's class_counts).
import type { Batch } from '../data/batch.js';
import { loadCoreAddon } from '../backends/native-addon.js';

export const labelOrderLength = 5;

const slot = { rows: 0, pairs: 1, samePairs: 2, batches: 3, batchSquares: 4 } as const;

/** Pairs below which the neighbours say nothing worth a warning. */
const leastPairs = 20;

/** Adds a batch's labels into the sums (native, on a libuv thread for a large batch). */
export function addLabelOrder(moments: Float64Array, batch: Batch): Promise<void> {
  return loadCoreAddon().addLabelOrder(moments, batch);
}

export interface LabelOrder {
  rows: number;
  batches: number;
  /** Share of neighbouring pairs of one class, and what random order gives (Σ_c p_c²). */
  same: number;
  chance: number;
  /** Agreement of neighbours beyond chance: 0 in random order, 1 sorted; undefined with too few pairs. */
  agreement?: number;
  /** Share of the labels' (one-hot) scatter between batches, and about what random order gives. */
  between: number;
  expected: number;
}

/** The statistics, from the sums and the class totals (`classCounts[c]`: rows of class c); undefined with one class or none. */
export function labelOrderOf(moments: Float64Array, classCounts: ArrayLike<number>): LabelOrder | undefined {
  let total = 0, squares = 0;
  for (let c = 0; c < classCounts.length; c++) {
    total += classCounts[c];
    squares += classCounts[c] * classCounts[c];
  }
  const rows = moments[slot.rows], pairs = moments[slot.pairs], batches = moments[slot.batches];
  if (!(total > 0) || !(rows > 1)) return undefined;
  const chance = squares / (total * total);
  if (!(chance < 1)) return undefined;
  const same = pairs > 0 ? moments[slot.samePairs] / pairs : 0;
  const agreement = pairs >= leastPairs ? (same - chance) / (1 - chance) : undefined;
  const scatter = rows * (1 - chance);
  const between = Math.max(0, moments[slot.batchSquares] - rows * chance) / scatter;
  return { rows, batches, same, chance, agreement, between, expected: Math.max(0, batches - 1) / (rows - 1) };
}

/** Neighbours agreeing beyond chance above this: sorted (infert 0.99; runs of 5 rows a class 0.6, which trained as shuffled rows do). */
const sortedAgreement = 0.9;
/** Between-batch share above this, and 10× what random order gives: batches of one class. */
const sortedBetween = 0.05;

/** Whether the statistics say sorted or grouped by class. */
export function looksSortedByClass(order: LabelOrder): boolean {
  const neighbours = order.agreement !== undefined && order.agreement > sortedAgreement;
  const batches = order.batches >= 2 && order.between > sortedBetween && order.between > 10 * order.expected;
  return neighbours || batches;
}

/**
 * A regressor's labels in the order they came (native/runtime/batch_order.h LabelRunSlot: rows,
 * neighbouring pairs that rise, that fall; ties neither), added batch by batch off the event loop.
 * Rows sorted by the label all rise (or all fall); in random order about half of the pairs rise,
 * and so do the pairs of a stream in time order whose labels drift with noise, which is not sorted.
 */
export const labelRunsLength = 3;

export function addLabelRuns(moments: Float64Array, batch: Batch): Promise<void> {
  return loadCoreAddon().addLabelRuns(moments, batch);
}

/**
 * Sorted: the larger of rises and falls beyond chance (a sign test: z ≥ 3.3, p ≈ 1e-3 two-sided, so
 * 11 untied pairs all one way, or 26 of 30), and the smaller at most a quarter of them (a long
 * stream whose labels only lean one way, 52% of a million pairs, is not sorted rows). R's trees in
 * published order (by girth): 26 of 30 rise.
 */
const sortedZ = 3.3;
const sortedShare = 0.25;

export interface LabelRuns { rows: number; rises: number; falls: number }

export function labelRunsOf(moments: Float64Array): LabelRuns {
  return { rows: moments[0], rises: moments[1], falls: moments[2] };
}

/** Whether the labels came sorted (rising or falling) within their batches. */
export function looksSortedByValue(runs: LabelRuns): boolean {
  const untied = runs.rises + runs.falls;
  if (!(untied > 0)) return false;
  const z = (Math.max(runs.rises, runs.falls) - untied / 2) / Math.sqrt(untied / 4);
  return z >= sortedZ && Math.min(runs.rises, runs.falls) <= sortedShare * untied;
}
