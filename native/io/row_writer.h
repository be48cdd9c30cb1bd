// A batch's rows in an output format, for `boundless convert` and the
// library's writers: CSV (label first, as SageMaker reads it), libsvm
// (1-based indices), JSON Lines (with the row's weight when it is not 1) and
// framed recordIO-protobuf (SageMaker's Record with Float32 tensors). Numbers
// are written as lib/io/formats/float32-text.ts float32ToString writes them,
// and the bytes are those the JavaScript writer this replaced wrote.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/batch_view.h"

namespace boundless {

enum class RowFormat { kCsv, kLibsvm, kJsonl, kRecordio };

// "csv", "libsvm", "jsonl", "recordio"; false for anything else.
bool ParseRowFormat(const std::string& name, RowFormat* format);

// An upper bound on the bytes of the batch's first `rows` rows (any rows ≤ batch.rows), O(1).
size_t RowBytesBound(RowFormat format, const BatchView& batch, size_t rows);

// Writes every row of the batch at out (which holds at least RowBytesBound(format, batch,
// batch.rows) bytes), rows in order, blocks of rows on the thread pool; returns the bytes
// written. Throws std::invalid_argument for a malformed CSR batch (indptr decreasing or out of
// its values, an index ≥ cols) and std::range_error for a recordIO record of 2^29 bytes or more.
size_t EncodeRows(RowFormat format, const BatchView& batch, uint8_t* out);

}  // namespace boundless
