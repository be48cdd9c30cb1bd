// The scalar arithmetic of the linear learner's training step on the device, each function
// native/algorithms/linear_learner/linear_learner.cc's (or linear_learner_loops.cc's) of the same
// name and the same operations: the catch-up of a weight over missed steps, the optimizer's step
// and the proximal step, the float32 logistic loss of training (the other losses' gradients are
// ll_metrics.cuh's LossAndGradient).
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "algorithms/linear_learner/linear_learner_shrink.h"
#include "linear_learner/ll_metrics.cuh"
#include "linear_learner/ll_update.cuh"

namespace boundless_cuda {
namespace linear_train {

using boundless::linear::Proximal;
using boundless::linear::ShrinkSteps;

// k steps of w ← soft(w·a, τ) in closed form, with Σ of the k iterates into *sum (ShrinkWithSum).
__device__ inline float ShrinkWithSum(float w, const Proximal& p, double k, double* sum) {
  *sum = 0;
  if (k <= 0 || w == 0) return w;
  if (p.decay <= 0) return 0;
  if (p.t == 0 && p.threshold == 0) {
    *sum = k * w;
    return w;
  }
  const double m0 = fabs(static_cast<double>(w));
  double magnitude, total;
  ShrinkSteps(m0, p, k, exp(-k * p.t), &magnitude, &total);
  if (magnitude <= 0) {
    double steps = p.t == 0 ? ceil(m0 / p.threshold) - 1 : ceil(log1p(m0 * p.t * p.g / p.threshold) / p.t) - 1;
    steps = steps > 0.0 ? steps : 0.0;
    steps = k < steps ? k : steps;
    double ignored;
    total = 0;
    if (steps > 0) ShrinkSteps(m0, p, steps, exp(-steps * p.t), &ignored, &total);
  }
  total = total > 0.0 ? total : 0.0;
  *sum = w < 0 ? -total : total;
  return magnitude > 0 ? static_cast<float>(w < 0 ? -magnitude : magnitude) : 0.0f;
}

// The average of a weight brought from step `last` to step `to` (AverageAt).
__device__ inline float AverageAt(float a, float w, float shrunk, double missed_sum, double last, double to, double start, const Proximal& p,
                                  double inverse_count) {
  if (start < 0 || to <= start) return shrunk;
  const double counted = last - start > 0.0 ? last - start : 0.0;
  const double skipped = start - last > 0.0 ? start - last : 0.0;
  double skipped_sum = 0;
  if (skipped > 0) ShrinkWithSum(w, p, skipped, &skipped_sum);
  return static_cast<float>((a * counted + missed_sum - skipped_sum) * inverse_count);
}

// e^x for x ≤ 0 in float32, the polynomial of linear_learner_loops.cc's ExpNonPositive.
__device__ inline float ExpNonPositive(float x) {
  x = x > -87.0f ? x : -87.0f;
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The logistic loss and its gradient σ(z) − y in float32 (LogisticLoop).
__device__ inline void LogisticRow(double z, float y, float* gradient, float* loss) {
  const float zk = static_cast<float>(z);
  const float e = ExpNonPositive(-fabsf(zk));
  const float inverse = 1.0f / (1.0f + e);
  const float numerator = e + (1.0f - e) * static_cast<float>(zk >= 0);
  *gradient = numerator * inverse - y;
  const float s = e / (2.0f + e);
  const float s2 = s * s;
  const float log1p_e = 2.0f * s * (1.0f + s2 * (1.0f / 3 + s2 * (1.0f / 5 + s2 * (1.0f / 7 + s2 * (1.0f / 9 + s2 * (1.0f / 11))))));
  *loss = (zk > 0.0f ? zk : 0.0f) - zk * y + log1p_e;
}

// One optimizer step and the proximal step of one weight in float32 (linear_learner_loops.cc's
// StepLoop): w ← soft((w − lr·update)·decay, threshold).
__device__ inline void StepWeight(const LinearUpdateSettings& u, float correction1, float correction2, float lr, float decay, float threshold,
                                  float gk, float* w, float* m1, float* m2) {
  float update;
  switch (u.step_kind) {
    case kStepSgd: update = gk; break;
    case kStepMomentum:
      update = u.momentum * *m1 + gk;
      *m1 = update;
      break;
    case kStepAdam: {
      const float first = u.beta1 * *m1 + (1 - u.beta1) * gk;
      const float second = u.beta2 * *m2 + (1 - u.beta2) * gk * gk;
      *m1 = first;
      *m2 = second;
      update = (first / correction1) / (sqrtf(second / correction2) + u.epsilon);
      break;
    }
    case kStepRmsprop: {
      const float second = u.beta2 * *m2 + (1 - u.beta2) * gk * gk;
      *m2 = second;
      update = gk / (sqrtf(second) + u.epsilon);
      break;
    }
    default: {
      const float second = *m2 + gk * gk;
      *m2 = second;
      update = gk / (sqrtf(second) + u.epsilon);
    }
  }
  const float v = (*w - lr * update) * decay;
  const float magnitude = fabsf(v) - threshold;
  *w = magnitude > 0 ? copysignf(magnitude, v) : 0.0f;
}

// The bias's optimizer step in float64 (linear_learner.cc's StepRule::Apply); returns the new value.
__device__ inline float StepBias(const LinearUpdateSettings& u, double correction1, double correction2, float w, double g, double lr, float* m1,
                                 float* m2) {
  const double beta1 = u.beta1, beta2 = u.beta2, momentum = u.momentum, epsilon = u.epsilon;
  double update;
  switch (u.step_kind) {
    case kStepSgd: update = g; break;
    case kStepMomentum: {
      const double v = momentum * *m1 + g;
      *m1 = static_cast<float>(v);
      update = v;
      break;
    }
    case kStepAdam: {
      const double a = beta1 * *m1 + (1 - beta1) * g;
      const double b = beta2 * *m2 + (1 - beta2) * g * g;
      *m1 = static_cast<float>(a);
      *m2 = static_cast<float>(b);
      update = (a / correction1) / (sqrt(b / correction2) + epsilon);
      break;
    }
    case kStepRmsprop: {
      const double b = beta2 * *m2 + (1 - beta2) * g * g;
      *m2 = static_cast<float>(b);
      update = g / (sqrt(b) + epsilon);
      break;
    }
    default: {
      const double b = *m2 + g * g;
      *m2 = static_cast<float>(b);
      update = g / (sqrt(b) + epsilon);
    }
  }
  return static_cast<float>(w - lr * update);
}

}  // namespace linear_train
}  // namespace boundless_cuda
