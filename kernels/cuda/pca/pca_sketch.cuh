// PCA's randomized sketch (algorithm_mode randomized) kept on the device: what
// batches add to Y = Σw(x − o)((x − o)ᵀΩ) [dim × ell], Σw·x, Σw and
// Σw‖x − o‖², in float64, held there until the host reads them
// (lib/backends/cuda-pca.ts settles a state), then added into the host's
// sketch and cleared. Each entry is summed by one thread in row order, so two
// runs give the same bits.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <mutex>
#include <string>

#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {

struct PcaSketchDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  size_t dim = 0, ell = 0;
  double* y = nullptr;       // dim × ell
  double* sums = nullptr;    // dim sums Σw·x, then Σw, then Σw‖x − o‖²
  double* omega = nullptr;   // dim × ell, the state's random test matrix
  double* origin = nullptr;  // dim
  PinnedUpload upload;       // a batch's rows and weights, sent in one transfer (runtime/pinned_upload.cuh)
  double* t = nullptr;       // rows × ell: w·(x − o)ᵀΩ, then rows: ‖x − o‖²
  size_t t_count = 0;
};

// Allocates zeroed accumulators on the selected device and copies Ω and the origin (null: 0) there.
std::string OpenPcaSketch(PcaSketchDevice& s, size_t dim, size_t ell, const double* omega, const double* origin);

// Enqueues a batch (rows × dim float32, weights or null); returns once the host arrays may be reused.
// `kept`: the epoch cache's id of the batch (0: none), whose rows and weights then cross once (runtime/resident_batches.cuh).
std::string AddPcaSketch(PcaSketchDevice& s, const float* values, const float* weights, size_t rows, uint64_t kept = 0);

// Adds the accumulators into the host's count, sum, squares and y, and clears them.
std::string ReadPcaSketch(PcaSketchDevice& s, double* count, double* sum, double* squares, double* y);

// Frees the device memory (safe to call twice).
void ClosePcaSketch(PcaSketchDevice& s);

}  // namespace boundless_cuda
