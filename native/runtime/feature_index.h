// A sparse batch's non-zeros grouped by feature: the touched features in increasing order and,
// per feature, its entries in row order (a stable counting sort). Kernels whose work is per
// feature (factorization machines' updates) or whose reads of a model row are cheapest in
// feature order (k-means' screening dot products) walk it instead of the rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/batch_view.h"

namespace boundless {

struct FeatureIndex {
  std::vector<uint32_t> features;  // touched, in increasing order
  std::vector<uint32_t> starts;    // features.size() + 1: feature k's entries are [starts[k], starts[k + 1])
  std::vector<uint32_t> rows;      // per entry
  std::vector<float> values;       // per entry

  // Indexes batch b's entries, of every row, or of the rows r with keep[r] != 0 when `keep` is
  // given. slot_scratch: one int32 per feature (dim), all −1 before and after the call.
  void Build(const BatchView& b, size_t dim, int32_t* slot_scratch, const char* keep = nullptr);

 private:
  std::vector<uint32_t> counts_, cursor_;
  std::vector<uint64_t> marks_;  // a bit per feature, all 0 between calls
  void SortedTouched(const BatchView& b, size_t dim, const char* keep);
};

}  // namespace boundless
