#pragma once

#include <napi.h>

namespace boundless {

void RegisterLinearLearner(Napi::Env env, Napi::Object exports);

}  // namespace boundless
