// What k-means says after its first pass about data it trained on but may
// have fitted less well: rows that came sorted (by cluster, say) or drifting.
// Streaming centres are placed on the first batches and move towards later
// rows only as far as their weight lets them; batches far from the rows before
// them get centres of their own (native kmeans_novelty.h), and the user is told
// that the order was not random and what was done about it.
import { batchOrderOf, looksSorted } from '../batch-order.js';
import type { Selection, State } from '../types.js';
import { autoCenterFactor, resolveKmeans } from './settings.js';
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

/**
 * The order and few-batches warnings after training; with a selection of k (select), the one about
 * a k the state summarises coarsely instead of the latter.
 */
export function kmeansDataWarnings(state: State<KmeansHyperparameters>, selection?: Selection): string[] {
  return [...orderWarnings(state), ...(selection ? summaryWarnings(state, selection) : fewBatchesWarnings(state))];
}

/** Rows below which a pass of few batches is not worth a word: smaller batches would hold a row or two. */
const leastRowsForAdvice = 20;

/**
 * A first pass of one or two batches: streaming k-means moves each centre once a batch, so a small
 * file under the default mini_batch_size (5,000) gave a model far from fitted without a word
 * (breast cancer's 455 rows, k = 10: msd 18,110, 19% above the best of 100 k-means++ runs of
 * Lloyd's, 15,246; in batches of 100, 16,408: 8%). Said after the first pass of a fresh state.
 */
function fewBatchesWarnings(state: State<KmeansHyperparameters>): string[] {
  const batches = Number(state.scalars.batches_seen), rows = Number(state.scalars.examples_seen);
  if (!(batches >= 1 && batches <= 2) || !(rows >= leastRowsForAdvice)) return [];
  const size = Math.floor(rows / 10);
  return [`kmeans: the first pass read its ${rows.toLocaleString('en-US')} rows in ${batches === 1 ? 'one batch' : 'two batches'} ` +
    `(mini_batch_size ${state.hyperparameters.mini_batch_size}): streaming k-means moves each centre once a batch, so the centres, and the model ` +
    'reduced from them, are far from fitted (breast cancer, k=10: msd 19% above the best of 100 k-means++ runs of Lloyd\'s, against 8% in ' +
    `batches of 100). Lower mini_batch_size (to about ${size.toLocaleString('en-US')}: ten batches a pass)`];
}

/**
 * A model for a k above the state's own: made from the K weighted centres that k was given, which
 * are fewer per cluster than training at the larger k keeps (R's USArrests: k = 6 from a k = 2 state's
 * 20 centres cost 8.2% more than R's best, which training at k = 6, with 60, matched exactly).
 */
function summaryWarnings(state: State<KmeansHyperparameters>, selection?: Selection): string[] {
  const k = Number(selection?.k);
  const trained = state.hyperparameters.k;
  if (!Number.isSafeInteger(k) || !(k > trained)) return [];
  const held = resolveKmeans(state.hyperparameters, state.schema).centers;
  const wanted = k * autoCenterFactor(k);
  if (held >= wanted) return [];
  // A state of a batch or two: its centres sit near the rows they were seeded on, and a larger k
  // from them cost far more than 8.2% (breast cancer, 455 rows in one batch: k = 10 from a k = 3
  // state 138% more than the best of 200 k-means++ runs; within 30% with mini_batch_size 50).
  const batches = Number(state.scalars.batches_seen ?? 0);
  const few = batches <= 2 ? ` The state saw ${batches === 1 ? 'one batch' : `${batches} batches`} of rows, so each centre was moved ` +
    `${batches === 1 ? 'once' : 'at most twice'}, and the model can cost several times more: a smaller mini_batch_size makes more batches of the same rows.` : '';
  return [`kmeans: the model for k=${k} is reduced from the state's ${held.toLocaleString('en-US')} weighted centres (it was trained with ` +
    `k=${trained}), where training with k=${k} keeps ${wanted.toLocaleString('en-US')}: fewer centres a cluster summarise the rows more ` +
    `coarsely (R's USArrests: k=6 from a k=2 state cost 8.2% more than training at k=6, which matched R's best).${few} For the best model at k=${k}, ` +
    `train with k=${k}, or with a larger extra_center_factor`];
}

function orderWarnings(state: State<KmeansHyperparameters>): string[] {
  const moments = state.tensors.batch_order?.data as Float64Array | undefined;
  if (!moments) return [];
  const order = batchOrderOf(moments, state.schema.featureDim);
  if (!order) return [];
  const sorted = looksSorted(order, sortedShare);
  // One far batch alone can be chance among thousands of small ones from a lumpy mixture (1 in 2,000
  // batches of 10 rows from 8 far-apart clusters, shuffled), or one outlier: two are an order.
  const novel = order.novelBatches >= 2;
  if (!sorted && !novel) return [];
  // With forgetting inside the stream the user expects drift, and the centres follow it by design; a
  // half-life longer than the rows seen forgets nothing.
  const halfLife = state.hyperparameters.half_life_time_size;
  if (halfLife > 0 && halfLife < order.rows) return [];
  const batches = order.degrees + order.shards;
  const seen = `${order.rows.toLocaleString('en-US')} rows in ${batches.toLocaleString('en-US')} batches`;
  const reseeds = (state.tensors.counters.data as Float64Array)[2];  // kmeansCounter.reseeds (index.ts), native kmeans.h kReseeds
  const said = [
    ...(sorted ? [`the training rows came sorted or drifting, not in random order: ${percent(order.share)} of their variance lies between ` +
      `batches, against about ${percent(order.shuffledShare)} for rows in random order (${seen})`] : []),
    ...(novel ? [`${order.novelBatches.toLocaleString('en-US')} batch${order.novelBatches === 1 ? '' : 'es'} sat far from the ` +
      `rows before ${order.novelBatches === 1 ? 'it' : 'them'} (a cluster first seen late, outliers, or a jump), and ${reseeds.toLocaleString('en-US')} ` +
      'streaming centres in all were moved onto rows (reseeds) so that such rows have centres of their own'] : []),
  ];
  return [`kmeans: ${said.join('; ')}. Streaming k-means places its centres as the rows come, and on rows sorted by cluster its model ` +
    'can still cost several times what the same rows shuffled give: shuffle them (train --shuffle-buffer ' +
    `${batches} keeps ${batches} batches, ${sorted ? 'these rows' : 'all the rows'}, and draws from them; or shuf the file), or set ` +
    'half_life_time_size below the rows if the data drifts and the model should follow it'];
}
