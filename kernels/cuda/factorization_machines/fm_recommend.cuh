// Factorization machines' recommend on the device (lib/backends/cuda-fm.ts):
// each candidate row scored as the row user ∪ item, one GPU thread per
// candidate, the user's sums computed once — native/algorithms/
// factorization_machines/factorization_machines.cc's Recommend, in float64 and
// in its order — then the top n picked on the worker thread, ties to the lower
// index as cpu picks them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/host_rows.h"

namespace boundless_cuda {

struct FmRecommendModel {
  size_t dim = 0, factors = 0;
  float bias = 0;
  bool logistic = false;
  const float* linear = nullptr;   // dim
  const float* factors_v = nullptr;  // dim × factors
};

// Scores every row of `items` joined with `user`'s one row and writes the best n (n ≤ items.rows)
// into indices and scores, best first; "" or the CUDA error (or an out-of-memory decline).
std::string FmRecommend(const FmRecommendModel& model, const HostRows& user, const HostRows& items, size_t n, int32_t* indices, float* scores);

}  // namespace boundless_cuda
