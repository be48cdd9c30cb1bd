#include "nn/likelihood.h"

#include <algorithm>
#include <cmath>

#include "nn/random_normal.h"

namespace boundless {
namespace nn {
namespace {

constexpr double kLogSqrtTwoPi = 0.91893853320467274178;

double Softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }
double SoftplusDerivative(double v) { return 1.0 / (1.0 + std::exp(-v)); }

// ψ(x) for x > 0: the recurrence up to x ≥ 6, then the asymptotic series (error < 1e-12).
double Digamma(double x) {
  double result = 0;
  while (x < 6) {
    result -= 1 / x;
    x += 1;
  }
  const double inv = 1 / x, inv2 = inv * inv;
  return result + std::log(x) - 0.5 * inv - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))));
}

// The counter-based uniforms of one sample.
struct Draws {
  uint64_t seed, stream, counter;
  double Uniform() { return CounterUniform(seed, stream, counter++); }
  double Normal() {
    const double u1 = Uniform(), u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 through the boost U^{1/shape}.
  double Gamma(double shape) {
    if (shape < 1) return Gamma(shape + 1) * std::pow(Uniform(), 1 / shape);
    const double d = shape - 1.0 / 3, c = 1 / std::sqrt(9 * d);
    for (int tries = 0; tries < 24; tries++) {
      double x = Normal(), v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      if (std::log(Uniform()) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
    return d;  // the mode's neighbourhood: reached with probability < 1e-30
  }
  // Poisson(λ): Knuth's product for small λ, else the normal approximation, rounded (λ ≥ 30).
  double Poisson(double lambda) {
    if (lambda < 30) {
      const double limit = std::exp(-lambda);
      double product = Uniform(), k = 0;
      while (product > limit && k < 60) {
        product *= Uniform();
        k++;
      }
      return k;
    }
    return std::fmax(0.0, std::round(lambda + std::sqrt(lambda) * Normal()));
  }
};

double Gaussian(const float* p, double y, float* g) {
  const double mu = p[0], sigma = Softplus(p[1]), z = (y - mu) / sigma;
  if (g) {
    g[0] = static_cast<float>(-z / sigma);
    g[1] = static_cast<float>((1 / sigma - z * z / sigma) * SoftplusDerivative(p[1]));
  }
  return kLogSqrtTwoPi + std::log(sigma) + 0.5 * z * z;
}

double StudentT(const float* p, double y, float* g) {
  const double mu = p[0], sigma = Softplus(p[1]), nu = 2 + Softplus(p[2]);
  const double z = (y - mu) / sigma, q = 1 + z * z / nu;
  const double nll = -std::lgamma((nu + 1) / 2) + std::lgamma(nu / 2) + 0.5 * std::log(M_PI * nu) + std::log(sigma) + (nu + 1) / 2 * std::log(q);
  if (g) {
    const double dz = (nu + 1) / nu * z / q;  // ∂nll/∂z
    g[0] = static_cast<float>(-dz / sigma);
    g[1] = static_cast<float>((1 / sigma - dz * z / sigma) * SoftplusDerivative(p[1]));
    const double dnu = -0.5 * Digamma((nu + 1) / 2) + 0.5 * Digamma(nu / 2) + 0.5 / nu + 0.5 * std::log(q) - (nu + 1) / 2 * (z * z / (nu * nu)) / q;
    g[2] = static_cast<float>(dnu * SoftplusDerivative(p[2]));
  }
  return nll;
}

// Mean μ, shape 1/α: P(y) = Γ(y + 1/α) / (Γ(y + 1) Γ(1/α)) · (1/(1 + αμ))^{1/α} · (αμ/(1 + αμ))^y.
// With scale ν: μ = ν·softplus(μ'), α = softplus(α')/√ν.
double NegativeBinomial(const float* p, double y, float* g, double scale) {
  const double root = std::sqrt(scale);
  const double mu = scale * Softplus(p[0]), alpha = Softplus(p[1]) / root, r = 1 / alpha, am = alpha * mu;
  const double nll = -(std::lgamma(y + r) - std::lgamma(y + 1) - std::lgamma(r) - r * std::log1p(am) + y * (std::log(am) - std::log1p(am)));
  if (g) {
    const double dmu = -(y / mu - (y + r) * alpha / (1 + am));
    // ∂/∂α through r = 1/α: ∂nll/∂r · (−1/α²) plus the explicit α terms.
    const double dr = -(Digamma(y + r) - Digamma(r) - std::log1p(am));
    const double dalpha_explicit = -(-r * mu / (1 + am) + y * (1 / alpha - mu / (1 + am)));
    g[0] = static_cast<float>(dmu * scale * SoftplusDerivative(p[0]));
    g[1] = static_cast<float>((dr * (-r * r) + dalpha_explicit) * SoftplusDerivative(p[1]) / root);
  }
  return nll;
}

double Beta(const float* p, double y, float* g) {
  const double a = Softplus(p[0]), b = Softplus(p[1]);
  const double nll = -((a - 1) * std::log(y) + (b - 1) * std::log1p(-y) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b)));
  if (g) {
    const double ab = Digamma(a + b);
    g[0] = static_cast<float>(-(std::log(y) - Digamma(a) + ab) * SoftplusDerivative(p[0]));
    g[1] = static_cast<float>(-(std::log1p(-y) - Digamma(b) + ab) * SoftplusDerivative(p[1]));
  }
  return nll;
}

double DeterministicL1(const float* p, double y, float* g) {
  if (g) g[0] = static_cast<float>(p[0] > y ? 1 : p[0] < y ? -1 : 0);
  return std::fabs(y - p[0]);
}

}  // namespace

size_t LikelihoodParameters(Likelihood kind) {
  switch (kind) {
    case Likelihood::kGaussian: return 2;
    case Likelihood::kStudentT: return 3;
    case Likelihood::kNegativeBinomial: return 2;
    case Likelihood::kBeta: return 2;
    case Likelihood::kDeterministicL1: return 1;
  }
  return 0;
}

double NegativeLogLikelihood(Likelihood kind, const float* raw, const float* y, const float* w, size_t n, float* grad,
                             const float* scale) {
  const size_t P = LikelihoodParameters(kind);
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    const float* p = raw + i * P;
    float* g = grad ? grad + i * P : nullptr;
    // A weight of 0 marks a missing or padded value: nothing, whatever its placeholder (beta's
    // log-density at 0 is −∞, and 0·∞ would poison the sum and the gradient).
    if (w && w[i] == 0.0f) {
      if (g) std::fill(g, g + P, 0.0f);
      continue;
    }
    double nll = 0;
    switch (kind) {
      case Likelihood::kGaussian: nll = Gaussian(p, y[i], g); break;
      case Likelihood::kStudentT: nll = StudentT(p, y[i], g); break;
      case Likelihood::kNegativeBinomial: nll = NegativeBinomial(p, y[i], g, scale ? scale[i] : 1.0); break;
      case Likelihood::kBeta: nll = Beta(p, y[i], g); break;
      case Likelihood::kDeterministicL1: nll = DeterministicL1(p, y[i], g); break;
    }
    const double weight = w ? w[i] : 1.0;
    if (g && weight != 1.0) for (size_t k = 0; k < P; k++) g[k] = static_cast<float>(g[k] * weight);
    total += weight * nll;
  }
  return total;
}

void SampleLikelihood(Likelihood kind, const float* raw, size_t n, float* out, uint64_t seed, uint64_t stream, uint64_t first,
                      const float* scale) {
  const size_t P = LikelihoodParameters(kind);
  for (size_t i = 0; i < n; i++) {
    const float* p = raw + i * P;
    Draws d{seed, stream, first + i * 64};
    double v = 0;
    switch (kind) {
      case Likelihood::kGaussian: v = p[0] + Softplus(p[1]) * d.Normal(); break;
      case Likelihood::kStudentT: {
        const double nu = 2 + Softplus(p[2]);
        v = p[0] + Softplus(p[1]) * d.Normal() / std::sqrt(2 * d.Gamma(nu / 2) / nu);
        break;
      }
      case Likelihood::kNegativeBinomial: {
        // A gamma–Poisson mixture: λ ~ Gamma(1/α, scale αμ), y ~ Poisson(λ).
        const double nu = scale ? scale[i] : 1.0;
        const double mu = nu * Softplus(p[0]), alpha = Softplus(p[1]) / std::sqrt(nu);
        v = d.Poisson(d.Gamma(1 / alpha) * alpha * mu);
        break;
      }
      case Likelihood::kBeta: {
        const double x = d.Gamma(Softplus(p[0])), y = d.Gamma(Softplus(p[1]));
        v = x / (x + y);
        break;
      }
      case Likelihood::kDeterministicL1: v = p[0]; break;
    }
    out[i] = static_cast<float>(v);
  }
}

}  // namespace nn
}  // namespace boundless
