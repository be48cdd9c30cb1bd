#include "algorithms/factorization_machines/factorization_machines.h"

#include <unordered_map>

#include "runtime/merged_rows.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "runtime/cpu_features.h"
#include "runtime/feature_index.h"
#include "runtime/reused.h"
#include "runtime/thread_buffer.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace fm {
namespace {

inline float Sigmoid(double z) { return static_cast<float>(1.0 / (1.0 + std::exp(-z))); }

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

double RowWeight(const BatchView& b, size_t r) { return b.weights ? static_cast<double>(b.weights[r]) : 1.0; }

void ValidateLabels(const Settings& s, const BatchView& b) {
  if (!b.labels) throw std::invalid_argument("the batch has no labels; factorization machines need one label per row");
  for (size_t r = 0; r < b.rows; r++) {
    float y = b.labels[r];
    if (s.loss == Loss::kLogistic ? !(y == 0 || y == 1) : !std::isfinite(y)) {
      throw std::invalid_argument("row " + std::to_string(r) + ", label " + Number(y) +
                                  (s.loss == Loss::kLogistic ? " is not 0 or 1 (binary_classifier)" : " is not finite"));
    }
  }
}

// The optimizer's step scale of one parameter (see Decay in the header): what the decay is
// multiplied by so that it is the gradient of the L2 penalty taken through the preconditioner.
// A parameter that has had no gradient yet (Σg² = 0: a feature no row has held) keeps scale 1,
// plain decay, rather than 1/ε, which would zero it at once: shards merged by averaging keep
// the initial values of the features one of them has not seen.
// UnitScale: the cases with no preconditioner to see the penalty through (scale 1).
inline bool UnitScale(Decay decay, Optimizer optimizer, const float* m1, const float* m2) {
  return decay == Decay::kDecoupled || optimizer == Optimizer::kSgd || !m1 || (optimizer == Optimizer::kAdam && !m2);
}
// 1/(√(moment/c2) + ε): `moment` is Σg² (adagrad, c2 = 1) or adam's v (c2 = 1 − β₂ᵗ). A moment below
// float32's normal range counts as no gradient (scale 1), as it does where a GPU flushes subnormals
// to 0 (NVIDIA's Vulkan shaders): there a moment of 1e-45 became 0, its scale 1 instead of ~1/ε, and
// webgpu kept weights that cpu's L2 decay zeroed.
inline double PreconditionerScale(float moment, double c2, double eps) {
  return moment >= std::numeric_limits<float>::min() ? 1.0 / (std::sqrt(double(moment) / c2) + eps) : 1.0;
}

inline double StepScale(const Settings& s, const float* m1, const float* m2, size_t j, double c2) {
  if (UnitScale(s.decay, s.optimizer, m1, m2)) return 1.0;
  return s.optimizer == Optimizer::kAdagrad ? PreconditionerScale(m1[j], 1.0, s.eps) : PreconditionerScale(m2[j], c2, s.eps);
}

// One step's decay factor under kL2: 1 − lr·wd·scale, clamped to [0, 1] (lr_wd = lr·wd).
inline double ClampedDecay(double lr_wd, double scale) { return std::min(1.0, std::max(0.0, 1.0 - lr_wd * scale)); }

// One step's decay factor: ClampedDecay under kL2, 1 − lr·wd under kDecoupled.
inline double DecayFactor(const Settings& s, double lr, double wd, double scale) {
  if (s.decay == Decay::kDecoupled) return 1.0 - lr * wd;
  return ClampedDecay(lr * wd, scale);
}

// Adam's 1 − β₂ᵗ at step t (1 before the first step).
inline double SecondBiasCorrection(const Settings& s, int32_t t) { return t > 0 ? 1.0 - std::pow(double(s.beta2), t) : 1.0; }

// factor^missed by squaring: a feature of sparse data sits out a few steps at a time, and a call
// of std::pow per parameter was half of a sparse batch's time. The products' rounding (about
// 2·log2(missed) double roundings) is far below the float the result scales; past 64 steps, pow.
// missed 1 gives factor exactly.
inline double Repeated(double factor, int32_t missed) {
  if (missed > 64) return std::pow(factor, missed);
  double result = 1, power = factor;
  for (int32_t n = missed; n > 0; n >>= 1) {
    if (n & 1) result *= power;
    power *= power;
  }
  return result;
}

// Factors [at, at + factors) of one model multiplied by their decay over `missed` steps: the
// arithmetic of CatchUp's per-parameter expression, element by element in the same order, but
// with the branches hoisted and each stage a loop over the factors, so the compiler vectorizes
// it (one parameter at a time, it was a quarter of a sparse batch's time: a square root, a
// division and a squaring loop per parameter). The bytes are the same.
__attribute__((always_inline)) inline void CatchUpFactorsLoop(const Settings& s, const ModelSettings& ms, State& st, size_t at,
                                                              int32_t missed, double c2) {
  constexpr size_t kMaxFactors = 64;
  double factor[kMaxFactors], result[kMaxFactors];
  float* __restrict p = st.factors + at;
  for (size_t from = 0; from < ms.factors; from += kMaxFactors) {
    const size_t n = std::min(kMaxFactors, ms.factors - from);
    const double lr_wd = double(ms.factors_lr) * double(ms.factors_wd);
    if (s.decay == Decay::kDecoupled) {
      for (size_t f = 0; f < n; f++) factor[f] = 1.0 - double(ms.factors_lr) * double(ms.factors_wd);
    } else if (UnitScale(s.decay, s.optimizer, st.factors_m1, st.factors_m2)) {
      for (size_t f = 0; f < n; f++) factor[f] = ClampedDecay(lr_wd, 1.0);
    } else {
      const float* __restrict second = (s.optimizer == Optimizer::kAdagrad ? st.factors_m1 : st.factors_m2) + at + from;
      const bool adagrad = s.optimizer == Optimizer::kAdagrad;
      const double eps = s.eps;
      const double divisor = adagrad ? 1.0 : c2;
      for (size_t f = 0; f < n; f++) factor[f] = ClampedDecay(lr_wd, PreconditionerScale(second[f], divisor, eps));
    }
    if (missed > 64) {
      for (size_t f = 0; f < n; f++) result[f] = std::pow(factor[f], missed);
    } else {
      // Repeated's squaring, every factor at once.
      for (size_t f = 0; f < n; f++) result[f] = 1;
      for (int32_t m = missed; m > 0; m >>= 1) {
        if (m & 1) for (size_t f = 0; f < n; f++) result[f] *= factor[f];
        for (size_t f = 0; f < n; f++) factor[f] *= factor[f];
      }
    }
    for (size_t f = 0; f < n; f++) p[from + f] *= static_cast<float>(result[f]);
  }
}

// The per-ISA builds of the optimizer loops (VW's way): AVX2 runs four doubles a step where the
// baseline runs two. No FMA is enabled, so nothing is fused and the bytes are the baseline's.
void CatchUpFactorsBaseline(const Settings& s, const ModelSettings& ms, State& st, size_t at, int32_t missed, double c2) {
  CatchUpFactorsLoop(s, ms, st, at, missed, c2);
}
#if defined(__x86_64__)
__attribute__((target("avx2"))) void CatchUpFactorsAvx2(const Settings& s, const ModelSettings& ms, State& st, size_t at, int32_t missed,
                                                       double c2) {
  CatchUpFactorsLoop(s, ms, st, at, missed, c2);
}
#endif

// True where the AVX2 builds run (detected once).
bool UseAvx2() {
#if defined(__x86_64__)
  static const bool avx2 = SelectedIsa() != Isa::Baseline;
  return avx2;
#else
  return false;
#endif
}

void CatchUpFactors(const Settings& s, const ModelSettings& ms, State& st, size_t at, int32_t missed, double c2) {
#if defined(__x86_64__)
  if (UseAvx2()) return CatchUpFactorsAvx2(s, ms, st, at, missed, c2);
#endif
  CatchUpFactorsBaseline(s, ms, st, at, missed, c2);
}

// Multiplies a feature's parameters by the decay of the steps it sat out. Moments do not move
// while a feature is absent, so each of those steps had the same factor. c2: Adam's 1 − β₂ᵗ at
// `step` (SecondBiasCorrection), computed once per batch by the caller.
void CatchUp(const Settings& s, State& st, size_t i, int32_t step, double c2) {
  int32_t missed = step - st.last_step[i];
  if (missed <= 0) return;
  const size_t models = s.models.size();
  for (size_t m = 0; m < models; m++) {
    const ModelSettings& ms = s.models[m];
    if (ms.linear_wd > 0) {
      const size_t j = i * models + m;  // (kDecoupled: std::pow(1 − lr·wd, missed), as the states before kL2 were trained)
      st.linear[j] *= static_cast<float>(Repeated(DecayFactor(s, ms.linear_lr, ms.linear_wd, StepScale(s, st.linear_m1, st.linear_m2, j, c2)), missed));
    }
    if (ms.factors_wd > 0) CatchUpFactors(s, ms, st, i * s.factor_width + ms.offset, missed, c2);
  }
  st.last_step[i] = step;
}

// One optimizer step on `count` parameters, then this step's decay.
// Adam's bias corrections 1 − β₁ᵗ and 1 − β₂ᵗ, the same for every parameter of a step.
struct StepConstants {
  float c1 = 1, c2 = 1;
};

// Apply's loop for one optimizer, decay rule, clipping and presence of weight decay: every
// setting in a local and the arrays __restrict, so the compiler vectorizes it (through the
// Settings reference it had to assume that a store to p could change them, and stayed scalar).
// It shares StepScale's and DecayFactor's parts (UnitScale, PreconditionerScale, ClampedDecay), in
// the same order and precision: the bytes do not change.
template <Optimizer kOpt, Decay kDecay, bool kClip, bool kDecayed>
__attribute__((always_inline)) inline void ApplyLoop(const Settings& s, float lr, float wd, const StepConstants& k, const float* __restrict grad, float* __restrict p,
               float* __restrict m1, float* __restrict m2, size_t count) {
  const float c1 = k.c1, c2 = k.c2, eps = s.eps, beta1 = s.beta1, beta2 = s.beta2, clip = s.clip_gradient;
  const double c2_wide = c2, eps_wide = eps, lr_wd = double(lr) * double(wd);
  const bool unit_scale = UnitScale(kDecay, kOpt, m1, m2);
  for (size_t j = 0; j < count; j++) {
    float g = grad[j];
    if constexpr (kClip) g = std::min(clip, std::max(-clip, g));
    float value = p[j];
    if constexpr (kOpt == Optimizer::kSgd) {
      value -= lr * g;
    } else if constexpr (kOpt == Optimizer::kAdagrad) {
      m1[j] += g * g;
      value -= lr * g / (std::sqrt(m1[j]) + eps);
    } else {
      m1[j] = beta1 * m1[j] + (1 - beta1) * g;
      m2[j] = beta2 * m2[j] + (1 - beta2) * g * g;
      value -= lr * (m1[j] / c1) / (std::sqrt(m2[j] / c2) + eps);
    }
    if constexpr (kDecay == Decay::kDecoupled) {
      p[j] = value * (1.0f - lr * wd);
    } else if constexpr (kDecayed) {
      double scale = 1.0;  // sgd has no moments to read
      if (!unit_scale) scale = kOpt == Optimizer::kAdagrad ? PreconditionerScale(m1[j], 1.0, eps_wide) : PreconditionerScale(m2[j], c2_wide, eps_wide);
      p[j] = value * static_cast<float>(ClampedDecay(lr_wd, scale));
    } else {
      p[j] = value;
    }
  }
}

template <Optimizer kOpt, Decay kDecay>
__attribute__((always_inline)) inline void ApplyVariants(const Settings& s, float lr, float wd, const StepConstants& k, const float* grad,
                                                         float* p, float* m1, float* m2, size_t count) {
  const bool clip = s.clip_gradient > 0, decayed = wd > 0;
  if (clip) {
    if (decayed) ApplyLoop<kOpt, kDecay, true, true>(s, lr, wd, k, grad, p, m1, m2, count);
    else ApplyLoop<kOpt, kDecay, true, false>(s, lr, wd, k, grad, p, m1, m2, count);
  } else {
    if (decayed) ApplyLoop<kOpt, kDecay, false, true>(s, lr, wd, k, grad, p, m1, m2, count);
    else ApplyLoop<kOpt, kDecay, false, false>(s, lr, wd, k, grad, p, m1, m2, count);
  }
}

template <Optimizer kOpt, Decay kDecay>
void ApplyBaseline(const Settings& s, float lr, float wd, const StepConstants& k, const float* grad, float* p, float* m1, float* m2,
                   size_t count) {
  ApplyVariants<kOpt, kDecay>(s, lr, wd, k, grad, p, m1, m2, count);
}
#if defined(__x86_64__)
template <Optimizer kOpt, Decay kDecay>
__attribute__((target("avx2"))) void ApplyAvx2(const Settings& s, float lr, float wd, const StepConstants& k, const float* grad, float* p,
                                               float* m1, float* m2, size_t count) {
  ApplyVariants<kOpt, kDecay>(s, lr, wd, k, grad, p, m1, m2, count);
}
#endif

// One parameter (a bias or a linear weight) runs the baseline build: no vector to fill.
template <Optimizer kOpt, Decay kDecay>
void ApplyWith(const Settings& s, float lr, float wd, const StepConstants& k, const float* grad, float* p, float* m1, float* m2, size_t count) {
#if defined(__x86_64__)
  if (count > 1 && UseAvx2()) return ApplyAvx2<kOpt, kDecay>(s, lr, wd, k, grad, p, m1, m2, count);
#endif
  ApplyBaseline<kOpt, kDecay>(s, lr, wd, k, grad, p, m1, m2, count);
}

inline void Apply(Optimizer optimizer, const Settings& s, float lr, float wd, const StepConstants& k, const float* grad, float* p,
                  float* m1, float* m2, size_t count) {
  const bool l2 = s.decay == Decay::kL2;
  switch (optimizer) {
    case Optimizer::kSgd:
      return l2 ? ApplyWith<Optimizer::kSgd, Decay::kL2>(s, lr, wd, k, grad, p, m1, m2, count)
                : ApplyWith<Optimizer::kSgd, Decay::kDecoupled>(s, lr, wd, k, grad, p, m1, m2, count);
    case Optimizer::kAdagrad:
      return l2 ? ApplyWith<Optimizer::kAdagrad, Decay::kL2>(s, lr, wd, k, grad, p, m1, m2, count)
                : ApplyWith<Optimizer::kAdagrad, Decay::kDecoupled>(s, lr, wd, k, grad, p, m1, m2, count);
    case Optimizer::kAdam:
      return l2 ? ApplyWith<Optimizer::kAdam, Decay::kL2>(s, lr, wd, k, grad, p, m1, m2, count)
                : ApplyWith<Optimizer::kAdam, Decay::kDecoupled>(s, lr, wd, k, grad, p, m1, m2, count);
  }
}

struct StepScratch {
  FeatureIndex index;
  std::vector<double> score, loss, slope;
  std::vector<double> sums;
};

// Features ahead whose parameters a pass over a sparse batch's touched features asks the cache
// for: they are scattered over a state far larger than the caches (10^5 features × 9 parameters ×
// 3 arrays), and each one's first touch otherwise waits on memory.
constexpr size_t kPrefetchAhead = 8;

void PrefetchBytes(const void* at, size_t bytes) {
  const char* p = static_cast<const char*>(at);
  for (size_t b = 0; b < bytes; b += 64) __builtin_prefetch(p + b, 1);
  __builtin_prefetch(p + bytes - 1, 1);
}

void PrefetchFeature(const Settings& s, const State& st, size_t i) {
  const size_t models = s.models.size(), width = s.factor_width;
  __builtin_prefetch(st.last_step + i, 1);
  PrefetchBytes(st.linear + i * models, models * sizeof(float));
  if (width == 0) return;
  PrefetchBytes(st.factors + i * width, width * sizeof(float));
  if (st.factors_m1) PrefetchBytes(st.factors_m1 + i * width, width * sizeof(float));
  if (st.factors_m2) PrefetchBytes(st.factors_m2 + i * width, width * sizeof(float));
  if (st.linear_m1) __builtin_prefetch(st.linear_m1 + i * models, 1);
  if (st.linear_m2) __builtin_prefetch(st.linear_m2 + i * models, 1);
}

StepScratch& ThreadStepScratch() { return ThreadBuffer<StepScratch>(); }

// The batch's touched features (every feature for a dense batch) and, for sparse batches, its
// non-zeros grouped by feature in row order, into scratch.index: each feature's gradient is one
// pass over its own entries, and the passes over the features' parameters (catch-up, then the
// update) walk the state's arrays forwards. The caller's slot scratch maps a feature to its place
// in the index; it is all −1 before and after.
void IndexFeatures(const Settings& s, const BatchView& b, int32_t* slot_scratch, StepScratch& scratch) {
  FeatureIndex& index = scratch.index;
  if (b.sparse) return index.Build(b, s.dim, slot_scratch);
  index.features.resize(s.dim);
  std::iota(index.features.begin(), index.features.end(), 0u);
}

// One entry (x at a feature whose W factors are v) into a row's factor sums: s_f += v_f·x, q_f += (v_f·x)².
template <size_t W>
__attribute__((always_inline)) inline void AddFactorProducts(const float* v, float x, double* s, double* q) {
  for (size_t f = 0; f < W; f++) {
    const double vx = double(v[f]) * x;
    s[f] += vx;
    q[f] += vx * vx;
  }
}

// One entry of a feature (x in a row whose factor sums are `sum`, gx = slope·x) into the feature's
// factor gradients: g_f += gx·(sum_f − v_f·x).
template <size_t W>
__attribute__((always_inline)) inline void AddFactorGradients(double gx, float x, const double* sum, const double* vd, double* g) {
  for (size_t f = 0; f < W; f++) g[f] += gx * (sum[f] - vd[f] * x);
}

// A dense row's factor sums Σᵢ vᵢf xᵢ and Σᵢ (vᵢf xᵢ)² over its non-zero features, in feature
// order, with W = factor_width known to the compiler: the sums stay in registers (or a local
// array) across the features, where a runtime width loaded and stored them for every feature (a
// dense FM run's forward pass, 13% of its CPU, went mostly to those loads and stores). The
// same products and sums in the same order as DenseRowSumsAny: the bytes are the same.
template <size_t W>
__attribute__((always_inline)) inline void DenseRowSums(const float* factors, const float* x, size_t dim, double* sum, double* squares) {
  double s[W] = {}, q[W] = {};
  for (size_t i = 0; i < dim; i++) {
    const float xi = x[i];
    if (xi != 0) AddFactorProducts<W>(factors + i * W, xi, s, q);
  }
  std::copy(s, s + W, sum);
  std::copy(q, q + W, squares);
}

void DenseRowSumsAny(const float* factors, size_t width, const float* x, size_t dim, double* sum, double* squares) {
  std::fill(sum, sum + width, 0.0);
  std::fill(squares, squares + width, 0.0);
  for (size_t i = 0; i < dim; i++) {
    const float xi = x[i];
    if (xi == 0) continue;
    const float* v = factors + i * width;
    for (size_t f = 0; f < width; f++) {
      const double vx = double(v[f]) * xi;
      sum[f] += vx;
      squares[f] += vx * vx;
    }
  }
}

// One model's gradient sums for feature i over a dense batch's rows (Σ slope·x, and per factor
// Σ slope·x·(sum_f − v_f·x)), with W factors known to the compiler: the sums stay in registers
// across the rows. The same products and sums in the same order as Step's runtime-width loop.
template <size_t W>
__attribute__((always_inline)) inline void DenseFeatureGradients(const BatchView& b, size_t dim, size_t i, const double* slope,
                                                                  const double* sums, const float* v, double* glin, double* gfac) {
  double g[W] = {}, vd[W];
  for (size_t f = 0; f < W; f++) vd[f] = double(v[f]);
  double linear = 0;
  for (size_t r = 0; r < b.rows; r++) {
    const float x = b.values[r * dim + i];
    if (x == 0) continue;
    const double gx = slope[r] * x;
    linear += gx;
    AddFactorGradients<W>(gx, x, sums + r * W, vd, g);
  }
  *glin = linear;
  std::copy(g, g + W, gfac);
}

// One model's sparse row: its linear sum and factor sums over the row's entries, in entry order,
// W factors known to the compiler (the sums in registers, where the runtime width loaded and
// stored them for every entry). The same products and sums in the same order as Forward's
// runtime-width loop: the bytes are the same.
template <size_t W>
__attribute__((always_inline)) inline void SparseRowSums(const BatchView& b, size_t r, const float* linear_w, const float* factors,
                                                         double* linear, double* sum, double* squares) {
  double s[W] = {}, q[W] = {}, lin = 0;
  for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
    const size_t i = b.indices[e];
    const float x = b.values[e];
    lin += double(linear_w[i]) * x;
    AddFactorProducts<W>(factors + i * W, x, s, q);
  }
  *linear = lin;
  std::copy(s, s + W, sum);
  std::copy(q, q + W, squares);
}

// One model's gradient sums for feature k of a sparse batch over its entries (rows in order), W
// factors known to the compiler: Step's runtime-width sums, in the same order.
template <size_t W>
__attribute__((always_inline)) inline void SparseFeatureGradients(const uint32_t* rows, const float* values, uint32_t begin, uint32_t end,
                                                                  const double* slope, const double* sums, const float* v, double* glin,
                                                                  double* gfac) {
  double g[W] = {}, vd[W];
  for (size_t f = 0; f < W; f++) vd[f] = double(v[f]);
  double linear = 0;
  for (uint32_t e = begin; e < end; e++) {
    const size_t r = rows[e];
    const float x = values[e];
    const double gx = slope[r] * x;
    linear += gx;
    AddFactorGradients<W>(gx, x, sums + r * W, vd, g);
  }
  *glin = linear;
  std::copy(g, g + W, gfac);
}

// The per-ISA builds of the fixed-width loops (VW's way): AVX2 runs four doubles a step where the
// baseline runs two. No FMA is enabled, so no product and sum is fused and the bytes are those of
// the baseline and of the runtime-width loops.
template <size_t W>
void DenseRowSumsBaseline(const float* factors, const float* x, size_t dim, double* sum, double* squares) {
  DenseRowSums<W>(factors, x, dim, sum, squares);
}
template <size_t W>
void DenseFeatureGradientsBaseline(const BatchView& b, size_t dim, size_t i, const double* slope, const double* sums, const float* v,
                                   double* glin, double* gfac) {
  DenseFeatureGradients<W>(b, dim, i, slope, sums, v, glin, gfac);
}
template <size_t W>
void SparseRowSumsBaseline(const BatchView& b, size_t r, const float* linear_w, const float* factors, double* linear, double* sum,
                           double* squares) {
  SparseRowSums<W>(b, r, linear_w, factors, linear, sum, squares);
}
template <size_t W>
void SparseFeatureGradientsBaseline(const uint32_t* rows, const float* values, uint32_t begin, uint32_t end, const double* slope,
                                    const double* sums, const float* v, double* glin, double* gfac) {
  SparseFeatureGradients<W>(rows, values, begin, end, slope, sums, v, glin, gfac);
}
#if defined(__x86_64__)
template <size_t W>
__attribute__((target("avx2"))) void SparseRowSumsAvx2(const BatchView& b, size_t r, const float* linear_w, const float* factors,
                                                      double* linear, double* sum, double* squares) {
  SparseRowSums<W>(b, r, linear_w, factors, linear, sum, squares);
}
template <size_t W>
__attribute__((target("avx2"))) void SparseFeatureGradientsAvx2(const uint32_t* rows, const float* values, uint32_t begin, uint32_t end,
                                                               const double* slope, const double* sums, const float* v, double* glin,
                                                               double* gfac) {
  SparseFeatureGradients<W>(rows, values, begin, end, slope, sums, v, glin, gfac);
}
template <size_t W>
__attribute__((target("avx2"))) void DenseRowSumsAvx2(const float* factors, const float* x, size_t dim, double* sum, double* squares) {
  DenseRowSums<W>(factors, x, dim, sum, squares);
}
template <size_t W>
__attribute__((target("avx2"))) void DenseFeatureGradientsAvx2(const BatchView& b, size_t dim, size_t i, const double* slope,
                                                               const double* sums, const float* v, double* glin, double* gfac) {
  DenseFeatureGradients<W>(b, dim, i, slope, sums, v, glin, gfac);
}
#endif

// The fixed-width loops for one width: the build for this CPU of each.
struct DenseLoops {
  void (*row_sums)(const float*, const float*, size_t, double*, double*) = nullptr;
  void (*feature_gradients)(const BatchView&, size_t, size_t, const double*, const double*, const float*, double*, double*) = nullptr;
};
// The same for sparse batches of one model.
struct SparseLoops {
  void (*row_sums)(const BatchView&, size_t, const float*, const float*, double*, double*, double*) = nullptr;
  void (*feature_gradients)(const uint32_t*, const float*, uint32_t, uint32_t, const double*, const double*, const float*, double*,
                            double*) = nullptr;
};

template <size_t W>
DenseLoops DenseLoopsFor() {
#if defined(__x86_64__)
  if (UseAvx2()) return {DenseRowSumsAvx2<W>, DenseFeatureGradientsAvx2<W>};
#endif
  return {DenseRowSumsBaseline<W>, DenseFeatureGradientsBaseline<W>};
}

template <size_t W>
SparseLoops SparseLoopsFor() {
#if defined(__x86_64__)
  if (UseAvx2()) return {SparseRowSumsAvx2<W>, SparseFeatureGradientsAvx2<W>};
#endif
  return {SparseRowSumsBaseline<W>, SparseFeatureGradientsBaseline<W>};
}

// The loops for a factor width num_factors × num_models usually takes; none (null) for another width.
template <class Loops, template <size_t> class For>
Loops LoopsOf(size_t width) {
  switch (width) {
    case 4: return For<4>::Get();
    case 8: return For<8>::Get();
    case 16: return For<16>::Get();
    case 32: return For<32>::Get();
    case 64: return For<64>::Get();
    default: return {};
  }
}
template <size_t W>
struct DenseFor {
  static DenseLoops Get() { return DenseLoopsFor<W>(); }
};
template <size_t W>
struct SparseFor {
  static SparseLoops Get() { return SparseLoopsFor<W>(); }
};
DenseLoops DenseLoopsOf(size_t width) { return LoopsOf<DenseLoops, DenseFor>(width); }
// Sparse batches: one model only (its factors are the whole width).
SparseLoops SparseLoopsOf(const Settings& s) { return s.models.size() == 1 ? LoopsOf<SparseLoops, SparseFor>(s.factor_width) : SparseLoops{}; }

// Forward pass of every model on every row: scores (rows × models) and the factor sums
// Σ vᵢf xᵢ (rows × factor_width) that the gradient needs, in float64: a feature in the
// thousands makes (Σ vx)² − Σ (vx)² cancel, and float sums lost the pairwise term's digits
// (evaluate's RMSE then differed from predict's, which sums in float64).
void Forward(const Settings& s, const State& st, const BatchView& b, std::vector<double>& score, std::vector<double>& sums) {
  const size_t models = s.models.size(), width = s.factor_width;
  // Sized, not cleared: each row's entries are zeroed where they are filled (in cache).
  score.resize(b.rows * models);
  sums.resize(b.rows * width);
  const DenseLoops loops = b.sparse ? DenseLoops{} : DenseLoopsOf(width);
  const SparseLoops sparse_loops = b.sparse ? SparseLoopsOf(s) : SparseLoops{};
  ThreadPool::Shared().ParallelFor(b.rows, 16, [&](size_t begin, size_t end) {
    std::vector<double> linear(models), squares(width);
    for (size_t r = begin; r < end; r++) {
      double* sum = sums.data() + r * width;
      std::fill(sum, sum + width, 0.0);
      std::fill(linear.begin(), linear.end(), 0.0);
      std::fill(squares.begin(), squares.end(), 0.0);
      auto add = [&](size_t i, float x) {
        const float* w = st.linear + i * models;
        for (size_t m = 0; m < models; m++) linear[m] += double(w[m]) * x;
        const float* v = st.factors + i * width;
        for (size_t f = 0; f < width; f++) {
          double vx = double(v[f]) * x;
          sum[f] += vx;
          squares[f] += vx * vx;
        }
      };
      if (sparse_loops.row_sums) {
        sparse_loops.row_sums(b, r, st.linear, st.factors, linear.data(), sum, squares.data());
      } else if (b.sparse) {
        for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) add(b.indices[e], b.values[e]);
      } else {
        const float* x = b.values + r * s.dim;
        if (models == 1) {
          // One model: its sum in a register, where the vector's load and store for every feature
          // (and a branch on zeros) were more of a dense run than the factors' loop. The same terms
          // in the same order: a zero adds ±0, which leaves a sum started at +0 as it is.
          double sum_linear = 0;
          for (size_t i = 0; i < s.dim; i++) sum_linear += double(st.linear[i]) * x[i];
          linear[0] = sum_linear;
        } else {
          for (size_t i = 0; i < s.dim; i++) {
            if (x[i] == 0) continue;
            const float* w = st.linear + i * models;
            for (size_t m = 0; m < models; m++) linear[m] += double(w[m]) * x[i];
          }
        }
        if (loops.row_sums) loops.row_sums(st.factors, x, s.dim, sum, squares.data());
        else DenseRowSumsAny(st.factors, width, x, s.dim, sum, squares.data());
      }
      for (size_t m = 0; m < models; m++) {
        const ModelSettings& ms = s.models[m];
        double pair = 0;
        for (size_t f = ms.offset; f < ms.offset + ms.factors; f++) pair += sum[f] * sum[f] - squares[f];
        score[r * models + m] = st.bias[m] + linear[m] + 0.5 * pair;
      }
    }
  });
}

// One row's label into the moments Σw, Σw·y, Σw·y² (Metrics::labels).
inline void AddLabel(double* moments, double w, double y) {
  moments[0] += w;
  moments[1] += w * y;
  moments[2] += w * y * y;
}

// Per row and model, the loss and dL/dŷ (rows split across threads: the exponentials are
// the costly part); then the losses are added to the metrics in row order, so the sums do
// not depend on the thread count.
void Score(const Settings& s, const BatchView& b, const std::vector<double>& score, Metrics* metrics, std::vector<double>& loss,
           std::vector<double>* slope) {
  const size_t models = s.models.size();
  loss.resize(b.rows * models);
  if (slope) slope->resize(b.rows * models);
  ThreadPool::Shared().ParallelFor(b.rows, 64, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      const double w = RowWeight(b, r), y = b.labels[r];
      for (size_t m = 0; m < models; m++) {
        const double z = score[r * models + m];
        double d;
        if (s.loss == Loss::kLogistic) {
          // log(1 + e^z) − y·z, stable for large |z|.
          loss[r * models + m] = (z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z))) - y * z;
          // σ(z) − y without cancelling: a saturated positive row's 1 − σ(z) is σ(−z), whose digits
          // 1 − σ(z) loses (to 1e-3 of it at z = 30), and adaptive L2 decay divides by the gradient's size.
          d = y == 1 ? -1.0 / (1.0 + std::exp(z)) : 1.0 / (1.0 + std::exp(-z));
        } else {
          loss[r * models + m] = (z - y) * (z - y);
          d = 2 * (z - y);
        }
        if (slope) (*slope)[r * models + m] = w * d;
      }
    }
  });
  if (!metrics) return;
  for (size_t r = 0; r < b.rows; r++) {
    const double w = RowWeight(b, r);
    const bool actual = b.labels[r] == 1;
    if (metrics->labels) AddLabel(metrics->labels, w, b.labels[r]);
    for (size_t m = 0; m < models; m++) {
      metrics->loss[m] += w * loss[r * models + m];
      metrics->weight[m] += w;
      if (metrics->confusion && s.loss == Loss::kLogistic) {
        const bool predicted = score[r * models + m] >= 0;
        metrics->confusion[m * 4 + (predicted ? (actual ? 0 : 1) : (actual ? 3 : 2))] += w;
      }
    }
  }
}

// The linear weights of a run of touched features, stepped together: their gradients kept as the
// features' factors are stepped, then each model's weights, moments and gradients gathered into
// arrays and stepped by one optimizer loop across them (the AVX2 build), and written back. One
// weight a call ran the loop's scalar code once per feature: a chain of square roots and divisions
// that was a twelfth of a sparse batch's time. Each weight's arithmetic is the same: same bytes.
struct LinearSteps {
  std::vector<float> grad, p, m1, m2;  // models × count (model-major)
  size_t count = 0, models = 0;
  void Reset(size_t n, size_t model_count) {
    count = n;
    models = model_count;
    grad.resize(n * model_count);
  }
  void Apply(const Settings& s, State& st, const StepConstants& constants, const uint32_t* features) {
    p.resize(count);
    m1.resize(st.linear_m1 ? count : 0);
    m2.resize(st.linear_m2 ? count : 0);
    for (size_t m = 0; m < models; m++) {
      const ModelSettings& ms = s.models[m];
      for (size_t k = 0; k < count; k++) {
        const size_t j = features[k] * models + m;
        p[k] = st.linear[j];
        if (st.linear_m1) m1[k] = st.linear_m1[j];
        if (st.linear_m2) m2[k] = st.linear_m2[j];
      }
      fm::Apply(s.optimizer, s, ms.linear_lr, ms.linear_wd, constants, grad.data() + m * count, p.data(), st.linear_m1 ? m1.data() : nullptr,
                st.linear_m2 ? m2.data() : nullptr, count);
      for (size_t k = 0; k < count; k++) {
        const size_t j = features[k] * models + m;
        st.linear[j] = p[k];
        if (st.linear_m1) st.linear_m1[j] = m1[k];
        if (st.linear_m2) st.linear_m2[j] = m2[k];
      }
    }
  }
};

void Step(const Settings& s, State& st, const BatchView& b, Metrics* metrics, bool training, int32_t* slot_scratch) {
  ValidateFeatureRows(b, s.dim);
  ValidateLabels(s, b);
  if (b.rows == 0) return;
  const int32_t step = static_cast<int32_t>(st.counters[kStep]);
  // Batch-sized buffers kept per thread: fresh ones this size come from mmap and fault
  // their pages in on every batch. The caller's slot scratch maps a feature to its place
  // in the index; it is all −1 between calls.
  // (Bound to references here: the pool threads' lambdas must see the caller's buffers,
  // and a thread_local named inside a lambda would be the running thread's own.)
  StepScratch& scratch = ThreadStepScratch();
  FeatureIndex& index = scratch.index;
  std::vector<double>& score = scratch.score;
  std::vector<double>& loss = scratch.loss;
  std::vector<double>& slope = scratch.slope;
  std::vector<double>& sums = scratch.sums;
  IndexFeatures(s, b, slot_scratch, scratch);
  const std::vector<uint32_t>& touched = index.features;
  const double catch_up_c2 = SecondBiasCorrection(s, step);
  ThreadPool::Shared().ParallelFor(touched.size(), 64, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; k++) {
      if (k + kPrefetchAhead < end) PrefetchFeature(s, st, touched[k + kPrefetchAhead]);
      CatchUp(s, st, touched[k], step, catch_up_c2);
    }
  });
  Forward(s, st, b, score, sums);
  Score(s, b, score, metrics, loss, training ? &slope : nullptr);
  if (!training) return;
  const size_t models = s.models.size(), width = s.factor_width;
  double total_weight = 0;
  for (size_t r = 0; r < b.rows; r++) total_weight += RowWeight(b, r);
  const double rescale = s.rescale_grad > 0 ? s.rescale_grad : (total_weight > 0 ? 1.0 / total_weight : 0.0);
  const int32_t t = step + 1;
  StepConstants constants;
  if (s.optimizer == Optimizer::kAdam) {
    constants.c1 = 1.0f - std::pow(s.beta1, static_cast<float>(t));
    constants.c2 = 1.0f - std::pow(s.beta2, static_cast<float>(t));
  }
  // Bias.
  for (size_t m = 0; m < models; m++) {
    double g = 0;
    for (size_t r = 0; r < b.rows; r++) g += slope[r * models + m];
    float grad = static_cast<float>(g * rescale);
    Apply(s.optimizer, s, s.models[m].bias_lr, s.models[m].bias_wd, constants, &grad, st.bias + m, st.bias_m1 ? st.bias_m1 + m : nullptr,
          st.bias_m2 ? st.bias_m2 + m : nullptr, 1);
  }
  // Linear weights and factors, feature by feature (features split across threads); one model's
  // dense rows through the fixed-width loops.
  const DenseLoops dense_loops = b.sparse || models != 1 ? DenseLoops{} : DenseLoopsOf(width);
  const SparseLoops sparse_loops = b.sparse ? SparseLoopsOf(s) : SparseLoops{};
  ThreadPool::Shared().ParallelFor(touched.size(), 32, [&](size_t begin, size_t end) {
    std::vector<double> glin(models), gfac(width);
    std::vector<float> grad(width);
    Reused<LinearSteps> linear_steps;
    linear_steps->Reset(end - begin, models);
    for (size_t k = begin; k < end; k++) {
      const size_t i = touched[k];
      if (k + kPrefetchAhead < end) PrefetchFeature(s, st, touched[k + kPrefetchAhead]);
      std::fill(glin.begin(), glin.end(), 0.0);
      std::fill(gfac.begin(), gfac.end(), 0.0);
      float* v = st.factors + i * width;
      auto add = [&](size_t r, float x) {
        const double* sl = slope.data() + r * models;
        const double* sum = sums.data() + r * width;
        for (size_t m = 0; m < models; m++) {
          const double gx = sl[m] * x;
          glin[m] += gx;
          const ModelSettings& ms = s.models[m];
          for (size_t f = ms.offset; f < ms.offset + ms.factors; f++) gfac[f] += gx * (sum[f] - double(v[f]) * x);
        }
      };
      if (sparse_loops.feature_gradients) {
        sparse_loops.feature_gradients(index.rows.data(), index.values.data(), index.starts[k], index.starts[k + 1], slope.data(), sums.data(),
                                       v, glin.data(), gfac.data());
      } else if (b.sparse) {
        for (uint32_t e = index.starts[k]; e < index.starts[k + 1]; e++) add(index.rows[e], index.values[e]);
      } else if (dense_loops.feature_gradients) {
        dense_loops.feature_gradients(b, s.dim, i, slope.data(), sums.data(), v, glin.data(), gfac.data());
      } else {
        for (size_t r = 0; r < b.rows; r++) {
          float x = b.values[r * s.dim + i];
          if (x != 0) add(r, x);
        }
      }
      for (size_t m = 0; m < models; m++) {
        const ModelSettings& ms = s.models[m];
        linear_steps->grad[m * (end - begin) + (k - begin)] = static_cast<float>(glin[m] * rescale);
        for (size_t f = 0; f < ms.factors; f++) grad[f] = static_cast<float>(gfac[ms.offset + f] * rescale);
        size_t at = i * width + ms.offset;
        Apply(s.optimizer, s, ms.factors_lr, ms.factors_wd, constants, grad.data(), st.factors + at, st.factors_m1 ? st.factors_m1 + at : nullptr,
              st.factors_m2 ? st.factors_m2 + at : nullptr, ms.factors);
      }
      st.last_step[i] = t;
    }
    linear_steps->Apply(s, st, constants, touched.data() + begin);
  });
  st.counters[kStep] = t;
  st.counters[kRows] += static_cast<double>(b.rows);
}

}  // namespace

size_t FeatureIndexWords(const Settings& settings, const BatchView& batch, int32_t* slot_scratch, uint32_t* out, double* total_weight,
                         double* label_sums) {
  ValidateFeatureRows(batch, settings.dim);
  ValidateLabels(settings, batch);
  double moments[3] = {0, 0, 0};
  for (size_t r = 0; r < batch.rows; r++) AddLabel(moments, RowWeight(batch, r), batch.labels[r]);
  *total_weight = moments[0];
  label_sums[0] = moments[1];
  label_sums[1] = moments[2];
  if (!batch.sparse || batch.rows == 0) return 0;
  StepScratch& scratch = ThreadStepScratch();
  IndexFeatures(settings, batch, slot_scratch, scratch);
  const FeatureIndex& index = scratch.index;
  const size_t touched = index.features.size(), nnz = index.rows.size();
  std::copy(index.features.begin(), index.features.end(), out);
  std::copy(index.starts.begin(), index.starts.end(), out + touched);
  std::copy(index.rows.begin(), index.rows.end(), out + 2 * touched + 1);
  std::memcpy(out + 2 * touched + 1 + nnz, index.values.data(), nnz * sizeof(float));
  return touched;
}

// A row naming an index twice holds their sum there (runtime/merged_rows.h): the pair term's
// Σ (vᵢxᵢ)² is over indices, not entries.
void Update(const Settings& settings, State& state, const BatchView& batch, Metrics* metrics, int32_t* slot_scratch) {
  MergedStorage merged;
  Step(settings, state, MergedRows(batch, merged), metrics, true, slot_scratch);
}

void Evaluate(const Settings& settings, State& state, const BatchView& batch, Metrics& metrics, int32_t* slot_scratch) {
  MergedStorage merged;
  Step(settings, state, MergedRows(batch, merged), &metrics, false, slot_scratch);
}

void CatchUpAll(const Settings& settings, State& state) {
  const int32_t step = static_cast<int32_t>(state.counters[kStep]);
  const double c2 = SecondBiasCorrection(settings, step);
  // Chunks of 16,384 features (a millisecond or two): a state of fewer is caught up at once on the
  // caller, which a data-parallel worker does every round; handed to the pool, it waited behind
  // parse work.
  ThreadPool::Shared().ParallelFor(settings.dim, 16384, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) CatchUp(settings, state, i, step, c2);
  });
}

namespace {

// The user-independent parts of one row: linear sum, Σ vx and Σ (vx)² per factor.
void RowSums(const Model& model, const BatchView& b, size_t r, double& linear, double* sum, double* squares) {
  auto add = [&](size_t i, float x) {
    linear += double(model.linear[i]) * x;
    const float* v = model.factors_v + i * model.factors;
    for (size_t f = 0; f < model.factors; f++) {
      double vx = double(v[f]) * x;
      sum[f] += vx;
      squares[f] += vx * vx;
    }
  };
  if (b.sparse) {
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) add(b.indices[e], b.values[e]);
  } else {
    for (size_t i = 0; i < model.dim; i++) if (b.values[r * model.dim + i] != 0) add(i, b.values[r * model.dim + i]);
  }
}

// Where item row r names an index the user names too, (v·(u + x))² is the square, not (v·u)² + (v·x)²: the cross term added.
void SharedIndices(const Model& model, const BatchView& items, size_t r, const std::unordered_map<uint32_t, float>& user_values, double* squares) {
  if (user_values.empty()) return;
  auto shared = [&](size_t i, float x) {
    auto found = user_values.find(static_cast<uint32_t>(i));
    if (found == user_values.end()) return;
    const float* v = model.factors_v + i * model.factors;
    for (size_t f = 0; f < model.factors; f++) squares[f] += 2.0 * double(v[f]) * found->second * double(v[f]) * x;
  };
  if (items.sparse) {
    for (int32_t e = items.indptr[r]; e < items.indptr[r + 1]; e++) shared(items.indices[e], items.values[e]);
  } else {
    for (size_t i = 0; i < model.dim; i++) if (items.values[r * model.dim + i] != 0) shared(i, items.values[r * model.dim + i]);
  }
}

double Combine(const Model& model, double linear, const double* sum, const double* squares) {
  double pair = 0;
  for (size_t f = 0; f < model.factors; f++) pair += sum[f] * sum[f] - squares[f];
  return model.bias + linear + 0.5 * pair;
}

}  // namespace

void Predict(const Model& model, const BatchView& batch, float* score, float* label) {
  ValidateFeatureRows(batch, model.dim);
  MergedStorage merged;
  const BatchView b = MergedRows(batch, merged);
  // A regressor's score float32 cannot hold is an error, never an infinite prediction (the CLI
  // wrote it as null, exit 0): the first such row, whichever thread met it.
  std::vector<double> outside(b.rows, 0.0);
  ThreadPool::Shared().ParallelFor(b.rows, 64, [&](size_t begin, size_t end) {
    std::vector<double> sum(model.factors), squares(model.factors);
    for (size_t r = begin; r < end; r++) {
      double linear = 0;
      std::fill(sum.begin(), sum.end(), 0.0);
      std::fill(squares.begin(), squares.end(), 0.0);
      RowSums(model, b, r, linear, sum.data(), squares.data());
      double z = Combine(model, linear, sum.data(), squares.data());
      score[r] = model.logistic ? Sigmoid(z) : static_cast<float>(z);
      if (!model.logistic && !std::isfinite(score[r])) outside[r] = std::isnan(z) ? 1 : z;
      if (label) label[r] = score[r] >= model.threshold ? 1.0f : 0.0f;
    }
  });
  for (size_t r = 0; r < b.rows; r++) {
    if (outside[r] == 0) continue;
    throw std::invalid_argument("row " + std::to_string(r) + ": its score " + (std::isnan(score[r]) ? std::string("is not a number") : "of " + Number(outside[r]) + " is past float32's range") +
                                " (features or parameters too large for a float32 prediction)");
  }
}

void Recommend(const Model& model, const BatchView& user_rows, const BatchView& item_rows, size_t n, int32_t* indices, float* scores) {
  ValidateFeatureRows(user_rows, model.dim);
  ValidateFeatureRows(item_rows, model.dim);
  if (user_rows.rows != 1) throw std::invalid_argument("the user batch must have exactly one row, got " + std::to_string(user_rows.rows));
  MergedStorage merged_user, merged_items;
  const BatchView user = MergedRows(user_rows, merged_user), items = MergedRows(item_rows, merged_items);
  double user_linear = 0;
  std::vector<double> user_sum(model.factors, 0.0), user_squares(model.factors, 0.0);
  RowSums(model, user, 0, user_linear, user_sum.data(), user_squares.data());
  // The user's value at each index, for an item naming an index the user names too: the row user ∪ item holds their sum.
  std::unordered_map<uint32_t, float> user_values;
  if (user.sparse) {
    for (int32_t e = user.indptr[0]; e < user.indptr[1]; e++) user_values[user.indices[e]] = user.values[e];
  } else {
    for (size_t i = 0; i < model.dim; i++) if (user.values[i] != 0) user_values[static_cast<uint32_t>(i)] = user.values[i];
  }
  std::vector<float> all(items.rows);
  ThreadPool::Shared().ParallelFor(items.rows, 256, [&](size_t begin, size_t end) {
    std::vector<double> sum(model.factors), squares(model.factors);
    for (size_t r = begin; r < end; r++) {
      double linear = user_linear;
      sum = user_sum;
      squares = user_squares;
      RowSums(model, items, r, linear, sum.data(), squares.data());
      SharedIndices(model, items, r, user_values, squares.data());
      double z = Combine(model, linear, sum.data(), squares.data());
      all[r] = model.logistic ? Sigmoid(z) : static_cast<float>(z);
    }
  });
  std::vector<int32_t> order(items.rows);
  std::iota(order.begin(), order.end(), 0);
  n = std::min(n, items.rows);
  // Ties go to the lower index, so the result is deterministic.
  std::partial_sort(order.begin(), order.begin() + n, order.end(),
                    [&](int32_t a, int32_t c) { return all[a] > all[c] || (all[a] == all[c] && a < c); });
  for (size_t k = 0; k < n; k++) {
    indices[k] = order[k];
    scores[k] = all[order[k]];
  }
}

}  // namespace fm
}  // namespace boundless
