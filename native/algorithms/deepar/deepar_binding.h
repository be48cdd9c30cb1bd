// JS bindings of DeepAR's network kernel.
#pragma once

#include <napi.h>

namespace boundless {
void RegisterDeepar(Napi::Env env, Napi::Object exports);
}
