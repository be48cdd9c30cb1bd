// Portable kernels: plain loops the compiler may vectorize for the baseline
// target. Four partial sums shorten the dependency chain without -ffast-math.
#include "linalg/linear_algebra.h"

namespace boundless {
namespace {

float DotBaseline(const float* a, const float* b, size_t n) {
  float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

void AxpyBaseline(float alpha, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void DenseLinearRowsBaseline(const float* x, const float* w, const float* bias, float* out,
                             size_t row_begin, size_t row_end, size_t cols, size_t models) {
  for (size_t r = row_begin; r < row_end; ++r) {
    const float* row = x + r * cols;
    float* dst = out + r * models;
    for (size_t m = 0; m < models; ++m) {
      dst[m] = DotBaseline(row, w + m * cols, cols) + (bias ? bias[m] : 0.f);
    }
  }
}

void ProductRowsBaseline(const float* x, const float* w, const float* bias, float* y, size_t row_begin, size_t row_end,
                         size_t in, size_t out) {
  for (size_t r = row_begin; r < row_end; ++r) {
    float* dst = y + r * out;
    for (size_t c = 0; c < out; ++c) dst[c] = bias ? bias[c] : 0.f;
    for (size_t i = 0; i < in; ++i) {
      const float a = x[r * in + i];
      const float* row = w + i * out;
      for (size_t c = 0; c < out; ++c) dst[c] += a * row[c];
    }
  }
}

void TransposedProductAddBaseline(const float* x, const float* dy, float* dw, size_t rows, size_t in, size_t out,
                                  size_t in_begin, size_t in_end, size_t col_begin, size_t col_end) {
  float sum[64];
  for (size_t i = in_begin; i < in_end; ++i) {
    for (size_t c0 = col_begin; c0 < col_end; c0 += 64) {
      const size_t n = col_end - c0 < 64 ? col_end - c0 : 64;
      for (size_t c = 0; c < n; ++c) sum[c] = 0.f;
      for (size_t r = 0; r < rows; ++r) {
        const float a = x[r * in + i];
        const float* d = dy + r * out + c0;
        for (size_t c = 0; c < n; ++c) sum[c] += a * d[c];
      }
      for (size_t c = 0; c < n; ++c) dw[(i - in_begin) * out + c0 + c] += sum[c];
    }
  }
}

}  // namespace

const LinearAlgebraKernels kBaselineLinearAlgebra = {DotBaseline, AxpyBaseline, DenseLinearRowsBaseline,
                                                     ProductRowsBaseline, TransposedProductAddBaseline};

}  // namespace boundless
