#include "runtime/merged_rows.h"

#include <algorithm>
#include <utility>

namespace boundless {
namespace {

bool Increasing(const BatchView& b, size_t r) {
  for (int32_t e = b.indptr[r] + 1; e < b.indptr[r + 1]; e++) {
    if (b.indices[e] <= b.indices[e - 1]) return false;
  }
  return true;
}

// Whether row r names an index twice (a row in another order but each index once is left as it is).
bool Repeats(const BatchView& b, size_t r, std::vector<uint32_t>& scratch) {
  if (Increasing(b, r)) return false;
  scratch.assign(b.indices + b.indptr[r], b.indices + b.indptr[r + 1]);
  std::sort(scratch.begin(), scratch.end());
  return std::adjacent_find(scratch.begin(), scratch.end()) != scratch.end();
}

}  // namespace

size_t RowsWithRepeats(const BatchView& batch) {
  if (!batch.sparse) return 0;
  std::vector<uint32_t> scratch;
  size_t count = 0;
  for (size_t r = 0; r < batch.rows; r++) count += Repeats(batch, r, scratch) ? 1 : 0;
  return count;
}

BatchView MergedRows(const BatchView& batch, MergedStorage& storage) {
  if (!batch.sparse) return batch;
  std::vector<uint32_t> scratch;
  size_t first = batch.rows;
  for (size_t r = 0; r < batch.rows && first == batch.rows; r++) {
    if (Repeats(batch, r, scratch)) first = r;
  }
  if (first == batch.rows) return batch;
  const size_t nnz = static_cast<size_t>(batch.indptr[batch.rows]);
  storage.indptr.assign(batch.indptr, batch.indptr + first + 1);
  storage.indices.assign(batch.indices, batch.indices + batch.indptr[first]);
  storage.values.assign(batch.values, batch.values + batch.indptr[first]);
  storage.indices.reserve(nnz);
  storage.values.reserve(nnz);
  std::vector<std::pair<uint32_t, float>> row;
  for (size_t r = first; r < batch.rows; r++) {
    if (!Repeats(batch, r, scratch)) {
      storage.indices.insert(storage.indices.end(), batch.indices + batch.indptr[r], batch.indices + batch.indptr[r + 1]);
      storage.values.insert(storage.values.end(), batch.values + batch.indptr[r], batch.values + batch.indptr[r + 1]);
      storage.indptr.push_back(static_cast<int32_t>(storage.indices.size()));
      continue;
    }
    row.clear();
    for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) row.emplace_back(batch.indices[e], batch.values[e]);
    // Stable: repeated indices are summed in the order the row gave them.
    std::stable_sort(row.begin(), row.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < row.size(); i++) {
      if (i > 0 && row[i].first == row[i - 1].first) {
        storage.values.back() += row[i].second;
      } else {
        storage.indices.push_back(row[i].first);
        storage.values.push_back(row[i].second);
      }
    }
    storage.indptr.push_back(static_cast<int32_t>(storage.indices.size()));
  }
  BatchView merged = batch;
  merged.indptr = storage.indptr.data();
  merged.indices = storage.indices.data();
  merged.values = storage.values.data();
  return merged;
}

}  // namespace boundless
