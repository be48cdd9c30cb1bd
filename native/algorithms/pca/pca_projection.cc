#include "algorithms/pca/pca_projection.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/thread_pool.h"

namespace boundless {
namespace pca {

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
      for (size_t m = 0; m < k; m++) {
        const float* v = p.rows + m * d;
        double sum = 0;
        for (size_t j = 0; j < d; j++) sum += centred[j] * v[j];
        row_out[m] = static_cast<float>(sum);
      }
    }
  });
}

}  // namespace pca
}  // namespace boundless
