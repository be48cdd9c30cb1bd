#include "nn/dense_layer.h"

#include <algorithm>
#include <cstring>

#include "linalg/linear_algebra.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace nn {
namespace {

// Chunks of at least ~32k multiply-adds, so a thread's hand-over pays for itself.
size_t MinChunk(size_t work_per_item) { return std::max<size_t>(1, (32 * 1024) / std::max<size_t>(1, work_per_item)); }

// A narrow input (a decoder's topic proportions, a hidden layer) is dense: register-tiled products.
// A wide one (a bag of words read as dense rows) is mostly zeros: one axpy per non-zero.
bool WideInput(const DenseShape& s) { return s.in > 256; }

void ForwardInByOut(const DenseShape& s, const float* x, const float* w, const float* b, float* y) {
  const LinearAlgebraKernels& k = SelectedLinearAlgebraKernels();
  if (!WideInput(s)) {
    ThreadPool::Shared().ParallelFor(s.rows, MinChunk(s.in * s.out), [&](size_t begin, size_t end) {
      k.product_rows(x, w, b, y, begin, end, s.in, s.out);
    });
    return;
  }
  ThreadPool::Shared().ParallelFor(s.rows, MinChunk(s.in * s.out), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      float* yr = y + r * s.out;
      if (b) std::memcpy(yr, b, s.out * sizeof(float)); else std::fill(yr, yr + s.out, 0.0f);
      const float* xr = x + r * s.in;
      for (size_t i = 0; i < s.in; i++) {
        if (xr[i] != 0.0f) k.axpy(xr[i], w + i * s.out, yr, s.out);
      }
    }
  });
}

// db[o] += Σ_r dy[r][o], rows in order.
void BiasGradient(size_t rows, size_t out, const float* dy, float* db) {
  for (size_t r = 0; r < rows; r++) {
    const float* d = dy + r * out;
    for (size_t o = 0; o < out; o++) db[o] += d[o];
  }
}

}  // namespace

void DenseForward(const DenseShape& s, const float* x, const float* w, const float* b, float* y) {
  if (s.layout == WeightLayout::kInByOut) {
    ForwardInByOut(s, x, w, b, y);
  } else {
    DenseLinear(x, w, b, y, s.rows, s.in, s.out);
  }
}

void DenseBackward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                   float* db) {
  const LinearAlgebraKernels& k = SelectedLinearAlgebraKernels();
  ThreadPool& pool = ThreadPool::Shared();
  if (s.layout == WeightLayout::kOutByIn) {
    // dW[o] += Σ_r dy[r][o] · x[r]: each output row o summed by one thread.
    pool.ParallelFor(s.out, MinChunk(s.rows * s.in), [&](size_t begin, size_t end) {
      for (size_t o = begin; o < end; o++) {
        for (size_t r = 0; r < s.rows; r++) {
          float g = dy[r * s.out + o];
          if (g != 0.0f) k.axpy(g, x + r * s.in, dw + o * s.in, s.in);
        }
      }
    });
    if (dx) {
      pool.ParallelFor(s.rows, MinChunk(s.in * s.out), [&](size_t begin, size_t end) {
        for (size_t r = begin; r < end; r++) {
          float* d = dx + r * s.in;
          std::fill(d, d + s.in, 0.0f);
          for (size_t o = 0; o < s.out; o++) {
            float g = dy[r * s.out + o];
            if (g != 0.0f) k.axpy(g, w + o * s.in, d, s.in);
          }
        }
      });
    }
  } else {
    // dW[i][o] += Σ_r x[r][i] · dy[r][o]: threads own column ranges [o0, o1) of every row i.
    pool.ParallelFor(s.out, std::max<size_t>(16, MinChunk(s.rows * s.in)), [&](size_t o0, size_t o1) {
      if (!WideInput(s)) {
        k.transposed_product_add(x, dy, dw, s.rows, s.in, s.out, 0, s.in, o0, o1);
        return;
      }
      for (size_t r = 0; r < s.rows; r++) {
        const float* xr = x + r * s.in;
        const float* d = dy + r * s.out + o0;
        for (size_t i = 0; i < s.in; i++) {
          if (xr[i] != 0.0f) k.axpy(xr[i], d, dw + i * s.out + o0, o1 - o0);
        }
      }
    });
    if (dx) {
      pool.ParallelFor(s.rows, MinChunk(s.in * s.out), [&](size_t begin, size_t end) {
        for (size_t r = begin; r < end; r++) {
          for (size_t i = 0; i < s.in; i++) dx[r * s.in + i] = k.dot(w + i * s.out, dy + r * s.out, s.out);
        }
      });
    }
  }
  if (db) BiasGradient(s.rows, s.out, dy, db);
}

void SparseForward(const BatchView& x, size_t out, const float* w, const float* b, float* y) {
  const LinearAlgebraKernels& k = SelectedLinearAlgebraKernels();
  size_t per_row = x.rows ? static_cast<size_t>(x.indptr[x.rows]) / x.rows + 1 : 1;
  ThreadPool::Shared().ParallelFor(x.rows, MinChunk(per_row * out), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      float* yr = y + r * out;
      if (b) std::memcpy(yr, b, out * sizeof(float)); else std::fill(yr, yr + out, 0.0f);
      for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) k.axpy(x.values[e], w + size_t(x.indices[e]) * out, yr, out);
    }
  });
}

void SparseBackward(const BatchView& x, size_t out, const float* dy, float* dw, float* db) {
  const LinearAlgebraKernels& k = SelectedLinearAlgebraKernels();
  size_t nnz = x.rows ? static_cast<size_t>(x.indptr[x.rows]) : 0;
  // Column ranges, so two rows with the same word never write one entry from two threads.
  ThreadPool::Shared().ParallelFor(out, std::max<size_t>(8, MinChunk(nnz)), [&](size_t o0, size_t o1) {
    for (size_t r = 0; r < x.rows; r++) {
      const float* d = dy + r * out + o0;
      for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) k.axpy(x.values[e], d, dw + size_t(x.indices[e]) * out + o0, o1 - o0);
    }
  });
  if (db) BiasGradient(x.rows, out, dy, db);
}

}  // namespace nn
}  // namespace boundless
