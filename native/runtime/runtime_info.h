#pragma once

#include <napi.h>

namespace boundless {

// Adds runtimeInfo(): the selected ISA, thread count and any rejected
// environment overrides, for listBackends() and bug reports; and
// setCallerSerial(on), the calling thread's share of the thread budget (one
// core, for data-parallel workers as many as the budget).
void RegisterRuntimeInfo(Napi::Env env, Napi::Object exports);

}  // namespace boundless
