// fmOpen, fmAdd, fmRead, fmClose: a factorization-machine state trained and scored on the device.
#pragma once

#include <napi.h>

namespace boundless_cuda {
void InitFmStep(Napi::Env env, Napi::Object exports);
}
