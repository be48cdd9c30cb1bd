#include "io/text_parser.h"

#include <algorithm>

#include <cctype>
#include <cstdio>
#include <cstring>

#include "io/json_record.h"
#include "io/murmur_hash.h"
#include "io/number_parsing.h"
#include "io/text_record.h"

namespace boundless {
namespace {

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

inline void Trim(const char*& begin, const char*& end) {
  while (begin < end && IsSpace(*begin)) ++begin;
  while (end > begin && IsSpace(end[-1])) --end;
}

// The first 40 bytes of a field, quoted, with control bytes escaped: a stray '\r' (old Mac line
// endings) would otherwise move the terminal's cursor and hide part of the message.
std::string Excerpt(const char* begin, const char* end) {
  size_t length = static_cast<size_t>(end - begin);
  std::string text;
  for (size_t i = 0; i < length && i < 40; ++i) {
    unsigned char c = static_cast<unsigned char>(begin[i]);
    if (c == '\r') text += "\\r";
    else if (c == '\t') text += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      text += hex;
    } else {
      text += static_cast<char>(c);
    }
  }
  if (length > 40) text += "...";
  return "'" + text + "'";
}

constexpr const char* kMissingHint = "(a missing value: fill or drop missing values first, or skip such rows with --on-bad-record skip)";

// The field's first byte past an opening quote.
const char* SkipQuote(const char* begin, const char* end) { return end - begin >= 2 && *begin == '"' ? begin + 1 : begin; }

// Whether a field is how writers mark a missing value: R's NA, pandas' empty or "nan" (caught as
// non-finite), SQL's NULL, Python's None, spreadsheets' N/A and #N/A, ARFF's "?" — quoted or not.
bool IsMissingMark(const char* begin, const char* end) {
  if (end - begin >= 2 && *begin == '"' && end[-1] == '"') ++begin, --end;
  static const char* const kMarks[] = {"NA", "na", "N/A", "n/a", "#N/A", "NULL", "null", "None", "none", "?", "-"};
  const size_t length = static_cast<size_t>(end - begin);
  for (const char* mark : kMarks) {
    if (std::strlen(mark) == length && std::memcmp(mark, begin, length) == 0) return true;
  }
  return false;
}

// What a field of digits with commas (and points) among them looks like, as a hint to add to
// "is not a number", or null: "10,3" a decimal comma; "1,234" that or a thousands separator (both
// read 1.234 and 1234 in some locale); "1,234,567" thousands separators; "1.234,5" a decimal comma
// with points between thousands (German and French spreadsheets' exports).
// A field that holds a CR with more after it: lines that end in a bare CR (classic Mac OS, Excel's
// "CSV (Macintosh)"), the whole file read as one line. Its message had not said so ("'0.640423\r1'
// is not a number"). (Fields split by another delimiter are said by lib/io/parse-bytes.ts.)
const char* SeparatorHint(const char* begin, const char* end) {
  for (const char* p = begin; p + 1 < end; ++p) {
    if (*p == '\r') {
      return " (the lines end in a bare CR, as classic Mac OS and Excel's \"CSV (Macintosh)\" write them: "
             "turn them into newlines first, e.g. tr '\\r' '\\n' < in.csv > out.csv)";
    }
  }
  return nullptr;
}

const char* CommaNumberHint(const char* begin, const char* end) {
  if (begin < end && (*begin == '-' || *begin == '+')) ++begin;
  size_t commas = 0, points = 0, digits_after = 0;
  bool point_after_comma = false;
  char previous = ',';  // a separator may not open the field
  for (const char* p = begin; p < end; ++p) {
    const bool separator = *p == ',' || *p == '.';
    if (separator) {
      if (previous == ',' || previous == '.') return nullptr;  // "1,,2", ",5", "1.,2"
      if (*p == ',') ++commas;
      else {
        ++points;
        point_after_comma = point_after_comma || commas > 0;
      }
      digits_after = 0;
    } else if (*p >= '0' && *p <= '9') {
      ++digits_after;
    } else {
      return nullptr;
    }
    previous = *p;
  }
  if (commas == 0 || digits_after == 0) return nullptr;
  if (points == 0 && commas == 1) {
    return digits_after == 3 ? " (a decimal comma or a thousands separator: numbers are read with a decimal point and without "
                               "digit grouping; R's write.csv2 writes decimal commas, write.csv points)"
                             : " (a decimal comma: numbers are read with a decimal point; R's write.csv2 writes commas, write.csv points)";
  }
  if (points == 0 || point_after_comma) {
    return " (thousands separators: numbers are read without digit grouping; write the column unformatted)";
  }
  return " (a decimal comma with points between thousands: numbers are read with a decimal point and without digit grouping)";
}

// Maps a number-parsing failure to a reason and a message about `what`.
bool NumberFailure(NumberStatus status, const char* begin, const char* end, const std::string& what,
                   BadRecord* reason, std::string* detail) {
  switch (status) {
    case NumberStatus::Ok:
      return true;
    case NumberStatus::Empty:
      // pandas' to_csv writes a missing value as an empty field.
      *reason = BadRecord::Number;
      *detail = what + " is empty " + kMissingHint;
      return false;
    case NumberStatus::NonFinite:
      *reason = BadRecord::NonFinite;
      *detail = what + " is " + Excerpt(begin, end) + "; values must be finite";
      if (std::tolower(static_cast<unsigned char>(*SkipQuote(begin, end))) == 'n') *detail += std::string(" ") + kMissingHint;
      return false;
    case NumberStatus::OutOfRange:
      *reason = BadRecord::Number;
      *detail = what + " " + Excerpt(begin, end) + " overflows float32";
      return false;
    case NumberStatus::Invalid:
      break;
  }
  *reason = BadRecord::Number;
  *detail = what + " " + Excerpt(begin, end) + " is not a number";
  if (IsMissingMark(begin, end)) *detail += std::string(" ") + kMissingHint;
  else if (const char* hint = SeparatorHint(begin, end)) *detail += hint;
  else if (const char* hint = CommaNumberHint(begin, end)) *detail += hint;
  return false;
}

// Whole numbers joined by commas ("1,3", "0,2,5"): LIBSVM's multi-label labels. One comma
// between two whole numbers of 1–2 digits and 3 digits after it reads as a thousands separator
// too ("1,234"), which is left to the decimal-comma hint.
bool MultiLabel(const char* begin, const char* end) {
  size_t commas = 0, digits = 0, last_digits = 0;
  for (const char* p = begin; p < end; ++p) {
    if (*p == ',') {
      if (digits == 0) return false;
      ++commas;
      digits = 0;
    } else if (*p >= '0' && *p <= '9') {
      ++digits;
    } else {
      return false;
    }
    last_digits = digits;
  }
  return commas > 0 && last_digits > 0 && !(commas == 1 && last_digits == 3);
}

// Next whitespace-separated token in [cursor, end), or false at the end.
inline bool NextToken(const char*& cursor, const char* end, const char** token_begin,
                      const char** token_end) {
  while (cursor < end && IsSpace(*cursor)) ++cursor;
  if (cursor == end) return false;
  *token_begin = cursor;
  while (cursor < end && !IsSpace(*cursor)) ++cursor;
  *token_end = cursor;
  return true;
}

// The common libsvm feature, index:value with a decimal index of at most 18 digits and a value on
// FastFloat32's path, parsed in one pass from cursor (a token's start); on success cursor moves to
// the token's end. False for anything else (qid:, a bad token, a long value), which the caller
// then parses token by token the general way, with its errors.
inline bool ScanLibsvmFeature(const char*& cursor, const char* end, const char** colon, uint64_t* index, float* value) {
  const char* p = cursor;
  uint64_t parsed = 0;
  const char* digits_end = std::min(end, p + 18);  // 18 digits cannot overflow uint64
  for (; p < digits_end && static_cast<unsigned>(*p - '0') < 10; ++p) parsed = parsed * 10 + static_cast<uint64_t>(*p - '0');
  if (p == cursor || p == end || *p != ':') return false;
  const char* value_end = ScanFastFloat32(p + 1, end, value);
  if (!value_end || (value_end < end && !IsSpace(*value_end))) return false;
  *colon = p;
  *index = parsed;
  cursor = value_end;
  return true;
}

}  // namespace

TextParser::TextParser(const TextParserOptions& options)
    : options_(options), ignored_count_(static_cast<size_t>(std::count(options.ignored.begin(), options.ignored.end(), 1))) {
  StartFile(true);
}

void TextParser::FailTooLong(FeedResult& result) {
  result.failed = true;
  result.message = "line " + std::to_string(line_) + ": record is longer than " + std::to_string(options_.max_record_bytes) +
                   " bytes (raise --max-record-bytes, maxRecordBytes in the API)";
  bad_counts_[static_cast<size_t>(BadRecord::TooLong)]++;
}

void TextParser::StartFile(bool expect_header) {
  carry_.clear();
  line_ = 1;
  stream_offset_ = 0;
  committed_offset_ = 0;
  header_pending_ = options_.header && expect_header;
  at_file_start_ = expect_header;
  first_record_pending_ = expect_header;
}

void TextParser::StartSegment(uint64_t line, uint64_t offset, bool file_start, bool first_record_pending, bool header_pending) {
  carry_.clear();
  line_ = line;
  stream_offset_ = offset;
  committed_offset_ = offset;
  header_pending_ = header_pending;
  at_file_start_ = file_start;
  first_record_pending_ = first_record_pending;
}

void TextParser::NoteRow(BatchTarget& target) const {
  if (!target.row_ends) return;
  // Called once the record's bytes are counted and before the position moves past it.
  target.row_starts[target.rows - 1] = committed_offset_;
  target.row_ends[target.rows - 1] = stream_offset_;
  target.row_lines[target.rows - 1] = line_;
}

FeedResult TextParser::Feed(const char* data, size_t length, BatchTarget& target) {
  FeedResult result;
  size_t position = 0;
  if (target.rows >= target.row_capacity) {
    result.batch_full = true;
    return result;
  }
  // A record begun in an earlier chunk: complete it from this one.
  if (!carry_.empty()) {
    const void* newline = std::memchr(data, '\n', length);
    size_t take = newline ? static_cast<size_t>(static_cast<const char*>(newline) - data) : length;
    if (carry_.size() + take > options_.max_record_bytes) {
      FailTooLong(result);
      return result;
    }
    if (!newline) {
      carry_.append(data, length);
      stream_offset_ += length;
      result.consumed = length;
      return result;
    }
    size_t carried = carry_.size();
    carry_.append(data, take);
    Outcome outcome = TakeRecord(carry_.data(), carry_.data() + carry_.size(), target, result);
    if (outcome == Outcome::Failed) return result;
    if (outcome == Outcome::Full) {
      carry_.resize(carried);
      result.batch_full = true;
      return result;
    }
    carry_.clear();
    position = take + 1;
    stream_offset_ += position;
    if (outcome == Outcome::Stored) NoteRow(target);
    committed_offset_ = stream_offset_;
    ++line_;
    if (target.rows >= target.row_capacity) {
      result.consumed = position;
      result.batch_full = true;
      return result;
    }
  }
  while (position < length) {
    const char* begin = data + position;
    const void* newline = std::memchr(begin, '\n', length - position);
    if (!newline) {
      size_t rest = length - position;
      if (rest > options_.max_record_bytes) {
        FailTooLong(result);
        result.consumed = position;
        return result;
      }
      carry_.assign(begin, rest);
      stream_offset_ += rest;
      position = length;
      break;
    }
    const char* end = static_cast<const char*>(newline);
    // The limit holds for every record, not only for those split across chunks (whose carry it bounds).
    if (static_cast<size_t>(end - begin) > options_.max_record_bytes) {
      FailTooLong(result);
      result.consumed = position;
      return result;
    }
    Outcome outcome = TakeRecord(begin, end, target, result);
    if (outcome == Outcome::Failed) {
      result.consumed = position;
      return result;
    }
    if (outcome == Outcome::Full) {
      result.consumed = position;
      result.batch_full = true;
      return result;
    }
    size_t record_bytes = static_cast<size_t>(end - begin) + 1;
    position += record_bytes;
    stream_offset_ += record_bytes;
    if (outcome == Outcome::Stored) NoteRow(target);
    committed_offset_ = stream_offset_;
    ++line_;
    if (target.rows >= target.row_capacity) {
      result.batch_full = true;
      break;
    }
  }
  result.consumed = position;
  return result;
}

FeedResult TextParser::Finish(BatchTarget& target) {
  FeedResult result;
  if (carry_.empty()) return result;
  if (target.rows >= target.row_capacity) {
    result.batch_full = true;
    return result;
  }
  Outcome outcome = TakeRecord(carry_.data(), carry_.data() + carry_.size(), target, result);
  if (outcome == Outcome::Full) {
    result.batch_full = true;
    return result;
  }
  if (outcome == Outcome::Failed) return result;
  if (outcome == Outcome::Stored) NoteRow(target);
  committed_offset_ = stream_offset_;
  carry_.clear();
  ++line_;
  return result;
}

// A CSV whose first record holds names rather than numbers, read without the header option.
// Whether the line holds a letter other than an exponent's e: a word, not a mistyped number.
static bool HasWord(const char* begin, const char* end) {
  for (const char* p = begin; p < end; ++p) {
    const char c = *p;
    if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') && c != 'e' && c != 'E') return true;
  }
  return false;
}

// A line of libsvm: a label, then whitespace-separated index:value pairs (digits, a colon, a number).
static bool LooksLikeLibsvm(const char* begin, const char* end) {
  const char* cursor = begin;
  const char* token_begin = nullptr;
  const char* token_end = nullptr;
  size_t pairs = 0, tokens = 0;
  while (NextToken(cursor, end, &token_begin, &token_end)) {
    if (tokens++ == 0) continue;
    const char* colon = static_cast<const char*>(std::memchr(token_begin, ':', static_cast<size_t>(token_end - token_begin)));
    if (colon == nullptr || colon == token_begin || colon + 1 == token_end) return false;
    for (const char* p = token_begin; p < colon; ++p) {
      if (*p < '0' || *p > '9') return false;
    }
    pairs++;
  }
  return pairs > 0;
}

// A line of CSV numbers: commas between fields, no index:value pair, nothing but numbers' characters
// (and quotes and blanks) — what a CSV file read as libsvm or VW shows.
static bool LooksLikeCsv(const char* begin, const char* end) {
  size_t commas = 0;
  for (const char* p = begin; p < end; ++p) {
    const char c = *p;
    if (c == ',') {
      commas++;
    } else if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E' || c == '"' || c == ' ' ||
                 c == '\t' || c == '\r')) {
      return false;
    }
  }
  return commas > 0;
}

bool TextParser::LooksLikeHeader(const char* begin, const char* end, BadRecord reason) const {
  if (options_.format != TextFormat::Csv || options_.header || reason != BadRecord::Number || !HasWord(begin, end)) return false;
  // A header names its columns: most fields are words. A data line with a text field (a class
  // name as the label) is mostly numbers, and gets the hint for that instead.
  size_t fields = 0, numbers = 0;
  for (const char* field = begin; field <= end;) {
    const char* stop = static_cast<const char*>(std::memchr(field, options_.delimiter, static_cast<size_t>(end - field)));
    if (stop == nullptr) stop = end;
    const char* b = field;
    const char* e = stop;
    Trim(b, e);
    float value = 0;
    fields++;
    if (ParseFloat32(b, e, &value) == NumberStatus::Ok) numbers++;
    field = stop + 1;
  }
  return 2 * numbers < fields;
}

TextParser::Outcome TextParser::TakeRecord(const char* begin, const char* end, BatchTarget& target,
                                           FeedResult& result) {
  const bool first_of_file = at_file_start_;
  at_file_start_ = false;
  // Excel and Windows tools start text files with a UTF-8 byte-order mark: not part of the data.
  if (first_of_file && end - begin >= 3 && std::memcmp(begin, "\xEF\xBB\xBF", 3) == 0) begin += 3;
  const char* trimmed_begin = begin;
  const char* trimmed_end = end;
  Trim(trimmed_begin, trimmed_end);
  // Blank lines (and libsvm comment lines) separate records; they are not records, and a header
  // is the first line that is not blank.
  if (trimmed_begin == trimmed_end) {
    bad_counts_[static_cast<size_t>(BadRecord::BlankLine)]++;
    return Outcome::Skipped;
  }
  const bool first_record = first_record_pending_;
  first_record_pending_ = false;
  if (header_pending_) {
    header_pending_ = false;
    first_record_pending_ = true;  // the first record is the line after the header (its errors' hints)
    return Outcome::Skipped;
  }
  if (options_.format == TextFormat::Libsvm && *trimmed_begin == '#') {
    bad_counts_[static_cast<size_t>(BadRecord::BlankLine)]++;  // a comment: no record either, counted with the blank lines
    return Outcome::Skipped;
  }
  BadRecord reason = BadRecord::Syntax;
  std::string detail;
  bool full = false;
  if (ParseRecord(trimmed_begin, trimmed_end, target, &reason, &detail, &full)) {
    // libsvm's binary data sets and Vowpal Wabbit write the classes as -1 and +1: -1 is class 0.
    if (target.labels && options_.label_classes == 2 && target.labels[target.rows - 1] == -1.f &&
        (options_.format == TextFormat::Libsvm || options_.format == TextFormat::Vw)) {
      target.labels[target.rows - 1] = 0.f;
    }
    const bool label_ok = !target.labels || options_.label_column < 0 || LabelInRange(target.labels[target.rows - 1], options_.label_classes, &detail);
    const size_t first_index = options_.format == TextFormat::Libsvm && !options_.zero_based ? 1 : 0;
    const bool in_range = label_ok && LastRowInRange(target, options_.feature_dim, options_.feature_range, &detail, first_index);
    const size_t row_start = target.sparse ? static_cast<size_t>(target.indptr[target.rows - 1]) : 0;
    const bool sums_finite = !in_range || !target.sparse ||
        RepeatedFeaturesFinite(target.indices + row_start, target.values + row_start, target.nnz - row_start, first_index, &detail);
    if (sums_finite && in_range) return Outcome::Stored;
    // Taken back out: the row is a bad record like any other, with its line.
    target.rows--;
    if (target.sparse) target.nnz = static_cast<size_t>(target.indptr[target.rows]);
    reason = !label_ok ? BadRecord::LabelRange : !in_range ? BadRecord::FeatureRange : BadRecord::NonFinite;
  } else if (full) {
    at_file_start_ = first_of_file;  // the record is taken again, into the next batch
    first_record_pending_ = first_record;
    return Outcome::Full;
  }
  bad_counts_[static_cast<size_t>(reason)]++;
  if (options_.skip_bad) return Outcome::Skipped;
  result.failed = true;
  result.message = "line " + std::to_string(line_) + ": " + detail;
  const char* format_name = options_.format == TextFormat::Csv ? "CSV" : options_.format == TextFormat::Libsvm ? "libsvm" : "VW";
  if (first_record && (options_.format == TextFormat::Csv || options_.format == TextFormat::Libsvm || options_.format == TextFormat::Vw) &&
      *trimmed_begin == '{') {
    // A JSON object where CSV (the default), libsvm or VW was expected: its quotes and colons
    // misled the other hints (a header, an index that is not a number).
    result.message = "line " + std::to_string(line_) + ": " + Excerpt(trimmed_begin, trimmed_end) + " looks like JSON Lines (a {…} " +
                     "object), not " + format_name + ": pass --format jsonl for rows of features, or --format text for documents of raw " +
                     "text (format: 'jsonl' or 'text' in the API)";
  } else if (first_record && (options_.format == TextFormat::Libsvm || options_.format == TextFormat::Vw) &&
      LooksLikeCsv(trimmed_begin, trimmed_end)) {
    // Its hint would be about the label's commas (thousands separators), not the format.
    result.message = "line " + std::to_string(line_) + ": " + Excerpt(trimmed_begin, trimmed_end) + " looks like CSV (numbers " +
                     "separated by commas, no index:value pairs), not " + (options_.format == TextFormat::Libsvm ? "libsvm" : "VW") +
                     ": pass --format csv (format: 'csv' in the API)";
  } else if (first_record && LooksLikeHeader(trimmed_begin, trimmed_end, reason)) {
    result.message += std::string("; the first ") + (first_of_file ? "line" : "non-blank line") +
                      " looks like a header: pass --header (header: true in the API) to skip it";
  } else if (first_record && options_.format == TextFormat::Csv && LooksLikeLibsvm(trimmed_begin, trimmed_end)) {
    result.message += "; the line looks like libsvm (a label, then index:value pairs): pass --format libsvm (format: 'libsvm' in the API)";
  } else if (first_record && options_.format == TextFormat::Csv && reason == BadRecord::Number && HasWord(trimmed_begin, trimmed_end) &&
             detail.find("(a missing value") == std::string::npos) {
    // Mostly numbers with a word among them: data, with text where numbers must be (a class name, NA).
    result.message += "; CSV fields must be numbers: encode text such as class names as numbers (0, 1, …), and fill or drop "
                      "missing values (NA), first; a column that is not data (names, identifiers) can be read past: "
                      "--ignore-columns N (ignoreColumns in the API)";
  }
  return Outcome::Failed;
}

bool TextParser::ParseRecord(const char* begin, const char* end, BatchTarget& target,
                             BadRecord* reason, std::string* detail, bool* full) {
  bool ok = false;
  switch (options_.format) {
    case TextFormat::Csv:
      ok = ParseCsv(begin, end, target, reason, detail);
      break;
    case TextFormat::Libsvm:
      ok = ParseLibsvm(begin, end, target, reason, detail, full);
      break;
    case TextFormat::Vw:
      ok = ParseVw(begin, end, target, reason, detail, full);
      break;
    case TextFormat::Jsonl:
      ok = ParseJsonRecord(begin, end, options_.feature_dim, options_.labels_required, target, reason, detail, full);
      break;
    case TextFormat::Text:
      ok = ParseTextRecord(begin, end, options_.feature_dim, document_words_, target, reason, detail, full);
      break;
  }
  return ok;
}

// Past a field's closing quote when it opens with one ("" inside is a quote), else the field's
// start: where to look for the delimiter that ends it. An unclosed quote ends nothing.
static const char* QuotedFieldEnd(const char* begin, const char* end) {
  const char* p = begin;
  while (p < end && (*p == ' ' || *p == '\t')) ++p;
  if (p == end || *p != '"') return begin;
  for (++p; p < end; ++p) {
    if (*p != '"') continue;
    if (p + 1 < end && p[1] == '"') {
      ++p;
      continue;
    }
    return p + 1;
  }
  return begin;
}

// What a field that is not a number says when it is half of a quoted field broken across lines
// (a spreadsheet's cell with a line break): it opens a quote that its line does not close, or it
// closes one it did not open. Records are lines; such a field is not supported. Empty otherwise.
static std::string QuoteAcrossLinesHint(const char* field, const char* field_end, const char* line_end) {
  const char* begin = field;
  const char* end = field_end;
  while (begin < end && (*begin == ' ' || *begin == '\t')) ++begin;
  while (end > begin && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) --end;
  const bool opens = begin < end && *begin == '"' && QuotedFieldEnd(begin, line_end) == begin;
  const bool closes = begin < end && *begin != '"' && end[-1] == '"';
  if (!opens && !closes) return "";
  return std::string(opens ? " (it opens a quote that the line does not close" : " (it closes a quote that it does not open") +
         ": a line break inside a quoted field is not supported; each record is one line)";
}

bool TextParser::ParseCsv(const char* begin, const char* end, BatchTarget& t, BadRecord* reason,
                          std::string* detail) {
  const size_t cols = options_.feature_dim;
  const int label_column = options_.label_column;
  const std::vector<char>& ignored = options_.ignored;
  const size_t expected = cols + (label_column >= 0 ? 1 : 0) + ignored_count_;
  const char delimiter = options_.delimiter;
  float* row = t.values + t.rows * cols;
  float label = 0.f;
  bool label_seen = label_column < 0;
  size_t column = 0;
  size_t feature = 0;
  const char* cursor = begin;
  auto is_blank = [delimiter](char c) { return (c == ' ' || c == '\t' || c == '\r') && c != delimiter; };
  const bool scan_numbers = std::strchr("0123456789.eE+-", delimiter) == nullptr;
  auto store = [&](float value) {
    if (static_cast<int>(column) == label_column) {
      label = value;
      label_seen = true;
    } else if (feature < cols) {
      row[feature++] = value;
    }
  };
  for (;;) {
    if (column < ignored.size() && ignored[column]) {
      // Read past, whatever it holds: a row name may be text, and quoted, with the delimiter inside.
      const char* from = QuotedFieldEnd(cursor, end);
      const char* next = static_cast<const char*>(std::memchr(from, delimiter, static_cast<size_t>(end - from)));
      ++column;
      if (!next) break;
      cursor = next + 1;
      continue;
    }
    const char* p = cursor;
    while (p < end && is_blank(*p)) ++p;
    // Fastest path: a short decimal parsed as it is scanned, then [blanks] and the delimiter or the
    // end. Not with a delimiter a number can hold ('.', 'e', a sign, a digit): the scan would stop
    // at it mid-field ("1.2.3" split at '.' as 1.2 and 3), where the field is not a number.
    float fast;
    const char* number_end = scan_numbers ? ScanFastFloat32(p, end, &fast) : nullptr;
    if (number_end) {
      const char* q = number_end;
      while (q < end && is_blank(*q)) ++q;
      if (q == end || *q == delimiter) {
        if (column < expected) store(fast);
        ++column;
        if (q == end) break;
        cursor = q + 1;
        continue;
      }
    }
    // Fast path: [blanks] number [blanks] then the delimiter or the end, with no copy or search.
    const char* token_begin = p;
    while (p < end && (static_cast<unsigned>(*p - '0') < 10 || *p == '.' || *p == '-' || *p == '+' || *p == 'e' || *p == 'E')) ++p;
    const char* token_end = p;
    while (p < end && is_blank(*p)) ++p;
    const char* field_end;
    const char* field_begin;
    const char* trimmed_end;
    if (token_end > token_begin && (p == end || *p == delimiter)) {
      field_begin = token_begin;
      trimmed_end = token_end;
      field_end = p;
    } else {
      // Anything else (quotes, text, empty fields): find the field, trim it, unquote it. A quoted
      // field ends after its closing quote: "1,234" is one field, said as it is, not '"1' and '234"'.
      const char* from = QuotedFieldEnd(cursor, end);
      field_end = static_cast<const char*>(std::memchr(from, delimiter, static_cast<size_t>(end - from)));
      if (!field_end) field_end = end;
      field_begin = cursor;
      trimmed_end = field_end;
      Trim(field_begin, trimmed_end);
      if (trimmed_end - field_begin >= 2 && *field_begin == '"' && trimmed_end[-1] == '"') {
        ++field_begin;
        --trimmed_end;
        // Blanks inside the quotes too: R's format() pads numbers (" 93.0"), as blanks outside them are read past.
        Trim(field_begin, trimmed_end);
      }
    }
    if (column < expected) {
      bool is_label = static_cast<int>(column) == label_column;
      float value;
      NumberStatus status = ParseFloat32(field_begin, trimmed_end, &value);
      if (status != NumberStatus::Ok) {
        std::string what = is_label ? "label (column " + std::to_string(column + 1) + ")"
                                    : "column " + std::to_string(column + 1);
        NumberFailure(status, field_begin, trimmed_end, what, reason, detail);
        // The last field empty after a delimiter: a record that ends with the delimiter (in a file
        // without a header, every record's; with one, the header check says so).
        if (status == NumberStatus::Empty && field_end == end && column + 1 == expected && cursor > begin && cursor[-1] == delimiter) {
          *detail = what + " is empty: the record ends with the delimiter, and if every record does, their last column is empty " +
                    "(remove the trailing delimiters, or read past the column with --ignore-columns " + std::to_string(column + 1) + ")";
        }
        *detail += QuoteAcrossLinesHint(cursor, field_end, end);
        return false;
      }
      store(value);
    }
    ++column;
    if (field_end == end) break;
    cursor = field_end + 1;
  }
  if (column != expected || !label_seen) {
    // (!label_seen only when label_column lies beyond the last column.)
    *reason = BadRecord::ColumnCount;
    *detail = "expected " + std::to_string(expected) + " columns with the label in column " +
              std::to_string(label_column + 1) + ", found " + std::to_string(column);
    if (label_column < 0 || static_cast<size_t>(label_column) < expected) {
      *detail = "expected " + std::to_string(expected) + " columns, found " + std::to_string(column);
    }
    // A record that ends with the delimiter has an empty column more than the model's rows (predict
    // and evaluate know the width; train's first record sets it, and says so there).
    const char* last = end;
    while (last > begin && (last[-1] == ' ' || last[-1] == '\r') && last[-1] != delimiter) --last;
    if (column == expected + 1 && last > begin && last[-1] == delimiter) {
      *detail += " (the record ends with the delimiter, an empty last column: remove the trailing delimiters, or read past it with "
                 "--ignore-columns " + std::to_string(column) + ")";
      return false;
    }
    // Labelled rows read as unlabelled ones (predict on a training file) have one column too many.
    if (label_column < 0 && column == expected + 1) {
      *detail += " (one more than the features: if a column is the label, read it as one: --label-size 1, and --label-column N if it is not "
                 "the first; labelSize: 1 and labelColumn in the API)";
    }
    return false;
  }
  if (t.labels && label_column >= 0) t.labels[t.rows] = label;
  if (t.weights) t.weights[t.rows] = 1.f;
  ++t.rows;
  return true;
}

// A libsvm feature's index, made 0-based, checked against feature_dim; [token_begin, colon) is its text.
bool TextParser::LibsvmIndexInRange(uint64_t& index, const char* token_begin, const char* colon, BadRecord* reason,
                                    std::string* detail) const {
  const uint64_t bound = options_.feature_dim;
  if (!options_.zero_based) {
    if (index == 0) {
      *reason = BadRecord::IndexRange;
      *detail = "feature index 0 in a 1-based file (--zero-based, zeroBased: true in the API, reads 0-based indices)";
      return false;
    }
    --index;
  }
  if (index >= bound) {
    *reason = BadRecord::IndexRange;
    *detail = "feature index " + Excerpt(token_begin, colon) + " is outside [" +
              (options_.zero_based ? "0, " + std::to_string(bound - 1) : "1, " + std::to_string(bound)) +
              "] (feature_dim " + std::to_string(bound) + ")";
    return false;
  }
  return true;
}

// Appends one non-zero to the row being parsed; false when the batch's non-zeros are full (`full`:
// the record goes to the next batch) or one record alone has more than a batch holds.
bool TextParser::PushFeature(BatchTarget& t, size_t& nnz, uint64_t index, float value, BadRecord* reason, std::string* detail,
                             bool* full) const {
  if (nnz >= t.nnz_capacity) {
    if (t.rows > 0) {
      *full = true;
    } else {
      *reason = BadRecord::TooManyFeatures;
      *detail = "more non-zeros than a whole batch holds (" + std::to_string(t.nnz_capacity) + ")";
    }
    return false;
  }
  t.indices[nnz] = static_cast<uint32_t>(index);
  t.values[nnz] = value;
  ++nnz;
  return true;
}

bool TextParser::ParseLibsvm(const char* begin, const char* end, BatchTarget& t, BadRecord* reason,
                             std::string* detail, bool* full) {
  // A trailing comment is not part of the record.
  const char* hash = static_cast<const char*>(std::memchr(begin, '#', static_cast<size_t>(end - begin)));
  if (hash) end = hash;
  const char* cursor = begin;
  const char* token_begin;
  const char* token_end;
  if (!NextToken(cursor, end, &token_begin, &token_end)) {
    *reason = BadRecord::MissingLabel;
    *detail = "no label";
    return false;
  }
  float label = 0.f;
  NumberStatus status = NumberStatus::Ok;
  const bool starts_with_feature = std::memchr(token_begin, ':', static_cast<size_t>(token_end - token_begin)) != nullptr;
  if (starts_with_feature && !t.labels) {
    cursor = token_begin;  // rows without labels (--label-size 0): the line is all features
  } else if (starts_with_feature) {
    *reason = BadRecord::MissingLabel;
    *detail = "the line begins with feature " + Excerpt(token_begin, token_end) +
              ", not a label: libsvm lines begin with the label (rows without one: --label-size 0, labelSize: 0 in the API)";
    return false;
  } else {
    status = ParseFloat32(token_begin, token_end, &label);
    if (status != NumberStatus::Ok && MultiLabel(token_begin, token_end)) {
      // LIBSVM's multi-label format ("1,3 5:1"): it was said as a decimal comma.
      *reason = BadRecord::Number;
      *detail = "label " + Excerpt(token_begin, token_end) + " is several labels (LIBSVM's multi-label format): each line here has one label; " +
                "train one binary classifier per label, or a multiclass_classifier on lines of one label each";
      return false;
    }
    if (status != NumberStatus::Ok) return NumberFailure(status, token_begin, token_end, "label", reason, detail);
  }
  size_t nnz = t.nnz;
  for (;;) {
    while (cursor < end && IsSpace(*cursor)) ++cursor;
    if (cursor == end) break;
    token_begin = cursor;
    uint64_t index;
    float value;
    const char* colon;
    if (ScanLibsvmFeature(cursor, end, &colon, &index, &value)) {
      if (!LibsvmIndexInRange(index, token_begin, colon, reason, detail) || !PushFeature(t, nnz, index, value, reason, detail, full)) return false;
      continue;
    }
    NextToken(cursor, end, &token_begin, &token_end);
    colon = static_cast<const char*>(std::memchr(token_begin, ':', static_cast<size_t>(token_end - token_begin)));
    if (!colon) {
      *reason = BadRecord::Syntax;
      *detail = "feature " + Excerpt(token_begin, token_end) + " is not index:value";
      return false;
    }
    if (colon - token_begin == 3 && std::memcmp(token_begin, "qid", 3) == 0) continue;  // svmlight ranking id
    if (!ParseIndex(token_begin, colon, &index)) {
      *reason = BadRecord::Syntax;
      *detail = "feature index " + Excerpt(token_begin, colon) + " is not a non-negative integer";
      return false;
    }
    if (!LibsvmIndexInRange(index, token_begin, colon, reason, detail)) return false;
    status = ParseFloat32(colon + 1, token_end, &value);
    if (status != NumberStatus::Ok) {
      return NumberFailure(status, colon + 1, token_end, "value of feature " + std::to_string(index + (options_.zero_based ? 0 : 1)), reason, detail);
    }
    if (!PushFeature(t, nnz, index, value, reason, detail, full)) return false;
  }
  if (t.labels) t.labels[t.rows] = label;
  if (t.weights) t.weights[t.rows] = 1.f;
  t.nnz = nnz;
  ++t.rows;
  t.indptr[t.rows] = static_cast<int32_t>(nnz);
  return true;
}

bool TextParser::ParseVw(const char* begin, const char* end, BatchTarget& t, BadRecord* reason,
                         std::string* detail, bool* full) {
  const char* bar = static_cast<const char*>(std::memchr(begin, '|', static_cast<size_t>(end - begin)));
  if (!bar) {
    *reason = BadRecord::Syntax;
    *detail = "no '|' before the features";
    return false;
  }
  // Label section: [label] [importance] ['tag]
  float label = 0.f;
  float weight = 1.f;
  bool has_label = false;
  const char* cursor = begin;
  const char* token_begin;
  const char* token_end;
  int numeric_tokens = 0;
  while (NextToken(cursor, bar, &token_begin, &token_end)) {
    if (*token_begin == '\'') continue;  // tag
    float value;
    NumberStatus status = ParseFloat32(token_begin, token_end, &value);
    if (status == NumberStatus::Invalid && numeric_tokens > 0) continue;  // a tag without the quote
    if (status != NumberStatus::Ok) {
      return NumberFailure(status, token_begin, token_end, numeric_tokens == 0 ? "label" : "importance weight", reason, detail);
    }
    if (numeric_tokens == 0) {
      label = value;
      has_label = true;
    } else if (numeric_tokens == 1) {
      if (value < 0) {
        *reason = BadRecord::Number;
        *detail = "importance weight " + Excerpt(token_begin, token_end) + " is negative";
        return false;
      }
      weight = value;
    }
    ++numeric_tokens;
  }
  if (!has_label && options_.labels_required) {
    *reason = BadRecord::MissingLabel;
    *detail = "no label before '|' (labels are expected: --label-size 0 if the records have none)";
    return false;
  }
  const uint32_t mask = options_.hash_bits >= 32 ? 0xffffffffu : ((1u << options_.hash_bits) - 1u);
  size_t nnz = t.nnz;
  const char* section = bar;
  while (section < end) {
    // section points at '|'
    const char* next_bar = static_cast<const char*>(std::memchr(section + 1, '|', static_cast<size_t>(end - section - 1)));
    const char* section_end = next_bar ? next_bar : end;
    cursor = section + 1;
    uint32_t namespace_hash = 0;
    float namespace_scale = 1.f;
    if (cursor < section_end && !IsSpace(*cursor)) {
      const char* name_begin = cursor;
      while (cursor < section_end && !IsSpace(*cursor)) ++cursor;
      const char* name_end = cursor;
      const char* colon = static_cast<const char*>(std::memchr(name_begin, ':', static_cast<size_t>(name_end - name_begin)));
      if (colon) {
        NumberStatus status = ParseFloat32(colon + 1, name_end, &namespace_scale);
        if (status != NumberStatus::Ok) return NumberFailure(status, colon + 1, name_end, "namespace scale", reason, detail);
        name_end = colon;
      }
      namespace_hash = MurmurHash3_32(name_begin, static_cast<size_t>(name_end - name_begin), 0);
    }
    while (NextToken(cursor, section_end, &token_begin, &token_end)) {
      const char* colon = static_cast<const char*>(std::memchr(token_begin, ':', static_cast<size_t>(token_end - token_begin)));
      const char* name_end = colon ? colon : token_end;
      float value = 1.f;
      if (colon) {
        NumberStatus status = ParseFloat32(colon + 1, token_end, &value);
        if (status != NumberStatus::Ok) {
          return NumberFailure(status, colon + 1, token_end, "value of feature " + Excerpt(token_begin, name_end), reason, detail);
        }
      }
      // Integer names index directly (offset by the namespace), as VW does; others are hashed.
      uint64_t numeric;
      uint32_t hash = ParseIndex(token_begin, name_end, &numeric)
                          ? static_cast<uint32_t>(numeric) + namespace_hash
                          : MurmurHash3_32(token_begin, static_cast<size_t>(name_end - token_begin), namespace_hash);
      if (nnz >= t.nnz_capacity) {
        if (t.rows > 0) {
          *full = true;
        } else {
          *reason = BadRecord::TooManyFeatures;
          *detail = "more features than a whole batch holds (" + std::to_string(t.nnz_capacity) + ")";
        }
        return false;
      }
      t.indices[nnz] = hash & mask;
      t.values[nnz] = value * namespace_scale;
      ++nnz;
    }
    section = section_end;
  }
  if (t.labels) t.labels[t.rows] = label;
  if (t.weights) t.weights[t.rows] = weight;
  t.nnz = nnz;
  ++t.rows;
  t.indptr[t.rows] = static_cast<int32_t>(nnz);
  return true;
}

}  // namespace boundless
