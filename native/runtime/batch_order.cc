#include "runtime/batch_order.h"

#include <vector>

#include "runtime/reused.h"

namespace boundless {
namespace {

// One batch's Σ w (x − s), kept all zero between calls: a sparse batch then touches only its own
// entries (at 10^6 features, zeroing dim doubles per batch would cost more than its rows).
struct BatchSums {
  std::vector<double> values;
  double* Get(size_t dim) {
    if (values.size() < dim) values.resize(dim, 0.0);
    return values.data();
  }
};

}  // namespace

void AddBatchOrder(const BatchView& batch, size_t dim, double* moments) {
  double* shift = moments + kOrderShift;
  double* total = shift + dim;
  if (moments[kOrderShifted] == 0) {
    // Sparse rows keep s = 0 (the array starts zeroed): a batch's absent entries then cost nothing.
    if (!batch.sparse && batch.rows > 0) for (size_t j = 0; j < dim; j++) shift[j] = batch.values[j];
    moments[kOrderShifted] = 1;
  }
  Reused<BatchSums> scratch;
  double* sum = scratch->Get(dim);
  double weight = 0, squares = 0, rows = 0;
  for (size_t r = 0; r < batch.rows; r++) {
    const double w = batch.weights ? batch.weights[r] : 1.0;
    if (w == 0) continue;
    weight += w;
    rows += 1;
    if (batch.sparse) {
      for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) {
        const double v = batch.values[e];
        sum[batch.indices[e]] += w * v;
        squares += w * v * v;
      }
    } else {
      const float* x = batch.values + r * dim;
      for (size_t j = 0; j < dim; j++) {
        const double v = static_cast<double>(x[j]) - shift[j];
        sum[j] += w * v;
        squares += w * v * v;
      }
    }
  }
  // ‖Σ w (x − s)‖², each feature once, leaving the sums zeroed: a sparse batch visits its entries
  // (an index seen twice finds 0 the second time), a dense one every feature.
  double norm = 0;
  auto take = [&](size_t j) {
    norm += sum[j] * sum[j];
    total[j] += sum[j];
    sum[j] = 0;
  };
  if (batch.sparse) {
    for (int32_t e = 0; e < batch.indptr[batch.rows]; e++) take(batch.indices[e]);
  } else {
    for (size_t j = 0; j < dim; j++) take(j);
  }
  if (weight == 0) return;
  moments[kOrderWeight] += weight;
  moments[kOrderRows] += rows;
  moments[kOrderBatches] += 1;
  moments[kOrderBetween] += norm / weight;  // W_b ‖m_b − s‖² = ‖Σ w (x − s)‖² / W_b
  moments[kOrderSquares] += squares;
}

}  // namespace boundless
