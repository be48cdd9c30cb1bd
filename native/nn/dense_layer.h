// Fully connected layers on row-major float32 batches: y = x·W + b, and the
// gradients of a loss through it. The NTM's encoder and decoder are built from
// these, and an LSTM cell's gate products will be too (four dense products and
// element-wise activations per step). Two weight layouts, because each has a
// case where it is the fast one:
//  - kOutByIn  (W[out][in], as torch's Linear): y[r][o] = dot(x row r, W row o);
//    the forward reuses the per-ISA dense_linear_rows of linalg/.
//  - kInByOut  (W[in][out], feature-major): y[r] += x[r][i] · W row i — a sparse
//    input row touches only its non-zeros' weight rows (cost ∝ non-zeros), and the
//    NTM's topic-word matrix β[topics][vocabulary] is this layout with θ as input.
// Forward runs rows in parallel; weight gradients are split by output columns
// (kInByOut) or output rows (kOutByIn), so every gradient entry is summed by one
// thread in row order: results do not depend on the thread count.
#pragma once

#include <cstddef>

#include "runtime/batch_view.h"

namespace boundless {
namespace nn {

enum class WeightLayout { kOutByIn, kInByOut };

struct DenseShape {
  size_t rows = 0;  // batch rows
  size_t in = 0;    // input width
  size_t out = 0;   // output width
  WeightLayout layout = WeightLayout::kOutByIn;
};

// y[rows × out] = x[rows × in] · W (+ b[out] when b is not null).
void DenseForward(const DenseShape& shape, const float* x, const float* w, const float* b, float* y);

// Given dy = ∂L/∂y [rows × out]: dw += ∂L/∂W (W's layout), db += Σ_r dy[r] (when not null),
// dx = ∂L/∂x [rows × in] (overwritten; skipped when null).
void DenseBackward(const DenseShape& shape, const float* x, const float* w, const float* dy, float* dx, float* dw,
                   float* db);

// Sparse CSR input (batch.rows rows over `in` = batch.cols columns), W in kInByOut layout
// [in × out]: y[r] = b + Σ_k value_k · W[index_k]. Cost ∝ non-zeros × out.
void SparseForward(const BatchView& x, size_t out, const float* w, const float* b, float* y);

// dw[index_k] += value_k · dy[r] for every stored entry k of row r (cost ∝ non-zeros × out);
// db += Σ_r dy[r] when db is not null.
void SparseBackward(const BatchView& x, size_t out, const float* dy, float* dw, float* db);

}  // namespace nn
}  // namespace boundless
