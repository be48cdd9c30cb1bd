// A batch as the kernels see it: the JS Batch's typed arrays, dense
// row-major or CSR, with optional labels and row weights. One view for every
// algorithm, read once by the bindings (async_kernel.h ReadBatchView).
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {

struct BatchView {
  size_t rows = 0, cols = 0;
  bool sparse = false;
  const float* values = nullptr;
  const int32_t* indptr = nullptr;
  const uint32_t* indices = nullptr;
  const float* labels = nullptr;   // per row, or null
  const float* weights = nullptr;  // per row, or null (weight 1)
};

// Values the batch stores: its non-zeros (sparse) or rows × cols (dense) — the measure of
// a kernel's work that decides whether it runs inline or on a libuv thread.
inline double StoredValues(const BatchView& b) {
  return b.sparse ? static_cast<double>(b.indptr[b.rows]) : static_cast<double>(b.rows) * static_cast<double>(b.cols);
}

// The unsupervised checks: width, CSR structure, indices below dim, finite
// values and weights. Throws std::invalid_argument naming the row.
void ValidateFeatureRows(const BatchView& batch, size_t dim);

// What bounds a GPU kernel's work on a (validated) batch: the longest row's stored entries (loops)
// and the largest |value|, |label| and row weight (what float32 can hold).
struct BatchExtents {
  size_t longest_row = 0;
  float largest_value = 0, largest_label = 0, largest_weight = 0;
};
BatchExtents ExtentsOf(const BatchView& batch);

// True when some value is NaN or ±inf (exponent bits all ones). An integer OR-reduction the
// compiler vectorizes: validators search value by value, for the message, only when it is true.
bool AnyNonFinite(const float* values, size_t count);

}  // namespace boundless
