#include "algorithms/pca/pca_projection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/thread_pool.h"

namespace boundless {
namespace pca {
namespace {

constexpr size_t kLanes = 4;   // partial sums per component: independent chains the core overlaps
constexpr size_t kTile = 4;    // components per pass over a row: each centred value loaded once for four

inline double Total(const double* lane) { return (lane[0] + lane[2]) + (lane[1] + lane[3]); }

// out[m .. m + count) = centred · v_m for `count` ≤ kTile components, in float64, kLanes partial
// sums each (a single running sum made every row wait on the latency of each add).
void ProjectTile(const double* centred, const float* rows, size_t d, size_t m, size_t count, float* out) {
  double sums[kTile][kLanes] = {};
  const float* v[kTile];
  for (size_t t = 0; t < kTile; t++) v[t] = rows + (m + (t < count ? t : 0)) * d;
  size_t j = 0;
  for (; j + kLanes <= d; j += kLanes) {
    for (size_t t = 0; t < kTile; t++) {
      for (size_t l = 0; l < kLanes; l++) sums[t][l] += centred[j + l] * v[t][j + l];
    }
  }
  for (; j < d; j++) {
    for (size_t t = 0; t < kTile; t++) sums[t][j % kLanes] += centred[j] * v[t][j];
  }
  for (size_t t = 0; t < count; t++) out[m + t] = static_cast<float>(Total(sums[t]));
}

// Row r's projection on component m in float64 (as Project computes it), for the message of one past float32's range.
double ProjectionOf(const Projection& p, const BatchView& b, size_t r, size_t m) {
  const size_t d = p.dim;
  double sum = 0;
  if (b.sparse) {
    for (size_t j = 0; j < d; j++) sum -= static_cast<double>(p.mean[j]) * p.rows[m * d + j];
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) sum += static_cast<double>(b.values[e]) * p.rows[m * d + b.indices[e]];
    return sum;
  }
  for (size_t j = 0; j < d; j++) sum += (static_cast<double>(b.values[r * d + j]) - p.mean[j]) * p.rows[m * d + j];
  return sum;
}

// A projection float32 cannot hold (features near 3e38) is an error naming the first such row, as the linear
// learner's and factorization machines' scores are: it was written as null (JSON's infinity) with exit 0.
void RequireFinite(const Projection& p, const BatchView& b, const float* out) {
  const size_t k = p.components;
  for (size_t i = 0; i < b.rows * k; i++) {
    if (std::isfinite(out[i])) continue;
    const size_t r = i / k, m = i % k;
    char value[32];
    std::snprintf(value, sizeof value, "%.6g", ProjectionOf(p, b, r, m));
    throw std::invalid_argument("row " + std::to_string(r) + ": its projection on component " + std::to_string(m) + ", " + value +
                                ", is past float32's range (features too large for a float32 projection)");
  }
}

}  // namespace

void Project(const Projection& p, const BatchView& b, float* out) {
  ValidateFeatureRows(b, p.dim);
  const size_t d = p.dim, k = p.components;
  // mean · v per component, for sparse rows (float64: the subtraction happens in float64 too).
  std::vector<double> mean_projection(k, 0.0);
  if (b.sparse) {
    for (size_t m = 0; m < k; m++) {
      for (size_t j = 0; j < d; j++) mean_projection[m] += static_cast<double>(p.mean[j]) * p.rows[m * d + j];
    }
  }
  ThreadPool::Shared().ParallelFor(b.rows, 64, [&](size_t begin, size_t end) {
    std::vector<double> centred(b.sparse ? 0 : d);
    for (size_t r = begin; r < end; r++) {
      float* row_out = out + r * k;
      if (b.sparse) {
        for (size_t m = 0; m < k; m++) {
          double sum = -mean_projection[m];
          for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) sum += static_cast<double>(b.values[e]) * p.rows[m * d + b.indices[e]];
          row_out[m] = static_cast<float>(sum);
        }
        continue;
      }
      const float* x = b.values + r * d;
      for (size_t j = 0; j < d; j++) centred[j] = static_cast<double>(x[j]) - p.mean[j];
      for (size_t m = 0; m < k; m += kTile) ProjectTile(centred.data(), p.rows, d, m, std::min(kTile, k - m), row_out);
    }
  });
  RequireFinite(p, b, out);
}

}  // namespace pca
}  // namespace boundless
