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
  pca::Batch batch = ReadBatchView(reader, info[2].As<Napi::Object>(), f);
  double work = static_cast<double>(batch.rows) * static_cast<double>(dim) * static_cast<double>(dim) / 2;
  return QueueKernel(info.Env(), "boundless:pcaAccumulate", reader, [=]() mutable { pca::Accumulate(batch, dim, moments); }, work);
}

}  // namespace

void RegisterPca(Napi::Env env, Napi::Object exports) {
  exports.Set("pcaAccumulate", Napi::Function::New(env, AccumulateAsync, "pcaAccumulate"));
}

}  // namespace boundless
