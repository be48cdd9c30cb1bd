#include "kmeans/kmeans_update.cuh"

#include <algorithm>
#include <cmath>
#include <vector>

#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;
constexpr uint32_t kNone = 0xffffffffu;

unsigned Blocks(size_t n) { return static_cast<unsigned>(std::max<size_t>(1, (n + kThreads - 1) / kThreads)); }

__device__ size_t Index() { return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

// A later Lloyd step of the model once an assignment repeated: nothing to do.
__device__ bool Skipped(int model_step, const uint32_t* flags) { return model_step > 0 && flags[kStop] != 0; }

constexpr int kTile = 16;   // Distances: a block scores 16 rows against 16 centres
constexpr int kChunk = 32;  // features staged in shared memory at a time

// Every (row, centre) squared distance Σ(x − c)² in float64 as cpu measures it, the features in
// order: a block takes a tile of 16 rows × 16 centres and stages their features 32 at a time in
// shared memory, so each row and centre is read from memory once per tile instead of once per pair.
__global__ void Distances(const float* x, uint32_t rows, uint32_t dim, const float* centres, uint32_t count, int model_step,
                          const uint32_t* flags, double* out) {
  if (Skipped(model_step, flags)) return;  // the same for every thread of the launch
  __shared__ float xs[kTile][kChunk + 1];  // +1: a warp's threads read different centres' rows without bank conflicts
  __shared__ float cs[kTile][kChunk + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;  // tx: the tile's row, ty: its centre
  const uint32_t row0 = blockIdx.x * kTile, centre0 = blockIdx.y * kTile;
  double sum = 0;
  for (uint32_t j0 = 0; j0 < dim; j0 += kChunk) {
    for (int q = ty * kTile + tx; q < kTile * kChunk; q += kTile * kTile) {
      const int i = q / kChunk, jj = q % kChunk;
      const uint32_t j = j0 + jj;
      xs[i][jj] = row0 + i < rows && j < dim ? x[static_cast<size_t>(row0 + i) * dim + j] : 0.f;
      cs[i][jj] = centre0 + i < count && j < dim ? centres[static_cast<size_t>(centre0 + i) * dim + j] : 0.f;
    }
    __syncthreads();
    const uint32_t n = dim - j0 < static_cast<uint32_t>(kChunk) ? dim - j0 : kChunk;
    for (uint32_t jj = 0; jj < n; jj++) {
      const double d = static_cast<double>(xs[tx][jj]) - cs[ty][jj];
      sum += d * d;
    }
    __syncthreads();
  }
  if (row0 + tx < rows && centre0 + ty < count) out[static_cast<size_t>(row0 + tx) * count + centre0 + ty] = sum;
}

// Each row's nearest of `count` centres (the lowest index among equals) and its squared distance;
// a later model step notes whether a row changed centre.
__global__ void Nearest(const double* distances, uint32_t rows, uint32_t count, int model_step, uint32_t* flags, uint32_t* nearest, double* d2) {
  const size_t r = Index();
  if (r >= rows || Skipped(model_step, flags)) return;
  const double* row = distances + r * count;
  uint32_t best = 0;
  double least = 0;
  for (uint32_t c = 0; c < count; c++) {
    if (c == 0 || row[c] < least) {
      best = c;
      least = row[c];
    }
  }
  if (model_step > 0 && nearest[r] != best) flags[kChanged] = 1;  // every writer writes 1
  nearest[r] = best;
  d2[r] = least;
}

// The batch's weighted cost to its nearest centres (before they move) and its weight, in row
// order; the model also counts the batch's weight as its rows. One thread.
__global__ void Cost(const float* w, uint32_t rows, const double* d2, int model, double* sums) {
  double total = 0, weight = 0;
  for (uint32_t r = 0; r < rows; r++) {
    total += static_cast<double>(w[r]) * d2[r];
    weight += w[r];
  }
  if (!model) {
    sums[kCostSum] += total;
    sums[kCostWeight] += weight;
  } else {
    sums[kModelCostSum] += total;
    sums[kModelCostWeight] += weight;
    sums[kModelRows] += weight;
  }
}

// The model before this batch's steps: its centres, and its weights decayed; clears the steps' flags.
__global__ void Prior(const float* model_centres, const double* model_weights, uint32_t k, uint32_t dim, double keep,
                      float* prior_centres, double* prior_weights, uint32_t* flags) {
  const size_t t = Index(), cells = static_cast<size_t>(k) * dim;
  if (t < cells) {
    prior_centres[t] = model_centres[t];
  } else if (t < cells + k) {
    prior_weights[t - cells] = model_weights[t - cells] * keep;
    if (t == cells) flags[kChanged] = flags[kStop] = 0;
  }
}

// Ends the model's steps once an assignment repeats (the same assignment gives the same means).
__global__ void StopCheck(uint32_t* flags) {
  if (flags[kChanged] == 0) flags[kStop] = 1;
  flags[kChanged] = 0;
}

// Centre c's coordinate j moves to (n·from + Σw·x)/(n + m) over the rows nearest to it, m = Σw, the
// sum in row order as cpu's MoveOneToMean adds it (so the same bits); a centre that took nothing
// keeps `from`. j = 0 records m.
__global__ void Move(const float* x, const float* w, uint32_t rows, uint32_t dim, const uint32_t* nearest, uint32_t count,
                     const float* from, const double* n_of, int model_step, const uint32_t* flags, float* centres, double* received) {
  const size_t t = Index();
  if (t >= static_cast<size_t>(count) * dim || Skipped(model_step, flags)) return;
  const uint32_t c = static_cast<uint32_t>(t / dim), j = static_cast<uint32_t>(t % dim);
  double sum = 0, m = 0;
  for (uint32_t r = 0; r < rows; r++) {
    if (nearest[r] != c) continue;
    const double wr = w[r];
    sum += wr * x[static_cast<size_t>(r) * dim + j];
    m += wr;
  }
  const double n = n_of[c];
  centres[t] = m == 0 ? from[t] : static_cast<float>((n * from[t] + sum) / (n + m));
  if (j == 0) received[c] = m;
}

// out[c] = prior[c] + received[c] (the model's weights after its last step).
__global__ void AddWeights(const double* prior, const double* received, uint32_t count, double* out) {
  const size_t c = Index();
  if (c < count) out[c] = prior[c] + received[c];
}

// Old points' weight decays: the streaming centres' weights × keep.
__global__ void Decay(double* weights, uint32_t count, double keep) {
  const size_t c = Index();
  if (c < count) weights[c] *= keep;
}

// The streaming centres' weights gain what they received.
__global__ void AddReceived(double* weights, const double* received, uint32_t count) {
  const size_t c = Index();
  if (c < count && received[c] != 0) weights[c] += received[c];
}

// Reseeding (kmeans.cc): a centre that took nothing from this batch and holds under 1% of its fair
// share of the weight moves onto the batch's row farthest from its centre — at most max(1, K/100)
// of them, lightest first (ties: lower index), onto rows in order of distance (ties: lower row),
// rows at distance 0 never. One thread; a centre taken is marked received = −1.
__global__ void Reseed(const float* x, const float* w, uint32_t rows, uint32_t dim, const double* d2, uint32_t K,
                       float* centres, double* weights, double* received, uint32_t* flags) {
  double total = 0;
  for (uint32_t c = 0; c < K; c++) total += weights[c];
  const double floor = total / (100.0 * static_cast<double>(K));
  const uint32_t limit = K / 100 > 1 ? K / 100 : 1;
  double last_weight = -1, last_d2 = 0;
  uint32_t last_centre = kNone, last_row = kNone;
  for (uint32_t p = 0; p < limit; p++) {
    uint32_t pick = kNone;
    double pick_weight = 0;
    for (uint32_t c = 0; c < K; c++) {
      const double wc = weights[c];
      const bool after = wc > last_weight || (wc == last_weight && (last_centre == kNone || c > last_centre));
      if (received[c] == 0 && wc < floor && after && (pick == kNone || wc < pick_weight)) {
        pick = c;
        pick_weight = wc;
      }
    }
    if (pick == kNone) break;
    uint32_t row = kNone;
    double row_d2 = 0;
    for (uint32_t r = 0; r < rows; r++) {
      const double d = d2[r];
      const bool after = last_row == kNone || d < last_d2 || (d == last_d2 && r > last_row);
      if (d > 0 && after && (row == kNone || d > row_d2)) {
        row = r;
        row_d2 = d;
      }
    }
    if (row == kNone) break;
    for (uint32_t j = 0; j < dim; j++) centres[static_cast<size_t>(pick) * dim + j] = x[static_cast<size_t>(row) * dim + j];
    weights[pick] = w[row];
    received[pick] = -1;
    flags[kReseeds] += 1;
    last_weight = pick_weight;
    last_centre = pick;
    last_d2 = row_d2;
    last_row = row;
  }
}

std::string Check(const char* step, cudaError_t status) { return status == cudaSuccess ? "" : Describe(step, status); }

// Grows the batch's work buffers to `rows` (once the work that reads them is done).
std::string Reserve(KmeansDevice& s, size_t rows) {
  if (rows <= s.capacity_rows) return "";
  std::string error = Check("cudaStreamSynchronize", CountedStreamSynchronize(s.stream));
  if (!error.empty()) return error;
  for (void* p : {static_cast<void*>(s.d2), static_cast<void*>(s.nearest), static_cast<void*>(s.distances)}) cudaFree(p);
  s.d2 = s.distances = nullptr;
  s.nearest = nullptr;
  s.capacity_rows = 0;
  size_t capacity = 256;
  while (capacity < rows) capacity *= 2;
  const size_t widest = std::max(s.centers, s.model_k);
  if (!Allocate(s.d2, capacity) || !Allocate(s.nearest, capacity) || !Allocate(s.distances, capacity * widest)) {
    return OutOfMemory("a batch of " + std::to_string(rows) + " rows × " + std::to_string(s.dim) + " features", capacity * (12 + widest * 8));
  }
  s.capacity_rows = capacity;
  return "";
}

// Each row's nearest of `count` centres and its distance (Distances, then Nearest), on the state's stream.
void Assign(KmeansDevice& s, uint32_t rows, const float* centres, uint32_t count, int model_step) {
  const dim3 tiles((rows + kTile - 1) / kTile, (count + kTile - 1) / kTile);
  BOUNDLESS_LAUNCH(Distances, tiles, dim3(kTile, kTile), 0, s.stream)(s.values, rows, static_cast<uint32_t>(s.dim), centres, count, model_step, s.flags,
                                                                       s.distances);
  BOUNDLESS_LAUNCH(Nearest, Blocks(rows), kThreads, 0, s.stream)(s.distances, rows, count, model_step, s.flags, s.nearest, s.d2);
}

}  // namespace

std::string OpenKmeans(KmeansDevice& s, size_t centers, size_t model_k, size_t dim, const float* centres, const double* weights,
                       const float* model_centres, const double* model_weights) {
  std::lock_guard<std::mutex> lock(s.mutex);
  s.device = SelectedDevice().load();
  s.centers = centers;
  s.model_k = model_k;
  s.dim = dim;
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  if (error.empty()) error = Check("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  if (!error.empty()) return error;
  const size_t widest = std::max(centers, model_k);
  if (!Allocate(s.centres, centers * dim) || !Allocate(s.weights, centers) || !Allocate(s.model_centres, model_k * dim) ||
      !Allocate(s.model_weights, model_k) || !Allocate(s.prior_centres, model_k * dim) || !Allocate(s.prior_weights, model_k) ||
      !Allocate(s.sums, kKmeansSums) || !Allocate(s.flags, kKmeansFlags) || !Allocate(s.received, widest)) {
    return OutOfMemory("the state of " + std::to_string(centers) + " + " + std::to_string(model_k) + " centres × " + std::to_string(dim) + " features",
                       (centers + 2 * model_k) * (dim * 4 + 8) + widest * 8);
  }
  const auto up = [&](void* to, const void* from, size_t bytes) {
    if (error.empty() && bytes > 0) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(to, from, bytes, cudaMemcpyHostToDevice, s.stream));
  };
  up(s.centres, centres, centers * dim * sizeof(float));
  up(s.weights, weights, centers * sizeof(double));
  up(s.model_centres, model_centres, model_k * dim * sizeof(float));
  up(s.model_weights, model_weights, model_k * sizeof(double));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.sums, 0, kKmeansSums * sizeof(double), s.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.flags, 0, kKmeansFlags * sizeof(uint32_t), s.stream));
  // The copies read the host arrays: they must be done before the caller may change them.
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(s.stream));
  return error;
}

std::string AddKmeans(KmeansDevice& s, const float* values, const float* weights, size_t rows, bool model_active, double half_life,
                      uint64_t kept) {
  std::lock_guard<std::mutex> lock(s.mutex);
  // Computed as cpu computes it (kmeans.cc), so the decay has the same bits.
  const double keep = half_life > 0 ? std::pow(0.5, static_cast<double>(rows) / half_life) : 1.0;
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  if (error.empty()) error = Reserve(s, rows);
  if (!error.empty()) return error;
  // The rows and their weights (1s where the batch has none): one transfer.
  std::vector<float> ones;
  if (weights == nullptr) ones.assign(rows, 1.0f);
  std::vector<const char*> at;
  error = s.upload.Send(s.stream, {{values, rows * s.dim * sizeof(float), true}, {weights ? weights : ones.data(), rows * sizeof(float), weights != nullptr}},
                        at, "a batch of " + std::to_string(rows) + " rows × " + std::to_string(s.dim) + " features", kept);
  if (!error.empty()) return error;
  s.values = reinterpret_cast<const float*>(at[0]);
  s.row_weights = reinterpret_cast<const float*>(at[1]);
  const uint32_t n = static_cast<uint32_t>(rows), d = static_cast<uint32_t>(s.dim), K = static_cast<uint32_t>(s.centers),
                 k = static_cast<uint32_t>(s.model_k);
  if (model_active && k > 0) {
    Assign(s, n, s.model_centres, k, 0);
    BOUNDLESS_LAUNCH(Cost, 1, 1, 0, s.stream)(s.row_weights, n, s.d2, 1, s.sums);
    BOUNDLESS_LAUNCH(Prior, Blocks(s.model_k * (s.dim + 1)), kThreads, 0, s.stream)(s.model_centres, s.model_weights, k, d, keep, s.prior_centres, s.prior_weights, s.flags);
    for (int step = 0; step < 3; step++) {
      if (step > 0) {
        Assign(s, n, s.model_centres, k, step);
        BOUNDLESS_LAUNCH(StopCheck, 1, 1, 0, s.stream)(s.flags);
      }
      BOUNDLESS_LAUNCH(Move, Blocks(s.model_k * s.dim), kThreads, 0, s.stream)(s.values, s.row_weights, n, d, s.nearest, k, s.prior_centres, s.prior_weights,
                                                                               step, s.flags, s.model_centres, s.received);
    }
    BOUNDLESS_LAUNCH(AddWeights, Blocks(s.model_k), kThreads, 0, s.stream)(s.prior_weights, s.received, k, s.model_weights);
  }
  Assign(s, n, s.centres, K, 0);
  BOUNDLESS_LAUNCH(Cost, 1, 1, 0, s.stream)(s.row_weights, n, s.d2, 0, s.sums);
  if (keep != 1) BOUNDLESS_LAUNCH(Decay, Blocks(s.centers), kThreads, 0, s.stream)(s.weights, K, keep);
  BOUNDLESS_LAUNCH(Move, Blocks(s.centers * s.dim), kThreads, 0, s.stream)(s.values, s.row_weights, n, d, s.nearest, K, s.centres, s.weights, 0, s.flags,
                                                                          s.centres, s.received);
  BOUNDLESS_LAUNCH(AddReceived, Blocks(s.centers), kThreads, 0, s.stream)(s.weights, s.received, K);
  BOUNDLESS_LAUNCH(Reseed, 1, 1, 0, s.stream)(s.values, s.row_weights, n, d, s.d2, K, s.centres, s.weights, s.received, s.flags);
  return Check("kernel launch", cudaGetLastError());
}

std::string ReadKmeans(KmeansDevice& s, float* centres, double* weights, float* model_centres, double* model_weights, double* sums,
                       double* reseeds) {
  std::lock_guard<std::mutex> lock(s.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  double held_sums[kKmeansSums];
  uint32_t held_flags[kKmeansFlags];
  const auto down = [&](void* to, const void* from, size_t bytes) {
    if (error.empty() && bytes > 0) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToHost, s.stream));
  };
  down(centres, s.centres, s.centers * s.dim * sizeof(float));
  down(weights, s.weights, s.centers * sizeof(double));
  down(model_centres, s.model_centres, s.model_k * s.dim * sizeof(float));
  down(model_weights, s.model_weights, s.model_k * sizeof(double));
  down(held_sums, s.sums, sizeof held_sums);
  down(held_flags, s.flags, sizeof held_flags);
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(s.stream));
  if (!error.empty()) return error;
  for (int i = 0; i < kKmeansSums; i++) sums[i] += held_sums[i];
  *reseeds += held_flags[kReseeds];
  error = Check("cudaMemsetAsync", cudaMemsetAsync(s.sums, 0, sizeof held_sums, s.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.flags, 0, sizeof held_flags, s.stream));
  return error;
}

void CloseKmeans(KmeansDevice& s) {
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.device < 0) return;
  cudaSetDevice(s.device);
  if (s.stream) CountedStreamSynchronize(s.stream);
  s.upload.Free();
  for (void* p : {static_cast<void*>(s.centres), static_cast<void*>(s.weights), static_cast<void*>(s.model_centres), static_cast<void*>(s.model_weights),
                  static_cast<void*>(s.prior_centres), static_cast<void*>(s.prior_weights), static_cast<void*>(s.sums), static_cast<void*>(s.flags),
                  static_cast<void*>(s.received), static_cast<void*>(s.d2), static_cast<void*>(s.nearest), static_cast<void*>(s.distances)}) {
    if (p) cudaFree(p);
  }
  if (s.stream) cudaStreamDestroy(s.stream);
  s.stream = nullptr;
  s.centres = s.model_centres = s.prior_centres = nullptr;
  s.values = s.row_weights = nullptr;
  s.weights = s.model_weights = s.prior_weights = s.sums = s.received = s.d2 = s.distances = nullptr;
  s.flags = s.nearest = nullptr;
  s.capacity_rows = 0;
  s.device = -1;
}

}  // namespace boundless_cuda
