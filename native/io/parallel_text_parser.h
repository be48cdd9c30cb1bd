// The text formats (CSV, libsvm, VW, JSON Lines, raw text) parsed by every thread of the
// pool. Each wave of whole lines (at most kWaveBytes) is split at newlines
// into segments, each segment's lines are counted (so that every record knows
// its line number), the segments are parsed at once into staging arrays with
// one TextParser each, and the rows are then copied into the caller's batches
// in input order. The batches are the ones a sequential TextParser gives, row
// for row and byte for byte, with the same positions (byte offset after each
// batch's last record) and the same errors (line and reason, reported after
// the rows before them): results and checkpoints do not depend on the thread
// count.
//
// Two waves are kept, so the next chunk can be parsed (Reserve + Stage, on a
// libuv thread and the pool, or a FileStager's thread) while the rows of the
// one before are handed over (Drain, on the caller's thread): the parse side and
// the hand-over side share no mutable state but a wave's ready flag and the
// ring's place (under a lock, since a FileStager reserves from its own thread).
// Staging memory is fixed by kWaveBytes (and, for dense rows, kDenseStagingBytes)
// per wave, not by the data.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/text_parser.h"

namespace boundless {

class ParallelTextParser : public StreamParser {
 public:
  struct Wave;

  ParallelTextParser(const TextParserOptions& options, size_t threads);
  ~ParallelTextParser() override;

  // Hand over what is staged, then stage the chunk and hand over from it (synchronously).
  FeedResult Feed(const char* data, size_t length, BatchTarget& target) override;
  FeedResult Finish(BatchTarget& target) override;
  void StartFile(bool expect_header) override;
  uint64_t record_number() const override { return line_; }
  uint64_t committed_offset() const override { return committed_; }
  size_t carry_bytes() const override { return carry_.size(); }
  size_t feature_dim() const override { return options_.feature_dim; }
  size_t parse_threads() const override { return threads_; }
  bool has_staged() const override;
  FeedResult Drain(BatchTarget& target) override;

  // Parsing ahead: Reserve (caller's thread) gives a free wave, or null while both hold rows;
  // Stage (any one thread at a time) parses the chunk's whole lines into it — errors included,
  // reported when the wave is handed over — and returns the bytes taken (the rest is fed again).
  // `shape` says the batches' kind and which optional arrays they have.
  Wave* Reserve();
  // Reserve from another thread than the hand-over's: waits while both waves hold rows; null
  // once `cancelled` is set (WakeReservers wakes the wait to see it).
  Wave* ReserveWaiting(const std::atomic<bool>& cancelled);
  void WakeReservers();
  // Whether the wave failed to parse (its error waits for the hand-over): a FileStager stops there.
  static bool Failed(const Wave& wave);
  // Without `publish`, the wave is left for Publish to hand over (or to drop, with `failure`).
  size_t Stage(Wave& wave, const char* data, size_t length, const BatchTarget& shape, bool publish = true);
  static void Publish(Wave& wave, const std::string& failure);

  // Bytes of whole lines one wave holds at most (a longer record is taken whole).
  static constexpr size_t kWaveBytes = size_t(4) << 20;
  // Segments smaller than this are not worth a thread.
  static constexpr size_t kMinSegmentBytes = size_t(64) << 10;
  // Segments a wave is cut into per thread, each one chunk of the pool's loop. Many and short
  // (128 KB, ~0.35 ms of CSV, at 2 threads), because a kernel call that waits for a token waits
  // for the segment a parse thread is in: with 4 per thread (1.4 ms) train pca's 800 batch updates
  // spent 0.46 s waiting on 2 cores, for 0.1 s of work.
  static constexpr size_t kSegmentsPerThread = 16;
  // Dense staging (rows × feature_dim floats) of one wave at most; fewer lines are taken when
  // short records make wide rows (JSON Lines in a large feature space).
  static constexpr size_t kDenseStagingBytes = size_t(32) << 20;

 private:
  struct Segment;

  // Parses the whole lines [begin, end) into the wave (after the completed carry record, when
  // with_carry); returns the end of the lines it took.
  const char* ParseWave(Wave& wave, const char* begin, const char* end, uint64_t offset, bool with_carry,
                        uint64_t carry_offset, const BatchTarget& shape);
  void SplitAtNewlines(Wave& wave, const char* begin, const char* end, uint64_t offset, size_t first);
  const char* LimitDenseRows(Wave& wave, const char* begin, const char* end, const BatchTarget& shape);
  void ParseSegment(Segment& segment, TextParser& parser, const BatchTarget& shape);
  // The last record of a stream, without a newline after it, into a wave of its own.
  void StageLastRecord(Wave& wave, const BatchTarget& shape);
  // Copies staged rows into the target in order; true when every ready wave is spent without failure.
  bool DrainInto(BatchTarget& target, FeedResult& result);
  // One wave's rows from its hand-over cursor; true when they are all handed over.
  bool DrainWave(Wave& wave, BatchTarget& target, FeedResult& result);
  static size_t DrainSparseRun(const BatchTarget& staged, size_t r, BatchTarget& target);
  void Fail(FeedResult& result, const std::string& message);

  TextParserOptions options_;
  size_t threads_;
  std::vector<std::unique_ptr<TextParser>> parsers_;  // the parse side's, one per segment
  std::unique_ptr<std::array<Wave, 2>> waves_;
  mutable std::mutex ring_mutex_;            // head_ and held_
  std::condition_variable wave_freed_;       // a wave was handed over (ReserveWaiting's wait)
  size_t head_ = 0;   // the oldest wave holding rows
  size_t held_ = 0;   // waves holding rows (reserved, parsing or ready)
  Wave* ReserveLocked();
  Wave* OldestHeld();  // null when no wave holds rows

  // Parse side: what was fed and parsed so far.
  std::string carry_;
  uint64_t fed_offset_ = 0;     // bytes since StartFile fed so far
  uint64_t parsed_offset_ = 0;  // bytes since StartFile up to the end of the last line parsed
  uint64_t next_line_ = 1;      // line number of the next record to parse
  bool header_pending_ = false;
  bool file_start_pending_ = false;
  bool first_record_pending_ = false;  // no non-blank line of the file taken yet (TextParser's)

  // Hand-over side: where the rows handed over end.
  uint64_t committed_ = 0;
  uint64_t line_ = 1;
};

}  // namespace boundless
