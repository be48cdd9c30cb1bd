// linearEvaluateOpen(settings, at, sums, weights, bias, shift, scale, labelTransform) → handle;
// linearEvaluateAdd(handle, labels, weights, values, indptr, indices, rows) → Promise;
// linearEvaluateRead(handle, out) → Promise; linearEvaluateClose(handle).
// settings: Float64Array [dim, models, classes, loss, margin, quantile, insensitivity, huberDelta,
// useBias, histogramBins, histogramLogScale, topK, threshold]; at: Int32Array [12], each sum's first
// float64 in a buffer of `sums` (−1: not wanted). Sizes, offsets, a CSR batch's indptr and indices
// and a multiclass batch's labels are checked before anything reaches the device, so a bad call
// cannot read past an array there.
#include "linear_learner/ll_evaluate_binding.h"

#include <climits>
#include <cmath>
#include <memory>
#include <string>

#include "linear_learner/ll_evaluate.cuh"
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

constexpr size_t kSettings = 13;
constexpr uint32_t kSoftmax = 2, kLastLoss = 8;

// The entries of sum `which` (ll_evaluate.cuh's LinearSum).
size_t SumLength(int which, const LinearEvaluateSettings& s) {
  switch (which) {
    case kWeightSum: return 1;
    case kConfusion: return 4 * static_cast<size_t>(s.models);
    case kClassTruePositive: case kClassPredicted: case kClassActual: return static_cast<size_t>(s.models) * s.classes;
    case kHistogram: return static_cast<size_t>(s.models) * 2 * s.bins;
    default: return s.models;
  }
}

LinearEvaluateSettings SettingsArg(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  Napi::Float64Array v = Float64Arg(info, 0, fn, "settings");
  RequireLength(env, fn, "settings", v.ElementLength(), kSettings);
  auto count = [&](size_t i, const char* name, double low, double high) {
    if (!(v[i] >= low && v[i] <= high && v[i] == std::floor(v[i]))) {
      throw Napi::RangeError::New(env, std::string(fn) + ": settings." + name + " must be a whole number in " + std::to_string(static_cast<int64_t>(low)) +
                                           ".." + std::to_string(static_cast<int64_t>(high)));
    }
    return static_cast<uint32_t>(v[i]);
  };
  LinearEvaluateSettings s;
  s.dim = count(0, "dim", 1, INT_MAX);
  s.models = count(1, "models", 1, 1 << 20);
  s.classes = count(2, "classes", 1, 1 << 20);
  s.loss = count(3, "loss", 0, kLastLoss);
  // float, as cpu's Settings holds them: a quantile of 0.8 is 0.800000011920929 there.
  s.margin = static_cast<float>(v[4]);
  s.quantile = static_cast<float>(v[5]);
  s.insensitivity = static_cast<float>(v[6]);
  s.huber_delta = static_cast<float>(v[7]);
  s.use_bias = count(8, "useBias", 0, 1);
  s.bins = count(9, "histogramBins", 0, 1 << 20);
  s.log_scale = count(10, "histogramLogScale", 0, 1);
  s.top_k = count(11, "topK", 0, 1 << 20);
  s.threshold = v[12];
  CheckedProduct(env, fn, CheckedProduct(env, fn, s.dim, s.models), s.classes);
  return s;
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  const char* fn = "cuda linearEvaluateOpen";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 8);
  LinearEvaluateSettings s = SettingsArg(info, fn);
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, std::string(fn) + ": argument at must be an Int32Array");
  }
  Napi::Int32Array at = info[1].As<Napi::Int32Array>();
  RequireLength(env, fn, "at", at.ElementLength(), kEvaluationSums);
  s.sums = SizeArg(info, 2, fn, "sums");
  for (int i = 0; i < kEvaluationSums; i++) {
    s.at[i] = at[i];
    if (at[i] < -1 || (at[i] >= 0 && static_cast<size_t>(at[i]) + SumLength(i, s) > s.sums)) {
      throw Napi::RangeError::New(env, std::string(fn) + ": at[" + std::to_string(i) + "] = " + std::to_string(at[i]) + " puts its sum outside the " +
                                           std::to_string(s.sums) + " sums");
    }
  }
  const size_t width = static_cast<size_t>(s.models) * s.classes;
  Napi::Float32Array weights = Float32Arg(info, 3, fn, "weights");
  Napi::Float32Array bias = Float32Arg(info, 4, fn, "bias");
  RequireLength(env, fn, "weights", weights.ElementLength(), s.dim * width);
  RequireLength(env, fn, "bias", bias.ElementLength(), width);
  const float* shift = nullptr;
  const float* scale = nullptr;
  if (info[5].IsNull() != info[6].IsNull()) throw Napi::TypeError::New(env, std::string(fn) + ": shift and scale come together, or both null");
  if (!info[5].IsNull()) {
    Napi::Float32Array a = Float32Arg(info, 5, fn, "shift"), b = Float32Arg(info, 6, fn, "scale");
    RequireLength(env, fn, "shift", a.ElementLength(), s.dim);
    RequireLength(env, fn, "scale", b.ElementLength(), s.dim);
    shift = a.Data();
    scale = b.Data();
  }
  const float* label_transform = nullptr;
  if (!info[7].IsNull()) {
    Napi::Float32Array t = Float32Arg(info, 7, fn, "labelTransform");
    RequireLength(env, fn, "labelTransform", t.ElementLength(), 2);
    label_transform = t.Data();
  }
  auto e = std::make_unique<LinearEvaluateDevice>();
  const std::string error = OpenLinearEvaluate(*e, s, weights.Data(), bias.Data(), shift, scale, label_transform);
  return NewHandle<LinearEvaluateDevice, CloseLinearEvaluate>(env, fn, std::move(e), error);
}

// A CSR batch's structure and a multiclass batch's labels, checked on the worker thread: "" or what is wrong.
std::string CheckRows(const LinearEvaluateSettings& s, const LinearEvaluateBatch& b) {
  if (b.sparse) {
    if (b.indptr[0] != 0) return "indptr[0] must be 0, got " + std::to_string(b.indptr[0]);
    for (size_t r = 0; r < b.rows; r++) {
      if (b.indptr[r + 1] < b.indptr[r]) return "row " + std::to_string(r) + ": indptr decreases";
      for (int32_t k = b.indptr[r]; k < b.indptr[r + 1]; k++) {
        if (b.indices[k] >= s.dim) return "row " + std::to_string(r) + ": feature index " + std::to_string(b.indices[k]) + " is not below dim " + std::to_string(s.dim);
      }
    }
  }
  if (s.loss == kSoftmax) {
    for (size_t r = 0; r < b.rows; r++) {
      const float y = b.labels[r];
      if (!(y >= 0 && y < static_cast<float>(s.classes) && y == std::floor(y))) return "row " + std::to_string(r) + ": label is not a class";
    }
  }
  return "";
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda linearEvaluateAdd";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 7);
  LinearEvaluateDevice& e = HandleArg<LinearEvaluateDevice>(info, fn, "linearEvaluateOpen");
  LinearEvaluateBatch b;
  b.rows = SizeArg(info, 6, fn, "rows");
  if (b.rows > INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": rows must be at most " + std::to_string(INT_MAX));
  Napi::Float32Array labels = Float32Arg(info, 1, fn, "labels");
  RequireLength(env, fn, "labels", labels.ElementLength(), b.rows);
  b.labels = labels.Data();
  if (!info[2].IsNull()) {
    Napi::Float32Array w = Float32Arg(info, 2, fn, "weights");
    RequireLength(env, fn, "weights", w.ElementLength(), b.rows);
    b.weights = w.Data();
  }
  Napi::Float32Array values = Float32Arg(info, 3, fn, "values");
  b.values = values.Data();
  b.sparse = !info[4].IsNull();
  if (b.sparse) {
    if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      throw Napi::TypeError::New(env, std::string(fn) + ": argument indptr must be an Int32Array or null");
    }
    if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      throw Napi::TypeError::New(env, std::string(fn) + ": argument indices must be a Uint32Array");
    }
    Napi::Int32Array indptr = info[4].As<Napi::Int32Array>();
    Napi::Uint32Array indices = info[5].As<Napi::Uint32Array>();
    RequireLength(env, fn, "indptr", indptr.ElementLength(), b.rows + 1);
    b.nnz = values.ElementLength();
    RequireLength(env, fn, "indices", indices.ElementLength(), b.nnz);
    if (b.nnz > INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": a batch's non-zeros must be at most " + std::to_string(INT_MAX));
    b.indptr = indptr.Data();
    b.indices = indices.Data();
    if (static_cast<size_t>(b.indptr[b.rows]) != b.nnz) {
      throw Napi::RangeError::New(env, std::string(fn) + ": indptr[rows] is " + std::to_string(b.indptr[b.rows]) + ", expected the " + std::to_string(b.nnz) + " values");
    }
  } else {
    RequireLength(env, fn, "values", values.ElementLength(), CheckedProduct(env, fn, b.rows, e.s.dim));
  }
  LinearEvaluateDevice* held = &e;
  return Queue(info, fn, [=]() {
    std::string error = CheckRows(held->s, b);
    return error.empty() ? AddLinearEvaluate(*held, b) : error;
  });
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* fn = "cuda linearEvaluateRead";
  RequireArgCount(info, fn, 2);
  LinearEvaluateDevice& e = HandleArg<LinearEvaluateDevice>(info, fn, "linearEvaluateOpen");
  Napi::Float64Array out = Float64Arg(info, 1, fn, "out");
  RequireLength(info.Env(), fn, "out", out.ElementLength(), e.s.sums);
  double* to = out.Data();
  LinearEvaluateDevice* held = &e;
  return Queue(info, fn, [=]() { return ReadLinearEvaluate(*held, to); });
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  return CloseHandle<LinearEvaluateDevice, CloseLinearEvaluate>(info, "cuda linearEvaluateClose", "linearEvaluateOpen");
}

}  // namespace

void InitLinearEvaluate(Napi::Env env, Napi::Object exports) {
  exports.Set("linearEvaluateOpen", Napi::Function::New(env, Open, "linearEvaluateOpen"));
  exports.Set("linearEvaluateAdd", Napi::Function::New(env, Add, "linearEvaluateAdd"));
  exports.Set("linearEvaluateRead", Napi::Function::New(env, Read, "linearEvaluateRead"));
  exports.Set("linearEvaluateClose", Napi::Function::New(env, Close, "linearEvaluateClose"));
}

}  // namespace boundless_cuda
