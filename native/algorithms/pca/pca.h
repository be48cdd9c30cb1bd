// PCA's exact sufficient statistics: n, Σx and Σxxᵀ (lower triangle), in
// float64, updated per batch with a SYRK-style kernel (rows of the cross
// product split across threads, so sums keep one order whatever the thread
// count). Exact up to rounding and mergeable by addition.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/batch_view.h"

namespace boundless {
namespace pca {

using Batch = BatchView;

struct Moments {
  double* count = nullptr;  // 1: Σ weights
  double* sum = nullptr;    // d: Σ w·x (input coordinates)
  double* cross = nullptr;  // d × d: Σ w·(x − o)(x − o)ᵀ, lower triangle (j ≤ i) accumulated
  // d, or null for 0: the origin o the products are taken about. Data far from the origin would
  // otherwise leave the covariance as the difference Σxxᵀ − nμμᵀ of two numbers 10^10 times larger
  // (offset 10^5 × the spread), losing ten of float64's sixteen digits.
  const double* origin = nullptr;
};

// Throws std::invalid_argument naming the row for non-finite values or bad indices.
void Accumulate(const Batch& batch, size_t dim, Moments& moments);

}  // namespace pca
}  // namespace boundless
