#include "algorithms/kmeans/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "algorithms/kmeans/kmeans_novelty.h"
#include "algorithms/kmeans/kmeans_random.h"
#include "runtime/reused.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace kmeans {
namespace {

double RowWeight(const Points& p, size_t r) { return p.weights ? p.weights[r] : 1.0; }

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
    const size_t nonzeros = batch.sparse && !s.kmeans_plus_plus ? CountNonzeros(center, dim) : 0;
    for (size_t r = 0; r < batch.rows; r++) {
      if (used[r] || covered[r]) continue;
      if (s.kmeans_plus_plus) {
        DenseRow(batch, r, row.data());
        closest[r] = std::min(closest[r], SquaredDistance(row.data(), center, dim));
        covered[r] = closest[r] == 0;  // exact: the float64 difference of distinct float32s is never 0
      } else {
        covered[r] = RowEquals(batch, r, center, row.data(), nonzeros);  // exits at the first differing feature
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

// Running sums of one centre's rows (dim doubles), reused and left all zero between centres, so
// that a batch does not allocate and zero dim of them per chunk (at 10^5 features, megabytes
// faulted in per chunk per batch).
struct ZeroedSums {
  std::vector<double> values;
  double* Get(size_t dim) {
    if (values.size() < dim) values.resize(dim, 0.0);
    return values.data();
  }
};

// The model centres before a batch's Lloyd steps (model_k × dim), reused from batch to batch.
struct PriorCentres {
  std::vector<float> values;
};

// The batch's rows grouped by the centre they go to (rows flagged in `used` left out), each
// centre's in row order: rows[starts[c] .. starts[c + 1]).
struct RowsByCentre {
  std::vector<uint32_t> starts, rows;
  RowsByCentre(const Points& batch, const char* used, const int32_t* nearest, size_t count) : starts(count + 1, 0) {
    for (size_t r = 0; r < batch.rows; r++) if (!(used && used[r])) starts[static_cast<size_t>(nearest[r]) + 1]++;
    for (size_t c = 0; c < count; c++) starts[c + 1] += starts[c];
    rows.resize(starts[count]);
    std::vector<uint32_t> cursor(starts.begin(), starts.end() - 1);
    for (size_t r = 0; r < batch.rows; r++) {
      if (!(used && used[r])) rows[cursor[static_cast<size_t>(nearest[r])]++] = static_cast<uint32_t>(r);
    }
  }
};

// Moves centre c to (n·prior + Σw·x) / (n + m) over its rows (m = Σw), adding each row into the
// zeroed `sum` in row order and leaving it zeroed again; returns m (0: `out` keeps the prior).
double MoveOneToMean(const Points& batch, const uint32_t* rows, size_t count, size_t dim, const float* from,
                     double n, float* center, double* sum) {
  double m = 0;
  for (size_t i = 0; i < count; i++) {
    const size_t r = rows[i];
    const double w = RowWeight(batch, r);
    if (batch.sparse) {
      for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) sum[batch.indices[e]] += w * batch.values[e];
    } else {
      const float* x = batch.values + r * dim;
      for (size_t j = 0; j < dim; j++) sum[j] += w * x[j];
    }
    m += w;
  }
  if (m == 0) {
    // Rows of weight zero still added their (zero) terms: clear what they touched.
    for (size_t i = 0; i < count; i++) {
      const size_t r = rows[i];
      if (!batch.sparse) { std::fill(sum, sum + dim, 0.0); break; }
      for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) sum[batch.indices[e]] = 0;
    }
    if (center != from) std::copy(from, from + dim, center);
    return 0;
  }
  for (size_t j = 0; j < dim; j++) {
    center[j] = static_cast<float>((n * from[j] + sum[j]) / (n + m));
    sum[j] = 0;
  }
  return m;
}

// Moves each of `count` centres to the weighted mean of its prior mass prior_weight[c] at prior[c]
// and the batch rows assigned to it (rows flagged in `used` excepted): (n·prior + Σw·x) / (n + m),
// writing `out` (which may be `prior`) and the mass m received; a centre that received nothing
// keeps its prior. Centres split across threads; each reads only its own rows.
void MoveToMeans(const Points& batch, const char* used, const int32_t* nearest, size_t count, size_t dim,
                 const float* prior, const double* prior_weight, float* out, double* received) {
  const RowsByCentre groups(batch, used, nearest, count);
  ThreadPool::Shared().ParallelFor(count, 16, [&](size_t begin, size_t end) {
    Reused<ZeroedSums> sums;
    double* sum = sums->Get(dim);
    for (size_t c = begin; c < end; c++) {
      const size_t first = groups.starts[c], rows = groups.starts[c + 1] - first;
      received[c] = MoveOneToMean(batch, groups.rows.data() + first, rows, dim, prior + c * dim, prior_weight[c],
                                  out + c * dim, sum);
    }
  });
}

double WeightedSum(const Points& batch, const std::vector<double>& values) {
  double total = 0;
  for (size_t r = 0; r < batch.rows; r++) total += RowWeight(batch, r) * values[r];
  return total;
}

// The refined model's step on a batch (all K streaming centres placed; see Update in kmeans.h).
// `groups`: the sparse batch's FeatureGroups (null for dense rows).
void Refine(const Settings& s, State& st, const Points& batch, const FeatureGroups* groups) {
  const size_t k = s.model_k, dim = s.dim;
  double* mc = st.model_counters;
  const double rows = st.counters[kRows];
  double batch_weight = 0;
  for (size_t r = 0; r < batch.rows; r++) batch_weight += RowWeight(batch, r);
  std::vector<int32_t> nearest(batch.rows);
  std::vector<double> distance2(batch.rows);
  bool assigned = false;
  const double next = mc[kModelNext] > 0 ? mc[kModelNext] : s.start_rows;
  if (rows >= next) {
    // A candidate: the streaming centres reduced to k, kept if it does better on this batch
    // (which neither it nor the model centres have learnt from) than the model centres.
    uint64_t seed = SplitMix(s.seed ^ (static_cast<uint64_t>(rows) * 0xd1342543de82ef95ULL));
    Reduction candidate = Reduce(st.centers, st.weights, s.centers, dim, k, s.reduce.kmeans_plus_plus, s.reduce.max_iter,
                                 s.reduce.tol, s.reduce.trials, seed);
    mc[kModelCandidates] += 1;
    // Without forgetting, candidates come at geometrically spaced points (their cost stays a
    // vanishing share of the stream's); with it, once per half-life (or start_rows, if longer),
    // so a model stranded by a drift is replaced from the streaming centres, which follow it.
    mc[kModelNext] = s.half_life > 0 ? rows + std::max(s.start_rows, s.half_life) : std::max(rows, s.start_rows) * kCandidateGrowth;
    std::vector<int32_t> candidate_nearest(batch.rows);
    std::vector<double> candidate_distance2(batch.rows);
    Assign(batch, candidate.centers.data(), k, dim, candidate_nearest.data(), candidate_distance2.data(), nullptr, groups);
    bool take = mc[kModelActive] == 0;
    if (!take) {
      Assign(batch, st.model_centers, k, dim, nearest.data(), distance2.data(), nullptr, groups);
      take = WeightedSum(batch, candidate_distance2) < WeightedSum(batch, distance2);
    }
    if (take) {
      std::copy(candidate.centers.begin(), candidate.centers.end(), st.model_centers);
      std::fill(st.model_weights, st.model_weights + k, 0.0);
      mc[kModelActive] = 1;
      mc[kModelRows] = 0;
      mc[kModelTaken] += 1;
      nearest.swap(candidate_nearest);
      distance2.swap(candidate_distance2);
    }
    assigned = true;
  }
  if (mc[kModelActive] == 0) return;
  if (!assigned) Assign(batch, st.model_centers, k, dim, nearest.data(), distance2.data(), nullptr, groups);
  mc[kModelCostSum] += WeightedSum(batch, distance2);
  mc[kModelCostWeight] += batch_weight;

  // Each model centre moves to the mean of the points it has taken since the model started, this
  // batch's assigned by Lloyd steps against the moving centres (the batch's own points follow the
  // centre they move); forgetting applies as to the streaming centres.
  const double keep = s.half_life > 0 ? std::pow(0.5, static_cast<double>(batch.rows) / s.half_life) : 1.0;
  std::vector<double> prior_weight(k), received(k, 0.0);
  for (size_t c = 0; c < k; c++) prior_weight[c] = st.model_weights[c] * keep;
  Reused<PriorCentres> prior_centres;
  std::vector<float>& prior = prior_centres->values;
  prior.assign(st.model_centers, st.model_centers + k * dim);
  std::vector<int32_t> previous;
  for (size_t iteration = 0; iteration < kRefineIterations; iteration++) {
    if (iteration > 0) {
      previous.assign(nearest.begin(), nearest.end());
      Assign(batch, st.model_centers, k, dim, nearest.data(), distance2.data(), nullptr, groups);
      if (previous == nearest) break;  // the same assignment gives the same means
    }
    MoveToMeans(batch, nullptr, nearest.data(), k, dim, prior.data(), prior_weight.data(), st.model_centers, received.data());
  }
  for (size_t c = 0; c < k; c++) st.model_weights[c] = prior_weight[c] + received[c];
  mc[kModelRows] += batch_weight;
}

}  // namespace

void Update(const Settings& s, State& st, const Points& batch, bool novel) {
  ValidateFeatureRows(batch, s.dim);
  if (batch.rows == 0) return;
  const size_t K = s.centers, dim = s.dim;
  Reused<FeatureGroups> sparse_groups;
  const FeatureGroups* groups = nullptr;
  if (batch.sparse) {
    sparse_groups->Build(batch, dim);
    groups = &*sparse_groups;
  }
  if (s.model_k > 0 && static_cast<size_t>(st.counters[kFilled]) == K) Refine(s, st, batch, groups);
  Stream random{s.seed, &st.counters[kRandom]};
  std::vector<char> used(batch.rows, 0);

  FillCenters(s, st, batch, random, used);
  const size_t filled = static_cast<size_t>(st.counters[kFilled]);

  std::vector<int32_t> nearest(batch.rows);
  std::vector<double> distance2(batch.rows);
  Assign(batch, st.centers, filled, dim, nearest.data(), distance2.data(), nullptr, groups);
  for (size_t r = 0; r < batch.rows; r++) {
    if (used[r]) continue;
    st.counters[kCostSum] += RowWeight(batch, r) * distance2[r];
    st.counters[kCostWeight] += RowWeight(batch, r);
  }

  if (novel && filled == K) {
    const size_t swaps = AdmitNovelRows(s, st, batch, used, nearest, distance2);
    st.counters[kReseeds] += static_cast<double>(swaps);
    if (swaps > 0 && s.model_k > 0 && st.model_counters[kModelActive] != 0) {
      // The refined model fitted rows like the earlier ones: a reduction of the renewed centres
      // replaces it at the next batch (a candidate then, and taken: no model to beat).
      st.model_counters[kModelActive] = 0;
      st.model_counters[kModelNext] = 0;
    }
  }

  // Forgetting: old points' weight halves every half_life points.
  if (s.half_life > 0) {
    double decay = std::pow(0.5, static_cast<double>(batch.rows) / s.half_life);
    for (size_t c = 0; c < filled; c++) st.weights[c] *= decay;
  }

  // Each centre moves to the weighted mean of its old weight and its new points:
  // c ← (n·c + Σx) / (n + m).
  std::vector<double> received(filled, 0.0);
  MoveToMeans(batch, used.data(), nearest.data(), filled, dim, st.centers, st.weights, st.centers, received.data());
  for (size_t c = 0; c < filled; c++) if (received[c] != 0) st.weights[c] += received[c];

  // Reseeding: a centre that took nothing from this batch and holds under 1% of its fair
  // share of the weight is moved onto one of the batch's points farthest from its centre
  // (at most 1% of the centres per batch, lightest first).
  if (filled == K) {
    double total = 0;
    for (size_t c = 0; c < K; c++) total += st.weights[c];
    double floor = total / (100.0 * static_cast<double>(K));
    std::vector<size_t> dying;
    for (size_t c = 0; c < K; c++) if (received[c] == 0 && st.weights[c] < floor) dying.push_back(c);
    // Lightest first, the lower index first among equal weights (centres seeded on outliers keep weight 1
    // exactly): an order that does not depend on the sort's implementation.
    std::sort(dying.begin(), dying.end(), [&](size_t a, size_t b) {
      return st.weights[a] != st.weights[b] ? st.weights[a] < st.weights[b] : a < b;
    });
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

}  // namespace kmeans
}  // namespace boundless
