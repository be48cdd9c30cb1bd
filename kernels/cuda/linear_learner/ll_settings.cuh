// What the linear learner's device kernels (evaluation and training) read of its settings and of
// the metric sums wanted: native/algorithms/linear_learner/linear_learner.h's Settings and
// Metrics, as the bindings fill them in.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/host_rows.h"

namespace boundless_cuda {

// The metric sums, in lib/backends/linear-learner-sums.ts's order: evaluation's twelve, then
// training's two more. `at` holds each one's first float64 in the sums buffer, or -1 when unwanted.
enum LinearSum : int {
  kLossSum = 0, kWeightSum, kCorrect, kConfusion, kSquaredError, kAbsoluteError, kTopKCorrect, kDcg,
  kClassTruePositive, kClassPredicted, kClassActual, kHistogram, kEvaluationSums,
  kLossDifferenceSq = kEvaluationSums, kWeightSqSum, kLinearSums,
};

struct LinearSettings {
  uint32_t dim = 0, models = 1, classes = 1, loss = 0;
  // float in cpu's Settings, held here as the floats' values.
  double margin = 1, quantile = 0.5, insensitivity = 0.01, huber_delta = 1;
  uint32_t use_bias = 1, bins = 0, log_scale = 0, top_k = 0;
  double threshold = 0;
  int32_t at[kLinearSums];
  size_t sums = 0;  // float64 entries in the sums buffer
};

// A batch's rows as the host holds them (runtime/host_rows.h).
using LinearRows = HostRows;

}  // namespace boundless_cuda
