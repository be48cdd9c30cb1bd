// The reparameterisation trick of variational autoencoders (Kingma & Welling
// 2014): z = μ + σ·ε with σ = exp(½·log σ²) and ε ~ N(0, 1) drawn from the
// counter-based stream, so ∂z/∂μ = 1 and ∂z/∂log σ² = ½·σ·ε.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {
namespace nn {

// For n = rows × width entries: eps[i] = N(0, 1) draw (first_counter + i) of stream
// (seed, stream); z[i] = mu[i] + exp(½ log_var[i]) · eps[i]. eps may be given (not drawn)
// when draw is false.
void Reparameterize(const float* mu, const float* log_var, float* eps, float* z, size_t n, uint64_t seed,
                    uint64_t stream, uint64_t first_counter, bool draw = true);

// Given dz: dmu[i] += dz[i]; dlog_var[i] += dz[i] · ½ · exp(½ log_var[i]) · eps[i].
void ReparameterizeBackward(const float* log_var, const float* eps, const float* dz, float* dmu, float* dlog_var,
                            size_t n);

// Inverted dropout: x[i] = 0 with probability p, else x[i] / (1 − p); mask[i] receives the
// factor applied (0 or 1/(1 − p)) for the backward pass (dx = dy ⊙ mask).
void Dropout(float* x, float* mask, size_t n, float p, uint64_t seed, uint64_t stream, uint64_t first_counter);

}  // namespace nn
}  // namespace boundless
