#include "pca_sketch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "linear_algebra.h"
#include "symmetric_eigen.h"
#include "thread_pool.h"

namespace boundless {
namespace pca {
namespace {

double RowWeight(const BatchView& b, size_t r) { return b.weights ? static_cast<double>(b.weights[r]) : 1.0; }

void AccumulateMoments(const BatchView& b, size_t dim, SketchMoments& m) {
  for (size_t r = 0; r < b.rows; r++) {
    double w = RowWeight(b, r), squares = 0;
    *m.count += w;
    if (b.sparse) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        double x = b.values[e];
        m.sum[b.indices[e]] += w * x;
        squares += x * x;
      }
    } else {
      const float* x = b.values + r * dim;
      for (size_t j = 0; j < dim; j++) {
        m.sum[j] += w * x[j];
        squares += static_cast<double>(x[j]) * x[j];
      }
    }
    *m.squares += w * squares;
  }
}

// Shrinks a full buffer (2ℓ rows) to ℓ − 1 rows. The SVD comes from the
// 2ℓ × 2ℓ Gram matrix G = B Bᵀ = U Λ Uᵀ: the new rows are
// √((λᵢ − δ)/λᵢ) · uᵢᵀ B for the ℓ − 1 largest λᵢ, with δ = λ_ℓ.
void Shrink(FrequentDirections& s) {
  const size_t m = static_cast<size_t>(*s.filled), d = s.dim;
  std::vector<double> gram(m * m);
  ThreadPool::Shared().ParallelFor(m, 4, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
      for (size_t j = 0; j <= i; j++) gram[i * m + j] = PipelinedDot(s.rows + i * d, s.rows + j * d, d);
    }
  });
  SymmetricEigen eigen = DecomposeSymmetric(gram.data(), m);
  const size_t keep = std::min(m, s.ell) - 1;
  const double delta = std::max(0.0, eigen.values[keep]);
  std::vector<double> shrunk(keep * d, 0.0);
  ThreadPool::Shared().ParallelFor(d, 256, [&](size_t begin, size_t end) {
    for (size_t i = 0; i < keep; i++) {
      double lambda = eigen.values[i];
      if (!(lambda > delta)) continue;
      double scale = std::sqrt((lambda - delta) / lambda);
      const double* u = eigen.vectors.data() + i * m;
      double* out = shrunk.data() + i * d;
      for (size_t r = 0; r < m; r++) {
        double coefficient = scale * u[r];
        const double* row = s.rows + r * d;
        for (size_t t = begin; t < end; t++) out[t] += coefficient * row[t];
      }
    }
  });
  std::fill(s.rows, s.rows + 2 * s.ell * d, 0.0);
  std::copy(shrunk.begin(), shrunk.end(), s.rows);
  *s.filled = static_cast<double>(keep);
}

}  // namespace

void RandomizedAccumulate(const BatchView& b, size_t dim, size_t ell, const double* omega, SketchMoments& m, double* y) {
  ValidateFeatureRows(b, dim);
  if (b.rows == 0) return;
  AccumulateMoments(b, dim, m);
  // t = w · (xᵀΩ) for every row (rows split across threads), then Y += x tᵀ
  // (features split across threads; each feature's sum in row order).
  std::vector<double> t(b.rows * ell, 0.0);
  ThreadPool::Shared().ParallelFor(b.rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      double* tr = t.data() + r * ell;
      if (b.sparse) {
        for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
          const double x = b.values[e];
          const double* o = omega + static_cast<size_t>(b.indices[e]) * ell;
          for (size_t c = 0; c < ell; c++) tr[c] += x * o[c];
        }
      } else {
        const float* x = b.values + r * dim;
        for (size_t j = 0; j < dim; j++) {
          const double xj = x[j];
          const double* o = omega + j * ell;
          for (size_t c = 0; c < ell; c++) tr[c] += xj * o[c];
        }
      }
      const double w = RowWeight(b, r);
      for (size_t c = 0; c < ell; c++) tr[c] *= w;
    }
  });
  if (b.sparse) {
    for (size_t r = 0; r < b.rows; r++) {
      const double* tr = t.data() + r * ell;
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        const double x = b.values[e];
        double* yj = y + static_cast<size_t>(b.indices[e]) * ell;
        for (size_t c = 0; c < ell; c++) yj[c] += x * tr[c];
      }
    }
    return;
  }
  ThreadPool::Shared().ParallelFor(dim, 16, [&](size_t begin, size_t end) {
    for (size_t r = 0; r < b.rows; r++) {
      const float* x = b.values + r * dim;
      const double* tr = t.data() + r * ell;
      for (size_t j = begin; j < end; j++) {
        const double xj = x[j];
        if (xj == 0) continue;
        double* yj = y + j * ell;
        for (size_t c = 0; c < ell; c++) yj[c] += xj * tr[c];
      }
    }
  });
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
    std::fill(row.begin(), row.end(), 0.0);
    if (b.sparse) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) row[b.indices[e]] += scale * b.values[e];
    } else {
      for (size_t j = 0; j < s.dim; j++) row[j] = scale * b.values[r * s.dim + j];
    }
    FrequentDirectionsInsert(s, row.data(), 1);
  }
}

}  // namespace pca
}  // namespace boundless
