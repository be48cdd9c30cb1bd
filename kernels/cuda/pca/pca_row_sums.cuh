// What both of PCA's sketches add per batch besides the sketch itself (cpu:
// native/algorithms/pca/pca_sketch.cc AccumulateMoments): Σw·x per feature, Σw,
// and Σw‖x − o‖² for the exact total variance, in float64, each sum taken in
// row order by one thread, so two runs give the same bits.
#pragma once

#include <cuda_runtime.h>

namespace boundless_cuda {

// sums[0, dim) += Σ_r w_r·x_r, sums[dim] += Σw, sums[dim + 1] += Σ_r w_r‖x_r − o‖². x: rows × dim
// float32 and w: rows (1s where the batch has none), both on the device; origin: dim doubles on
// the device; norms: scratch of `rows` doubles on the device. Enqueued on `stream`; nothing waits.
void LaunchRowSums(cudaStream_t stream, const float* x, const float* w, const double* origin, unsigned rows, unsigned dim, double* norms,
                   double* sums);

}  // namespace boundless_cuda
