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

// A place for a new centre and what it would save this batch: each row nearer to it than to its
// centre (rows in `used` excepted), with every row's distance to it.
struct Candidate {
  std::vector<float> centre;
  std::vector<int32_t> nearest;
  std::vector<double> distance2;
  double saving = 0;

  Candidate(size_t dim, size_t rows) : centre(dim), nearest(rows), distance2(rows) {}

  void Evaluate(const Points& batch, size_t dim, const std::vector<char>& used, const std::vector<double>& current) {
    Assign(batch, centre.data(), 1, dim, nearest.data(), distance2.data());
    saving = 0;
    for (size_t r = 0; r < batch.rows; r++) {
      if (!used[r] && distance2[r] < current[r]) saving += RowWeight(batch, r) * (current[r] - distance2[r]);
    }
  }
};

// The centre whose batch rows cost most (of those not ruled out), or -1: where a new cluster's rows
// went when no centre was near them.
long CostliestCentre(const Points& batch, const std::vector<char>& used, const std::vector<int32_t>& nearest,
                     const std::vector<double>& distance2, const std::vector<char>& out_centre, size_t K) {
  std::vector<double> cost(K, 0.0);
  for (size_t r = 0; r < batch.rows; r++) if (!used[r]) cost[static_cast<size_t>(nearest[r])] += RowWeight(batch, r) * distance2[r];
  long costliest = -1;
  for (size_t c = 0; c < K; c++) {
    if (!out_centre[c] && cost[c] > 0 && (costliest < 0 || cost[c] > cost[static_cast<size_t>(costliest)])) costliest = static_cast<long>(c);
  }
  return costliest;
}

// Adds w·x_r into the dense `sum`.
void AddRow(const Points& batch, size_t r, double w, size_t dim, std::vector<double>& sum) {
  if (batch.sparse) {
    for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) sum[batch.indices[e]] += w * batch.values[e];
  } else {
    for (size_t j = 0; j < dim; j++) sum[j] += w * batch.values[r * dim + j];
  }
}

// The weighted mean of the batch rows assigned to centre c, into `out` (dim floats).
void BatchMean(const Points& batch, const std::vector<char>& used, const std::vector<int32_t>& nearest, size_t c, size_t dim,
               std::vector<double>& sum, float* out) {
  std::fill(sum.begin(), sum.end(), 0.0);
  double weight = 0;
  for (size_t r = 0; r < batch.rows; r++) {
    if (used[r] || nearest[r] != static_cast<int32_t>(c)) continue;
    const double w = RowWeight(batch, r);
    weight += w;
    AddRow(batch, r, w, dim, sum);
  }
  for (size_t j = 0; j < dim; j++) out[j] = static_cast<float>(weight > 0 ? sum[j] / weight : 0.0);
}

// ‖x_r − c‖² for a dense c with ‖c‖² = c_norm: sparse rows touch only their entries.
double RowDistance(const Points& batch, size_t r, const float* c, double c_norm, size_t dim) {
  double d = 0;
  if (batch.sparse) {
    double dot = 0, norm = 0;
    for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) {
      const double v = batch.values[e];
      dot += v * c[batch.indices[e]];
      norm += v * v;
    }
    return std::max(0.0, norm - 2 * dot + c_norm);
  }
  const float* x = batch.values + r * dim;
  for (size_t j = 0; j < dim; j++) d += (static_cast<double>(x[j]) - c[j]) * (static_cast<double>(x[j]) - c[j]);
  return d;
}

double Norm(const float* c, size_t dim) {
  double n = 0;
  for (size_t j = 0; j < dim; j++) n += static_cast<double>(c[j]) * c[j];
  return n;
}

// Two Lloyd steps of 2-means on the batch rows of centre c (bisecting k-means), seeded at the row
// farthest from their mean and the row farthest from that: a centre that absorbed the rows of two
// new clusters has their mixture for a mean, and each half's mean is a better place than it.
void Bisect(const Points& batch, const std::vector<char>& used, const std::vector<int32_t>& nearest, size_t c,
            const float* mean, size_t dim, std::vector<double>& sum, float* first, float* second) {
  std::vector<size_t> rows;
  for (size_t r = 0; r < batch.rows; r++) if (!used[r] && nearest[r] == static_cast<int32_t>(c)) rows.push_back(r);
  auto farthest_from = [&](const float* from) {
    const double n = Norm(from, dim);
    size_t best = rows[0];
    double largest = -1;
    for (size_t r : rows) {
      const double d = RowDistance(batch, r, from, n, dim);
      if (d > largest) largest = d, best = r;
    }
    return best;
  };
  DenseRow(batch, farthest_from(mean), first);
  DenseRow(batch, farthest_from(first), second);
  std::vector<char> side(batch.rows, 0);
  for (int step = 0; step < 2; step++) {
    const double n1 = Norm(first, dim), n2 = Norm(second, dim);
    for (size_t r : rows) side[r] = RowDistance(batch, r, second, n2, dim) < RowDistance(batch, r, first, n1, dim);
    for (int half = 0; half < 2; half++) {
      float* out = half == 0 ? first : second;
      std::fill(sum.begin(), sum.end(), 0.0);
      double weight = 0;
      for (size_t r : rows) {
        if (side[r] != half) continue;
        const double w = RowWeight(batch, r);
        weight += w;
        AddRow(batch, r, w, dim, sum);
      }
      if (weight > 0) for (size_t j = 0; j < dim; j++) out[j] = static_cast<float>(sum[j] / weight);
    }
  }
}

// The search's working state for one batch: the places tried and the centres' merge partners.
class NoveltySearch {
 public:
  NoveltySearch(const Settings& s, State& st, const Points& batch, const std::vector<char>& used)
      : K_(s.centers), dim_(s.dim), st_(st), batch_(batch), used_(used), fresh_(K_, 0), partners_(st, fresh_, K_, dim_),
        row_(dim_), sum_(dim_), at_row_(dim_, batch.rows), at_mean_(dim_, batch.rows), half_one_(dim_, batch.rows),
        half_two_(dim_, batch.rows), out_(used), out_centre_(K_, 0) {}

  // One step: a swap made (true), or a place declined (false, with `declined` counted); `ended` when
  // no place is left to try.
  bool Step(std::vector<int32_t>& nearest, std::vector<double>& distance2, size_t& declined, bool& ended) {
    const long far = Farthest(batch_, out_, distance2);
    const long costliest = CostliestCentre(batch_, used_, nearest, distance2, out_centre_, K_);
    ended = far < 0 && costliest < 0;
    if (ended) return false;
    const Candidate& best = BestPlace(far, costliest, nearest, distance2);
    const size_t a = partners_.Cheapest(), b = partners_.partner[a];
    if (!(best.saving > partners_.cost[a])) {  // also when no pair may merge (cost +inf)
      Decline(far, costliest, distance2);
      declined++;
      return false;
    }
    Swap(a, b, best, nearest, distance2);
    return true;
  }

 private:
  // Places for a centre: the farthest row (a new cluster's rows far from every centre), and the mean
  // of the batch rows of the centre they cost most, or of either half of them (a new cluster's rows
  // absorbed by a centre that is nearer them than they are to one another, as in high-dimensional
  // sparse data; two clusters' rows absorbed by one). The one that saves most.
  const Candidate& BestPlace(long far, long costliest, const std::vector<int32_t>& nearest, const std::vector<double>& distance2) {
    at_row_.saving = at_mean_.saving = half_one_.saving = half_two_.saving = -1;
    if (far >= 0) {
      DenseRow(batch_, static_cast<size_t>(far), at_row_.centre.data());
      at_row_.Evaluate(batch_, dim_, used_, distance2);
    }
    if (costliest >= 0) {
      const size_t c = static_cast<size_t>(costliest);
      BatchMean(batch_, used_, nearest, c, dim_, sum_, at_mean_.centre.data());
      at_mean_.Evaluate(batch_, dim_, used_, distance2);
      Bisect(batch_, used_, nearest, c, at_mean_.centre.data(), dim_, sum_, half_one_.centre.data(), half_two_.centre.data());
      half_one_.Evaluate(batch_, dim_, used_, distance2);
      half_two_.Evaluate(batch_, dim_, used_, distance2);
    }
    const Candidate* best = &at_row_;
    for (const Candidate* c : {&at_mean_, &half_one_, &half_two_}) if (c->saving > best->saving) best = c;
    return *best;
  }

  // Rules out the places declined: the far row with the rows it would have taken (its neighbourhood: a
  // far row among few is an outlier, and a cluster of rows elsewhere may still pay), and the centre.
  void Decline(long far, long costliest, const std::vector<double>& distance2) {
    if (far >= 0) {
      out_[static_cast<size_t>(far)] = 1;
      for (size_t r = 0; r < batch_.rows; r++) if (at_row_.distance2[r] < distance2[r]) out_[r] = 1;
    }
    if (costliest >= 0) out_centre_[static_cast<size_t>(costliest)] = 1;
  }

  // Merges b into a (weighted mean: the summary keeps its mass and mean) and opens b at the place.
  void Swap(size_t a, size_t b, const Candidate& place, std::vector<int32_t>& nearest, std::vector<double>& distance2) {
    const double wa = st_.weights[a], wb = st_.weights[b];
    float* ca = st_.centers + a * dim_;
    const float* cb = st_.centers + b * dim_;
    if (wa + wb > 0) for (size_t j = 0; j < dim_; j++) ca[j] = static_cast<float>((wa * ca[j] + wb * cb[j]) / (wa + wb));
    st_.weights[a] = wa + wb;
    std::copy(place.centre.begin(), place.centre.end(), st_.centers + b * dim_);
    st_.weights[b] = 0;  // it takes its rows' mean when the batch moves the centres
    fresh_[b] = 1;       // not merged again in this batch; its rows may still be split (two clusters' rows taken by one)
    partners_.Changed(st_, K_, dim_, a, b);
    // The batch's assignment: rows nearer the new centre go to it; those of a and b to the merge (an
    // upper bound on their distance, until the full assignment after the search).
    for (size_t r = 0; r < batch_.rows; r++) {
      if (used_[r]) continue;
      if (nearest[r] == static_cast<int32_t>(a) || nearest[r] == static_cast<int32_t>(b)) {
        DenseRow(batch_, r, row_.data());
        nearest[r] = static_cast<int32_t>(a);
        distance2[r] = SquaredDistance(row_.data(), ca, dim_);
      }
      if (place.distance2[r] < distance2[r]) nearest[r] = static_cast<int32_t>(b), distance2[r] = place.distance2[r];
    }
  }

  const size_t K_, dim_;
  State& st_;
  const Points& batch_;
  const std::vector<char>& used_;
  std::vector<char> fresh_;
  Partners partners_;
  std::vector<float> row_;
  std::vector<double> sum_;
  Candidate at_row_, at_mean_, half_one_, half_two_;
  std::vector<char> out_, out_centre_;
};

}  // namespace

size_t AdmitNovelRows(const Settings& s, State& st, const Points& batch, const std::vector<char>& used,
                      std::vector<int32_t>& nearest, std::vector<double>& distance2) {
  if (s.centers < 2) return 0;
  NoveltySearch search(s, st, batch, used);
  const size_t limit = std::max<size_t>(1, s.centers / 4);
  size_t swaps = 0, declined = 0;
  bool ended = false;
  while (swaps < limit && declined < kNoveltyTries && !ended) {
    if (search.Step(nearest, distance2, declined, ended)) swaps++;
  }
  if (swaps > 0) Assign(batch, st.centers, s.centers, s.dim, nearest.data(), distance2.data());
  return swaps;
}

}  // namespace kmeans
}  // namespace boundless
