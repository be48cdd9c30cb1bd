// The K → k reduction in the points' own span: when the held centres are fewer than the
// features (sparse data: 100 centres of 10^5 features), every distance a reduction's trials
// need — point to point for k-means++, point to a weighted mean of points for Lloyd's — is a
// function of the points' Gram matrix (shifted by the first point), count × count. A Lloyd step
// then costs about count² + k · count (each point belongs to one mean) instead of k · count · dim,
// and the points are read once per reduction (to form the matrix) instead of per step and trial.
#pragma once

#include <cstddef>
#include <vector>

namespace boundless {
namespace kmeans {

// G = (P − p₀)(P − p₀)ᵀ in float64, the points shifted by the first one: the products are about
// the points' spread rather than their offset from the origin (data far from it lose nothing to
// cancellation), and on integer or one-hot data every difference, product and sum is exact, so
// distances that tie in full space tie here. Row-major count × count, both triangles. Every entry
// is summed in one fixed order whatever the thread count (panel products over blocks of features).
std::vector<double> ShiftedGram(const float* points, size_t count, size_t dim);

// Relative error allowed in the smallest nonzero distance between points before a reduction
// declines the span (GramResolves).
constexpr double kGramRelativeError = 1e-6;

// Whether distances from G resolve the points: G finite, and every pair of points either the same
// bytes or apart, by G, by more than G's rounding bound over kGramRelativeError. Distances from G
// cancel where some points lie far from the others (an outlier 10^10 out makes G's entries 10^20
// and the other points' distances noise, or exactly 0); the reduction then runs in full space.
bool GramResolves(const std::vector<double>& gram, const float* points, size_t count, size_t dim);

// For each point, the first point with the same bytes (itself if none): one pass over the points.
std::vector<size_t> DuplicateGroups(const float* points, size_t count, size_t dim);

// A centre as a weighted combination of the points: Σᵢ coefficient[i]·pᵢ / total. A k-means++
// seed is one point (coefficient 1, total 1); a Lloyd's mean, its points' weights over their sum.
// With a = coefficient / total, its squared distance to point i is G_ii − 2(Ga)_i + aᵀGa, the
// last two terms computed by GramCentre::Prepare once per step.
struct GramCentre {
  std::vector<double> coefficient;  // count
  double total = 1;
  std::vector<double> cross;        // count: (G·a)_i
  double self = 0;                  // aᵀ·G·a
  void Prepare(const std::vector<double>& gram, size_t count);
};

// A squared distance from G, at least 0 (G's rounding can make a tiny one negative); NaN stays
// NaN, so that non-finite points fail the reduction as they do in full space.
inline double ClampDistance2(double d) { return d < 0 ? 0.0 : d; }

// Squared distance between points i and j from G.
inline double GramDistance2(const std::vector<double>& gram, size_t count, size_t i, size_t j) {
  return ClampDistance2(gram[i * count + i] + gram[j * count + j] - 2.0 * gram[i * count + j]);
}

// The centre written out in the points' coordinates (dim floats): (Σᵢ coefficient[i]·pᵢ) / total,
// summed in float64 in point order.
void WriteCentre(const GramCentre& centre, const float* points, size_t count, size_t dim, float* out);

}  // namespace kmeans
}  // namespace boundless
