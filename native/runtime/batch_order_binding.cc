#include "runtime/batch_order_binding.h"

#include "runtime/arguments.h"
#include "runtime/async_kernel.h"
#include "runtime/batch_order.h"

#include <string>

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

// addLabelOrder / addLabelRuns(moments, batch): a batch's labels added into `length` float64 sums.
Napi::Value AddLabelMomentsAsync(const Napi::CallbackInfo& info, const char* f, const char* resource, size_t length,
                                 void (*add)(const BatchView&, double*)) {
  RequireArgCount(info, f, 2);
  ArrayReader reader(info.Env(), f);
  double* moments = reader.Arg<double>(info, 0, "moments", napi_float64_array, length, true);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  if (batch.labels == nullptr && batch.rows > 0) throw Napi::TypeError::New(info.Env(), std::string(f) + ": the batch has no labels");
  return QueueKernel(info.Env(), resource, reader, [=]() { add(batch, moments); },
                     static_cast<double>(batch.rows));
}

Napi::Value AddLabelOrderAsync(const Napi::CallbackInfo& info) {
  return AddLabelMomentsAsync(info, "addLabelOrder", "boundless:addLabelOrder", kLabelOrderLength, AddLabelOrder);
}

Napi::Value AddLabelRunsAsync(const Napi::CallbackInfo& info) {
  return AddLabelMomentsAsync(info, "addLabelRuns", "boundless:addLabelRuns", kLabelRunsLength, AddLabelRuns);
}

}  // namespace

void RegisterBatchOrder(Napi::Env env, Napi::Object exports) {
  exports.Set("addBatchOrder", Napi::Function::New(env, AddBatchOrderAsync, "addBatchOrder"));
  exports.Set("addLabelOrder", Napi::Function::New(env, AddLabelOrderAsync, "addLabelOrder"));
  exports.Set("addLabelRuns", Napi::Function::New(env, AddLabelRunsAsync, "addLabelRuns"));
}

}  // namespace boundless
