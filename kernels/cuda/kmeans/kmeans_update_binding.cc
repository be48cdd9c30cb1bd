// kmeansOpen(K, k, dim, centres, weights, modelCentres, modelWeights) → handle;
// kmeansAdd(handle, values, weights, rows, modelActive, halfLife) → Promise;
// kmeansRead(handle, centres, weights, modelCentres, modelWeights, sums, reseeds) → Promise;
// kmeansClose(handle). The device work runs on libuv threads; a handle's calls are serialized by
// its mutex. Sizes are checked against the handle before any copy.
#include "kmeans/kmeans_update_binding.h"

#include <climits>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kmeans/kmeans_update.cuh"
#include "runtime/arguments.h"
#include "runtime/device_handle.h"
#include "runtime/device_worker.h"

namespace boundless_cuda {
namespace {

using boundless::CheckedProduct;
using boundless::Float32Arg;
using boundless::Float64Arg;
using boundless::RequireArgCount;
using boundless::RequireLength;
using boundless::SizeArg;

Napi::Value Open(const Napi::CallbackInfo& info) {
  const char* fn = "cuda kmeansOpen";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 7);
  const size_t K = SizeArg(info, 0, fn, "centers"), k = SizeArg(info, 1, fn, "modelK"), dim = SizeArg(info, 2, fn, "dim");
  if (K < 1 || K > INT_MAX || k > INT_MAX || dim < 1 || dim > INT_MAX) {
    throw Napi::RangeError::New(env, std::string(fn) + ": centers and dim must be in 1.." + std::to_string(INT_MAX) + ", modelK in 0.." + std::to_string(INT_MAX));
  }
  Napi::Float32Array centres = Float32Arg(info, 3, fn, "centres");
  Napi::Float64Array weights = Float64Arg(info, 4, fn, "weights");
  Napi::Float32Array model_centres = Float32Arg(info, 5, fn, "modelCentres");
  Napi::Float64Array model_weights = Float64Arg(info, 6, fn, "modelWeights");
  RequireLength(env, fn, "centres", centres.ElementLength(), CheckedProduct(env, fn, K, dim));
  RequireLength(env, fn, "weights", weights.ElementLength(), K);
  RequireLength(env, fn, "modelCentres", model_centres.ElementLength(), CheckedProduct(env, fn, k, dim));
  RequireLength(env, fn, "modelWeights", model_weights.ElementLength(), k);
  auto s = std::make_unique<KmeansDevice>();
  const std::string error = OpenKmeans(*s, K, k, dim, centres.Data(), weights.Data(), model_centres.Data(), model_weights.Data());
  return NewHandle<KmeansDevice, CloseKmeans>(info.Env(), fn, std::move(s), error);
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda kmeansAdd";
  Napi::Env env = info.Env();
  const uint64_t kept = KeptBatchArg(info, fn, 6);
  KmeansDevice& s = HandleArg<KmeansDevice>(info, fn, "kmeansOpen");
  const RowsArg batch = BatchRowsArg(info, fn, 3, s.dim);
  if (!info[4].IsBoolean()) throw Napi::TypeError::New(env, std::string(fn) + ": argument modelActive must be a boolean");
  if (!info[5].IsNumber() || !(info[5].As<Napi::Number>().DoubleValue() >= 0)) {
    throw Napi::RangeError::New(env, std::string(fn) + ": halfLife must be a number ≥ 0");
  }
  const bool model_active = info[4].As<Napi::Boolean>().Value();
  const double half_life = info[5].As<Napi::Number>().DoubleValue();
  KmeansDevice* held = &s;
  return Queue(info, fn, [=]() { return AddKmeans(*held, batch.values, batch.weights, batch.rows, model_active, half_life, kept); });
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* fn = "cuda kmeansRead";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 7);
  KmeansDevice& s = HandleArg<KmeansDevice>(info, fn, "kmeansOpen");
  Napi::Float32Array centres = Float32Arg(info, 1, fn, "centres");
  Napi::Float64Array weights = Float64Arg(info, 2, fn, "weights");
  Napi::Float32Array model_centres = Float32Arg(info, 3, fn, "modelCentres");
  Napi::Float64Array model_weights = Float64Arg(info, 4, fn, "modelWeights");
  Napi::Float64Array sums = Float64Arg(info, 5, fn, "sums");
  Napi::Float64Array reseeds = Float64Arg(info, 6, fn, "reseeds");
  RequireLength(env, fn, "centres", centres.ElementLength(), s.centers * s.dim);
  RequireLength(env, fn, "weights", weights.ElementLength(), s.centers);
  RequireLength(env, fn, "modelCentres", model_centres.ElementLength(), s.model_k * s.dim);
  RequireLength(env, fn, "modelWeights", model_weights.ElementLength(), s.model_k);
  RequireLength(env, fn, "sums", sums.ElementLength(), kKmeansSums);
  RequireLength(env, fn, "reseeds", reseeds.ElementLength(), 1);
  float* c = centres.Data();
  double* w = weights.Data();
  float* mc = model_centres.Data();
  double* mw = model_weights.Data();
  double* out = sums.Data();
  double* r = reseeds.Data();
  KmeansDevice* held = &s;
  return Queue(info, fn, [=]() { return ReadKmeans(*held, c, w, mc, mw, out, r); });
}

Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle<KmeansDevice, CloseKmeans>(info, "cuda kmeansClose", "kmeansOpen"); }

}  // namespace

void InitKmeansUpdate(Napi::Env env, Napi::Object exports) {
  exports.Set("kmeansOpen", Napi::Function::New(env, Open, "kmeansOpen"));
  exports.Set("kmeansAdd", Napi::Function::New(env, Add, "kmeansAdd"));
  exports.Set("kmeansRead", Napi::Function::New(env, Read, "kmeansRead"));
  exports.Set("kmeansClose", Napi::Function::New(env, Close, "kmeansClose"));
}

}  // namespace boundless_cuda
