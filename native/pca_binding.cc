// JS binding of PCA's moment accumulation: on a libuv thread (inline for small batches).
#include "pca_binding.h"

#include <string>

#include "arguments.h"
#include "async_kernel.h"
#include "pca.h"

namespace boundless {
namespace {

// pcaAccumulate(moments: {count, sum, cross}, dim, batch) → Promise
Napi::Value AccumulateAsync(const Napi::CallbackInfo& info) {
  const char* f = "pcaAccumulate";
  RequireArgCount(info, f, 3);
  if (!info[0].IsObject() || !info[2].IsObject()) throw Napi::TypeError::New(info.Env(), "pcaAccumulate: moments and batch must be objects");
  size_t dim = SizeArg(info, 1, f, "dim");
  ArrayReader reader(info.Env(), f);
  Napi::Object mo = info[0].As<Napi::Object>();
  pca::Moments moments;
  moments.count = reader.Get<double>(mo, "moments", "count", napi_float64_array, 1, true);
  moments.sum = reader.Get<double>(mo, "moments", "sum", napi_float64_array, dim, true);
  moments.cross = reader.Get<double>(mo, "moments", "cross", napi_float64_array, CheckedProduct(info.Env(), f, dim, dim), true);
  Napi::Object bo = info[2].As<Napi::Object>();
  pca::Batch batch;
  batch.rows = static_cast<size_t>(bo.Get("rows").ToNumber().Int64Value());
  batch.cols = static_cast<size_t>(bo.Get("cols").ToNumber().Int64Value());
  Napi::Value kind = bo.Get("kind");
  batch.sparse = kind.IsString() && kind.As<Napi::String>().Utf8Value() == "sparse";
  if (batch.sparse) {
    batch.indptr = reader.Get<int32_t>(bo, "batch", "indptr", napi_int32_array, batch.rows + 1, true);
    if (batch.indptr[0] != 0 || batch.indptr[batch.rows] < 0) reader.Fail("batch", "indptr", "must start at 0 and not end below it");
    size_t nnz = static_cast<size_t>(batch.indptr[batch.rows]);
    batch.indices = reader.Get<uint32_t>(bo, "batch", "indices", napi_uint32_array, nnz, true);
    batch.values = reader.Get<float>(bo, "batch", "values", napi_float32_array, nnz, true);
  } else {
    batch.values = reader.Get<float>(bo, "batch", "values", napi_float32_array, CheckedProduct(info.Env(), f, batch.rows, batch.cols), true);
  }
  batch.weights = reader.Get<float>(bo, "batch", "weights", napi_float32_array, batch.rows, false);
  double work = static_cast<double>(batch.rows) * static_cast<double>(dim) * static_cast<double>(dim) / 2;
  return QueueKernel(info.Env(), "boundless:pcaAccumulate", reader, [=]() mutable { pca::Accumulate(batch, dim, moments); }, work);
}

}  // namespace

void RegisterPca(Napi::Env env, Napi::Object exports) {
  exports.Set("pcaAccumulate", Napi::Function::New(env, AccumulateAsync, "pcaAccumulate"));
}

}  // namespace boundless
