// AVX2+FMA kernels. Only these functions carry the target attribute, so no
// inline library code in this file is compiled for AVX2 by accident (that
// would let the linker pick an AVX2 copy for callers on older CPUs).
#include "linalg/linear_algebra.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#define BOUNDLESS_AVX2 __attribute__((target("avx2,fma")))

namespace boundless {
namespace {

BOUNDLESS_AVX2 inline float HorizontalSum(__m256 v) {
  __m128 low = _mm256_castps256_ps128(v);
  __m128 high = _mm256_extractf128_ps(v, 1);
  __m128 sum = _mm_add_ps(low, high);
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 0x55));
  return _mm_cvtss_f32(sum);
}

BOUNDLESS_AVX2 float DotAvx2(const float* a, const float* b, size_t n) {
  // Four independent accumulators hide FMA latency (4 cycles, 2 per cycle).
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  }
  float sum = HorizontalSum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

BOUNDLESS_AVX2 void AxpyAvx2(float alpha, const float* x, float* y, size_t n) {
  __m256 scale = _mm256_set1_ps(alpha);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(scale, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  }
  for (; i < n; ++i) y[i] += alpha * x[i];
}

// Lanes to keep for a tail of `remaining` (< 8) columns, for masked loads.
BOUNDLESS_AVX2 inline __m256i TailMask(size_t remaining) {
  alignas(32) static const int32_t kMaskWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                                      0,  0,  0,  0,  0,  0,  0,  0};
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kMaskWindow + 8 - remaining));
}

// A register tile of kRows rows by kModels models: each x load feeds kModels
// FMAs and each w load feeds kRows, instead of one load per FMA in a plain
// dot product. kRows * kModels accumulators stay within the 16 ymm registers.
template <int kRows, int kModels>
BOUNDLESS_AVX2 inline void DenseLinearTile(const float* x, const float* w, const float* bias,
                                           float* out, size_t cols, size_t models) {
  __m256 acc[kRows][kModels];
  for (int i = 0; i < kRows; ++i)
    for (int j = 0; j < kModels; ++j) acc[i][j] = _mm256_setzero_ps();
  size_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    __m256 wv[kModels];
    for (int j = 0; j < kModels; ++j) wv[j] = _mm256_loadu_ps(w + j * cols + c);
    for (int i = 0; i < kRows; ++i) {
      __m256 xv = _mm256_loadu_ps(x + i * cols + c);
      for (int j = 0; j < kModels; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  if (c < cols) {
    __m256i mask = TailMask(cols - c);
    __m256 wv[kModels];
    for (int j = 0; j < kModels; ++j) wv[j] = _mm256_maskload_ps(w + j * cols + c, mask);
    for (int i = 0; i < kRows; ++i) {
      __m256 xv = _mm256_maskload_ps(x + i * cols + c, mask);
      for (int j = 0; j < kModels; ++j) acc[i][j] = _mm256_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < kRows; ++i)
    for (int j = 0; j < kModels; ++j)
      out[i * models + j] = HorizontalSum(acc[i][j]) + (bias ? bias[j] : 0.f);
}

BOUNDLESS_AVX2 void DenseLinearRowsAvx2(const float* x, const float* w, const float* bias,
                                        float* out, size_t row_begin, size_t row_end, size_t cols,
                                        size_t models) {
  constexpr int kRows = 4;
  constexpr int kModels = 3;
  size_t r = row_begin;
  for (; r + kRows <= row_end; r += kRows) {
    const float* rows = x + r * cols;
    float* dst = out + r * models;
    size_t m = 0;
    for (; m + kModels <= models; m += kModels) {
      DenseLinearTile<kRows, kModels>(rows, w + m * cols, bias ? bias + m : nullptr, dst + m, cols,
                                      models);
    }
    // Leftover models: a plain dot per row, whose four accumulators hide FMA
    // latency better than a one-model tile does.
    for (; m < models; ++m) {
      for (int i = 0; i < kRows; ++i) {
        dst[i * models + m] = DotAvx2(rows + i * cols, w + m * cols, cols) + (bias ? bias[m] : 0.f);
      }
    }
  }
  for (; r < row_end; ++r) {
    const float* row = x + r * cols;
    float* dst = out + r * models;
    size_t m = 0;
    for (; m + kModels <= models; m += kModels) {
      DenseLinearTile<1, kModels>(row, w + m * cols, bias ? bias + m : nullptr, dst + m, cols, models);
    }
    for (; m < models; ++m) dst[m] = DotAvx2(row, w + m * cols, cols) + (bias ? bias[m] : 0.f);
  }
}

// kRows rows × 16 columns of y = bias + x·W (W [in × out]) from column c: 2·kRows accumulators;
// each W load feeds kRows FMAs. `mask` (with `masked`) limits a tail of fewer than 16 columns.
template <int kRows, bool kMasked>
BOUNDLESS_AVX2 inline void ProductTile(const float* x, const float* w, const float* bias, float* y, size_t in, size_t out,
                                       size_t c, __m256i mask0, __m256i mask1) {
  __m256 acc[kRows][2];
  __m256 b0 = _mm256_setzero_ps(), b1 = _mm256_setzero_ps();
  if (bias) {
    b0 = kMasked ? _mm256_maskload_ps(bias + c, mask0) : _mm256_loadu_ps(bias + c);
    b1 = kMasked ? _mm256_maskload_ps(bias + c + 8, mask1) : _mm256_loadu_ps(bias + c + 8);
  }
  for (int r = 0; r < kRows; ++r) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  for (size_t i = 0; i < in; ++i) {
    const float* row = w + i * out + c;
    __m256 w0 = kMasked ? _mm256_maskload_ps(row, mask0) : _mm256_loadu_ps(row);
    __m256 w1 = kMasked ? _mm256_maskload_ps(row + 8, mask1) : _mm256_loadu_ps(row + 8);
    for (int r = 0; r < kRows; ++r) {
      __m256 a = _mm256_broadcast_ss(x + r * in + i);
      acc[r][0] = _mm256_fmadd_ps(a, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, w1, acc[r][1]);
    }
  }
  for (int r = 0; r < kRows; ++r) {
    float* dst = y + r * out + c;
    if (kMasked) {
      _mm256_maskstore_ps(dst, mask0, acc[r][0]);
      _mm256_maskstore_ps(dst + 8, mask1, acc[r][1]);
    } else {
      _mm256_storeu_ps(dst, acc[r][0]);
      _mm256_storeu_ps(dst + 8, acc[r][1]);
    }
  }
}

// Masks for a tail of `remaining` (< 16) columns: the first 8 lanes, then the next 8.
BOUNDLESS_AVX2 inline void TailMasks(size_t remaining, __m256i* mask0, __m256i* mask1) {
  *mask0 = remaining >= 8 ? _mm256_set1_epi32(-1) : TailMask(remaining);
  *mask1 = remaining > 8 ? TailMask(remaining - 8) : _mm256_setzero_si256();
}

// Columns [col_begin, col_end) of kRows rows; col_begin is a multiple of 16 apart from col_end.
template <int kRows>
BOUNDLESS_AVX2 inline void ProductRowBlock(const float* x, const float* w, const float* bias, float* y, size_t in, size_t out,
                                           size_t col_begin, size_t col_end) {
  const __m256i all = _mm256_set1_epi32(-1);
  size_t c = col_begin;
  for (; c + 16 <= col_end; c += 16) ProductTile<kRows, false>(x, w, bias, y, in, out, c, all, all);
  if (c < col_end) {
    __m256i mask0, mask1;
    TailMasks(col_end - c, &mask0, &mask1);
    ProductTile<kRows, true>(x, w, bias, y, in, out, c, mask0, mask1);
  }
}

// W is read in column panels of about 256 KiB that stay in L2 while every row block meets them:
// a W wider than the cache (the linear learner's 784 features × 32 models × 10 classes is 1 MB)
// comes from memory once per call rather than once per 4 rows. Each entry's sum is unchanged.
BOUNDLESS_AVX2 void ProductRowsAvx2(const float* x, const float* w, const float* bias, float* y, size_t row_begin,
                                    size_t row_end, size_t in, size_t out) {
  constexpr size_t kPanelBytes = 256 * 1024;
  const size_t panel = std::max<size_t>(16, kPanelBytes / (std::max<size_t>(1, in) * sizeof(float)) / 16 * 16);
  for (size_t c0 = 0; c0 < out; c0 += panel) {
    const size_t c1 = std::min(out, c0 + panel);
    size_t r = row_begin;
    for (; r + 4 <= row_end; r += 4) ProductRowBlock<4>(x + r * in, w, bias, y + r * out, in, out, c0, c1);
    for (; r < row_end; ++r) ProductRowBlock<1>(x + r * in, w, bias, y + r * out, in, out, c0, c1);
  }
}

// dw[i..i+kIn)[c..c+16) += Σ_r x[r][i]·dy[r][c]: 2·kIn accumulators over the rows, then one add
// (dw points at row i's block: the caller offsets it).
template <int kIn, bool kMasked>
BOUNDLESS_AVX2 inline void TransposedTile(const float* x, const float* dy, float* dw, size_t rows, size_t in, size_t out,
                                          size_t i, size_t c, __m256i mask0, __m256i mask1) {
  __m256 acc[kIn][2];
  for (int j = 0; j < kIn; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
  for (size_t r = 0; r < rows; ++r) {
    const float* d = dy + r * out + c;
    __m256 d0 = kMasked ? _mm256_maskload_ps(d, mask0) : _mm256_loadu_ps(d);
    __m256 d1 = kMasked ? _mm256_maskload_ps(d + 8, mask1) : _mm256_loadu_ps(d + 8);
    for (int j = 0; j < kIn; ++j) {
      __m256 a = _mm256_broadcast_ss(x + r * in + i + j);
      acc[j][0] = _mm256_fmadd_ps(a, d0, acc[j][0]);
      acc[j][1] = _mm256_fmadd_ps(a, d1, acc[j][1]);
    }
  }
  for (int j = 0; j < kIn; ++j) {
    float* dst = dw + j * out + c;
    if (kMasked) {
      _mm256_maskstore_ps(dst, mask0, _mm256_add_ps(_mm256_maskload_ps(dst, mask0), acc[j][0]));
      _mm256_maskstore_ps(dst + 8, mask1, _mm256_add_ps(_mm256_maskload_ps(dst + 8, mask1), acc[j][1]));
    } else {
      _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_loadu_ps(dst), acc[j][0]));
      _mm256_storeu_ps(dst + 8, _mm256_add_ps(_mm256_loadu_ps(dst + 8), acc[j][1]));
    }
  }
}

template <int kIn>
BOUNDLESS_AVX2 inline void TransposedColumns(const float* x, const float* dy, float* dw, size_t rows, size_t in, size_t out,
                                             size_t i, size_t col_begin, size_t col_end) {
  const __m256i all = _mm256_set1_epi32(-1);
  size_t c = col_begin;
  for (; c + 16 <= col_end; c += 16) TransposedTile<kIn, false>(x, dy, dw, rows, in, out, i, c, all, all);
  if (c < col_end) {
    __m256i mask0, mask1;
    TailMasks(col_end - c, &mask0, &mask1);
    TransposedTile<kIn, true>(x, dy, dw, rows, in, out, i, c, mask0, mask1);
  }
}

BOUNDLESS_AVX2 void TransposedProductAddAvx2(const float* x, const float* dy, float* dw, size_t rows, size_t in,
                                             size_t out, size_t in_begin, size_t in_end, size_t col_begin, size_t col_end) {
  size_t i = in_begin;
  for (; i + 4 <= in_end; i += 4) TransposedColumns<4>(x, dy, dw + (i - in_begin) * out, rows, in, out, i, col_begin, col_end);
  for (; i < in_end; ++i) TransposedColumns<1>(x, dy, dw + (i - in_begin) * out, rows, in, out, i, col_begin, col_end);
}

}  // namespace

const LinearAlgebraKernels kAvx2LinearAlgebra = {DotAvx2, AxpyAvx2, DenseLinearRowsAvx2, ProductRowsAvx2,
                                                 TransposedProductAddAvx2};

}  // namespace boundless
#endif  // __x86_64__
