#include "algorithms/kmeans/kmeans_gram.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "linalg/panel_product.h"

namespace boundless {
namespace kmeans {
namespace {

// Features per panel product: the block's two packings (count × kGramBlock doubles each) stay
// a few MiB for a few hundred points, whatever the feature count.
constexpr size_t kGramBlock = 1024;

// γ_n = n·u / (1 − n·u), u the float64 unit roundoff: a sum of n products is within γ_n of the
// sum of their magnitudes (Higham, Accuracy and Stability of Numerical Algorithms, §3.1).
double Gamma(size_t n) {
  const double nu = static_cast<double>(n) * 0x1.0p-53;
  return nu < 0.5 ? nu / (1.0 - nu) : std::numeric_limits<double>::infinity();
}

}  // namespace

std::vector<double> ShiftedGram(const float* points, size_t count, size_t dim) {
  std::vector<double> gram(count * count, 0.0), a_panels, b_panels;
  for (size_t first = 0; first < dim; first += kGramBlock) {
    const size_t features = std::min(kGramBlock, dim - first);
    auto entry = [&](size_t t, size_t i) {
      return static_cast<double>(points[i * dim + first + t]) - static_cast<double>(points[first + t]);
    };
    PackColumnPanels(features, count, kPanelRows, entry, a_panels);
    PackColumnPanels(features, count, kPanelCols, entry, b_panels);
    AccumulatePanelProduct(a_panels.data(), b_panels.data(), features, count, count, gram.data(), count, true);
  }
  for (size_t i = 0; i < count; i++) for (size_t j = i + 1; j < count; j++) gram[i * count + j] = gram[j * count + i];
  return gram;
}

std::vector<size_t> DuplicateGroups(const float* points, size_t count, size_t dim) {
  std::vector<size_t> group(count);
  std::unordered_map<size_t, std::vector<size_t>> by_hash;  // hash of a row's bytes → the groups' first rows
  for (size_t i = 0; i < count; i++) {
    const char* bytes = reinterpret_cast<const char*>(points + i * dim);
    std::vector<size_t>& firsts = by_hash[std::hash<std::string_view>()(std::string_view(bytes, dim * sizeof(float)))];
    group[i] = i;
    for (size_t first : firsts) {
      if (std::memcmp(bytes, points + first * dim, dim * sizeof(float)) == 0) {
        group[i] = first;
        break;
      }
    }
    if (group[i] == i) firsts.push_back(i);
  }
  return group;
}

bool GramResolves(const std::vector<double>& gram, const float* points, size_t count, size_t dim) {
  double largest = 0;
  for (size_t i = 0; i < count; i++) {
    const double g = gram[i * count + i];
    if (!std::isfinite(g)) return false;
    largest = std::max(largest, g);
  }
  const std::vector<size_t> group = DuplicateGroups(points, count, dim);
  double smallest = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < count; i++) {
    for (size_t j = 0; j < i; j++) {
      if (group[i] == group[j]) continue;  // the same bytes: G's rows are equal, the distance exactly 0
      const double d = gram[i * count + i] + gram[j * count + j] - 2.0 * gram[i * count + j];
      if (!(d > 0)) return false;  // distinct points at distance 0 or less, or NaN: lost to rounding
      smallest = std::min(smallest, d);
    }
  }
  if (smallest == std::numeric_limits<double>::infinity()) return true;  // every point is the same point
  // Each entry is within γ_dim of |a|·|b| ≤ `largest`; a distance from G (to a point, or to a
  // convex combination of points summed over `count` terms) adds up four such errors and the
  // combination's own.
  const double error = 4.0 * (Gamma(dim + 2) + Gamma(count + 2)) * largest;
  return error <= kGramRelativeError * smallest;
}

void GramCentre::Prepare(const std::vector<double>& gram, size_t count) {
  // The combination's own weights a = coefficient / total (they sum to 1): dividing first keeps
  // the products within range whatever the weights' scale (total² underflowed below 1e-162).
  cross.assign(count, 0.0);
  for (size_t j = 0; j < count; j++) {
    if (coefficient[j] == 0) continue;
    const double a = coefficient[j] / total;
    const double* column = gram.data() + j * count;  // G is symmetric: row j is column j
    for (size_t i = 0; i < count; i++) cross[i] += a * column[i];
  }
  self = 0;
  for (size_t i = 0; i < count; i++) if (coefficient[i] != 0) self += (coefficient[i] / total) * cross[i];
}

void WriteCentre(const GramCentre& centre, const float* points, size_t count, size_t dim, float* out) {
  std::vector<double> sum(dim, 0.0);
  for (size_t i = 0; i < count; i++) {
    if (centre.coefficient[i] == 0) continue;
    const float* p = points + i * dim;
    for (size_t d = 0; d < dim; d++) sum[d] += centre.coefficient[i] * p[d];
  }
  for (size_t d = 0; d < dim; d++) out[d] = static_cast<float>(sum[d] / centre.total);
}

}  // namespace kmeans
}  // namespace boundless
