// Distances between rows and k-means centres, accurate whatever the data's
// offset from the origin. The fast form ‖x‖² − 2x·c + ‖c‖² cancels
// catastrophically when ‖x‖ is far larger than ‖x − c‖ (GPS coordinates:
// ‖x‖² ≈ 1.6e4, ‖x − c‖² ≈ 1e-6), so it only screens: it runs on coordinates
// shifted to the centres' mean (dense rows: float32 GEMM) or in float64
// (sparse rows), with a rigorous bound on its error per row and centre, and
// every centre that the bound cannot rule out as the nearest is measured
// again directly in float64. Every distance returned is that float64 value,
// so it is the true distance between the float32 inputs to float32 rounding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/batch_view.h"

namespace boundless {
namespace kmeans {

// Σ (a_j − b_j)² in float64 over four interleaved partial sums (fixed order, so results repeat).
double SquaredDistance(const float* a, const float* b, size_t dim);

// Row r of the points densely into out (dim floats); a CSR row's repeated indices add up, as
// they do in its dot products.
void DenseRow(const BatchView& points, size_t r, float* out);

// True when row r equals the centre feature by feature (absent sparse features are 0); exits at
// the first difference. `scratch` (dim floats) serves rows with unordered indices;
// `center_nonzeros` (CountNonzeros of the centre) lets a sparse row be compared at its own
// entries only.
bool RowEquals(const BatchView& points, size_t r, const float* center, float* scratch, size_t center_nonzeros);

// Features of a centre that are not 0 (−0 counts as 0, as equality does).
size_t CountNonzeros(const float* center, size_t dim);

// A sparse batch's rows regrouped by feature, as the screening's dot products read them (each
// centre's values then in ascending feature order). Update builds it once per batch for all its
// Assign calls, which otherwise each sorted the batch again (four to a batch once the refined
// model runs). Memory: dim + 1 counters and the batch's entries.
struct FeatureGroups {
  struct Entry {
    uint32_t row, feature;
    float value;
  };
  std::vector<char> sorted;      // rows: strictly increasing indices (screened; the others are measured exactly)
  std::vector<uint32_t> cursor;  // dim + 1: the entries per feature, then where each feature's go
  std::vector<Entry> entries;    // the sorted rows' entries by feature, rows ascending within one
  void Build(const BatchView& batch, size_t dim);
};

// Nearest centre (lowest index on ties) and squared distance for every row; with `all`, also
// the Euclidean distance to every centre (rows × count), each measured directly in float64.
// Squared distances are float64: those of float32 data overflow float32 once coordinates pass
// about 1.8e19 (1e30 squares to 1e60), and never overflow float64 (at most dim × 4.7e77).
// `groups`: FeatureGroups built from these sparse points (null: built here).
void Assign(const BatchView& points, const float* centers, size_t count, size_t dim, int32_t* nearest,
            double* distance2, float* all = nullptr, const FeatureGroups* groups = nullptr);

}  // namespace kmeans
}  // namespace boundless
