// pcaSketchOpen(dim, ell, omega, origin) → handle; pcaSketchAdd(handle, values, weights, rows) →
// Promise; pcaSketchRead(handle, count, sum, squares, y) → Promise; pcaSketchClose(handle). The
// device work runs on libuv threads; a handle's calls are serialized by its mutex. Sizes are
// checked against the handle before any copy.
#include "pca/pca_sketch_binding.h"

#include <climits>
#include <memory>
#include <string>

#include "pca/pca_sketch.cuh"
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
  const char* fn = "cuda pcaSketchOpen";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 4);
  const size_t dim = SizeArg(info, 0, fn, "dim"), ell = SizeArg(info, 1, fn, "ell");
  if (dim < 1 || dim > INT_MAX || ell < 1 || ell > INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": dim and ell must be in 1.." + std::to_string(INT_MAX));
  Napi::Float64Array omega = Float64Arg(info, 2, fn, "omega");
  RequireLength(env, fn, "omega", omega.ElementLength(), CheckedProduct(env, fn, dim, ell));
  const double* origin = OptionalFloat64Arg(info, 3, fn, "origin", dim);
  auto s = std::make_unique<PcaSketchDevice>();
  const std::string error = OpenPcaSketch(*s, dim, ell, omega.Data(), origin);
  return NewHandle<PcaSketchDevice, ClosePcaSketch>(info.Env(), fn, std::move(s), error);
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda pcaSketchAdd";
  const uint64_t kept = KeptBatchArg(info, fn, 4);
  PcaSketchDevice& s = HandleArg<PcaSketchDevice>(info, fn, "pcaSketchOpen");
  const RowsArg batch = BatchRowsArg(info, fn, 3, s.dim);
  PcaSketchDevice* held = &s;
  return Queue(info, fn, [=]() { return AddPcaSketch(*held, batch.values, batch.weights, batch.rows, kept); });
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* fn = "cuda pcaSketchRead";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 5);
  PcaSketchDevice& s = HandleArg<PcaSketchDevice>(info, fn, "pcaSketchOpen");
  Napi::Float64Array count = Float64Arg(info, 1, fn, "count");
  Napi::Float64Array sum = Float64Arg(info, 2, fn, "sum");
  Napi::Float64Array squares = Float64Arg(info, 3, fn, "squares");
  Napi::Float64Array y = Float64Arg(info, 4, fn, "y");
  RequireLength(env, fn, "count", count.ElementLength(), 1);
  RequireLength(env, fn, "sum", sum.ElementLength(), s.dim);
  RequireLength(env, fn, "squares", squares.ElementLength(), 1);
  RequireLength(env, fn, "y", y.ElementLength(), s.dim * s.ell);
  double* c = count.Data();
  double* m = sum.Data();
  double* q = squares.Data();
  double* out = y.Data();
  PcaSketchDevice* held = &s;
  return Queue(info, fn, [=]() { return ReadPcaSketch(*held, c, m, q, out); });
}

Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle<PcaSketchDevice, ClosePcaSketch>(info, "cuda pcaSketchClose", "pcaSketchOpen"); }

}  // namespace

void InitPcaSketch(Napi::Env env, Napi::Object exports) {
  exports.Set("pcaSketchOpen", Napi::Function::New(env, Open, "pcaSketchOpen"));
  exports.Set("pcaSketchAdd", Napi::Function::New(env, Add, "pcaSketchAdd"));
  exports.Set("pcaSketchRead", Napi::Function::New(env, Read, "pcaSketchRead"));
  exports.Set("pcaSketchClose", Napi::Function::New(env, Close, "pcaSketchClose"));
}

}  // namespace boundless_cuda
