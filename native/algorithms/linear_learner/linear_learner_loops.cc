// The linear learner's wide loops: baseline, AVX2+FMA, and the choice.
#include "algorithms/linear_learner/linear_learner_loops.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "algorithms/linear_learner/linear_learner_shrink.h"
#include "runtime/cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace boundless {
namespace linear {
namespace {

void AddScaledBaseline(double* acc, double x, const float* v, size_t n) {
  for (size_t k = 0; k < n; k++) acc[k] += x * static_cast<double>(v[k]);
}

// Written once, branch-free per element so the compiler vectorizes it; each
// ISA's wrapper below inlines it with its own target (sqrt and division stay
// IEEE-exact, no fast-math).
template <StepKind kKind, typename Gradient>
__attribute__((always_inline)) inline void StepLoop(const StepArgs& a, float* __restrict w, float* __restrict m1,
                                                    float* __restrict m2, const Gradient* __restrict g, size_t n) {
  // Everything the loop reads from `a` in locals: through the reference GCC must assume a store to
  // w[k] may change a.learning_rate, reloads it every element, and leaves the loop scalar.
  const float beta1 = a.beta1, beta2 = a.beta2, momentum = a.momentum, epsilon = a.epsilon;
  const float correction1 = a.correction1, correction2 = a.correction2;
  const float* __restrict learning_rate = a.learning_rate;
  const float* __restrict decay = a.decay;
  const float* __restrict threshold = a.threshold;
  for (size_t k = 0; k < n; k++) {
    float gk = static_cast<float>(g[k]);
    float update;
    if constexpr (kKind == StepKind::kSgd) {
      update = gk;
    } else if constexpr (kKind == StepKind::kMomentum) {
      update = momentum * m1[k] + gk;
      m1[k] = update;
    } else if constexpr (kKind == StepKind::kAdam) {
      float first = beta1 * m1[k] + (1 - beta1) * gk;
      float second = beta2 * m2[k] + (1 - beta2) * gk * gk;
      m1[k] = first;
      m2[k] = second;
      update = (first / correction1) / (std::sqrt(second / correction2) + epsilon);
    } else if constexpr (kKind == StepKind::kRmsprop) {
      float second = beta2 * m2[k] + (1 - beta2) * gk * gk;
      m2[k] = second;
      update = gk / (std::sqrt(second) + epsilon);
    } else {
      float second = m2[k] + gk * gk;
      m2[k] = second;
      update = gk / (std::sqrt(second) + epsilon);
    }
    float v = (w[k] - learning_rate[k] * update) * decay[k];
    float magnitude = std::fabs(v) - threshold[k];
    w[k] = magnitude > 0 ? std::copysign(magnitude, v) : 0.0f;
  }
}

// e^x for x ≤ 0 in single precision: Cody–Waite reduction by ln 2 and a degree-6 polynomial
// (the coefficients of Cephes' expf), 2^n from the exponent bits. No branches, no libm call.
__attribute__((always_inline)) inline float ExpNonPositive(float x) {
  x = x > -87.0f ? x : -87.0f;
  // Round to nearest by adding and removing 1.5·2²³ (exact for |v| < 2²²): no libm call, no branch.
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * __builtin_bit_cast(float, bits);
}

// loss = max(z, 0) − z·y + log(1 + e^−|z|), gradient = σ(z) − y; log1p by the atanh series
// (s = e/(2 + e) ≤ 1/3, the first omitted term below 1e-7).
__attribute__((always_inline)) inline void LogisticLoop(const double* z, float y, float* gradient, float* loss, size_t n) {
  for (size_t k = 0; k < n; k++) {
    float zk = static_cast<float>(z[k]);
    float e = ExpNonPositive(-std::fabs(zk));
    float inverse = 1.0f / (1.0f + e);
    float numerator = e + (1.0f - e) * static_cast<float>(zk >= 0);  // 1 for z ≥ 0, else e: no branch
    gradient[k] = numerator * inverse - y;
    float s = e / (2.0f + e);
    float s2 = s * s;
    float log1p = 2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9 + s2 * (1.0f / 11))))));
    loss[k] = (zk > 0.0f ? zk : 0.0f) - zk * y + log1p;
  }
}

void LogisticRowBaseline(const double* z, float y, float* gradient, float* loss, size_t n) { LogisticLoop(z, y, gradient, loss, n); }

__attribute__((always_inline)) inline void DecayPowersLoop(const float* log_decay, float k, float* out, size_t n) {
  for (size_t m = 0; m < n; m++) out[m] = ExpNonPositive(k * log_decay[m]);
}

void DecayPowersBaseline(const float* log_decay, float k, float* out, size_t n) { DecayPowersLoop(log_decay, k, out, n); }

// ShrinkWithSum's cases, per model: decay ≤ 0 zeroes the weight; t = 0 without threshold keeps it
// (its iterates sum to missed·w); otherwise ShrinkSteps (linear_learner_shrink.h), the same
// float64 operations as the scalar path, so the same bits. Every load is unconditional and the
// cases are selects, so the loop across models vectorizes.
__attribute__((always_inline)) inline void CatchUpFeatureLoop(const CatchUpArgs& args, const float* __restrict w,
                                                             const float* __restrict a, size_t models, float* __restrict new_w,
                                                             float* __restrict new_a, int64_t* __restrict slow) {
  const double k = args.missed, counted = args.counted, inverse_count = args.inverse_count;
  const double* __restrict decays = args.decay;
  const double* __restrict thresholds = args.threshold;
  const double* __restrict ts = args.t;
  const double* __restrict phis = args.phi_t;
  const double* __restrict gs = args.g;
  const double* __restrict aks = args.ak;
  const double* __restrict geometrics = args.geometric;
  const double* __restrict ramps = args.ramp;
  for (size_t m = 0; m < models; m++) {
    const float wf = w[m];
    const double wd = wf;
    const Proximal p{decays[m], ts[m], phis[m], gs[m], thresholds[m]};
    double magnitude, total;
    ShrinkApply(std::fabs(wd), p, ShrinkCoefficients{aks[m], geometrics[m], ramps[m]}, &magnitude, &total);
    total = total > 0.0 ? total : 0.0;
    const bool keep = wf == 0.0f, zero = p.decay <= 0, identity = (p.t == 0) & (p.threshold == 0);
    const bool negative = wd < 0;
    const float shrunk = static_cast<float>(negative ? -magnitude : magnitude);
    const float out = keep ? wf : (zero ? 0.0f : (identity ? wf : shrunk));
    const double sum = (keep | zero) ? 0.0 : (identity ? k * wd : (negative ? -total : total));
    const float averaged = static_cast<float>((static_cast<double>(a[m]) * counted + sum) * inverse_count);
    new_w[m] = out;
    new_a[m] = averaged;
    slow[m] = !(keep | zero | identity) & !(magnitude > 0);
  }
}

// Once per distinct count of missed steps in a step, not per feature: the loop need not vectorize.
__attribute__((always_inline)) inline void ShrinkCoefficientsLoop(const CatchUpArgs& args, double* __restrict ak,
                                                                  double* __restrict geometric, double* __restrict ramp, size_t models) {
  for (size_t m = 0; m < models; m++) {
    const Proximal p{args.decay[m], args.t[m], args.phi_t[m], args.g[m], args.threshold[m]};
    const ShrinkCoefficients c = ShrinkCoefficientsOf(p, args.missed, args.power[m]);
    ak[m] = c.ak;
    geometric[m] = c.geometric;
    ramp[m] = c.ramp;
  }
}

void ShrinkCoefficientsBaseline(const CatchUpArgs& args, double* ak, double* geometric, double* ramp, size_t models) {
  ShrinkCoefficientsLoop(args, ak, geometric, ramp, models);
}

void CatchUpFeatureBaseline(const CatchUpArgs& args, const float* w, const float* a, size_t models, float* new_w, float* new_a,
                            int64_t* slow) {
  CatchUpFeatureLoop(args, w, a, models, new_w, new_a, slow);
}

__attribute__((always_inline)) inline void RowProductLoop(double* acc, const float* x, const float* w, size_t cols, size_t width) {
  for (size_t j = 0; j < cols; j++) {
    if (x[j] == 0) continue;
    const double xj = x[j];
    const float* wj = w + j * width;
    for (size_t k = 0; k < width; k++) acc[k] += xj * static_cast<double>(wj[k]);
  }
}

void RowProductBaseline(double* acc, const float* x, const float* w, size_t cols, size_t width) { RowProductLoop(acc, x, w, cols, width); }

#define BOUNDLESS_STEP_DISPATCH(args, w, m1, m2, g, n)                                   \
  switch (args.kind) {                                                                   \
    case StepKind::kSgd: StepLoop<StepKind::kSgd>(args, w, m1, m2, g, n); break;         \
    case StepKind::kMomentum: StepLoop<StepKind::kMomentum>(args, w, m1, m2, g, n); break; \
    case StepKind::kAdam: StepLoop<StepKind::kAdam>(args, w, m1, m2, g, n); break;       \
    case StepKind::kRmsprop: StepLoop<StepKind::kRmsprop>(args, w, m1, m2, g, n); break; \
    case StepKind::kAdagrad: StepLoop<StepKind::kAdagrad>(args, w, m1, m2, g, n); break; \
  }

void ApplyStepBaseline(const StepArgs& args, float* w, float* m1, float* m2, const double* g, size_t n) {
  BOUNDLESS_STEP_DISPATCH(args, w, m1, m2, g, n)
}
void ApplyStepFloatBaseline(const StepArgs& args, float* w, float* m1, float* m2, const float* g, size_t n) {
  BOUNDLESS_STEP_DISPATCH(args, w, m1, m2, g, n)
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void ApplyStepAvx2(const StepArgs& args, float* w, float* m1, float* m2, const double* g, size_t n) {
  BOUNDLESS_STEP_DISPATCH(args, w, m1, m2, g, n)
}
__attribute__((target("avx2,fma"))) void ApplyStepFloatAvx2(const StepArgs& args, float* w, float* m1, float* m2, const float* g, size_t n) {
  BOUNDLESS_STEP_DISPATCH(args, w, m1, m2, g, n)
}

__attribute__((target("avx2,fma"))) void LogisticRowAvx2(const double* z, float y, float* gradient, float* loss, size_t n) {
  LogisticLoop(z, y, gradient, loss, n);
}

__attribute__((target("avx2,fma"))) void DecayPowersAvx2(const float* log_decay, float k, float* out, size_t n) {
  DecayPowersLoop(log_decay, k, out, n);
}

__attribute__((target("avx2,fma"))) void CatchUpFeatureAvx2(const CatchUpArgs& args, const float* w, const float* a, size_t models,
                                                             float* new_w, float* new_a, int64_t* slow) {
  CatchUpFeatureLoop(args, w, a, models, new_w, new_a, slow);
}

__attribute__((target("avx2,fma"))) void ShrinkCoefficientsAvx2(const CatchUpArgs& args, double* ak, double* geometric, double* ramp,
                                                                 size_t models) {
  ShrinkCoefficientsLoop(args, ak, geometric, ramp, models);
}

__attribute__((target("avx2,fma"))) void RowProductAvx2(double* acc, const float* x, const float* w, size_t cols, size_t width) {
  RowProductLoop(acc, x, w, cols, width);
}

// Only these functions carry the target attribute (see linear_algebra_avx2.cc).
__attribute__((target("avx2,fma"))) void AddScaledAvx2(double* acc, double x, const float* v, size_t n) {
  __m256d scale = _mm256_set1_pd(x);
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    __m256 values = _mm256_loadu_ps(v + k);
    __m256d low = _mm256_cvtps_pd(_mm256_castps256_ps128(values));
    __m256d high = _mm256_cvtps_pd(_mm256_extractf128_ps(values, 1));
    _mm256_storeu_pd(acc + k, _mm256_fmadd_pd(scale, low, _mm256_loadu_pd(acc + k)));
    _mm256_storeu_pd(acc + k + 4, _mm256_fmadd_pd(scale, high, _mm256_loadu_pd(acc + k + 4)));
  }
  for (; k < n; k++) acc[k] += x * static_cast<double>(v[k]);
}
#endif

}  // namespace

const Loops kBaselineLoops = {AddScaledBaseline, ApplyStepBaseline, ApplyStepFloatBaseline, LogisticRowBaseline,
                               DecayPowersBaseline, RowProductBaseline, CatchUpFeatureBaseline, ShrinkCoefficientsBaseline};
#if defined(__x86_64__)
const Loops kAvx2Loops = {AddScaledAvx2,   ApplyStepAvx2,  ApplyStepFloatAvx2, LogisticRowAvx2,
                          DecayPowersAvx2, RowProductAvx2, CatchUpFeatureAvx2, ShrinkCoefficientsAvx2};
#endif

const Loops& SelectedLoops() {
#if defined(__x86_64__)
  if (SelectedIsa() >= Isa::Avx2) return kAvx2Loops;
#endif
  return kBaselineLoops;
}

}  // namespace linear
}  // namespace boundless
