// DeepAR's network (Salinas et al. 2020) over a batch of windows in one call:
// stacked LSTM layers (each above the first with a residual connection, y + its input, as
// GluonTS's DeepAR) unrolled over the window's T steps (teacher forcing: the
// inputs at step t hold the target at t − 1 and the covariates at t, prepared by the
// caller), a dense projection of the last layer to the likelihood's raw parameters at
// every step, and the likelihood's negative log-likelihood of the targets. One call
// computes the loss, back-propagates through time and (when training) takes one
// optimizer step over every parameter. All parameters live in one flat array laid out
// by NetworkLayout; inputs are time-major [T × B × F], targets and weights [T × B]
// (weight 0: a missing or padded value, no loss).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/likelihood.h"
#include "nn/optimizer.h"

namespace boundless {
namespace deepar {

struct NetworkSettings {
  size_t features = 0;  // F, inputs per step
  size_t cells = 0;     // H, num_cells
  size_t layers = 0;    // num_layers
  nn::Likelihood likelihood = nn::Likelihood::kGaussian;
  float zoneout = 0;    // dropout_rate: the probability a unit keeps its previous value (training only)
  uint64_t seed = 0;
  nn::OptimizerSettings optimizer;
};

struct NetworkLayout {
  std::vector<size_t> input, recurrent, bias;  // per layer: W_x [in × 4H], W_h [H × 4H], b [4H]
  size_t projection = 0, projection_bias = 0;  // [H × P], [P]
  size_t parameters = 0;
};

NetworkLayout MakeNetworkLayout(const NetworkSettings& s);

struct Window {
  size_t steps = 0, rows = 0;        // T, B
  const float* inputs = nullptr;     // [T × B × F]
  const float* targets = nullptr;    // [T × B], in the scaled space the likelihood models
  const float* weights = nullptr;    // [T × B]
  const float* scales = nullptr;     // [T × B] ν for the negative binomial (nn/likelihood.h); null: 1
  float* input_gradient = nullptr;   // [T × B × F] ∂(mean loss)/∂inputs, written when the gradient is (null: not needed)
};

// Σ weight · NLL over the window; with `gradient` (parameters-sized) the loss's gradient with
// respect to every parameter divided by Σ weight (overwritten). `step` selects the zoneout draws.
double NetworkLoss(const NetworkSettings& s, const float* parameters, const Window& w, float* gradient, uint64_t step);

// One optimizer step on the window's mean loss; returns Σ weight · NLL before the step.
// `moments` are the optimizer's arrays (nn::MomentArrays of them), `counters` [steps taken].
double NetworkTrainStep(const NetworkSettings& s, float* parameters, float* moment1, float* moment2, double* steps, const Window& w);

}  // namespace deepar
}  // namespace boundless
