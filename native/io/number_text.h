// Numbers as JavaScript writes them, for the native writers: the same bytes
// as lib/io/formats/float32-text.ts float32ToString (the shortest decimal
// that reads back as the same float32) and as String(x) / JSON.stringify(x)
// for a double. Each function writes at most kMaxNumberText bytes at `out`
// and returns the end of what it wrote.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {

// The longest text any function here writes ("-2.2250738585072014e-308" is 24).
constexpr size_t kMaxNumberText = 25;

// float32ToString(value): "NaN", "Infinity", integers below 1e21 as String(value) ("-0" is
// "0"), otherwise the fewest significant digits (toPrecision 1..9, ties away from zero)
// that read back as the same float32, in JavaScript's notation (0.1, 1e-7, 3.4028235e+38).
char* WriteFloat32Text(char* out, float value);

// String(value) for a double: the shortest round-trip digits in JavaScript's notation.
char* WriteDoubleText(char* out, double value);

// JSON.stringify(value): String(value), with null for NaN and the infinities.
char* WriteJsonNumber(char* out, double value);

// A non-negative integer in decimal.
char* WriteUnsigned(char* out, uint64_t value);

}  // namespace boundless
