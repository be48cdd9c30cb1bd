// Streaming parser for the line-oriented text formats (CSV, libsvm, Vowpal
// Wabbit, JSON Lines, and raw text: JSON Lines of documents, text_record.h). Bytes go straight from the caller's chunk into the caller's
// batch arrays; only a record split across two chunks is copied, into a
// carry buffer whose size is bounded by an option. Bad records stop the
// parse with the line and the reason, or are skipped and counted by reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/document_words.h"
#include "io/stream_parser.h"

namespace boundless {

enum class TextFormat { Csv, Libsvm, Vw, Jsonl, Text };

struct TextParserOptions {
  TextFormat format = TextFormat::Csv;
  char delimiter = ',';
  // CSV: which column holds the label (-1: none, as with label_size=0).
  int label_column = 0;
  // CSV: ignored[c] != 0 for a column that is read past, not parsed (row names, identifiers):
  // counted among a record's columns, never a feature or the label.
  std::vector<char> ignored;
  bool header = false;
  // Features per row (CSV), or the index bound (libsvm) / 2^hash_bits (VW) / the hash buckets (text).
  size_t feature_dim = 0;
  bool zero_based = false;  // libsvm indices
  int hash_bits = 18;       // VW
  bool labels_required = true;
  // Classification: labels must be integers in [0, label_classes) (0: any label).
  size_t label_classes = 0;
  FeatureRange feature_range;
  size_t max_record_bytes = 1 << 20;
  bool skip_bad = false;
};

class TextParser : public StreamParser {
 public:
  explicit TextParser(const TextParserOptions& options);

  FeedResult Feed(const char* data, size_t length, BatchTarget& target) override;
  // Parses a final record that has no newline after it.
  FeedResult Finish(BatchTarget& target) override;
  // Line numbers restart; a header line is expected when the format has one and expect_header.
  void StartFile(bool expect_header) override;
  // A piece of a stream that starts at a record boundary: `line` and `offset` (bytes since the
  // file's start) of its first record, whether that record is the file's first line (a
  // byte-order mark may lead it), whether the file's first non-blank line is still to come (the
  // header to skip when header_pending). The parallel parser's pieces start here.
  void StartSegment(uint64_t line, uint64_t offset, bool file_start, bool first_record_pending, bool header_pending);
  // The file's first non-blank line (the first after the header, with one) has not been taken yet (a
  // piece of blank lines leaves it so).
  bool first_record_pending() const { return first_record_pending_; }
  bool header_pending() const { return header_pending_; }
  uint64_t record_number() const override { return line_; }
  uint64_t committed_offset() const override { return committed_offset_; }
  size_t carry_bytes() const override { return carry_.size(); }
  size_t feature_dim() const override { return options_.feature_dim; }

 private:
  enum class Outcome { Stored, Skipped, Full, Failed };
  // One record (no newline). Handles the header, blank lines and the bad-record policy.
  Outcome TakeRecord(const char* begin, const char* end, BatchTarget& target, FeedResult& result);
  // Writes one record into the target; on failure sets reason and detail, leaves rows unchanged.
  bool ParseRecord(const char* begin, const char* end, BatchTarget& target, BadRecord* reason,
                   std::string* detail, bool* full);
  // Where the row just stored starts and ends and its line, for targets that ask (row_ends).
  void NoteRow(BatchTarget& target) const;
  bool LooksLikeHeader(const char* begin, const char* end, BadRecord reason) const;
  // A record over max_record_bytes: always an error (the limit bounds memory, it is not a data check).
  void FailTooLong(FeedResult& result);
  bool ParseCsv(const char* begin, const char* end, BatchTarget& t, BadRecord* reason, std::string* detail);
  bool ParseLibsvm(const char* begin, const char* end, BatchTarget& t, BadRecord* reason,
                   std::string* detail, bool* full);
  bool LibsvmIndexInRange(uint64_t& index, const char* token_begin, const char* colon, BadRecord* reason,
                          std::string* detail) const;
  bool PushFeature(BatchTarget& t, size_t& nnz, uint64_t index, float value, BadRecord* reason, std::string* detail,
                   bool* full) const;
  bool ParseVw(const char* begin, const char* end, BatchTarget& t, BadRecord* reason,
               std::string* detail, bool* full);

  TextParserOptions options_;
  size_t ignored_count_ = 0;  // CSV columns read past (options_.ignored)
  std::string carry_;
  uint64_t line_ = 1;
  uint64_t stream_offset_ = 0;
  uint64_t committed_offset_ = 0;
  // The header: the file's first non-blank line (blank lines before it are blank lines).
  bool header_pending_ = false;
  // The next line is the first of a file read from its start: a UTF-8 byte-order mark may lead it.
  bool at_file_start_ = false;
  // No non-blank line of a file read from its start has been taken: a header read by mistake
  // is told apart at the first that is.
  bool first_record_pending_ = false;
  DocumentWords document_words_;  // text: one document's words, reused
};

}  // namespace boundless
