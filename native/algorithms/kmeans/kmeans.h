// Streaming k-means kernels: the per-centre mean update with exponential
// forgetting (rows assigned by kmeans_distance.h), seeding on distinct points,
// reseeding of dying centres, and the weighted k-means++ / Lloyd's reduction
// that turns K weighted centres into k.
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

struct Settings {
  size_t centers = 0, dim = 0;
  double half_life = 0;     // points; 0 = no forgetting
  bool kmeans_plus_plus = false;  // initialisation of the streaming centres
  uint64_t seed = 0;
};

struct State {
  float* centers = nullptr;   // centers × dim
  double* weights = nullptr;  // centers
  double* counters = nullptr; // kCounterCount
};


// One streaming step: initialise empty centres from the batch's rows that differ from every
// centre, assign, add the batch's squared distances to the progressive cost (before the move),
// move centres, reseed dying ones. While fewer than K centres are filled, each sits exactly on a
// distinct point and every point seen equals one of them, so `filled` counts the distinct points
// seen (exactly, up to K).
void Update(const Settings& settings, State& state, const Points& batch);

struct Reduction {
  std::vector<float> centers;  // k × dim
  std::vector<double> mass;    // k: the weight of the points each centre holds
  double cost = 0;             // weighted sum of squared distances of the points to them
  size_t iterations = 0;
};

// Weighted k-means on `count` points: k-means++ (or random) seeding, Lloyd's until the relative
// cost change is below tol or max_iter, best of `trials`; deterministic in seed.
Reduction Reduce(const float* points, const double* weights, size_t count, size_t dim, size_t k,
                 bool kmeans_plus_plus, size_t max_iter, double tol, size_t trials, uint64_t seed);

}  // namespace kmeans
}  // namespace boundless
