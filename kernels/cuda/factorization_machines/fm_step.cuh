// Factorization machines trained and scored with their state on the device
// (lib/backends/cuda-fm.ts): parameters, optimizer moments, each feature's
// lazy-decay step and two sets of metric sums (progressive and validation,
// say) stay there from batch to batch; the host reads them when the state is
// settled. A batch is native/algorithms/factorization_machines/
// factorization_machines.cc's Step as kernels, its arithmetic in the same
// precision and order:
//   catch-up   one thread per touched feature: the decay of the steps it sat out;
//   sums       one per (row, factor): Σ vᵢf xᵢ and Σ (vᵢf xᵢ)², float64, entries in order;
//   scores     one per (row, model): ŷ = w0 + Σ wᵢxᵢ + ½ Σ_f [(Σ vx)² − Σ (vx)²], its loss and slope;
//   metrics    one per model, the rows in order;
//   bias       one per model; features one per (touched feature, model): the gradient
//              over the feature's entries in row order, the optimizer's step and decay (float32).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "runtime/host_rows.h"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {

// The state's float arrays, in the bindings' order; absent moments are null.
enum FmPart : int {
  kFmBias = 0, kFmLinear, kFmFactors, kFmBiasM1, kFmLinearM1, kFmFactorsM1, kFmBiasM2, kFmLinearM2, kFmFactorsM2, kFmParts,
};

struct FmDeviceSettings {
  uint32_t loss = 0, optimizer = 1, decay = 1;  // factorization_machines.h's Loss, Optimizer, Decay
  uint32_t dim = 0, models = 1, width = 0;      // width: Σ k_m
  float eps = 1e-8f, beta1 = 0.9f, beta2 = 0.999f, clip = 0, rescale_grad = 0;
};

// Doubles per model in the model table: factors, offset, bias_lr, linear_lr, factors_lr, bias_wd, linear_wd, factors_wd.
constexpr size_t kFmModelWords = 8;
// Doubles per metric slot per model: loss, weight, tp, fp, tn, fn.
constexpr size_t kFmSlotWords = 6;

size_t FmPartLength(int part, const FmDeviceSettings& s);

struct FmDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  FmDeviceSettings s;
  float* part[kFmParts] = {};
  int32_t* last_step = nullptr;
  double* table = nullptr;  // models × kFmModelWords
  double* sums = nullptr;   // 2 slots × models × kFmSlotWords
  // A batch and a sparse batch's structure and feature index, sent in one transfer (runtime/pinned_upload.cuh).
  PinnedUpload upload;
  double* work = nullptr;   // rows × width sums, rows × width squares, rows × models scores, losses, slopes
  size_t work_count = 0;
};

// A batch as the host holds it, checked by the binding.
struct FmBatch {
  HostRows rows;
  // Sparse: FeatureIndexWords's features[touched], starts[touched + 1], rows[nnz], values' bits[nnz].
  const uint32_t* index = nullptr;
  size_t touched = 0;
  int32_t step = 0;  // the state's step before the batch
  bool training = false;
  int slot = -1;     // the metric slot the batch's sums go to, −1: none
};

// Copies the state (parts[i]: FmPartLength(i) floats or null), the model table and the last steps
// to the selected device and zeroes the sums; "" or why not.
std::string OpenFm(FmDevice& d, const FmDeviceSettings& s, const double* table, const float* const* parts, const int32_t* last_step);

// Enqueues a batch's passes; returns once the host arrays may be reused.
std::string AddFm(FmDevice& d, const FmBatch& batch);

// Copies the parts the device holds and the last steps into the host's, adds the sums into `sums`
// (2 × models × kFmSlotWords) and clears them.
std::string ReadFm(FmDevice& d, float* const* parts, int32_t* last_step, double* sums);

// Frees the device memory (safe to call twice).
void CloseFm(FmDevice& d);

}  // namespace boundless_cuda
