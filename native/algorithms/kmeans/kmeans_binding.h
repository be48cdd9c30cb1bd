#pragma once

#include <napi.h>

namespace boundless {

void RegisterKmeans(Napi::Env env, Napi::Object exports);

}  // namespace boundless
