// exp(x) for x ≤ 0 (softmax's shifted logits) without a libm call, so loops over
// a row vectorize: Cody–Waite range reduction x = n·ln 2 + r, then Cephes' degree-6
// polynomial for e^r and 2^n from the exponent bits; relative error about 2e-7,
// and 0 below −87 (where float32's e^x underflows anyway).
#pragma once

#include <cstdint>
#include <cstring>

namespace boundless {
namespace nn {

inline float ExpNonPositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  // round(x·log2 e) for x ≤ 0: truncation of a value ≤ −0.5 rounds toward zero.
  const int32_t n = static_cast<int32_t>(x * 1.44269504088896341f - 0.5f);
  const float fn = static_cast<float>(n);
  const float r = (x - fn * 0.693359375f) + fn * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * r * r + r + 1.0f;
  const int32_t bits = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x <= -87.0f ? 0.0f : e * scale;
}

}  // namespace nn
}  // namespace boundless
