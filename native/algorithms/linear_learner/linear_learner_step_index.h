// The index a GPU kernel needs to train the linear learner on a sparse batch
// (lib/backends/webgpu-linear-learner-update.ts): for each optimizer step of
// step_rows rows, the features its rows touch (each once, in first-seen order,
// as the cpu kernel's CollectTouched lists them) and each feature's entries in
// row order, so that a feature's gradient is one pass over its own entries,
// summed in the order cpu sums it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/batch_view.h"

namespace boundless {
namespace linear {

// The optimizer steps of a batch of `rows` rows (step_rows 0: one step of the whole batch).
inline size_t StepCount(size_t rows, size_t step_rows) {
  return step_rows > 0 ? (rows + step_rows - 1) / step_rows : (rows > 0 ? 1 : 0);
}

// Words BuildStepIndex may write for a batch of `rows` rows and `nnz` stored entries.
inline size_t StepIndexCapacity(size_t rows, size_t step_rows, size_t nnz) {
  return StepCount(rows, step_rows) + 2 + 4 * nnz;
}

// Writes, with T the touched features of all steps together (returned):
//   out[0 .. steps]            each step's first slot (slots are global; the last entry is T),
//   features[T]                each slot's feature,
//   starts[T + 1]              each slot's first grouped entry (the last is nnz),
//   entries[nnz × 2]           (stored entry e, its row within its step), grouped by slot in row order.
// `slot` (dim, all −1) maps a feature to its slot within a step; it is all −1 again on return.
// The batch must be sparse and validated (indices below dim).
size_t BuildStepIndex(const BatchView& b, size_t step_rows, int32_t* slot, uint32_t* out);

// The largest |x'| of the batch after the scaler as training computes it (in float: dense
// (x − shift_j)·scale_j, sparse x·scale_j; the values themselves where scale is null). What bounds
// a GPU's products, feature by feature: the largest raw value times the largest scale would refuse
// a timestamp column beside a column of thousandths. The batch must be validated.
double LargestScaledValue(const BatchView& b, const float* shift, const float* scale);

}  // namespace linear
}  // namespace boundless
