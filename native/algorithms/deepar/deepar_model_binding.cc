// JS bindings of the DeepAR model (deepar_model.h): the layout, offering series to the
// window reservoir, a training round, and forecasts. Everything that grows with the data runs
// on a libuv thread; the arrays belong to the caller (the state's tensors).
#include <string>
#include <vector>

#include "algorithms/deepar/deepar_binding.h"
#include "algorithms/deepar/deepar_model.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

std::vector<uint32_t> Uint32List(ArrayReader& reader, const Napi::Object& o, const char* name) {
  Napi::Value value = o.Get(name);
  if (!value.IsTypedArray()) reader.Fail("settings", name, "must be a Uint32Array");
  const uint32_t* data = reader.Get<uint32_t>(o, "settings", name, napi_uint32_array, 0, true);
  return std::vector<uint32_t>(data, data + value.As<Napi::TypedArray>().ElementLength());
}

// settings: { context, prediction, lags: Uint32Array, featureSet, unit, multiple, dynamic,
//             cardinality: Uint32Array, embedding, scaleInputs, network: { cells, layers, likelihood, zoneout, seed, optimizer } }
deepar::ModelShape ReadShape(ArrayReader& reader, const Napi::Object& o, const char* f) {
  deepar::ModelShape m;
  m.context = SizeField(o, f, "context");
  m.prediction = SizeField(o, f, "prediction");
  m.lags = Uint32List(reader, o, "lags");
  m.feature_set = static_cast<deepar::FeatureSet>(SizeField(o, f, "featureSet"));
  m.unit = static_cast<deepar::TimeUnit>(SizeField(o, f, "unit"));
  m.multiple = static_cast<int64_t>(SizeField(o, f, "multiple"));
  m.dynamic = SizeField(o, f, "dynamic");
  m.cardinality = Uint32List(reader, o, "cardinality");
  m.embedding = SizeField(o, f, "embedding");
  m.scale_inputs = BoolField(o, "scaleInputs");
  Napi::Env env = o.Env();
  if (m.context == 0 || m.prediction == 0 || m.multiple == 0) throw Napi::RangeError::New(env, std::string(f) + ": context, prediction and multiple must be positive");
  if (m.feature_set > deepar::FeatureSet::kMonth || m.unit > deepar::TimeUnit::kMonth) throw Napi::RangeError::New(env, std::string(f) + ": unknown featureSet or unit code");
  for (size_t i = 0; i < m.lags.size(); i++) {
    if (m.lags[i] == 0 || (i && m.lags[i] <= m.lags[i - 1])) throw Napi::RangeError::New(env, std::string(f) + ": lags must be ascending and positive");
  }
  for (uint32_t c : m.cardinality) if (c == 0) throw Napi::RangeError::New(env, std::string(f) + ": every cardinality must be positive");
  Napi::Value network = o.Get("network");
  if (!network.IsObject()) throw Napi::TypeError::New(env, std::string(f) + ": settings.network must be an object");
  m.network = ReadNetworkSettings(network.As<Napi::Object>(), f, false);
  m.network.features = m.Features();
  return m;
}

// reservoir: { capacity, targets, dynamic, cats, origin, age, scale, keys, counters: Float64Array [filled, windows, series] }
deepar::Reservoir ReadReservoir(ArrayReader& reader, const Napi::Object& o, const deepar::ModelShape& m, const char* f) {
  deepar::Reservoir r;
  r.capacity = SizeField(o, f, "capacity");
  const size_t R = r.capacity;
  r.targets = reader.Get<float>(o, "reservoir", "targets", napi_float32_array, R * m.History(), true);
  r.dynamic = reader.Get<float>(o, "reservoir", "dynamic", napi_float32_array, R * m.Steps() * m.dynamic, true);
  r.cats = reader.Get<int32_t>(o, "reservoir", "cats", napi_int32_array, R * m.cardinality.size(), true);
  r.origin = reader.Get<double>(o, "reservoir", "origin", napi_float64_array, R, true);
  r.age = reader.Get<double>(o, "reservoir", "age", napi_float64_array, R, true);
  r.scale = reader.Get<float>(o, "reservoir", "scale", napi_float32_array, R, true);
  r.keys = reader.Get<double>(o, "reservoir", "keys", napi_float64_array, R, true);
  r.counters = reader.Get<double>(o, "reservoir", "counters", napi_float64_array, 3, true);
  if (r.counters[0] > static_cast<double>(R)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": reservoir.counters[0] exceeds the capacity");
  return r;
}

// series: { count, targets, lengths: Uint32Array, starts: Float64Array, cats: Int32Array [count × K],
//           dynamic: Float32Array, dynamicLengths: Uint32Array } — targets and dynamic concatenated.
std::vector<deepar::SeriesView> ReadSeries(ArrayReader& reader, const Napi::Object& o, const deepar::ModelShape& m, const char* f,
                                           size_t needed_dynamic_extra) {
  const size_t count = SizeField(o, f, "count"), K = m.cardinality.size(), D = m.dynamic;
  const uint32_t* lengths = reader.Get<uint32_t>(o, "series", "lengths", napi_uint32_array, count, true);
  const uint32_t* dynamic_lengths = reader.Get<uint32_t>(o, "series", "dynamicLengths", napi_uint32_array, count, true);
  size_t total = 0, dynamic_total = 0;
  for (size_t i = 0; i < count; i++) {
    total += lengths[i];
    dynamic_total += D * dynamic_lengths[i];
    if (D && dynamic_lengths[i] < lengths[i] + needed_dynamic_extra) {
      throw Napi::RangeError::New(o.Env(), std::string(f) + ": series " + std::to_string(i) + "'s dynamic features are shorter than needed");
    }
  }
  const float* targets = reader.Get<float>(o, "series", "targets", napi_float32_array, total, true);
  const double* starts = reader.Get<double>(o, "series", "starts", napi_float64_array, count, true);
  const int32_t* cats = reader.Get<int32_t>(o, "series", "cats", napi_int32_array, count * K, K > 0);
  const float* dynamic = reader.Get<float>(o, "series", "dynamic", napi_float32_array, dynamic_total, D > 0);
  std::vector<deepar::SeriesView> views(count);
  for (size_t i = 0; i < count; i++) {
    views[i] = {targets, lengths[i], starts[i], cats ? cats + i * K : nullptr, dynamic, dynamic_lengths[i]};
    for (size_t k = 0; k < K; k++) {
      if (views[i].cats[k] < 0 || static_cast<uint32_t>(views[i].cats[k]) >= m.cardinality[k]) {
        throw Napi::RangeError::New(o.Env(), std::string(f) + ": series " + std::to_string(i) + " has an embedding row beyond its table");
      }
    }
    targets += lengths[i];
    if (dynamic) dynamic += D * dynamic_lengths[i];
  }
  return views;
}

// deeparModelLayout(settings) → { parameters, networkParameters, features, history, steps }
Napi::Value LayoutSync(const Napi::CallbackInfo& info) {
  const char* f = "deeparModelLayout";
  RequireArgCount(info, f, 1);
  ArrayReader reader(info.Env(), f);
  const deepar::ModelShape m = ReadShape(reader, ObjectArg(info, 0, f, "settings"), f);
  Napi::Object o = Napi::Object::New(info.Env());
  auto set = [&](const char* name, size_t v) { o.Set(name, Napi::Number::New(info.Env(), static_cast<double>(v))); };
  set("parameters", m.Parameters());
  set("networkParameters", m.NetworkParameters());
  set("features", m.Features());
  set("history", m.History());
  set("steps", m.Steps());
  return o;
}

// deeparOffer(settings, seed, reservoir, series) → Promise
Napi::Value OfferAsync(const Napi::CallbackInfo& info) {
  const char* f = "deeparOffer";
  RequireArgCount(info, f, 4);
  ArrayReader reader(info.Env(), f);
  auto m = std::make_shared<deepar::ModelShape>(ReadShape(reader, ObjectArg(info, 0, f, "settings"), f));
  const uint64_t seed = static_cast<uint64_t>(SizeArg(info, 1, f, "seed"));
  deepar::Reservoir r = ReadReservoir(reader, ObjectArg(info, 2, f, "reservoir"), *m, f);
  auto views = std::make_shared<std::vector<deepar::SeriesView>>(ReadSeries(reader, ObjectArg(info, 3, f, "series"), *m, f, 0));
  return QueueKernel(info.Env(), "boundless:deeparOffer", reader, [=]() mutable {
    deepar::OfferSeries(*m, seed, r, views->data(), views->size());
  });
}

// deeparTrainRound(settings, seed, state { parameters, moment1?, moment2?, counters: Float64Array [steps, loss, weight] },
//                  reservoir, batch, count) → Promise; adds the round's Σ weight·NLL and Σ weight to counters[1], [2].
Napi::Value TrainRoundAsync(const Napi::CallbackInfo& info) {
  const char* f = "deeparTrainRound";
  RequireArgCount(info, f, 6);
  ArrayReader reader(info.Env(), f);
  auto m = std::make_shared<deepar::ModelShape>(ReadShape(reader, ObjectArg(info, 0, f, "settings"), f));
  const uint64_t seed = static_cast<uint64_t>(SizeArg(info, 1, f, "seed"));
  Napi::Object st = ObjectArg(info, 2, f, "state");
  const size_t P = m->Parameters(), moments = nn::MomentArrays(m->network.optimizer.kind);
  deepar::TrainArrays a;
  a.parameters = reader.Get<float>(st, "state", "parameters", napi_float32_array, P, true);
  a.moment1 = reader.Get<float>(st, "state", "moment1", napi_float32_array, P, moments >= 1);
  a.moment2 = reader.Get<float>(st, "state", "moment2", napi_float32_array, P, moments >= 2);
  double* counters = reader.Get<double>(st, "state", "counters", napi_float64_array, 3, true);
  a.steps = counters;
  deepar::Reservoir r = ReadReservoir(reader, ObjectArg(info, 3, f, "reservoir"), *m, f);
  const size_t batch = SizeArg(info, 4, f, "batch"), count = SizeArg(info, 5, f, "count");
  if (batch == 0) throw Napi::RangeError::New(info.Env(), std::string(f) + ": batch must be positive");
  return QueueKernel(info.Env(), "boundless:deeparTrainRound", reader, [=]() {
    double weight = 0;
    counters[1] += deepar::TrainRound(*m, seed, r, a, batch, count, &weight);
    counters[2] += weight;
  });
}

// deeparForecast(settings, parameters, series, { paths, seed, stream }, out [count × paths × P]) → Promise;
// series i draws from stream + i.
Napi::Value ForecastAsync(const Napi::CallbackInfo& info) {
  const char* f = "deeparForecast";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  auto m = std::make_shared<deepar::ModelShape>(ReadShape(reader, ObjectArg(info, 0, f, "settings"), f));
  const float* parameters = reader.Arg<float>(info, 1, "parameters", napi_float32_array, m->Parameters(), true);
  auto views = std::make_shared<std::vector<deepar::SeriesView>>(ReadSeries(reader, ObjectArg(info, 2, f, "series"), *m, f, m->prediction));
  Napi::Object draw = ObjectArg(info, 3, f, "draw");
  const size_t paths = SizeField(draw, f, "paths");
  const uint64_t seed = static_cast<uint64_t>(NumberField(draw, f, "seed"));
  const uint64_t stream = static_cast<uint64_t>(NumberField(draw, f, "stream"));
  if (paths == 0) throw Napi::RangeError::New(info.Env(), std::string(f) + ": paths must be positive");
  float* out = reader.Arg<float>(info, 4, "out", napi_float32_array, views->size() * paths * m->prediction, true);
  return QueueKernel(info.Env(), "boundless:deeparForecast", reader, [=]() {
    for (size_t i = 0; i < views->size(); i++) {
      deepar::Forecast(*m, parameters, (*views)[i], paths, seed, stream + i, out + i * paths * m->prediction);
    }
  });
}

// deeparModelLoss(settings, parameters, reservoir, slots: Uint32Array, step, gradient | null) → { loss, weight } (tests)
Napi::Value ModelLossSync(const Napi::CallbackInfo& info) {
  const char* f = "deeparModelLoss";
  RequireArgCount(info, f, 6);
  ArrayReader reader(info.Env(), f);
  const deepar::ModelShape m = ReadShape(reader, ObjectArg(info, 0, f, "settings"), f);
  const float* parameters = reader.Arg<float>(info, 1, "parameters", napi_float32_array, m.Parameters(), true);
  deepar::Reservoir r = ReadReservoir(reader, ObjectArg(info, 2, f, "reservoir"), m, f);
  if (!info[3].IsTypedArray()) throw Napi::TypeError::New(info.Env(), std::string(f) + ": slots must be a Uint32Array");
  const size_t count = info[3].As<Napi::TypedArray>().ElementLength();
  const uint32_t* slots = reader.Arg<uint32_t>(info, 3, "slots", napi_uint32_array, count, true);
  for (size_t i = 0; i < count; i++) {
    if (slots[i] >= r.counters[0]) throw Napi::RangeError::New(info.Env(), std::string(f) + ": a slot is beyond the reservoir's filled windows");
  }
  float* gradient = info[5].IsNull() ? nullptr : reader.Arg<float>(info, 5, "gradient", napi_float32_array, m.Parameters(), true);
  double weight = 0;
  const double loss = deepar::ModelLoss(m, r, parameters, slots, count, SizeArg(info, 4, f, "step"), gradient, &weight);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("loss", Napi::Number::New(info.Env(), loss));
  o.Set("weight", Napi::Number::New(info.Env(), weight));
  return o;
}

// deeparTimeFeatures(featureSet, unit, index) → Float32Array of the period's calendar features (tests).
Napi::Value TimeFeaturesSync(const Napi::CallbackInfo& info) {
  const char* f = "deeparTimeFeatures";
  RequireArgCount(info, f, 3);
  const size_t set = SizeArg(info, 0, f, "featureSet"), unit = SizeArg(info, 1, f, "unit");
  if (set > 4 || unit > 3) throw Napi::RangeError::New(info.Env(), std::string(f) + ": unknown featureSet or unit code");
  const auto s = static_cast<deepar::FeatureSet>(set);
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), deepar::TimeFeatureCount(s));
  deepar::TimeFeatures(s, static_cast<deepar::TimeUnit>(unit), static_cast<int64_t>(info[2].As<Napi::Number>().Int64Value()), out.Data());
  return out;
}

}  // namespace

void RegisterDeeparModel(Napi::Env env, Napi::Object exports) {
  exports.Set("deeparModelLayout", Napi::Function::New(env, LayoutSync, "deeparModelLayout"));
  exports.Set("deeparOffer", Napi::Function::New(env, OfferAsync, "deeparOffer"));
  exports.Set("deeparTrainRound", Napi::Function::New(env, TrainRoundAsync, "deeparTrainRound"));
  exports.Set("deeparForecast", Napi::Function::New(env, ForecastAsync, "deeparForecast"));
  exports.Set("deeparModelLoss", Napi::Function::New(env, ModelLossSync, "deeparModelLoss"));
  exports.Set("deeparTimeFeatures", Napi::Function::New(env, TimeFeaturesSync, "deeparTimeFeatures"));
}

}  // namespace boundless
