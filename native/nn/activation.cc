#include "nn/activation.h"

#include <cmath>

namespace boundless {
namespace nn {

void ActivateInPlace(Activation f, float* x, size_t n) {
  switch (f) {
    case Activation::kSigmoid:
      // 1 / (1 + e^{−x}) overflows e^{−x} only to +inf, which gives 0: stable as written.
      for (size_t i = 0; i < n; i++) x[i] = 1.0f / (1.0f + std::exp(-x[i]));
      break;
    case Activation::kTanh:
      for (size_t i = 0; i < n; i++) x[i] = std::tanh(x[i]);
      break;
    case Activation::kRelu:
      for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
      break;
    case Activation::kSoftplus:
      // log(1 + e^x) = max(x, 0) + log1p(e^{−|x|}): no overflow for large x.
      for (size_t i = 0; i < n; i++) x[i] = std::fmax(x[i], 0.0f) + std::log1p(std::exp(-std::fabs(x[i])));
      break;
    case Activation::kIdentity:
      break;
  }
}

void ActivationBackward(Activation f, const float* y, float* dy, size_t n) {
  switch (f) {
    case Activation::kSigmoid:
      for (size_t i = 0; i < n; i++) dy[i] *= y[i] * (1.0f - y[i]);
      break;
    case Activation::kTanh:
      for (size_t i = 0; i < n; i++) dy[i] *= 1.0f - y[i] * y[i];
      break;
    case Activation::kRelu:
      for (size_t i = 0; i < n; i++) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case Activation::kSoftplus:
      // softplus'(x) = σ(x) = 1 − e^{−softplus(x)}.
      for (size_t i = 0; i < n; i++) dy[i] *= -std::expm1(-y[i]);
      break;
    case Activation::kIdentity:
      break;
  }
}

}  // namespace nn
}  // namespace boundless
