// The linear learner's wide loops: baseline, AVX2+FMA, and the choice.
#include "linear_learner_loops.h"

#include "cpu_features.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace boundless {
namespace linear {
namespace {

void AddScaledBaseline(double* acc, double x, const float* v, size_t n) {
  for (size_t k = 0; k < n; k++) acc[k] += x * static_cast<double>(v[k]);
}

#if defined(__x86_64__)
// Only this function carries the target attribute (see linear_algebra_avx2.cc).
__attribute__((target("avx2,fma"))) void AddScaledAvx2(double* acc, double x, const float* v, size_t n) {
  __m256d scale = _mm256_set1_pd(x);
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    __m256 values = _mm256_loadu_ps(v + k);
    __m256d low = _mm256_cvtps_pd(_mm256_castps256_ps128(values));
    __m256d high = _mm256_cvtps_pd(_mm256_extractf128_ps(values, 1));
    _mm256_storeu_pd(acc + k, _mm256_fmadd_pd(scale, low, _mm256_loadu_pd(acc + k)));
    _mm256_storeu_pd(acc + k + 4, _mm256_fmadd_pd(scale, high, _mm256_loadu_pd(acc + k + 4)));
  }
  for (; k < n; k++) acc[k] += x * static_cast<double>(v[k]);
}
#endif

}  // namespace

const Loops kBaselineLoops = {AddScaledBaseline};
#if defined(__x86_64__)
const Loops kAvx2Loops = {AddScaledAvx2};
#endif

const Loops& SelectedLoops() {
#if defined(__x86_64__)
  if (SelectedIsa() == Isa::Avx2) return kAvx2Loops;
#endif
  return kBaselineLoops;
}

}  // namespace linear
}  // namespace boundless
