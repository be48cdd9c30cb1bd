#include "nn/reparameterization.h"

#include <cmath>

#include "nn/random_normal.h"

namespace boundless {
namespace nn {

void Reparameterize(const float* mu, const float* log_var, float* eps, float* z, size_t n, uint64_t seed,
                    uint64_t stream, uint64_t first_counter, bool draw) {
  for (size_t i = 0; i < n; i++) {
    if (draw) eps[i] = CounterNormal(seed, stream, first_counter + i);
    z[i] = mu[i] + std::exp(0.5f * log_var[i]) * eps[i];
  }
}

void ReparameterizeBackward(const float* log_var, const float* eps, const float* dz, float* dmu, float* dlog_var,
                            size_t n) {
  for (size_t i = 0; i < n; i++) {
    dmu[i] += dz[i];
    dlog_var[i] += dz[i] * 0.5f * std::exp(0.5f * log_var[i]) * eps[i];
  }
}

void Dropout(float* x, float* mask, size_t n, float p, uint64_t seed, uint64_t stream, uint64_t first_counter) {
  const float keep = 1.0f / (1.0f - p);
  for (size_t i = 0; i < n; i++) {
    mask[i] = CounterUniform(seed, stream, first_counter + i) < p ? 0.0f : keep;
    x[i] *= mask[i];
  }
}

}  // namespace nn
}  // namespace boundless
