// JavaScript's number-to-text rules (ECMA-262 Number::toString) over the
// shortest digits std::to_chars finds. float32ToString searches
// toPrecision(1..9) for the first text that reads back as the float32; that
// is the shortest round-trip text (what to_chars gives) except in two cases,
// which take the exact search below:
//  - a power of two, where the float's neighbours are unevenly spaced, so the
//    nearest d-digit decimal can miss while a farther one (to_chars's pick)
//    reads back;
//  - an exact tie between two shortest decimals, which toPrecision breaks
//    away from zero and to_chars towards the even digit (1.00390625f:
//    JavaScript writes 1.0039063, to_chars 1.0039062).
#include "io/number_text.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace boundless {
namespace {

// A decimal 0.D × 10^point, D = digits[0..count) without leading or trailing zeros.
struct Decimal {
  char digits[24];
  int count = 0;
  int point = 0;
};

// The digits and exponent of to_chars's scientific text ("1.25e-07", "5e+00").
Decimal FromScientific(const char* begin, const char* end) {
  Decimal d;
  const char* p = begin;
  if (*p == '-') ++p;
  for (; p < end && *p != 'e'; ++p) {
    if (*p != '.') d.digits[d.count++] = *p;
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+'), end, exponent);
  while (d.count > 1 && d.digits[d.count - 1] == '0') --d.count;
  d.point = exponent + 1;
  return d;
}

// Number::toString's layout of a non-zero decimal.
char* WriteDecimal(char* out, bool negative, const Decimal& d) {
  if (negative) *out++ = '-';
  const int k = d.count, n = d.point;
  if (k <= n && n <= 21) {
    std::memcpy(out, d.digits, k);
    out += k;
    for (int i = k; i < n; ++i) *out++ = '0';
  } else if (0 < n && n <= 21) {
    std::memcpy(out, d.digits, n);
    out += n;
    *out++ = '.';
    std::memcpy(out, d.digits + n, k - n);
    out += k - n;
  } else if (-6 < n && n <= 0) {
    *out++ = '0';
    *out++ = '.';
    for (int i = n; i < 0; ++i) *out++ = '0';
    std::memcpy(out, d.digits, k);
    out += k;
  } else {
    *out++ = d.digits[0];
    if (k > 1) {
      *out++ = '.';
      std::memcpy(out, d.digits + 1, k - 1);
      out += k - 1;
    }
    *out++ = 'e';
    *out++ = n - 1 < 0 ? '-' : '+';
    out = WriteUnsigned(out, static_cast<uint64_t>(std::abs(n - 1)));
  }
  return out;
}

char* WriteNonFinite(char* out, double value) {
  const char* text = std::isnan(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  size_t length = std::strlen(text);
  std::memcpy(out, text, length);
  return out + length;
}

template <typename T>
Decimal ShortestDigits(T magnitude) {
  char text[48];
  auto result = std::to_chars(text, text + sizeof text, magnitude, std::chars_format::scientific);
  return FromScientific(text, result.ptr);
}

int DigitCount(uint64_t value) {
  int count = 1;
  while (value >= 10) {
    value /= 10;
    ++count;
  }
  return count;
}

// The exact decimal of a positive float when it has at most 17 significant digits:
// value = digits × 10^-scale. False when it has more (then no toPrecision(d ≤ 9) can tie).
bool ExactDecimal(float value, uint64_t* digits, int* scale) {
  int exponent = 0;
  double mantissa = std::frexp(static_cast<double>(value), &exponent);  // value = mantissa · 2^exponent
  uint64_t m = static_cast<uint64_t>(std::ldexp(mantissa, 24));        // 24 bits hold any float
  int q = exponent - 24;                                                 // value = m · 2^q
  while (m % 2 == 0) {
    m /= 2;
    ++q;
  }
  if (q >= 0) return false;  // an integer here is ≥ 1e21: more than 21 digits, none of them a 5 to tie on
  // m · 2^q = m · 5^-q · 10^q, and m · 5^-q (odd, so no trailing zero) has > 10 digits once -q > 14.
  if (-q > 14) return false;
  uint64_t exact = m;
  for (int i = 0; i < -q; ++i) exact *= 5;
  *digits = exact;
  *scale = -q;
  return true;
}

// toPrecision(precision) of a positive float as a decimal: correctly rounded, ties away from zero.
Decimal ToPrecision(float value, int precision) {
  uint64_t exact = 0;
  int scale = 0;
  if (ExactDecimal(value, &exact, &scale)) {
    int count = DigitCount(exact);
    Decimal d;
    d.point = count - scale;
    if (count <= precision) {
      std::to_chars(d.digits, d.digits + sizeof d.digits, exact);
      d.count = count;
    } else {
      uint64_t divisor = 1;
      for (int i = precision; i < count; ++i) divisor *= 10;
      uint64_t kept = exact / divisor, rest = exact % divisor;
      if (rest * 2 >= divisor) ++kept;  // half away from zero, as toPrecision
      if (DigitCount(kept) > precision) {  // rounded up to the next power of ten
        kept /= 10;
        ++d.point;
      }
      d.count = static_cast<int>(std::to_chars(d.digits, d.digits + sizeof d.digits, kept).ptr - d.digits);
    }
    while (d.count > 1 && d.digits[d.count - 1] == '0') --d.count;
    return d;
  }
  // No tie is possible: printf-style rounding (to_chars with a precision) is the correct rounding.
  char text[48];
  auto result = std::to_chars(text, text + sizeof text, static_cast<double>(value), std::chars_format::scientific, precision - 1);
  return FromScientific(text, result.ptr);
}

// Whether the decimal reads back as `value` the way JavaScript checks it: Number(text), then
// stored in a Float32Array.
bool ReadsBackAs(const Decimal& d, float value) {
  char text[48];
  char* p = text;
  std::memcpy(p, d.digits, d.count);
  p += d.count;
  *p++ = 'e';
  p = std::to_chars(p, text + sizeof text, d.point - d.count).ptr;
  double parsed = 0;
  std::from_chars(text, p, parsed);
  return static_cast<float>(parsed) == value;
}

// Whether the shortest digits could differ from toPrecision's search: a power of two, or an
// exact tie at the shortest length.
bool NeedsSearch(float magnitude, int shortest) {
  uint32_t bits;
  std::memcpy(&bits, &magnitude, sizeof bits);
  if ((bits & 0x7fffffu) == 0) return true;
  uint64_t exact = 0;
  int scale = 0;
  return ExactDecimal(magnitude, &exact, &scale) && DigitCount(exact) == shortest + 1 && exact % 10 == 5;
}

}  // namespace

char* WriteUnsigned(char* out, uint64_t value) { return std::to_chars(out, out + 20, value).ptr; }

char* WriteDoubleText(char* out, double value) {
  if (!std::isfinite(value)) return WriteNonFinite(out, value);
  if (value == 0) {
    *out++ = '0';
    return out;
  }
  return WriteDecimal(out, value < 0, ShortestDigits(std::fabs(value)));
}

char* WriteJsonNumber(char* out, double value) {
  if (std::isfinite(value)) return WriteDoubleText(out, value);
  std::memcpy(out, "null", 4);
  return out + 4;
}

char* WriteFloat32Text(char* out, float value) {
  const double wide = value;
  // -0 as "-0" (JavaScript's String(-0) is "0"): text that reads back as the same float32, sign bit included.
  if (value == 0 && std::signbit(value)) {
    std::memcpy(out, "-0", 2);
    return out + 2;
  }
  if (!std::isfinite(wide) || (wide == std::trunc(wide) && std::fabs(wide) < 1e21)) return WriteDoubleText(out, wide);
  const bool negative = value < 0;
  const float magnitude = std::fabs(value);
  Decimal shortest = ShortestDigits(magnitude);
  if (!NeedsSearch(magnitude, shortest.count)) return WriteDecimal(out, negative, shortest);
  for (int precision = shortest.count; precision <= 9; ++precision) {
    Decimal d = ToPrecision(magnitude, precision);
    if (ReadsBackAs(d, magnitude)) return WriteDecimal(out, negative, d);
  }
  return WriteDoubleText(out, wide);  // unreachable for a float32 (9 digits always read back), as in JavaScript
}

}  // namespace boundless
