// The wide inner loop of the linear learner (over models × classes for one
// feature), per ISA: a portable baseline and an AVX2+FMA variant chosen at
// load, as linear_algebra does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {
namespace linear {

enum class StepKind : int { kSgd = 0, kMomentum, kAdam, kRmsprop, kAdagrad };

// One optimizer step for one feature's models × classes, then the step's
// proximal regularization: w ← soft(w·decay, threshold), per element k.
struct StepArgs {
  StepKind kind;
  float beta1, beta2, momentum, epsilon;
  float correction1, correction2;  // adam: 1 − β^t
  const float* learning_rate;      // per element
  const float* decay;              // per element: 1 − lr·wd
  const float* threshold;          // per element: lr·l1
};

// One feature's lazy catch-up over `missed` steps with one weight per model (one class): per
// model m, the proximal constants of linear_learner_shrink.h (decay = 1 − lr·wd, t = −log decay,
// φ(t), g, threshold = lr·l1), power[m] = e^(−missed·t), and the coefficients of `missed` steps
// (ak, geometric, ramp: shrink_coefficients' output; read only where a model regularizes).
// With `averaging`, the average a also takes the missed iterates: a ← (a·counted + Σ iterates)·inverse_count.
struct CatchUpArgs {
  const double* decay;
  const double* threshold;
  const double* t;
  const double* phi_t;
  const double* g;
  const float* power;
  const double* ak;
  const double* geometric;
  const double* ramp;
  double missed;
  bool averaging;
  double counted, inverse_count;
};

struct Loops {
  // acc[k] += x · v[k] for k < n, accumulated in double.
  void (*add_scaled)(double* acc, double x, const float* v, size_t n);
  // w, m1, m2 updated in place from gradient g (m1/m2 may be null when the rule needs none).
  void (*apply_step)(const StepArgs& args, float* w, float* m1, float* m2, const double* g, size_t n);
  // The same from a gradient summed in float (dense steps: linalg's tiled products sum in float).
  void (*apply_step_f32)(const StepArgs& args, float* w, float* m1, float* m2, const float* g, size_t n);
  // The logistic loss of n models' scores z for one row with label y (0 or 1), and its gradient
  // σ(z) − y: single precision, branch-free, models innermost (a
  // polynomial exp, relative error ~1e-7, so the loop vectorizes).
  void (*logistic_row)(const double* z, float y, float* gradient, float* loss, size_t n);
  // out[m] = e^(k·log_decay[m]) (log_decay ≤ 0, k ≥ 0): the decay a weight owes for k missed steps,
  // for n models at once (the same polynomial exponential).
  void (*decay_powers)(const float* log_decay, float k, float* out, size_t n);
  // A dense row against a [cols][width] block in float64: acc[k] += Σ_j x[j]·w[j·width + k]
  // (j < cols, k < width; zeros of x skipped), for predictions and evaluation, whose rows are not
  // centred and scaled (training's steps use linalg's float tiles on scaled rows).
  void (*row_product)(double* acc, const float* x, const float* w, size_t cols, size_t width);
  // linear_learner.cc's ShrinkWithSum and AverageAt for every model of one feature, across
  // models (the same float64 operations in the same order, so the same bits), into new_w and
  // new_a (the average's catch-up when args.averaging; a: the averages, any valid array when no
  // model averages). slow[m] = 1 where the
  // weight reaches zero within the missed steps: new_w[m] and new_a[m] are then not the answer,
  // and the caller's scalar path computes it.
  void (*catch_up_feature)(const CatchUpArgs& args, const float* w, const float* a, size_t models, float* new_w, float* new_a,
                           int64_t* slow);
  // ShrinkCoefficientsOf (linear_learner_shrink.h) of args.missed steps for every model, from
  // args.power, into ak, geometric and ramp (models each): a step computes them once per
  // distinct number of missed steps, and catch_up_feature reads them for every feature that missed as many.
  void (*shrink_coefficients)(const CatchUpArgs& args, double* ak, double* geometric, double* ramp, size_t models);
};

const Loops& SelectedLoops();

extern const Loops kBaselineLoops;
#if defined(__x86_64__)
extern const Loops kAvx2Loops;
#endif

}  // namespace linear
}  // namespace boundless
