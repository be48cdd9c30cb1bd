// out[k] += scale × source[k]: the adds and subtractions of merge rounds (states averaged by
// rows, counts added, a base's counts taken away), over every tensor of a state each round.
#pragma once

#include <cstddef>

namespace boundless {

// Each element as JavaScript's `out[k] += scale * source[k]` on typed arrays computes it: the
// product and the sum in float64, the sum rounded once to out's type. So a merge gives the same
// bytes whichever side does it. Its one user, linear_algebra_binding.cc, is compiled for the
// baseline ISA, where no fused multiply-add can merge the two roundings into one: keep it out of
// the per-ISA (-mfma) files, where GCC contracts a * b + c even under -std=c++17.
// (native-addon.test.ts compares the bytes with the JavaScript loop's.)
template <typename Out, typename Source>
void AddScaled(Out* out, const Source* source, double scale, size_t n) {
  for (size_t k = 0; k < n; k++) {
    const double product = scale * static_cast<double>(source[k]);
    out[k] = static_cast<Out>(static_cast<double>(out[k]) + product);
  }
}

}  // namespace boundless
