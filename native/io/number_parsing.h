// Exact number parsing for the text formats: std::from_chars rounds
// correctly to float32 (no double detour, no locale), and we add what it
// leaves out: a leading '+', and a clear reason when a field is not a number.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace boundless {

enum class NumberStatus { Ok, Empty, Invalid, NonFinite, OutOfRange };

// Clinger's fast path in float precision: a decimal whose digits make an
// integer m < 2^24 and whose power of ten 10^k has |k| <= 10 is exact as
// float(m) and float(10^|k|), so one IEEE float multiply or divide rounds it
// correctly. Most data ("12.34567", "-0.5", "3e2") takes this path; the rest
// goes to std::from_chars.
//
// This scans the decimal at p in one pass, stopping at the first character that cannot continue
// it, and returns where it ended, with its value; or null when there is no number at p or the
// fast path does not apply (the caller then finds the field and parses it the general way). One
// pass: CSV's hot loop scanning a field for its end and then parsing it read each byte twice.
inline const char* ScanFastFloat32(const char* p, const char* end, float* out) {
  static const float kPowers[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
  bool negative = false;
  if (p < end && (*p == '-' || *p == '+')) negative = *p++ == '-';
  uint32_t mantissa = 0;
  int digits = 0;
  int exponent = 0;
  bool any = false;
  for (; p < end && static_cast<unsigned>(*p - '0') < 10; ++p) {
    any = true;
    if (mantissa > 0 || *p != '0') {
      if (++digits > 8) return nullptr;
      mantissa = mantissa * 10 + static_cast<uint32_t>(*p - '0');
    }
  }
  if (p < end && *p == '.') {
    for (++p; p < end && static_cast<unsigned>(*p - '0') < 10; ++p) {
      any = true;
      if (mantissa > 0 || *p != '0') {
        if (++digits > 8) return nullptr;
        mantissa = mantissa * 10 + static_cast<uint32_t>(*p - '0');
      }
      --exponent;
    }
  }
  if (!any) return nullptr;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool negative_exponent = false;
    if (p < end && (*p == '-' || *p == '+')) negative_exponent = *p++ == '-';
    if (p == end || static_cast<unsigned>(*p - '0') >= 10) return nullptr;
    int value = 0;
    for (; p < end && static_cast<unsigned>(*p - '0') < 10; ++p) {
      if (value > 1000) return nullptr;
      value = value * 10 + (*p - '0');
    }
    exponent += negative_exponent ? -value : value;
  }
  if (mantissa >= (1u << 24) || exponent < -10 || exponent > 10) return nullptr;
  float value = static_cast<float>(mantissa);
  value = exponent < 0 ? value / kPowers[-exponent] : value * kPowers[exponent];
  *out = negative ? -value : value;
  return p;
}

// The fast path on a whole field [p, end): false when it does not apply or the field has more.
inline bool FastFloat32(const char* p, const char* end, float* out) {
  float value = 0.f;  // set whenever the scan reaches `end` (initialized for GCC's -Wmaybe-uninitialized)
  if (ScanFastFloat32(p, end, &value) != end) return false;
  *out = value;
  return true;
}

// The power of ten of a decimal's first significant digit (digits, an optional point, an optional
// exponent; the caller has checked the syntax), saturated far beyond any float's range.
inline long long DecimalMagnitude(const char* p, const char* end) {
  if (p < end && (*p == '-' || *p == '+')) ++p;
  long long integer_digits = 0, leading_fraction_zeros = 0;
  bool significant = false;
  for (; p < end && *p >= '0' && *p <= '9'; ++p) {
    if (*p != '0') significant = true;
    if (significant) ++integer_digits;
  }
  if (p < end && *p == '.') {
    for (++p; p < end && *p >= '0' && *p <= '9'; ++p) {
      if (*p != '0') significant = true;
      if (!significant) ++leading_fraction_zeros;
    }
  }
  long long exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    const bool negative = p < end && *p == '-';
    if (p < end && (*p == '-' || *p == '+')) ++p;
    for (; p < end && *p >= '0' && *p <= '9'; ++p) exponent = std::min<long long>(exponent * 10 + (*p - '0'), 1LL << 40);
    if (negative) exponent = -exponent;
  }
  return (integer_digits > 0 ? integer_digits - 1 : -leading_fraction_zeros - 1) + exponent;
}

inline NumberStatus ParseFloat32(const char* begin, const char* end, float* out) {
  if (begin == end) return NumberStatus::Empty;
  if (FastFloat32(begin, end, out)) return NumberStatus::Ok;
  if (*begin == '+') {
    ++begin;
    if (begin == end || *begin == '-' || *begin == '+') return NumberStatus::Invalid;
  }
  auto result = std::from_chars(begin, end, *out, std::chars_format::general);
  if (result.ec == std::errc::result_out_of_range) {
    // Overflow is an error; underflow to a denormal or zero is what rounding gives.
    // (from_chars leaves the value untouched when out of range, so decide by magnitude.)
    if (result.ptr != end) return NumberStatus::Invalid;
    double wide = 0.0;
    auto again = std::from_chars(begin, end, wide, std::chars_format::general);
    if (again.ec == std::errc()) {
      if (std::fabs(wide) > 1.0) return NumberStatus::OutOfRange;
      *out = static_cast<float>(wide);
      return NumberStatus::Ok;
    }
    // Beyond double too: the power of ten of its first significant digit says which way (a plain
    // 0.000…1 with 350 zeros has no exponent to read the sign of).
    if (DecimalMagnitude(begin, end) >= 0) return NumberStatus::OutOfRange;
    *out = (*begin == '-') ? -0.0f : 0.0f;
    return NumberStatus::Ok;
  }
  if (result.ec != std::errc() || result.ptr != end) return NumberStatus::Invalid;
  if (!std::isfinite(*out)) return NumberStatus::NonFinite;
  return NumberStatus::Ok;
}

// A non-negative decimal integer that fits in uint64.
inline bool ParseIndex(const char* begin, const char* end, uint64_t* out) {
  if (begin == end) return false;
  auto result = std::from_chars(begin, end, *out, 10);
  return result.ec == std::errc() && result.ptr == end;
}

}  // namespace boundless
