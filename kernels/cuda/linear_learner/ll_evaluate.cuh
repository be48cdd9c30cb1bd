// The linear learner's evaluation on the device (lib/backends/cuda-linear-learner.ts):
// every model of a state (a validation pass) or one finalized model (a test
// channel) scores batches there, and the metric sums stay there, in float64,
// until the host reads them. The math is native/algorithms/linear_learner/
// linear_learner.cc's Evaluate: scores summed in float64 from the bias over
// the features in order, each model's sums taken over the rows in order.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "linear_learner/ll_settings.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {

struct LinearEvaluateDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  LinearSettings s;
  bool scaled = false, label_transformed = false;
  // The model: weights [dim × models × classes], bias [models × classes], then the scaler's shift and
  // scale [dim each] and the label transform [2] when the state has them.
  float* model = nullptr;
  double* sums = nullptr;
  // A batch and a sparse batch's structure, sent in one transfer (runtime/pinned_upload.cuh).
  PinnedUpload upload;
  double* scores = nullptr;  // rows × models × classes
  size_t score_count = 0;
};

using LinearEvaluateBatch = LinearRows;

// Copies the model to the selected device and zeroes the sums; "" or why not. shift and scale come
// together (or both null); label_transform may be null.
std::string OpenLinearEvaluate(LinearEvaluateDevice& e, const LinearSettings& s, const float* weights, const float* bias,
                               const float* shift, const float* scale, const float* label_transform);

// Enqueues a batch's scores and metric sums; returns once the host arrays may be reused.
std::string AddLinearEvaluate(LinearEvaluateDevice& e, const LinearEvaluateBatch& batch);

// Adds the device's sums into `out` (s.sums entries, laid out as `at` says) and clears them.
std::string ReadLinearEvaluate(LinearEvaluateDevice& e, double* out);

// Frees the device memory (safe to call twice).
void CloseLinearEvaluate(LinearEvaluateDevice& e);

}  // namespace boundless_cuda
