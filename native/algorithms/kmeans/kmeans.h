// Streaming k-means kernels: the per-centre mean update with exponential
// forgetting (rows assigned by kmeans_distance.h), seeding on distinct points,
// reseeding of dying centres, the weighted k-means++ / Lloyd's reduction
// that turns K weighted centres into k, and the refinement of the k model
// centres on the rest of the stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "algorithms/kmeans/kmeans_distance.h"
#include "runtime/batch_view.h"

namespace boundless {
namespace kmeans {

using Points = BatchView;

enum Counter : int { kRows = 0, kFilled, kReseeds, kRandom, kCostSum, kCostWeight, kCounterCount };

// Counters of the refined model (the `model_counters` tensor; all zero in a state that has not
// started it, or one written before it existed). kModelNext is the rows seen at which the next
// candidate reduction is tried (0: `start_rows`); kModelCostSum / kModelCostWeight add up each
// batch's cost to the model centres before they learn from it (progressive validation).
enum ModelCounter : int {
  kModelActive = 0, kModelRows, kModelNext, kModelCandidates, kModelTaken, kModelCostSum, kModelCostWeight,
  kModelCounterCount
};

// The K → k reduction's settings (local_lloyd_*).
struct ReduceSettings {
  bool kmeans_plus_plus = true;
  size_t max_iter = 300;
  double tol = 1e-4;
  size_t trials = 1;
};

struct Settings {
  size_t centers = 0, dim = 0;
  double half_life = 0;     // points; 0 = no forgetting
  bool kmeans_plus_plus = false;  // initialisation of the streaming centres
  uint64_t seed = 0;
  // The refined model: k centres (0: none) started from a reduction of the streaming centres once
  // `start_rows` rows have been seen and the streaming centres are all placed; each centre is then
  // the mean of the points it took since (the batch's own points reassigned by up to
  // kRefineIterations Lloyd steps on the batch), old points decaying with half_life as the
  // streaming centres' do.
  size_t model_k = 0;
  double start_rows = 0;
  ReduceSettings reduce;
};

struct State {
  float* centers = nullptr;   // centers × dim
  double* weights = nullptr;  // centers
  double* counters = nullptr; // kCounterCount
  float* model_centers = nullptr;   // model_k × dim (model_k > 0)
  double* model_weights = nullptr;  // model_k: the weight of the points each model centre has taken (decayed by half_life)
  double* model_counters = nullptr; // kModelCounterCount
};

// Lloyd steps each batch gives the model centres (fewer when the batch's assignment stops changing).
constexpr size_t kRefineIterations = 3;
// Without forgetting, each later candidate reduction waits until this many times the rows seen
// at the previous one (with forgetting: max(start_rows, half_life) rows after it).
constexpr double kCandidateGrowth = 4;


// One streaming step. First the refined model (model_k > 0, all K centres placed): when the rows
// seen reach the next candidate point, the K streaming centres are reduced to k and the result
// replaces the model centres if it costs less on this batch (or there are none yet); then the
// model centres take kRefineIterations Lloyd steps on the batch. Then the streaming centres:
// initialise empty centres from the batch's rows that differ from every centre, assign, add the
// batch's squared distances to the progressive cost (before the move), move centres, reseed dying
// ones. While fewer than K centres are filled, each sits exactly on a distinct point and every
// point seen equals one of them, so `filled` counts the distinct points seen (exactly, up to K).
// A `novel` batch (one far from the rows before it: input sorted by cluster) also gives its farthest
// rows centres of their own where that saves more than the merge that frees them costs
// (kmeans_novelty.h), after its progressive cost is counted; the swaps count as reseeds, and a
// refined model, fitted to rows like the earlier ones, is dropped: the next batch starts it again.
void Update(const Settings& settings, State& state, const Points& batch, bool novel = false);

struct Reduction {
  std::vector<float> centers;  // k × dim
  std::vector<double> mass;    // k: the weight of the points each centre holds
  double cost = 0;             // weighted sum of squared distances of the points to them
  size_t iterations = 0;
};

// Weighted k-means on `count` points: greedy k-means++ (or random) seeding, Lloyd's until the
// relative cost change is below tol or max_iter, best of `trials` (lowest cost; the first of equal
// costs). The trials run in parallel on the thread pool (kmeans_reduce.cc); the result is a
// function of the seed alone, the same to the byte whatever the thread count. Memory: a workspace
// per thread fixed by count, k and dim, and count² distances (up to 32 MiB) shared by the trials.
Reduction Reduce(const float* points, const double* weights, size_t count, size_t dim, size_t k,
                 bool kmeans_plus_plus, size_t max_iter, double tol, size_t trials, uint64_t seed);

// The weighted points' mass at each of the k given centres (nearest) and their weighted cost.
Reduction Score(const float* points, const double* weights, size_t count, size_t dim, const float* centers, size_t k);

}  // namespace kmeans
}  // namespace boundless
