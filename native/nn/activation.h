// Element-wise activations and their derivatives. The backward pass reads the
// activation's output y (not its input): every derivative here is a function of
// y (σ' = y(1 − y), tanh' = 1 − y², relu' = [y > 0], softplus' = 1 − e^{−y}), so a
// layer keeps one array per step — what an LSTM unrolled through time stores too.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {
namespace nn {

enum class Activation : uint32_t { kSigmoid = 0, kTanh = 1, kRelu = 2, kSoftplus = 3, kIdentity = 4 };

// x[i] = f(x[i]) for i < n (stable for any finite input: no overflow to NaN).
void ActivateInPlace(Activation f, float* x, size_t n);

// dy[i] *= f'(x_i), written with the output y[i] = f(x_i).
void ActivationBackward(Activation f, const float* y, float* dy, size_t n);

}  // namespace nn
}  // namespace boundless
