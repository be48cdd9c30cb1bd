#include "io/text_tokenizer.h"

#include <array>
#include <cstring>

#include "io/murmur_hash.h"
#include "io/stop_words.h"

namespace boundless {
namespace {

constexpr int32_t kEnd = -1;
constexpr int32_t kBadEscape = -2;
constexpr int32_t kReplacement = 0xFFFD;  // a lone surrogate: not a letter, so it separates

// Per ASCII byte: its lower-case letter, or 0 for a byte that is not a letter.
constexpr std::array<char, 256> MakeAsciiLower() {
  std::array<char, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[c] = static_cast<char>(c);
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = static_cast<char>(c + 32);
  return table;
}
constexpr std::array<char, 256> kAsciiLower = MakeAsciiLower();

// Per byte: 1 for ASCII bytes that separate words and need no decoding (not a letter, not '\\').
constexpr std::array<uint8_t, 256> MakeAsciiSkip() {
  std::array<uint8_t, 256> table{};
  for (int c = 0; c < 0x80; ++c) table[c] = kAsciiLower[c] == 0 && c != '\\';
  return table;
}
constexpr std::array<uint8_t, 256> kAsciiSkip = MakeAsciiSkip();

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits at p (p + 4 <= end checked by the caller), or -1.
int32_t Hex4(const char* p) {
  int32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    int digit = HexDigit(p[i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

bool IsLetter(int32_t code_point) {
  return code_point < 0x80 ? kAsciiLower[code_point] != 0 : IsWordCodePoint(code_point);
}

bool IsApostrophe(int32_t code_point) { return code_point == '\'' || code_point == 0x2019; }

// Lower case for ASCII, Latin-1, basic Greek and basic Cyrillic capitals; anything else as it is.
int32_t Lowercase(int32_t c) {
  if (c < 0x80) return kAsciiLower[c];
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

// UTF-8 of a code point (≤ 0x10FFFF, not a surrogate) into out; returns the byte count.
size_t EncodeUtf8(int32_t c, char* out) {
  if (c < 0x80) {
    out[0] = static_cast<char>(c);
    return 1;
  }
  if (c < 0x800) {
    out[0] = static_cast<char>(0xC0 | (c >> 6));
    out[1] = static_cast<char>(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (c >> 12));
    out[1] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (c & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (c >> 18));
  out[1] = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (c & 0x3F));
  return 4;
}

}  // namespace

bool IsWordCodePoint(int32_t c) {
  if (c < 0x80) return kAsciiLower[c] != 0;
  if (c <= 0xBF) return c == 0xAA || c == 0xB5 || c == 0xBA;  // Latin-1 punctuation; ª µ º are letters
  if (c == 0xD7 || c == 0xF7) return false;                    // × ÷
  if (c >= 0x2000 && c <= 0x2BFF) return false;  // punctuation, super/subscripts, currency, symbols, arrows, math, boxes, dingbats
  if (c >= 0x2E00 && c <= 0x2E7F) return false;  // supplemental punctuation
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK symbols and punctuation (the ideographic space and full stop)
  if (c >= 0xD800 && c <= 0xDFFF) return false;  // surrogates (only from malformed input)
  if ((c >= 0xFE10 && c <= 0xFE1F) || (c >= 0xFE30 && c <= 0xFE6F) || c == 0xFEFF) return false;  // vertical and small forms, BOM
  if ((c >= 0xFF01 && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65)) {
    return false;  // full-width punctuation and digits (full-width letters are letters)
  }
  if (c >= 0xFFF0 && c <= 0xFFFF) return false;     // specials, U+FFFD among them
  if (c >= 0x1F000 && c <= 0x1FAFF) return false;   // emoji, playing cards, mahjong and their kin
  return c <= 0x10FFFF;
}

bool TextTokenizer::Next(Token* token) {
  for (;;) {
    int32_t first = SkipToLetter();
    if (first < 0) return false;
    length_ = 0;
    too_long_ = false;
    Append(Lowercase(first));
    if (ReadWordRest() == kBadEscape) return false;
    if (too_long_ || length_ < kMinTokenBytes) continue;
    const uint32_t hash = MurmurHash3_32(buffer_, length_, kTokenHashSeed);
    if (IsStopWordEn(buffer_, length_, hash)) continue;
    token->bytes = buffer_;
    token->length = length_;
    token->hash = hash;
    return true;
  }
}

int32_t TextTokenizer::SkipToLetter() {
  for (;;) {
    while (p_ < end_ && kAsciiSkip[static_cast<unsigned char>(*p_)]) ++p_;
    int32_t code_point = NextCodePoint();
    if (code_point < 0 || IsLetter(code_point)) return code_point;
  }
}

int32_t TextTokenizer::ReadWordRest() {
  for (;;) {
    // ASCII letters, most of any text, without decoding.
    while (p_ < end_) {
      const char lower = kAsciiLower[static_cast<unsigned char>(*p_)];
      if (lower == 0) break;
      AppendByte(lower);
      ++p_;
    }
    int32_t code_point = NextCodePoint();
    if (code_point < 0) return code_point;
    if (!IsLetter(code_point)) {
      if (!IsApostrophe(code_point)) return code_point;
      // An apostrophe between letters is dropped ("don't" is "dont"); before anything else it ends the word.
      code_point = NextCodePoint();
      if (code_point < 0 || !IsLetter(code_point)) return code_point;
    }
    Append(Lowercase(code_point));
  }
}

inline void TextTokenizer::AppendByte(char byte) {
  if (length_ < kMaxTokenBytes) buffer_[length_++] = byte;
  else too_long_ = true;
}

inline void TextTokenizer::Append(int32_t code_point) {
  char bytes[4];
  const size_t count = EncodeUtf8(code_point, bytes);
  if (length_ + count > kMaxTokenBytes) {
    too_long_ = true;
    return;
  }
  std::memcpy(buffer_ + length_, bytes, count);
  length_ += count;
}

inline int32_t TextTokenizer::NextCodePoint() {
  if (p_ >= end_) return kEnd;
  const unsigned char c = static_cast<unsigned char>(*p_);
  if (c == '\\') return Escape();
  if (c < 0x80) {
    ++p_;
    return c;
  }
  return Utf8();
}

int32_t TextTokenizer::Escape() {
  if (end_ - p_ < 2) {
    error_ = "\"text\" ends inside an escape";
    return kBadEscape;
  }
  const char kind = p_[1];
  p_ += 2;
  switch (kind) {
    case '"': case '\\': case '/': return kind;
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'u': break;
    default:
      error_ = std::string("invalid escape '\\") + kind + "' in \"text\"";
      return kBadEscape;
  }
  const int32_t unit = end_ - p_ >= 4 ? Hex4(p_) : -1;
  if (unit < 0) {
    error_ = "invalid \\u escape in \"text\" (expected four hex digits)";
    return kBadEscape;
  }
  p_ += 4;
  if (unit < 0xD800 || unit > 0xDBFF) return unit >= 0xDC00 && unit <= 0xDFFF ? kReplacement : unit;
  // A high surrogate: with the low one after it, one code point; alone, a separator (JSON.parse keeps it as is).
  if (end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
    const int32_t low = Hex4(p_ + 2);
    if (low >= 0xDC00 && low <= 0xDFFF) {
      p_ += 6;
      return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }
  }
  return kReplacement;
}

inline int32_t TextTokenizer::Utf8() {
  const unsigned char c = static_cast<unsigned char>(*p_);
  const int extra = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
  // The reader has checked the bytes; a stray one here (never expected) separates words.
  if (extra < 0 || end_ - p_ <= extra) {
    ++p_;
    return kReplacement;
  }
  int32_t code_point = c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) code_point = (code_point << 6) | (static_cast<unsigned char>(p_[k]) & 0x3F);
  p_ += extra + 1;
  return code_point;
}

}  // namespace boundless
