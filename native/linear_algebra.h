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

}  // namespace boundless
