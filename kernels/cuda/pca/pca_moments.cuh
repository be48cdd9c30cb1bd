// PCA's exact moments (algorithm_mode regular) kept on the device: what batches
// add to Σw(x − o)(x − o)ᵀ (lower triangle), Σw·x and Σw, in float64, held
// there until the host reads them (lib/backends/cuda-pca.ts settles a state),
// then added into the host's moments and cleared. Each entry is summed by one
// thread in row order, so two runs give the same bits.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <mutex>
#include <string>

#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {

struct PcaMomentsDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  size_t dim = 0;
  double* cross = nullptr;   // dim × dim, lower triangle used
  double* sums = nullptr;    // dim sums, then the count
  PinnedUpload upload;       // a batch's rows, weights and origin, sent in one transfer (runtime/pinned_upload.cuh)
};

// Allocates the zeroed accumulators on the selected device; "" or why not.
std::string OpenPcaMoments(PcaMomentsDevice& m, size_t dim);

// Enqueues a batch (rows × dim float32, weights or null, origin or null for 0) on the
// accumulators' stream; returns once the host arrays may be reused ("" or the error).
// `kept`: the epoch cache's id of the batch (0: none), whose rows and weights then cross once (runtime/resident_batches.cuh).
std::string AddPcaMoments(PcaMomentsDevice& m, const float* values, const float* weights, const double* origin, size_t rows,
                          uint64_t kept = 0);

// Adds the accumulators into the host's count, sum and cross (lower triangle) and clears them.
std::string ReadPcaMoments(PcaMomentsDevice& m, double* count, double* sum, double* cross);

// Frees the device memory (safe to call twice).
void ClosePcaMoments(PcaMomentsDevice& m);

}  // namespace boundless_cuda
