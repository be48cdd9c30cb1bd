#pragma once

#include <napi.h>

namespace boundless {

// Adds the StreamParser class and murmurHash3 to the exports.
void RegisterStreamParser(Napi::Env env, Napi::Object exports);

}  // namespace boundless
