#pragma once

#include <napi.h>

namespace boundless {

// validateFeatureRows(batch, dim, name?) → Promise<{maxAbs, minWeight, maxWeight}>: the unsupervised kernels' own batch checks
// (batch_view.h ValidateFeatureRows), for GPU kernels that must refuse a bad batch with the cpu
// kernel's message before they enqueue any work on state that lives on the device.
void RegisterBatchChecks(Napi::Env env, Napi::Object exports);

}  // namespace boundless
