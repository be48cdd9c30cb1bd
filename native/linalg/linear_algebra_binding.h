#pragma once

#include <napi.h>

namespace boundless {

// Adds denseLinear (async), denseLinearSync, dot and axpy to the exports.
void RegisterLinearAlgebra(Napi::Env env, Napi::Object exports);

}  // namespace boundless
