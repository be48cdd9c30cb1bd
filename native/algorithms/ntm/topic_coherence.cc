#include "algorithms/ntm/topic_coherence.h"

#include <vector>

#include "runtime/reused.h"

namespace boundless {
namespace ntm {

void CountCooccurrence(const BatchView& batch, size_t vocabulary, const int32_t* words, size_t topics, size_t top,
                       double* document_frequency, double* pair_frequency, double* documents) {
  Reused<std::vector<uint8_t>> marks;  // marks[v]: word v is in the current document
  std::vector<uint8_t>& present = *marks;
  if (present.size() < vocabulary) present.assign(vocabulary, 0);
  std::vector<uint8_t> listed(top);
  for (size_t r = 0; r < batch.rows; r++) {
    auto mark = [&](uint8_t value) {
      if (batch.sparse) {
        for (int32_t e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) {
          if (batch.values[e] > 0) present[batch.indices[e]] = value;
        }
      } else {
        for (size_t v = 0; v < batch.cols; v++) {
          if (batch.values[r * batch.cols + v] > 0) present[v] = value;
        }
      }
    };
    mark(1);
    for (size_t t = 0; t < topics; t++) {
      for (size_t i = 0; i < top; i++) listed[i] = present[words[t * top + i]];
      for (size_t i = 0; i < top; i++) {
        if (!listed[i]) continue;
        document_frequency[t * top + i] += 1;
        for (size_t j = i + 1; j < top; j++) pair_frequency[(t * top + i) * top + j] += listed[j];
      }
    }
    mark(0);
  }
  *documents += static_cast<double>(batch.rows);
}

}  // namespace ntm
}  // namespace boundless
