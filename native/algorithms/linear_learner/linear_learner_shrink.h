// The proximal step's closed form over k missed steps, shared by the scalar catch-up
// (linear_learner.cc) and the loop across models (linear_learner_loops.cc), so both do the same
// float64 operations in the same order.
//
// A weight that misses k steps owes k of m ← m·a − τ (|w| = m, a = 1 − lr·wd, τ = lr·l1). While
// m stays positive, mᵢ = aⁱ·m₀ − τ·(1 − aⁱ)/(1 − a). The textbook form with c = τ/(1 − a) subtracts
// numbers of size c·k to get a result of size m₀, and a small wd makes c huge (wd 1e-7, lr 0.1,
// l1 0.01: c = 1e6): the lazy weights came out at −62 where the eager steps gave −0.008. Here every
// quantity is written in t = −log a through φ(x) = (e^−x − 1 + x)/x², which has no cancellation
// (its series below x = 0.5), and the case a = 1 (t = 0) is the same formula's limit.
#pragma once

// The CUDA addon's linear-learner training (kernels/cuda/linear_learner/ll_update.cu) runs these
// same functions on the device: host and device under nvcc, plain C++ elsewhere.
#if defined(__CUDACC__)
#define BOUNDLESS_HOST_DEVICE __host__ __device__
#else
#define BOUNDLESS_HOST_DEVICE
#endif

namespace boundless {
namespace linear {

// Per model: a = 1 − lr·wd (0 where lr·wd ≥ 1), t = −log a, φ(t), g = (1 − a)/t = 1 − t·φ(t)
// (1 where t = 0), τ = lr·l1. ProximalConstants (linear_learner.cc) makes them.
struct Proximal {
  double decay, t, phi_t, g, threshold;
};

// φ(x) = (e^−x − 1 + x)/x² for x ≥ 0, with e^−x = `power`: the Taylor series Σ (−x)ⁿ/(n + 2)!
// below 0.5 (14 terms: the first omitted one is below 1e-16), the direct form above. Both are
// computed and one is selected, so loops across models stay branch-free.
BOUNDLESS_HOST_DEVICE inline double Phi(double x, double power) {
  double series = 1.0 / 1307674368000;
  series = series * -x + 1.0 / 87178291200;
  series = series * -x + 1.0 / 6227020800;
  series = series * -x + 1.0 / 479001600;
  series = series * -x + 1.0 / 39916800;
  series = series * -x + 1.0 / 3628800;
  series = series * -x + 1.0 / 362880;
  series = series * -x + 1.0 / 40320;
  series = series * -x + 1.0 / 5040;
  series = series * -x + 1.0 / 720;
  series = series * -x + 1.0 / 120;
  series = series * -x + 1.0 / 24;
  series = series * -x + 1.0 / 6;
  series = series * -x + 1.0 / 2;
  const double safe = x < 0.5 ? 1.0 : x;  // the direct form's x, kept away from 0
  const double direct = (power - 1 + safe) / (safe * safe);
  return x < 0.5 ? series : direct;
}

// k ≥ 1 steps from m₀ > 0, ignoring the floor at 0: *magnitude = m_k, *total = Σᵢ₌₁..ₖ mᵢ.
// `power` = e^(−k·t) (read only where k·t ≥ 0.5).
//   G = (1 − aᵏ)/(1 − a) = k·(1 − x·φ(x))/g, x = k·t
//   H = Σᵢ₌₁..ₖ (1 − aⁱ)/(1 − a) = k·(1 − (1 + t)·φ(t) + a·k·φ(x))/g²   (t = 0: G = k, H = k(k+1)/2)
//   m_k = m₀·aᵏ − τ·G,  Σ mᵢ = m₀·a·G − τ·H
// ShrinkSteps in two halves: what depends on k alone (aᵏ, G and H: the same for every weight of a
// model that missed k steps, so a step's catch-up computes them once per distinct k), then the
// weight's own two products. Split or whole, the same float64 operations in the same order.
struct ShrinkCoefficients {
  double ak, geometric, ramp;
};

BOUNDLESS_HOST_DEVICE inline ShrinkCoefficients ShrinkCoefficientsOf(const Proximal& p, double k, double power) {
  const double x = k * p.t;
  const double phi_x = Phi(x, power);
  const double ak = x < 0.5 ? 1 - x + x * x * phi_x : power;
  const double inverse_g = 1 / p.g;
  const double geometric = k * (1 - x * phi_x) * inverse_g;
  const double ramp = k * (1 - (1 + p.t) * p.phi_t + p.decay * k * phi_x) * (inverse_g * inverse_g);
  return {ak, geometric, ramp};
}

BOUNDLESS_HOST_DEVICE inline void ShrinkApply(double m0, const Proximal& p, const ShrinkCoefficients& c, double* magnitude,
                                              double* total) {
  *magnitude = m0 * c.ak - p.threshold * c.geometric;
  *total = m0 * p.decay * c.geometric - p.threshold * c.ramp;
}

BOUNDLESS_HOST_DEVICE inline void ShrinkSteps(double m0, const Proximal& p, double k, double power, double* magnitude, double* total) {
  ShrinkApply(m0, p, ShrinkCoefficientsOf(p, k, power), magnitude, total);
}

}  // namespace linear
}  // namespace boundless
