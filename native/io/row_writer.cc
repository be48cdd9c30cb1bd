// Row encoders, one per format. Each writes one row at a pointer and returns
// its end; block_encoder.h runs them over blocks of rows in parallel, so a
// row's bound (the constants below) must hold for any values.
#include "io/row_writer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "io/block_encoder.h"
#include "io/number_text.h"
#include "runtime/thread_buffer.h"

namespace boundless {
namespace {

constexpr size_t kNumber = kMaxNumberText;
constexpr size_t kIndex = 20;  // an index (or index + 1, or the feature dimension) in decimal
constexpr size_t kVarint = 10;

// SageMaker's recordIO: a frame's magic word, and the largest record a frame's 29-bit length holds.
constexpr uint32_t kRecordioMagic = 0xced7230a;
constexpr size_t kRecordioLimit = size_t{1} << 29;

struct RowBound {
  size_t per_row;    // bytes every row may take
  size_t per_entry;  // and each stored entry (sparse) or column (dense)
};

// CSV writes every column of every row, so its bound has no per-entry part even for sparse rows.
RowBound BoundOf(RowFormat format, const BatchView& b) {
  const size_t cells = b.sparse ? 0 : b.cols;
  switch (format) {
    case RowFormat::kCsv: return {(b.cols + 1) * (kNumber + 1) + 1, 0};
    case RowFormat::kLibsvm: return {kNumber + 1 + cells * (kIndex + kNumber + 2), b.sparse ? kIndex + kNumber + 2 : 0};
    case RowFormat::kJsonl: {
      const size_t fixed = 96 + kIndex + 2 * kNumber;  // braces, field names, shape, label and weight
      return {fixed + cells * (kNumber + 1), b.sparse ? kIndex + kNumber + 2 : 0};
    }
    case RowFormat::kRecordio: return {128 + cells * 4, b.sparse ? 4 + kVarint : 0};
  }
  return {0, 0};
}

char* Put(char* at, const char* text, size_t length) {
  std::memcpy(at, text, length);
  return at + length;
}

// A row's entries: every column (dense) or the stored ones (sparse). An empty typed array
// may have no data pointer at all, so sparseness is a flag, never a null `indices`.
struct Entries {
  const float* values;
  const uint32_t* indices;
  size_t count;
  bool sparse;
};

Entries RowEntries(const BatchView& b, size_t r) {
  if (!b.sparse) return {b.values + r * b.cols, nullptr, b.cols, false};
  const size_t begin = static_cast<size_t>(b.indptr[r]), end = static_cast<size_t>(b.indptr[r + 1]);
  if (begin == end) return {nullptr, nullptr, 0, true};
  return {b.values + begin, b.indices + begin, end - begin, true};
}

// CSV: label, then every column; a sparse row is scattered into `dense` (entries with the
// same index add up, in float32 as a Float32Array would).
char* CsvRow(const BatchView& b, size_t r, char* at, std::vector<float>& dense) {
  Entries e = RowEntries(b, r);
  const float* row = e.values;
  if (e.sparse) {
    std::fill(dense.begin(), dense.end(), 0.0f);
    for (size_t k = 0; k < e.count; ++k) {
      dense[e.indices[k]] = static_cast<float>(static_cast<double>(dense[e.indices[k]]) + e.values[k]);
    }
    row = dense.data();
  }
  bool first = true;
  if (b.labels) {
    at = WriteFloat32Text(at, b.labels[r]);
    first = false;
  }
  for (size_t c = 0; c < b.cols; ++c) {
    if (!first) *at++ = ',';
    first = false;
    at = WriteFloat32Text(at, row[c]);
  }
  *at++ = '\n';
  return at;
}

// A sparse row's entries in ascending index order with each index once (values of a repeated
// index added in float32, in the row's order, as a dense row would hold them). VW's hashing
// repeats and disorders indices; LIBSVM and liblinear read only ascending, unique ones.
void SortedUnique(const Entries& e, std::vector<std::pair<uint32_t, float>>& out) {
  out.clear();
  for (size_t k = 0; k < e.count; ++k) out.emplace_back(e.indices[k], e.values[k]);
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t kept = 0;
  for (size_t k = 0; k < out.size(); ++k) {
    if (kept > 0 && out[kept - 1].first == out[k].first) {
      out[kept - 1].second = static_cast<float>(static_cast<double>(out[kept - 1].second) + out[k].second);
    } else {
      out[kept++] = out[k];
    }
  }
  out.resize(kept);
}

bool StrictlyIncreasing(const Entries& e) {
  for (size_t k = 1; k < e.count; ++k) if (e.indices[k] <= e.indices[k - 1]) return false;
  return true;
}

// libsvm: label (0 without labels), then index:value with 1-based, ascending, unique indices;
// dense rows skip zeros.
char* LibsvmRow(const BatchView& b, size_t r, char* at) {
  Entries e = RowEntries(b, r);
  at = WriteFloat32Text(at, b.labels ? b.labels[r] : 0.0f);
  if (e.sparse && !StrictlyIncreasing(e)) {
    // Rows are written on the pool's threads: each its own buffer (runtime/thread_buffer.h says why not a thread_local here).
    std::vector<std::pair<uint32_t, float>>& sorted = ThreadBuffer<std::vector<std::pair<uint32_t, float>>, struct SortedEntries>();
    SortedUnique(e, sorted);
    for (const auto& [index, value] : sorted) {
      *at++ = ' ';
      at = WriteUnsigned(at, uint64_t{index} + 1);
      *at++ = ':';
      at = WriteFloat32Text(at, value);
    }
    *at++ = '\n';
    return at;
  }
  for (size_t k = 0; k < e.count; ++k) {
    if (!e.sparse && e.values[k] == 0) continue;
    *at++ = ' ';
    at = WriteUnsigned(at, (e.sparse ? uint64_t{e.indices[k]} : uint64_t{k}) + 1);
    *at++ = ':';
    at = WriteFloat32Text(at, e.values[k]);
  }
  *at++ = '\n';
  return at;
}

char* FloatList(char* at, const float* values, size_t count) {
  for (size_t k = 0; k < count; ++k) {
    if (k > 0) *at++ = ',';
    at = WriteFloat32Text(at, values[k]);
  }
  return at;
}

// JSON Lines: {"features":[...]} or {"features":{"keys":[...],"values":[...],"shape":[cols]}},
// then "label" when the batch has labels and "weight" when the row's is not 1.
char* JsonlRow(const BatchView& b, size_t r, char* at) {
  Entries e = RowEntries(b, r);
  if (!e.sparse) {
    at = Put(at, "{\"features\":[", 13);
    at = FloatList(at, e.values, e.count);
    *at++ = ']';
  } else {
    at = Put(at, "{\"features\":{\"keys\":[", 21);
    for (size_t k = 0; k < e.count; ++k) {
      if (k > 0) *at++ = ',';
      at = WriteUnsigned(at, e.indices[k]);
    }
    at = Put(at, "],\"values\":[", 12);
    at = FloatList(at, e.values, e.count);
    at = Put(at, "],\"shape\":[", 11);
    at = WriteUnsigned(at, b.cols);
    at = Put(at, "]}", 2);
  }
  if (b.labels) {
    at = Put(at, ",\"label\":", 9);
    at = WriteFloat32Text(at, b.labels[r]);
  }
  if (b.weights && !(b.weights[r] == 1.0f)) {
    at = Put(at, ",\"weight\":", 10);
    at = WriteFloat32Text(at, b.weights[r]);
  }
  return Put(at, "}\n", 2);
}

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

char* Varint(char* at, uint64_t value) {
  while (value >= 0x80) {
    *at++ = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *at++ = static_cast<char>(value);
  return at;
}

char* LittleEndian32(char* at, uint32_t word) {
  for (int i = 0; i < 4; ++i) *at++ = static_cast<char>((word >> (8 * i)) & 0xff);
  return at;
}

// A float's bytes as DataView.setFloat32 writes them: little-endian, NaN as the canonical quiet NaN.
char* Float32Bytes(char* at, float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  if (std::isnan(value)) bits = 0x7fc00000u;
  return LittleEndian32(at, bits);
}

// A length-delimited field's tag and length.
char* Field(char* at, int number, size_t length) {
  *at++ = static_cast<char>(number * 8 + 2);
  return Varint(at, length);
}

size_t FieldSize(size_t length) { return 1 + VarintSize(length) + length; }

// The map entry "values" → Value{float32_tensor}: the key's 8 bytes, then the value's field.
constexpr char kValuesKey[] = "\x0a\x06values";

char* ValuesEntryHead(char* at, size_t tensor) {
  at = Put(at, kValuesKey, 8);
  at = Field(at, 2, FieldSize(tensor));
  return Field(at, 2, tensor);
}

size_t ValuesEntrySize(size_t tensor) { return 8 + FieldSize(FieldSize(tensor)); }

// recordIO-protobuf: Record{features: {"values": Float32Tensor{values, keys, shape}},
// label: {"values": Float32Tensor{values: [label]}}}, framed and padded to 4 bytes.
char* RecordioRow(const BatchView& b, size_t r, char* at) {
  Entries e = RowEntries(b, r);
  size_t keys = 0;
  if (e.sparse) {
    for (size_t k = 0; k < e.count; ++k) keys += VarintSize(e.indices[k]);
  }
  const size_t tensor = (e.count > 0 ? FieldSize(4 * e.count) : 0) + (keys > 0 ? FieldSize(keys) : 0) +
                        (e.sparse ? FieldSize(VarintSize(b.cols)) : 0);
  constexpr size_t kLabelTensor = 6;  // values field: tag, length 4, one float
  const size_t payload = FieldSize(ValuesEntrySize(tensor)) + (b.labels ? FieldSize(ValuesEntrySize(kLabelTensor)) : 0);
  if (payload >= kRecordioLimit) {
    throw std::range_error("recordIO: a record of " + std::to_string(payload) + " bytes exceeds the 2^29 - 1 byte frame limit");
  }
  at = LittleEndian32(at, kRecordioMagic);
  at = LittleEndian32(at, static_cast<uint32_t>(payload));  // flag 0 (a whole record) in the top 3 bits
  at = Field(at, 1, ValuesEntrySize(tensor));
  at = ValuesEntryHead(at, tensor);
  if (e.count > 0) {
    at = Field(at, 1, 4 * e.count);
    for (size_t k = 0; k < e.count; ++k) at = Float32Bytes(at, e.values[k]);
  }
  if (keys > 0) {
    at = Field(at, 2, keys);
    for (size_t k = 0; k < e.count; ++k) at = Varint(at, e.indices[k]);
  }
  if (e.sparse) {
    at = Field(at, 3, VarintSize(b.cols));
    at = Varint(at, b.cols);
  }
  if (b.labels) {
    at = Field(at, 2, ValuesEntrySize(kLabelTensor));
    at = ValuesEntryHead(at, kLabelTensor);
    at = Field(at, 1, 4);
    at = Float32Bytes(at, b.labels[r]);
  }
  for (size_t pad = payload; pad % 4 != 0; ++pad) *at++ = 0;
  return at;
}

// A CSR batch the encoders can walk: indptr non-decreasing from ≥ 0, indices below cols.
void CheckSparse(const BatchView& b) {
  if (!b.sparse) return;
  if (b.indptr[0] < 0) throw std::invalid_argument("batch.indptr[0] is " + std::to_string(b.indptr[0]) + ", below zero");
  for (size_t r = 0; r < b.rows; ++r) {
    if (b.indptr[r + 1] < b.indptr[r]) {
      throw std::invalid_argument("batch.indptr decreases at row " + std::to_string(r) + " (" + std::to_string(b.indptr[r]) +
                                  " then " + std::to_string(b.indptr[r + 1]) + ")");
    }
    for (int32_t k = b.indptr[r]; k < b.indptr[r + 1]; ++k) {
      if (b.indices[k] >= b.cols) {
        throw std::invalid_argument("batch row " + std::to_string(r) + ": feature index " + std::to_string(b.indices[k]) +
                                    " is outside [0, " + std::to_string(b.cols) + ") (cols)");
      }
    }
  }
}

}  // namespace

bool ParseRowFormat(const std::string& name, RowFormat* format) {
  if (name == "csv") *format = RowFormat::kCsv;
  else if (name == "libsvm") *format = RowFormat::kLibsvm;
  else if (name == "jsonl") *format = RowFormat::kJsonl;
  else if (name == "recordio") *format = RowFormat::kRecordio;
  else return false;
  return true;
}

size_t RowBytesBound(RowFormat format, const BatchView& b, size_t rows) {
  const RowBound bound = BoundOf(format, b);
  const size_t entries = b.sparse ? static_cast<size_t>(b.indptr[rows] - b.indptr[0]) : 0;
  return rows * bound.per_row + entries * bound.per_entry;
}

size_t EncodeRows(RowFormat format, const BatchView& b, uint8_t* out) {
  CheckSparse(b);
  const auto before = [&](size_t r) { return RowBytesBound(format, b, r); };
  const size_t mean_row = b.rows == 0 ? 1 : RowBytesBound(format, b, b.rows) / b.rows + 1;
  const size_t block = RowsPerBlock(mean_row);
  switch (format) {
    case RowFormat::kCsv:
      return EncodeInBlocks(b.rows, block, before, [&](size_t r, char* at) {
        std::vector<float>& dense = ThreadBuffer<std::vector<float>, struct DenseCsvRow>();
        if (b.sparse && dense.size() != b.cols) dense.assign(b.cols, 0.0f);
        return CsvRow(b, r, at, dense);
      }, out);
    case RowFormat::kLibsvm:
      return EncodeInBlocks(b.rows, block, before, [&](size_t r, char* at) { return LibsvmRow(b, r, at); }, out);
    case RowFormat::kJsonl:
      return EncodeInBlocks(b.rows, block, before, [&](size_t r, char* at) { return JsonlRow(b, r, at); }, out);
    case RowFormat::kRecordio:
      return EncodeInBlocks(b.rows, block, before, [&](size_t r, char* at) { return RecordioRow(b, r, at); }, out);
  }
  return 0;
}

}  // namespace boundless
