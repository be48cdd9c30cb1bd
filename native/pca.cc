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

// Σ w·x xᵀ over a block of rows as a GEMM-style product (GotoBLAS blocking):
// the rows are packed into float64 panels — i-panels of kMr features (weighted),
// j-panels of kNr features (plain), each panel row-contiguous over the block's
// rows — and a kMr × kNr register tile sums over the rows with FMAs. A group of
// i-panels (kPanelsPerGroup, ~200 KB) stays in L2 while each j-panel (L1) is
// used against all of them, so each panel is read from memory once per group.
constexpr size_t kRowBlock = 256;
constexpr size_t kMr = 6, kNr = 8;
constexpr size_t kPanelsPerGroup = 4;

// acc[a·kNr + c] = Σ_r u[r·kMr + a] · v[r·kNr + c]
using TileKernel = void (*)(const double* u, const double* v, size_t rows, double* acc);

void TileBaseline(const double* u, const double* v, size_t rows, double* acc) {
  double s[kMr * kNr] = {};
  for (size_t r = 0; r < rows; r++) {
    for (size_t a = 0; a < kMr; a++) {
      for (size_t c = 0; c < kNr; c++) s[a * kNr + c] += u[r * kMr + a] * v[r * kNr + c];
    }
  }
  for (size_t t = 0; t < kMr * kNr; t++) acc[t] = s[t];
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void TileAvx2(const double* u, const double* v, size_t rows, double* acc) {
  __m256d s[kMr][2];
  for (auto& row : s) row[0] = row[1] = _mm256_setzero_pd();
  for (size_t r = 0; r < rows; r++) {
    __m256d v0 = _mm256_loadu_pd(v + r * kNr), v1 = _mm256_loadu_pd(v + r * kNr + 4);
    for (size_t a = 0; a < kMr; a++) {
      __m256d ua = _mm256_broadcast_sd(u + r * kMr + a);
      s[a][0] = _mm256_fmadd_pd(ua, v0, s[a][0]);
      s[a][1] = _mm256_fmadd_pd(ua, v1, s[a][1]);
    }
  }
  for (size_t a = 0; a < kMr; a++) {
    _mm256_storeu_pd(acc + a * kNr, s[a][0]);
    _mm256_storeu_pd(acc + a * kNr + 4, s[a][1]);
  }
}
#endif

#if defined(__x86_64__)
// A j-panel row (kNr = 8 doubles) is one 512-bit register: kMr broadcasts and one load per row.
__attribute__((target("avx512f"))) void TileAvx512(const double* u, const double* v, size_t rows, double* acc) {
  __m512d s[kMr];
  for (auto& x : s) x = _mm512_setzero_pd();
  for (size_t r = 0; r < rows; r++) {
    __m512d vr = _mm512_loadu_pd(v + r * kNr);
    for (size_t a = 0; a < kMr; a++) s[a] = _mm512_fmadd_pd(_mm512_set1_pd(u[r * kMr + a]), vr, s[a]);
  }
  for (size_t a = 0; a < kMr; a++) _mm512_storeu_pd(acc + a * kNr, s[a]);
}
#endif

TileKernel SelectedTileKernel() {
#if defined(__x86_64__)
  if (SelectedIsa() == Isa::Avx512) return TileAvx512;
  if (SelectedIsa() == Isa::Avx2) return TileAvx2;
#endif
  return TileBaseline;
}

// Packs rows [first, first + rows) into i-panels (weighted) and j-panels
// (plain), split across threads by panel; Σ w·x is summed on the way, each
// feature's sum in row order.
void PackBlock(const BatchView& b, size_t dim, size_t first, size_t rows, const std::vector<double>& row_weight,
               std::vector<double>& ipanels, std::vector<double>& jpanels, double* sum) {
  size_t ip = (dim + kMr - 1) / kMr, jp = (dim + kNr - 1) / kNr;
  ipanels.assign(ip * kMr * rows, 0.0);
  jpanels.assign(jp * kNr * rows, 0.0);
  ThreadPool::Shared().ParallelFor(ip + jp, 8, [&](size_t begin, size_t end) {
    for (size_t unit = begin; unit < end; unit++) {
      bool weighted = unit < ip;
      size_t width = weighted ? kMr : kNr, panel = weighted ? unit : unit - ip;
      double* out = (weighted ? ipanels.data() : jpanels.data()) + panel * width * rows;
      size_t j0 = panel * width, count = std::min(width, dim - j0);
      for (size_t r = 0; r < rows; r++) {
        const float* x = b.values + (first + r) * dim + j0;
        double w = row_weight[first + r];
        if (weighted) {
          for (size_t a = 0; a < count; a++) out[r * width + a] = w * x[a];
        } else {
          for (size_t c = 0; c < count; c++) {
            out[r * width + c] = x[c];
            sum[j0 + c] += w * x[c];
          }
        }
      }
    }
  });
}

}  // namespace

static void AccumulateDense(const BatchView& b, size_t dim, const std::vector<double>& row_weight, double* sum, double* cross) {
  const TileKernel tile = SelectedTileKernel();
  const size_t ip = (dim + kMr - 1) / kMr;
  const size_t groups = (ip + kPanelsPerGroup - 1) / kPanelsPerGroup;
  // Later groups reach further along the triangle; pairing group g with
  // groups−1−g gives every thread the same work.
  const size_t units = (groups + 1) / 2;
  std::vector<double> ipanels, jpanels;
  for (size_t first = 0; first < b.rows; first += kRowBlock) {
    size_t rows = std::min(kRowBlock, b.rows - first);
    PackBlock(b, dim, first, rows, row_weight, ipanels, jpanels, sum);
    auto run_group = [&](size_t g) {
      size_t p_begin = g * kPanelsPerGroup, p_end = std::min(ip, p_begin + kPanelsPerGroup);
      size_t i_last = std::min(dim, p_end * kMr) - 1;
      double acc[kMr * kNr];
      for (size_t q = 0; q * kNr <= i_last; q++) {
        const double* v = jpanels.data() + q * kNr * rows;
        for (size_t p = p_begin; p < p_end; p++) {
          if (q * kNr > p * kMr + kMr - 1) continue;  // tile above the diagonal
          tile(ipanels.data() + p * kMr * rows, v, rows, acc);
          for (size_t a = 0; a < kMr; a++) {
            size_t i = p * kMr + a;
            if (i >= dim) break;
            double* out = cross + i * dim;
            for (size_t c = 0; c < kNr; c++) {
              size_t j = q * kNr + c;
              if (j > i) break;
              out[j] += acc[a * kNr + c];
            }
          }
        }
      }
    };
    ThreadPool::Shared().ParallelFor(units, 1, [&](size_t begin, size_t end) {
      for (size_t u = begin; u < end; u++) {
        run_group(u);
        if (groups - 1 - u != u) run_group(groups - 1 - u);
      }
    });
  }
}

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
  std::vector<double> row_weight(b.rows);
  for (size_t r = 0; r < b.rows; r++) row_weight[r] = weight(r);
  AccumulateDense(b, dim, row_weight, m.sum, m.cross);
}

}  // namespace pca
}  // namespace boundless
