// JS binding of the batch checks the unsupervised kernels run first. A GPU kernel that keeps its
// state on the device cannot take a bad batch back once enqueued, nor learn of it without a
// read-back per batch; it checks on a libuv thread first (inline for small batches).
#include "runtime/batch_checks_binding.h"

#include "runtime/arguments.h"
#include "runtime/async_kernel.h"
#include "runtime/batch_view.h"

namespace boundless {
namespace {

Napi::Value ValidateFeatureRowsAsync(const Napi::CallbackInfo& info) {
  const char* f = "validateFeatureRows";
  RequireArgCount(info, f, 2);
  size_t dim = SizeArg(info, 1, f, "dim");
  ArrayReader reader(info.Env(), f);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 0, f, "batch"), f);
  return QueueKernel(info.Env(), "boundless:validateFeatureRows", reader, [=]() { ValidateFeatureRows(batch, dim); },
                     StoredValues(batch));
}

}  // namespace

void RegisterBatchChecks(Napi::Env env, Napi::Object exports) {
  exports.Set("validateFeatureRows", Napi::Function::New(env, ValidateFeatureRowsAsync, "validateFeatureRows"));
}

}  // namespace boundless
