// 32-bit MurmurHash3 (x86_32 variant), the hash Vowpal Wabbit uses for
// feature names, so hashed features land in the same buckets as in VW.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {

uint32_t MurmurHash3_32(const void* key, size_t length, uint32_t seed);

}  // namespace boundless
