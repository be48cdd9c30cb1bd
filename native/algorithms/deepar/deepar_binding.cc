// JS bindings of DeepAR's network: a training step on a batch of windows (off the
// event loop), the loss and its gradient without a step (synchronous, for the
// gradient tests), and the parameter layout.
#include "algorithms/deepar/deepar_binding.h"

#include <string>

#include "algorithms/deepar/deepar_network.h"
#include "nn/nn_binding.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {

deepar::NetworkSettings ReadNetworkSettings(const Napi::Object& o, const char* f, bool read_features) {
  deepar::NetworkSettings s;
  if (read_features) s.features = SizeField(o, f, "features");
  s.cells = SizeField(o, f, "cells");
  s.layers = SizeField(o, f, "layers");
  size_t likelihood = SizeField(o, f, "likelihood");
  if (likelihood > static_cast<size_t>(nn::Likelihood::kDeterministicL1)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": unknown likelihood code");
  s.likelihood = static_cast<nn::Likelihood>(likelihood);
  s.zoneout = static_cast<float>(NumberField(o, f, "zoneout"));
  s.seed = static_cast<uint64_t>(NumberField(o, f, "seed"));
  if ((read_features && s.features == 0) || s.cells == 0 || s.layers == 0) throw Napi::RangeError::New(o.Env(), std::string(f) + ": features, cells and layers must be positive");
  if (!(s.zoneout >= 0 && s.zoneout < 1)) throw Napi::RangeError::New(o.Env(), std::string(f) + ": zoneout must be in [0, 1)");
  Napi::Value optimizer = o.Get("optimizer");
  if (!optimizer.IsObject()) throw Napi::TypeError::New(o.Env(), std::string(f) + ": settings.optimizer must be an object");
  s.optimizer = ReadOptimizerSettings(optimizer.As<Napi::Object>(), f);
  return s;
}

namespace {

deepar::NetworkSettings ReadSettings(const Napi::Object& o, const char* f) { return ReadNetworkSettings(o, f); }

// window: { steps, rows, inputs [T × B × F], targets [T × B], weights [T × B] }
deepar::Window ReadWindow(ArrayReader& reader, const Napi::Object& o, const deepar::NetworkSettings& s, const char* f) {
  deepar::Window w;
  w.steps = SizeField(o, f, "steps");
  w.rows = SizeField(o, f, "rows");
  const size_t n = CheckedProduct(o.Env(), f, w.steps, w.rows);
  w.inputs = reader.Get<float>(o, "window", "inputs", napi_float32_array, CheckedProduct(o.Env(), f, n, s.features), true);
  w.targets = reader.Get<float>(o, "window", "targets", napi_float32_array, n, true);
  w.weights = reader.Get<float>(o, "window", "weights", napi_float32_array, n, true);
  return w;
}

// deeparNetworkLoss(settings, parameters, window, gradient | null, step) → Σ weight · NLL
Napi::Value LossSync(const Napi::CallbackInfo& info) {
  const char* f = "deeparNetworkLoss";
  RequireArgCount(info, f, 5);
  ArrayReader reader(info.Env(), f);
  deepar::NetworkSettings s = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  const size_t P = deepar::MakeNetworkLayout(s).parameters;
  const float* parameters = reader.Arg<float>(info, 1, "parameters", napi_float32_array, P, true);
  deepar::Window w = ReadWindow(reader, ObjectArg(info, 2, f, "window"), s, f);
  float* gradient = info[3].IsNull() || info[3].IsUndefined() ? nullptr : reader.Arg<float>(info, 3, "gradient", napi_float32_array, P, true);
  return Napi::Number::New(info.Env(), deepar::NetworkLoss(s, parameters, w, gradient, SizeArg(info, 4, f, "step")));
}

// deeparNetworkStep(settings, state { parameters, moment1?, moment2?, counters: Float64Array [steps, loss] }, window) → Promise
// (counters[1] receives the window's Σ weight · NLL before the step).
Napi::Value StepAsync(const Napi::CallbackInfo& info) {
  const char* f = "deeparNetworkStep";
  RequireArgCount(info, f, 3);
  ArrayReader reader(info.Env(), f);
  deepar::NetworkSettings s = ReadSettings(ObjectArg(info, 0, f, "settings"), f);
  const size_t P = deepar::MakeNetworkLayout(s).parameters, moments = nn::MomentArrays(s.optimizer.kind);
  Napi::Object st = ObjectArg(info, 1, f, "state");
  float* parameters = reader.Get<float>(st, "state", "parameters", napi_float32_array, P, true);
  float* moment1 = reader.Get<float>(st, "state", "moment1", napi_float32_array, P, moments >= 1);
  float* moment2 = reader.Get<float>(st, "state", "moment2", napi_float32_array, P, moments >= 2);
  double* counters = reader.Get<double>(st, "state", "counters", napi_float64_array, 2, true);
  deepar::Window w = ReadWindow(reader, ObjectArg(info, 2, f, "window"), s, f);
  const double work = static_cast<double>(w.steps * w.rows) * static_cast<double>(s.cells * s.cells * 4 * s.layers) * 3;
  return QueueKernel(info.Env(), "boundless:deeparNetworkStep", reader, [=]() {
    counters[1] = deepar::NetworkTrainStep(s, parameters, moment1, moment2, counters, w);
  }, work);
}

// deeparNetworkLayout(settings) → { parameters, input[], recurrent[], bias[], projection, projectionBias }
Napi::Value LayoutSync(const Napi::CallbackInfo& info) {
  const char* f = "deeparNetworkLayout";
  RequireArgCount(info, f, 1);
  deepar::NetworkLayout l = deepar::MakeNetworkLayout(ReadSettings(ObjectArg(info, 0, f, "settings"), f));
  Napi::Env env = info.Env();
  auto array = [&](const std::vector<size_t>& v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (uint32_t i = 0; i < v.size(); i++) a.Set(i, Napi::Number::New(env, static_cast<double>(v[i])));
    return a;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("parameters", Napi::Number::New(env, static_cast<double>(l.parameters)));
  o.Set("input", array(l.input));
  o.Set("recurrent", array(l.recurrent));
  o.Set("bias", array(l.bias));
  o.Set("projection", Napi::Number::New(env, static_cast<double>(l.projection)));
  o.Set("projectionBias", Napi::Number::New(env, static_cast<double>(l.projection_bias)));
  return o;
}

}  // namespace

void RegisterDeepar(Napi::Env env, Napi::Object exports) {
  exports.Set("deeparNetworkLoss", Napi::Function::New(env, LossSync, "deeparNetworkLoss"));
  exports.Set("deeparNetworkStep", Napi::Function::New(env, StepAsync, "deeparNetworkStep"));
  exports.Set("deeparNetworkLayout", Napi::Function::New(env, LayoutSync, "deeparNetworkLayout"));
  RegisterDeeparModel(env, exports);
}

}  // namespace boundless
