#include "runtime/batch_order.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "runtime/reused.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace {

// One batch's Σ w (x − s), kept all zero between calls: a sparse batch then touches only its own
// entries (at 10^6 features, zeroing dim doubles per batch would cost more than its rows).
struct BatchSums {
  std::vector<double> values;
  std::vector<char> seen;       // a sparse batch's entries marked while their distinct indices are listed, cleared after
  std::vector<double> squares;  // a dense batch's Σ w (x_j − s_j)² per feature, added up in feature order
  double* Get(size_t dim) {
    if (values.size() < dim) values.resize(dim, 0.0), seen.resize(dim, 0), squares.resize(dim, 0.0);
    return values.data();
  }
};

// Adds the batch's rows into `sum` (about the shift); returns Σw, Σw‖x − s‖² and the rows of weight > 0.
struct Added {
  double weight = 0, squares = 0, rows = 0, weight_squares = 0;
};
// Dense rows split by features over the thread pool: each feature's sums are one thread's, over the
// rows in order, and the squares are added up in feature order, so the result does not depend on the
// threads (the pass ran before each kernel on one thread: 5–10% of a k-means run on 64 features).
void AddDenseRows(const BatchView& batch, size_t dim, const double* shift, double* sum, double* squares) {
  ThreadPool::Shared().ParallelFor(dim, std::max<size_t>(1, 65536 / std::max<size_t>(1, batch.rows)), [&](size_t begin, size_t end) {
    for (size_t r = 0; r < batch.rows; r++) {
      const double w = batch.weights ? batch.weights[r] : 1.0;
      if (w == 0) continue;
      const float* x = batch.values + r * dim;
      for (size_t j = begin; j < end; j++) {
        const double v = static_cast<double>(x[j]) - shift[j];
        sum[j] += w * v;
        squares[j] += w * v * v;
      }
    }
  });
}

Added AddRows(const BatchView& batch, size_t dim, const double* shift, double* sum, std::vector<double>& squares) {
  Added a;
  for (size_t r = 0; r < batch.rows; r++) {
    const double w = batch.weights ? batch.weights[r] : 1.0;
    if (w == 0) continue;
    a.weight += w;
    a.weight_squares += w * w;
    a.rows += 1;
    if (batch.sparse) {
      for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) {  // s = 0 for sparse rows
        const double v = batch.values[e];
        sum[batch.indices[e]] += w * v;
        a.squares += w * v * v;
      }
    }
  }
  if (!batch.sparse) {
    AddDenseRows(batch, dim, shift, sum, squares.data());
    for (size_t j = 0; j < dim; j++) a.squares += squares[j], squares[j] = 0;
  }
  return a;
}

// A novel batch (batch_order.h kOrderLastNovel): at 0.25 instead of 1/20, two batches of 50 clusters
// sorted by cluster (2.5 to a batch) measured 0.11 and were missed, leaving two clusters one centre.
// Random order puts the squared distance at about its noise; 200 times it leaves room for lumpy
// mixtures (a batch of a few rows drawn from few of many far-apart clusters).
constexpr double kNovelShift = 1.0 / 20;
constexpr double kNovelSignificance = 200;
// Each recent batch weighs half the one after it (kOrderRecentWeight).
constexpr double kRecentDecay = 0.5;

// Whether a batch mean ‖m_b − m‖² = gap from a reference mean is far from it, against σ² (all the
// earlier rows' variance) and the sampling noise of the difference (`noise`: Σw²/W² of the batch
// plus that of the reference, per unit variance).
bool Far(double gap, double variance, double noise) {
  if (!(variance > 0)) return gap > 0;
  const double shift = gap / variance;
  return shift >= kNovelShift && shift >= kNovelSignificance * noise;
}

// The batch against the earlier rows' mean and the recent batches' mean: whether it is far from
// either. `norm` = ‖Σ_b‖², `dot` = Σ_b·S, `recent_dot` = Σ_b·R (all about s), before this batch.
bool NovelBatch(const double* m, const Added& a, double norm, double dot, double recent_dot) {
  const double before = m[kOrderWeight];
  if (!(before > 0)) return false;
  const double wb = a.weight, sum_norm = m[kOrderSumNorm];
  // The rows' variance within batches: what one batch's mean differs from another's by, in random
  // order. The variance of all rows would hide a new cluster once two far-apart ones have been seen
  // (8 clusters sorted, batches of 40: three were missed); batches of one row have none of their
  // own, and then it is all rows'.
  const double within_weight = before - m[kOrderBatchRatio];
  const double variance = within_weight > 0.5 * before ? (m[kOrderSquares] - m[kOrderBetween]) / within_weight
                                                       : m[kOrderSquares] / before - sum_norm / (before * before);
  const double batch_noise = a.weight_squares / (wb * wb);
  const double gap_all = std::max(0.0, norm / (wb * wb) - 2 * dot / (wb * before) + sum_norm / (before * before));
  const double tiny = 1e-12 * m[kOrderSquares] / before;
  const double sigma2 = variance > tiny ? variance : 0;
  if (Far(gap_all, sigma2, batch_noise + m[kOrderWeightSquares] / (before * before))) return true;
  const double wr = m[kOrderRecentWeight];
  if (!(wr > 0)) return false;
  const double scale = m[kOrderRecentScale];
  const double recent_norm = m[kOrderRecentNorm] * scale * scale;
  const double gap_recent = std::max(0.0, norm / (wb * wb) - 2 * recent_dot * scale / (wb * wr) + recent_norm / (wr * wr));
  return Far(gap_recent, sigma2, batch_noise + m[kOrderRecentWeightSquares] / (wr * wr));
}

// The recent batches decayed by half, and this one added (its distinct entries, or every feature):
// R = R_stored·scale, so decaying touches no entry (scale halves; folded into the entries every 200
// batches).
void AddRecent(double* m, double* stored, size_t dim, const Added& a, const double* sum, const std::vector<uint32_t>* touched) {
  if (m[kOrderRecentScale] == 0) m[kOrderRecentScale] = 1;
  m[kOrderRecentWeight] = kRecentDecay * m[kOrderRecentWeight] + a.weight;
  m[kOrderRecentWeightSquares] = kRecentDecay * kRecentDecay * m[kOrderRecentWeightSquares] + a.weight_squares;
  m[kOrderRecentScale] *= kRecentDecay;
  // R_stored grows as 1/scale and ‖R_stored‖² as its square: folded back before that nears float64's
  // largest (at 1e-200 it overflowed after 500 batches, and shuffled batches looked far).
  if (m[kOrderRecentScale] < 1e-60) {
    for (size_t j = 0; j < dim; j++) stored[j] *= m[kOrderRecentScale];
    m[kOrderRecentNorm] *= m[kOrderRecentScale] * m[kOrderRecentScale];
    m[kOrderRecentScale] = 1;
  }
  const double scale = m[kOrderRecentScale];
  auto add = [&](size_t j) {
    if (sum[j] == 0) return;
    const double grown = stored[j] + sum[j] / scale;
    m[kOrderRecentNorm] += grown * grown - stored[j] * stored[j];
    stored[j] = grown;
  };
  if (touched) {
    for (uint32_t j : *touched) add(j);
  } else {
    for (size_t j = 0; j < dim; j++) add(j);
  }
}

}  // namespace

void AddBatchOrder(const BatchView& batch, size_t dim, double* moments) {
  double* shift = moments + kOrderShift;
  double* total = shift + dim;
  double* recent = total + dim;
  if (moments[kOrderShifted] == 0) {
    // Sparse rows keep s = 0 (the array starts zeroed): a batch's absent entries then cost nothing.
    if (!batch.sparse && batch.rows > 0) for (size_t j = 0; j < dim; j++) shift[j] = batch.values[j];
    moments[kOrderShifted] = 1;
  }
  Reused<BatchSums> scratch;
  double* sum = scratch->Get(dim);
  const Added a = AddRows(batch, dim, shift, sum, scratch->squares);
  moments[kOrderLastShift] = 0;
  moments[kOrderLastRows] = 0;
  moments[kOrderLastNovel] = 0;
  // ‖Σ_b‖², Σ_b·S and Σ_b·R_stored, each feature once (a sparse batch visits its distinct entries),
  // before anything is added.
  double norm = 0, dot = 0, recent_dot = 0;
  std::vector<uint32_t> touched;
  auto visit = [&](size_t j) {
    norm += sum[j] * sum[j];
    dot += sum[j] * total[j];
    recent_dot += sum[j] * recent[j];
  };
  if (batch.sparse) {
    // The distinct indices in first-seen order (a sort cost 5–10 ms per batch of 150,000 entries).
    std::vector<char>& seen = scratch->seen;
    for (int32_t e = 0; e < batch.indptr[batch.rows]; e++) {
      const uint32_t j = batch.indices[e];
      if (!seen[j]) seen[j] = 1, touched.push_back(j);
    }
    for (uint32_t j : touched) seen[j] = 0, visit(j);
  } else {
    for (size_t j = 0; j < dim; j++) visit(j);
  }
  if (a.weight > 0) {
    moments[kOrderLastRows] = a.weight * a.weight / a.weight_squares;
    const double before = moments[kOrderWeight];
    if (before > 0) {
      // ‖m_b − μ‖² over σ², as kOrderLastShift says (σ² = Σw‖x − s‖²/W − ‖S‖²/W², all about s).
      const double gap = std::max(0.0, norm / (a.weight * a.weight) - 2 * dot / (a.weight * before) +
                                           moments[kOrderSumNorm] / (before * before));
      const double variance = moments[kOrderSquares] / before - moments[kOrderSumNorm] / (before * before);
      moments[kOrderLastShift] = variance > 1e-12 * moments[kOrderSquares] / before
                                     ? gap / variance
                                     : (gap > 0 ? std::numeric_limits<double>::infinity() : 0);
    }
    if (NovelBatch(moments, a, norm, dot, recent_dot)) {
      moments[kOrderLastNovel] = 1;
      moments[kOrderNovelBatches] += 1;
    }
    AddRecent(moments, recent, dim, a, sum, batch.sparse ? &touched : nullptr);
  }
  // The sums take the batch, leaving the scratch zeroed.
  double sum_norm = moments[kOrderSumNorm];
  auto take = [&](size_t j) {
    const double grown = total[j] + sum[j];
    sum_norm += grown * grown - total[j] * total[j];
    total[j] = grown;
    sum[j] = 0;
  };
  if (batch.sparse) {
    for (uint32_t j : touched) take(j);
  } else {
    for (size_t j = 0; j < dim; j++) take(j);
  }
  moments[kOrderSumNorm] = sum_norm;
  if (a.weight == 0) return;
  moments[kOrderWeight] += a.weight;
  moments[kOrderRows] += a.rows;
  moments[kOrderBatches] += 1;
  moments[kOrderBetween] += norm / a.weight;  // W_b ‖m_b − s‖² = ‖Σ w (x − s)‖² / W_b
  moments[kOrderSquares] += a.squares;
  moments[kOrderWeightSquares] += a.weight_squares;
  moments[kOrderBatchRatio] += a.weight_squares / a.weight;
}

void AddLabelOrder(const BatchView& batch, double* moments) {
  const size_t n = batch.rows;
  if (n == 0) return;
  const float* y = batch.labels;
  double same = 0;
  for (size_t i = 1; i < n; i++) same += y[i] == y[i - 1] ? 1 : 0;
  // Σ_c n_c² over the batch: its labels sorted, each run of one class counted.
  Reused<std::vector<float>> scratch;
  std::vector<float>& sorted = *scratch;
  sorted.assign(y, y + n);
  std::sort(sorted.begin(), sorted.end());
  double squares = 0;
  for (size_t i = 0, j = 0; i < n; i = j) {
    while (j < n && sorted[j] == sorted[i]) j++;
    squares += static_cast<double>(j - i) * static_cast<double>(j - i);
  }
  moments[kLabelRows] += static_cast<double>(n);
  moments[kLabelPairs] += static_cast<double>(n - 1);
  moments[kLabelSamePairs] += same;
  moments[kLabelBatches] += 1;
  moments[kLabelBatchSquares] += squares / static_cast<double>(n);
}

void AddLabelRuns(const BatchView& batch, double* moments) {
  const size_t n = batch.rows;
  if (n == 0) return;
  const float* y = batch.labels;
  size_t rises = 0, falls = 0;
  for (size_t i = 1; i < n; i++) {
    rises += y[i] > y[i - 1] ? 1 : 0;
    falls += y[i] < y[i - 1] ? 1 : 0;
  }
  moments[kRunRows] += static_cast<double>(n);
  moments[kRunRises] += static_cast<double>(rises);
  moments[kRunFalls] += static_cast<double>(falls);
}

}  // namespace boundless
