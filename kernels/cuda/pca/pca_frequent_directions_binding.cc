// pcaFrequentDirectionsOpen(dim, ell, rows, filled, origin) → handle; pcaFrequentDirectionsAdd(handle,
// values, weights, rows, keptBatch?) → Promise; pcaFrequentDirectionsRead(handle, count, sum, squares,
// rows, filled) → Promise; pcaFrequentDirectionsClose(handle). The device work runs on libuv threads;
// a handle's calls are serialized by its mutex. Sizes are checked against the handle before any copy.
#include "pca/pca_frequent_directions_binding.h"

#include <climits>
#include <cmath>
#include <memory>
#include <string>

#include "pca/pca_frequent_directions.cuh"
#include "runtime/arguments.h"
#include "runtime/device_handle.h"
#include "runtime/device_worker.h"

namespace boundless_cuda {
namespace {

using boundless::CheckedProduct;
using boundless::Float64Arg;
using boundless::RequireArgCount;
using boundless::RequireLength;
using boundless::SizeArg;

Napi::Value Open(const Napi::CallbackInfo& info) {
  const char* fn = "cuda pcaFrequentDirectionsOpen";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 5);
  const size_t dim = SizeArg(info, 0, fn, "dim"), ell = SizeArg(info, 1, fn, "ell");
  // 2ℓ rows of the Jacobi's index pairs and of the host's fill count must stay in range.
  if (dim < 1 || dim > INT_MAX || ell < 1 || ell > INT_MAX / 4) {
    throw Napi::RangeError::New(env, std::string(fn) + ": dim must be in 1.." + std::to_string(INT_MAX) + " and ell in 1.." + std::to_string(INT_MAX / 4));
  }
  Napi::Float64Array rows = Float64Arg(info, 2, fn, "rows");
  RequireLength(env, fn, "rows", rows.ElementLength(), CheckedProduct(env, fn, 2 * ell, dim));
  const size_t filled = SizeArg(info, 3, fn, "filled");
  if (filled > 2 * ell) throw Napi::RangeError::New(env, std::string(fn) + ": filled must be at most 2·ell = " + std::to_string(2 * ell));
  const double* origin = OptionalFloat64Arg(info, 4, fn, "origin", dim);
  auto s = std::make_unique<PcaFrequentDirectionsDevice>();
  const std::string error = OpenPcaFrequentDirections(*s, dim, ell, rows.Data(), filled, origin);
  return NewHandle<PcaFrequentDirectionsDevice, ClosePcaFrequentDirections>(env, fn, std::move(s), error);
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda pcaFrequentDirectionsAdd";
  const uint64_t kept = KeptBatchArg(info, fn, 4);
  PcaFrequentDirectionsDevice& s = HandleArg<PcaFrequentDirectionsDevice>(info, fn, "pcaFrequentDirectionsOpen");
  const RowsArg batch = BatchRowsArg(info, fn, 3, s.dim);
  PcaFrequentDirectionsDevice* held = &s;
  return Queue(info, fn, [=]() { return AddPcaFrequentDirections(*held, batch.values, batch.weights, batch.rows, kept); });
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* fn = "cuda pcaFrequentDirectionsRead";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 6);
  PcaFrequentDirectionsDevice& s = HandleArg<PcaFrequentDirectionsDevice>(info, fn, "pcaFrequentDirectionsOpen");
  Napi::Float64Array count = Float64Arg(info, 1, fn, "count");
  Napi::Float64Array sum = Float64Arg(info, 2, fn, "sum");
  Napi::Float64Array squares = Float64Arg(info, 3, fn, "squares");
  Napi::Float64Array rows = Float64Arg(info, 4, fn, "rows");
  Napi::Float64Array filled = Float64Arg(info, 5, fn, "filled");
  RequireLength(env, fn, "count", count.ElementLength(), 1);
  RequireLength(env, fn, "sum", sum.ElementLength(), s.dim);
  RequireLength(env, fn, "squares", squares.ElementLength(), 1);
  RequireLength(env, fn, "rows", rows.ElementLength(), 2 * s.ell * s.dim);
  RequireLength(env, fn, "filled", filled.ElementLength(), 1);
  double* c = count.Data();
  double* m = sum.Data();
  double* q = squares.Data();
  double* b = rows.Data();
  double* f = filled.Data();
  PcaFrequentDirectionsDevice* held = &s;
  return Queue(info, fn, [=]() { return ReadPcaFrequentDirections(*held, c, m, q, b, f); });
}

Napi::Value Close(const Napi::CallbackInfo& info) {
  return CloseHandle<PcaFrequentDirectionsDevice, ClosePcaFrequentDirections>(info, "cuda pcaFrequentDirectionsClose", "pcaFrequentDirectionsOpen");
}

}  // namespace

void InitPcaFrequentDirections(Napi::Env env, Napi::Object exports) {
  exports.Set("pcaFrequentDirectionsOpen", Napi::Function::New(env, Open, "pcaFrequentDirectionsOpen"));
  exports.Set("pcaFrequentDirectionsAdd", Napi::Function::New(env, Add, "pcaFrequentDirectionsAdd"));
  exports.Set("pcaFrequentDirectionsRead", Napi::Function::New(env, Read, "pcaFrequentDirectionsRead"));
  exports.Set("pcaFrequentDirectionsClose", Napi::Function::New(env, Close, "pcaFrequentDirectionsClose"));
}

}  // namespace boundless_cuda
