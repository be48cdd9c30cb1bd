#pragma once

#include <napi.h>

namespace boundless {

// Adds runtimeInfo(): the selected ISA, thread count and any rejected
// environment overrides, for listBackends() and bug reports.
void RegisterRuntimeInfo(Napi::Env env, Napi::Object exports);

}  // namespace boundless
