#include "algorithms/kmeans/kmeans_gram.h"

#include <algorithm>

#include "linalg/panel_product.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace kmeans {
namespace {

// Features per panel product: the block's two packings (count × kGramBlock doubles each) stay
// a few MiB for a few hundred points, whatever the feature count.
constexpr size_t kGramBlock = 1024;

std::vector<double> PointMean(const float* points, size_t count, size_t dim) {
  std::vector<double> mean(dim, 0.0);
  ThreadPool::Shared().ParallelFor(dim, 4096, [&](size_t begin, size_t end) {
    for (size_t i = 0; i < count; i++) {
      const float* p = points + i * dim;
      for (size_t d = begin; d < end; d++) mean[d] += p[d];
    }
    for (size_t d = begin; d < end; d++) mean[d] /= static_cast<double>(count);
  });
  return mean;
}

}  // namespace

std::vector<double> CenteredGram(const float* points, size_t count, size_t dim) {
  const std::vector<double> mean = PointMean(points, count, dim);
  std::vector<double> gram(count * count, 0.0), a_panels, b_panels;
  for (size_t first = 0; first < dim; first += kGramBlock) {
    const size_t features = std::min(kGramBlock, dim - first);
    auto entry = [&](size_t t, size_t i) { return static_cast<double>(points[i * dim + first + t]) - mean[first + t]; };
    PackColumnPanels(features, count, kPanelRows, entry, a_panels);
    PackColumnPanels(features, count, kPanelCols, entry, b_panels);
    AccumulatePanelProduct(a_panels.data(), b_panels.data(), features, count, count, gram.data(), count, true);
  }
  for (size_t i = 0; i < count; i++) for (size_t j = i + 1; j < count; j++) gram[i * count + j] = gram[j * count + i];
  return gram;
}

void GramCentre::Prepare(const std::vector<double>& gram, size_t count) {
  cross.assign(count, 0.0);
  for (size_t j = 0; j < count; j++) {
    if (coefficient[j] == 0) continue;
    const double a = coefficient[j];
    const double* column = gram.data() + j * count;  // G is symmetric: row j is column j
    for (size_t i = 0; i < count; i++) cross[i] += a * column[i];
  }
  double quadratic = 0;
  for (size_t i = 0; i < count; i++) quadratic += coefficient[i] * cross[i];
  for (size_t i = 0; i < count; i++) cross[i] /= total;
  self = quadratic / (total * total);
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
