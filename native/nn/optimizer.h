// The optimizers of SageMaker's NTM (and DeepAR): sgd, adam, adagrad, rmsprop and
// adadelta, with MXNet's gradient preprocessing, since SageMaker's algorithms ran
// on MXNet: g ← clip(rescale·g, ±clip) + weight_decay·w, then the rule's step.
// AdaDelta (Zeiler 2012) has no learning rate: its step is the ratio of two running
// RMS values, and MXNet's has none either; callers pass learning_rate 1 for the
// step as published (scaling it by SageMaker's 0.001 stalls training).
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {
namespace nn {

enum class Optimizer : uint32_t { kSgd = 0, kAdam = 1, kAdagrad = 2, kRmsprop = 3, kAdadelta = 4 };

struct OptimizerSettings {
  Optimizer kind = Optimizer::kAdam;
  float learning_rate = 0.001f;
  float beta1 = 0.9f;     // adam
  float beta2 = 0.999f;   // adam
  float rho = 0.9f;       // rmsprop's and adadelta's decay
  float epsilon = 1e-8f;
  float weight_decay = 0;
  float clip_gradient = 0;  // ≤ 0: none
  float rescale_gradient = 1;
};

// Moment arrays the rule needs: adam and adadelta 2, adagrad and rmsprop 1, sgd 0.
size_t MomentArrays(Optimizer kind);

// One step on n parameters: w, the gradient g (not modified), moments m1/m2 (as needed).
// step is the 1-based count of steps taken, including this one (adam's bias correction).
void OptimizerStep(const OptimizerSettings& s, float* w, const float* g, float* m1, float* m2, size_t n, double step);

}  // namespace nn
}  // namespace boundless
