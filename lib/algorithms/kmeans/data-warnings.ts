// What k-means says after its first pass about data it trained on but may
// have fitted less well: rows that came sorted (by cluster, say) or drifting.
// Streaming centres are placed on the first batches and move towards later
// rows only as far as their weight lets them; batches far from the rows before
// them get centres of their own (native kmeans_novelty.h), and the user is told
// that the order was not random and what was done about it.
import { batchOrderOf, looksSorted } from '../batch-order.js';
import type { State } from '../types.js';
import type { KmeansHyperparameters } from './hyperparameters.js';

/**
 * The least share of the rows' variance between batches that is worth a warning (sparse rows in 16
 * clusters of disjoint features, sorted by cluster, measured 7–8%: most of their variance lies within
 * clusters). Measured on
 * 8 clusters sorted by cluster (20,000 rows, 5 features, batches of 5,000): share 0.39 (msd 541
 * against 5.0 shuffled before sorted batches got centres of their own); shuffled streams measure
 * about 1/mini_batch_size.
 */
const sortedShare = 0.05;

/** 39%, 8.2%, 0.015%: two significant digits below 10%, whole percents above. */
function percent(x: number): string {
  const p = 100 * x;
  return `${p >= 10 ? p.toFixed(0) : p >= 0.01 ? p.toPrecision(2) : p.toExponential(1)}%`;
}

export function kmeansDataWarnings(state: State<KmeansHyperparameters>): string[] {
  const moments = state.tensors.batch_order?.data as Float64Array | undefined;
  if (!moments) return [];
  const order = batchOrderOf(moments, state.schema.featureDim);
  if (!looksSorted(order, sortedShare)) return [];
  // With forgetting inside the stream the user expects drift, and the centres follow it by design; a
  // half-life longer than the rows seen forgets nothing.
  const halfLife = state.hyperparameters.half_life_time_size;
  if (halfLife > 0 && halfLife < order.rows) return [];
  const batches = order.degrees + order.shards;
  const perBatch = Math.round(order.rows / batches);
  const reseeds = (state.tensors.counters.data as Float64Array)[2];  // kmeansCounter.reseeds (index.ts), native kmeans.h kReseeds
  return [`kmeans: the training rows came sorted or drifting, not in random order: ${percent(order.share)} of their variance lies ` +
    `between batches, against about ${percent(order.shuffledShare)} for rows in random order (${batches} batches of about ` +
    `${perBatch.toLocaleString('en-US')} rows). Batches far from the rows before them had streaming centres moved onto their rows ` +
    `(reseeds=${reseeds}), which on rows sorted by cluster gave the shuffled rows' cost; streaming k-means is still at its best on ` +
    `rows in random order: shuffle them (train --shuffle-buffer ${batches} keeps ${batches} batches, these rows, and draws from them; ` +
    'or shuf the file), or set half_life_time_size below the rows if the data drifts and the model should follow it'];
}
