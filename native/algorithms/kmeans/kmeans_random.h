// The counter-based random stream of the k-means kernels (streaming seeding,
// reseeding and the reduction's k-means++ share it) and weighted sampling.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/split_mix.h"

namespace boundless {
namespace kmeans {

inline uint64_t SplitMix(uint64_t x) { return SplitMix64(x); }

// A counter-based stream: draw i of a seed is SplitMix(seed ⊕ i), so the state
// needs only the counter to resume exactly (and a reduction trial only its first draw's index).
struct Stream {
  uint64_t seed;
  double* counter;
  double Uniform() {
    uint64_t i = static_cast<uint64_t>((*counter)++);
    return (static_cast<double>(SplitMix(seed ^ (i * 0xd1342543de82ef95ULL)) >> 11) + 0.5) * 0x1.0p-53;
  }
};

// Picks index i with probability weight[i] / Σ weight (weights ≥ 0); -1 when all are zero
// (and then draws nothing from the stream).
inline long Sample(const std::vector<double>& weight, Stream& random) {
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

}  // namespace kmeans
}  // namespace boundless
