#include "algorithms/kmeans/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "runtime/thread_pool.h"

namespace boundless {
namespace kmeans {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A counter-based stream: draw i of a seed is SplitMix(seed ⊕ i), so the state
// needs only the counter to resume exactly.
struct Stream {
  uint64_t seed;
  double* counter;
  double Uniform() {
    uint64_t i = static_cast<uint64_t>((*counter)++);
    return (static_cast<double>(SplitMix(seed ^ (i * 0xd1342543de82ef95ULL)) >> 11) + 0.5) * 0x1.0p-53;
  }
};

double RowWeight(const Points& p, size_t r) { return p.weights ? p.weights[r] : 1.0; }

// Picks index i with probability weight[i] / Σ weight (weights ≥ 0); -1 when all are zero.
long Sample(const std::vector<double>& weight, Stream& random) {
  double total = 0;
  for (double w : weight) total += w;
  if (!(total > 0)) return -1;
  double target = random.Uniform() * total;
  for (size_t i = 0; i < weight.size(); i++) {
    target -= weight[i];
    if (target < 0) return static_cast<long>(i);
  }
  for (size_t i = weight.size(); i-- > 0;) if (weight[i] > 0) return static_cast<long>(i);
  return -1;
}

// Fills empty centres with rows of this batch that differ from every filled centre (in random
// order, or k-means++ by D²), so no two centres start on one point and, while some stay empty,
// every row seen equals a centre: `filled` is then the number of distinct points seen.
void FillCenters(const Settings& s, State& st, const Points& batch, Stream& random, std::vector<char>& used) {
  const size_t K = s.centers, dim = s.dim;
  size_t filled = static_cast<size_t>(st.counters[kFilled]);
  if (filled >= K) return;
  std::vector<float> row(dim);
  std::vector<char> covered(batch.rows, 0);  // the row equals a filled centre
  std::vector<double> closest(batch.rows, std::numeric_limits<double>::infinity());  // k-means++: D²
  auto cover = [&](size_t c) {
    const float* center = st.centers + c * dim;
    for (size_t r = 0; r < batch.rows; r++) {
      if (used[r] || covered[r]) continue;
      if (s.kmeans_plus_plus) {
        DenseRow(batch, r, row.data());
        closest[r] = std::min(closest[r], SquaredDistance(row.data(), center, dim));
        covered[r] = closest[r] == 0;  // exact: the float64 difference of distinct float32s is never 0
      } else {
        covered[r] = RowEquals(batch, r, center, row.data());  // exits at the first differing feature
      }
    }
  };
  for (size_t c = 0; c < filled; c++) cover(c);
  while (filled < K) {
    std::vector<double> chance(batch.rows, 0.0);
    long first = -1;
    for (size_t r = 0; r < batch.rows; r++) {
      if (used[r] || covered[r]) continue;
      if (first < 0) first = static_cast<long>(r);
      chance[r] = (s.kmeans_plus_plus && filled > 0) ? closest[r] * RowWeight(batch, r) : 1.0;
    }
    if (first < 0) break;  // every row of the batch is a centre already
    long pick = Sample(chance, random);
    if (pick < 0) pick = first;  // the remaining distinct rows all weigh zero
    used[pick] = 1;
    DenseRow(batch, static_cast<size_t>(pick), st.centers + filled * dim);
    st.weights[filled] = RowWeight(batch, static_cast<size_t>(pick));
    cover(filled);
    filled++;
  }
  st.counters[kFilled] = static_cast<double>(filled);
}

}  // namespace

void Update(const Settings& s, State& st, const Points& batch) {
  ValidateFeatureRows(batch, s.dim);
  if (batch.rows == 0) return;
  const size_t K = s.centers, dim = s.dim;
  Stream random{s.seed, &st.counters[kRandom]};
  std::vector<char> used(batch.rows, 0);

  FillCenters(s, st, batch, random, used);
  const size_t filled = static_cast<size_t>(st.counters[kFilled]);

  std::vector<int32_t> nearest(batch.rows);
  std::vector<float> distance2(batch.rows);
  Assign(batch, st.centers, filled, dim, nearest.data(), distance2.data());
  for (size_t r = 0; r < batch.rows; r++) {
    if (used[r]) continue;
    st.counters[kCostSum] += RowWeight(batch, r) * distance2[r];
    st.counters[kCostWeight] += RowWeight(batch, r);
  }

  // Forgetting: old points' weight halves every half_life points.
  if (s.half_life > 0) {
    double decay = std::pow(0.5, static_cast<double>(batch.rows) / s.half_life);
    for (size_t c = 0; c < filled; c++) st.weights[c] *= decay;
  }

  // Each centre moves to the weighted mean of its old weight and its new points:
  // c ← (n·c + Σx) / (n + m). Centres split across threads; each scans the batch.
  std::vector<double> received(filled, 0.0);
  ThreadPool::Shared().ParallelFor(filled, 16, [&](size_t begin, size_t end) {
    std::vector<double> sums((end - begin) * dim, 0.0);
    std::vector<double> mass(end - begin, 0.0);
    for (size_t r = 0; r < batch.rows; r++) {
      size_t c = static_cast<size_t>(nearest[r]);
      if (used[r] || c < begin || c >= end) continue;
      double w = RowWeight(batch, r);
      double* sum = sums.data() + (c - begin) * dim;
      if (batch.sparse) {
        for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) sum[batch.indices[e]] += w * batch.values[e];
      } else {
        const float* x = batch.values + r * dim;
        for (size_t j = 0; j < dim; j++) sum[j] += w * x[j];
      }
      mass[c - begin] += w;
    }
    for (size_t c = begin; c < end; c++) {
      double m = mass[c - begin];
      received[c] = m;
      if (m == 0) continue;
      double n = st.weights[c];
      float* center = st.centers + c * dim;
      const double* sum = sums.data() + (c - begin) * dim;
      for (size_t j = 0; j < dim; j++) center[j] = static_cast<float>((n * center[j] + sum[j]) / (n + m));
      st.weights[c] = n + m;
    }
  });

  // Reseeding: a centre that took nothing from this batch and holds under 1% of its fair
  // share of the weight is moved onto one of the batch's points farthest from its centre
  // (at most 1% of the centres per batch, lightest first).
  if (filled == K) {
    double total = 0;
    for (size_t c = 0; c < K; c++) total += st.weights[c];
    double floor = total / (100.0 * static_cast<double>(K));
    std::vector<size_t> dying;
    for (size_t c = 0; c < K; c++) if (received[c] == 0 && st.weights[c] < floor) dying.push_back(c);
    std::sort(dying.begin(), dying.end(), [&](size_t a, size_t b) { return st.weights[a] < st.weights[b]; });
    size_t limit = std::max<size_t>(1, K / 100);
    if (dying.size() > limit) dying.resize(limit);
    if (!dying.empty()) {
      std::vector<size_t> order(batch.rows);
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return distance2[a] != distance2[b] ? distance2[a] > distance2[b] : a < b;
      });
      size_t next = 0;
      for (size_t c : dying) {
        while (next < order.size() && (used[order[next]] || distance2[order[next]] == 0)) next++;
        if (next == order.size()) break;
        size_t r = order[next++];
        DenseRow(batch, r, st.centers + c * dim);
        st.weights[c] = RowWeight(batch, r);
        st.counters[kReseeds] += 1;
      }
    }
  }
  st.counters[kRows] += static_cast<double>(batch.rows);
}

Reduction Reduce(const float* points, const double* weights, size_t count, size_t dim, size_t k,
                 bool kmeans_plus_plus, size_t max_iter, double tol, size_t trials, uint64_t seed) {
  if (k == 0 || k > count) throw std::invalid_argument("k must be in 1.." + std::to_string(count) + " (the weighted centres held)");
  Points all;
  all.rows = count;
  all.cols = dim;
  all.values = points;
  std::vector<int32_t> nearest(count);
  std::vector<float> distance2(count);
  Reduction best;
  best.cost = std::numeric_limits<double>::infinity();
  double counter = 0;
  Stream random{seed, &counter};
  for (size_t trial = 0; trial < std::max<size_t>(1, trials); trial++) {
    std::vector<float> centers(k * dim);
    // Seeding on the weighted points.
    std::vector<double> closest(count, std::numeric_limits<double>::infinity());
    std::vector<char> taken(count, 0);
    for (size_t c = 0; c < k; c++) {
      std::vector<double> chance(count);
      for (size_t i = 0; i < count; i++) {
        chance[i] = taken[i] ? 0.0 : weights[i] * ((kmeans_plus_plus && c > 0) ? closest[i] : 1.0);
      }
      long pick = Sample(chance, random);
      if (pick < 0) for (size_t i = 0; i < count; i++) if (!taken[i]) { pick = static_cast<long>(i); break; }
      taken[pick] = 1;
      std::copy(points + pick * dim, points + (pick + 1) * dim, centers.begin() + c * dim);
      if (kmeans_plus_plus) {
        for (size_t i = 0; i < count; i++) closest[i] = std::min(closest[i], SquaredDistance(points + i * dim, centers.data() + c * dim, dim));
      }
    }
    // Weighted Lloyd's.
    double previous = std::numeric_limits<double>::infinity();
    double cost = 0;
    size_t iteration = 0;
    std::vector<double> sums(k * dim), mass(k);
    for (; iteration < max_iter; iteration++) {
      Assign(all, centers.data(), k, dim, nearest.data(), distance2.data());
      cost = 0;
      for (size_t i = 0; i < count; i++) cost += weights[i] * distance2[i];
      if (iteration > 0 && previous - cost <= tol * previous) break;
      previous = cost;
      std::fill(sums.begin(), sums.end(), 0.0);
      std::fill(mass.begin(), mass.end(), 0.0);
      for (size_t i = 0; i < count; i++) {
        size_t c = static_cast<size_t>(nearest[i]);
        for (size_t j = 0; j < dim; j++) sums[c * dim + j] += weights[i] * points[i * dim + j];
        mass[c] += weights[i];
      }
      for (size_t c = 0; c < k; c++) {
        if (mass[c] == 0) continue;  // an empty cluster keeps its centre
        for (size_t j = 0; j < dim; j++) centers[c * dim + j] = static_cast<float>(sums[c * dim + j] / mass[c]);
      }
    }
    if (iteration == max_iter) {  // stopped by the limit: score the centres as they are
      Assign(all, centers.data(), k, dim, nearest.data(), distance2.data());
      cost = 0;
      for (size_t i = 0; i < count; i++) cost += weights[i] * distance2[i];
    }
    if (cost < best.cost) {
      best.cost = cost;
      best.iterations = iteration;
      // The final assignment (of these centres) gives each centre's mass.
      Assign(all, centers.data(), k, dim, nearest.data(), distance2.data());
      best.mass.assign(k, 0.0);
      for (size_t i = 0; i < count; i++) best.mass[static_cast<size_t>(nearest[i])] += weights[i];
      best.centers = std::move(centers);
    }
  }
  return best;
}

}  // namespace kmeans
}  // namespace boundless
