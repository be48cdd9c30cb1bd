// A row's loss, its gradient and metric sums for one model, on the device: the
// arithmetic of native/algorithms/linear_learner/linear_learner.cc
// (LossAndGradient, AccumulateMetrics, HistogramBin) in float64, in the same
// order, so one thread taking a model's rows in order adds what cpu adds.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "linear_learner/ll_settings.cuh"

namespace boundless_cuda {
namespace linear_metrics {

constexpr uint32_t kLogistic = 0, kHinge = 1, kSoftmax = 2, kSquared = 3, kAbsolute = 4, kEpsSquared = 5, kEpsAbsolute = 6,
                   kQuantile = 7, kHuber = 8;
constexpr double kHistogramRange = 16.0;
constexpr double kLogHistogramRange = 14.0;

// log(1 + x) for x in [0, 1] by the atanh series (cpu's Log1pUnit).
__device__ inline double Log1pUnit(double x) {
  const double s = x / (2 + x);
  const double s2 = s * s;
  return 2 * s * (1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13)))))));
}

// The loss of a row at scores `score` (classes of them) and label y, and dloss/dscore into
// `gradient` (float, as cpu stores it) when it is not null: cpu's LossAndGradient, case by case.
__device__ inline double LossAndGradient(const LinearSettings& s, const double* score, double y, float* gradient) {
  switch (s.loss) {
    case kLogistic: {
      // One single-precision exponential serves the loss and the sigmoid, as on cpu. cpu's (glibc's)
      // expf is correctly rounded and CUDA's is within 2 ulp: exp in double, rounded once to float,
      // is glibc's value but where double rounding ties (validation sums were 8e-9 off on an H200).
      const double z = score[0];
      const float e = static_cast<float>(exp(static_cast<double>(-fabsf(static_cast<float>(z)))));
      if (gradient) gradient[0] = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - static_cast<float>(y);
      return fmax(z, 0.0) - z * y + Log1pUnit(e);
    }
    case kHinge: {
      const double t = 2 * y - 1;
      const double slack = s.margin - t * score[0];
      if (gradient) gradient[0] = slack > 0 ? static_cast<float>(-t) : 0.0f;
      return slack > 0 ? slack : 0;
    }
    case kSoftmax: {
      const uint32_t label = static_cast<uint32_t>(y);
      double top = score[0];
      for (uint32_t c = 1; c < s.classes; c++) top = fmax(top, score[c]);
      double total = 0;
      for (uint32_t c = 0; c < s.classes; c++) {
        const double e = exp(score[c] - top);
        total += e;
        if (gradient) gradient[c] = static_cast<float>(e);
      }
      if (gradient) {
        const double inverse = 1 / total;
        for (uint32_t c = 0; c < s.classes; c++) gradient[c] = static_cast<float>(gradient[c] * inverse - (c == label ? 1.0 : 0.0));
      }
      return log(total) + top - score[label];
    }
    default:
      break;
  }
  const double d = score[0] - y;
  const double a = fabs(d);
  const double sign = d > 0 ? 1 : (d < 0 ? -1 : 0);
  double loss = 0, g = 0;
  switch (s.loss) {
    case kSquared: loss = d * d; g = 2 * d; break;
    case kAbsolute: loss = a; g = sign; break;
    case kEpsSquared: {
      const double e = fmax(0.0, a - s.insensitivity);
      loss = e * e;
      g = 2 * e * sign;
      break;
    }
    case kEpsAbsolute: {
      const double e = a - s.insensitivity;
      loss = e > 0 ? e : 0;
      g = e > 0 ? sign : 0;
      break;
    }
    case kQuantile: {
      // Pinball loss on u = y − score: τ·u above, (τ − 1)·u below.
      const double u = -d;
      loss = u >= 0 ? s.quantile * u : (s.quantile - 1) * u;
      g = u > 0 ? -s.quantile : (u < 0 ? 1 - s.quantile : 0);
      break;
    }
    case kHuber:
      if (a <= s.huber_delta) {
        loss = 0.5 * d * d;
        g = d;
      } else {
        loss = s.huber_delta * (a - 0.5 * s.huber_delta);
        g = s.huber_delta * sign;
      }
      break;
    default: break;
  }
  if (gradient) gradient[0] = static_cast<float>(g);
  return loss;
}

__device__ inline double Loss(const LinearSettings& s, const double* score, double y) { return LossAndGradient(s, score, y, nullptr); }

// cpu's HistogramBin: bins uniform in the score over ±16, or in sign(s)·log(1 + |s|) over ±14.
__device__ inline uint32_t HistogramBin(double score, uint32_t bins, bool log_scale) {
  const double unit = log_scale ? (copysign(log1p(fabs(score)), score) + kLogHistogramRange) / (2 * kLogHistogramRange)
                                : (score + kHistogramRange) / (2 * kHistogramRange);
  if (!(unit > 0)) return 0;  // also NaN
  const double position = unit * static_cast<double>(bins);
  if (!(position < static_cast<double>(bins))) return bins - 1;
  return static_cast<uint32_t>(position);
}

// sums[at[which] + index] += value, when the sum is wanted.
__device__ inline void Add(const LinearSettings& s, double* sums, int which, size_t index, double value) {
  if (s.at[which] >= 0) sums[s.at[which] + index] += value;
}

// A regressor's loss on the original label scale (label_transform: its shift and scale, or null);
// a classifier's loss (cpu's MetricLoss).
__device__ inline double MetricLoss(const LinearSettings& s, const float* label_transform, const double* score, double y) {
  if (s.loss == kLogistic || s.loss == kHinge || s.loss == kSoftmax) return Loss(s, score, y);
  const double shift = label_transform ? label_transform[0] : 0;
  const double scale = label_transform ? label_transform[1] : 1;
  const double original = score[0] / scale + shift;
  return Loss(s, &original, y);
}

// Model m's metrics of a row with scores `score` (training space) and label y, weighted by `weight`
// (cpu's AccumulateMetrics); label_transform: the regressor's (shift, scale), or null. `known`: the
// row's metric loss when the caller has it (training's logistic loss is cpu's float one), else null.
__device__ inline void AccumulateRow(const LinearSettings& s, const float* label_transform, double* sums, const double* score,
                                     double y, double weight, uint32_t m, const double* known = nullptr) {
  if (s.loss == kLogistic || s.loss == kHinge) {
    Add(s, sums, kLossSum, m, weight * (known ? *known : Loss(s, score, y)));
    Add(s, sums, kCorrect, m, ((score[0] >= 0) == (y == 1)) ? weight : 0);
    const bool positive = score[0] >= s.threshold;
    Add(s, sums, kConfusion, static_cast<size_t>(m) * 4 + (y == 1 ? (positive ? 0 : 3) : (positive ? 1 : 2)), weight);
    if (s.bins > 0) Add(s, sums, kHistogram, (static_cast<size_t>(m) * 2 + (y == 1 ? 1 : 0)) * s.bins + HistogramBin(score[0], s.bins, s.log_scale != 0), weight);
    return;
  }
  if (s.loss == kSoftmax) {
    const uint32_t label = static_cast<uint32_t>(y);
    Add(s, sums, kLossSum, m, weight * (known ? *known : Loss(s, score, y)));
    uint32_t best = 0, above = 0;
    for (uint32_t c = 0; c < s.classes; c++) {
      if (score[c] > score[best]) best = c;
      if (score[c] > score[label]) above++;
    }
    if (best == label) Add(s, sums, kCorrect, m, weight);
    if (above < s.top_k) Add(s, sums, kTopKCorrect, m, weight);
    Add(s, sums, kDcg, m, weight / log2(2.0 + static_cast<double>(above)));
    const size_t row = static_cast<size_t>(m) * s.classes;
    Add(s, sums, kClassActual, row + label, weight);
    Add(s, sums, kClassPredicted, row + best, weight);
    if (best == label) Add(s, sums, kClassTruePositive, row + label, weight);
    return;
  }
  const double shift = label_transform ? label_transform[0] : 0;
  const double scale = label_transform ? label_transform[1] : 1;
  const double original = score[0] / scale + shift;
  const double d = original - y;
  Add(s, sums, kLossSum, m, weight * (known ? *known : Loss(s, &original, y)));
  Add(s, sums, kSquaredError, m, weight * d * d);
  Add(s, sums, kAbsoluteError, m, weight * fabs(d));
}

}  // namespace linear_metrics
}  // namespace boundless_cuda
