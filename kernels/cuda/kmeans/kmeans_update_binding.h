// kmeansOpen, kmeansAdd, kmeansRead, kmeansClose: streaming k-means held on the device.
#pragma once

#include <napi.h>

namespace boundless_cuda {
void InitKmeansUpdate(Napi::Env env, Napi::Object exports);
}
