// CUDA version of the dense linear kernel (native/linalg/linear_algebra.h has the cpu one):
// out[r * models + m] = bias[m] + dot(x row r, w row m).
#pragma once

#include <cstddef>
#include <string>

namespace boundless_cuda {

// Copies the inputs to the device, runs the kernel, copies out back.
// Returns an empty string on success, otherwise what failed.
std::string DenseLinear(const float* x, const float* w, const float* bias, float* out,
                        size_t rows, size_t cols, size_t models);

}  // namespace boundless_cuda
