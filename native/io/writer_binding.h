#pragma once

#include <napi.h>

namespace boundless {

// Adds rowBytesBound, encodeRows, predictionLinesBound and encodePredictionLines to the exports.
void RegisterWriters(Napi::Env env, Napi::Object exports);

}  // namespace boundless
