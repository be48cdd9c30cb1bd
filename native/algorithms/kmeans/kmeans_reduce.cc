// The K → k reduction (kmeans.h Reduce): weighted k-means++ and Lloyd's on the held centres, best
// of `trials`, the trials spread over the thread pool. Sequentially, trial t would start its random
// stream where trial t − 1 stopped; so each trial runs from a guess of that start (the seeding's
// usual number of draws), records the draws it took, and a trial whose guess proves wrong runs
// again from the right start. Results are therefore those of the sequential loop, to the byte,
// whatever the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "algorithms/kmeans/kmeans.h"
#include "algorithms/kmeans/kmeans_gram.h"
#include "algorithms/kmeans/kmeans_random.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace kmeans {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr const char* kNoFiniteCost =
    "no trial of the k-means reduction has a finite cost: the held centres or their weights are not finite (NaN or "
    "infinite values in the state)";

// Whether a reduction may run in the points' span (kmeans_gram.h): when the points are at most
// half as many as the features, where forming their Gram matrix (count² · dim / 2 multiply-adds,
// once) costs less than the Lloyd steps it replaces (count · k · dim each, per trial), and the
// matrix fits in kGramBytes (as the full-space path's distance cache: 2,048 points). It then
// does if the matrix resolves every pair of points (GramResolves); otherwise in full space.
constexpr size_t kGramBytes = size_t{32} << 20;
bool UsesGram(size_t count, size_t dim) { return 2 * count <= dim && count * count * sizeof(double) <= kGramBytes; }

// Squared distances from chosen points to all the others. In the points' span, from the Gram
// matrix; otherwise each row is measured once per reduction and kept (k-means++ draws the same
// points again from trial to trial) while the rows fit in kDistanceCacheBytes, and beyond that
// measured every time. Trials on several threads share it: each row is filled once
// (std::call_once), then only read.
class DistanceRows {
 public:
  static constexpr size_t kDistanceCacheBytes = size_t{32} << 20;
  DistanceRows(const float* points, size_t count, size_t dim, bool used, const std::vector<double>* gram)
      : points_(points), count_(count), dim_(dim), gram_(gram),
        cached_(used && !gram && count * count * sizeof(double) <= kDistanceCacheBytes) {
    if (!cached_) return;
    rows_.resize(count * count);
    ready_.reset(new std::once_flag[count]);
  }
  // Calls f(i, d²(point, i)) for every point i.
  template <class F>
  void ForEach(size_t point, F f) {
    if (gram_) {
      for (size_t i = 0; i < count_; i++) f(i, GramDistance2(*gram_, count_, point, i));
      return;
    }
    const float* from = points_ + point * dim_;
    if (!cached_) {
      for (size_t i = 0; i < count_; i++) f(i, SquaredDistance(points_ + i * dim_, from, dim_));
      return;
    }
    double* row = rows_.data() + point * count_;
    std::call_once(ready_[point], [&] {
      for (size_t i = 0; i < count_; i++) row[i] = SquaredDistance(points_ + i * dim_, from, dim_);
    });
    for (size_t i = 0; i < count_; i++) f(i, row[i]);
  }

 private:
  const float* points_;
  size_t count_, dim_;
  const std::vector<double>* gram_;
  bool cached_;
  std::unique_ptr<std::once_flag[]> ready_;
  // float64, as the uncached path measures: float32 overflows at coordinates past about 1e19
  // (a point at 1e30 would weigh infinity in the k-means++ draw), and a cached row then gives
  // the very values an uncached one would.
  std::vector<double> rows_;
};

struct Problem {
  const float* points;
  const double* weights;
  size_t count, dim, k;
  bool kmeans_plus_plus;
  size_t max_iter;
  double tol;
  uint64_t seed;
  size_t draws;  // k-means++ candidates per centre after the first: 2 + ⌊ln k⌋ (1 for random seeding)
  const std::vector<double>* gram;  // the points' shifted Gram matrix (UsesGram, GramResolves), or null
  Points All() const {
    Points all;
    all.rows = count;
    all.cols = dim;
    all.values = points;
    return all;
  }
};

// What one thread's trials reuse: fixed by the number of points, k and dim. In the points' span
// the centres are combinations of the points (k × count) and nothing is dim-sized.
struct Workspace {
  explicit Workspace(const Problem& p)
      : centers(p.gram ? 0 : p.k * p.dim), closest(p.count), trial_closest(p.count), best_closest(p.count), chance(p.count),
        taken(p.count), nearest(p.count), distance2(p.count), sums(p.gram ? 0 : p.k * p.dim), mass(p.k),
        combinations(p.gram ? p.k : 0, GramCentre{std::vector<double>(p.count, 0.0), 1, {}, 0}) {}
  std::vector<float> centers;
  std::vector<double> closest, trial_closest, best_closest, chance;
  std::vector<char> taken;
  std::vector<int32_t> nearest;
  std::vector<double> distance2;
  std::vector<double> sums, mass;
  std::vector<GramCentre> combinations;
};

struct TrialResult {
  double cost = kInfinity;
  size_t iterations = 0;
  double draws = 0;  // random numbers the seeding took from the stream
};

// Seeding on the weighted points: greedy k-means++ (as scikit-learn's): of `draws` points drawn
// by weight × D², the one that lowers the weighted D² sum most; or random by weight.
void Seed(const Problem& p, DistanceRows& distances, Stream& random, Workspace& w) {
  std::fill(w.closest.begin(), w.closest.end(), kInfinity);
  std::fill(w.taken.begin(), w.taken.end(), 0);
  for (size_t c = 0; c < p.k; c++) {
    for (size_t i = 0; i < p.count; i++) {
      w.chance[i] = w.taken[i] ? 0.0 : p.weights[i] * ((p.kmeans_plus_plus && c > 0) ? w.closest[i] : 1.0);
    }
    long pick = -1;
    double best_potential = kInfinity;
    for (size_t draw = 0; draw < (c > 0 ? p.draws : 1); draw++) {
      long candidate = Sample(w.chance, random);
      if (candidate < 0) break;
      if (!p.kmeans_plus_plus) { pick = candidate; break; }
      double potential = 0;
      distances.ForEach(static_cast<size_t>(candidate), [&](size_t i, double d) {
        w.trial_closest[i] = std::min(w.closest[i], d);
        potential += p.weights[i] * w.trial_closest[i];
      });
      if (potential < best_potential) {
        best_potential = potential;
        pick = candidate;
        w.best_closest.swap(w.trial_closest);
      }
    }
    if (pick < 0) {  // every point left weighs nothing (or sits on a centre): the first one left
      for (size_t i = 0; i < p.count; i++) if (!w.taken[i]) { pick = static_cast<long>(i); break; }
      if (p.kmeans_plus_plus) {
        distances.ForEach(static_cast<size_t>(pick), [&](size_t i, double d) { w.best_closest[i] = std::min(w.closest[i], d); });
      }
    }
    w.taken[pick] = 1;
    if (p.gram) {
      GramCentre& centre = w.combinations[c];
      std::fill(centre.coefficient.begin(), centre.coefficient.end(), 0.0);
      centre.coefficient[static_cast<size_t>(pick)] = 1;
      centre.total = 1;
    } else {
      std::copy(p.points + pick * p.dim, p.points + (pick + 1) * p.dim, w.centers.begin() + c * p.dim);
    }
    if (p.kmeans_plus_plus) w.closest.swap(w.best_closest);
  }
}

double AssignCost(const Problem& p, const Points& all, Workspace& w) {
  Assign(all, w.centers.data(), p.k, p.dim, w.nearest.data(), w.distance2.data());
  double cost = 0;
  for (size_t i = 0; i < p.count; i++) cost += p.weights[i] * w.distance2[i];
  return cost;
}

// The points' weighted cost at their nearest centres (lowest index on ties), from the Gram matrix.
double GramAssignCost(const Problem& p, Workspace& w) {
  for (GramCentre& centre : w.combinations) centre.Prepare(*p.gram, p.count);
  const std::vector<double>& g = *p.gram;
  double cost = 0;
  for (size_t i = 0; i < p.count; i++) {
    const double own = g[i * p.count + i];
    double best = kInfinity;
    int32_t nearest = 0;
    for (size_t c = 0; c < p.k; c++) {
      const GramCentre& centre = w.combinations[c];
      const double d = ClampDistance2(own - 2.0 * centre.cross[i] + centre.self);
      if (d < best || (c == 0 && !(d == d))) {  // a NaN distance (non-finite points) makes the cost NaN
        best = d;
        nearest = static_cast<int32_t>(c);
      }
    }
    w.nearest[i] = nearest;
    w.distance2[i] = best;
    cost += p.weights[i] * best;
  }
  return cost;
}

// Lloyd's in the points' span: each centre becomes the weighted mean of its points, held as
// their weights over the sum (a centre that took nothing keeps its combination).
TrialResult GramLloyd(const Problem& p, Workspace& w) {
  TrialResult result;
  double previous = kInfinity, cost = 0;
  size_t iteration = 0;
  for (; iteration < p.max_iter; iteration++) {
    cost = GramAssignCost(p, w);
    if (iteration > 0 && previous - cost <= p.tol * previous) break;
    previous = cost;
    std::fill(w.mass.begin(), w.mass.end(), 0.0);
    for (size_t i = 0; i < p.count; i++) w.mass[static_cast<size_t>(w.nearest[i])] += p.weights[i];
    for (size_t c = 0; c < p.k; c++) {
      if (w.mass[c] == 0) continue;  // an empty cluster keeps its centre
      GramCentre& centre = w.combinations[c];
      std::fill(centre.coefficient.begin(), centre.coefficient.end(), 0.0);
      centre.total = w.mass[c];
    }
    for (size_t i = 0; i < p.count; i++) {
      const size_t c = static_cast<size_t>(w.nearest[i]);
      if (w.mass[c] != 0) w.combinations[c].coefficient[i] = p.weights[i];
    }
  }
  if (iteration == p.max_iter) cost = GramAssignCost(p, w);  // stopped by the limit: score the centres as they are
  result.cost = cost;
  result.iterations = iteration;
  return result;
}

// Weighted Lloyd's from the seeded centres until the relative cost change is below tol or max_iter.
TrialResult Lloyd(const Problem& p, Workspace& w) {
  if (p.gram) return GramLloyd(p, w);
  const Points all = p.All();
  TrialResult result;
  double previous = kInfinity, cost = 0;
  size_t iteration = 0;
  for (; iteration < p.max_iter; iteration++) {
    cost = AssignCost(p, all, w);
    if (iteration > 0 && previous - cost <= p.tol * previous) break;
    previous = cost;
    std::fill(w.sums.begin(), w.sums.end(), 0.0);
    std::fill(w.mass.begin(), w.mass.end(), 0.0);
    for (size_t i = 0; i < p.count; i++) {
      size_t c = static_cast<size_t>(w.nearest[i]);
      for (size_t j = 0; j < p.dim; j++) w.sums[c * p.dim + j] += p.weights[i] * p.points[i * p.dim + j];
      w.mass[c] += p.weights[i];
    }
    for (size_t c = 0; c < p.k; c++) {
      if (w.mass[c] == 0) continue;  // an empty cluster keeps its centre
      for (size_t j = 0; j < p.dim; j++) w.centers[c * p.dim + j] = static_cast<float>(w.sums[c * p.dim + j] / w.mass[c]);
    }
  }
  if (iteration == p.max_iter) cost = AssignCost(p, all, w);  // stopped by the limit: score the centres as they are
  result.cost = cost;
  result.iterations = iteration;
  return result;
}

// One trial, its stream starting at draw `first`; leaves its centres in w.centers.
TrialResult RunTrial(const Problem& p, DistanceRows& distances, double first, Workspace& w) {
  double counter = first;
  Stream random{p.seed, &counter};
  Seed(p, distances, random, w);
  TrialResult result = Lloyd(p, w);
  result.draws = counter - first;
  return result;
}

// The best trial's centres seen so far: lowest cost, then lowest index (the sequential loop's
// strict `<` keeps the earlier of equal costs).
struct Best {
  double cost = kInfinity;
  size_t trial = SIZE_MAX;
  std::vector<float> centers;
  std::vector<GramCentre> combinations;
  bool Beats(double other_cost, size_t other_trial) const {
    return cost < other_cost || (cost == other_cost && trial < other_trial);
  }
};

// Runs trials [from, n) from their guessed starts on the pool; keeps each chunk's best in `best`.
void RunTrials(const Problem& p, DistanceRows& distances, size_t from, const std::vector<double>& first,
               std::vector<TrialResult>& results, Best& best, std::mutex& best_mutex) {
  const size_t n = first.size();
  ThreadPool::Shared().ParallelFor(n - from, 1, [&](size_t begin, size_t end) {
    Workspace w(p);
    Best local;
    for (size_t t = from + begin; t < from + end; t++) {
      results[t] = RunTrial(p, distances, first[t], w);
      if (results[t].cost < local.cost) {
        local.cost = results[t].cost;
        local.trial = t;
        local.centers = w.centers;
        local.combinations = w.combinations;
      }
    }
    if (local.trial == SIZE_MAX) return;
    std::lock_guard<std::mutex> lock(best_mutex);
    if (local.Beats(best.cost, best.trial)) best = std::move(local);
  });
}

// The first trial in (from, n) whose start was guessed wrong (n if none); from it on, the starts
// are set again from the draws each trial before took.
size_t FirstMisplaced(size_t from, std::vector<double>& first, const std::vector<TrialResult>& results) {
  const size_t n = first.size();
  for (size_t t = from + 1; t < n; t++) {
    if (first[t] == first[t - 1] + results[t - 1].draws) continue;
    for (size_t u = t; u < n; u++) first[u] = first[u - 1] + results[u - 1].draws;
    return t;
  }
  return n;
}

}  // namespace

Reduction Reduce(const float* points, const double* weights, size_t count, size_t dim, size_t k,
                 bool kmeans_plus_plus, size_t max_iter, double tol, size_t trials, uint64_t seed) {
  if (k == 0 || k > count) throw std::invalid_argument("k must be in 1.." + std::to_string(count) + " (the weighted centres held)");
  const size_t draws = kmeans_plus_plus ? 2 + static_cast<size_t>(std::log(static_cast<double>(k))) : 1;
  std::vector<double> gram;
  if (UsesGram(count, dim)) {
    gram = ShiftedGram(points, count, dim);
    if (!GramResolves(gram, points, count, dim)) gram = std::vector<double>();  // full space, exactly
  }
  const Problem p{points, weights, count, dim, k, kmeans_plus_plus, max_iter, tol, seed, draws,
                  gram.empty() ? nullptr : &gram};
  const size_t n = std::max<size_t>(1, trials);
  DistanceRows distances(points, count, dim, kmeans_plus_plus, p.gram);
  // The usual draws of a trial: one per centre, `draws` per k-means++ centre after the first.
  // Fewer only when the points run out (fewer positive-weight points, or distinct ones, than k).
  const double usual = kmeans_plus_plus ? 1 + static_cast<double>((k - 1) * draws) : static_cast<double>(k);
  std::vector<double> first(n);
  for (size_t t = 0; t < n; t++) first[t] = static_cast<double>(t) * usual;
  std::vector<TrialResult> results(n);
  Best best;
  std::mutex best_mutex;
  for (size_t from = 0; from < n;) {
    if (best.trial != SIZE_MAX && best.trial >= from) best = Best();  // ran from a wrong start
    RunTrials(p, distances, from, first, results, best, best_mutex);
    from = FirstMisplaced(from, first, results);
  }
  size_t winner = SIZE_MAX;
  double lowest = kInfinity;
  for (size_t t = 0; t < n; t++) {
    if (results[t].cost < lowest) {
      lowest = results[t].cost;
      winner = t;
    }
  }
  // Every trial's cost is a sum of weights × float64 squared distances of float32 points, finite
  // whenever the points and weights are; a NaN or infinite one means the input is not.
  if (winner == SIZE_MAX) throw std::invalid_argument(kNoFiniteCost);
  Reduction reduction;
  Workspace w(p);
  if (best.trial == winner) {
    w.centers = std::move(best.centers);
    w.combinations = std::move(best.combinations);
  } else {
    RunTrial(p, distances, first[winner], w);  // its chunk's best was a trial that ran from a wrong start
  }
  if (p.gram) {
    w.centers.resize(k * dim);
    for (size_t c = 0; c < k; c++) WriteCentre(w.combinations[c], points, count, dim, w.centers.data() + c * dim);
  }
  reduction.cost = results[winner].cost;
  reduction.iterations = results[winner].iterations;
  // The final assignment (of these centres) gives each centre's mass; in the span, also the cost:
  // that of the centres as returned (float32), summed as Lloyd's in full space sums it.
  Assign(p.All(), w.centers.data(), k, dim, w.nearest.data(), w.distance2.data());
  reduction.mass.assign(k, 0.0);
  for (size_t i = 0; i < count; i++) reduction.mass[static_cast<size_t>(w.nearest[i])] += weights[i];
  if (p.gram) {
    reduction.cost = 0;
    for (size_t i = 0; i < count; i++) reduction.cost += weights[i] * w.distance2[i];
    // As in full space, where this cost is the winning trial's: overflowing weights are an error.
    if (!std::isfinite(reduction.cost)) throw std::invalid_argument(kNoFiniteCost);
  }
  reduction.centers = std::move(w.centers);
  return reduction;
}

Reduction Score(const float* points, const double* weights, size_t count, size_t dim, const float* centers, size_t k) {
  if (k == 0) throw std::invalid_argument("k must be positive");
  Points all;
  all.rows = count;
  all.cols = dim;
  all.values = points;
  std::vector<int32_t> nearest(count);
  std::vector<double> distance2(count);
  Assign(all, centers, k, dim, nearest.data(), distance2.data());
  Reduction result;
  result.centers.assign(centers, centers + k * dim);
  result.mass.assign(k, 0.0);
  for (size_t i = 0; i < count; i++) {
    result.mass[static_cast<size_t>(nearest[i])] += weights[i];
    result.cost += weights[i] * distance2[i];
  }
  return result;
}

}  // namespace kmeans
}  // namespace boundless
