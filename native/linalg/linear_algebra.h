// Dense linear-algebra kernels shared by the algorithms: the dense linear
// layer (one dot product per row and model: out = X * W^T + b) and the
// dot/axpy pair. Each has a portable baseline and an AVX2+FMA variant; a
// table of function pointers is filled once from the selected ISA.
#pragma once

#include <cstddef>

namespace boundless {

struct LinearAlgebraKernels {
  // Sum of a[i] * b[i] for i < n.
  float (*dot)(const float* a, const float* b, size_t n);
  // y[i] += alpha * x[i] for i < n.
  void (*axpy)(float alpha, const float* x, float* y, size_t n);
  // out[r * models + m] = bias[m] + dot(x row r, w row m) for rows
  // [row_begin, row_end); bias may be null.
  void (*dense_linear_rows)(const float* x, const float* w, const float* bias, float* out,
                            size_t row_begin, size_t row_end, size_t cols, size_t models);
  // The product with a feature-major W [in × out]: y[r][c] = bias[c] + Σ_i x[r][i]·w[i][c] for rows
  // [row_begin, row_end) and all `out` columns (bias may be null). Each entry is summed over i in
  // order, starting from its bias, whatever rows a call is given.
  void (*product_rows)(const float* x, const float* w, const float* bias, float* y, size_t row_begin, size_t row_end,
                       size_t in, size_t out);
  // dw[i − in_begin][c] += Σ_r x[r][i]·dy[r][c] over all `rows`, for features [in_begin, in_end) and
  // columns [col_begin, col_end) (dw holds rows in_begin.. of the gradient, `out` wide): the weight
  // gradient of product_rows. Each entry is summed over r in order, then added, whatever the ranges.
  void (*transposed_product_add)(const float* x, const float* dy, float* dw, size_t rows, size_t in, size_t out,
                                 size_t in_begin, size_t in_end, size_t col_begin, size_t col_end);
};

// The kernels for the ISA selected at load (cpu_features.h).
const LinearAlgebraKernels& SelectedLinearAlgebraKernels();

// Per-ISA tables, defined in linear_algebra_<isa>.cc.
extern const LinearAlgebraKernels kBaselineLinearAlgebra;
#if defined(__x86_64__)
extern const LinearAlgebraKernels kAvx2LinearAlgebra;
#endif

// out = X * W^T + bias over all rows, split across the shared thread pool.
void DenseLinear(const float* x, const float* w, const float* bias, float* out, size_t rows,
                 size_t cols, size_t models);

// Σ a[t]·b[t] in float64 over eight interleaved partial sums: the adds pipeline (and
// vectorize) instead of waiting on one another; the order is fixed, so results repeat.
inline double PipelinedDot(const double* a, const double* b, size_t n) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t t = 0;
  for (; t + 8 <= n; t += 8) {
    for (size_t l = 0; l < 8; l++) lane[l] += a[t + l] * b[t + l];
  }
  for (; t < n; t++) lane[t % 8] += a[t] * b[t];
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
}

}  // namespace boundless
