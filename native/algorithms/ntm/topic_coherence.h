// Document co-occurrence counts of each topic's top words, the sums that NPMI
// coherence (Bouma 2009; Lau et al. 2014 for topics) is computed from: how many
// documents contain word i, and how many contain both words i and j of a topic.
// Memory is fixed by topics × top²; documents stream through.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/batch_view.h"

namespace boundless {
namespace ntm {

// words: [topics × top] word ids (< vocabulary). Adds, over the batch's rows (a word counts
// when its count is > 0): document_frequency[t·top + i], pair_frequency[(t·top + i)·top + j]
// for i < j, and the rows to *documents.
void CountCooccurrence(const BatchView& batch, size_t vocabulary, const int32_t* words, size_t topics, size_t top,
                       double* document_frequency, double* pair_frequency, double* documents);

}  // namespace ntm
}  // namespace boundless
