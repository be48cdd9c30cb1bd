// Whether a classifier's training rows came sorted or grouped by class: the correlation of each
// label with the one before it in its batch. In random order a row's neighbour is as alike as any
// other row (correlation about 0, give or take 1/√rows); sorted by class nearly every neighbour
// has the same label (about 1). The sums (native/runtime/batch_order.h LabelOrderSlot: labels, Σy,
// Σy², pairs, Σ y_i·y_{i−1}, Σ (y_i + y_{i−1})) are 6 float64s added batch by batch off the event
// loop; shards' sums add.
import type { Batch } from '../data/batch.js';
import { loadCoreAddon } from '../backends/native-addon.js';

export const labelOrderLength = 6;

const slot = { rows: 0, sum: 1, squares: 2, pairs: 3, products: 4, pairSums: 5 } as const;

/** Neighbouring pairs below which the correlation says nothing worth a warning. */
const leastPairs = 20;

/** Adds a batch's labels into the sums (native, on a libuv thread for a large batch). */
export function addLabelOrder(moments: Float64Array, batch: Batch): Promise<void> {
  return loadCoreAddon().addLabelOrder(moments, batch);
}

/** The labels' lag-1 correlation within batches; undefined with too few pairs or one label value. */
export function neighbourCorrelation(moments: Float64Array): number | undefined {
  const rows = moments[slot.rows], pairs = moments[slot.pairs];
  if (!(pairs >= leastPairs)) return undefined;
  const mean = moments[slot.sum] / rows;
  const variance = moments[slot.squares] / rows - mean * mean;
  if (!(variance > 1e-12 * Math.max(1, mean * mean))) return undefined;
  const covariance = (moments[slot.products] - mean * moments[slot.pairSums]) / pairs + mean * mean;
  return covariance / variance;
}

/** Labels seen in the sums. */
export function labelsSeen(moments: Float64Array): number {
  return moments[slot.rows];
}
