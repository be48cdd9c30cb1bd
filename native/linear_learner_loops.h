// The wide inner loop of the linear learner (over models × classes for one
// feature), per ISA: a portable baseline and an AVX2+FMA variant chosen at
// load, as linear_algebra does.
#pragma once

#include <cstddef>

namespace boundless {
namespace linear {

struct Loops {
  // acc[k] += x · v[k] for k < n, accumulated in double.
  void (*add_scaled)(double* acc, double x, const float* v, size_t n);
};

const Loops& SelectedLoops();

extern const Loops kBaselineLoops;
#if defined(__x86_64__)
extern const Loops kAvx2Loops;
#endif

}  // namespace linear
}  // namespace boundless
