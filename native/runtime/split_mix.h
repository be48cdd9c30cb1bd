// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit mix whose outputs over a counter are a fast,
// well-distributed random stream. Every counter-based generator of the kernels draws from it, so
// a state needs only its counters to resume exactly.
#pragma once

#include <cstdint>

namespace boundless {

inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace boundless
