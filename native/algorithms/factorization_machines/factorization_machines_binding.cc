// JS bindings of the factorization-machine kernels: update and evaluate of a
// multi-model state, predict and top-N recommendations of one model. Batch
// work runs on a libuv thread (inline for tiny batches).
#include "algorithms/factorization_machines/factorization_machines_binding.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "algorithms/factorization_machines/factorization_machines.h"
#include "runtime/arguments.h"
#include "runtime/merged_rows.h"

#include <unordered_set>
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

constexpr size_t kModelFields = 8;  // factors, offset, bias_lr, linear_lr, factors_lr, bias_wd, linear_wd, factors_wd

// settings: { loss, optimizer, decay, dim, eps, beta1, beta2, clipGradient, rescaleGrad, models: Float64Array (models × 8) }
fm::Settings ReadSettings(ArrayReader& reader, const Napi::Object& so, const char* f) {
  fm::Settings s;
  size_t loss = SizeField(so, f, "loss"), optimizer = SizeField(so, f, "optimizer"), decay = SizeField(so, f, "decay");
  if (loss > static_cast<size_t>(fm::Loss::kSquared)) throw Napi::RangeError::New(so.Env(), std::string(f) + ": unknown loss code");
  if (optimizer > static_cast<size_t>(fm::Optimizer::kAdam)) throw Napi::RangeError::New(so.Env(), std::string(f) + ": unknown optimizer code");
  if (decay > static_cast<size_t>(fm::Decay::kL2)) throw Napi::RangeError::New(so.Env(), std::string(f) + ": unknown decay code");
  s.decay = static_cast<fm::Decay>(decay);
  s.loss = static_cast<fm::Loss>(loss);
  s.optimizer = static_cast<fm::Optimizer>(optimizer);
  s.dim = SizeField(so, f, "dim");
  s.eps = static_cast<float>(NumberField(so, f, "eps"));
  s.beta1 = static_cast<float>(NumberField(so, f, "beta1"));
  s.beta2 = static_cast<float>(NumberField(so, f, "beta2"));
  s.clip_gradient = static_cast<float>(NumberField(so, f, "clipGradient"));
  s.rescale_grad = static_cast<float>(NumberField(so, f, "rescaleGrad"));
  Napi::Value mv = so.Get("models");
  if (!mv.IsTypedArray() || mv.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      mv.As<Napi::TypedArray>().ElementLength() % kModelFields != 0 || mv.As<Napi::TypedArray>().ElementLength() == 0) {
    reader.Fail("settings", "models", "must be a Float64Array of models × 8");
  }
  Napi::Float64Array models = mv.As<Napi::Float64Array>();
  size_t count = models.ElementLength() / kModelFields;
  for (size_t m = 0; m < count; m++) {
    const double* x = models.Data() + m * kModelFields;
    fm::ModelSettings ms;
    ms.factors = static_cast<size_t>(x[0]);
    ms.offset = static_cast<size_t>(x[1]);
    ms.bias_lr = static_cast<float>(x[2]);
    ms.linear_lr = static_cast<float>(x[3]);
    ms.factors_lr = static_cast<float>(x[4]);
    ms.bias_wd = static_cast<float>(x[5]);
    ms.linear_wd = static_cast<float>(x[6]);
    ms.factors_wd = static_cast<float>(x[7]);
    s.factor_width = std::max(s.factor_width, ms.offset + ms.factors);
    s.models.push_back(ms);
  }
  if (s.dim == 0) throw Napi::RangeError::New(so.Env(), std::string(f) + ": settings.dim must be positive");
  return s;
}

fm::State ReadState(ArrayReader& reader, const Napi::Object& o, const fm::Settings& s, const char* f, bool training = true) {
  const size_t models = s.models.size();
  const size_t linear = CheckedProduct(o.Env(), f, s.dim, models), factors = CheckedProduct(o.Env(), f, s.dim, s.factor_width);
  const bool adam = training && s.optimizer == fm::Optimizer::kAdam;
  const bool moments = training && s.optimizer != fm::Optimizer::kSgd;
  fm::State st;
  st.bias = reader.Get<float>(o, "state", "bias", napi_float32_array, models, true);
  st.linear = reader.Get<float>(o, "state", "linear", napi_float32_array, linear, true);
  st.factors = reader.Get<float>(o, "state", "factors", napi_float32_array, factors, true);
  // Moments are needed to train with adagrad or adam; scoring reads them where given (the
  // L2 decay a scored feature catches up on is scaled by them) and else only the parameters.
  st.bias_m1 = reader.Get<float>(o, "state", "biasM1", napi_float32_array, models, moments);
  st.linear_m1 = reader.Get<float>(o, "state", "linearM1", napi_float32_array, linear, moments);
  st.factors_m1 = reader.Get<float>(o, "state", "factorsM1", napi_float32_array, factors, moments);
  st.bias_m2 = reader.Get<float>(o, "state", "biasM2", napi_float32_array, models, adam);
  st.linear_m2 = reader.Get<float>(o, "state", "linearM2", napi_float32_array, linear, adam);
  st.factors_m2 = reader.Get<float>(o, "state", "factorsM2", napi_float32_array, factors, adam);
  st.last_step = reader.Get<int32_t>(o, "state", "lastStep", napi_int32_array, s.dim, true);
  st.counters = reader.Get<double>(o, "state", "counters", napi_float64_array, fm::kCounterCount, true);
  return st;
}

fm::Metrics ReadMetrics(ArrayReader& reader, const Napi::Object& o, size_t models) {
  fm::Metrics m;
  m.loss = reader.Get<double>(o, "metrics", "loss", napi_float64_array, models, true);
  m.weight = reader.Get<double>(o, "metrics", "weight", napi_float64_array, models, true);
  m.confusion = reader.Get<double>(o, "metrics", "confusion", napi_float64_array, models * 4, false);
  m.labels = reader.Get<double>(o, "metrics", "labels", napi_float64_array, 3, false);
  return m;
}

// fmUpdate / fmEvaluate(settings, state, batch, metrics | null, training: boolean) → Promise
Napi::Value StepAsync(const Napi::CallbackInfo& info) {
  const char* f = "fmStep";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  bool training = info[4].ToBoolean().Value();
  Napi::Object so = ObjectArg(info, 1, f, "state");
  fm::Settings settings = ReadSettings(reader, ObjectArg(info, 0, f, "settings"), f);
  fm::State state = ReadState(reader, so, settings, f, training);
  int32_t* slot = reader.Get<int32_t>(so, "state", "slot", napi_int32_array, settings.dim, true);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 2, f, "batch"), f);
  bool has_metrics = info[3].IsObject();
  fm::Metrics metrics = has_metrics ? ReadMetrics(reader, info[3].As<Napi::Object>(), settings.models.size()) : fm::Metrics{};
  if (!training && !has_metrics) throw Napi::TypeError::New(info.Env(), "fmStep: evaluation needs metrics");
  double work = StoredValues(batch) * static_cast<double>(settings.factor_width + settings.models.size()) * (training ? 3 : 1);
  return QueueKernel(info.Env(), "boundless:fmStep", reader, [=]() mutable {
    fm::State st = state;
    if (training) {
      fm::Update(settings, st, batch, has_metrics ? &metrics : nullptr, slot);
    } else {
      fm::Evaluate(settings, st, batch, metrics, slot);
    }
  }, work);
}

// fmFeatureIndex(settings, batch, slot: Int32Array (dim, all −1), out: Uint32Array (≥ 4·nnz + 1), result: Float64Array (9))
// → Promise: result = [touched features, Σ row weights, the longest row's non-zeros, the largest |value|, the largest
// |label|, the largest row weight, Σw·y, Σw·y², rows that name an index twice (which the device kernels decline: cpu
// merges them)]; out as FeatureIndexWords writes it.
Napi::Value FeatureIndexAsync(const Napi::CallbackInfo& info) {
  const char* f = "fmFeatureIndex";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  fm::Settings settings = ReadSettings(reader, ObjectArg(info, 0, f, "settings"), f);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  int32_t* slot = reader.Arg<int32_t>(info, 2, "slot", napi_int32_array, settings.dim, true);
  const size_t nnz = batch.sparse ? static_cast<size_t>(batch.indptr[batch.rows]) : 0;
  uint32_t* out = reader.Arg<uint32_t>(info, 3, "out", napi_uint32_array, 4 * nnz + 1, true);
  double* result = reader.Arg<double>(info, 4, "result", napi_float64_array, 9, true);
  return QueueKernel(info.Env(), "boundless:fmFeatureIndex", reader, [=]() {
    result[0] = static_cast<double>(fm::FeatureIndexWords(settings, batch, slot, out, &result[1], &result[6]));
    const BatchExtents e = ExtentsOf(batch);  // validated: every value is finite
    result[2] = static_cast<double>(e.longest_row);
    result[3] = e.largest_value;
    result[4] = e.largest_label;
    result[5] = e.largest_weight;
    result[8] = static_cast<double>(RowsWithRepeats(batch));
  }, StoredValues(batch));
}

// fmCatchUp(settings, state): every feature's decay brought up to the current step (synchronous, state-sized).
Napi::Value CatchUpSync(const Napi::CallbackInfo& info) {
  const char* f = "fmCatchUp";
  RequireArgCount(info, f, 2);
  ArrayReader reader(info.Env(), f);
  fm::Settings settings = ReadSettings(reader, ObjectArg(info, 0, f, "settings"), f);
  fm::State state = ReadState(reader, ObjectArg(info, 1, f, "state"), settings, f);
  fm::CatchUpAll(settings, state);
  return info.Env().Undefined();
}

// model: { bias: number, linear: Float32Array (d), factors: Float32Array (d × k), dim, k, logistic, threshold? }
fm::Model ReadModel(ArrayReader& reader, const Napi::Object& o, const char* f) {
  fm::Model m;
  m.dim = SizeField(o, f, "dim");
  m.factors = SizeField(o, f, "k");
  m.bias = static_cast<float>(NumberField(o, f, "bias"));
  m.logistic = o.Get("logistic").ToBoolean().Value();
  if (o.Has("threshold") && !o.Get("threshold").IsUndefined()) m.threshold = static_cast<float>(NumberField(o, f, "threshold"));
  m.linear = reader.Get<float>(o, "model", "linear", napi_float32_array, m.dim, true);
  m.factors_v = reader.Get<float>(o, "model", "factors", napi_float32_array, CheckedProduct(o.Env(), f, m.dim, m.factors), true);
  return m;
}

// fmPredict(model, batch, score: Float32Array, label: Float32Array | null) → Promise
Napi::Value PredictAsync(const Napi::CallbackInfo& info) {
  const char* f = "fmPredict";
  RequireArgCount(info, f, 4);
  ArrayReader reader(info.Env(), f);
  fm::Model model = ReadModel(reader, ObjectArg(info, 0, f, "model"), f);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  float* score = reader.Arg<float>(info, 2, "score", napi_float32_array, batch.rows, true);
  float* label = reader.Arg<float>(info, 3, "label", napi_float32_array, batch.rows, false);
  return QueueKernel(info.Env(), "boundless:fmPredict", reader, [=]() { fm::Predict(model, batch, score, label); },
                     StoredValues(batch) * static_cast<double>(model.factors + 1));
}

// fmRecommend(model, user (one row), items, indices: Int32Array (n), scores: Float32Array (n)) → Promise
Napi::Value RecommendAsync(const Napi::CallbackInfo& info) {
  const char* f = "fmRecommend";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  fm::Model model = ReadModel(reader, ObjectArg(info, 0, f, "model"), f);
  BatchView user = ReadBatchView(reader, ObjectArg(info, 1, f, "user"), f);
  BatchView items = ReadBatchView(reader, ObjectArg(info, 2, f, "items"), f);
  // n, the number of items wanted, is the length of the output arrays.
  size_t n = info[3].IsTypedArray() ? info[3].As<Napi::TypedArray>().ElementLength() : 0;
  int32_t* indices = reader.Arg<int32_t>(info, 3, "indices", napi_int32_array, n, true);
  float* scores = reader.Arg<float>(info, 4, "scores", napi_float32_array, n, true);
  if (n > items.rows) throw Napi::RangeError::New(info.Env(), "fmRecommend: asked for " + std::to_string(n) + " items of " + std::to_string(items.rows) + " candidates");
  return QueueKernel(info.Env(), "boundless:fmRecommend", reader, [=]() { fm::Recommend(model, user, items, n, indices, scores); },
                     StoredValues(items) * static_cast<double>(model.factors + 1));
}

// fmRowsToMerge(user (one row), items) → Promise<number>: item rows whose row user ∪ item names an index twice (the
// item repeats one, or names one the user names; all of them when the user repeats one). cpu merges them (their
// values summed); a device kernel that scores entry by entry declines such candidates.
Napi::Value RowsToMergeAsync(const Napi::CallbackInfo& info) {
  const char* f = "fmRowsToMerge";
  RequireArgCount(info, f, 2);
  ArrayReader reader(info.Env(), f);
  BatchView user = ReadBatchView(reader, ObjectArg(info, 0, f, "user"), f);
  BatchView items = ReadBatchView(reader, ObjectArg(info, 1, f, "items"), f);
  return QueueResultKernel<double>(info.Env(), "boundless:fmRowsToMerge", reader, [=]() {
    if (user.rows != 1) return 0.0;  // fmRecommend's own error says so
    if (RowsWithRepeats(user) > 0) return static_cast<double>(items.rows);
    // The indices the user's row holds a value at.
    std::unordered_set<uint32_t> named;
    if (user.sparse) {
      for (int32_t e = user.indptr[0]; e < user.indptr[1]; e++) if (user.values[e] != 0) named.insert(user.indices[e]);
    } else {
      for (size_t i = 0; i < user.cols; i++) if (user.values[i] != 0) named.insert(static_cast<uint32_t>(i));
    }
    double count = static_cast<double>(RowsWithRepeats(items));  // with the rows below, an upper bound: what matters is > 0
    for (size_t r = 0; r < items.rows; r++) {
      bool shares = false;
      if (items.sparse) {
        for (int32_t e = items.indptr[r]; e < items.indptr[r + 1] && !shares; e++) shares = items.values[e] != 0 && named.count(items.indices[e]) > 0;
      } else {
        for (uint32_t i : named) if (items.values[r * items.cols + i] != 0) shares = true;
      }
      count += shares ? 1 : 0;
    }
    return count;
  }, [](Napi::Env env, double& count) -> Napi::Value { return Napi::Number::New(env, count); });
}

}  // namespace

void RegisterFactorizationMachines(Napi::Env env, Napi::Object exports) {
  exports.Set("fmRowsToMerge", Napi::Function::New(env, RowsToMergeAsync, "fmRowsToMerge"));
  exports.Set("fmStep", Napi::Function::New(env, StepAsync, "fmStep"));
  exports.Set("fmFeatureIndex", Napi::Function::New(env, FeatureIndexAsync, "fmFeatureIndex"));
  exports.Set("fmCatchUp", Napi::Function::New(env, CatchUpSync, "fmCatchUp"));
  exports.Set("fmPredict", Napi::Function::New(env, PredictAsync, "fmPredict"));
  exports.Set("fmRecommend", Napi::Function::New(env, RecommendAsync, "fmRecommend"));
}

}  // namespace boundless
