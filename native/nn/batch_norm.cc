#include "nn/batch_norm.h"

#include <cmath>
#include <vector>

namespace boundless {
namespace nn {

void BatchNormForward(const BatchNormShape& s, float* x, const float* gamma, const float* beta, float* running_mean,
                      float* running_var, bool training, float* normalized, float* inv_std) {
  for (size_t j = 0; j < s.cols; j++) {
    double mean, var;
    if (training) {
      double sum = 0, sum2 = 0;
      for (size_t r = 0; r < s.rows; r++) sum += x[r * s.cols + j];
      mean = sum / static_cast<double>(s.rows);
      for (size_t r = 0; r < s.rows; r++) {
        double d = x[r * s.cols + j] - mean;
        sum2 += d * d;
      }
      var = sum2 / static_cast<double>(s.rows);
      if (running_mean) running_mean[j] = static_cast<float>(s.momentum * running_mean[j] + (1 - s.momentum) * mean);
      if (running_var) running_var[j] = static_cast<float>(s.momentum * running_var[j] + (1 - s.momentum) * var);
    } else {
      mean = running_mean[j];
      var = running_var[j];
    }
    float scale = static_cast<float>(1.0 / std::sqrt(var + s.epsilon));
    if (training) inv_std[j] = scale;
    float g = gamma ? gamma[j] : 1.0f, b = beta ? beta[j] : 0.0f;
    for (size_t r = 0; r < s.rows; r++) {
      float n = (x[r * s.cols + j] - static_cast<float>(mean)) * scale;
      if (training) normalized[r * s.cols + j] = n;
      x[r * s.cols + j] = g * n + b;
    }
  }
}

void BatchNormBackward(const BatchNormShape& s, const float* normalized, const float* inv_std, const float* gamma,
                       float* dy, float* dgamma, float* dbeta) {
  const double rows = static_cast<double>(s.rows);
  for (size_t j = 0; j < s.cols; j++) {
    double sum_dy = 0, sum_dy_n = 0;
    for (size_t r = 0; r < s.rows; r++) {
      sum_dy += dy[r * s.cols + j];
      sum_dy_n += static_cast<double>(dy[r * s.cols + j]) * normalized[r * s.cols + j];
    }
    if (dgamma) dgamma[j] += static_cast<float>(sum_dy_n);
    if (dbeta) dbeta[j] += static_cast<float>(sum_dy);
    // dx = γ/σ · (dy − mean(dy) − n·mean(dy·n)).
    float g = (gamma ? gamma[j] : 1.0f) * inv_std[j];
    float mean_dy = static_cast<float>(sum_dy / rows), mean_dy_n = static_cast<float>(sum_dy_n / rows);
    for (size_t r = 0; r < s.rows; r++) {
      float& d = dy[r * s.cols + j];
      d = g * (d - mean_dy - normalized[r * s.cols + j] * mean_dy_n);
    }
  }
}

}  // namespace nn
}  // namespace boundless
