#include "nn/batch_norm.h"

#include <cmath>
#include <vector>

namespace boundless {
namespace nn {

// Row-major throughout: column sums are accumulated row by row into vectors, so a wide
// [rows × cols] array (a decoder's logits over a vocabulary) is read sequentially.

void BatchNormForward(const BatchNormShape& s, float* x, const float* gamma, const float* beta, float* running_mean,
                      float* running_var, bool training, float* normalized, float* inv_std) {
  std::vector<double> mean(s.cols, 0.0), var(s.cols, 0.0);
  if (training && s.rows > 1) {
    for (size_t r = 0; r < s.rows; r++) {
      const float* row = x + r * s.cols;
      for (size_t j = 0; j < s.cols; j++) mean[j] += row[j];
    }
    for (size_t j = 0; j < s.cols; j++) mean[j] /= static_cast<double>(s.rows);
    for (size_t r = 0; r < s.rows; r++) {
      const float* row = x + r * s.cols;
      for (size_t j = 0; j < s.cols; j++) {
        double d = row[j] - mean[j];
        var[j] += d * d;
      }
    }
    for (size_t j = 0; j < s.cols; j++) {
      var[j] /= static_cast<double>(s.rows);
      if (running_mean) running_mean[j] = static_cast<float>(s.momentum * running_mean[j] + (1 - s.momentum) * mean[j]);
      if (running_var) running_var[j] = static_cast<float>(s.momentum * running_var[j] + (1 - s.momentum) * var[j]);
    }
  } else {
    for (size_t j = 0; j < s.cols; j++) {
      mean[j] = running_mean[j];
      var[j] = running_var[j];
    }
  }
  std::vector<float> scale(s.cols), shift(s.cols);
  for (size_t j = 0; j < s.cols; j++) {
    scale[j] = static_cast<float>(1.0 / std::sqrt(var[j] + s.epsilon));
    if (training) inv_std[j] = scale[j];
    shift[j] = static_cast<float>(mean[j]);
  }
  for (size_t r = 0; r < s.rows; r++) {
    float* row = x + r * s.cols;
    float* n = training ? normalized + r * s.cols : nullptr;  // also for one row: its backward pass reads them
    for (size_t j = 0; j < s.cols; j++) {
      float v = (row[j] - shift[j]) * scale[j];
      if (n) n[j] = v;
      row[j] = (gamma ? gamma[j] : 1.0f) * v + (beta ? beta[j] : 0.0f);
    }
  }
}

void BatchNormBackward(const BatchNormShape& s, const float* normalized, const float* inv_std, const float* gamma,
                       float* dy, float* dgamma, float* dbeta) {
  std::vector<double> sum_dy(s.cols, 0.0), sum_dy_n(s.cols, 0.0);
  for (size_t r = 0; r < s.rows; r++) {
    const float* d = dy + r * s.cols;
    const float* n = normalized + r * s.cols;
    for (size_t j = 0; j < s.cols; j++) {
      sum_dy[j] += d[j];
      sum_dy_n[j] += static_cast<double>(d[j]) * n[j];
    }
  }
  const double rows = static_cast<double>(s.rows);
  const bool constant_moments = s.rows < 2;  // one row was normalised with the running moments
  std::vector<float> g(s.cols), mean_dy(s.cols), mean_dy_n(s.cols);
  for (size_t j = 0; j < s.cols; j++) {
    if (dgamma) dgamma[j] += static_cast<float>(sum_dy_n[j]);
    if (dbeta) dbeta[j] += static_cast<float>(sum_dy[j]);
    g[j] = (gamma ? gamma[j] : 1.0f) * inv_std[j];
    mean_dy[j] = constant_moments ? 0.0f : static_cast<float>(sum_dy[j] / rows);
    mean_dy_n[j] = constant_moments ? 0.0f : static_cast<float>(sum_dy_n[j] / rows);
  }
  // dx = γ/σ · (dy − mean(dy) − n·mean(dy·n)).
  for (size_t r = 0; r < s.rows; r++) {
    float* d = dy + r * s.cols;
    const float* n = normalized + r * s.cols;
    for (size_t j = 0; j < s.cols; j++) d[j] = g[j] * (d[j] - mean_dy[j] - n[j] * mean_dy_n[j]);
  }
}

}  // namespace nn
}  // namespace boundless
