// linearUpdateOpen, linearUpdateAdd, linearUpdateRead, linearUpdateClose: a linear-learner state
// trained on the device.
#pragma once

#include <napi.h>

namespace boundless_cuda {
void InitLinearUpdate(Napi::Env env, Napi::Object exports);
}
