#include "runtime/batch_order_binding.h"

#include "runtime/arguments.h"
#include "runtime/async_kernel.h"
#include "runtime/batch_order.h"

namespace boundless {
namespace {

Napi::Value AddBatchOrderAsync(const Napi::CallbackInfo& info) {
  const char* f = "addBatchOrder";
  RequireArgCount(info, f, 3);
  ArrayReader reader(info.Env(), f);
  const size_t dim = SizeArg(info, 1, f, "dim");
  double* moments = reader.Arg<double>(info, 0, "moments", napi_float64_array, BatchOrderLength(dim), true);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 2, f, "batch"), f);
  return QueueKernel(info.Env(), "boundless:addBatchOrder", reader, [=]() {
    ValidateFeatureRows(batch, dim);
    AddBatchOrder(batch, dim, moments);
  }, StoredValues(batch));
}

}  // namespace

void RegisterBatchOrder(Napi::Env env, Napi::Object exports) {
  exports.Set("addBatchOrder", Napi::Function::New(env, AddBatchOrderAsync, "addBatchOrder"));
}

}  // namespace boundless
