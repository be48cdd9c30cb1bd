#include "linalg/panel_product.h"

#include <algorithm>

#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace boundless {
namespace {

constexpr size_t kMr = kPanelRows, kNr = kPanelCols;
constexpr size_t kPanelsPerGroup = 4;

// Multiply-adds a chunk of the product should hold at least: about 40 µs of the AVX-512 tile's
// work. A smaller split costs more than it saves: handing a chunk to a sleeping pool thread takes
// tens of microseconds, and PCA at d = 64 (a 30 µs product per 256 rows) ran its 400 batches in
// 0.19 s on two threads against 0.10 s on one (bench/threads.ts).
constexpr size_t kMinChunkMultiplyAdds = size_t(1) << 20;

// acc[a·kNr + c] = Σ_r u[r·kMr + a] · v[r·kNr + c] over `rows` steps of the summed dimension
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

}  // namespace

void AccumulatePanelProduct(const double* a_panels, const double* b_panels, size_t k, size_t m, size_t n, double* c,
                            size_t ldc, bool lower_only) {
  const TileKernel tile = SelectedTileKernel();
  const size_t ip = PanelCount(m, kMr), jp = PanelCount(n, kNr);
  const size_t groups = PanelCount(ip, kPanelsPerGroup);
  auto run_group = [&](size_t g) {
    size_t p_begin = g * kPanelsPerGroup, p_end = std::min(ip, p_begin + kPanelsPerGroup);
    size_t i_last = std::min(m, p_end * kMr) - 1;
    double acc[kMr * kNr];
    for (size_t q = 0; q < jp && (!lower_only || q * kNr <= i_last); q++) {
      const double* v = b_panels + q * kNr * k;
      for (size_t p = p_begin; p < p_end; p++) {
        if (lower_only && q * kNr > p * kMr + kMr - 1) continue;  // tile above the diagonal
        tile(a_panels + p * kMr * k, v, k, acc);
        for (size_t a = 0; a < kMr && p * kMr + a < m; a++) {
          size_t i = p * kMr + a;
          double* out = c + i * ldc;
          for (size_t col = 0; col < kNr; col++) {
            size_t j = q * kNr + col;
            if (j >= n || (lower_only && j > i)) break;
            out[j] += acc[a * kNr + col];
          }
        }
      }
    }
  };
  // A group's multiply-adds: its panels against every B-panel (the triangle's groups average half).
  const size_t group_work = std::max<size_t>(1, kPanelsPerGroup * kMr * jp * kNr * k / (lower_only ? 2 : 1));
  const size_t min_groups = std::max<size_t>(1, kMinChunkMultiplyAdds / group_work);
  if (!lower_only) {
    ThreadPool::Shared().ParallelFor(groups, min_groups, [&](size_t begin, size_t end) {
      for (size_t g = begin; g < end; g++) run_group(g);
    });
    return;
  }
  // In a triangle later groups reach further; pairing group g with groups−1−g evens the threads' work.
  ThreadPool::Shared().ParallelFor((groups + 1) / 2, std::max<size_t>(1, min_groups / 2), [&](size_t begin, size_t end) {
    for (size_t u = begin; u < end; u++) {
      run_group(u);
      if (groups - 1 - u != u) run_group(groups - 1 - u);
    }
  });
}

}  // namespace boundless
