// How much of a stream's variance lies between its batches: the moments that tell a shuffled
// stream (each batch a random draw: the batch means differ by sampling noise alone) from one
// sorted or drifting (whole batches sit apart). Fixed memory, 3·dim + 24 doubles, added to batch
// by batch; the statistic itself is computed from them in lib/algorithms/batch-order.ts.
#pragma once

#include <cstddef>

#include "runtime/batch_view.h"

namespace boundless {

// The layout of the moments array (float64, BatchOrderLength(dim)). The sums are about a shift s
// (dense rows: the first row seen; sparse rows: 0, which keeps absent entries free) so that data
// far from the origin keeps its digits.
enum BatchOrderSlot : size_t {
  kOrderWeight = 0,         // Σw over the rows
  kOrderRows,               // rows of weight > 0
  kOrderBatches,            // batches with Σw > 0
  kOrderBetween,            // Σ_b W_b ‖m_b − s‖² (m_b the batch's weighted mean)
  kOrderSquares,            // Σ w ‖x − s‖²
  kOrderShifted,            // 1 once s is set
  // The latest batch against the rows before it: ‖m_b − μ‖² / σ² (μ, σ² the earlier rows' mean
  // and variance, summed over features; 0 for a first batch, +inf after rows all one point), and
  // its rows. A batch of new rows (a cluster that had not appeared) sits far from μ.
  // Its rows count as W_b²/Σw² (its effective size: rows of unequal weight count less), what the
  // shift's sampling noise is measured against.
  kOrderLastShift, kOrderLastRows,
  kOrderSumNorm,            // ‖Σ w (x − s)‖², kept as the sums grow (a sparse batch touches only its entries)
  // Whether the latest batch is far from the rows before it (0 or 1): its mean at least 0.22 standard
  // deviations (of the rows within a batch) from the earlier rows' mean, or from the recent batches',
  // and far beyond sampling noise (the squared distance over its noise ≥ 200; about 1 in random
  // order) — where a cluster first appears in input sorted by cluster, an outlier, or a jump; and
  // how many batches were.
  kOrderLastNovel, kOrderNovelBatches,
  kOrderWeightSquares,      // Σw² over the rows
  kOrderBatchRatio,         // Σ_b (Σ_{r∈b} w_r²) / W_b: with the above, what random order puts between batches
  // Slots kOrderPooledBetween .. kOrderPooledShards hold merged shards' own statistics
  // (lib/algorithms/batch-order.ts mergeBatchOrder); this file leaves them alone.
  kOrderPooledBetween, kOrderPooledTotal, kOrderPooledExpected, kOrderPooledDegrees, kOrderPooledRows, kOrderPooledShards,
  kOrderPooledNovel,
  // The recent batches, each weighing half the one after it: their Σw, Σw², and Σ w (x − s) kept as
  // R / scale (R at kOrderShift + 2·dim; scale shrinks by half a batch, so a sparse batch touches only
  // its entries) with ‖R‖². A cluster that first appears between earlier ones moves the mean of all
  // rows little but sits far from the recent batches' mean.
  kOrderRecentWeight, kOrderRecentWeightSquares, kOrderRecentScale, kOrderRecentNorm,
  kOrderShift,              // s: dim values from here, then Σ w (x − s): dim values, then R: dim values
};

inline size_t BatchOrderLength(size_t dim) { return kOrderShift + 3 * dim; }

// Adds a (validated) batch's rows into `moments`. Deterministic: one thread, rows in order.
void AddBatchOrder(const BatchView& batch, size_t dim, double* moments);

// The order of a classifier's labels (class indices): a stream sorted or grouped by class has
// neighbouring rows of one class, and batches of one class, where rows in random order have
// neighbours as alike as any two rows and batches that differ by sampling noise alone. Additive
// (shards' arrays add up); the statistics are computed from them in lib/algorithms/label-order.ts.
enum LabelOrderSlot : size_t {
  kLabelRows = 0,      // labels seen
  kLabelPairs,         // neighbouring pairs within a batch
  kLabelSamePairs,     // of them, pairs of one class
  kLabelBatches,       // batches with rows
  kLabelBatchSquares,  // Σ_b (Σ_c n_bc²) / n_b: with the class totals, the labels' scatter between batches
  kLabelOrderLength,
};

// Adds a batch's labels (it must have them) into `moments` (kLabelOrderLength doubles).
void AddLabelOrder(const BatchView& batch, double* moments);

// A regressor's labels in the order they came: of the neighbouring pairs within a batch, how many
// rise and how many fall (ties neither). In random order about as many rise as fall; rows sorted by
// the label (R's data frames often are) all rise or all fall. Additive: shards' moments add.
enum LabelRunSlot : size_t {
  kRunRows = 0,  // labels seen
  kRunRises,     // neighbouring pairs whose second label is the larger
  kRunFalls,     // ... the smaller
  kLabelRunsLength,
};

// Adds a batch's labels (it must have them) into `moments` (kLabelRunsLength doubles).
void AddLabelRuns(const BatchView& batch, double* moments);

}  // namespace boundless
