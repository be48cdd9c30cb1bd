// JS bindings of DeepAR's network kernel (deepar_binding.cc) and of the model around it
// (deepar_model_binding.cc).
#pragma once

#include <napi.h>

#include "algorithms/deepar/deepar_network.h"

namespace boundless {
// settings: { features, cells, layers, likelihood, zoneout, seed, optimizer: {…} }; `features`
// is read only when `read_features` (the model binding computes it).
deepar::NetworkSettings ReadNetworkSettings(const Napi::Object& o, const char* f, bool read_features = true);
void RegisterDeepar(Napi::Env env, Napi::Object exports);
void RegisterDeeparModel(Napi::Env env, Napi::Object exports);
}
