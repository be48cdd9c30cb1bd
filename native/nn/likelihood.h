// DeepAR's likelihood heads (Salinas et al. 2020; GluonTS's parametrisations):
// each turns a network output's raw parameters into a distribution over the next
// value, gives its negative log-likelihood and that loss's gradient with respect to
// the raw parameters, and draws samples for ancestral sampling. Positive parameters
// come through softplus (σ, α, ν − 2, a, b), so any raw value is valid.
//   gaussian          raw (μ, σ')      y ∈ ℝ
//   student_t         raw (μ, σ', ν')  ν = 2 + softplus(ν'), y ∈ ℝ
//   negative_binomial raw (μ', α')     μ = softplus(μ'), y ∈ {0, 1, …} (mean μ, variance μ + αμ²)
//   beta              raw (a', b')     y ∈ (0, 1)
//   deterministic_l1  raw (μ)          loss |y − μ| (a point forecast)
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {
namespace nn {

enum class Likelihood : uint32_t { kGaussian = 0, kStudentT = 1, kNegativeBinomial = 2, kBeta = 3, kDeterministicL1 = 4 };

// Raw parameters per value.
size_t LikelihoodParameters(Likelihood kind);

// For n values: raw [n × P] (P = LikelihoodParameters), targets y [n]. Returns Σ w_i·nll_i
// (w null: 1) and, when grad is not null, writes grad [n × P] = w_i·∂nll_i/∂raw.
// `scale` [n] (null: 1) is DeepAR's per-series scale ν for the negative binomial, which models
// counts as they are (y is not divided by ν): μ = ν·softplus(μ'), α = softplus(α')/√ν (GluonTS's
// parametrisation); the other heads ignore it (their callers divide y by ν).
double NegativeLogLikelihood(Likelihood kind, const float* raw, const float* y, const float* w, size_t n, float* grad,
                             const float* scale = nullptr);

// One sample per value from the distributions raw [n × P], out [n]; draw i uses counter-based
// stream (seed, stream) from counter first + i·64 (each draw may use up to 64 uniforms).
// `scale` as for NegativeLogLikelihood.
void SampleLikelihood(Likelihood kind, const float* raw, size_t n, float* out, uint64_t seed, uint64_t stream, uint64_t first,
                      const float* scale = nullptr);

}  // namespace nn
}  // namespace boundless
