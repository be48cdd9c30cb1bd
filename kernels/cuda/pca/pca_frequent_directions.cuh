// PCA's Frequent Directions sketch (algorithm_mode frequent_directions) kept
// on the device: the 2ℓ × d buffer B of rows √w·(x − o), shrunk on the device
// whenever it is full and a row arrives (cpu's schedule: native/algorithms/pca/
// pca_sketch.cc), and Σw·x, Σw and Σw‖x − o‖² of the batches, in float64.
// A shrink is four launches and no host round trip: G = B·Bᵀ (one thread per
// entry, features in order), G's eigendecomposition by one block
// (linalg/block_jacobi.cuh), the coefficients √((λᵢ − δ)/λᵢ)·uᵢ of the ℓ − 1
// largest, δ = λ_ℓ, and the new rows Σ_r cᵢᵣ·B[r]. Fixed order everywhere, so
// two runs give the same bits; cpu's sketch agrees as BᵀB (the rows of B are
// determined up to an orthogonal mix: an eigenvector's sign is arbitrary), to
// rounding. The host keeps the buffer's fill count, so the schedule needs
// nothing read back.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {

struct PcaFrequentDirectionsDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  size_t dim = 0, ell = 0;
  size_t filled = 0;               // rows of the buffer in use (the host's count: it decides when to shrink)
  double* rows = nullptr;          // 2ℓ × dim: the buffer B
  double* sums = nullptr;          // dim sums Σw·x, then Σw, then Σw‖x − o‖²
  double* origin = nullptr;        // dim
  double* gram = nullptr;          // 2ℓ × 2ℓ: B·Bᵀ, then the Jacobi iterate
  double* vectors = nullptr;       // 2ℓ × 2ℓ: its eigenvectors, as columns
  double* rotations = nullptr;     // 2ℓ + 1: the Jacobi rounds' cosines and sines
  double* coefficients = nullptr;  // (ℓ − 1) × 2ℓ
  double* shrunk = nullptr;        // (ℓ − 1) × dim
  int* order = nullptr;            // 2ℓ: the eigenvalues' indices, largest first
  int* failed = nullptr;           // 1: shrinks whose eigensolver did not converge
  PinnedUpload upload;             // a batch's rows and weights, sent in one transfer (runtime/pinned_upload.cuh)
  double* norms = nullptr;         // rows: ‖x − o‖² of a batch
  size_t norms_count = 0;
};

// Allocates the sketch on the selected device and copies the host's buffer (2ℓ × dim doubles, `filled`
// rows in use) and origin (null: 0) there, with its sums at 0.
std::string OpenPcaFrequentDirections(PcaFrequentDirectionsDevice& s, size_t dim, size_t ell, const double* rows, size_t filled,
                                      const double* origin);

// Enqueues a batch (rows × dim float32, weights or null); returns once the host arrays may be reused.
// `kept`: the epoch cache's id of the batch (0: none), whose rows and weights then cross once (runtime/resident_batches.cuh).
std::string AddPcaFrequentDirections(PcaFrequentDirectionsDevice& s, const float* values, const float* weights, size_t rows, uint64_t kept = 0);

// Copies the buffer into `rows` (2ℓ × dim) and its fill count into `filled` (both replaced: the device's
// buffer is the sketch), adds the sums into count, sum and squares, and clears them.
std::string ReadPcaFrequentDirections(PcaFrequentDirectionsDevice& s, double* count, double* sum, double* squares, double* rows, double* filled);

// Frees the device memory (safe to call twice).
void ClosePcaFrequentDirections(PcaFrequentDirectionsDevice& s);

}  // namespace boundless_cuda
