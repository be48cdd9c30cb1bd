// The JavaScript binding of PCA's moments on the device (pca_moments.cuh).
#pragma once

#include <napi.h>

namespace boundless_cuda {

void InitPcaMoments(Napi::Env env, Napi::Object exports);

}  // namespace boundless_cuda
