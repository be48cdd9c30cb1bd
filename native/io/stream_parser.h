// What every streaming parser shares: the batch arrays it writes into, the
// result of feeding it a chunk, the reasons a record can be rejected, and
// the interface the JS binding drives (text formats and recordIO alike).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace boundless {

// Why a record was rejected; the order is the order of the counts reported to JS.
enum class BadRecord {
  ColumnCount,
  Number,
  NonFinite,
  IndexRange,
  MissingLabel,
  TooLong,
  TooManyFeatures,
  Syntax,
  Truncated,
  Encoding,
  LabelRange,
  FeatureRange,
  // Not a bad record: a blank line (or a libsvm comment line), counted so that a reader can say
  // how many lines were no records (predict's output has one line per record). The JS side keeps
  // it out of badRecords.
  BlankLine,
  kCount,
};
const char* BadRecordName(BadRecord reason);

// Whether a label is one the consumer takes: with classes > 0, an integer in [0, classes)
// (2: a binary classifier's 0 or 1); otherwise any. With the reason's words when it is not.
bool LabelInRange(float label, size_t classes, std::string* detail);

// The values a consumer takes (a topic model's word counts: 0 to 1e9); `checked` false: any finite value.
struct FeatureRange {
  bool checked = false;
  float min = 0, max = 0;
};

struct BatchTarget;
// Whether the last row of the target holds only values in range; with the first one outside and
// its column named in detail when not, numbered as the file numbers it (first_index: libsvm's 1).
bool LastRowInRange(const BatchTarget& target, size_t cols, const FeatureRange& range, std::string* detail, size_t first_index = 0);

// A sparse row's repeated features add up (libsvm, VW, JSON Lines and recordio rows read so), and
// finite values can add past float32's range: whether every feature's sum, in the row's order in
// float32 as the kernels add it, stays finite; detail names the first that does not (numbered from
// first_index). O(count) for any row whose magnitudes sum below float32's largest.
bool RepeatedFeaturesFinite(const uint32_t* keys, const float* values, size_t count, size_t first_index, std::string* detail);
bool RepeatedFeaturesFinite(const uint64_t* keys, const float* values, size_t count, size_t first_index, std::string* detail);

// The arrays of one batch, owned by the caller (JS typed arrays from the pool).
struct BatchTarget {
  bool sparse = false;
  size_t row_capacity = 0;
  size_t nnz_capacity = 0;  // sparse only
  float* values = nullptr;
  float* labels = nullptr;   // may be null when labels are not wanted
  float* weights = nullptr;  // may be null
  int32_t* indptr = nullptr;
  uint32_t* indices = nullptr;
  size_t rows = 0;
  size_t nnz = 0;
  // Optional, per stored row (text formats): the byte offsets where its record starts (after
  // the lines skipped before it) and ends (after its newline), and its line number. The parallel
  // parser's staging targets ask for them, to place each batch it hands over at the exact
  // position a sequential parse would.
  uint64_t* row_starts = nullptr;
  uint64_t* row_ends = nullptr;
  uint64_t* row_lines = nullptr;
  // Optional, sparse `text` rows: the word that names each stored non-zero k (its bucket's most
  // frequent word in its record) is word_bytes[word_offsets[k] .. word_offsets[k + 1]), UTF-8.
  // word_offsets has nnz_capacity + 1 entries and word_offsets[0] = 0, so word_offsets[nnz] is
  // the bytes used; a record whose words do not fit word_bytes_capacity fills the batch.
  uint32_t* word_offsets = nullptr;
  uint8_t* word_bytes = nullptr;
  size_t word_bytes_capacity = 0;
};

struct FeedResult {
  size_t consumed = 0;   // bytes of the chunk used (complete records and carry)
  bool batch_full = false;
  bool failed = false;
  std::string message;  // with failed: "line N: reason"
};

// Writes one record into the next row of the target: dense values (!sparse,
// count == feature_dim) or sparse (keys[i], values[i]) pairs with keys already
// checked against feature_dim; scattered into a dense row or stored as CSR
// entries. When a non-empty sparse batch has no room, sets *full (the record
// goes into the next batch); when even an empty batch cannot hold it, fails
// with TooManyFeatures.
bool StoreRow(bool sparse, const float* values, const uint64_t* keys, size_t count, size_t feature_dim, float label,
              float weight, BatchTarget& target, BadRecord* reason, std::string* detail, bool* full);

using BadRecordCounts = std::array<uint64_t, static_cast<size_t>(BadRecord::kCount)>;

class StreamParser {
 public:
  virtual ~StreamParser() = default;
  // Parses complete records from the chunk into the target until the chunk
  // ends (a partial last record is kept) or the target is full.
  virtual FeedResult Feed(const char* data, size_t length, BatchTarget& target) = 0;
  // The end of the stream: parses or rejects what is left.
  virtual FeedResult Finish(BatchTarget& target) = 0;
  // A new file (or a resumed position in one) starts.
  virtual void StartFile(bool expect_header) = 0;
  // Line (text) or record (binary) number of the next record, 1-based.
  virtual uint64_t record_number() const = 0;
  // Bytes since StartFile up to the end of the last record taken or skipped.
  virtual uint64_t committed_offset() const = 0;
  virtual size_t carry_bytes() const = 0;
  virtual size_t feature_dim() const = 0;
  // Threads that parse at once: 1, or the pool's size for the parallel text parser.
  virtual size_t parse_threads() const { return 1; }
  // Rows parsed but not yet handed over (the parallel parser's staging), and handing them over
  // without parsing more: a copy of at most one batch, cheap enough for the caller's thread.
  virtual bool has_staged() const { return false; }
  virtual FeedResult Drain(BatchTarget& target) {
    (void)target;
    return FeedResult();
  }
  const BadRecordCounts& bad_counts() const { return bad_counts_; }
  // The counts since the last call, and zero: a parser that owns others adds up theirs.
  BadRecordCounts TakeBadCounts() {
    BadRecordCounts counts = bad_counts_;
    bad_counts_.fill(0);
    return counts;
  }

 protected:
  BadRecordCounts bad_counts_{};
};

}  // namespace boundless
