// Row-wise softmax and log-softmax, stable for any finite input (the row's
// maximum is subtracted first), and the softmax's backward pass.
#pragma once

#include <cstddef>

namespace boundless {
namespace nn {

// x[r] = softmax(x[r]) for each of `rows` rows of `cols`.
void SoftmaxRows(float* x, size_t rows, size_t cols);

// x[r] = log softmax(x[r]) = x[r] − logsumexp(x[r]); returns nothing, and log_sum (when not
// null) receives each row's logsumexp.
void LogSoftmaxRows(float* x, size_t rows, size_t cols, float* log_sum);

// Given y = softmax(x) and dy = ∂L/∂y, dy becomes ∂L/∂x = y ⊙ (dy − Σ_j dy_j y_j).
void SoftmaxBackward(const float* y, float* dy, size_t rows, size_t cols);

}  // namespace nn
}  // namespace boundless
