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

namespace boundless_cuda {

// The metric sums, in lib/backends/linear-learner-sums.ts's order; `at` holds each one's first
// float64 in the sums buffer, or -1 when the caller does not want it.
enum LinearSum : int {
  kLossSum = 0, kWeightSum, kCorrect, kConfusion, kSquaredError, kAbsoluteError, kTopKCorrect, kDcg,
  kClassTruePositive, kClassPredicted, kClassActual, kHistogram, kEvaluationSums,
};

// What the kernels read of the settings (native/algorithms/linear_learner/linear_learner.h's Settings and Metrics).
struct LinearEvaluateSettings {
  uint32_t dim = 0, models = 1, classes = 1, loss = 0;
  double margin = 1, quantile = 0.5, insensitivity = 0.01, huber_delta = 1;
  uint32_t use_bias = 1, bins = 0, log_scale = 0, top_k = 0;
  double threshold = 0;
  int32_t at[kEvaluationSums];
  size_t sums = 0;  // float64 entries in the sums buffer
};

struct LinearEvaluateDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  LinearEvaluateSettings s;
  bool scaled = false, label_transformed = false;
  // The model: weights [dim × models × classes], bias [models × classes], then the scaler's shift and
  // scale [dim each] and the label transform [2] when the state has them.
  float* model = nullptr;
  double* sums = nullptr;
  // A batch: labels | weights (ones when the batch has none) | values, and for CSR indptr, indices.
  float* batch = nullptr;
  int32_t* indptr = nullptr;
  uint32_t* indices = nullptr;
  double* scores = nullptr;  // rows × models × classes
  size_t batch_floats = 0, indptr_count = 0, index_count = 0, score_count = 0;
};

// A batch as the host holds it; the binding has checked its lengths, its indices and its indptr.
struct LinearEvaluateBatch {
  size_t rows = 0, nnz = 0;
  bool sparse = false;
  const float* labels = nullptr;
  const float* weights = nullptr;  // null: every row weighs 1
  const float* values = nullptr;   // dense rows × dim, or nnz
  const int32_t* indptr = nullptr; // rows + 1
  const uint32_t* indices = nullptr;
};

// Copies the model to the selected device and zeroes the sums; "" or why not. shift and scale come
// together (or both null); label_transform may be null.
std::string OpenLinearEvaluate(LinearEvaluateDevice& e, const LinearEvaluateSettings& s, const float* weights, const float* bias,
                               const float* shift, const float* scale, const float* label_transform);

// Enqueues a batch's scores and metric sums; returns once the host arrays may be reused.
std::string AddLinearEvaluate(LinearEvaluateDevice& e, const LinearEvaluateBatch& batch);

// Adds the device's sums into `out` (s.sums entries, laid out as `at` says) and clears them.
std::string ReadLinearEvaluate(LinearEvaluateDevice& e, double* out);

// Frees the device memory (safe to call twice).
void CloseLinearEvaluate(LinearEvaluateDevice& e);

}  // namespace boundless_cuda
