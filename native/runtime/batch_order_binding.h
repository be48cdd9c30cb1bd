#pragma once

#include <napi.h>

namespace boundless {

// addBatchOrder(moments: Float64Array, dim, batch) → Promise<void>: the batch's rows added into
// the moments of runtime/batch_order.h (checked as the unsupervised kernels check their batches),
// on a libuv thread, or inline for a small batch.
void RegisterBatchOrder(Napi::Env env, Napi::Object exports);

}  // namespace boundless
