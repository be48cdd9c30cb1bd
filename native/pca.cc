#include "pca.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu_features.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace boundless {
namespace pca {
namespace {


constexpr size_t kRowBlock = 256;

// acc[a·4 + c] = Σ_r u[a][r] · v[c][r] for a 2 × 4 tile; u and v are rows of
// `span` doubles (span a multiple of 4), u's rows and v's rows `span` apart.
using TileKernel = void (*)(const double* u, const double* v, size_t span, double* acc);

void TileBaseline(const double* u, const double* v, size_t span, double* acc) {
  for (size_t a = 0; a < 2; a++) {
    for (size_t c = 0; c < 4; c++) {
      // Four partial sums, as the vector version keeps, then added in the same order.
      double lane[4] = {0, 0, 0, 0};
      for (size_t r = 0; r < span; r += 4) {
        for (size_t l = 0; l < 4; l++) lane[l] += u[a * span + r + l] * v[c * span + r + l];
      }
      acc[a * 4 + c] = (lane[0] + lane[2]) + (lane[1] + lane[3]);
    }
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void TileAvx2(const double* u, const double* v, size_t span, double* acc) {
  __m256d s[8];
  for (auto& x : s) x = _mm256_setzero_pd();
  for (size_t r = 0; r < span; r += 4) {
    __m256d u0 = _mm256_loadu_pd(u + r), u1 = _mm256_loadu_pd(u + span + r);
    for (size_t c = 0; c < 4; c++) {
      __m256d vc = _mm256_loadu_pd(v + c * span + r);
      s[c] = _mm256_fmadd_pd(u0, vc, s[c]);
      s[4 + c] = _mm256_fmadd_pd(u1, vc, s[4 + c]);
    }
  }
  for (size_t k = 0; k < 8; k++) {
    alignas(32) double lane[4];
    _mm256_store_pd(lane, s[k]);
    acc[k] = (lane[0] + lane[2]) + (lane[1] + lane[3]);
  }
}
#endif

TileKernel SelectedTileKernel() {
#if defined(__x86_64__)
  if (SelectedIsa() == Isa::Avx2) return TileAvx2;
#endif
  return TileBaseline;
}

}  // namespace

void Accumulate(const Batch& b, size_t dim, Moments& m) {
  ValidateFeatureRows(b, dim);
  if (b.rows == 0) return;
  auto weight = [&](size_t r) { return b.weights ? static_cast<double>(b.weights[r]) : 1.0; };
  for (size_t r = 0; r < b.rows; r++) *m.count += weight(r);
  if (b.sparse) {
    // Σx and the products of each row's non-zeros; rows of the cross product split across threads.
    for (size_t r = 0; r < b.rows; r++) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) m.sum[b.indices[e]] += weight(r) * b.values[e];
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
    return;
  }
  for (size_t r = 0; r < b.rows; r++) {
    const float* x = b.values + r * dim;
    double w = weight(r);
    for (size_t j = 0; j < dim; j++) m.sum[j] += w * x[j];
  }
  // Σ w·x xᵀ as a blocked product: a block of rows is transposed into float64
  // columns (features × rows, padded to a multiple of 4), then each 2 × 4 tile of
  // the lower triangle is a sum over the block's rows, four rows per vector lane.
  // Tiles are split across threads by their first row; the order of every sum is
  // fixed, so the result does not depend on the thread count.
  const size_t padded_dim = (dim + 3) / 4 * 4;
  for (size_t first = 0; first < b.rows; first += kRowBlock) {
    size_t rows = std::min(kRowBlock, b.rows - first);
    size_t span = (rows + 3) / 4 * 4;
    std::vector<double> weighted(padded_dim * span, 0.0), plain(padded_dim * span, 0.0);
    for (size_t r = 0; r < rows; r++) {
      const float* x = b.values + (first + r) * dim;
      double w = weight(first + r);
      for (size_t j = 0; j < dim; j++) {
        plain[j * span + r] = x[j];
        weighted[j * span + r] = w * x[j];
      }
    }
    const TileKernel tile = SelectedTileKernel();
    size_t pairs = (dim + 1) / 2;
    ThreadPool::Shared().ParallelFor(pairs, 4, [&](size_t begin, size_t end) {
      double acc[8];
      for (size_t p = begin; p < end; p++) {
        size_t i0 = 2 * p;
        for (size_t j0 = 0; j0 <= i0 + 1 && j0 < dim; j0 += 4) {
          tile(weighted.data() + i0 * span, plain.data() + j0 * span, span, acc);
          for (size_t a = 0; a < 2 && i0 + a < dim; a++) {
            for (size_t c = 0; c < 4 && j0 + c <= i0 + a && j0 + c < dim; c++) m.cross[(i0 + a) * dim + j0 + c] += acc[a * 4 + c];
          }
        }
      }
    });
  }
}

}  // namespace pca
}  // namespace boundless
