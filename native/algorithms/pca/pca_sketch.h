// PCA's two sketches, each with memory fixed by ℓ (and d), never by the rows seen.
//
// Randomized (SageMaker's `randomized` mode, done as a single-pass Nyström
// sketch): Y = Σ w·x (xᵀΩ) = (Σ w·x xᵀ) Ω for a d × ℓ matrix Ω of random signs.
// Y is a sum, so shards merge by addition; finalize corrects it for the mean
// and reconstructs the covariance as Y (ΩᵀY)⁺ Yᵀ (Tropp, Yurtsever, Udell,
// Cevher 2017).
//
// Frequent Directions (Liberty 2013; Ghashami, Liberty, Phillips, Woodruff
// 2016): a buffer of 2ℓ rows B; rows √w·x are appended, and when the buffer is
// full it is shrunk: B = U Σ Vᵀ, σᵢ² ← max(σᵢ² − σ_ℓ², 0), which leaves ℓ − 1
// rows. Deterministic, with ‖AᵀA − BᵀB‖₂ ≤ ‖A − A_k‖²_F / (ℓ − k) for every
// k < ℓ, and mergeable by inserting one sketch's rows into another.
#pragma once

#include <cstddef>

#include "runtime/batch_view.h"

namespace boundless {
namespace pca {

// Both sketches take the rows about an origin o (pca.h Moments says why): x − o.
struct SketchMoments {
  double* count = nullptr;    // 1: Σ w
  double* sum = nullptr;      // d: Σ w·x (input coordinates)
  double* squares = nullptr;  // 1: Σ w·‖x − o‖², for the exact total variance
  const double* origin = nullptr;  // d, or null for 0
};

// y (d × ℓ, row-major) += Σ w·(x − o)((x − o)ᵀΩ); omega is d × ℓ.
void RandomizedAccumulate(const BatchView& batch, size_t dim, size_t ell, const double* omega, SketchMoments& moments,
                          double* y);

struct FrequentDirections {
  size_t dim = 0, ell = 0;
  double* rows = nullptr;    // 2ℓ × d buffer
  double* filled = nullptr;  // 1: rows of the buffer in use
};

void FrequentDirectionsAccumulate(const BatchView& batch, FrequentDirections& sketch, SketchMoments& moments);

// Inserts `count` rows (each d doubles) into the sketch, shrinking as it fills.
void FrequentDirectionsInsert(FrequentDirections& sketch, const double* rows, size_t count);

}  // namespace pca
}  // namespace boundless
