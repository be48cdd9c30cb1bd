// linearEvaluateOpen, linearEvaluateAdd, linearEvaluateRead, linearEvaluateClose: the linear
// learner's evaluation sums held on the device.
#pragma once

#include <napi.h>

namespace boundless_cuda {
void InitLinearEvaluate(Napi::Env env, Napi::Object exports);
}
