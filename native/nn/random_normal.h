// Counter-based Gaussian noise for the reparameterisation and dropout: draw i
// of a stream is a function of (seed, stream, i) alone, so a state needs only its
// step counter to resume exactly, and results do not depend on how rows are
// split across threads.
#pragma once

#include <cmath>
#include <cstdint>

#include "runtime/split_mix.h"

namespace boundless {
namespace nn {

// A uniform in (0, 1) for counter i of stream (seed, stream).
inline double CounterUniform(uint64_t seed, uint64_t stream, uint64_t i) {
  uint64_t bits = SplitMix64(SplitMix64(seed ^ (stream * 0xd1342543de82ef95ULL)) ^ (i * 0x9e3779b97f4a7c15ULL));
  return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53;
}

// A standard normal for counter i (Box–Muller on two uniforms of the counter).
inline float CounterNormal(uint64_t seed, uint64_t stream, uint64_t i) {
  double u1 = CounterUniform(seed, stream, 2 * i), u2 = CounterUniform(seed, stream, 2 * i + 1);
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

}  // namespace nn
}  // namespace boundless
