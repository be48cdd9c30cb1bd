// pcaFrequentDirectionsOpen, …Add, …Read, …Close: PCA's Frequent Directions sketch held on the device.
#pragma once

#include <napi.h>

namespace boundless_cuda {
void InitPcaFrequentDirections(Napi::Env env, Napi::Object exports);
}
