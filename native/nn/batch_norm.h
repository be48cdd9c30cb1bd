// Batch normalisation (Ioffe & Szegedy 2015) over the rows of a batch, per
// column: y = γ·(x − mean)/√(var + ε) + β in training (the batch's biased
// moments, running moments updated as MXNet does: r ← m·r + (1 − m)·batch), and
// with the running moments at inference. γ and β may be null (no affine part).
// A training batch of one row has no variance: it is normalised with the running
// moments, which it leaves as they are, and its backward pass treats them as constants.
#pragma once

#include <cstddef>

namespace boundless {
namespace nn {

struct BatchNormShape {
  size_t rows = 0, cols = 0;
  float momentum = 0.9f;  // weight of the old running moments
  float epsilon = 1e-5f;
};

// x [rows × cols] in place → y. Training: normalized [rows × cols] and inv_std [cols] receive
// what the backward pass needs, and the running moments are updated (when not null).
void BatchNormForward(const BatchNormShape& s, float* x, const float* gamma, const float* beta, float* running_mean,
                      float* running_var, bool training, float* normalized, float* inv_std);

// dy [rows × cols] in place → dx; dgamma, dbeta += (when not null).
void BatchNormBackward(const BatchNormShape& s, const float* normalized, const float* inv_std, const float* gamma,
                       float* dy, float* dgamma, float* dbeta);

}  // namespace nn
}  // namespace boundless
