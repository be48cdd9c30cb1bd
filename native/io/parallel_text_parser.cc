#include "io/parallel_text_parser.h"

#include <algorithm>
#include <cstring>

#include "runtime/thread_pool.h"
#include "runtime/uninitialized_vector.h"

namespace boundless {

// One piece of a wave: whole lines, where they start, and the rows its parser staged.
struct ParallelTextParser::Segment {
  const char* begin = nullptr;
  const char* end = nullptr;
  uint64_t offset = 0;  // bytes since the file's start, of `begin`
  uint64_t line = 1;    // line number of its first record
  size_t lines = 0;     // newlines in [begin, end): one per record
  bool file_start = false;
  bool first_record_pending = false;
  bool header_pending = false;
  FeedResult result;
  // Sized for the worst case and rewritten every wave; left unzeroed (see uninitialized_vector.h).
  UninitializedVector<float> values, labels, weights;
  UninitializedVector<int32_t> indptr;
  UninitializedVector<uint32_t> indices;
  UninitializedVector<uint64_t> row_starts, row_ends, row_lines;
  UninitializedVector<uint32_t> word_offsets;  // text: the words naming the buckets, when the batches take them
  UninitializedVector<uint8_t> word_bytes;
  BatchTarget staged;
};

namespace {

// At least n elements, keeping what is there: staging grows to the largest wave and stays.
template <typename T>
T* AtLeast(UninitializedVector<T>& vector, size_t n) {
  if (vector.size() < n) vector.resize(n);
  return vector.data();
}

// At least n elements whose contents do not matter (a wave's staging before it is parsed): a
// vector too small is released before it grows, so growing copies nothing, and it grows an
// eighth more than asked: a segment's bytes differ by a line or so from wave to wave, and each
// regrowth maps fresh pages that fault in again.
template <typename T>
T* FreshAtLeast(UninitializedVector<T>& vector, size_t n) {
  if (vector.size() < n) {
    UninitializedVector<T>().swap(vector);
    vector.resize(n + n / 8);
  }
  return vector.data();
}

// Newlines in [begin, end), by memchr (vectorized in libc: std::count compiled to a byte loop
// here, as slow as parsing the bytes).
size_t CountNewlines(const char* begin, const char* end) {
  size_t count = 0;
  for (const char* p = begin; p < end; ++count) {
    const void* newline = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (!newline) break;
    p = static_cast<const char*>(newline) + 1;
  }
  return count;
}

// The byte after the n-th newline of [begin, end) (n ≥ 1), or end.
const char* AfterNewlines(const char* begin, const char* end, size_t n) {
  for (const char* p = begin; p < end;) {
    const char* newline = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (!newline) return end;
    p = newline + 1;
    if (--n == 0) return p;
  }
  return end;
}

const char* LastNewline(const char* begin, const char* end) {
  for (const char* p = end; p > begin; --p) {
    if (p[-1] == '\n') return p - 1;
  }
  return nullptr;
}

// The words naming a staged row's `count` entries from `from`, appended after the target's
// (before its nnz moves); a staging without words gives empty ones.
void CopyWords(const BatchTarget& staged, size_t from, size_t count, BatchTarget& target) {
  uint32_t* offsets = target.word_offsets + target.nnz;
  const uint32_t base = offsets[0];
  if (!staged.word_offsets) {
    for (size_t i = 1; i <= count; ++i) offsets[i] = base;
    return;
  }
  const uint32_t* source = staged.word_offsets + from;
  std::memcpy(target.word_bytes + base, staged.word_bytes + source[0], source[count] - source[0]);
  for (size_t i = 1; i <= count; ++i) offsets[i] = base + (source[i] - source[0]);
}

void AddCounts(BadRecordCounts& into, const BadRecordCounts& counts) {
  for (size_t i = 0; i < counts.size(); ++i) into[i] += counts[i];
}

// The sequential parser's words for a record over max_record_bytes.
std::string TooLongMessage(uint64_t line, size_t limit) {
  return "line " + std::to_string(line) + ": record is longer than " + std::to_string(limit) +
         " bytes (raise --max-record-bytes, maxRecordBytes in the API)";
}

}  // namespace

// A wave of segments and where the hand-over is in it. The parse side fills it and sets
// `ready` last; the hand-over side reads it only once `ready` is set, and frees it.
struct ParallelTextParser::Wave {
  std::vector<Segment> segments;
  size_t count = 0;  // segments in use
  size_t emit_segment = 0, emit_row = 0;
  uint64_t end_offset = 0, end_line = 1;  // after its last line
  bool failure_pending = false;
  std::string failure;
  BadRecordCounts bad{};  // counted by the parse; added to the parser's when handed over
  bool counted = false;
  std::atomic<bool> ready{false};
};

ParallelTextParser::ParallelTextParser(const TextParserOptions& options, size_t threads)
    : options_(options), threads_(std::max<size_t>(1, threads)), waves_(std::make_unique<std::array<Wave, 2>>()) {
  StartFile(true);
}

ParallelTextParser::~ParallelTextParser() = default;

void ParallelTextParser::StartFile(bool expect_header) {
  carry_.clear();
  fed_offset_ = parsed_offset_ = committed_ = 0;
  next_line_ = line_ = 1;
  for (Wave& wave : *waves_) {
    wave.ready.store(false);
    wave.count = 0;
  }
  head_ = held_ = 0;
  header_pending_ = options_.header && expect_header;
  file_start_pending_ = expect_header;
  first_record_pending_ = expect_header;
}

void ParallelTextParser::Fail(FeedResult& result, const std::string& message) {
  result.failed = true;
  result.message = message;
}

bool ParallelTextParser::has_staged() const {
  std::lock_guard<std::mutex> lock(ring_mutex_);
  return held_ > 0 && (*waves_)[head_].ready.load(std::memory_order_acquire);
}

ParallelTextParser::Wave* ParallelTextParser::Reserve() {
  std::lock_guard<std::mutex> lock(ring_mutex_);
  return ReserveLocked();
}

ParallelTextParser::Wave* ParallelTextParser::ReserveWaiting(const std::atomic<bool>& cancelled) {
  std::unique_lock<std::mutex> lock(ring_mutex_);
  wave_freed_.wait(lock, [&] { return held_ < 2 || cancelled.load(); });
  return cancelled.load() ? nullptr : ReserveLocked();
}

void ParallelTextParser::WakeReservers() {
  std::lock_guard<std::mutex> lock(ring_mutex_);
  wave_freed_.notify_all();
}

bool ParallelTextParser::Failed(const Wave& wave) { return wave.failure_pending; }

ParallelTextParser::Wave* ParallelTextParser::OldestHeld() {
  std::lock_guard<std::mutex> lock(ring_mutex_);
  return held_ > 0 ? &(*waves_)[head_] : nullptr;
}

ParallelTextParser::Wave* ParallelTextParser::ReserveLocked() {
  if (held_ == 2) return nullptr;
  Wave& wave = (*waves_)[(head_ + held_) % 2];
  ++held_;
  wave.ready.store(false, std::memory_order_relaxed);
  wave.count = 0;
  wave.emit_segment = wave.emit_row = 0;
  wave.failure_pending = false;
  wave.failure.clear();
  wave.bad.fill(0);
  wave.counted = false;
  wave.end_offset = parsed_offset_;
  wave.end_line = next_line_;
  return &wave;
}

FeedResult ParallelTextParser::Feed(const char* data, size_t length, BatchTarget& target) {
  FeedResult result;
  if (!DrainInto(target, result)) return result;
  if (length == 0) return result;
  Wave* wave = OldestHeld() == nullptr ? Reserve() : nullptr;  // everything ready was handed over
  if (!wave) {
    Fail(result, "a parse ahead (stage) is still running (a bug): please report it");
    return result;
  }
  result.consumed = Stage(*wave, data, length, target);
  DrainInto(target, result);
  return result;
}

FeedResult ParallelTextParser::Drain(BatchTarget& target) {
  FeedResult result;
  DrainInto(target, result);
  return result;
}

void ParallelTextParser::Publish(Wave& wave, const std::string& failure) {
  if (!failure.empty()) {
    // Nothing the wave read is handed over: the error is said where its first row would be.
    wave.count = 0;
    wave.failure_pending = true;
    wave.failure = failure;
  }
  wave.ready.store(true, std::memory_order_release);
}

size_t ParallelTextParser::Stage(Wave& wave, const char* data, size_t length, const BatchTarget& shape, bool publish) {
  const size_t limit = options_.max_record_bytes;
  // Errors found here wait in the wave, behind the rows before them.
  auto fail = [&](BadRecord reason, const std::string& message) {
    wave.bad[static_cast<size_t>(reason)]++;
    if (!wave.failure_pending) wave.failure = message;
    wave.failure_pending = true;
  };
  size_t consumed = length;
  size_t position = 0;
  bool with_carry = false;
  const uint64_t carry_offset = fed_offset_ - carry_.size();
  // A record begun in an earlier chunk: complete it from this one.
  if (!carry_.empty()) {
    const void* newline = std::memchr(data, '\n', length);
    size_t take = newline ? static_cast<size_t>(static_cast<const char*>(newline) - data) : length;
    if (carry_.size() + take > limit) {
      fail(BadRecord::TooLong, TooLongMessage(next_line_, limit));
    } else if (!newline) {
      carry_.append(data, length);
    } else {
      carry_.append(data, take + 1);
      position = take + 1;
      with_carry = true;
    }
  }
  if (!wave.failure_pending && (with_carry || carry_.empty())) {
    // Whole lines, a wave at most; a record longer than the wave is taken whole.
    const char* begin = data + position;
    const char* stop = data + length;
    const char* window = begin + std::min(kWaveBytes, static_cast<size_t>(stop - begin));
    const char* last = LastNewline(begin, window);
    if (!last && window < stop) last = static_cast<const char*>(std::memchr(window, '\n', static_cast<size_t>(stop - window)));
    const char* lines_end = last ? last + 1 : begin;
    const char* parsed_end = begin;
    if (with_carry || lines_end > begin) {
      parsed_end = ParseWave(wave, begin, lines_end, fed_offset_ + position, with_carry, carry_offset, shape);
    }
    // The bytes after the chunk's last newline wait for the next chunk; anything else not taken
    // (a wave's worth was) is the caller's to feed again.
    consumed = static_cast<size_t>(parsed_end - data);
    carry_.clear();
    if (parsed_end == lines_end && (window == stop || !last)) {
      size_t rest = static_cast<size_t>(stop - parsed_end);
      if (rest > limit) {
        fail(BadRecord::TooLong, TooLongMessage(wave.end_line, limit));
      } else {
        carry_.assign(parsed_end, rest);
        consumed = length;
      }
    }
  }
  fed_offset_ += consumed;
  if (publish) wave.ready.store(true, std::memory_order_release);
  return consumed;
}

FeedResult ParallelTextParser::Finish(BatchTarget& target) {
  FeedResult result;
  if (!DrainInto(target, result)) return result;
  if (OldestHeld() != nullptr) {
    Fail(result, "a parse ahead (stage) is still running (a bug): please report it");
    return result;
  }
  if (carry_.empty()) return result;
  StageLastRecord(*Reserve(), target);
  DrainInto(target, result);
  return result;
}

void ParallelTextParser::StageLastRecord(Wave& wave, const BatchTarget& shape) {
  // The sequential parser's Finish takes a record without a newline after it.
  if (wave.segments.empty()) wave.segments.emplace_back();
  if (parsers_.empty()) parsers_.push_back(std::make_unique<TextParser>(options_));
  Segment& segment = wave.segments[0];
  TextParser& parser = *parsers_[0];
  segment.begin = carry_.data();
  segment.end = carry_.data() + carry_.size();
  segment.offset = fed_offset_ - carry_.size();
  segment.line = next_line_;
  segment.lines = 1;
  segment.file_start = file_start_pending_;
  segment.first_record_pending = first_record_pending_;
  segment.header_pending = header_pending_;
  ParseSegment(segment, parser, shape);
  if (!segment.result.failed) segment.result = parser.Finish(segment.staged);
  AddCounts(wave.bad, parser.TakeBadCounts());
  wave.count = 1;
  wave.failure_pending = segment.result.failed;
  wave.failure = segment.result.message;
  wave.end_offset = parsed_offset_ = fed_offset_;
  wave.end_line = next_line_ = parser.record_number();
  carry_.clear();
  header_pending_ = file_start_pending_ = first_record_pending_ = false;
  wave.ready.store(true, std::memory_order_release);
}

const char* ParallelTextParser::ParseWave(Wave& wave, const char* begin, const char* end, uint64_t offset,
                                          bool with_carry, uint64_t carry_offset, const BatchTarget& shape) {
  size_t first = 0;
  if (with_carry) {
    if (wave.segments.empty()) wave.segments.emplace_back();
    Segment& carried = wave.segments[0];
    carried.begin = carry_.data();
    carried.end = carry_.data() + carry_.size();
    carried.offset = carry_offset;
    carried.lines = 1;
    first = 1;
  }
  SplitAtNewlines(wave, begin, end, offset, first);
  const char* parsed_end = LimitDenseRows(wave, begin, end, shape);
  uint64_t line = next_line_;
  for (size_t s = 0; s < wave.count; ++s) {
    Segment& segment = wave.segments[s];
    segment.line = line;
    segment.file_start = s == 0 && file_start_pending_;
    segment.first_record_pending = segment.header_pending = false;
    line += segment.lines;
  }
  while (parsers_.size() < wave.count) parsers_.push_back(std::make_unique<TextParser>(options_));
  // Until the file's first non-blank line is taken (the header, when there is one), segments are
  // parsed one at a time, each starting where the one before left that: blank lines may come
  // before it, in any number, and one parser would skip them all and then the header.
  size_t serial = 0;
  for (; serial < wave.count && first_record_pending_; ++serial) {
    Segment& segment = wave.segments[serial];
    segment.first_record_pending = true;
    segment.header_pending = header_pending_;
    ParseSegment(segment, *parsers_[serial], shape);
    first_record_pending_ = parsers_[serial]->first_record_pending();
    header_pending_ = parsers_[serial]->header_pending();
  }
  ThreadPool::Shared().ParallelFor(wave.count - serial, 1, [&](size_t from, size_t to) {
    for (size_t s = serial + from; s < serial + to; ++s) ParseSegment(wave.segments[s], *parsers_[s], shape);
  }, kSegmentsPerThread);
  // Counts and the first error in input order; segments after an error never happened.
  size_t kept = wave.count;
  for (size_t s = 0; s < wave.count; ++s) {
    BadRecordCounts counts = parsers_[s]->TakeBadCounts();
    if (s < kept) AddCounts(wave.bad, counts);
    if (s < kept && wave.segments[s].result.failed) {
      wave.failure_pending = true;
      wave.failure = wave.segments[s].result.message;
      kept = s + 1;
    }
  }
  wave.count = kept;
  const Segment& tail = wave.segments[wave.count - 1];
  wave.end_offset = parsed_offset_ = tail.offset + static_cast<uint64_t>(tail.end - tail.begin);
  wave.end_line = next_line_ = tail.line + tail.lines;
  file_start_pending_ = false;
  return parsed_end;
}

void ParallelTextParser::SplitAtNewlines(Wave& wave, const char* begin, const char* end, uint64_t offset, size_t first) {
  const size_t bytes = static_cast<size_t>(end - begin);
  const size_t pieces = std::max<size_t>(1, std::min(bytes / kMinSegmentBytes, threads_ * kSegmentsPerThread));
  wave.count = first;
  const char* start = begin;
  for (size_t j = 1; j <= pieces && start < end; ++j) {
    const char* cut = end;
    if (j < pieces) {
      const char* nominal = std::max(start, begin + bytes / pieces * j);
      const void* newline = std::memchr(nominal, '\n', static_cast<size_t>(end - nominal));
      cut = newline ? static_cast<const char*>(newline) + 1 : end;
    }
    if (wave.segments.size() <= wave.count) wave.segments.emplace_back();
    Segment& segment = wave.segments[wave.count++];
    segment.begin = start;
    segment.end = cut;
    segment.offset = offset + static_cast<uint64_t>(start - begin);
    start = cut;
  }
  ThreadPool::Shared().ParallelFor(wave.count - first, 1, [&](size_t from, size_t to) {
    for (size_t s = first + from; s < first + to; ++s) {
      wave.segments[s].lines = CountNewlines(wave.segments[s].begin, wave.segments[s].end);
    }
  });
}

const char* ParallelTextParser::LimitDenseRows(Wave& wave, const char* begin, const char* end, const BatchTarget& shape) {
  if (shape.sparse) return end;
  const size_t row_bytes = std::max<size_t>(1, options_.feature_dim * sizeof(float));
  const size_t budget = std::max<size_t>(1, kDenseStagingBytes / row_bytes);
  size_t rows = 0;
  for (size_t s = 0; s < wave.count; ++s) {
    Segment& segment = wave.segments[s];
    if (rows + segment.lines <= budget) {
      rows += segment.lines;
      continue;
    }
    if (s == 0) {  // never the carry record: one line always fits
      segment.end = AfterNewlines(segment.begin, segment.end, budget);
      segment.lines = budget;
      wave.count = 1;
      return segment.end;
    }
    wave.count = s;
    const Segment& kept = wave.segments[s - 1];
    return kept.begin == carry_.data() ? begin : kept.end;
  }
  return end;
}

void ParallelTextParser::ParseSegment(Segment& segment, TextParser& parser, const BatchTarget& shape) {
  const size_t rows = segment.lines + 1;  // one record per line: the staging never fills by rows
  const size_t bytes = static_cast<size_t>(segment.end - segment.begin);
  size_t nnz_capacity = shape.sparse ? bytes / 2 + rows + 16 : 0;
  BatchTarget& staged = segment.staged;
  staged = BatchTarget();
  staged.sparse = shape.sparse;
  staged.row_capacity = rows;
  staged.nnz_capacity = nnz_capacity;
  staged.values = FreshAtLeast(segment.values, shape.sparse ? nnz_capacity : rows * options_.feature_dim);
  if (shape.labels) staged.labels = FreshAtLeast(segment.labels, rows);
  if (shape.weights) staged.weights = FreshAtLeast(segment.weights, rows);
  if (shape.sparse) {
    staged.indptr = FreshAtLeast(segment.indptr, rows + 1);
    staged.indices = FreshAtLeast(segment.indices, nnz_capacity);
    staged.indptr[0] = 0;
  }
  if (shape.word_offsets) {
    // A record's words are never longer than the record (an escape is longer than its UTF-8).
    staged.word_offsets = FreshAtLeast(segment.word_offsets, nnz_capacity + 1);
    staged.word_offsets[0] = 0;
    staged.word_bytes = FreshAtLeast(segment.word_bytes, bytes + 16);
    staged.word_bytes_capacity = bytes + 16;
  }
  staged.row_starts = FreshAtLeast(segment.row_starts, rows);
  staged.row_ends = FreshAtLeast(segment.row_ends, rows);
  staged.row_lines = FreshAtLeast(segment.row_lines, rows);
  segment.result = FeedResult();
  parser.StartSegment(segment.line, segment.offset, segment.file_start, segment.first_record_pending, segment.header_pending);
  for (const char* p = segment.begin; p < segment.end;) {
    FeedResult result = parser.Feed(p, static_cast<size_t>(segment.end - p), staged);
    if (result.failed) {
      segment.result = result;
      return;
    }
    p += result.consumed;
    if (result.batch_full) {
      // More non-zeros than the bound guessed (VW's many short tokens): twice the room, and on.
      staged.nnz_capacity *= 2;
      staged.values = AtLeast(segment.values, staged.nnz_capacity);
      staged.indices = AtLeast(segment.indices, staged.nnz_capacity);
      if (staged.word_offsets) {
        staged.word_offsets = AtLeast(segment.word_offsets, staged.nnz_capacity + 1);
        staged.word_bytes_capacity *= 2;  // (never short by the bound above; kept in step all the same)
        staged.word_bytes = AtLeast(segment.word_bytes, staged.word_bytes_capacity);
      }
    } else if (result.consumed == 0 && p < segment.end) {
      segment.result.failed = true;
      segment.result.message = "line " + std::to_string(parser.record_number()) + ": the parser made no progress (a bug): please report it";
      return;
    }
  }
}

bool ParallelTextParser::DrainInto(BatchTarget& target, FeedResult& result) {
  for (;;) {
    Wave* oldest = OldestHeld();
    if (!oldest) return true;
    Wave& wave = *oldest;
    if (!wave.ready.load(std::memory_order_acquire)) return true;  // still being parsed
    if (!wave.counted) {
      AddCounts(bad_counts_, wave.bad);
      wave.counted = true;
    }
    if (!DrainWave(wave, target, result)) return false;
    committed_ = wave.end_offset;
    line_ = wave.end_line;
    const bool failed = wave.failure_pending;
    wave.ready.store(false, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(ring_mutex_);
      head_ = (head_ + 1) % 2;
      --held_;
      wave_freed_.notify_all();
    }
    if (failed) {
      Fail(result, wave.failure);
      return false;
    }
  }
}

// Staged sparse rows from r that fit the target whole, copied at once (a row at a time, a
// libsvm batch of 1,000 rows of 30 entries took 34 µs of the event loop's time); 0 when the
// next row does not fit, or the batches take words (the row-at-a-time path handles both).
size_t ParallelTextParser::DrainSparseRun(const BatchTarget& staged, size_t r, BatchTarget& target) {
  if (target.word_offsets) return 0;
  const size_t most = std::min(staged.rows - r, target.row_capacity - target.rows);
  const int32_t base = staged.indptr[r];
  const size_t room = target.nnz_capacity - target.nnz;
  size_t n = 0;
  while (n < most && static_cast<size_t>(staged.indptr[r + n + 1] - base) <= room) ++n;
  if (n == 0) return 0;
  const size_t entries = static_cast<size_t>(staged.indptr[r + n] - base);
  std::memcpy(target.indices + target.nnz, staged.indices + base, entries * sizeof(uint32_t));
  std::memcpy(target.values + target.nnz, staged.values + base, entries * sizeof(float));
  if (target.labels) std::memcpy(target.labels + target.rows, staged.labels + r, n * sizeof(float));
  if (target.weights) std::memcpy(target.weights + target.rows, staged.weights + r, n * sizeof(float));
  const int32_t shift = static_cast<int32_t>(target.nnz) - base;
  for (size_t i = 1; i <= n; ++i) target.indptr[target.rows + i] = staged.indptr[r + i] + shift;
  target.rows += n;
  target.nnz += entries;
  return n;
}

bool ParallelTextParser::DrainWave(Wave& wave, BatchTarget& target, FeedResult& result) {
  const size_t dim = options_.feature_dim;
  for (; wave.emit_segment < wave.count; ++wave.emit_segment, wave.emit_row = 0) {
    const BatchTarget& staged = wave.segments[wave.emit_segment].staged;
    while (wave.emit_row < staged.rows) {
      if (target.rows >= target.row_capacity) {
        result.batch_full = true;
        return false;
      }
      const size_t r = wave.emit_row;
      if (!target.sparse) {
        size_t n = std::min(staged.rows - r, target.row_capacity - target.rows);
        std::memcpy(target.values + target.rows * dim, staged.values + r * dim, n * dim * sizeof(float));
        if (target.labels) std::memcpy(target.labels + target.rows, staged.labels + r, n * sizeof(float));
        if (target.weights) std::memcpy(target.weights + target.rows, staged.weights + r, n * sizeof(float));
        target.rows += n;
        wave.emit_row += n;
      } else if (size_t n = DrainSparseRun(staged, r, target); n > 0) {
        wave.emit_row += n;
      } else {
        const size_t from = static_cast<size_t>(staged.indptr[r]);
        const size_t count = static_cast<size_t>(staged.indptr[r + 1]) - from;
        const size_t word_bytes = staged.word_offsets ? staged.word_offsets[from + count] - staged.word_offsets[from] : 0;
        const bool words_fit = !target.word_offsets || target.word_offsets[target.nnz] + word_bytes <= target.word_bytes_capacity;
        if (target.nnz + count > target.nnz_capacity || !words_fit) {
          if (target.rows > 0) {
            // The row opens the next batch; the lines skipped before it belong to this one.
            committed_ = staged.row_starts[r];
            line_ = staged.row_lines[r];
            result.batch_full = true;
            return false;
          }
          // As the sequential parser words it when a record does not fit an empty batch.
          bad_counts_[static_cast<size_t>(BadRecord::TooManyFeatures)]++;
          if (!options_.skip_bad) {
            const bool rows_fit = target.nnz + count <= target.nnz_capacity;
            Fail(result, "line " + std::to_string(staged.row_lines[r]) + ": " +
                             (rows_fit ? "its words need more bytes than a whole batch holds (" + std::to_string(target.word_bytes_capacity)
                                       : std::string("more ") + (options_.format == TextFormat::Vw ? "features" : "non-zeros") +
                                             " than a whole batch holds (" + std::to_string(target.nnz_capacity)) + ")");
            return false;
          }
        } else {
          if (target.word_offsets) CopyWords(staged, from, count, target);
          std::memcpy(target.indices + target.nnz, staged.indices + from, count * sizeof(uint32_t));
          std::memcpy(target.values + target.nnz, staged.values + from, count * sizeof(float));
          target.nnz += count;
          if (target.labels) target.labels[target.rows] = staged.labels[r];
          if (target.weights) target.weights[target.rows] = staged.weights[r];
          ++target.rows;
          target.indptr[target.rows] = static_cast<int32_t>(target.nnz);
        }
        ++wave.emit_row;
      }
      committed_ = staged.row_ends[wave.emit_row - 1];
      line_ = staged.row_lines[wave.emit_row - 1] + 1;
      // As the sequential parser does: a batch is handed over as soon as its last row is in.
      if (target.rows >= target.row_capacity) {
        result.batch_full = true;
        return false;
      }
    }
  }
  return true;
}

}  // namespace boundless
