// Streaming k-means with its state on the device (lib/backends/cuda-kmeans.ts):
// native/algorithms/kmeans/kmeans.cc's Update for a batch that neither seeds
// centres nor tries a candidate reduction (those run on cpu) — the refined
// model's Lloyd steps (up to three, stopping once the assignment repeats),
// then the streaming centres' assignment, decay, move to the weighted mean and
// reseeding. In float64 as on cpu: a centre moves to (n·prior + Σw·x)/(n + m),
// its sum in row order as cpu adds it. Nothing is read back per batch; the
// host reads the state when it is settled.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {

// The device's counter sums, added into the host's at a read (kmeans.h Counter, ModelCounter).
enum KmeansSum : int { kCostSum = 0, kCostWeight, kModelCostSum, kModelCostWeight, kModelRows, kKmeansSums };
// Flags: reseeds this period, a model step changed an assignment, the model's steps stopped.
enum KmeansFlag : int { kReseeds = 0, kChanged, kStop, kKmeansFlags };

struct KmeansDevice {
  std::mutex mutex;
  int device = -1;
  cudaStream_t stream = nullptr;
  size_t centers = 0, model_k = 0, dim = 0;
  float* centres = nullptr;        // K × dim
  double* weights = nullptr;       // K
  float* model_centres = nullptr;  // k × dim
  double* model_weights = nullptr; // k
  float* prior_centres = nullptr;  // k × dim: the model before this batch's steps
  double* prior_weights = nullptr; // k
  double* sums = nullptr;          // kKmeansSums
  uint32_t* flags = nullptr;       // kKmeansFlags
  double* received = nullptr;      // max(K, k): the mass each centre took in the last move
  PinnedUpload upload;             // a batch's rows and weights, sent in one transfer (runtime/pinned_upload.cuh)
  const float* values = nullptr;         // the batch's rows in it (or in a kept batch's copy)
  const float* row_weights = nullptr;    // and their weights (or ones)
  double* d2 = nullptr;            // each row's squared distance to its nearest centre
  uint32_t* nearest = nullptr;     // and that centre
  double* distances = nullptr;     // rows × max(K, k): every row's squared distance to every centre
  size_t capacity_rows = 0;
};

// Copies a state's centres and weights to the selected device; "" or why not.
std::string OpenKmeans(KmeansDevice& s, size_t centers, size_t model_k, size_t dim, const float* centres, const double* weights,
                       const float* model_centres, const double* model_weights);

// Runs one batch (rows × dim, weights or null for 1s); `half_life`: rows over which old weight
// halves, 0 for none; `model_active`: the refined model trains too. Returns once the host arrays
// may be reused (the work is enqueued on the state's stream; a read waits for it).
// `kept`: the epoch cache's id of the batch (0: none), whose rows and weights then cross once (runtime/resident_batches.cuh).
std::string AddKmeans(KmeansDevice& s, const float* values, const float* weights, size_t rows, bool model_active, double half_life,
                      uint64_t kept = 0);

// The state into the host's arrays: centres and weights replaced, sums (kKmeansSums) and the
// reseed count added into `sums` and `reseeds`, then cleared on the device.
std::string ReadKmeans(KmeansDevice& s, float* centres, double* weights, float* model_centres, double* model_weights,
                       double* sums, double* reseeds);

// Frees the device memory (safe to call twice).
void CloseKmeans(KmeansDevice& s);

}  // namespace boundless_cuda
