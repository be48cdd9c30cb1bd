#include "linear_learner/ll_update.cuh"

#include <algorithm>
#include <cstring>
#include <vector>

#include "linear_learner/ll_metrics.cuh"
#include "linear_learner/ll_train_math.cuh"
#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;

std::string Check(const char* step, cudaError_t status) { return status == cudaSuccess ? "" : Describe(step, status); }

// What every kernel of a step reads: the settings, the state, the batch, the step.
struct StepView {
  LinearUpdateSettings u;
  float* part[kLinearParts];
  int32_t* last_step;
  double* sums;
  const float* labels;
  const float* weights;
  const float* values;
  const int32_t* indptr;   // null: dense
  const uint32_t* indices;
  // The step index (sparse): features[T], starts[T + 1], (entry, row in step)[nnz × 2].
  const uint32_t* features;
  const uint32_t* starts;
  const uint32_t* entries;
  const double* table;     // this step's models × kModelWords
  double* scores;          // rows × width
  double* average_scores;  // rows × width, when the state averages
  float* gradient;         // rows × width
  uint32_t row_begin, rows, touched_begin, touched;
  double t, start, recency, correction1, correction2;
  // The fused dense kernel: the batch's step records and tables on the device (LoadStep), and, when
  // the progressive loss differences are kept, each row's metric loss per model ([models × rows]),
  // model 0's baseline loss ([rows]) and metric weight ([rows]), summed after the steps.
  const double* records;
  const double* tables;
  uint32_t step_count, batch_rows;
  double* deferred;
};

// A step's constants from its record (kStepWords) and its models' table: the host's arrays for the
// per-step launches, their device copies in the fused kernel.
__host__ __device__ void SetStep(StepView& v, const double* step, const double* table) {
  v.row_begin = static_cast<uint32_t>(step[0]);
  v.rows = static_cast<uint32_t>(step[1]);
  v.t = step[2];
  v.start = step[3];
  v.recency = step[4];
  v.touched_begin = static_cast<uint32_t>(step[5]);
  v.touched = static_cast<uint32_t>(step[6]);
  v.correction1 = step[7];
  v.correction2 = step[8];
  v.table = table;
}

// Step i of the batch, from the records and tables it brought to the device.
__device__ void LoadStep(StepView& v, uint32_t i) {
  SetStep(v, v.records + static_cast<size_t>(i) * kStepWords, v.tables + static_cast<size_t>(i) * v.u.base.models * kModelWords);
}

__device__ uint32_t Width(const StepView& v) { return v.u.base.models * v.u.base.classes; }
__device__ size_t Thread() { return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

__device__ boundless::linear::Proximal ProximalOf(const StepView& v, uint32_t m) {
  const double* c = v.table + static_cast<size_t>(m) * kModelWords;
  return {c[1], c[3], c[4], c[5], c[2]};
}

// A value after the scaler, as cpu's TransformValues computes it (float32).
__device__ float Scaled(const StepView& v, float x, uint32_t j) {
  if (!v.part[kPartScale]) return x;
  return v.indptr ? x * v.part[kPartScale][j] : (x - v.part[kPartShift][j]) * v.part[kPartScale][j];
}

// Sparse steps: each touched feature's weights (and average) brought over the steps it missed (CatchUpTouched).
__global__ void CatchUpKernel(StepView v) {
  const size_t slot = Thread();
  if (slot >= v.touched) return;
  const uint32_t j = v.features[v.touched_begin + slot];
  const double last = v.last_step[j];
  const double missed = v.t - 1 - last;
  if (missed <= 0) return;
  const uint32_t width = Width(v), classes = v.u.base.classes;
  const double inverse_count = v.t - 1 > v.start ? 1 / (v.t - 1 - v.start) : 0;
  float* w = v.part[kPartWeights] + static_cast<size_t>(j) * width;
  float* a = v.part[kPartAverage] ? v.part[kPartAverage] + static_cast<size_t>(j) * width : nullptr;
  for (uint32_t m = 0; m < v.u.base.models; m++) {
    const boundless::linear::Proximal p = ProximalOf(v, m);
    for (uint32_t k = m * classes; k < (m + 1) * classes; k++) {
      double sum;
      const float shrunk = linear_train::ShrinkWithSum(w[k], p, missed, &sum);
      if (a) a[k] = linear_train::AverageAt(a[k], w[k], shrunk, sum, last, v.t - 1, v.start, p, inverse_count);
      w[k] = shrunk;
    }
  }
  v.last_step[j] = static_cast<int32_t>(v.t - 1);
}

// score = bias + Σ x'·w over the row's features in order, float64; for `weights` and `bias` of the iterate or the average.
__device__ double RowScore(const StepView& v, const float* weights, const float* bias, uint32_t r, uint32_t k) {
  const uint32_t width = Width(v);
  double sum = bias ? bias[k] : 0.0;
  if (v.indptr) {
    for (int32_t e = v.indptr[r]; e < v.indptr[r + 1]; e++) {
      const uint32_t j = v.indices[e];
      sum += static_cast<double>(Scaled(v, v.values[e], j)) * weights[static_cast<size_t>(j) * width + k];
    }
  } else {
    const float* row = v.values + static_cast<size_t>(r) * v.u.base.dim;
    for (uint32_t j = 0; j < v.u.base.dim; j++) sum += static_cast<double>(Scaled(v, row[j], j)) * weights[static_cast<size_t>(j) * width + k];
  }
  return sum;
}

// Row i of the step, output k: the iterate's score and the average's.
__device__ void ForwardOne(const StepView& v, uint32_t i, uint32_t k) {
  const size_t index = static_cast<size_t>(i) * Width(v) + k;
  const bool bias = v.u.base.use_bias != 0;
  v.scores[index] = RowScore(v, v.part[kPartWeights], bias ? v.part[kPartBias] : nullptr, v.row_begin + i, k);
  if (v.part[kPartAverage]) v.average_scores[index] = RowScore(v, v.part[kPartAverage], bias ? v.part[kPartBiasAverage] : nullptr, v.row_begin + i, k);
}

__global__ void ForwardKernel(StepView v) {
  const uint32_t width = Width(v);
  const size_t index = Thread();
  if (index >= static_cast<size_t>(v.rows) * width) return;
  ForwardOne(v, static_cast<uint32_t>(index / width), static_cast<uint32_t>(index % width));
}

__device__ bool Averages(const StepView& v, uint32_t m) { return v.part[kPartAverage] && v.part[kPartAveraged] && v.part[kPartAveraged][m] != 0; }

// Model 0's metric loss on row i of the step, scored as it outputs (BaselineLosses).
__device__ double Baseline(const StepView& v, uint32_t i) {
  const double* scores = Averages(v, 0) ? v.average_scores : v.scores;
  return linear_metrics::MetricLoss(v.u.base, v.part[kPartLabelTransform], scores + static_cast<size_t>(i) * Width(v), v.labels[v.row_begin + i]);
}

// Model m's squared difference from model 0 on row i of the step, recency-weighted: added now, or
// (the fused kernel, whose blocks step their models apart) kept with model 0's baseline and the row's
// weight for LossDifferencesKernel, which adds them in the same order after the steps.
__device__ void LossDifference(const StepView& v, uint32_t m, uint32_t i, double loss, double metric_weight) {
  const LinearSettings& s = v.u.base;
  if (s.at[kLossDifferenceSq] < 0) return;
  if (!v.deferred) {
    const double d = loss - Baseline(v, i);
    v.sums[s.at[kLossDifferenceSq] + m] += metric_weight * d * d;
    return;
  }
  const uint32_t row = v.row_begin + i;
  v.deferred[static_cast<size_t>(m) * v.batch_rows + row] = loss;
  if (m == 0) {
    v.deferred[static_cast<size_t>(s.models) * v.batch_rows + row] = Baseline(v, i);
    v.deferred[static_cast<size_t>(s.models + 1) * v.batch_rows + row] = metric_weight;
  }
}

// One thread per model: the deferred squared differences of the batch's rows, in row order.
__global__ void LossDifferencesKernel(StepView v) {
  const uint32_t m = static_cast<uint32_t>(Thread());
  const LinearSettings& s = v.u.base;
  if (m >= s.models) return;
  const double* losses = v.deferred + static_cast<size_t>(m) * v.batch_rows;
  const double* baseline = v.deferred + static_cast<size_t>(s.models) * v.batch_rows;
  const double* weight = baseline + v.batch_rows;
  for (uint32_t r = 0; r < v.batch_rows; r++) {
    const double d = losses[r] - baseline[r];
    v.sums[s.at[kLossDifferenceSq] + m] += weight[r] * d * d;
  }
}

// The logistic loss's gradients and sums for model m (LogisticGradients, AccumulateBinaryRow).
__device__ void LogisticModel(const StepView& v, uint32_t m) {
  const LinearSettings& s = v.u.base;
  const uint32_t width = Width(v);
  const float positive = static_cast<float>(v.table[static_cast<size_t>(m) * kModelWords + 6]);
  const bool averaged = Averages(v, m);
  for (uint32_t i = 0; i < v.rows; i++) {
    const uint32_t r = v.row_begin + i;
    const float y = v.labels[r];
    const double weight = v.weights[r], metric_weight = v.recency * weight;
    const size_t at = static_cast<size_t>(i) * width + m;
    float g, loss;
    linear_train::LogisticRow(v.scores[at], y, &g, &loss);
    const float scale = static_cast<float>(weight / static_cast<double>(v.rows));
    v.gradient[at] = g * (scale * (y == 1 ? positive : 1.0f));
    float known = loss;
    double score = v.scores[at];
    if (v.part[kPartAverage]) {
      float unused, output_loss;
      linear_train::LogisticRow(v.average_scores[at], y, &unused, &output_loss);
      if (averaged) {
        known = output_loss;
        score = v.average_scores[at];
      }
    }
    const double known_loss = known;
    linear_metrics::AccumulateRow(s, nullptr, v.sums, &score, y, metric_weight, m, &known_loss);
    LossDifference(v, m, i, known_loss, metric_weight);
  }
}

// Every other loss's gradients and sums for model m (LossGradients).
__device__ void LossModel(const StepView& v, uint32_t m) {
  using namespace linear_metrics;
  const LinearSettings& s = v.u.base;
  const uint32_t width = Width(v), classes = s.classes;
  const float* transform = v.part[kPartLabelTransform];
  const double label_shift = transform ? transform[0] : 0, label_scale = transform ? transform[1] : 1;
  const bool classification = s.loss == kHinge || s.loss == kSoftmax;
  // ε in the label's units, the residual in the scaled label's: rounded as cpu's Step does (δ stays scaled).
  LinearSettings trained = s;
  trained.insensitivity = static_cast<float>(s.insensitivity * label_scale);
  const double positive = v.table[static_cast<size_t>(m) * kModelWords + 6];
  const bool averaged = Averages(v, m);
  for (uint32_t i = 0; i < v.rows; i++) {
    const uint32_t r = v.row_begin + i;
    const double y = v.labels[r];
    const double weight = v.weights[r], metric_weight = v.recency * weight;
    const size_t at = static_cast<size_t>(i) * width + static_cast<size_t>(m) * classes;
    float* g = v.gradient + at;
    const double target = classification ? y : (y - label_shift) * label_scale;
    const double loss = LossAndGradient(classification ? s : trained, v.scores + at, target, g);
    const double* output = averaged ? v.average_scores + at : v.scores + at;
    const double metric_loss = classification && !averaged ? loss : MetricLoss(s, transform, output, y);
    AccumulateRow(s, transform, v.sums, output, y, metric_weight, m, &metric_loss);
    LossDifference(v, m, i, metric_loss, metric_weight);
    double scale = weight;
    if (s.loss == kHinge) scale *= y == 1 ? positive : 1.0;
    else if (s.loss == kSoftmax && v.part[kPartClassWeight]) scale *= v.part[kPartClassWeight][static_cast<uint32_t>(y)];
    scale /= static_cast<double>(v.rows);
    for (uint32_t c = 0; c < classes; c++) g[c] = static_cast<float>(g[c] * scale);
  }
}

// a ← a + (w − a)/(t − start) after step t; a = w before averaging begins (Average).
__device__ void AverageOne(const StepView& v, float* a, float w) {
  if (v.start < 0 || v.t <= v.start) {
    *a = w;
    return;
  }
  const float inverse = static_cast<float>(1 / (v.t - v.start));
  *a += (w - *a) * inverse;
}

// Output k's bias: its gradient over the step's rows in order, its step and decay (BiasStep), by the
// thread of its model, which wrote those gradients (no other thread reads the bias in a step's last passes).
__device__ void StepBias(const StepView& v, uint32_t k) {
  const uint32_t width = Width(v);
  const double* c = v.table + static_cast<size_t>(k / v.u.base.classes) * kModelWords;
  double g = 0;
  for (uint32_t i = 0; i < v.rows; i++) g += v.gradient[static_cast<size_t>(i) * width + k];
  float* bias = v.part[kPartBias] + k;
  float* m1 = v.part[kPartBiasMoment1] ? v.part[kPartBiasMoment1] + k : nullptr;
  float* m2 = v.part[kPartBiasMoment2] ? v.part[kPartBiasMoment2] + k : nullptr;
  const float value = linear_train::StepBias(v.u, v.correction1, v.correction2, *bias, g, c[7], m1, m2);
  *bias = static_cast<float>(value * c[8]);
  if (v.part[kPartBiasAverage]) AverageOne(v, v.part[kPartBiasAverage] + k, *bias);
}

// Σ recency·w and Σ (recency·w)² over the step's rows, in order.
__device__ void WeightSums(const StepView& v) {
  const LinearSettings& s = v.u.base;
  for (uint32_t i = 0; i < v.rows; i++) {
    const double w = v.recency * v.weights[v.row_begin + i];
    if (s.at[kWeightSum] >= 0) v.sums[s.at[kWeightSum]] += w;
  }
  if (s.at[kWeightSqSum] >= 0) {
    for (uint32_t i = 0; i < v.rows; i++) {
      const double w = v.recency * v.weights[v.row_begin + i];
      v.sums[s.at[kWeightSqSum]] += w * w;
    }
  }
}

// Model m's gradients, progressive sums and bias step.
__device__ void GradientsFor(const StepView& v, uint32_t m) {
  const LinearSettings& s = v.u.base;
  if (s.loss == linear_metrics::kLogistic) LogisticModel(v, m);
  else LossModel(v, m);
  if (s.use_bias) for (uint32_t k = m * s.classes; k < (m + 1) * s.classes; k++) StepBias(v, k);
}

// One thread per model — its gradients, progressive sums and bias step — and one more for the weight sums.
__global__ void GradientsKernel(StepView v) {
  const uint32_t m = static_cast<uint32_t>(Thread());
  if (m > v.u.base.models) return;
  if (m == v.u.base.models) WeightSums(v);
  else GradientsFor(v, m);
}

// Feature slot `slot` (dense: the feature; sparse: the step's touched slot), output k: the gradient
// summed over the step's rows, the optimizer's step, the proximal step, the average.
__device__ void WeightOne(const StepView& v, uint32_t slot, uint32_t k) {
  const uint32_t width = Width(v);
  const uint32_t m = k / v.u.base.classes;
  uint32_t j;
  double g = 0;
  if (v.indptr) {
    const uint32_t global = v.touched_begin + slot;
    j = v.features[global];
    for (uint32_t q = v.starts[global]; q < v.starts[global + 1]; q++) {
      const uint32_t e = v.entries[2 * static_cast<size_t>(q)], i = v.entries[2 * static_cast<size_t>(q) + 1];
      g += static_cast<double>(Scaled(v, v.values[e], j)) * v.gradient[static_cast<size_t>(i) * width + k];
    }
  } else {
    j = slot;
    for (uint32_t i = 0; i < v.rows; i++) {
      const float x = Scaled(v, v.values[static_cast<size_t>(v.row_begin + i) * v.u.base.dim + j], j);
      g += static_cast<double>(x) * v.gradient[static_cast<size_t>(i) * width + k];
    }
  }
  const double* c = v.table + static_cast<size_t>(m) * kModelWords;
  const size_t at = static_cast<size_t>(j) * width + k;
  float* m1 = v.part[kPartMoment1] ? v.part[kPartMoment1] + at : nullptr;
  float* m2 = v.part[kPartMoment2] ? v.part[kPartMoment2] + at : nullptr;
  linear_train::StepWeight(v.u, static_cast<float>(v.correction1), static_cast<float>(v.correction2), static_cast<float>(c[0]),
                           static_cast<float>(c[1]), static_cast<float>(c[2]), static_cast<float>(g), v.part[kPartWeights] + at, m1, m2);
  if (v.part[kPartAverage]) AverageOne(v, v.part[kPartAverage] + at, v.part[kPartWeights][at]);
  if (k == 0) v.last_step[j] = static_cast<int32_t>(v.t);
}

// One thread per (feature, output): dense every feature, sparse the step's touched ones.
__global__ void WeightsKernel(StepView v) {
  const uint32_t width = Width(v);
  const size_t index = Thread();
  const size_t features = v.indptr ? v.touched : v.u.base.dim;
  if (index >= features * width) return;
  WeightOne(v, static_cast<uint32_t>(index / width), static_cast<uint32_t>(index % width));
}

// Dense batches: every step of the batch in one launch. Models never read one another's weights,
// so block m steps model m through the batch's steps alone — forward, gradients and bias, weights,
// each a pass of the block separated by barriers — with the per-step kernels' arithmetic, thread
// for thread; the last block adds the weight sums. What models share waits for the end: the loss
// differences from model 0 (deferred, LossDifferencesKernel) and each feature's last step (the
// same for every model: model 0's block writes it). One launch where the per-step kernels made
// three a step: 31 steps of 32 rows in a 1000-row batch were 93 launches.
constexpr unsigned kFusedThreads = 256;

__global__ void FusedDenseKernel(StepView batch) {
  StepView v = batch;
  const uint32_t m = blockIdx.x, classes = v.u.base.classes;
  const size_t dim = v.u.base.dim;
  const bool sums_block = m == v.u.base.models;
  for (uint32_t step = 0; step < v.step_count; step++) {
    LoadStep(v, step);
    if (sums_block) {
      if (threadIdx.x == 0) WeightSums(v);
      continue;
    }
    for (size_t q = threadIdx.x; q < static_cast<size_t>(v.rows) * classes; q += blockDim.x) {
      ForwardOne(v, static_cast<uint32_t>(q / classes), m * classes + static_cast<uint32_t>(q % classes));
    }
    __syncthreads();
    if (threadIdx.x == 0) GradientsFor(v, m);
    __syncthreads();
    for (size_t q = threadIdx.x; q < dim * classes; q += blockDim.x) {
      WeightOne(v, static_cast<uint32_t>(q / classes), m * classes + static_cast<uint32_t>(q % classes));
    }
    __syncthreads();
  }
}

unsigned Blocks(size_t threads) { return static_cast<unsigned>((threads + kThreads - 1) / kThreads); }

}  // namespace

size_t LinearPartLength(int part, const LinearSettings& s) {
  const size_t width = static_cast<size_t>(s.models) * s.classes;
  switch (part) {
    case kPartWeights: case kPartAverage: case kPartMoment1: case kPartMoment2: return s.dim * width;
    case kPartBias: case kPartBiasAverage: case kPartBiasMoment1: case kPartBiasMoment2: return width;
    case kPartShift: case kPartScale: return s.dim;
    case kPartLabelTransform: return 2;
    case kPartClassWeight: return s.classes;
    default: return s.models;
  }
}

std::string OpenLinearUpdate(LinearUpdateDevice& d, const LinearUpdateSettings& s, const float* const* parts, const int32_t* last_step) {
  std::lock_guard<std::mutex> lock(d.mutex);
  d.device = SelectedDevice().load();
  d.s = s;
  std::string error = Check("cudaSetDevice", cudaSetDevice(d.device));
  if (error.empty()) error = Check("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking));
  if (!error.empty()) return error;
  size_t bytes = s.base.dim * sizeof(int32_t) + s.base.sums * sizeof(double);
  for (int i = 0; i < kLinearParts; i++) if (parts[i]) bytes += LinearPartLength(i, s.base) * sizeof(float);
  bool allocated = Allocate(d.last_step, s.base.dim) && Allocate(d.sums, s.base.sums);
  for (int i = 0; i < kLinearParts && allocated; i++) if (parts[i]) allocated = Allocate(d.part[i], LinearPartLength(i, s.base));
  const size_t width = static_cast<size_t>(s.base.models) * s.base.classes;
  if (!allocated) {
    // What was allocated goes back first: the message's free memory is then the device's.
    FreeAll(d.last_step, d.sums);
    for (float*& part : d.part) FreeAll(part);
    return OutOfMemory("the state of " + std::to_string(s.base.dim) + " features × " + std::to_string(width) + " outputs", bytes);
  }
  // On the state's stream, which the kernels use (a copy on the legacy stream is not ordered before them), and
  // waited for: the caller may change its arrays once this returns.
  for (int i = 0; i < kLinearParts && error.empty(); i++) {
    if (parts[i]) {
      error = Check("cudaMemcpyAsync", CountedMemcpyAsync(d.part[i], parts[i], LinearPartLength(i, s.base) * sizeof(float), cudaMemcpyHostToDevice, d.stream));
    }
  }
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(d.last_step, last_step, s.base.dim * sizeof(int32_t), cudaMemcpyHostToDevice, d.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(d.sums, 0, std::max<size_t>(1, s.base.sums) * sizeof(double), d.stream));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(d.stream));
  return error;
}

std::string AddLinearUpdate(LinearUpdateDevice& d, const LinearUpdateBatch& batch) {
  const LinearRows& b = batch.rows;
  std::lock_guard<std::mutex> lock(d.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(d.device));
  if (!error.empty() || b.rows == 0) return error;
  const LinearSettings& s = d.s.base;
  const size_t rows = b.rows, width = static_cast<size_t>(s.models) * s.classes;
  const size_t value_count = b.sparse ? b.nnz : rows * s.dim;
  const size_t records = batch.step_count * kStepWords, table = batch.step_count * s.models * kModelWords;
  const bool averages = d.part[kPartAverage] != nullptr;
  const std::string what = "a batch of " + std::to_string(rows) + " rows";
  error = GrowBuffer(d.stream, d.scores, d.score_count, (averages ? 2 : 1) * batch.max_step_rows * width, "the scores of " + what);
  if (error.empty()) error = GrowBuffer(d.stream, d.gradient, d.gradient_count, batch.max_step_rows * width, "the gradients of " + what);
  if (!error.empty()) return error;
  std::vector<float> ones;
  if (b.weights == nullptr) ones.assign(rows, 1.0f);
  // The batch, its steps' records and table, and a sparse batch's structure and step index: one transfer.
  enum Part { kLabels, kWeights, kValues, kRecords, kTable, kIndptr, kIndices, kIndex };
  // The batch's own arrays (`true`) stay on the device when the epoch cache keeps it; the steps, table and index are this call's.
  std::vector<UploadPart> parts{{b.labels, rows * sizeof(float), true}, {b.weights ? b.weights : ones.data(), rows * sizeof(float), b.weights != nullptr},
                                {b.values, value_count * sizeof(float), true}, {batch.steps, records * sizeof(double)}, {batch.table, table * sizeof(double)}};
  if (b.sparse) {
    parts.push_back({b.indptr, (rows + 1) * sizeof(int32_t), true});
    parts.push_back({b.indices, b.nnz * sizeof(uint32_t), true});
    parts.push_back({batch.index, batch.index_words * sizeof(uint32_t)});
  }
  std::vector<const char*> at;
  error = d.upload.Send(d.stream, parts, at, what, b.kept);
  if (!error.empty()) return error;
  StepView v{};
  v.u = d.s;
  std::copy(d.part, d.part + kLinearParts, v.part);
  v.last_step = d.last_step;
  v.sums = d.sums;
  v.labels = reinterpret_cast<const float*>(at[kLabels]);
  v.weights = reinterpret_cast<const float*>(at[kWeights]);
  v.values = reinterpret_cast<const float*>(at[kValues]);
  if (b.sparse) {
    v.indptr = reinterpret_cast<const int32_t*>(at[kIndptr]);
    v.indices = reinterpret_cast<const uint32_t*>(at[kIndices]);
    v.features = reinterpret_cast<const uint32_t*>(at[kIndex]) + batch.step_count + 1;
    v.starts = v.features + batch.touched;
    v.entries = v.starts + batch.touched + 1;
  }
  const double* tables = reinterpret_cast<const double*>(at[kTable]);
  v.scores = d.scores;
  v.average_scores = averages ? d.scores + batch.max_step_rows * width : nullptr;
  v.gradient = d.gradient;
  if (!b.sparse) {
    v.records = reinterpret_cast<const double*>(at[kRecords]);
    v.tables = tables;
    v.step_count = static_cast<uint32_t>(batch.step_count);
    v.batch_rows = static_cast<uint32_t>(rows);
    const bool differences = s.at[kLossDifferenceSq] >= 0;
    if (differences) {
      error = GrowBuffer(d.stream, d.deferred, d.deferred_count, (s.models + 2) * rows, "the loss differences of " + what);
      if (!error.empty()) return error;
      v.deferred = d.deferred;
    }
    BOUNDLESS_LAUNCH(FusedDenseKernel, s.models + 1, kFusedThreads, 0, d.stream)(v);
    if (differences) BOUNDLESS_LAUNCH(LossDifferencesKernel, Blocks(s.models), kThreads, 0, d.stream)(v);
    return Check("kernel launch", cudaGetLastError());
  }
  for (size_t i = 0; i < batch.step_count; i++) {
    SetStep(v, batch.steps + i * kStepWords, tables + i * s.models * kModelWords);
    if (b.sparse && v.touched > 0) BOUNDLESS_LAUNCH(CatchUpKernel, Blocks(v.touched), kThreads, 0, d.stream)(v);
    BOUNDLESS_LAUNCH(ForwardKernel, Blocks(static_cast<size_t>(v.rows) * width), kThreads, 0, d.stream)(v);
    BOUNDLESS_LAUNCH(GradientsKernel, Blocks(s.models + 1), kThreads, 0, d.stream)(v);
    const size_t features = b.sparse ? v.touched : s.dim;
    if (features > 0) BOUNDLESS_LAUNCH(WeightsKernel, Blocks(features * width), kThreads, 0, d.stream)(v);
  }
  return Check("kernel launch", cudaGetLastError());
}

std::string ReadLinearUpdate(LinearUpdateDevice& d, float* const* parts, int32_t* last_step, double* sums) {
  std::lock_guard<std::mutex> lock(d.mutex);
  const LinearSettings& s = d.s.base;
  std::string error = Check("cudaSetDevice", cudaSetDevice(d.device));
  std::vector<double> held(s.sums);
  auto copy = [&](void* to, const void* from, size_t bytes) {
    if (error.empty() && bytes > 0) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(to, from, bytes, cudaMemcpyDeviceToHost, d.stream));
  };
  for (int i = 0; i < kLinearParts; i++) if (parts[i] && d.part[i]) copy(parts[i], d.part[i], LinearPartLength(i, s) * sizeof(float));
  copy(last_step, d.last_step, s.dim * sizeof(int32_t));
  copy(held.data(), d.sums, s.sums * sizeof(double));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(d.stream));
  if (!error.empty()) return error;
  for (size_t i = 0; i < s.sums; i++) sums[i] += held[i];
  if (s.sums > 0) error = Check("cudaMemsetAsync", cudaMemsetAsync(d.sums, 0, s.sums * sizeof(double), d.stream));
  return error;
}

void CloseLinearUpdate(LinearUpdateDevice& d) {
  std::lock_guard<std::mutex> lock(d.mutex);
  if (d.device < 0) return;
  cudaSetDevice(d.device);
  if (d.stream) CountedStreamSynchronize(d.stream);
  d.upload.Free();
  FreeAll(d.last_step, d.sums, d.scores, d.gradient, d.deferred);
  for (float*& part : d.part) FreeAll(part);
  if (d.stream) cudaStreamDestroy(d.stream);
  d.stream = nullptr;
  d.score_count = d.gradient_count = d.deferred_count = 0;
  d.device = -1;
}

}  // namespace boundless_cuda
