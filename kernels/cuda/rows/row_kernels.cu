#include "rows/row_kernels.cuh"

#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"

#include <cuda_runtime.h>

#include <cstring>

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;
constexpr uint32_t kNoRow = 0xffffffffu;
enum Flag : int { kNonFinite = 0, kBadIndex = 1, kUnsorted = 2, kBadIndptr = 3, kInexact = 4, kLoopLimit = 5 };
constexpr uint32_t kLossLogistic = 0, kLossHinge = 1, kLossSoftmax = 2;

// The batch in device memory: one buffer, dense values or indptr | indices | values.
struct DeviceBatch {
  uint32_t rows, cols, nnz, sparse;
  const float* values;
  const int32_t* indptr;
  const uint32_t* indices;
};

// On the bits, as the WGSL kernels do (fast-math compilers may fold isfinite away).
__device__ bool IsFinite(float v) { return (__float_as_uint(v) & 0x7f800000u) != 0x7f800000u; }

__device__ float DenseValue(const DeviceBatch& b, uint32_t r, uint32_t j) {
  return b.values[static_cast<size_t>(r) * b.cols + j];
}

// Checks row r, raising flags; false when the row cannot be computed. `sorted`: the kernel walks a
// sparse row beside the columns, so its indices must strictly increase.
__device__ bool CheckRow(const DeviceBatch& b, uint32_t r, bool sorted, uint32_t* flags) {
  if (!b.sparse) {
    for (uint32_t j = 0; j < b.cols; j++) {
      if (!IsFinite(DenseValue(b, r, j))) {
        atomicMin(&flags[kNonFinite], r);
        return false;
      }
    }
    return true;
  }
  const int32_t begin = b.indptr[r], end = b.indptr[r + 1];
  if (begin < 0 || end < begin || static_cast<uint32_t>(end) > b.nnz) {
    atomicMin(&flags[kBadIndptr], r);
    return false;
  }
  bool ok = true;
  for (int32_t k = begin; k < end; k++) {
    const uint32_t i = b.indices[k];
    if (i >= b.cols) { atomicMin(&flags[kBadIndex], r); ok = false; }
    if (!IsFinite(b.values[k])) { atomicMin(&flags[kNonFinite], r); ok = false; }
    if (sorted && k > begin && i <= b.indices[k - 1]) { atomicMin(&flags[kUnsorted], r); ok = false; }
  }
  return ok;
}

// Row r's columns in order, j = 0, 1, …, dense or sparse (a sparse row's indices strictly increasing).
struct ColumnWalk {
  const DeviceBatch& b;
  uint32_t r;
  int32_t next, end;
  __device__ ColumnWalk(const DeviceBatch& batch, uint32_t row)
      : b(batch), r(row), next(batch.sparse ? batch.indptr[row] : 0), end(batch.sparse ? batch.indptr[row + 1] : 0) {}
  __device__ float operator()(uint32_t j) {
    if (!b.sparse) return DenseValue(b, r, j);
    if (next < end && b.indices[next] == j) return b.values[next++];
    return 0.f;
  }
};

__device__ float Sigmoid(double z) {
  if (z >= 0) return static_cast<float>(1 / (1 + exp(-z)));
  const double t = exp(z);
  return static_cast<float>(t / (1 + t));
}

__device__ uint32_t RowOf() { return blockIdx.x * blockDim.x + threadIdx.x; }

// A result that does not fit in the float32 output (a distance past its range) is flagged for cpu.
// A float64 result float32 can hold: finite, and 0 or at least float32's smallest normal (below it a
// distance of data near 1e-20 would come out as 0 or a few bits).
__device__ bool Representable(double value, uint32_t r, uint32_t* flags) {
  const float f = static_cast<float>(value);
  if (IsFinite(f) && (value == 0 || fabs(value) >= 1.17549435e-38)) return true;
  atomicMin(&flags[kInexact], r);
  return false;
}

// Sums in float64, as the cpu kernels do (the GPUs this targets run float64 at a useful rate), so
// data far from the origin keep their digits. Output: nearest[rows], distance2[rows] (f32), then
// with want_all every centre's distance.
__global__ void KmeansAssign(DeviceBatch b, const float* centers, uint32_t count, uint32_t want_all, uint32_t* out, uint32_t* flags) {
  const uint32_t r = RowOf();
  if (r >= b.rows || !CheckRow(b, r, true, flags)) return;
  uint32_t best = 0;
  double best_distance = 0;
  for (uint32_t c = 0; c < count; c++) {
    const float* center = centers + static_cast<size_t>(c) * b.cols;
    double sum = 0;
    ColumnWalk x(b, r);
    for (uint32_t j = 0; j < b.cols; j++) {
      const double d = static_cast<double>(x(j)) - center[j];
      sum += d * d;
    }
    if (c == 0 || sum < best_distance) { best = c; best_distance = sum; }
    if (want_all) out[2 * static_cast<size_t>(b.rows) + static_cast<size_t>(r) * count + c] = __float_as_uint(static_cast<float>(sqrt(sum)));
  }
  if (!Representable(best_distance, r, flags)) return;
  out[r] = best;
  out[static_cast<size_t>(b.rows) + r] = __float_as_uint(static_cast<float>(best_distance));
}

// Model: rows[components × cols] (v transposed), then mean[cols]. Output: rows × components.
__global__ void PcaProject(DeviceBatch b, const float* model, uint32_t components, uint32_t* out, uint32_t* flags) {
  const uint32_t r = RowOf();
  if (r >= b.rows || !CheckRow(b, r, true, flags)) return;
  const float* mean = model + static_cast<size_t>(components) * b.cols;
  for (uint32_t m = 0; m < components; m++) {
    const float* v = model + static_cast<size_t>(m) * b.cols;
    double sum = 0;
    ColumnWalk x(b, r);
    for (uint32_t j = 0; j < b.cols; j++) sum += (static_cast<double>(x(j)) - mean[j]) * v[j];
    if (!Representable(sum, r, flags)) return;
    out[static_cast<size_t>(r) * components + m] = __float_as_uint(static_cast<float>(sum));
  }
}

// Model: weights[cols × classes] (feature-major), then the bias[classes], then with about_origin the
// origin[cols] of a model trained with centring (dense rows only: the plan sends it no sparse rows
// then). Sums in float64, as cpu does; x − o in float32, as cpu's Predict takes it.
__device__ double RawScore(const DeviceBatch& b, const float* weights, uint32_t classes, uint32_t about_origin, uint32_t r, uint32_t c) {
  double sum = weights[static_cast<size_t>(b.cols) * classes + c];
  if (!b.sparse) {
    const float* origin = weights + static_cast<size_t>(b.cols) * classes + classes;
    for (uint32_t j = 0; j < b.cols; j++) {
      const float x = about_origin ? DenseValue(b, r, j) - origin[j] : DenseValue(b, r, j);
      sum += static_cast<double>(x) * weights[static_cast<size_t>(j) * classes + c];
    }
  } else {
    for (int32_t k = b.indptr[r]; k < b.indptr[r + 1]; k++) sum += static_cast<double>(b.values[k]) * weights[static_cast<size_t>(b.indices[k]) * classes + c];
  }
  return sum;
}

// Output: score[rows × (classes for softmax, else 1)], then label[rows].
__global__ void LinearPredict(DeviceBatch b, const float* weights, uint32_t classes, uint32_t loss, double threshold,
                              uint32_t want_label, uint32_t about_origin, uint32_t* out, uint32_t* flags) {
  const uint32_t r = RowOf();
  if (r >= b.rows || !CheckRow(b, r, false, flags)) return;
  if (loss == kLossSoftmax) {
    uint32_t best = 0;
    double best_score = 0;
    for (uint32_t c = 0; c < classes; c++) {
      const double s = RawScore(b, weights, classes, about_origin, r, c);
      if (!Representable(s, r, flags)) return;
      if (c == 0 || s > best_score) { best = c; best_score = s; }
    }
    double total = 0;
    for (uint32_t c = 0; c < classes; c++) total += exp(RawScore(b, weights, classes, about_origin, r, c) - best_score);
    for (uint32_t c = 0; c < classes; c++) {
      out[static_cast<size_t>(r) * classes + c] = __float_as_uint(static_cast<float>(exp(RawScore(b, weights, classes, about_origin, r, c) - best_score) / total));
    }
    if (want_label) out[static_cast<size_t>(b.rows) * classes + r] = __float_as_uint(static_cast<float>(best));
    return;
  }
  const double s = RawScore(b, weights, classes, about_origin, r, 0);
  // A logistic model outputs σ(s), which float32 always holds (the label compares s in float64).
  if (loss != kLossLogistic && !Representable(s, r, flags)) return;
  out[r] = __float_as_uint(loss == kLossLogistic ? Sigmoid(s) : static_cast<float>(s));
  const float label = (loss == kLossLogistic || loss == kLossHinge) ? (s >= threshold ? 1.f : 0.f) : static_cast<float>(s);
  if (want_label) out[static_cast<size_t>(b.rows) + r] = __float_as_uint(label);
}

// Model: linear[cols], then factors[cols × k]. Output: score[rows], then label[rows].
__global__ void FmPredict(DeviceBatch b, const float* model, uint32_t factors, uint32_t logistic, float threshold, float bias,
                          uint32_t want_label, uint32_t* out, uint32_t* flags) {
  const uint32_t r = RowOf();
  if (r >= b.rows || !CheckRow(b, r, false, flags)) return;
  const float* v = model + b.cols;
  const int32_t begin = b.sparse ? b.indptr[r] : 0, end = b.sparse ? b.indptr[r + 1] : static_cast<int32_t>(b.cols);
  auto feature = [&](int32_t k) { return b.sparse ? b.indices[k] : static_cast<uint32_t>(k); };
  auto value = [&](int32_t k) { return b.sparse ? b.values[k] : DenseValue(b, r, static_cast<uint32_t>(k)); };
  double linear = 0, pair = 0;
  for (int32_t k = begin; k < end; k++) linear += static_cast<double>(model[feature(k)]) * value(k);
  for (uint32_t f = 0; f < factors; f++) {
    double sum = 0, squares = 0;
    for (int32_t k = begin; k < end; k++) {
      const double vx = static_cast<double>(v[static_cast<size_t>(feature(k)) * factors + f]) * value(k);
      sum += vx;
      squares += vx * vx;
    }
    pair += sum * sum - squares;
  }
  const double z = bias + linear + 0.5 * pair;
  // A binary model outputs σ(z), which float32 always holds.
  if (!logistic && !Representable(z, r, flags)) return;
  const float score = logistic ? Sigmoid(z) : static_cast<float>(z);
  out[r] = __float_as_uint(score);
  if (want_label) out[static_cast<size_t>(b.rows) + r] = __float_as_uint(score >= threshold ? 1.f : 0.f);
}

// Batch, model, output, flags.
DeviceArena<4> arena;

float FloatOf(uint32_t bits) {
  float value;
  static_assert(sizeof value == sizeof bits, "f32 params travel as their bits");
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

double DoubleOf(uint32_t low, uint32_t high) {
  const uint64_t bits = (static_cast<uint64_t>(high) << 32) | low;
  double value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

std::string Upload(const RowCall& call, DeviceBatch& device) {
  const HostRowBatch& b = call.batch;
  const size_t words = b.sparse ? b.rows + 1 + 2 * static_cast<size_t>(b.nnz) : static_cast<size_t>(b.rows) * b.cols;
  std::string error = arena.Reserve(0, words * 4 + 4, "batch");
  if (!error.empty()) return error;
  char* base = static_cast<char*>(arena.buffer[0]);
  cudaError_t status;
  device = {b.rows, b.cols, b.nnz, b.sparse ? 1u : 0u, nullptr, nullptr, nullptr};
  if (!b.sparse) {
    device.values = reinterpret_cast<const float*>(base);
    status = CountedMemcpy(base, b.values, words * 4, cudaMemcpyHostToDevice);
    return status == cudaSuccess ? "" : Describe("copy batch", status);
  }
  const size_t indptr_bytes = (static_cast<size_t>(b.rows) + 1) * 4, entry_bytes = static_cast<size_t>(b.nnz) * 4;
  device.indptr = reinterpret_cast<const int32_t*>(base);
  device.indices = reinterpret_cast<const uint32_t*>(base + indptr_bytes);
  device.values = reinterpret_cast<const float*>(base + indptr_bytes + entry_bytes);
  if ((status = CountedMemcpy(base, b.indptr, indptr_bytes, cudaMemcpyHostToDevice)) != cudaSuccess) return Describe("copy indptr", status);
  if (entry_bytes == 0) return "";
  if ((status = CountedMemcpy(base + indptr_bytes, b.indices, entry_bytes, cudaMemcpyHostToDevice)) != cudaSuccess) return Describe("copy indices", status);
  if ((status = CountedMemcpy(base + indptr_bytes + entry_bytes, b.values, entry_bytes, cudaMemcpyHostToDevice)) != cudaSuccess) return Describe("copy values", status);
  return "";
}

std::string UploadModel(const RowCall& call) {
  size_t bytes = 0;
  for (const HostArray& array : call.model) bytes += array.bytes;
  std::string error = arena.Reserve(1, bytes + 4, "model");
  if (!error.empty()) return error;
  char* at = static_cast<char*>(arena.buffer[1]);
  for (const HostArray& array : call.model) {
    if (array.bytes == 0) continue;
    cudaError_t status = CountedMemcpy(at, array.data, array.bytes, cudaMemcpyHostToDevice);
    if (status != cudaSuccess) return Describe("copy model", status);
    at += array.bytes;
  }
  return "";
}

void Launch(const RowCall& call, const DeviceBatch& b) {
  const unsigned blocks = static_cast<unsigned>((static_cast<size_t>(b.rows) + kThreads - 1) / kThreads);
  const float* model = static_cast<const float*>(arena.buffer[1]);
  uint32_t* out = static_cast<uint32_t*>(arena.buffer[2]);
  uint32_t* flags = static_cast<uint32_t*>(arena.buffer[3]);
  const std::vector<uint32_t>& p = call.params;
  switch (call.kernel) {
    case RowKernel::kKmeansAssign:
      BOUNDLESS_LAUNCH(KmeansAssign, blocks, kThreads, 0, 0)(b, model, p[0], p[1], out, flags);
      break;
    case RowKernel::kPcaProject:
      BOUNDLESS_LAUNCH(PcaProject, blocks, kThreads, 0, 0)(b, model, p[0], out, flags);
      break;
    case RowKernel::kLinearPredict:
      // p: classes, loss, threshold (f32, WGSL's), want_label, about_origin, threshold (f64).
      BOUNDLESS_LAUNCH(LinearPredict, blocks, kThreads, 0, 0)(b, model, p[0], p[1], DoubleOf(p[5], p[6]), p[3], p[4], out, flags);
      break;
    case RowKernel::kFmPredict:
      BOUNDLESS_LAUNCH(FmPredict, blocks, kThreads, 0, 0)(b, model, p[0], p[1], FloatOf(p[2]), FloatOf(p[3]), p[4], out, flags);
      break;
  }
}

}  // namespace

size_t ParamCount(RowKernel kernel) {
  switch (kernel) {
    case RowKernel::kKmeansAssign: return 2;
    case RowKernel::kPcaProject: return 1;
    case RowKernel::kLinearPredict: return 7;
    case RowKernel::kFmPredict: return 5;
  }
  return 0;
}

std::string RunRowKernel(RowCall& call) {
  for (uint32_t& flag : call.flags) flag = kNoRow;
  if (call.batch.rows == 0) return "";
  std::lock_guard<std::mutex> lock(arena.mutex);
  std::string error = arena.UseSelectedDevice();
  if (!error.empty()) return error;
  DeviceBatch device;
  error = Upload(call, device);
  if (error.empty()) error = UploadModel(call);
  if (error.empty()) error = arena.Reserve(2, call.output_words * 4 + 4, "output");
  if (error.empty()) error = arena.Reserve(3, sizeof call.flags, "flags");
  if (!error.empty()) return error;
  cudaError_t status;
  if ((status = cudaMemset(arena.buffer[3], 0xff, sizeof call.flags)) != cudaSuccess) return Describe("clear flags", status);
  Launch(call, device);
  if ((status = cudaGetLastError()) != cudaSuccess) return Describe("launch", status);
  // A fault in the kernel shows here, named as the kernel's rather than as the next copy's.
  if ((status = CountedDeviceSynchronize()) != cudaSuccess) return Describe("kernel", status);
  // The flags and the output come back in one wait (a read-back, runtime/traffic.cuh).
  if ((status = CountedMemcpyAsync(call.flags, arena.buffer[3], sizeof call.flags, cudaMemcpyDeviceToHost, 0)) != cudaSuccess) return Describe("copy flags", status);
  if (call.output_words > 0 &&
      (status = CountedMemcpyAsync(call.output, arena.buffer[2], call.output_words * 4, cudaMemcpyDeviceToHost, 0)) != cudaSuccess) {
    return Describe("copy output", status);
  }
  if ((status = CountedDeviceSynchronize()) != cudaSuccess) return Describe("copy output", status);
  return "";
}

}  // namespace boundless_cuda
