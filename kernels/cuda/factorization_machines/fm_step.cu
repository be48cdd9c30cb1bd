#include "factorization_machines/fm_step.cuh"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;
constexpr uint32_t kLogistic = 0, kSgd = 0, kAdagrad = 1, kAdam = 2, kDecoupled = 0;

std::string Check(const char* step, cudaError_t status) { return status == cudaSuccess ? "" : Describe(step, status); }

// What every kernel of a batch reads.
struct FmView {
  FmDeviceSettings s;
  float* part[kFmParts];
  int32_t* last_step;
  const double* table;
  double* slot_sums;  // this batch's metric slot, or null
  const float* labels;
  const float* weights;
  const float* values;
  const int32_t* indptr;  // null: dense
  const uint32_t* indices;
  const uint32_t* features;  // sparse: the touched features, their entries' starts, rows and values
  const uint32_t* starts;
  const uint32_t* entry_rows;
  const float* entry_values;
  double* sums;
  double* squares;
  double* score;
  double* loss;
  double* slope;
  uint32_t rows, touched;
  int32_t step;
  float c1, c2;         // Adam's 1 − β₁ᵗ, 1 − β₂ᵗ at t = step + 1, in float as cpu's
  double catch_up_c2;   // 1 − β₂^step (1 at step 0)
  double rescale;
};

__device__ size_t Thread() { return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ uint32_t Features(const FmView& v) { return v.indptr ? v.touched : v.s.dim; }
__device__ uint32_t FeatureAt(const FmView& v, uint32_t k) { return v.indptr ? v.features[k] : k; }
__device__ const double* ModelOf(const FmView& v, uint32_t m) { return v.table + static_cast<size_t>(m) * kFmModelWords; }

// factorization_machines.cc's UnitScale, PreconditionerScale, ClampedDecay, DecayFactor, Repeated.
__device__ bool UnitScale(const FmView& v, const float* m1, const float* m2) {
  return v.s.decay == kDecoupled || v.s.optimizer == kSgd || !m1 || (v.s.optimizer == kAdam && !m2);
}
// A moment below float32's normal range counts as no gradient (scale 1), as on cpu.
__device__ double PreconditionerScale(float moment, double c2, double eps) {
  return moment >= 1.17549435e-38f ? 1.0 / (sqrt(double(moment) / c2) + eps) : 1.0;
}
__device__ double ClampedDecay(double lr_wd, double scale) { return fmin(1.0, fmax(0.0, 1.0 - lr_wd * scale)); }
__device__ double StepScale(const FmView& v, const float* m1, const float* m2, size_t j, double c2) {
  if (UnitScale(v, m1, m2)) return 1.0;
  return v.s.optimizer == kAdagrad ? PreconditionerScale(m1[j], 1.0, v.s.eps) : PreconditionerScale(m2[j], c2, v.s.eps);
}
__device__ double DecayFactor(const FmView& v, double lr, double wd, double scale) {
  if (v.s.decay == kDecoupled) return 1.0 - lr * wd;
  return ClampedDecay(lr * wd, scale);
}
__device__ double Repeated(double factor, int32_t missed) {
  if (missed > 64) return pow(factor, missed);
  double result = 1, power = factor;
  for (int32_t n = missed; n > 0; n >>= 1) {
    if (n & 1) result *= power;
    power *= power;
  }
  return result;
}

// A feature's parameters decayed over the steps it sat out (CatchUp).
__global__ void CatchUpKernel(FmView v) {
  const size_t k = Thread();
  if (k >= Features(v)) return;
  const uint32_t i = FeatureAt(v, static_cast<uint32_t>(k));
  const int32_t missed = v.step - v.last_step[i];
  if (missed <= 0) return;
  const uint32_t models = v.s.models;
  for (uint32_t m = 0; m < models; m++) {
    const double* c = ModelOf(v, m);
    const float linear_lr = static_cast<float>(c[3]), factors_lr = static_cast<float>(c[4]);
    const float linear_wd = static_cast<float>(c[6]), factors_wd = static_cast<float>(c[7]);
    if (linear_wd > 0) {
      const size_t j = static_cast<size_t>(i) * models + m;
      v.part[kFmLinear][j] *= static_cast<float>(
          Repeated(DecayFactor(v, linear_lr, linear_wd, StepScale(v, v.part[kFmLinearM1], v.part[kFmLinearM2], j, v.catch_up_c2)), missed));
    }
    if (factors_wd > 0) {
      const size_t at = static_cast<size_t>(i) * v.s.width + static_cast<size_t>(c[1]);
      for (size_t f = 0; f < static_cast<size_t>(c[0]); f++) {
        v.part[kFmFactors][at + f] *= static_cast<float>(
            Repeated(DecayFactor(v, factors_lr, factors_wd, StepScale(v, v.part[kFmFactorsM1], v.part[kFmFactorsM2], at + f, v.catch_up_c2)), missed));
      }
    }
  }
  v.last_step[i] = v.step;
}

// Row r's non-zeros in order: (feature, value) pairs to `visit`.
template <class Visit>
__device__ void ForEntry(const FmView& v, uint32_t r, Visit visit) {
  if (v.indptr) {
    for (int32_t e = v.indptr[r]; e < v.indptr[r + 1]; e++) visit(v.indices[e], v.values[e]);
  } else {
    const float* row = v.values + static_cast<size_t>(r) * v.s.dim;
    for (uint32_t i = 0; i < v.s.dim; i++) if (row[i] != 0) visit(i, row[i]);
  }
}

// Σ vᵢf xᵢ and Σ (vᵢf xᵢ)² of one (row, factor), entries in order (Forward).
__global__ void SumsKernel(FmView v) {
  const size_t index = Thread();
  const uint32_t width = v.s.width;
  if (index >= static_cast<size_t>(v.rows) * width) return;
  const uint32_t r = static_cast<uint32_t>(index / width), f = static_cast<uint32_t>(index % width);
  double sum = 0, squares = 0;
  ForEntry(v, r, [&](uint32_t i, float x) {
    const double vx = double(v.part[kFmFactors][static_cast<size_t>(i) * width + f]) * x;
    sum += vx;
    squares += vx * vx;
  });
  v.sums[index] = sum;
  v.squares[index] = squares;
}

// ŷ of one (row, model), its loss and w·dL/dŷ (Forward, Score).
__global__ void ScoresKernel(FmView v) {
  const size_t index = Thread();
  const uint32_t models = v.s.models;
  if (index >= static_cast<size_t>(v.rows) * models) return;
  const uint32_t r = static_cast<uint32_t>(index / models), m = static_cast<uint32_t>(index % models);
  double linear = 0;
  ForEntry(v, r, [&](uint32_t i, float x) { linear += double(v.part[kFmLinear][static_cast<size_t>(i) * models + m]) * x; });
  const double* c = ModelOf(v, m);
  const size_t offset = static_cast<size_t>(c[1]), end = offset + static_cast<size_t>(c[0]);
  const double* sum = v.sums + static_cast<size_t>(r) * v.s.width;
  const double* squares = v.squares + static_cast<size_t>(r) * v.s.width;
  double pair = 0;
  for (size_t f = offset; f < end; f++) pair += sum[f] * sum[f] - squares[f];
  const double z = v.part[kFmBias][m] + linear + 0.5 * pair;
  const double y = v.labels[r], w = v.weights[r];
  double d;
  if (v.s.loss == kLogistic) {
    v.loss[index] = (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y * z;
    d = y == 1 ? -1.0 / (1.0 + exp(z)) : 1.0 / (1.0 + exp(-z));
  } else {
    v.loss[index] = (z - y) * (z - y);
    d = 2 * (z - y);
  }
  v.score[index] = z;
  v.slope[index] = w * d;
}

// A model's metric sums over the rows in order (Score).
__global__ void MetricsKernel(FmView v) {
  const uint32_t m = static_cast<uint32_t>(Thread());
  const uint32_t models = v.s.models;
  if (m >= models) return;
  double* loss = v.slot_sums;
  double* weight = loss + models;
  double* confusion = weight + models;
  for (uint32_t r = 0; r < v.rows; r++) {
    const double w = v.weights[r];
    const size_t at = static_cast<size_t>(r) * models + m;
    loss[m] += w * v.loss[at];
    weight[m] += w;
    if (v.s.loss == kLogistic) {
      const bool actual = v.labels[r] == 1, predicted = v.score[at] >= 0;
      confusion[m * 4 + (predicted ? (actual ? 0 : 1) : (actual ? 3 : 2))] += w;
    }
  }
}

// One parameter's optimizer step and decay in float (ApplyLoop).
__device__ void Apply(const FmView& v, float lr, float wd, float grad, float* p, float* m1, float* m2) {
  const FmDeviceSettings& s = v.s;
  float g = grad;
  if (s.clip > 0) g = fminf(s.clip, fmaxf(-s.clip, g));
  float value = *p;
  if (s.optimizer == kSgd) {
    value -= lr * g;
  } else if (s.optimizer == kAdagrad) {
    *m1 += g * g;
    value -= lr * g / (sqrtf(*m1) + s.eps);
  } else {
    *m1 = s.beta1 * *m1 + (1 - s.beta1) * g;
    *m2 = s.beta2 * *m2 + (1 - s.beta2) * g * g;
    value -= lr * (*m1 / v.c1) / (sqrtf(*m2 / v.c2) + s.eps);
  }
  if (s.decay == kDecoupled) {
    *p = value * (1.0f - lr * wd);
  } else if (wd > 0) {
    double scale = 1.0;
    if (!UnitScale(v, m1, m2)) scale = s.optimizer == kAdagrad ? PreconditionerScale(*m1, 1.0, double(s.eps)) : PreconditionerScale(*m2, double(v.c2), double(s.eps));
    *p = value * static_cast<float>(ClampedDecay(double(lr) * double(wd), scale));
  } else {
    *p = value;
  }
}

__device__ float* At(float* array, size_t j) { return array ? array + j : nullptr; }

__global__ void BiasKernel(FmView v) {
  const uint32_t m = static_cast<uint32_t>(Thread());
  if (m >= v.s.models) return;
  double g = 0;
  for (uint32_t r = 0; r < v.rows; r++) g += v.slope[static_cast<size_t>(r) * v.s.models + m];
  const double* c = ModelOf(v, m);
  Apply(v, static_cast<float>(c[2]), static_cast<float>(c[5]), static_cast<float>(g * v.rescale), v.part[kFmBias] + m, At(v.part[kFmBiasM1], m),
        At(v.part[kFmBiasM2], m));
}

// A touched feature's entries in row order: (row, value) pairs to `visit`.
template <class Visit>
__device__ void ForFeatureEntry(const FmView& v, uint32_t k, uint32_t i, Visit visit) {
  if (v.indptr) {
    for (uint32_t e = v.starts[k]; e < v.starts[k + 1]; e++) visit(v.entry_rows[e], v.entry_values[e]);
  } else {
    for (uint32_t r = 0; r < v.rows; r++) {
      const float x = v.values[static_cast<size_t>(r) * v.s.dim + i];
      if (x != 0) visit(r, x);
    }
  }
}

// One (touched feature, model): the linear weight's gradient and step, then each factor's.
__global__ void FeaturesKernel(FmView v) {
  const uint32_t models = v.s.models, width = v.s.width;
  const size_t index = Thread();
  if (index >= static_cast<size_t>(Features(v)) * models) return;
  const uint32_t k = static_cast<uint32_t>(index / models), m = static_cast<uint32_t>(index % models);
  const uint32_t i = FeatureAt(v, k);
  const double* c = ModelOf(v, m);
  double glin = 0;
  ForFeatureEntry(v, k, i, [&](uint32_t r, float x) { glin += v.slope[static_cast<size_t>(r) * models + m] * x; });
  const size_t j = static_cast<size_t>(i) * models + m;
  Apply(v, static_cast<float>(c[3]), static_cast<float>(c[6]), static_cast<float>(glin * v.rescale), v.part[kFmLinear] + j,
        At(v.part[kFmLinearM1], j), At(v.part[kFmLinearM2], j));
  const size_t offset = static_cast<size_t>(c[1]), end = offset + static_cast<size_t>(c[0]);
  float* factors = v.part[kFmFactors] + static_cast<size_t>(i) * width;
  for (size_t f = offset; f < end; f++) {
    // Each factor's gradient reads only its own value (before its step), so a factor is stepped as soon as its sum is known.
    double g = 0;
    ForFeatureEntry(v, k, i, [&](uint32_t r, float x) {
      const double gx = v.slope[static_cast<size_t>(r) * models + m] * x;
      g += gx * (v.sums[static_cast<size_t>(r) * width + f] - double(factors[f]) * x);
    });
    const size_t at = static_cast<size_t>(i) * width + f;
    Apply(v, static_cast<float>(c[4]), static_cast<float>(c[7]), static_cast<float>(g * v.rescale), factors + f, At(v.part[kFmFactorsM1], at),
          At(v.part[kFmFactorsM2], at));
  }
  if (m == 0) v.last_step[i] = v.step + 1;
}

unsigned Blocks(size_t threads) { return static_cast<unsigned>((threads + kThreads - 1) / kThreads); }

}  // namespace

size_t FmPartLength(int part, const FmDeviceSettings& s) {
  switch (part) {
    case kFmBias: case kFmBiasM1: case kFmBiasM2: return s.models;
    case kFmLinear: case kFmLinearM1: case kFmLinearM2: return static_cast<size_t>(s.dim) * s.models;
    default: return static_cast<size_t>(s.dim) * s.width;
  }
}

std::string OpenFm(FmDevice& d, const FmDeviceSettings& s, const double* table, const float* const* parts, const int32_t* last_step) {
  std::lock_guard<std::mutex> lock(d.mutex);
  d.device = SelectedDevice().load();
  d.s = s;
  std::string error = Check("cudaSetDevice", cudaSetDevice(d.device));
  if (error.empty()) error = Check("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking));
  if (!error.empty()) return error;
  const size_t table_count = s.models * kFmModelWords, sums_count = 2 * s.models * kFmSlotWords;
  size_t bytes = s.dim * sizeof(int32_t) + (table_count + sums_count) * sizeof(double);
  for (int i = 0; i < kFmParts; i++) if (parts[i]) bytes += FmPartLength(i, s) * sizeof(float);
  bool allocated = Allocate(d.last_step, s.dim) && Allocate(d.table, table_count) && Allocate(d.sums, sums_count);
  for (int i = 0; i < kFmParts && allocated; i++) if (parts[i]) allocated = Allocate(d.part[i], FmPartLength(i, s));
  if (!allocated) {
    // What was allocated goes back first: the message's free memory is then the device's.
    FreeAll(d.last_step, d.table, d.sums);
    for (float*& part : d.part) FreeAll(part);
    return OutOfMemory("the state of " + std::to_string(s.dim) + " features × " + std::to_string(s.models) + " models", bytes);
  }
  // On the state's stream, which the kernels use (a copy on the legacy stream is not ordered before them), and
  // waited for: the caller may change its arrays once this returns.
  auto copy = [&](void* to, const void* from, size_t n) {
    if (error.empty() && n > 0) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(to, from, n, cudaMemcpyHostToDevice, d.stream));
  };
  for (int i = 0; i < kFmParts; i++) if (parts[i]) copy(d.part[i], parts[i], FmPartLength(i, s) * sizeof(float));
  copy(d.last_step, last_step, s.dim * sizeof(int32_t));
  copy(d.table, table, table_count * sizeof(double));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(d.sums, 0, sums_count * sizeof(double), d.stream));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(d.stream));
  return error;
}

std::string AddFm(FmDevice& d, const FmBatch& batch) {
  const HostRows& b = batch.rows;
  std::lock_guard<std::mutex> lock(d.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(d.device));
  if (!error.empty() || b.rows == 0) return error;
  const FmDeviceSettings& s = d.s;
  const size_t rows = b.rows, value_count = b.sparse ? b.nnz : rows * s.dim;
  const std::string what = "a batch of " + std::to_string(rows) + " rows";
  const size_t index_words = b.sparse ? 2 * batch.touched + 1 + 2 * b.nnz : 0;
  error = GrowBuffer(d.stream, d.work, d.work_count, rows * (2 * s.width + 3 * s.models), "the work of " + what);
  if (!error.empty()) return error;
  std::vector<float> ones;
  if (b.weights == nullptr) ones.assign(rows, 1.0f);
  // The batch, and a sparse batch's structure and feature index: one transfer.
  enum Part { kLabels, kWeights, kValues, kIndptr, kIndices, kIndex };
  // The batch's own arrays (`true`) stay on the device when the epoch cache keeps it; the feature index is this call's.
  std::vector<UploadPart> parts{{b.labels, rows * sizeof(float), true}, {b.weights ? b.weights : ones.data(), rows * sizeof(float), b.weights != nullptr},
                                {b.values, value_count * sizeof(float), true}};
  if (b.sparse) {
    parts.push_back({b.indptr, (rows + 1) * sizeof(int32_t), true});
    parts.push_back({b.indices, b.nnz * sizeof(uint32_t), true});
    parts.push_back({batch.index, index_words * sizeof(uint32_t)});
  }
  std::vector<const char*> at;
  error = d.upload.Send(d.stream, parts, at, what, b.kept);
  if (!error.empty()) return error;
  FmView v{};
  v.s = s;
  std::copy(d.part, d.part + kFmParts, v.part);
  v.last_step = d.last_step;
  v.table = d.table;
  v.slot_sums = batch.slot >= 0 ? d.sums + static_cast<size_t>(batch.slot) * s.models * kFmSlotWords : nullptr;
  v.labels = reinterpret_cast<const float*>(at[kLabels]);
  v.weights = reinterpret_cast<const float*>(at[kWeights]);
  v.values = reinterpret_cast<const float*>(at[kValues]);
  if (b.sparse) {
    v.indptr = reinterpret_cast<const int32_t*>(at[kIndptr]);
    v.indices = reinterpret_cast<const uint32_t*>(at[kIndices]);
    v.features = reinterpret_cast<const uint32_t*>(at[kIndex]);
    v.starts = v.features + batch.touched;
    v.entry_rows = v.starts + batch.touched + 1;
    v.entry_values = reinterpret_cast<const float*>(v.entry_rows + b.nnz);
  }
  v.sums = d.work;
  v.squares = v.sums + rows * s.width;
  v.score = v.squares + rows * s.width;
  v.loss = v.score + rows * s.models;
  v.slope = v.loss + rows * s.models;
  v.rows = static_cast<uint32_t>(rows);
  v.touched = static_cast<uint32_t>(batch.touched);
  v.step = batch.step;
  // cpu's constants, computed as cpu computes them: Adam's in float at t, the catch-up's in double at the state's step.
  const int32_t t = batch.step + 1;
  v.c1 = s.optimizer == kAdam ? 1.0f - std::pow(s.beta1, static_cast<float>(t)) : 1.0f;
  v.c2 = s.optimizer == kAdam ? 1.0f - std::pow(s.beta2, static_cast<float>(t)) : 1.0f;
  v.catch_up_c2 = batch.step > 0 ? 1.0 - std::pow(double(s.beta2), batch.step) : 1.0;
  double total_weight = 0;
  for (size_t r = 0; r < rows; r++) total_weight += b.weights ? static_cast<double>(b.weights[r]) : 1.0;
  v.rescale = s.rescale_grad > 0 ? s.rescale_grad : (total_weight > 0 ? 1.0 / total_weight : 0.0);
  const size_t features = b.sparse ? batch.touched : s.dim;
  if (features > 0) BOUNDLESS_LAUNCH(CatchUpKernel, Blocks(features), kThreads, 0, d.stream)(v);
  if (s.width > 0) BOUNDLESS_LAUNCH(SumsKernel, Blocks(rows * s.width), kThreads, 0, d.stream)(v);
  BOUNDLESS_LAUNCH(ScoresKernel, Blocks(rows * s.models), kThreads, 0, d.stream)(v);
  if (v.slot_sums) BOUNDLESS_LAUNCH(MetricsKernel, Blocks(s.models), kThreads, 0, d.stream)(v);
  if (batch.training) {
    BOUNDLESS_LAUNCH(BiasKernel, Blocks(s.models), kThreads, 0, d.stream)(v);
    if (features > 0) BOUNDLESS_LAUNCH(FeaturesKernel, Blocks(features * s.models), kThreads, 0, d.stream)(v);
  }
  return Check("kernel launch", cudaGetLastError());
}

std::string ReadFm(FmDevice& d, float* const* parts, int32_t* last_step, double* sums) {
  std::lock_guard<std::mutex> lock(d.mutex);
  const FmDeviceSettings& s = d.s;
  std::string error = Check("cudaSetDevice", cudaSetDevice(d.device));
  const size_t sums_count = 2 * s.models * kFmSlotWords;
  std::vector<double> held(sums_count);
  auto copy = [&](void* to, const void* from, size_t bytes) {
    if (error.empty() && bytes > 0) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToHost, d.stream));
  };
  for (int i = 0; i < kFmParts; i++) if (parts[i] && d.part[i]) copy(parts[i], d.part[i], FmPartLength(i, s) * sizeof(float));
  copy(last_step, d.last_step, s.dim * sizeof(int32_t));
  copy(held.data(), d.sums, sums_count * sizeof(double));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(d.stream));
  if (!error.empty()) return error;
  for (size_t i = 0; i < sums_count; i++) sums[i] += held[i];
  return Check("cudaMemsetAsync", cudaMemsetAsync(d.sums, 0, sums_count * sizeof(double), d.stream));
}

void CloseFm(FmDevice& d) {
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.device < 0) return;
  cudaSetDevice(d.device);
  if (d.stream) CountedStreamSynchronize(d.stream);
  d.upload.Free();
  FreeAll(d.last_step, d.table, d.sums, d.work);
  for (float*& part : d.part) FreeAll(part);
  if (d.stream) cudaStreamDestroy(d.stream);
  d.stream = nullptr;
  d.work_count = 0;
  d.device = -1;
}

}  // namespace boundless_cuda
