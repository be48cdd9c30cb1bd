#pragma once

#include <napi.h>

namespace boundless {

void RegisterPca(Napi::Env env, Napi::Object exports);

}  // namespace boundless
