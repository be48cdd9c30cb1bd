// Encodes rows in parallel straight into one output buffer. Each block of
// rows starts writing at the byte bound of the rows before it (where no
// earlier block can reach), so blocks need no buffers of their own; the
// blocks are then moved together, in order, into one contiguous text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/thread_pool.h"

namespace boundless {

// Rows per block: enough output per block (~64 KiB) that a block outweighs its scheduling.
inline size_t RowsPerBlock(size_t row_bound) { return row_bound >= 65536 ? 1 : 65536 / row_bound; }

// bound_before(r): an upper bound on the bytes of rows [0, r), non-decreasing in r, with
// out holding at least bound_before(rows). encode_row(r, at) writes row r at `at` and returns
// its end. Returns the bytes written, from out[0].
template <typename BoundBefore, typename EncodeRow>
size_t EncodeInBlocks(size_t rows, size_t block_rows, const BoundBefore& bound_before, const EncodeRow& encode_row,
                      uint8_t* out) {
  const size_t blocks = (rows + block_rows - 1) / block_rows;
  std::vector<size_t> ends(blocks);
  ThreadPool::Shared().ParallelFor(blocks, 1, [&](size_t first, size_t last) {
    for (size_t b = first; b < last; ++b) {
      const size_t begin = b * block_rows, end = begin + block_rows < rows ? begin + block_rows : rows;
      char* at = reinterpret_cast<char*>(out + bound_before(begin));
      for (size_t r = begin; r < end; ++r) at = encode_row(r, at);
      ends[b] = static_cast<size_t>(reinterpret_cast<uint8_t*>(at) - out);
    }
  });
  size_t written = 0;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t start = bound_before(b * block_rows);
    if (start != written) std::memmove(out + written, out + start, ends[b] - start);
    written += ends[b] - start;
  }
  return written;
}

}  // namespace boundless
