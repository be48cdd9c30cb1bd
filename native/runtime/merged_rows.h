// Sparse rows with each index once, in increasing order. A row may name an index twice (a word
// repeated in VW text, two words hashed into one bucket, a libsvm line written so): the row's
// value there is the sum, as the dense readers and `convert` take it. Linear models and sums of
// products over entry pairs give the same either way; a factorization machine's pair term does
// not (its Σ (v·x)² over entries counted ⟨vᵢ, vᵢ⟩ once per repeat: a row scored differently
// read as libsvm than after convert). Kernels whose arithmetic needs each index once read the
// batch through MergedRows.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/batch_view.h"

namespace boundless {

// Where merged rows live (sized by the batch, reused across calls by its owner).
struct MergedStorage {
  std::vector<int32_t> indptr;
  std::vector<uint32_t> indices;
  std::vector<float> values;
};

// `batch` itself when it is dense or no row names an index twice; otherwise a view in which each
// row that does is sorted by index with the repeats summed (the others as they are), held in
// `storage` (labels and weights are the batch's). O(non-zeros) when rows' indices increase.
BatchView MergedRows(const BatchView& batch, MergedStorage& storage);

// Rows that name an index twice (0 for a dense batch): what a device kernel that does not merge declines.
size_t RowsWithRepeats(const BatchView& batch);

}  // namespace boundless
