#include "algorithms/pca/pca_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "linalg/panel_product.h"
#include "linalg/symmetric_eigen.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace pca {
namespace {

double RowWeight(const BatchView& b, size_t r) { return b.weights ? static_cast<double>(b.weights[r]) : 1.0; }

double OriginAt(const SketchMoments& m, size_t j) { return m.origin ? m.origin[j] : 0.0; }

void AccumulateMoments(const BatchView& b, size_t dim, SketchMoments& m) {
  double origin_norm2 = 0;  // sparse rows: ‖x − o‖² = ‖o‖² + Σ_nz x(x − 2o)
  for (size_t j = 0; m.origin && j < dim; j++) origin_norm2 += m.origin[j] * m.origin[j];
  for (size_t r = 0; r < b.rows; r++) {
    double w = RowWeight(b, r), squares = 0;
    *m.count += w;
    if (b.sparse) {
      squares = origin_norm2;
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        double x = b.values[e];
        m.sum[b.indices[e]] += w * x;
        squares += x * (x - 2 * OriginAt(m, b.indices[e]));
      }
    } else {
      const float* x = b.values + r * dim;
      for (size_t j = 0; j < dim; j++) {
        m.sum[j] += w * x[j];
        double centred = x[j] - OriginAt(m, j);
        squares += centred * centred;
      }
    }
    *m.squares += w * squares;
  }
}

// Shrinks a full buffer (2ℓ rows) to ℓ − 1 rows. The SVD comes from the
// 2ℓ × 2ℓ Gram matrix G = B Bᵀ = U Λ Uᵀ: the new rows are
// √((λᵢ − δ)/λᵢ) · uᵢᵀ B for the ℓ − 1 largest λᵢ, with δ = λ_ℓ. With ℓ ≥ d
// the buffer's rank is at most d: its d rows uᵢᵀ B (δ = 0) are B re-factored,
// exactly, where subtracting λ_ℓ = λ_d took the smallest direction's variance
// off every direction (iris, d = 4: the 3rd variance 30% low).
void Shrink(FrequentDirections& s) {
  const size_t m = static_cast<size_t>(*s.filled), d = s.dim;
  // G = B Bᵀ (lower triangle) as a panel product summed over the features.
  // Scratch kept per thread: a shrink runs every ℓ + 1 rows, and fresh buffers of this
  // size would come from mmap and fault their pages in each time.
  thread_local std::vector<double> gram, a_panels, b_panels, shrunk;
  gram.assign(m * m, 0.0);
  auto entry = [&](size_t t, size_t r) { return s.rows[r * d + t]; };
  PackColumnPanels(d, m, kPanelRows, entry, a_panels);
  PackColumnPanels(d, m, kPanelCols, entry, b_panels);
  AccumulatePanelProduct(a_panels.data(), b_panels.data(), d, m, m, gram.data(), m, true);
  const bool exact = s.ell >= d;
  const size_t keep = exact ? std::min(m, d) : std::min(m, s.ell) - 1;
  SymmetricEigen eigen = DecomposeSymmetric(gram.data(), m, keep);
  const double delta = exact ? 0.0 : std::max(0.0, eigen.values[keep]);
  // New row i = Σ_r cᵢᵣ·B[r] with cᵢᵣ = √((λᵢ − δ)/λᵢ)·uᵢ[r]: a panel product summed over r.
  shrunk.assign(keep * d, 0.0);
  auto coefficient = [&](size_t r, size_t i) {
    double lambda = eigen.values[i];
    return lambda > delta ? std::sqrt((lambda - delta) / lambda) * eigen.vectors[i * m + r] : 0.0;
  };
  PackColumnPanels(m, keep, kPanelRows, coefficient, a_panels);
  PackColumnPanels(m, d, kPanelCols, [&](size_t r, size_t t) { return s.rows[r * d + t]; }, b_panels);
  AccumulatePanelProduct(a_panels.data(), b_panels.data(), m, keep, d, shrunk.data(), d, false);
  std::copy(shrunk.begin(), shrunk.end(), s.rows);
  std::fill(s.rows + keep * d, s.rows + m * d, 0.0);
  *s.filled = static_cast<double>(keep);
}

// Dense rows, kRowBlock at a time, as two panel products: T = X·Ω (rows × ℓ), then
// Y += Xᵀ·(w ∘ T) (d × ℓ). Ω's panels are packed once per call.
void RandomizedDense(const BatchView& b, size_t dim, size_t ell, const double* omega, const SketchMoments& m, double* y) {
  constexpr size_t kRowBlock = 256;
  thread_local std::vector<double> omega_panels, row_panels, feature_panels, t, t_panels;
  PackColumnPanels(dim, ell, kPanelCols, [&](size_t j, size_t c) { return omega[j * ell + c]; }, omega_panels);
  for (size_t first = 0; first < b.rows; first += kRowBlock) {
    const size_t rows = std::min(kRowBlock, b.rows - first);
    const float* x = b.values + first * dim;
    // A = Xᵀ (summed over features, panels of rows), B = Ω.
    auto shifted = [&](size_t r, size_t j) { return static_cast<double>(x[r * dim + j]) - OriginAt(m, j); };
    PackColumnPanels(dim, rows, kPanelRows, [&](size_t j, size_t r) { return shifted(r, j); }, row_panels);
    t.assign(rows * ell, 0.0);
    AccumulatePanelProduct(row_panels.data(), omega_panels.data(), dim, rows, ell, t.data(), ell, false);
    // A = X (summed over rows, panels of features), B = w ∘ T.
    PackColumnPanels(rows, dim, kPanelRows, shifted, feature_panels);
    PackColumnPanels(rows, ell, kPanelCols, [&](size_t r, size_t c) { return RowWeight(b, first + r) * t[r * ell + c]; }, t_panels);
    AccumulatePanelProduct(feature_panels.data(), t_panels.data(), rows, dim, ell, y, ell, false);
  }
}

}  // namespace

void RandomizedAccumulate(const BatchView& b, size_t dim, size_t ell, const double* omega, SketchMoments& m, double* y) {
  ValidateFeatureRows(b, dim);
  if (b.rows == 0) return;
  AccumulateMoments(b, dim, m);
  if (!b.sparse) {
    RandomizedDense(b, dim, ell, omega, m, y);
    return;
  }
  // Sparse rows: t = w · ((x − o)ᵀΩ) per row over its non-zeros (rows split across threads), then
  // Y += x tᵀ, row by row, touching only the rows of Y of the features present, and
  // Y −= o (Σ t)ᵀ once for the batch.
  std::vector<double> origin_omega(ell, 0.0);  // oᵀΩ
  for (size_t j = 0; m.origin && j < dim; j++) for (size_t c = 0; c < ell; c++) origin_omega[c] += m.origin[j] * omega[j * ell + c];
  std::vector<double> t(b.rows * ell, 0.0);
  ThreadPool::Shared().ParallelFor(b.rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      double* tr = t.data() + r * ell;
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        const double x = b.values[e];
        const double* o = omega + static_cast<size_t>(b.indices[e]) * ell;
        for (size_t c = 0; c < ell; c++) tr[c] += x * o[c];
      }
      const double w = RowWeight(b, r);
      for (size_t c = 0; c < ell; c++) tr[c] = w * (tr[c] - origin_omega[c]);
    }
  });
  for (size_t r = 0; r < b.rows; r++) {
    const double* tr = t.data() + r * ell;
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
      const double x = b.values[e];
      double* yj = y + static_cast<size_t>(b.indices[e]) * ell;
      for (size_t c = 0; c < ell; c++) yj[c] += x * tr[c];
    }
  }
  if (!m.origin) return;
  std::vector<double> t_sum(ell, 0.0);
  for (size_t r = 0; r < b.rows; r++) for (size_t c = 0; c < ell; c++) t_sum[c] += t[r * ell + c];
  for (size_t j = 0; j < dim; j++) for (size_t c = 0; c < ell; c++) y[j * ell + c] -= m.origin[j] * t_sum[c];
}

void FrequentDirectionsInsert(FrequentDirections& s, const double* rows, size_t count) {
  for (size_t r = 0; r < count; r++) {
    if (static_cast<size_t>(*s.filled) == 2 * s.ell) Shrink(s);
    std::copy(rows + r * s.dim, rows + (r + 1) * s.dim, s.rows + static_cast<size_t>(*s.filled) * s.dim);
    *s.filled += 1;
  }
}

void FrequentDirectionsAccumulate(const BatchView& b, FrequentDirections& s, SketchMoments& m) {
  ValidateFeatureRows(b, s.dim);
  if (b.rows == 0) return;
  AccumulateMoments(b, s.dim, m);
  std::vector<double> row(s.dim);
  for (size_t r = 0; r < b.rows; r++) {
    double scale = std::sqrt(RowWeight(b, r));
    for (size_t j = 0; j < s.dim; j++) row[j] = -scale * OriginAt(m, j);
    if (b.sparse) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) row[b.indices[e]] += scale * b.values[e];
    } else {
      for (size_t j = 0; j < s.dim; j++) row[j] = scale * (b.values[r * s.dim + j] - OriginAt(m, j));
    }
    FrequentDirectionsInsert(s, row.data(), 1);
  }
}

}  // namespace pca
}  // namespace boundless
