// JS bindings of the linear learner kernels. Update, Evaluate and Predict
// run as AsyncWorkers on the batch (work proportional to data never blocks
// the event loop); initialization and catch-up are proportional to the model
// and stay synchronous. Arguments are plain objects of typed arrays, checked
// here for type and length before any pointer is taken.
#include "algorithms/linear_learner/linear_learner_binding.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "algorithms/linear_learner/linear_learner.h"
#include "algorithms/linear_learner/linear_learner_scaler_drift.h"
#include "algorithms/linear_learner/linear_learner_step_index.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

using linear::BatchView;
using linear::Metrics;
using linear::Settings;
using linear::State;

Settings ReadSettings(const Napi::Object& o, const char* f) {
  Settings s;
  int loss = static_cast<int>(SizeField(o, f, "loss"));
  int optimizer = static_cast<int>(SizeField(o, f, "optimizer"));
  if (loss > static_cast<int>(linear::Loss::kHuber)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": unknown loss code");
  if (optimizer > static_cast<int>(linear::Optimizer::kAdagrad)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": unknown optimizer code");
  s.loss = static_cast<linear::Loss>(loss);
  s.optimizer = static_cast<linear::Optimizer>(optimizer);
  s.dim = SizeField(o, f, "dim");
  s.models = SizeField(o, f, "models");
  s.classes = SizeField(o, f, "classes");
  if (s.models == 0 || s.classes == 0) throw Napi::RangeError::New(o.Env(), std::string(f) + ": models and classes must be positive");
  s.margin = static_cast<float>(NumberField(o, f, "margin"));
  s.quantile = static_cast<float>(NumberField(o, f, "quantile"));
  s.insensitivity = static_cast<float>(NumberField(o, f, "insensitivity"));
  s.huber_delta = static_cast<float>(NumberField(o, f, "huberDelta"));
  s.beta1 = static_cast<float>(NumberField(o, f, "beta1"));
  s.beta2 = static_cast<float>(NumberField(o, f, "beta2"));
  s.momentum = static_cast<float>(NumberField(o, f, "momentum"));
  s.epsilon = static_cast<float>(NumberField(o, f, "epsilon"));
  s.use_bias = BoolField(o, "useBias");
  s.bias_lr_mult = static_cast<float>(NumberField(o, f, "biasLrMult"));
  s.bias_wd_mult = static_cast<float>(NumberField(o, f, "biasWdMult"));
  s.use_lr_scheduler = BoolField(o, "useLrScheduler");
  s.lr_scheduler_step = NumberField(o, f, "lrSchedulerStep");
  s.lr_scheduler_factor = NumberField(o, f, "lrSchedulerFactor");
  s.lr_scheduler_minimum = NumberField(o, f, "lrSchedulerMinimum");
  // Absent from settings objects made before it: no per-pass schedule.
  s.rate_scale = o.Get("rateScale").IsUndefined() ? 1.0 : NumberField(o, f, "rateScale");
  if (!(s.rate_scale > 0)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": rateScale must be positive");
  s.scaler_points = NumberField(o, f, "scalerPoints");
  s.normalize_data = BoolField(o, "normalizeData");
  s.unbias_data = BoolField(o, "unbiasData");
  s.normalize_label = BoolField(o, "normalizeLabel");
  s.unbias_label = BoolField(o, "unbiasLabel");
  int weighting = static_cast<int>(SizeField(o, f, "positiveWeighting"));
  if (weighting > 2) throw Napi::RangeError::New(o.Env(), std::string(f) + ": unknown positive weighting code");
  s.positive_weighting = static_cast<linear::PositiveWeighting>(weighting);
  s.balance_multiclass = BoolField(o, "balanceMulticlass");
  // Absent from settings objects made before them: one step per batch, scale by deviation.
  Napi::Value step_rows = o.Get("stepRows");
  s.step_rows = step_rows.IsUndefined() ? 0 : SizeField(o, f, "stepRows");
  s.scale_by_nonzero = o.Get("scaleByNonzero").ToBoolean().Value();
  s.normalize_lr = o.Get("normalizeLr").ToBoolean().Value();
  return s;
}

State ReadState(ArrayReader& reader, const Napi::Object& o, const Settings& s, bool training) {
  State st;
  const size_t width = s.models * s.classes;
  const size_t full = s.dim * width;
  st.weights = reader.Get<float>(o, "state", "weights", napi_float32_array, full, true);
  st.bias = reader.Get<float>(o, "state", "bias", napi_float32_array, width, true);
  st.counters = reader.Get<double>(o, "state", "counters", napi_float64_array, linear::kCounterCount, training);
  st.feature_shift = reader.Get<float>(o, "state", "featureShift", napi_float32_array, s.dim, false);
  st.feature_scale = reader.Get<float>(o, "state", "featureScale", napi_float32_array, s.dim, false);
  if ((st.feature_shift == nullptr) != (st.feature_scale == nullptr)) reader.Fail("state", "featureShift", "and featureScale come together");
  st.label_transform = reader.Get<float>(o, "state", "labelTransform", napi_float32_array, 2, false);
  st.positive_weight = reader.Get<float>(o, "state", "positiveWeight", napi_float32_array, s.models, false);
  st.class_counts = reader.Get<double>(o, "state", "classCounts", napi_float64_array,
                                       s.loss == linear::Loss::kSoftmax ? s.classes : 2, false);
  st.class_weight = reader.Get<float>(o, "state", "classWeight", napi_float32_array, s.classes, false);
  st.average = reader.Get<float>(o, "state", "average", napi_float32_array, full, false);
  st.bias_average = reader.Get<float>(o, "state", "biasAverage", napi_float32_array, width, false);
  st.averaged = reader.Get<float>(o, "state", "averaged", napi_float32_array, s.models, false);
  st.average_start = reader.Get<double>(o, "state", "averageStart", napi_float64_array, 1, false);
  if ((st.average != nullptr) != (st.bias_average != nullptr) || (st.average != nullptr) != (st.averaged != nullptr) ||
      (st.average != nullptr) != (st.average_start != nullptr)) {
    reader.Fail("state", "average", "biasAverage, averaged and averageStart come together");
  }
  if (!training) return st;
  st.moment1 = reader.Get<float>(o, "state", "moment1", napi_float32_array, full, false);
  st.moment2 = reader.Get<float>(o, "state", "moment2", napi_float32_array, full, false);
  st.bias_moment1 = reader.Get<float>(o, "state", "biasMoment1", napi_float32_array, width, false);
  st.bias_moment2 = reader.Get<float>(o, "state", "biasMoment2", napi_float32_array, width, false);
  bool needs_first = s.optimizer == linear::Optimizer::kAdam || (s.optimizer == linear::Optimizer::kSgd && s.momentum > 0);
  bool needs_second = s.optimizer != linear::Optimizer::kSgd;
  if (needs_first && (!st.moment1 || !st.bias_moment1)) reader.Fail("state", "moment1", "is required by the optimizer");
  if (needs_second && (!st.moment2 || !st.bias_moment2)) reader.Fail("state", "moment2", "is required by the optimizer");
  st.last_step = reader.Get<int32_t>(o, "state", "lastStep", napi_int32_array, s.dim, true);
  st.learning_rate = reader.Get<float>(o, "state", "learningRate", napi_float32_array, s.models, true);
  st.wd = reader.Get<float>(o, "state", "wd", napi_float32_array, s.models, true);
  st.l1 = reader.Get<float>(o, "state", "l1", napi_float32_array, s.models, true);
  st.feature_sum = reader.Get<double>(o, "state", "featureSum", napi_float64_array, s.dim, false);
  st.feature_sumsq = reader.Get<double>(o, "state", "featureSumSq", napi_float64_array, s.dim, false);
  if (st.feature_sum && (!st.feature_sumsq || !st.feature_scale)) reader.Fail("state", "featureSum", "needs featureSumSq and featureScale");
  st.scaler_origin = reader.Get<double>(o, "state", "scalerOrigin", napi_float64_array, s.dim + 1, false);
  st.feature_nonzero = reader.Get<double>(o, "state", "featureNonzero", napi_float64_array, s.dim, false);
  st.input_norm = reader.Get<double>(o, "state", "inputNorm", napi_float64_array, 3, false);
  if (s.normalize_lr && (!st.input_norm || !st.feature_sum)) reader.Fail("state", "inputNorm", "and featureSum are required by normalizeLr");
  if (s.scale_by_nonzero && s.normalize_data && st.feature_sum && !st.feature_nonzero) {
    reader.Fail("state", "featureNonzero", "is required by scaleByNonzero");
  }
  return st;
}

Metrics ReadMetrics(ArrayReader& reader, const Napi::Object& o, const Settings& s, const char* f) {
  Metrics m;
  m.loss_sum = reader.Get<double>(o, "metrics", "lossSum", napi_float64_array, s.models, true);
  m.weight_sum = reader.Get<double>(o, "metrics", "weightSum", napi_float64_array, 1, true);
  m.loss_difference_sq = reader.Get<double>(o, "metrics", "lossDifferenceSq", napi_float64_array, s.models, false);
  m.weight_sq_sum = reader.Get<double>(o, "metrics", "weightSqSum", napi_float64_array, 1, false);
  if ((m.loss_difference_sq != nullptr) != (m.weight_sq_sum != nullptr)) reader.Fail("metrics", "lossDifferenceSq", "and weightSqSum come together");
  Napi::Value bins = o.Get("histogramBins");
  m.histogram_bins = bins.IsNumber() ? SizeField(o, f, "histogramBins") : 0;
  if (m.histogram_bins > 0) {
    m.histogram = reader.Get<double>(o, "metrics", "histogram", napi_float64_array,
                                     CheckedProduct(o.Env(), f, s.models * 2, m.histogram_bins), true);
  }
  m.histogram_log_scale = o.Get("histogramLogScale").ToBoolean().Value();
  m.correct = reader.Get<double>(o, "metrics", "correct", napi_float64_array, s.models, false);
  m.confusion = reader.Get<double>(o, "metrics", "confusion", napi_float64_array, s.models * 4, false);
  if (m.confusion) m.threshold = NumberField(o, f, "threshold");
  m.dcg = reader.Get<double>(o, "metrics", "dcg", napi_float64_array, s.models, false);
  m.squared_error = reader.Get<double>(o, "metrics", "squaredError", napi_float64_array, s.models, false);
  m.absolute_error = reader.Get<double>(o, "metrics", "absoluteError", napi_float64_array, s.models, false);
  m.topk_correct = reader.Get<double>(o, "metrics", "topKCorrect", napi_float64_array, s.models, false);
  if (m.topk_correct) m.top_k = SizeField(o, f, "topK");
  size_t per_class = s.models * s.classes;
  m.class_true_positive = reader.Get<double>(o, "metrics", "classTruePositive", napi_float64_array, per_class, false);
  m.class_predicted = reader.Get<double>(o, "metrics", "classPredicted", napi_float64_array, per_class, false);
  m.class_actual = reader.Get<double>(o, "metrics", "classActual", napi_float64_array, per_class, false);
  if ((m.class_true_positive != nullptr) != (m.class_actual != nullptr) || (m.class_predicted != nullptr) != (m.class_actual != nullptr)) {
    reader.Fail("metrics", "classActual", "classTruePositive and classPredicted come together");
  }
  return m;
}

// The batch's work in multiply-adds, a loss evaluation counted as 20 (see kInlineWork).
double BatchWork(const Settings& s, const BatchView& b) {
  double entries = b.sparse ? static_cast<double>(b.indptr[b.rows]) : static_cast<double>(b.rows) * static_cast<double>(b.cols);
  double width = static_cast<double>(s.models) * static_cast<double>(s.classes);
  return width * (3 * entries + 20 * static_cast<double>(b.rows));
}


// Update and Evaluate take the same (settings, state, batch, metrics); only
// the kernel and whether the optimizer's arrays are read differ.
using StepKernel = void (*)(const Settings&, State&, const BatchView&, Metrics&);

Napi::Value StepCall(const Napi::CallbackInfo& info, const char* f, const char* resource, bool training, StepKernel kernel) {
  RequireArgCount(info, f, 4);
  Settings settings = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  ArrayReader reader(info.Env(), f);
  State state = ReadState(reader, ObjectArg(info, 1, f, "state"), settings, training);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 2, f, "batch"), f);
  Metrics metrics = ReadMetrics(reader, ObjectArg(info, 3, f, "metrics"), settings, f);
  return QueueKernel(info.Env(), resource, reader,
               [=]() mutable { kernel(settings, state, batch, metrics); }, BatchWork(settings, batch));
}

void EvaluateKernel(const Settings& settings, State& state, const BatchView& batch, Metrics& metrics) {
  linear::Evaluate(settings, state, batch, metrics);
}

Napi::Value UpdateAsync(const Napi::CallbackInfo& info) {
  return StepCall(info, "linearLearnerUpdate", "boundless:linearLearnerUpdate", true, linear::Update);
}

Napi::Value EvaluateAsync(const Napi::CallbackInfo& info) {
  return StepCall(info, "linearLearnerEvaluate", "boundless:linearLearnerEvaluate", false, EvaluateKernel);
}

// linearLearnerCheck(settings, batch, result: Float64Array (4)) → Promise: the checks Update and Evaluate make of a
// batch (the same errors), for a GPU kernel that must refuse a bad batch before it enqueues any work; result = [the
// longest row's stored entries, the largest |value|, the largest |label|, the largest row weight] (what bounds the
// GPU's loops and its float32 range).
Napi::Value CheckAsync(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerCheck";
  RequireArgCount(info, f, 3);
  Settings settings = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  ArrayReader reader(info.Env(), f);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  double* result = reader.Arg<double>(info, 2, "result", napi_float64_array, 4, true);
  return QueueKernel(info.Env(), "boundless:linearLearnerCheck", reader, [=]() {
    linear::ValidateBatch(settings, batch, true);
    const BatchExtents e = ExtentsOf(batch);
    result[0] = static_cast<double>(e.longest_row);
    result[1] = e.largest_value;
    result[2] = e.largest_label;
    result[3] = e.largest_weight;
  }, StoredValues(batch));
}

// linearLearnerScalerDrift(drift: Float64Array (dim + 1), shift: Float32Array (dim), scale: Float32Array (dim), batch,
// first) → Promise: rows [first, rows) of the batch added into the counts (AddScalerDrift), on a libuv thread for a
// large batch.
Napi::Value ScalerDriftAsync(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerScalerDrift";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  // dim from the counts' length: the other arrays are checked against it.
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().ElementLength() < 1) {
    throw Napi::TypeError::New(info.Env(), std::string(f) + ": drift must be a Float64Array of dim + 1 values");
  }
  const size_t dim = info[0].As<Napi::TypedArray>().ElementLength() - 1;
  double* drift = reader.Arg<double>(info, 0, "drift", napi_float64_array, dim + 1, true);
  const float* shift = reader.Arg<float>(info, 1, "shift", napi_float32_array, dim, true);
  const float* scale = reader.Arg<float>(info, 2, "scale", napi_float32_array, dim, true);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 3, f, "batch"), f);
  const double first = info[4].IsNumber() ? info[4].As<Napi::Number>().DoubleValue() : -1;
  if (!(first >= 0) || first != std::floor(first)) throw Napi::RangeError::New(info.Env(), std::string(f) + ": first must be a non-negative integer");
  return QueueKernel(info.Env(), "boundless:linearLearnerScalerDrift", reader, [=]() {
    ValidateFeatureRows(batch, dim);
    linear::AddScalerDrift(drift, shift, scale, batch, static_cast<size_t>(first));
  }, StoredValues(batch));
}

// linearLearnerStepIndex(settings, batch, slot: Int32Array (dim, all −1), out: Uint32Array, result: Float64Array (6),
// shift: Float32Array (dim) | null, scale: Float32Array (dim) | null, stepClasses: Float64Array | null (steps ×
// counted classes: each step's rows per class, as CountClasses counts them)) → Promise: linearLearnerCheck's checks and
// result[0..3], result[4] = the touched features of all steps, result[5] = the largest |value| after the scaler
// (LargestScaledValue), and for a sparse batch out as BuildStepIndex writes it (at least StepIndexCapacity words:
// steps + 2 + 4·nnz), the index a GPU kernel steps the batch with.
Napi::Value StepIndexAsync(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerStepIndex";
  RequireArgCount(info, f, 8);
  Settings settings = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  ArrayReader reader(info.Env(), f);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  const size_t steps = linear::StepCount(batch.rows, settings.step_rows);
  int32_t* slot = reader.Arg<int32_t>(info, 2, "slot", napi_int32_array, settings.dim, true);
  const size_t nnz = batch.sparse ? static_cast<size_t>(batch.indptr[batch.rows]) : 0;
  uint32_t* out = reader.Arg<uint32_t>(info, 3, "out", napi_uint32_array, linear::StepIndexCapacity(batch.rows, settings.step_rows, nnz), true);
  double* result = reader.Arg<double>(info, 4, "result", napi_float64_array, 6, true);
  const float* shift = reader.Arg<float>(info, 5, "shift", napi_float32_array, settings.dim, false);
  const float* scale = reader.Arg<float>(info, 6, "scale", napi_float32_array, settings.dim, false);
  double* step_classes = reader.Arg<double>(info, 7, "stepClasses", napi_float64_array, steps * linear::CountedClasses(settings), false);
  return QueueKernel(info.Env(), "boundless:linearLearnerStepIndex", reader, [=]() {
    linear::ValidateBatch(settings, batch, true);
    const BatchExtents e = ExtentsOf(batch);
    result[0] = static_cast<double>(e.longest_row);
    result[1] = e.largest_value;
    result[2] = e.largest_label;
    result[3] = e.largest_weight;
    result[4] = batch.sparse ? static_cast<double>(linear::BuildStepIndex(batch, settings.step_rows, slot, out)) : 0.0;
    result[5] = linear::LargestScaledValue(batch, shift, scale);
    if (step_classes) linear::CountStepClasses(settings, batch, step_classes);
  }, StoredValues(batch));
}

// The (settings, state, ...) arguments of a synchronous call on a whole state, counted and read.
std::pair<Settings, State> SettingsAndState(const Napi::CallbackInfo& info, const char* f, size_t count, ArrayReader& reader) {
  RequireArgCount(info, f, count);
  Settings settings = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  State state = ReadState(reader, ObjectArg(info, 1, f, "state"), settings, true);
  return {settings, state};
}

// CatchUp's `kind` argument (info[2]), checked against the state.
linear::WeightsKind KindArg(const Napi::CallbackInfo& info, const char* f, const State& state) {
  if (!info[2].IsNumber() || info[2].As<Napi::Number>().Int32Value() < 0 || info[2].As<Napi::Number>().Int32Value() > 2) {
    throw Napi::TypeError::New(info.Env(), std::string(f) + ": kind must be 0 (plain), 1 (average) or 2 (output)");
  }
  auto kind = static_cast<linear::WeightsKind>(info[2].As<Napi::Number>().Int32Value());
  if (kind == linear::WeightsKind::kAverage && !state.average) throw Napi::TypeError::New(info.Env(), std::string(f) + ": the state keeps no average");
  return kind;
}

Napi::Value CatchUp(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerCatchUp";
  ArrayReader reader(info.Env(), f);
  auto [settings, state] = SettingsAndState(info, f, 5, reader);
  const linear::WeightsKind kind = KindArg(info, f, state);
  Napi::Float32Array out = Float32Arg(info, 3, f, "out");
  RequireLength(info.Env(), f, "out", out.ElementLength(), settings.dim * settings.models * settings.classes);
  Napi::Float32Array bias = Float32Arg(info, 4, f, "biasOut");
  RequireLength(info.Env(), f, "biasOut", bias.ElementLength(), settings.models * settings.classes);
  linear::CatchUp(settings, state, kind, out.Data(), bias.Data());
  return info.Env().Undefined();
}

// linearLearnerCatchUpInPlace(settings, state): every feature brought to the current step, in place.
Napi::Value CatchUpInPlace(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerCatchUpInPlace";
  ArrayReader reader(info.Env(), f);
  auto [settings, state] = SettingsAndState(info, f, 2, reader);
  linear::CatchUpInPlace(settings, state);
  return info.Env().Undefined();
}

// linearLearnerCatchUpAsync(settings, state, kind, out, biasOut) → Promise, and
// linearLearnerCatchUpInPlaceAsync(settings, state) → Promise: the same work on a libuv thread (a
// model's, dim × models × classes: a 2^22-feature model of 32 models held the event loop 1.9 s at
// finalize and 0.75 s at each pass's end), inline when small.
Napi::Value CatchUpAsync(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerCatchUpAsync";
  ArrayReader reader(info.Env(), f);
  auto [settings, state] = SettingsAndState(info, f, 5, reader);
  const linear::WeightsKind kind = KindArg(info, f, state);
  const size_t width = settings.models * settings.classes;
  float* out = reader.Arg<float>(info, 3, "out", napi_float32_array, settings.dim * width, true);
  float* bias = reader.Arg<float>(info, 4, "biasOut", napi_float32_array, width, true);
  return QueueKernel(info.Env(), "boundless:linearLearnerCatchUp", reader,
                     [=]() { linear::CatchUp(settings, state, kind, out, bias); }, static_cast<double>(settings.dim) * static_cast<double>(width));
}

Napi::Value CatchUpInPlaceAsync(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerCatchUpInPlaceAsync";
  ArrayReader reader(info.Env(), f);
  auto [settings, state] = SettingsAndState(info, f, 2, reader);
  return QueueKernel(info.Env(), "boundless:linearLearnerCatchUpInPlace", reader,
                     [=]() mutable { linear::CatchUpInPlace(settings, state); },
                     static_cast<double>(settings.dim) * static_cast<double>(settings.models * settings.classes));
}

Napi::Value Initialize(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerInitialize";
  RequireArgCount(info, f, 4);
  Napi::Float32Array weights = Float32Arg(info, 0, f, "weights");
  bool normal = info[1].ToBoolean().Value();
  if (!info[2].IsNumber() || !info[3].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(f) + ": scale and seed must be numbers");
  linear::InitializeWeights(weights.Data(), weights.ElementLength(), normal, info[2].As<Napi::Number>().FloatValue(),
                            static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value()));
  return info.Env().Undefined();
}

Napi::Value PredictAsync(const Napi::CallbackInfo& info) {
  const char* f = "linearLearnerPredict";
  RequireArgCount(info, f, 3);
  Napi::Object model = ObjectArg(info, 0, f, "model");
  ArrayReader reader(info.Env(), f);
  linear::PredictInputs inputs;
  int loss = static_cast<int>(SizeField(model, f, "loss"));
  if (loss > static_cast<int>(linear::Loss::kHuber)) throw Napi::RangeError::New(info.Env(), std::string(f) + ": unknown loss code");
  inputs.loss = static_cast<linear::Loss>(loss);
  inputs.dim = SizeField(model, f, "dim");
  inputs.classes = SizeField(model, f, "classes");
  inputs.threshold = NumberField(model, f, "threshold");
  inputs.weights = reader.Get<float>(model, "model", "weights", napi_float32_array, inputs.dim * inputs.classes, true);
  inputs.bias = reader.Get<float>(model, "model", "bias", napi_float32_array, inputs.classes, true);
  inputs.origin = reader.Get<float>(model, "model", "origin", napi_float32_array, inputs.dim, false);
  inputs.label_origin = model.Get("labelOrigin").IsUndefined() ? 0.0 : NumberField(model, f, "labelOrigin");
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  Napi::Object outputs = ObjectArg(info, 2, f, "outputs");
  size_t score_width = inputs.loss == linear::Loss::kSoftmax ? inputs.classes : 1;
  float* score = reader.Get<float>(outputs, "outputs", "score", napi_float32_array, batch.rows * score_width, true);
  // A classifier's loss writes a predicted label per row: required then (a model file whose loss and
  // predictor_type disagreed passed none, and the kernel wrote through a null pointer).
  float* label = reader.Get<float>(outputs, "outputs", "predictedLabel", napi_float32_array, batch.rows, linear::IsClassification(inputs.loss));
  return QueueKernel(info.Env(), "boundless:linearLearnerPredict", reader,
               [=]() { linear::Predict(inputs, batch, score, label); });
}

// A state, its settings and its metrics read once and held: each batch then
// costs reading the batch alone. Property reads through N-API cost far more
// than a small batch's arithmetic, and a stream of small batches is the
// common case. The arrays are the state's own, never reallocated, and kept
// alive by this object's references.
class PreparedStep : public Napi::ObjectWrap<PreparedStep> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LinearLearnerStep", {InstanceMethod<&PreparedStep::Run>("run")});
  }

  // new LinearLearnerStep(settings, state, metrics, training)
  explicit PreparedStep(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PreparedStep>(info) {
    const char* f = "LinearLearnerStep";
    RequireArgCount(info, f, 4);
    training_ = info[3].ToBoolean().Value();
    settings_ = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
    ArrayReader reader(info.Env(), f);
    state_ = ReadState(reader, ObjectArg(info, 1, f, "state"), settings_, training_);
    metrics_ = ReadMetrics(reader, ObjectArg(info, 2, f, "metrics"), settings_, f);
    references_ = reader.Take();
  }

 private:
  // run(batch) → Promise: one update (training) or evaluation step.
  Napi::Value Run(const Napi::CallbackInfo& info) {
    const char* f = training_ ? "linearLearnerUpdate" : "linearLearnerEvaluate";
    RequireArgCount(info, f, 1);
    ArrayReader reader(info.Env(), f);
    reader.Keep(Value());  // the step (and through it the state) outlives an asynchronous run
    BatchView batch = ReadBatchView(reader, ObjectArg(info, 0, f, "batch"), f);
    Settings settings = settings_;
    State state = state_;
    Metrics metrics = metrics_;
    bool training = training_;
    return QueueKernel(info.Env(), training ? "boundless:linearLearnerUpdate" : "boundless:linearLearnerEvaluate", reader,
                       [=]() mutable {
                         if (training) linear::Update(settings, state, batch, metrics);
                         else linear::Evaluate(settings, state, batch, metrics);
                       },
                       BatchWork(settings, batch));
  }

  bool training_ = false;
  Settings settings_;
  State state_;
  Metrics metrics_;
  std::vector<Napi::ObjectReference> references_;
};

}  // namespace

void RegisterLinearLearner(Napi::Env env, Napi::Object exports) {
  exports.Set("LinearLearnerStep", PreparedStep::Define(env));
  exports.Set("linearLearnerUpdate", Napi::Function::New(env, UpdateAsync, "linearLearnerUpdate"));
  exports.Set("linearLearnerEvaluate", Napi::Function::New(env, EvaluateAsync, "linearLearnerEvaluate"));
  exports.Set("linearLearnerCheck", Napi::Function::New(env, CheckAsync, "linearLearnerCheck"));
  exports.Set("linearLearnerStepIndex", Napi::Function::New(env, StepIndexAsync, "linearLearnerStepIndex"));
  exports.Set("linearLearnerScalerDrift", Napi::Function::New(env, ScalerDriftAsync, "linearLearnerScalerDrift"));
  exports.Set("linearLearnerCatchUp", Napi::Function::New(env, CatchUp, "linearLearnerCatchUp"));
  exports.Set("linearLearnerCatchUpInPlace", Napi::Function::New(env, CatchUpInPlace, "linearLearnerCatchUpInPlace"));
  exports.Set("linearLearnerCatchUpAsync", Napi::Function::New(env, CatchUpAsync, "linearLearnerCatchUpAsync"));
  exports.Set("linearLearnerCatchUpInPlaceAsync", Napi::Function::New(env, CatchUpInPlaceAsync, "linearLearnerCatchUpInPlaceAsync"));
  exports.Set("linearLearnerInitialize", Napi::Function::New(env, Initialize, "linearLearnerInitialize"));
  exports.Set("linearLearnerPredict", Napi::Function::New(env, PredictAsync, "linearLearnerPredict"));
}

}  // namespace boundless
