// The JavaScript binding of the cuda backend's row kernels (rowKernel).
#pragma once

#include <napi.h>

namespace boundless_cuda {

void InitRowKernels(Napi::Env env, Napi::Object exports);

}  // namespace boundless_cuda
