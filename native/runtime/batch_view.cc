#include "runtime/batch_view.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace boundless {
bool AnyNonFinite(const float* values, size_t count) {
  uint32_t any = 0;
  for (size_t i = 0; i < count; i++) {
    uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    any |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return any != 0;
}

void ValidateFeatureRows(const BatchView& p, size_t dim) {
  if (p.cols != dim) {
    throw std::invalid_argument("has " + std::to_string(p.cols) + " features per row, expected " + std::to_string(dim) + " (feature_dim)");
  }
  auto bad = [](size_t r, const std::string& what) { throw std::invalid_argument("row " + std::to_string(r) + ", " + what); };
  if (p.sparse) {
    if (p.indptr[0] != 0) throw std::invalid_argument("indptr[0] must be 0");
    for (size_t r = 0; r < p.rows; r++) {
      if (p.indptr[r + 1] < p.indptr[r]) throw std::invalid_argument("row " + std::to_string(r) + ": indptr decreases");
      for (int32_t e = p.indptr[r]; e < p.indptr[r + 1]; e++) {
        if (p.indices[e] >= dim) bad(r, "feature index " + std::to_string(p.indices[e]) + " is not below feature_dim " + std::to_string(dim));
        if (!std::isfinite(p.values[e])) bad(r, "feature " + std::to_string(p.indices[e]) + " is not finite; features must be finite");
      }
    }
  } else {
    size_t count = p.rows * p.cols;
    if (AnyNonFinite(p.values, count)) {
      for (size_t i = 0; i < count; i++) {
        if (!std::isfinite(p.values[i])) bad(i / p.cols, "feature " + std::to_string(i % p.cols) + " is not finite; features must be finite");
      }
    }
  }
  if (p.weights) {
    for (size_t r = 0; r < p.rows; r++) {
      if (!(p.weights[r] >= 0) || !std::isfinite(p.weights[r])) bad(r, "weight must be finite and >= 0");
    }
  }
}

BatchExtents ExtentsOf(const BatchView& b) {
  BatchExtents e;
  e.longest_row = b.sparse ? 0 : b.cols;
  for (size_t r = 0; b.sparse && r < b.rows; r++) e.longest_row = std::max(e.longest_row, static_cast<size_t>(b.indptr[r + 1] - b.indptr[r]));
  const size_t stored = static_cast<size_t>(StoredValues(b));
  for (size_t k = 0; k < stored; k++) e.largest_value = std::max(e.largest_value, std::fabs(b.values[k]));
  for (size_t r = 0; b.labels && r < b.rows; r++) e.largest_label = std::max(e.largest_label, std::fabs(b.labels[r]));
  e.largest_weight = b.weights || b.rows == 0 ? 0.0f : 1.0f;
  for (size_t r = 0; b.weights && r < b.rows; r++) e.largest_weight = std::max(e.largest_weight, b.weights[r]);
  return e;
}

}  // namespace boundless
