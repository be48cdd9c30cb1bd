// Eigendecomposition of a real symmetric matrix in float64, written for PCA's
// finalize: Householder reduction to tridiagonal form, then the implicit
// symmetric QR algorithm with Wilkinson shifts, rotations accumulated into
// the eigenvectors. O(n³); accurate to rounding for any spectrum, including
// repeated and tiny eigenvalues.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace boundless {

struct SymmetricEigen {
  std::vector<double> values;   // n, descending
  std::vector<double> vectors;  // count × n, row j is the unit eigenvector of values[j]
  size_t sweeps = 0;            // QR steps taken
};

// `matrix` is n × n row-major; only its lower triangle is read. All n values;
// the vectors of the `count` largest. With count < n the QR phase records its
// rotations instead of applying them to an n × n matrix, and each wanted vector
// replays them (two entries per rotation) — O(count · n²) instead of O(n³).
// Throws std::runtime_error if the QR iteration does not converge (it always should).
SymmetricEigen DecomposeSymmetric(const double* matrix, size_t n, size_t count = SIZE_MAX);

}  // namespace boundless
