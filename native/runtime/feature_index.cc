#include "runtime/feature_index.h"

#include <algorithm>

namespace boundless {

// The touched features in increasing order, into `features`. In order, a pass over their model
// rows walks the model's arrays forwards, page by page, where first-seen order jumped anywhere in
// them: fewer TLB and cache misses. A bit per feature marks them; the words between the least
// and the greatest are scanned.
void FeatureIndex::SortedTouched(const BatchView& b, size_t dim, const char* keep) {
  if (marks_.size() < (dim + 63) / 64) marks_.assign((dim + 63) / 64, 0);
  size_t low = marks_.size(), high = 0;
  for (size_t r = 0; r < b.rows; r++) {
    if (keep && !keep[r]) continue;
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
      const uint32_t i = b.indices[e];
      marks_[i >> 6] |= uint64_t(1) << (i & 63);
      low = std::min<size_t>(low, i >> 6);
      high = std::max<size_t>(high, i >> 6);
    }
  }
  for (size_t w = low; w <= high; w++) {  // (no entries: low > high, nothing scanned)
    for (uint64_t bits = marks_[w]; bits != 0; bits &= bits - 1) {
      features.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits))));
    }
    marks_[w] = 0;
  }
}

void FeatureIndex::Build(const BatchView& b, size_t dim, int32_t* slot_scratch, const char* keep) {
  features.clear();
  SortedTouched(b, dim, keep);
  counts_.assign(features.size(), 0);
  for (size_t k = 0; k < features.size(); k++) slot_scratch[features[k]] = static_cast<int32_t>(k);
  size_t entries = 0;
  for (size_t r = 0; r < b.rows; r++) {
    if (keep && !keep[r]) continue;
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) counts_[slot_scratch[b.indices[e]]]++;
    entries += static_cast<size_t>(b.indptr[r + 1] - b.indptr[r]);
  }
  starts.assign(features.size() + 1, 0);
  for (size_t k = 0; k < counts_.size(); k++) starts[k + 1] = starts[k] + counts_[k];
  cursor_.assign(starts.begin(), starts.end() - 1);
  rows.resize(entries);
  values.resize(entries);
  for (size_t r = 0; r < b.rows; r++) {
    if (keep && !keep[r]) continue;
    for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
      const uint32_t at = cursor_[slot_scratch[b.indices[e]]]++;
      rows[at] = static_cast<uint32_t>(r);
      values[at] = b.values[e];
    }
  }
  for (uint32_t i : features) slot_scratch[i] = -1;
}

}  // namespace boundless
