#include "io/parallel_text_parser.h"

#include <algorithm>
#include <cstring>

#include "runtime/thread_pool.h"

namespace boundless {

// One piece of a wave: whole lines, where they start, and the rows its parser staged.
struct ParallelTextParser::Segment {
  const char* begin = nullptr;
  const char* end = nullptr;
  uint64_t offset = 0;  // bytes since the file's start, of `begin`
  uint64_t line = 1;    // line number of its first record
  size_t lines = 0;     // newlines in [begin, end): one per record
  bool file_start = false;
  bool header_pending = false;
  FeedResult result;
  std::vector<float> values, labels, weights;
  std::vector<int32_t> indptr;
  std::vector<uint32_t> indices;
  std::vector<uint64_t> row_starts, row_ends, row_lines;
  BatchTarget staged;
};

namespace {

// At least n elements, keeping what is there: staging grows to the largest wave and stays.
template <typename T>
T* AtLeast(std::vector<T>& vector, size_t n) {
  if (vector.size() < n) vector.resize(n);
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

void AddCounts(BadRecordCounts& into, const BadRecordCounts& counts) {
  for (size_t i = 0; i < counts.size(); ++i) into[i] += counts[i];
}

// The sequential parser's words for a record over max_record_bytes.
std::string TooLongMessage(uint64_t line, size_t limit) {
  return "line " + std::to_string(line) + ": record is longer than " + std::to_string(limit) +
         " bytes (raise --max-record-bytes, maxRecordBytes in the API)";
}

}  // namespace

ParallelTextParser::ParallelTextParser(const TextParserOptions& options, size_t threads)
    : options_(options), threads_(std::max<size_t>(1, threads)) {
  StartFile(true);
}

ParallelTextParser::~ParallelTextParser() = default;

void ParallelTextParser::StartFile(bool expect_header) {
  carry_.clear();
  fed_offset_ = 0;
  committed_ = 0;
  line_ = 1;
  active_ = false;
  failure_pending_ = false;
  header_pending_ = options_.header && expect_header;
  file_start_pending_ = expect_header;
}

void ParallelTextParser::Fail(FeedResult& result, const std::string& message) {
  result.failed = true;
  result.message = message;
}

FeedResult ParallelTextParser::Feed(const char* data, size_t length, BatchTarget& target) {
  FeedResult result;
  if (active_ && !DrainInto(target, result)) return result;
  if (length == 0) return result;
  const size_t limit = options_.max_record_bytes;
  size_t position = 0;
  bool with_carry = false;
  const uint64_t carry_offset = fed_offset_ - carry_.size();
  // A record begun in an earlier chunk: complete it from this one.
  if (!carry_.empty()) {
    const void* newline = std::memchr(data, '\n', length);
    size_t take = newline ? static_cast<size_t>(static_cast<const char*>(newline) - data) : length;
    if (carry_.size() + take > limit) {
      bad_counts_[static_cast<size_t>(BadRecord::TooLong)]++;
      Fail(result, TooLongMessage(line_, limit));
      return result;
    }
    if (!newline) {
      carry_.append(data, length);
      fed_offset_ += length;
      result.consumed = length;
      return result;
    }
    carry_.append(data, take + 1);
    position = take + 1;
    with_carry = true;
  }
  // Whole lines, a wave at most; a record longer than the wave is taken whole.
  const char* begin = data + position;
  const char* stop = data + length;
  const char* window = begin + std::min(kWaveBytes, static_cast<size_t>(stop - begin));
  const char* last = LastNewline(begin, window);
  if (!last && window < stop) last = static_cast<const char*>(std::memchr(window, '\n', static_cast<size_t>(stop - window)));
  const char* lines_end = last ? last + 1 : begin;
  const char* parsed_end = begin;
  if (with_carry || lines_end > begin) {
    parsed_end = ParseWave(begin, lines_end, fed_offset_ + position, with_carry, carry_offset, target);
  }
  // The bytes after the chunk's last newline wait for the next chunk; anything else not taken
  // (a wave's worth was) is the caller's to feed again.
  const bool tail_only = parsed_end == lines_end && (window == stop || !last);
  size_t consumed = static_cast<size_t>(parsed_end - data);
  carry_.clear();
  if (tail_only) {
    size_t rest = static_cast<size_t>(stop - parsed_end);
    if (rest > limit) {
      bad_counts_[static_cast<size_t>(BadRecord::TooLong)]++;
      std::string message = TooLongMessage(active_ ? wave_end_line_ : line_, limit);
      if (!active_) {
        Fail(result, message);
        return result;
      }
      if (!failure_pending_) failure_ = message;
      failure_pending_ = true;
    } else {
      carry_.assign(parsed_end, rest);
      consumed = length;
    }
  }
  fed_offset_ += consumed;
  result.consumed = consumed;
  if (active_) DrainInto(target, result);
  return result;
}

FeedResult ParallelTextParser::Finish(BatchTarget& target) {
  FeedResult result;
  if (active_ && !DrainInto(target, result)) return result;
  if (carry_.empty()) return result;
  // The last record has no newline after it: the sequential parser's Finish takes it.
  if (segments_.empty()) segments_.emplace_back();
  if (parsers_.empty()) parsers_.push_back(std::make_unique<TextParser>(options_));
  Segment& segment = segments_[0];
  TextParser& parser = *parsers_[0];
  segment.begin = carry_.data();
  segment.end = carry_.data() + carry_.size();
  segment.offset = fed_offset_ - carry_.size();
  segment.line = line_;
  segment.lines = 1;
  segment.file_start = file_start_pending_;
  segment.header_pending = header_pending_;
  ParseSegment(segment, parser, target);
  if (!segment.result.failed) segment.result = parser.Finish(segment.staged);
  AddCounts(bad_counts_, parser.TakeBadCounts());
  wave_segments_ = 1;
  failure_pending_ = segment.result.failed;
  failure_ = segment.result.message;
  wave_end_offset_ = fed_offset_;
  wave_end_line_ = parser.record_number();
  carry_.clear();
  header_pending_ = file_start_pending_ = false;
  active_ = true;
  emit_segment_ = emit_row_ = 0;
  DrainInto(target, result);
  return result;
}

const char* ParallelTextParser::ParseWave(const char* begin, const char* end, uint64_t offset, bool with_carry,
                                          uint64_t carry_offset, const BatchTarget& shape) {
  size_t first = 0;
  if (with_carry) {
    if (segments_.empty()) segments_.emplace_back();
    Segment& carried = segments_[0];
    carried.begin = carry_.data();
    carried.end = carry_.data() + carry_.size();
    carried.offset = carry_offset;
    carried.lines = 1;
    first = 1;
  }
  SplitAtNewlines(begin, end, offset, first);
  const char* parsed_end = LimitDenseRows(begin, end, shape);
  uint64_t line = line_;
  for (size_t s = 0; s < wave_segments_; ++s) {
    Segment& segment = segments_[s];
    segment.line = line;
    segment.file_start = s == 0 && file_start_pending_;
    segment.header_pending = s == 0 && header_pending_;
    line += segment.lines;
  }
  while (parsers_.size() < wave_segments_) parsers_.push_back(std::make_unique<TextParser>(options_));
  ThreadPool::Shared().ParallelFor(wave_segments_, 1, [&](size_t from, size_t to) {
    for (size_t s = from; s < to; ++s) ParseSegment(segments_[s], *parsers_[s], shape);
  });
  // Counts and the first error in input order; segments after an error never happened.
  failure_pending_ = false;
  size_t kept = wave_segments_;
  for (size_t s = 0; s < wave_segments_; ++s) {
    BadRecordCounts counts = parsers_[s]->TakeBadCounts();
    if (s < kept) AddCounts(bad_counts_, counts);
    if (s < kept && segments_[s].result.failed) {
      failure_pending_ = true;
      failure_ = segments_[s].result.message;
      kept = s + 1;
    }
  }
  wave_segments_ = kept;
  const Segment& tail = segments_[wave_segments_ - 1];
  wave_end_offset_ = tail.offset + static_cast<uint64_t>(tail.end - tail.begin);
  wave_end_line_ = tail.line + tail.lines;
  header_pending_ = file_start_pending_ = false;
  active_ = true;
  emit_segment_ = emit_row_ = 0;
  return parsed_end;
}

void ParallelTextParser::SplitAtNewlines(const char* begin, const char* end, uint64_t offset, size_t first) {
  const size_t bytes = static_cast<size_t>(end - begin);
  const size_t pieces = std::max<size_t>(1, std::min(bytes / kMinSegmentBytes, threads_ * ThreadPool::kChunksPerThread));
  wave_segments_ = first;
  const char* start = begin;
  for (size_t j = 1; j <= pieces && start < end; ++j) {
    const char* cut = end;
    if (j < pieces) {
      const char* nominal = std::max(start, begin + bytes / pieces * j);
      const void* newline = std::memchr(nominal, '\n', static_cast<size_t>(end - nominal));
      cut = newline ? static_cast<const char*>(newline) + 1 : end;
    }
    if (segments_.size() <= wave_segments_) segments_.emplace_back();
    Segment& segment = segments_[wave_segments_++];
    segment.begin = start;
    segment.end = cut;
    segment.offset = offset + static_cast<uint64_t>(start - begin);
    start = cut;
  }
  ThreadPool::Shared().ParallelFor(wave_segments_ - first, 1, [&](size_t from, size_t to) {
    for (size_t s = first + from; s < first + to; ++s) {
      segments_[s].lines = CountNewlines(segments_[s].begin, segments_[s].end);
    }
  });
}

const char* ParallelTextParser::LimitDenseRows(const char* begin, const char* end, const BatchTarget& shape) {
  if (shape.sparse) return end;
  const size_t row_bytes = std::max<size_t>(1, options_.feature_dim * sizeof(float));
  const size_t budget = std::max<size_t>(1, kDenseStagingBytes / row_bytes);
  size_t rows = 0;
  for (size_t s = 0; s < wave_segments_; ++s) {
    Segment& segment = segments_[s];
    if (rows + segment.lines <= budget) {
      rows += segment.lines;
      continue;
    }
    if (s == 0) {  // never the carry record: one line always fits
      segment.end = AfterNewlines(segment.begin, segment.end, budget);
      segment.lines = budget;
      wave_segments_ = 1;
      return segment.end;
    }
    wave_segments_ = s;
    const Segment& kept = segments_[s - 1];
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
  staged.values = AtLeast(segment.values, shape.sparse ? nnz_capacity : rows * options_.feature_dim);
  if (shape.labels) staged.labels = AtLeast(segment.labels, rows);
  if (shape.weights) staged.weights = AtLeast(segment.weights, rows);
  if (shape.sparse) {
    staged.indptr = AtLeast(segment.indptr, rows + 1);
    staged.indices = AtLeast(segment.indices, nnz_capacity);
    staged.indptr[0] = 0;
  }
  staged.row_starts = AtLeast(segment.row_starts, rows);
  staged.row_ends = AtLeast(segment.row_ends, rows);
  staged.row_lines = AtLeast(segment.row_lines, rows);
  segment.result = FeedResult();
  parser.StartSegment(segment.line, segment.offset, segment.file_start, segment.header_pending);
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
    } else if (result.consumed == 0 && p < segment.end) {
      segment.result.failed = true;
      segment.result.message = "line " + std::to_string(parser.record_number()) + ": the parser made no progress (a bug): please report it";
      return;
    }
  }
}

FeedResult ParallelTextParser::Drain(BatchTarget& target) {
  FeedResult result;
  if (active_) DrainInto(target, result);
  return result;
}

bool ParallelTextParser::DrainInto(BatchTarget& target, FeedResult& result) {
  const size_t dim = options_.feature_dim;
  for (; emit_segment_ < wave_segments_; ++emit_segment_, emit_row_ = 0) {
    const BatchTarget& staged = segments_[emit_segment_].staged;
    while (emit_row_ < staged.rows) {
      if (target.rows >= target.row_capacity) {
        result.batch_full = true;
        return false;
      }
      const size_t r = emit_row_;
      if (!target.sparse) {
        size_t n = std::min(staged.rows - r, target.row_capacity - target.rows);
        std::memcpy(target.values + target.rows * dim, staged.values + r * dim, n * dim * sizeof(float));
        if (target.labels) std::memcpy(target.labels + target.rows, staged.labels + r, n * sizeof(float));
        if (target.weights) std::memcpy(target.weights + target.rows, staged.weights + r, n * sizeof(float));
        target.rows += n;
        emit_row_ += n;
      } else {
        const size_t from = static_cast<size_t>(staged.indptr[r]);
        const size_t count = static_cast<size_t>(staged.indptr[r + 1]) - from;
        if (target.nnz + count > target.nnz_capacity) {
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
            Fail(result, "line " + std::to_string(staged.row_lines[r]) + ": more " +
                             (options_.format == TextFormat::Vw ? "features" : "non-zeros") +
                             " than a whole batch holds (" + std::to_string(target.nnz_capacity) + ")");
            return false;
          }
        } else {
          std::memcpy(target.indices + target.nnz, staged.indices + from, count * sizeof(uint32_t));
          std::memcpy(target.values + target.nnz, staged.values + from, count * sizeof(float));
          target.nnz += count;
          if (target.labels) target.labels[target.rows] = staged.labels[r];
          if (target.weights) target.weights[target.rows] = staged.weights[r];
          ++target.rows;
          target.indptr[target.rows] = static_cast<int32_t>(target.nnz);
        }
        ++emit_row_;
      }
      committed_ = staged.row_ends[emit_row_ - 1];
      line_ = staged.row_lines[emit_row_ - 1] + 1;
      // As the sequential parser does: a batch is handed over as soon as its last row is in.
      if (target.rows >= target.row_capacity) {
        result.batch_full = true;
        return false;
      }
    }
  }
  active_ = false;
  committed_ = wave_end_offset_;
  line_ = wave_end_line_;
  if (failure_pending_) {
    failure_pending_ = false;
    Fail(result, failure_);
    return false;
  }
  return true;
}

}  // namespace boundless
