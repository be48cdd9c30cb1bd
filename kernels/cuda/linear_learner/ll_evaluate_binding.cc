// linearEvaluateOpen(settings, at, sums, weights, bias, shift, scale, labelTransform) → handle;
// linearEvaluateAdd(handle, labels, weights, values, indptr, indices, rows) → Promise;
// linearEvaluateRead(handle, out) → Promise; linearEvaluateClose(handle).
// settings, at (12 offsets) and sums as ll_settings_arg.h says. Sizes, offsets, a CSR batch's indptr and indices
// and a multiclass batch's labels are checked before anything reaches the device, so a bad call
// cannot read past an array there.
#include "linear_learner/ll_evaluate_binding.h"

#include <climits>
#include <cmath>
#include <memory>
#include <string>

#include "linear_learner/ll_evaluate.cuh"
#include "linear_learner/ll_rows_arg.h"
#include "linear_learner/ll_settings_arg.h"
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
  const char* fn = "cuda linearEvaluateOpen";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 8);
  LinearSettings s = LinearSettingsArg(info, fn);
  LinearSumsArg(info, fn, 1, kEvaluationSums, s);
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

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda linearEvaluateAdd";
  const uint64_t kept = KeptBatchArg(info, fn, 7);
  LinearEvaluateDevice& e = HandleArg<LinearEvaluateDevice>(info, fn, "linearEvaluateOpen");
  LinearRows b = HostRowsArg(info, fn, 1, 6, e.s.dim);
  b.kept = kept;
  LinearEvaluateDevice* held = &e;
  return Queue(info, fn, [=]() {
    std::string error = CheckLinearRows(held->s, b);
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
