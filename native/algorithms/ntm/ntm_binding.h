// JS bindings of the neural topic model's kernel.
#pragma once

#include <napi.h>

namespace boundless {
void RegisterNtm(Napi::Env env, Napi::Object exports);
}
