// Exact number parsing for the text formats: std::from_chars rounds
// correctly to float32 (no double detour, no locale), and we add what it
// leaves out: a leading '+', and a clear reason when a field is not a number.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace boundless {

enum class NumberStatus { Ok, Empty, Invalid, NonFinite, OutOfRange };

inline NumberStatus ParseFloat32(const char* begin, const char* end, float* out) {
  if (begin == end) return NumberStatus::Empty;
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
    // Beyond double too: the sign of the decimal exponent says which way.
    const char* e = begin;
    while (e < end && *e != 'e' && *e != 'E') ++e;
    bool negative_exponent = e + 1 < end && e[1] == '-';
    if (!negative_exponent) return NumberStatus::OutOfRange;
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
