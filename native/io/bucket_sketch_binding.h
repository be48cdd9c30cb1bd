#pragma once

#include <napi.h>

namespace boundless {

// Adds bucketSketchUpdate and bucketSketchMerge to the exports.
void RegisterBucketSketch(Napi::Env env, Napi::Object exports);

}  // namespace boundless
