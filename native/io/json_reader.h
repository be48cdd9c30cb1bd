// A small strict JSON reader over one record's bytes: strings (UTF-8
// checked, escapes left in place), number tokens, literals, and skipping any
// value with bounded nesting. The record readers (json_record, text_record)
// walk their objects with it and write what they take straight into a batch.
#pragma once

#include <cstring>

#include "io/number_parsing.h"

namespace boundless {

// Nesting deeper than this is refused rather than recursed into.
constexpr int kJsonMaxDepth = 64;

class JsonReader {
 public:
  JsonReader(const char* begin, const char* end) : p_(begin), end_(end) {}

  void Space() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }
  bool Peek(char c) {
    Space();
    return p_ < end_ && *p_ == c;
  }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++p_;
    return true;
  }
  bool AtEnd() {
    Space();
    return p_ >= end_;
  }
  const char* position() const { return p_; }

  // A string's raw bytes between its quotes, escapes left in place (keys never need them
  // decoded; the text tokenizer decodes a document's as it reads it).
  bool String(const char** begin, const char** end, bool* bad_utf8) {
    if (!Eat('"')) return false;
    *begin = p_;
    while (p_ < end_) {
      unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *end = p_++;
        return true;
      }
      if (c == '\\') {
        if (++p_ >= end_) return false;
        ++p_;
        continue;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        int extra = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
        if (extra < 0 || c == 0xc0 || c == 0xc1 || c > 0xf4 || end_ - p_ <= extra) {
          *bad_utf8 = true;
          return false;
        }
        for (int k = 1; k <= extra; ++k) {
          if ((static_cast<unsigned char>(p_[k]) & 0xc0) != 0x80) {
            *bad_utf8 = true;
            return false;
          }
        }
        p_ += extra + 1;
        continue;
      }
      ++p_;
    }
    return false;
  }

  // The extent of a number token.
  bool NumberToken(const char** begin, const char** end) {
    Space();
    *begin = p_;
    while (p_ < end_ && (std::strchr("+-0123456789.eE", *p_) != nullptr) && *p_ != '\0') ++p_;
    *end = p_;
    return *end > *begin;
  }

  bool Literal(const char* word) {
    Space();
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end_ - p_) >= n && std::memcmp(p_, word, n) == 0) {
      p_ += n;
      return true;
    }
    return false;
  }

  bool SkipValue(int depth, bool* bad_utf8) {
    if (depth > kJsonMaxDepth) return false;
    Space();
    if (p_ >= end_) return false;
    const char *a, *b;
    switch (*p_) {
      case '"':
        return String(&a, &b, bad_utf8);
      case '{':
        ++p_;
        if (Eat('}')) return true;
        do {
          if (!String(&a, &b, bad_utf8) || !Eat(':') || !SkipValue(depth + 1, bad_utf8)) return false;
        } while (Eat(','));
        return Eat('}');
      case '[':
        ++p_;
        if (Eat(']')) return true;
        do {
          if (!SkipValue(depth + 1, bad_utf8)) return false;
        } while (Eat(','));
        return Eat(']');
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      default: {
        float ignored;
        return NumberToken(&a, &b) && ParseFloat32(a, b, &ignored) != NumberStatus::Invalid;
      }
    }
  }

 private:
  const char* p_;
  const char* end_;
};

// Whether a key's raw bytes (escapes in place) are `name`.
inline bool JsonKeyIs(const char* begin, const char* end, const char* name) {
  size_t n = std::strlen(name);
  return static_cast<size_t>(end - begin) == n && std::memcmp(begin, name, n) == 0;
}

}  // namespace boundless
