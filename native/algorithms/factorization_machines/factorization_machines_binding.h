// JS bindings of the factorization-machine kernels.
#pragma once

#include <napi.h>

namespace boundless {
void RegisterFactorizationMachines(Napi::Env env, Napi::Object exports);
}
