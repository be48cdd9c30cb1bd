// The text formats (CSV, libsvm, VW, JSON Lines) parsed by every thread of the
// pool. Each feed takes a wave of whole lines (at most kWaveBytes), splits it
// at newlines into segments, counts each segment's lines (so that every
// record knows its line number), parses the segments at once into staging
// arrays with one TextParser each, and then copies the rows into the caller's
// batches in input order. The batches are the ones a sequential TextParser
// gives, row for row and byte for byte, with the same positions (byte offset
// after each batch's last record) and the same errors (file line and reason):
// results and checkpoints do not depend on the thread count. Staging memory is
// fixed by kWaveBytes (and, for dense rows, kDenseStagingBytes), not by the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/text_parser.h"

namespace boundless {

class ParallelTextParser : public StreamParser {
 public:
  ParallelTextParser(const TextParserOptions& options, size_t threads);
  ~ParallelTextParser() override;

  FeedResult Feed(const char* data, size_t length, BatchTarget& target) override;
  FeedResult Finish(BatchTarget& target) override;
  void StartFile(bool expect_header) override;
  uint64_t record_number() const override { return line_; }
  uint64_t committed_offset() const override { return committed_; }
  size_t carry_bytes() const override { return carry_.size(); }
  size_t feature_dim() const override { return options_.feature_dim; }
  size_t parse_threads() const override { return threads_; }
  bool has_staged() const override { return active_; }
  FeedResult Drain(BatchTarget& target) override;

  // Bytes of whole lines one feed parses at most (a longer record is taken whole).
  static constexpr size_t kWaveBytes = size_t(4) << 20;
  // Segments smaller than this are not worth a thread.
  static constexpr size_t kMinSegmentBytes = size_t(64) << 10;
  // Dense staging (rows × feature_dim floats) of one wave at most; fewer lines are taken when
  // short records make wide rows (JSON Lines in a large feature space).
  static constexpr size_t kDenseStagingBytes = size_t(32) << 20;

 private:
  struct Segment;

  // Parses the whole lines [begin, end), which start `offset` bytes into the file (after the
  // completed carry record, when with_carry); returns the end of the lines it took.
  const char* ParseWave(const char* begin, const char* end, uint64_t offset, bool with_carry,
                        uint64_t carry_offset, const BatchTarget& shape);
  // Splits [begin, end) at newlines into segments after the first `first` ones and counts their lines.
  void SplitAtNewlines(const char* begin, const char* end, uint64_t offset, size_t first);
  // Keeps the segments (or the first lines of the first) whose dense rows fit the staging budget;
  // returns the end of the data lines kept (`begin` when only the carry record is).
  const char* LimitDenseRows(const char* begin, const char* end, const BatchTarget& shape);
  // Parses one segment into its staging arrays, shaped like the caller's batches.
  void ParseSegment(Segment& segment, TextParser& parser, const BatchTarget& shape);
  // Copies staged rows into the target in order; true when the wave is spent without failure.
  bool DrainInto(BatchTarget& target, FeedResult& result);
  void Fail(FeedResult& result, const std::string& message);

  TextParserOptions options_;
  size_t threads_;
  std::vector<std::unique_ptr<TextParser>> parsers_;
  std::vector<Segment> segments_;
  size_t wave_segments_ = 0;
  // The wave being handed over: the next staged row, and where the wave ends.
  bool active_ = false;
  size_t emit_segment_ = 0;
  size_t emit_row_ = 0;
  uint64_t wave_end_offset_ = 0;
  uint64_t wave_end_line_ = 1;
  // An error found in the wave, reported once the rows before it are handed over.
  bool failure_pending_ = false;
  std::string failure_;

  std::string carry_;
  uint64_t fed_offset_ = 0;  // bytes since StartFile fed so far
  uint64_t committed_ = 0;
  uint64_t line_ = 1;
  bool header_pending_ = false;
  bool file_start_pending_ = false;
};

}  // namespace boundless
