// The words of a document as the `text` format counts them, read straight
// from a JSON string's raw bytes (escapes decoded as they come: \n, \", \/,
// \uXXXX with surrogate pairs, into UTF-8).
//
// A word is a maximal run of letters: ASCII letters, lower-cased; and every
// non-ASCII code point except the punctuation, spaces and symbols of
// IsWordCodePoint (the Latin-1 punctuation, General Punctuation, arrows,
// mathematical and technical symbols, box drawing, dingbats, CJK
// punctuation, full-width punctuation, specials and emoji), which separate
// words; the capitals of Latin-1, basic Greek and basic Cyrillic are
// lower-cased too, other letters kept as they are. Digits and '_' separate
// words. An apostrophe (' or U+2019) between two letters is dropped ("don't"
// is "dont"); elsewhere it separates. Scripts written without spaces (CJK)
// give a run of characters, not words: there is no segmentation.
//
// Kept: words of kMinTokenBytes to kMaxTokenBytes bytes of UTF-8 that are not
// English stop words (stop_words.h); longer ones (URLs glued to words, base64,
// long CJK runs) are skipped whole, never cut.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace boundless {

constexpr size_t kMinTokenBytes = 2;
constexpr size_t kMaxTokenBytes = 32;
// The seed of MurmurHash3_32 for words: a word's bucket is its hash modulo feature_dim.
constexpr uint32_t kTokenHashSeed = 0;

struct Token {
  const char* bytes = nullptr;  // the word's UTF-8, valid until the next call of Next
  size_t length = 0;
  uint32_t hash = 0;            // MurmurHash3_32(bytes, length, kTokenHashSeed)
};

class TextTokenizer {
 public:
  // [begin, end): a JSON string's contents between its quotes, escapes in place; the reader
  // has checked its UTF-8.
  TextTokenizer(const char* begin, const char* end) : p_(begin), end_(end) {}

  // The next kept word; false at the end of the text, or on an escape JSON does not have
  // (then error() says which).
  bool Next(Token* token);
  const std::string& error() const { return error_; }

 private:
  // The next code point, or kEnd, or kBadEscape (error_ set). (The helpers called per byte are
  // inline, defined in the .cc where alone they are used: a call through the PLT costs more.)
  inline int32_t NextCodePoint();
  int32_t Escape();
  inline int32_t Utf8();
  // Skips to the first letter of a word and returns it (or kEnd, kBadEscape).
  int32_t SkipToLetter();
  // Appends the rest of a word; returns what ended it (a separator, consumed, or kEnd, kBadEscape).
  int32_t ReadWordRest();
  inline void AppendByte(char byte);
  inline void Append(int32_t code_point);

  const char* p_;
  const char* end_;
  char buffer_[kMaxTokenBytes];
  size_t length_ = 0;
  bool too_long_ = false;
  std::string error_;
};

// Whether a non-ASCII code point belongs to words (see the top of this file).
bool IsWordCodePoint(int32_t code_point);

}  // namespace boundless
