// JS bindings of the neural-network kernels, one function each, synchronous: the
// surface the gradient tests check every kernel through (finite differences and a
// float64 reference in test/nn/). Algorithms call the kernels from C++ (one native
// call per batch), never through these.
#pragma once

#include <napi.h>

#include "nn/optimizer.h"

namespace boundless {
void RegisterNeuralNetwork(Napi::Env env, Napi::Object exports);

// { kind, learningRate, beta1, beta2, rho, epsilon, weightDecay, clipGradient, rescaleGradient } read
// and checked (a RangeError or TypeError naming function f); the algorithms' bindings share it.
nn::OptimizerSettings ReadOptimizerSettings(const Napi::Object& o, const char* f);
}  // namespace boundless
