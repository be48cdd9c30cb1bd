#include "pca.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "thread_pool.h"

namespace boundless {
namespace pca {
namespace {

void Validate(const Batch& b, size_t dim) {
  if (b.cols != dim) {
    throw std::invalid_argument("has " + std::to_string(b.cols) + " features per row, expected " + std::to_string(dim) + " (feature_dim)");
  }
  auto bad = [](size_t r, const std::string& what) { throw std::invalid_argument("row " + std::to_string(r) + ", " + what); };
  if (b.sparse) {
    for (size_t r = 0; r < b.rows; r++) {
      if (b.indptr[r + 1] < b.indptr[r]) throw std::invalid_argument("row " + std::to_string(r) + ": indptr decreases");
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        if (b.indices[e] >= dim) bad(r, "feature index " + std::to_string(b.indices[e]) + " is not below feature_dim " + std::to_string(dim));
        if (!std::isfinite(b.values[e])) bad(r, "feature " + std::to_string(b.indices[e]) + " is not finite; features must be finite");
      }
    }
  } else {
    for (size_t i = 0; i < b.rows * b.cols; i++) {
      if (!std::isfinite(b.values[i])) bad(i / b.cols, "feature " + std::to_string(i % b.cols) + " is not finite; features must be finite");
    }
  }
  if (b.weights) {
    for (size_t r = 0; r < b.rows; r++) if (!(b.weights[r] >= 0) || !std::isfinite(b.weights[r])) bad(r, "weight must be finite and >= 0");
  }
}

}  // namespace

void Accumulate(const Batch& b, size_t dim, Moments& m) {
  Validate(b, dim);
  if (b.rows == 0) return;
  auto weight = [&](size_t r) { return b.weights ? static_cast<double>(b.weights[r]) : 1.0; };
  for (size_t r = 0; r < b.rows; r++) *m.count += weight(r);
  if (b.sparse) {
    // Σx and the products of each row's non-zeros; rows of the cross product split across threads.
    for (size_t r = 0; r < b.rows; r++) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) m.sum[b.indices[e]] += weight(r) * b.values[e];
    }
    ThreadPool::Shared().ParallelFor(dim, 64, [&](size_t begin, size_t end) {
      for (size_t r = 0; r < b.rows; r++) {
        double w = weight(r);
        for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
          size_t i = b.indices[e];
          for (int32_t f = b.indptr[r]; f < b.indptr[r + 1]; f++) {
            size_t j = b.indices[f];
            if (j > i || i < begin || i >= end) continue;
            m.cross[i * dim + j] += w * b.values[e] * b.values[f];
          }
        }
      }
    });
    return;
  }
  for (size_t r = 0; r < b.rows; r++) {
    const float* x = b.values + r * dim;
    double w = weight(r);
    for (size_t j = 0; j < dim; j++) m.sum[j] += w * x[j];
  }
  // Lower triangle row i gets i + 1 products per data row: split rows of the
  // triangle so threads get about equal work (row i costs ~i).
  ThreadPool::Shared().ParallelFor(dim, 16, [&](size_t begin, size_t end) {
    std::vector<double> scaled(dim);
    for (size_t r = 0; r < b.rows; r++) {
      const float* x = b.values + r * dim;
      double w = weight(r);
      for (size_t i = begin; i < end; i++) {
        double xi = w * x[i];
        if (xi == 0) continue;
        double* row = m.cross + i * dim;
        for (size_t j = 0; j <= i; j++) row[j] += xi * static_cast<double>(x[j]);
      }
    }
  });
}

}  // namespace pca
}  // namespace boundless
