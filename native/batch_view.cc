#include "batch_view.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace boundless {

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
    for (size_t i = 0; i < p.rows * p.cols; i++) {
      if (!std::isfinite(p.values[i])) bad(i / p.cols, "feature " + std::to_string(i % p.cols) + " is not finite; features must be finite");
    }
  }
  if (p.weights) {
    for (size_t r = 0; r < p.rows; r++) {
      if (!(p.weights[r] >= 0) || !std::isfinite(p.weights[r])) bad(r, "weight must be finite and >= 0");
    }
  }
}

}  // namespace boundless
