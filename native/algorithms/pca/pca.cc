#include "algorithms/pca/pca.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "linalg/panel_product.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace pca {
namespace {

constexpr size_t kRowBlock = 256;

// Packs rows [first, first + rows), shifted to the origin, into i-panels (weighted) and j-panels
// (plain), split across threads by panel; Σ w·x is summed on the way, each feature's sum in row order.
void PackBlock(const BatchView& b, size_t dim, size_t first, size_t rows, const std::vector<double>& row_weight,
               const std::vector<double>& origin, std::vector<double>& ipanels, std::vector<double>& jpanels, double* sum) {
  size_t ip = (dim + kPanelRows - 1) / kPanelRows, jp = (dim + kPanelCols - 1) / kPanelCols;
  // Grown, never cleared: every element is written below, the padding of a last, narrower
  // panel with zeros (zero-filling whole panels on every block was 2% of a dense PCA run).
  if (ipanels.size() < ip * kPanelRows * rows) ipanels.resize(ip * kPanelRows * rows);
  if (jpanels.size() < jp * kPanelCols * rows) jpanels.resize(jp * kPanelCols * rows);
  // Packing is a copy: split only when each chunk has ~64k values (a 256-row block of 64 features is
  // 16k a side, and splitting it cost more than it saved).
  const size_t unit_values = std::max<size_t>(1, rows * kPanelCols);
  ThreadPool::Shared().ParallelFor(ip + jp, std::max<size_t>(8, (size_t(64) << 10) / unit_values), [&](size_t begin, size_t end) {
    for (size_t unit = begin; unit < end; unit++) {
      bool weighted = unit < ip;
      size_t width = weighted ? kPanelRows : kPanelCols, panel = weighted ? unit : unit - ip;
      double* out = (weighted ? ipanels.data() : jpanels.data()) + panel * width * rows;
      size_t j0 = panel * width, count = std::min(width, dim - j0);
      for (size_t r = 0; r < rows; r++) {
        const float* x = b.values + (first + r) * dim + j0;
        double w = row_weight[first + r];
        const double* o = origin.data() + j0;
        if (weighted) {
          for (size_t a = 0; a < count; a++) out[r * width + a] = w * (x[a] - o[a]);
        } else {
          for (size_t c = 0; c < count; c++) {
            out[r * width + c] = x[c] - o[c];
            sum[j0 + c] += w * x[c];
          }
        }
        for (size_t a = count; a < width; a++) out[r * width + a] = 0.0;
      }
    }
  });
}

// Σ w·x xᵀ over blocks of kRowBlock rows: each block packed into panels (the
// weighted side as A, the plain side as B) and added as one symmetric panel product.
void AccumulateDense(const BatchView& b, size_t dim, const std::vector<double>& row_weight, const std::vector<double>& origin,
                     double* sum, double* cross) {
  thread_local std::vector<double> ipanels, jpanels;  // reused: no page faults per batch
  for (size_t first = 0; first < b.rows; first += kRowBlock) {
    size_t rows = std::min(kRowBlock, b.rows - first);
    PackBlock(b, dim, first, rows, row_weight, origin, ipanels, jpanels, sum);
    AccumulatePanelProduct(ipanels.data(), jpanels.data(), rows, dim, dim, cross, dim, true);
  }
}

// Sparse rows are multiplied about 0 (shifting would densify them); about a non-zero origin o the
// batch adds Σw(x − o)(x − o)ᵀ = Σw·xxᵀ − bs·oᵀ − o·bsᵀ + W·ooᵀ (bs = Σw·x, W = Σw).
void ShiftSparseProducts(size_t dim, const double* origin, const std::vector<double>& batch_sum, double batch_weight,
                         double* cross) {
  ThreadPool::Shared().ParallelFor(dim, 64, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
      for (size_t j = 0; j <= i; j++) {
        cross[i * dim + j] += batch_weight * origin[i] * origin[j] - batch_sum[i] * origin[j] - origin[i] * batch_sum[j];
      }
    }
  });
}

}  // namespace

void Accumulate(const Batch& b, size_t dim, Moments& m) {
  ValidateFeatureRows(b, dim);
  if (b.rows == 0) return;
  auto weight = [&](size_t r) { return b.weights ? static_cast<double>(b.weights[r]) : 1.0; };
  for (size_t r = 0; r < b.rows; r++) *m.count += weight(r);
  if (b.sparse) {
    // Σx and the products of each row's non-zeros; rows of the cross product split across threads.
    std::vector<double> batch_sum(m.origin ? dim : 0, 0.0);
    double batch_weight = 0;
    for (size_t r = 0; r < b.rows; r++) {
      batch_weight += weight(r);
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        m.sum[b.indices[e]] += weight(r) * b.values[e];
        if (m.origin) batch_sum[b.indices[e]] += weight(r) * b.values[e];
      }
    }
    ThreadPool::Shared().ParallelFor(dim, 64, [&](size_t begin, size_t end) {
      for (size_t r = 0; r < b.rows; r++) {
        double w = weight(r);
        for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
          size_t i = b.indices[e];
          for (int32_t f = b.indptr[r]; f < b.indptr[r + 1]; f++) {
            size_t j = b.indices[f];
            if (j > i || i < begin || i >= end) continue;
            m.cross[i * dim + j] += w * b.values[e] * b.values[f];
          }
        }
      }
    });
    if (m.origin) ShiftSparseProducts(dim, m.origin, batch_sum, batch_weight, m.cross);
    return;
  }
  std::vector<double> row_weight(b.rows);
  for (size_t r = 0; r < b.rows; r++) row_weight[r] = weight(r);
  std::vector<double> origin(dim, 0.0);
  if (m.origin) std::copy(m.origin, m.origin + dim, origin.begin());
  AccumulateDense(b, dim, row_weight, origin, m.sum, m.cross);
}

}  // namespace pca
}  // namespace boundless
