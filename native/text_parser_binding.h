#pragma once

#include <napi.h>

namespace boundless {

// Adds the TextParser class and murmurHash3 to the exports.
void RegisterTextParser(Napi::Env env, Napi::Object exports);

}  // namespace boundless
