#include "linalg/linear_algebra.h"

#include <algorithm>

#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"

namespace boundless {

const LinearAlgebraKernels& SelectedLinearAlgebraKernels() {
#if defined(__x86_64__)
  if (SelectedIsa() >= Isa::Avx2) return kAvx2LinearAlgebra;
#endif
  return kBaselineLinearAlgebra;
}

void DenseLinear(const float* x, const float* w, const float* bias, float* out, size_t rows,
                 size_t cols, size_t models) {
  const LinearAlgebraKernels& kernels = SelectedLinearAlgebraKernels();
  // Aim for chunks of at least ~64k multiply-adds so threads pay for themselves.
  size_t work_per_row = std::max<size_t>(1, cols * models);
  size_t min_rows = std::max<size_t>(1, (64 * 1024) / work_per_row);
  ThreadPool::Shared().ParallelFor(rows, min_rows, [&](size_t begin, size_t end) {
    kernels.dense_linear_rows(x, w, bias, out, begin, end, cols, models);
  });
}

}  // namespace boundless
