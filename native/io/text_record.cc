#include "io/text_record.h"

#include <cstring>

#include "io/json_reader.h"
#include "io/text_tokenizer.h"

namespace boundless {
namespace {

// What a JSON value that is not a string is, for the message.
const char* ValueKind(JsonReader& json) {
  if (json.Peek('{')) return "an object";
  if (json.Peek('[')) return "an array";
  if (json.Peek('t') || json.Peek('f')) return "a boolean";
  if (json.Peek('n')) return "null";
  return "a number";
}

// The raw bytes of the record's "text" string (the last, if repeated, as JSON.parse takes it).
bool FindText(const char* begin, const char* end, const char** text_begin, const char** text_end, BadRecord* reason,
              std::string* detail) {
  JsonReader json(begin, end);
  bool bad_utf8 = false;
  bool has_text = false;
  auto syntax = [&](const std::string& why) {
    *reason = bad_utf8 ? BadRecord::Encoding : BadRecord::Syntax;
    *detail = bad_utf8 ? "invalid UTF-8 in a JSON string" : why;
    return false;
  };
  if (!json.Eat('{')) return syntax("not a JSON object");
  if (!json.Eat('}')) {
    do {
      const char *key_begin, *key_end;
      if (!json.String(&key_begin, &key_end, &bad_utf8) || !json.Eat(':')) return syntax("malformed JSON object");
      if (JsonKeyIs(key_begin, key_end, "text")) {
        if (!json.Peek('"')) {
          const char* kind = ValueKind(json);
          return json.SkipValue(1, &bad_utf8) ? syntax(std::string("\"text\" is ") + kind + ", expected a string")
                                              : syntax("malformed JSON value");
        }
        if (!json.String(text_begin, text_end, &bad_utf8)) return syntax("malformed JSON string");
        has_text = true;
      } else if (!json.SkipValue(1, &bad_utf8)) {
        return syntax("malformed JSON value");
      }
    } while (json.Eat(','));
    if (!json.Eat('}')) return syntax("malformed JSON object (expected ',' or '}')");
  }
  if (!json.AtEnd()) return syntax("text after the JSON object");
  if (!has_text) return syntax("no \"text\"");
  return true;
}

// Whether the buckets fit the target; when not, *full (a batch holding rows) or the reason.
bool Fits(const BatchTarget& t, size_t count, size_t named_bytes, BadRecord* reason, std::string* detail, bool* full) {
  const bool rows_fit = !t.sparse || t.nnz + count <= t.nnz_capacity;
  const bool words_fit = !t.word_offsets || t.word_offsets[t.nnz] + named_bytes <= t.word_bytes_capacity;
  if (rows_fit && words_fit) return true;
  if (t.rows > 0) {
    *full = true;
    return false;
  }
  *reason = BadRecord::TooManyFeatures;
  *detail = rows_fit ? "its words need more bytes than a whole batch holds (" + std::to_string(t.word_bytes_capacity) + ")"
                     : "more non-zeros than a whole batch holds (" + std::to_string(t.nnz_capacity) + ")";
  return false;
}

void StoreBuckets(const std::vector<DocumentWords::Bucket>& buckets, const DocumentWords& words, size_t feature_dim,
                  BatchTarget& t) {
  if (!t.sparse) {
    float* row = t.values + t.rows * feature_dim;
    std::memset(row, 0, feature_dim * sizeof(float));
    for (const DocumentWords::Bucket& bucket : buckets) row[bucket.index] = static_cast<float>(bucket.count);
    return;
  }
  size_t nnz = t.nnz;
  for (const DocumentWords::Bucket& bucket : buckets) {
    t.indices[nnz] = bucket.index;
    t.values[nnz] = static_cast<float>(bucket.count);
    if (t.word_offsets) {
      const uint32_t at = t.word_offsets[nnz];
      std::memcpy(t.word_bytes + at, words.WordBytes(bucket.word), words.WordLength(bucket.word));
      t.word_offsets[nnz + 1] = at + words.WordLength(bucket.word);
    }
    ++nnz;
  }
  t.nnz = nnz;
}

}  // namespace

bool ParseTextRecord(const char* begin, const char* end, size_t feature_dim, DocumentWords& words, BatchTarget& t,
                     BadRecord* reason, std::string* detail, bool* full) {
  const char* text_begin = nullptr;
  const char* text_end = nullptr;
  if (!FindText(begin, end, &text_begin, &text_end, reason, detail)) return false;
  words.Clear();
  TextTokenizer tokenizer(text_begin, text_end);
  Token token;
  while (tokenizer.Next(&token)) words.Add(token);
  if (!tokenizer.error().empty()) {
    *reason = BadRecord::Syntax;
    *detail = tokenizer.error();
    return false;
  }
  const std::vector<DocumentWords::Bucket>& buckets = words.Finish(feature_dim);
  if (!Fits(t, buckets.size(), words.named_bytes(), reason, detail, full)) return false;
  StoreBuckets(buckets, words, feature_dim, t);
  if (t.labels) t.labels[t.rows] = 0.f;  // text has no label: unsupervised readers pass no labels
  if (t.weights) t.weights[t.rows] = 1.f;
  ++t.rows;
  if (t.sparse) t.indptr[t.rows] = static_cast<int32_t>(t.nnz);
  return true;
}

}  // namespace boundless
