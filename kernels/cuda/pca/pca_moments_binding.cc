// pcaMomentsOpen(dim) → handle; pcaMomentsAdd(handle, values, weights, origin, rows) → Promise;
// pcaMomentsRead(handle, count, sum, cross) → Promise; pcaMomentsClose(handle). The device work
// runs on libuv threads; a handle's calls are serialized by its mutex. Sizes are checked against
// the handle's dim before any copy, so a bad call cannot read past an array.
#include "pca/pca_moments_binding.h"

#include <climits>
#include <functional>
#include <memory>
#include <string>

#include "pca/pca_moments.cuh"
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
  const char* fn = "cuda pcaMomentsOpen";
  RequireArgCount(info, fn, 1);
  size_t dim = SizeArg(info, 0, fn, "dim");
  if (dim < 1 || dim > INT_MAX / 16) throw Napi::RangeError::New(info.Env(), std::string(fn) + ": dim must be in 1.." + std::to_string(INT_MAX / 16));
  CheckedProduct(info.Env(), fn, dim, dim * sizeof(double));
  auto m = std::make_unique<PcaMomentsDevice>();
  const std::string error = OpenPcaMoments(*m, dim);
  return NewHandle<PcaMomentsDevice, ClosePcaMoments>(info.Env(), fn, std::move(m), error);
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda pcaMomentsAdd";
  const uint64_t kept = KeptBatchArg(info, fn, 5);
  PcaMomentsDevice& m = HandleArg<PcaMomentsDevice>(info, fn, "pcaMomentsOpen");
  const RowsArg batch = BatchRowsArg(info, fn, 4, m.dim);
  const double* origin = OptionalFloat64Arg(info, 3, fn, "origin", m.dim);
  PcaMomentsDevice* held = &m;
  return Queue(info, fn, [=]() { return AddPcaMoments(*held, batch.values, batch.weights, origin, batch.rows, kept); });
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* fn = "cuda pcaMomentsRead";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 4);
  PcaMomentsDevice& m = HandleArg<PcaMomentsDevice>(info, fn, "pcaMomentsOpen");
  Napi::Float64Array count = Float64Arg(info, 1, fn, "count");
  Napi::Float64Array sum = Float64Arg(info, 2, fn, "sum");
  Napi::Float64Array cross = Float64Arg(info, 3, fn, "cross");
  RequireLength(env, fn, "count", count.ElementLength(), 1);
  RequireLength(env, fn, "sum", sum.ElementLength(), m.dim);
  RequireLength(env, fn, "cross", cross.ElementLength(), m.dim * m.dim);
  double* c = count.Data();
  double* s = sum.Data();
  double* x = cross.Data();
  PcaMomentsDevice* held = &m;
  return Queue(info, fn, [=]() { return ReadPcaMoments(*held, c, s, x); });
}

Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle<PcaMomentsDevice, ClosePcaMoments>(info, "cuda pcaMomentsClose", "pcaMomentsOpen"); }

}  // namespace

void InitPcaMoments(Napi::Env env, Napi::Object exports) {
  exports.Set("pcaMomentsOpen", Napi::Function::New(env, Open, "pcaMomentsOpen"));
  exports.Set("pcaMomentsAdd", Napi::Function::New(env, Add, "pcaMomentsAdd"));
  exports.Set("pcaMomentsRead", Napi::Function::New(env, Read, "pcaMomentsRead"));
  exports.Set("pcaMomentsClose", Napi::Function::New(env, Close, "pcaMomentsClose"));
}

}  // namespace boundless_cuda
