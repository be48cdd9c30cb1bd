#include "algorithms/linear_learner/linear_learner_scaler_drift.h"

#include <cmath>

namespace boundless {
namespace linear {

void AddScalerDrift(double* drift, const float* shift, const float* scale, const BatchView& b, size_t first) {
  double* far = drift + kDriftFeatures;
  for (size_t r = first; r < b.rows; r++) {
    if (b.sparse) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        const size_t j = b.indices[e];
        if (std::fabs(static_cast<double>(b.values[e]) * scale[j]) > kScalerDriftDeviations) far[j] += 1;
      }
    } else {
      // Branchless in float, so the loop vectorizes (with a branch and float64 it was 3.5% of a dense
      // run's CPU, on the event loop): a product past float32's range is ∞, beyond the bound as it should be.
      const float* x = b.values + r * b.cols;
      constexpr float bound = static_cast<float>(kScalerDriftDeviations);
      for (size_t j = 0; j < b.cols; j++) far[j] += std::fabs((x[j] - shift[j]) * scale[j]) > bound ? 1.0 : 0.0;
    }
  }
  drift[kDriftRows] += static_cast<double>(b.rows > first ? b.rows - first : 0);
}

}  // namespace linear
}  // namespace boundless
