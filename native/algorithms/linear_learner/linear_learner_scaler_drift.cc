#include "algorithms/linear_learner/linear_learner_scaler_drift.h"

#include <cmath>

namespace boundless {
namespace linear {

void AddScalerDrift(double* drift, const float* shift, const float* scale, const BatchView& b, size_t first) {
  double* far = drift + kDriftFeatures;
  double count = 0;
  for (size_t r = first; r < b.rows; r++) {
    if (b.sparse) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        const size_t j = b.indices[e];
        // In float64: a float32 product could overflow where the value itself is fine.
        if (std::fabs(static_cast<double>(b.values[e]) * scale[j]) > kScalerDriftDeviations) far[j] += 1, count += 1;
      }
    } else {
      const float* x = b.values + r * b.cols;
      for (size_t j = 0; j < b.cols; j++) {
        if (std::fabs((static_cast<double>(x[j]) - shift[j]) * scale[j]) > kScalerDriftDeviations) far[j] += 1, count += 1;
      }
    }
  }
  drift[kDriftRows] += static_cast<double>(b.rows > first ? b.rows - first : 0);
  drift[kDriftFar] += count;
}

}  // namespace linear
}  // namespace boundless
