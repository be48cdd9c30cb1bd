// Streaming parser for the line-oriented text formats (CSV, libsvm, Vowpal
// Wabbit). Bytes go straight from the caller's chunk into the caller's
// batch arrays; only a record split across two chunks is copied, into a
// carry buffer whose size is bounded by an option. Bad records stop the
// parse with the line and the reason, or are skipped and counted by reason.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace boundless {

enum class TextFormat { Csv, Libsvm, Vw };

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
  kCount,
};
const char* BadRecordName(BadRecord reason);

struct TextParserOptions {
  TextFormat format = TextFormat::Csv;
  char delimiter = ',';
  // CSV: which column holds the label (-1: none, as with label_size=0).
  int label_column = 0;
  bool header = false;
  // Features per row (CSV), or the index bound (libsvm) / 2^hash_bits (VW).
  size_t feature_dim = 0;
  bool zero_based = false;  // libsvm indices
  int hash_bits = 18;       // VW
  bool labels_required = true;
  size_t max_record_bytes = 1 << 20;
  bool skip_bad = false;
};

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
};

struct FeedResult {
  size_t consumed = 0;   // bytes of the chunk used (complete records and carry)
  bool batch_full = false;
  bool failed = false;
  std::string message;  // with failed: "line N: reason"
};

class TextParser {
 public:
  explicit TextParser(const TextParserOptions& options);

  // Parses complete records from the chunk into the target until the chunk
  // ends (the partial last record is kept) or the target is full.
  FeedResult Feed(const char* data, size_t length, BatchTarget& target);
  // Parses a final record that has no newline after it.
  FeedResult Finish(BatchTarget& target);
  // A new file (or a resumed position in one) starts: line numbers restart,
  // and a header line is expected when the format has one and expect_header.
  void StartFile(bool expect_header = true);

  uint64_t line() const { return line_; }
  // Bytes of the stream (since StartFile) up to the end of the last record
  // taken into a batch or skipped: where a resumed run seeks to.
  uint64_t committed_offset() const { return committed_offset_; }
  const std::array<uint64_t, static_cast<size_t>(BadRecord::kCount)>& bad_counts() const {
    return bad_counts_;
  }
  size_t carry_bytes() const { return carry_.size(); }
  const TextParserOptions& options() const { return options_; }

 private:
  enum class Outcome { Stored, Skipped, Full, Failed };
  // One record (no newline). Handles the header, blank lines and the bad-record policy.
  Outcome TakeRecord(const char* begin, const char* end, BatchTarget& target, FeedResult& result);
  // Writes one record into the target; on failure sets reason and detail, leaves rows unchanged.
  bool ParseRecord(const char* begin, const char* end, BatchTarget& target, BadRecord* reason,
                   std::string* detail, bool* full);
  bool ParseCsv(const char* begin, const char* end, BatchTarget& t, BadRecord* reason, std::string* detail);
  bool ParseLibsvm(const char* begin, const char* end, BatchTarget& t, BadRecord* reason,
                   std::string* detail, bool* full);
  bool ParseVw(const char* begin, const char* end, BatchTarget& t, BadRecord* reason,
               std::string* detail, bool* full);

  TextParserOptions options_;
  std::string carry_;
  uint64_t line_ = 1;
  uint64_t stream_offset_ = 0;
  uint64_t committed_offset_ = 0;
  bool header_pending_ = false;
  std::array<uint64_t, static_cast<size_t>(BadRecord::kCount)> bad_counts_{};
};

}  // namespace boundless
