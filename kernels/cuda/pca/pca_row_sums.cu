#include "pca/pca_row_sums.cuh"

#include <algorithm>
#include <cstddef>

#include "runtime/launch.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;

unsigned Blocks(size_t n) { return static_cast<unsigned>(std::max<size_t>(1, (n + kThreads - 1) / kThreads)); }

__device__ size_t Index() { return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

// norms[r] = ‖x_r − o‖², features in order: one thread per row.
__global__ void RowNorms(const float* x, const double* origin, unsigned rows, unsigned dim, double* norms) {
  const size_t r = Index();
  if (r >= rows) return;
  double norm2 = 0;
  for (unsigned i = 0; i < dim; i++) {
    const double centred = x[r * dim + i] - origin[i];
    norm2 += centred * centred;
  }
  norms[r] = norm2;
}

// sums[j] += Σ_r w_r·x_rj for j < dim, one thread each; thread dim adds Σw and Σw·norms[r], rows in
// order. (The norms come from RowNorms: when this thread summed every row's norm itself, 1000 × 784
// dependent steps, a batch of 784 features took 27 ms on an H200, 3× the 16-core cpu's time.)
__global__ void Moments(const float* x, const float* w, const double* norms, unsigned rows, unsigned dim, double* sums) {
  const size_t j = Index();
  if (j > dim) return;
  if (j < dim) {
    double acc = 0;
    for (unsigned r = 0; r < rows; r++) acc += static_cast<double>(w[r]) * x[static_cast<size_t>(r) * dim + j];
    sums[j] += acc;
    return;
  }
  double weight = 0, squares = 0;
  for (unsigned r = 0; r < rows; r++) {
    weight += w[r];
    squares += static_cast<double>(w[r]) * norms[r];
  }
  sums[dim] += weight;
  sums[dim + 1] += squares;
}

}  // namespace

void LaunchRowSums(cudaStream_t stream, const float* x, const float* w, const double* origin, unsigned rows, unsigned dim, double* norms,
                   double* sums) {
  BOUNDLESS_LAUNCH(RowNorms, Blocks(rows), kThreads, 0, stream)(x, origin, rows, dim, norms);
  BOUNDLESS_LAUNCH(Moments, Blocks(static_cast<size_t>(dim) + 1), kThreads, 0, stream)(x, w, norms, rows, dim, sums);
}

}  // namespace boundless_cuda
