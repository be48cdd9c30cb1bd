#include "linear_learner/ll_evaluate.cuh"

#include <vector>

#include "linear_learner/ll_metrics.cuh"
#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;

std::string Check(const char* step, cudaError_t status) { return status == cudaSuccess ? "" : Describe(step, status); }

// The model's parts in its one buffer.
struct DeviceModel {
  const float* weights;
  const float* bias;             // null without a bias
  const float* shift;            // null without a scaler
  const float* scale;
  const float* label_transform;  // null without one
};

struct DeviceBatch {
  uint32_t rows, sparse;
  const float* labels;
  const float* weights;
  const float* values;
  const int32_t* indptr;
  const uint32_t* indices;
};

// scores[r·W + k] = bias[k] + Σ_j x'_rj · weights[j·W + k], one thread per (row, output), the features
// in order, in float64 (cpu's Evaluate); x' = (x − shift)·scale in float32 (dense) or x·scale (sparse), as cpu scales.
__global__ void ScoresKernel(LinearSettings s, DeviceModel model, DeviceBatch b, double* scores) {
  const uint32_t width = s.models * s.classes;
  const size_t index = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= static_cast<size_t>(b.rows) * width) return;
  const uint32_t r = static_cast<uint32_t>(index / width), k = static_cast<uint32_t>(index % width);
  double sum = model.bias ? model.bias[k] : 0.0;
  if (b.sparse) {
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
      const uint32_t j = b.indices[e];
      const float x = model.scale ? b.values[e] * model.scale[j] : b.values[e];
      sum += static_cast<double>(x) * model.weights[static_cast<size_t>(j) * width + k];
    }
  } else {
    const float* row = b.values + static_cast<size_t>(r) * s.dim;
    for (uint32_t j = 0; j < s.dim; j++) {
      const float x = model.scale ? (row[j] - model.shift[j]) * model.scale[j] : row[j];
      sum += static_cast<double>(x) * model.weights[static_cast<size_t>(j) * width + k];
    }
  }
  scores[index] = sum;
}

// One thread per model, its rows in order (cpu's order: the same sums from the same scores); thread
// `models` adds the rows' weights.
__global__ void MetricsKernel(LinearSettings s, DeviceModel model, DeviceBatch b, const double* scores, double* sums) {
  const uint32_t m = blockIdx.x * blockDim.x + threadIdx.x;
  if (m > s.models) return;
  const uint32_t width = s.models * s.classes;
  for (uint32_t r = 0; r < b.rows; r++) {
    const double weight = b.weights[r];
    if (m == s.models) {
      if (s.at[kWeightSum] >= 0) sums[s.at[kWeightSum]] += weight;
      continue;
    }
    linear_metrics::AccumulateRow(s, model.label_transform, sums, scores + static_cast<size_t>(r) * width + static_cast<size_t>(m) * s.classes,
                                  b.labels[r], weight, m);
  }
}

DeviceModel ModelOf(const LinearEvaluateDevice& e) {
  const size_t width = static_cast<size_t>(e.s.models) * e.s.classes;
  const float* at = e.model;
  DeviceModel model{at, nullptr, nullptr, nullptr, nullptr};
  at += e.s.dim * width;
  if (e.s.use_bias) model.bias = at;
  at += width;
  if (e.scaled) {
    model.shift = at;
    model.scale = at + e.s.dim;
    at += 2 * static_cast<size_t>(e.s.dim);
  }
  if (e.label_transformed) model.label_transform = at;
  return model;
}

}  // namespace

std::string OpenLinearEvaluate(LinearEvaluateDevice& e, const LinearSettings& s, const float* weights, const float* bias,
                               const float* shift, const float* scale, const float* label_transform) {
  std::lock_guard<std::mutex> lock(e.mutex);
  e.device = SelectedDevice().load();
  e.s = s;
  e.scaled = shift != nullptr && scale != nullptr;
  e.label_transformed = label_transform != nullptr;
  std::string error = Check("cudaSetDevice", cudaSetDevice(e.device));
  if (error.empty()) error = Check("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&e.stream, cudaStreamNonBlocking));
  if (!error.empty()) return error;
  const size_t width = static_cast<size_t>(s.models) * s.classes;
  std::vector<float> model(s.dim * width + width + (e.scaled ? 2 * static_cast<size_t>(s.dim) : 0) + (e.label_transformed ? 2 : 0));
  std::copy(weights, weights + s.dim * width, model.begin());
  std::copy(bias, bias + width, model.begin() + s.dim * width);
  size_t at = s.dim * width + width;
  if (e.scaled) {
    std::copy(shift, shift + s.dim, model.begin() + at);
    std::copy(scale, scale + s.dim, model.begin() + at + s.dim);
    at += 2 * static_cast<size_t>(s.dim);
  }
  if (e.label_transformed) std::copy(label_transform, label_transform + 2, model.begin() + at);
  if (!Allocate(e.model, model.size()) || !Allocate(e.sums, s.sums)) {
    FreeAll(e.model, e.sums);  // the message's free memory is then the device's
    return OutOfMemory("the model of " + std::to_string(s.dim) + " features × " + std::to_string(width) + " outputs and its sums",
                       model.size() * sizeof(float) + s.sums * sizeof(double));
  }
  // On the pass's stream, which the kernels use (a copy on the legacy stream is not ordered before them), and
  // waited for: `model` is freed when this returns.
  error = Check("cudaMemcpyAsync", CountedMemcpyAsync(e.model, model.data(), model.size() * sizeof(float), cudaMemcpyHostToDevice, e.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(e.sums, 0, (s.sums > 0 ? s.sums : 1) * sizeof(double), e.stream));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(e.stream));
  return error;
}

std::string AddLinearEvaluate(LinearEvaluateDevice& e, const LinearEvaluateBatch& batch) {
  std::lock_guard<std::mutex> lock(e.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(e.device));
  if (!error.empty() || batch.rows == 0) return error;
  const size_t rows = batch.rows;
  const size_t width = static_cast<size_t>(e.s.models) * e.s.classes;
  const size_t value_count = batch.sparse ? batch.nnz : rows * e.s.dim;
  const std::string what = "a batch of " + std::to_string(rows) + " rows";
  error = GrowBuffer(e.stream, e.scores, e.score_count, rows * width, "the scores of " + what);
  if (!error.empty()) return error;
  std::vector<float> ones;
  if (batch.weights == nullptr) ones.assign(rows, 1.0f);
  // The batch and a sparse batch's structure: one transfer.
  enum Part { kLabels, kWeights, kValues, kIndptr, kIndices };
  std::vector<UploadPart> parts{{batch.labels, rows * sizeof(float), true},
                                {batch.weights ? batch.weights : ones.data(), rows * sizeof(float), batch.weights != nullptr},
                                {batch.values, value_count * sizeof(float), true}};
  if (batch.sparse) {
    parts.push_back({batch.indptr, (rows + 1) * sizeof(int32_t), true});
    parts.push_back({batch.indices, batch.nnz * sizeof(uint32_t), true});
  }
  std::vector<const char*> at;
  error = e.upload.Send(e.stream, parts, at, what, batch.kept);
  if (!error.empty()) return error;
  const DeviceModel model = ModelOf(e);
  const DeviceBatch b{static_cast<uint32_t>(rows), batch.sparse ? 1u : 0u, reinterpret_cast<const float*>(at[kLabels]),
                      reinterpret_cast<const float*>(at[kWeights]), reinterpret_cast<const float*>(at[kValues]),
                      batch.sparse ? reinterpret_cast<const int32_t*>(at[kIndptr]) : nullptr,
                      batch.sparse ? reinterpret_cast<const uint32_t*>(at[kIndices]) : nullptr};
  const size_t outputs = rows * width;
  BOUNDLESS_LAUNCH(ScoresKernel, static_cast<unsigned>((outputs + kThreads - 1) / kThreads), kThreads, 0, e.stream)(e.s, model, b, e.scores);
  BOUNDLESS_LAUNCH(MetricsKernel, (e.s.models + 1 + kThreads - 1) / kThreads, kThreads, 0, e.stream)(e.s, model, b, e.scores, e.sums);
  return Check("kernel launch", cudaGetLastError());
}

std::string ReadLinearEvaluate(LinearEvaluateDevice& e, double* out) {
  std::lock_guard<std::mutex> lock(e.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(e.device));
  std::vector<double> held(e.s.sums);
  if (error.empty() && e.s.sums > 0) {
    error = Check("cudaMemcpyAsync", CountedMemcpyAsync(held.data(), e.sums, e.s.sums * sizeof(double), cudaMemcpyDeviceToHost, e.stream));
  }
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(e.stream));
  if (!error.empty()) return error;
  for (size_t i = 0; i < e.s.sums; i++) out[i] += held[i];
  if (e.s.sums > 0) error = Check("cudaMemsetAsync", cudaMemsetAsync(e.sums, 0, e.s.sums * sizeof(double), e.stream));
  return error;
}

void CloseLinearEvaluate(LinearEvaluateDevice& e) {
  std::lock_guard<std::mutex> lock(e.mutex);
  if (e.device < 0) return;
  cudaSetDevice(e.device);
  if (e.stream) CountedStreamSynchronize(e.stream);
  e.upload.Free();
  FreeAll(e.model, e.sums, e.scores);
  if (e.stream) cudaStreamDestroy(e.stream);
  e.stream = nullptr;
  e.score_count = 0;
  e.device = -1;
}

}  // namespace boundless_cuda
