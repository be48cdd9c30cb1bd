// New rows for the streaming centres: when a batch sits far from the rows before it (input sorted
// by cluster, a cluster appearing late), the batch's new rows are given centres of their own, each
// freed by merging the two centres whose merge costs the summary least. The places tried: the
// farthest row, and the mean of the rows of the centre they cost most, or of either half of them
// (2-means on those rows, as bisecting k-means splits a cluster): in high-dimensional sparse data a
// new cluster's rows are nearer the old centres than they are to one another, so no single row is
// worth a centre, and one centre may have taken two new clusters' rows. Local search on the
// facility-location trade (as in online facility location, Meyerson 2001; Shindler, Wong and
// Meyerson 2011 for streaming k-means): a swap is made only when opening a centre at the row saves
// the batch more cost than the merge adds to the summary. Without it, later clusters are absorbed
// by centres that already carry the first batches' weight (8 clusters in cluster order: msd 541
// against 5.0 shuffled).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "algorithms/kmeans/kmeans.h"

namespace boundless {
namespace kmeans {

// Swaps centres for places among the batch's rows while the best of them saves more than it costs,
// at most max(1, K/4) per batch and until 8 have been declined; `nearest` and `distance2` (the batch's assignment to the K centres,
// rows flagged in `used` excepted) come up to date. Returns the swaps made. Deterministic: rows
// and pairs are visited in index order, ties to the lower index.
size_t AdmitNovelRows(const Settings& s, State& st, const Points& batch, const std::vector<char>& used,
                      std::vector<int32_t>& nearest, std::vector<double>& distance2);

}  // namespace kmeans
}  // namespace boundless
