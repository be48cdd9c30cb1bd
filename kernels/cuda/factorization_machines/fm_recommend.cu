#include "factorization_machines/fm_recommend.cuh"

#include <algorithm>
#include <numeric>
#include <vector>

#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;
enum Slot : size_t { kModel = 0, kUser, kItems, kSums, kScores, kSlots };

// A batch of feature rows on the device: dense values, or CSR.
struct DeviceRows {
  uint32_t rows, dim;
  const float* values;
  const int32_t* indptr;  // null: dense
  const uint32_t* indices;
};

struct DeviceModel {
  uint32_t dim, factors;
  float bias;
  uint32_t logistic;
  const float* linear;
  const float* v;
};

// Row r's non-zeros in order, (feature, value) to `visit` (factorization_machines.cc's RowSums).
template <class Visit>
__device__ void ForEntry(const DeviceRows& b, uint32_t r, Visit visit) {
  if (b.indptr) {
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) visit(b.indices[e], b.values[e]);
  } else {
    const float* row = b.values + static_cast<size_t>(r) * b.dim;
    for (uint32_t i = 0; i < b.dim; i++) if (row[i] != 0) visit(i, row[i]);
  }
}

// The user's linear sum and, per factor, Σ vx and Σ (vx)²: sums[0], sums[1 + f], sums[1 + k + f]. One thread per factor, one for the linear sum.
__global__ void UserSumsKernel(DeviceModel m, DeviceRows user, double* sums) {
  const uint32_t f = blockIdx.x * blockDim.x + threadIdx.x;
  if (f > m.factors) return;
  if (f == m.factors) {
    double linear = 0;
    ForEntry(user, 0, [&](uint32_t i, float x) { linear += double(m.linear[i]) * x; });
    sums[0] = linear;
    return;
  }
  double sum = 0, squares = 0;
  ForEntry(user, 0, [&](uint32_t i, float x) {
    const double vx = double(m.v[static_cast<size_t>(i) * m.factors + f]) * x;
    sum += vx;
    squares += vx * vx;
  });
  sums[1 + f] = sum;
  sums[1 + m.factors + f] = squares;
}

// One candidate: the user's sums continued over the item's entries, then ŷ and its score (Combine).
__global__ void ItemScoresKernel(DeviceModel m, DeviceRows items, const double* user, float* scores) {
  const uint32_t r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= items.rows) return;
  double linear = user[0];
  ForEntry(items, r, [&](uint32_t i, float x) { linear += double(m.linear[i]) * x; });
  double pair = 0;
  for (uint32_t f = 0; f < m.factors; f++) {
    double sum = user[1 + f], squares = user[1 + m.factors + f];
    ForEntry(items, r, [&](uint32_t i, float x) {
      const double vx = double(m.v[static_cast<size_t>(i) * m.factors + f]) * x;
      sum += vx;
      squares += vx * vx;
    });
    pair += sum * sum - squares;
  }
  const double z = m.bias + linear + 0.5 * pair;
  scores[r] = m.logistic ? static_cast<float>(1.0 / (1.0 + exp(-z))) : static_cast<float>(z);
}

DeviceArena<kSlots>& Arena() {
  static DeviceArena<kSlots> arena;
  return arena;
}

// Bytes of a batch's rows on the device: values, then for CSR indptr and indices.
size_t RowBytes(const HostRows& b, size_t dim) {
  return b.sparse ? b.nnz * sizeof(float) + (b.rows + 1) * sizeof(int32_t) + b.nnz * sizeof(uint32_t) : b.rows * dim * sizeof(float);
}

// Copies a batch's rows into arena slot `slot`; their device view.
DeviceRows Upload(DeviceArena<kSlots>& arena, size_t slot, const HostRows& b, size_t dim, std::string& error) {
  char* base = arena.As<char>(slot);
  const size_t values = (b.sparse ? b.nnz : b.rows * dim) * sizeof(float);
  DeviceRows rows{static_cast<uint32_t>(b.rows), static_cast<uint32_t>(dim), reinterpret_cast<float*>(base), nullptr, nullptr};
  auto copy = [&](void* to, const void* from, size_t bytes) {
    if (!error.empty() || bytes == 0) return;
    const cudaError_t status = CountedMemcpy(to, from, bytes, cudaMemcpyHostToDevice);
    if (status != cudaSuccess) error = Describe("cudaMemcpy", status);
  };
  copy(base, b.values, values);
  if (b.sparse) {
    rows.indptr = reinterpret_cast<int32_t*>(base + values);
    rows.indices = reinterpret_cast<uint32_t*>(base + values + (b.rows + 1) * sizeof(int32_t));
    copy(const_cast<int32_t*>(rows.indptr), b.indptr, (b.rows + 1) * sizeof(int32_t));
    copy(const_cast<uint32_t*>(rows.indices), b.indices, b.nnz * sizeof(uint32_t));
  }
  return rows;
}

}  // namespace

std::string FmRecommend(const FmRecommendModel& model, const HostRows& user, const HostRows& items, size_t n, int32_t* indices, float* scores) {
  DeviceArena<kSlots>& arena = Arena();
  std::lock_guard<std::mutex> lock(arena.mutex);
  std::string error = arena.UseSelectedDevice();
  const size_t k = model.factors, dim = model.dim;
  const size_t model_bytes = (dim + dim * k) * sizeof(float);
  // Each slot padded to 4-byte alignment by construction (floats, int32s); +4 keeps empty ones allocated.
  if (error.empty()) error = arena.Reserve(kModel, model_bytes + 4, "model");
  if (error.empty()) error = arena.Reserve(kUser, RowBytes(user, dim) + 4, "user row");
  if (error.empty()) error = arena.Reserve(kItems, RowBytes(items, dim) + 4, "candidate rows");
  if (error.empty()) error = arena.Reserve(kSums, (2 * k + 1) * sizeof(double), "user sums");
  if (error.empty()) error = arena.Reserve(kScores, items.rows * sizeof(float) + 4, "scores");
  if (!error.empty()) return error;
  float* model_on_device = arena.As<float>(kModel);
  cudaError_t status = CountedMemcpy(model_on_device, model.linear, dim * sizeof(float), cudaMemcpyHostToDevice);
  if (status == cudaSuccess) status = CountedMemcpy(model_on_device + dim, model.factors_v, dim * k * sizeof(float), cudaMemcpyHostToDevice);
  if (status != cudaSuccess) return Describe("cudaMemcpy", status);
  const DeviceRows user_rows = Upload(arena, kUser, user, dim, error);
  const DeviceRows item_rows = Upload(arena, kItems, items, dim, error);
  if (!error.empty()) return error;
  const DeviceModel m{static_cast<uint32_t>(dim), static_cast<uint32_t>(k), model.bias, model.logistic ? 1u : 0u, model_on_device, model_on_device + dim};
  double* sums = arena.As<double>(kSums);
  float* all = arena.As<float>(kScores);
  BOUNDLESS_LAUNCH(UserSumsKernel, static_cast<unsigned>((k + 1 + kThreads - 1) / kThreads), kThreads, 0, 0)(m, user_rows, sums);
  if (items.rows > 0) BOUNDLESS_LAUNCH(ItemScoresKernel, static_cast<unsigned>((items.rows + kThreads - 1) / kThreads), kThreads, 0, 0)(m, item_rows, sums, all);
  if ((status = cudaGetLastError()) != cudaSuccess) return Describe("launch", status);
  std::vector<float> host(items.rows);
  if (items.rows > 0 && (status = CountedMemcpy(host.data(), all, items.rows * sizeof(float), cudaMemcpyDeviceToHost)) != cudaSuccess) {
    return Describe("copy scores", status);
  }
  // The top n on this (libuv) thread: ties go to the lower index, as cpu's.
  std::vector<int32_t> order(items.rows);
  std::iota(order.begin(), order.end(), 0);
  n = std::min(n, items.rows);
  std::partial_sort(order.begin(), order.begin() + n, order.end(),
                    [&](int32_t a, int32_t c) { return host[a] > host[c] || (host[a] == host[c] && a < c); });
  for (size_t q = 0; q < n; q++) {
    indices[q] = order[q];
    scores[q] = host[order[q]];
  }
  return "";
}

}  // namespace boundless_cuda
