#include "algorithms/linear_learner/linear_learner_step_index.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace boundless {
namespace linear {

size_t BuildStepIndex(const BatchView& b, size_t step_rows, int32_t* slot, uint32_t* out) {
  const size_t per_step = step_rows > 0 ? step_rows : std::max<size_t>(1, b.rows);
  const size_t steps = b.rows == 0 ? 0 : (b.rows + per_step - 1) / per_step;
  const size_t nnz = static_cast<size_t>(b.indptr[b.rows]);
  // Slots are numbered before their count is known: features and counts go to scratch first,
  // then into out once T (and so where starts and entries begin) is known.
  std::vector<uint32_t> features, counts, cursor;
  features.reserve(nnz);
  counts.reserve(nnz);
  for (size_t s = 0; s < steps; s++) {
    out[s] = static_cast<uint32_t>(features.size());
    const size_t first = s * per_step, end = std::min(b.rows, first + per_step);
    const size_t base = features.size();
    for (int32_t e = b.indptr[first]; e < b.indptr[end]; e++) {
      const uint32_t j = b.indices[e];
      if (slot[j] < 0) {
        slot[j] = static_cast<int32_t>(features.size() - base);
        features.push_back(j);
        counts.push_back(0);
      }
      counts[base + static_cast<size_t>(slot[j])]++;
    }
    for (size_t k = base; k < features.size(); k++) slot[features[k]] = -1;
  }
  out[steps] = static_cast<uint32_t>(features.size());
  const size_t touched = features.size();
  uint32_t* feature_out = out + steps + 1;
  uint32_t* starts = feature_out + touched;
  uint32_t* entries = starts + touched + 1;
  std::copy(features.begin(), features.end(), feature_out);
  starts[0] = 0;
  for (size_t k = 0; k < touched; k++) starts[k + 1] = starts[k] + counts[k];
  cursor.assign(starts, starts + touched);
  // A stable counting sort per step: each slot's entries keep row order.
  for (size_t s = 0; s < steps; s++) {
    const size_t first = s * per_step, end = std::min(b.rows, first + per_step);
    const size_t base = out[s];
    for (size_t k = base; k < out[s + 1]; k++) slot[features[k]] = static_cast<int32_t>(k);
    for (size_t r = first; r < end; r++) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        const uint32_t at = cursor[slot[b.indices[e]]]++;
        entries[2 * at] = static_cast<uint32_t>(e);
        entries[2 * at + 1] = static_cast<uint32_t>(r - first);
      }
    }
    for (size_t k = base; k < out[s + 1]; k++) slot[features[k]] = -1;
  }
  return touched;
}

double LargestScaledValue(const BatchView& b, const float* shift, const float* scale) {
  float largest = 0;
  if (b.sparse) {
    const size_t nnz = static_cast<size_t>(b.indptr[b.rows]);
    for (size_t e = 0; e < nnz; e++) largest = std::max(largest, std::fabs(scale ? b.values[e] * scale[b.indices[e]] : b.values[e]));
    return largest;
  }
  for (size_t r = 0; r < b.rows; r++) {
    const float* x = b.values + r * b.cols;
    for (size_t j = 0; j < b.cols; j++) {
      const float v = scale ? (x[j] - (shift ? shift[j] : 0.0f)) * scale[j] : x[j];
      largest = std::max(largest, std::fabs(v));
    }
  }
  return largest;
}

}  // namespace linear
}  // namespace boundless
