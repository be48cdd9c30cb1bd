#include "algorithms/kmeans/kmeans_novelty.h"

#include <algorithm>
#include <limits>

#include "runtime/thread_pool.h"

namespace boundless {
namespace kmeans {
namespace {

// Places declined per batch before the search stops.
constexpr size_t kNoveltyTries = 8;

double RowWeight(const Points& p, size_t r) { return p.weights ? p.weights[r] : 1.0; }

// What merging centres a and b into their weighted mean adds to the summary's cost:
// w_a·w_b/(w_a + w_b)·‖c_a − c_b‖² (Ward's criterion). A centre opened in this batch has no
// weight until the batch moves the centres: it is not merged again in the same batch.
double MergeCost(const State& st, const std::vector<char>& fresh, size_t dim, size_t a, size_t b) {
  if (fresh[a] || fresh[b]) return std::numeric_limits<double>::infinity();
  const double wa = st.weights[a], wb = st.weights[b];
  if (wa + wb <= 0) return 0;
  return wa * wb / (wa + wb) * SquaredDistance(st.centers + a * dim, st.centers + b * dim, dim);
}

// Each centre's cheapest merge partner (the lower index among equal costs) and its cost.
struct Partners {
  const std::vector<char>& fresh;
  std::vector<size_t> partner;
  std::vector<double> cost;

  void Find(const State& st, size_t K, size_t dim, size_t c) {
    partner[c] = c;
    cost[c] = std::numeric_limits<double>::infinity();
    for (size_t o = 0; o < K; o++) {
      if (o == c) continue;
      const double m = MergeCost(st, fresh, dim, c, o);
      if (m < cost[c]) cost[c] = m, partner[c] = o;
    }
  }

  Partners(const State& st, const std::vector<char>& opened, size_t K, size_t dim) : fresh(opened), partner(K), cost(K) {
    ThreadPool::Shared().ParallelFor(K, 4, [&](size_t begin, size_t end) {
      for (size_t c = begin; c < end; c++) Find(st, K, dim, c);
    });
  }

  // After centres a and b changed: theirs found again, and every other centre's checked against them.
  void Changed(const State& st, size_t K, size_t dim, size_t a, size_t b) {
    ThreadPool::Shared().ParallelFor(K, 16, [&](size_t begin, size_t end) {
      for (size_t c = begin; c < end; c++) {
        if (c == a || c == b || partner[c] == a || partner[c] == b) {
          Find(st, K, dim, c);
          continue;
        }
        for (size_t o : {std::min(a, b), std::max(a, b)}) {
          const double m = MergeCost(st, fresh, dim, c, o);
          if (m < cost[c] || (m == cost[c] && o < partner[c])) cost[c] = m, partner[c] = o;
        }
      }
    });
  }

  size_t Cheapest() const {
    size_t best = 0;
    for (size_t c = 1; c < cost.size(); c++) if (cost[c] < cost[best]) best = c;
    return best;
  }
};

// The row with the largest weighted distance to its centre (the lower index among equals) of those
// not ruled out, or -1.
long Farthest(const Points& batch, const std::vector<char>& out, const std::vector<double>& distance2) {
  long far = -1;
  double largest = 0;
  for (size_t r = 0; r < batch.rows; r++) {
    const double d = out[r] ? 0 : RowWeight(batch, r) * distance2[r];
    if (d > largest) largest = d, far = static_cast<long>(r);
  }
  return far;
}

}  // namespace

size_t AdmitNovelRows(const Settings& s, State& st, const Points& batch, const std::vector<char>& used,
                      std::vector<int32_t>& nearest, std::vector<double>& distance2) {
  const size_t K = s.centers, dim = s.dim;
  if (K < 2) return 0;
  std::vector<char> fresh(K, 0);
  Partners partners(st, fresh, K, dim);
  std::vector<float> row(dim);
  std::vector<int32_t> to_row(batch.rows);
  std::vector<double> row_distance2(batch.rows);
  const size_t limit = std::max<size_t>(1, K / 4);
  // Rows ruled out as places for a centre: those a declined one would have taken (its
  // neighbourhood: a far row among few is an outlier, and a cluster of rows elsewhere may still pay).
  std::vector<char> out(used);
  size_t swaps = 0, declined = 0;
  while (swaps < limit && declined < kNoveltyTries) {
    const long far = Farthest(batch, out, distance2);
    if (far < 0) break;
    DenseRow(batch, static_cast<size_t>(far), row.data());
    // What a centre at the row saves this batch: each row nearer to it than to its centre.
    Assign(batch, row.data(), 1, dim, to_row.data(), row_distance2.data());
    double saving = 0;
    for (size_t r = 0; r < batch.rows; r++) {
      if (!used[r] && row_distance2[r] < distance2[r]) saving += RowWeight(batch, r) * (distance2[r] - row_distance2[r]);
    }
    const size_t a = partners.Cheapest(), b = partners.partner[a];
    if (!(saving > partners.cost[a])) {  // also when no pair may merge (cost +inf)
      out[static_cast<size_t>(far)] = 1;
      for (size_t r = 0; r < batch.rows; r++) if (row_distance2[r] < distance2[r]) out[r] = 1;
      declined++;
      continue;
    }
    // Merge b into a (weighted mean: the summary keeps its mass and mean), and open b at the row.
    const double wa = st.weights[a], wb = st.weights[b];
    float* ca = st.centers + a * dim;
    const float* cb = st.centers + b * dim;
    if (wa + wb > 0) for (size_t j = 0; j < dim; j++) ca[j] = static_cast<float>((wa * ca[j] + wb * cb[j]) / (wa + wb));
    st.weights[a] = wa + wb;
    std::copy(row.begin(), row.end(), st.centers + b * dim);
    st.weights[b] = 0;  // it takes its rows' mean when the batch moves the centres
    fresh[b] = 1;
    partners.Changed(st, K, dim, a, b);
    // The batch's assignment: rows nearer the new centre go to it; those of a and b to the merge (an
    // upper bound on their distance, until the full assignment after the swaps).
    for (size_t r = 0; r < batch.rows; r++) {
      if (used[r]) continue;
      if (nearest[r] == static_cast<int32_t>(a) || nearest[r] == static_cast<int32_t>(b)) {
        DenseRow(batch, r, row.data());
        nearest[r] = static_cast<int32_t>(a);
        distance2[r] = SquaredDistance(row.data(), ca, dim);
      }
      if (row_distance2[r] < distance2[r]) nearest[r] = static_cast<int32_t>(b), distance2[r] = row_distance2[r];
    }
    swaps++;
  }
  if (swaps > 0) Assign(batch, st.centers, K, dim, nearest.data(), distance2.data());
  return swaps;
}

}  // namespace kmeans
}  // namespace boundless
