#include "nn/softmax.h"

#include <algorithm>
#include <cmath>

namespace boundless {
namespace nn {
namespace {

// logsumexp of one row, summed in double so a 10^6-word vocabulary keeps its precision.
float RowLogSumExp(const float* x, size_t cols) {
  float top = *std::max_element(x, x + cols);
  double sum = 0;
  for (size_t j = 0; j < cols; j++) sum += std::exp(x[j] - top);
  return top + static_cast<float>(std::log(sum));
}

}  // namespace

void SoftmaxRows(float* x, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    float* row = x + r * cols;
    float top = *std::max_element(row, row + cols);
    double sum = 0;
    for (size_t j = 0; j < cols; j++) sum += (row[j] = std::exp(row[j] - top));
    float scale = static_cast<float>(1.0 / sum);
    for (size_t j = 0; j < cols; j++) row[j] *= scale;
  }
}

void LogSoftmaxRows(float* x, size_t rows, size_t cols, float* log_sum) {
  for (size_t r = 0; r < rows; r++) {
    float* row = x + r * cols;
    float lse = RowLogSumExp(row, cols);
    for (size_t j = 0; j < cols; j++) row[j] -= lse;
    if (log_sum) log_sum[r] = lse;
  }
}

void SoftmaxBackward(const float* y, float* dy, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; r++) {
    const float* yr = y + r * cols;
    float* d = dy + r * cols;
    double dot = 0;
    for (size_t j = 0; j < cols; j++) dot += static_cast<double>(d[j]) * yr[j];
    for (size_t j = 0; j < cols; j++) d[j] = yr[j] * (d[j] - static_cast<float>(dot));
  }
}

}  // namespace nn
}  // namespace boundless
