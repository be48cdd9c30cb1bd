#pragma once

#include <napi.h>

namespace boundless {

// adviseHugePages(typedArray) → whether the kernel took the advice.
void RegisterMemoryAdvice(Napi::Env env, Napi::Object exports);

}  // namespace boundless
