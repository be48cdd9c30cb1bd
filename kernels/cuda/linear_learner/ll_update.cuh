// The linear learner trained on the device (lib/backends/cuda-linear-learner-update.ts): every
// model's weights, averages, optimizer moments, each feature's last step and the progressive
// metric sums stay there from batch to batch; the host reads them back when the state is settled.
// A batch is cut into optimizer steps of step_rows rows, in row order, and each step is the
// passes of native/algorithms/linear_learner/linear_learner.cc's Step, as kernels:
//   catch-up   sparse steps, one thread per touched feature: the regularization its weights
//              missed while it was absent, and its average those iterates (ShrinkWithSum, AverageAt);
//   forward    one thread per (row, output): the iterate's score and the average's, float64;
//   gradients  one thread per model, the rows in order: the loss's gradient, the progressive
//              sums (recency-weighted) and then the bias's step (float64 arithmetic, as cpu's);
//              one more thread for Σ weight and Σ weight²;
//   weights    one thread per (feature, output): the gradient summed over the step's rows, the
//              optimizer's step, the proximal step, the average (float32, as cpu's).
// Dense batches run every step of a batch in one launch instead (FusedDenseKernel: a block per
// model, the same passes separated by barriers), then one launch for the loss differences.
// The per-step constants (each model's rate, proximal constants, positive weight, bias rate and
// decay; the step's number, start of averaging and recency) come from the host, which computes
// them in float64 as cpu does (lib/backends/linear-learner-steps.ts).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "linear_learner/ll_settings.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {

// The state's float arrays, in the bindings' order; absent ones are null.
enum LinearPart : int {
  kPartWeights = 0, kPartAverage, kPartMoment1, kPartMoment2,  // dim × width
  kPartBias, kPartBiasAverage, kPartBiasMoment1, kPartBiasMoment2,  // width
  kPartShift, kPartScale,  // dim: the scaler, x' = (x − shift)·scale
  kPartLabelTransform,     // 2
  kPartClassWeight,        // classes
  kPartAveraged,           // models: 1 where the model outputs its average
  kLinearParts,
};

// native/algorithms/linear_learner/linear_learner_loops.h's StepKind.
enum LinearStepKind : uint32_t { kStepSgd = 0, kStepMomentum, kStepAdam, kStepRmsprop, kStepAdagrad };

struct LinearUpdateSettings {
  LinearSettings base;
  uint32_t step_kind = kStepAdam;
  float beta1 = 0.9f, beta2 = 0.999f, momentum = 0, epsilon = 1e-8f;
};

// Doubles per step in a batch's step records: row begin, rows, t (1-based), the step after which
// iterates are averaged (−1: not yet), recency (rows seen before the step + 1), the first touched
// slot and the touched slots (sparse), Adam's corrections 1 − β₁ᵗ and 1 − β₂ᵗ (β as floats).
constexpr size_t kStepWords = 9;
// Doubles per model per step in a batch's table: lr, decay, threshold, t, φ(t), g, positive weight,
// bias lr, bias decay (linear-learner-steps.ts's modelWords).
constexpr size_t kModelWords = 9;

size_t LinearPartLength(int part, const LinearSettings& s);

struct LinearUpdateDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  LinearUpdateSettings s;
  float* part[kLinearParts] = {};
  int32_t* last_step = nullptr;  // dim
  double* sums = nullptr;
  // A batch, its steps and a sparse batch's structure, sent in one transfer (runtime/pinned_upload.cuh);
  // work: a step's scores and the averages' (double), its gradients (float).
  PinnedUpload upload;
  double* scores = nullptr;
  float* gradient = nullptr;
  // Dense batches' deferred loss differences: (models + 2) × rows (ll_update.cu's FusedDenseKernel).
  double* deferred = nullptr;
  size_t score_count = 0, gradient_count = 0, deferred_count = 0;
};

// A batch and its steps as the host holds them, checked by the binding.
struct LinearUpdateBatch {
  LinearRows rows;
  // Sparse: native/algorithms/linear_learner/linear_learner_step_index.h's index, index_words of it,
  // for `touched` slots in all.
  const uint32_t* index = nullptr;
  size_t index_words = 0, touched = 0;
  size_t step_count = 0, max_step_rows = 0;
  const double* steps = nullptr;  // step_count × kStepWords
  const double* table = nullptr;  // step_count × models × kModelWords
};

// Copies the state's arrays (parts[i]: LinearPartLength(i) floats, or null) and last steps to the
// selected device and zeroes the sums; "" or why not.
std::string OpenLinearUpdate(LinearUpdateDevice& d, const LinearUpdateSettings& s, const float* const* parts, const int32_t* last_step);

// Enqueues a batch's steps; returns once the host arrays may be reused.
std::string AddLinearUpdate(LinearUpdateDevice& d, const LinearUpdateBatch& batch);

// Copies the arrays the device holds into parts (the present ones) and last_step, and adds its sums
// into `sums` (s.base.sums entries), clearing them.
std::string ReadLinearUpdate(LinearUpdateDevice& d, float* const* parts, int32_t* last_step, double* sums);

// Frees the device memory (safe to call twice).
void CloseLinearUpdate(LinearUpdateDevice& d);

}  // namespace boundless_cuda
