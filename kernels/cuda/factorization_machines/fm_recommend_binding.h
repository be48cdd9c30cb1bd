// fmRecommend: factorization machines' top-n candidates for one user, scored on the device.
#pragma once

#include <napi.h>

namespace boundless_cuda {
void InitFmRecommend(Napi::Env env, Napi::Object exports);
}
