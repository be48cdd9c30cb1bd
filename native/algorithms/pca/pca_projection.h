// A PCA model's projection of rows onto its components: (x − mean) · v.
// Taken about the mean row by row (not as x·v − mean·v, whose two terms
// are ‖x‖·‖v‖-sized and cancel on data far from the origin: at an offset of
// 10^5 × the spread, float32 sums lost the projection's second digit).
#pragma once

#include <cstddef>

#include "runtime/batch_view.h"

namespace boundless {
namespace pca {

struct Projection {
  size_t dim = 0, components = 0;
  const float* rows = nullptr;  // components × dim: component m in row m
  const float* mean = nullptr;  // dim
};

// out[r · components + m] = Σ_j (x_rj − mean_j) · rows[m][j], accumulated in float64. Sparse rows
// are taken as Σ x·v − mean·v in float64 (their zeros are values: the mean still applies).
// Throws std::invalid_argument for a batch of another width or non-finite values.
void Project(const Projection& model, const BatchView& batch, float* out);

}  // namespace pca
}  // namespace boundless
