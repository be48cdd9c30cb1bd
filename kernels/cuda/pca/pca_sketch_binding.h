// pcaSketchOpen, pcaSketchAdd, pcaSketchRead, pcaSketchClose: PCA's randomized sketch held on the device.
#pragma once

#include <napi.h>

namespace boundless_cuda {
void InitPcaSketch(Napi::Env env, Napi::Object exports);
}
