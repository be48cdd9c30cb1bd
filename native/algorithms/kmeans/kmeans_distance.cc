#include "algorithms/kmeans/kmeans_distance.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "linalg/linear_algebra.h"
#include "runtime/cpu_features.h"
#include "runtime/reused.h"
#include "runtime/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace boundless {
namespace kmeans {
namespace {

constexpr size_t kBlock = 256;  // rows per screening GEMM: the block's dot products stay in cache
// Shifted floats a block holds at most: wide rows (10^5 features) come fewer to a block, so a
// thread's scratch stays a few MiB instead of kBlock rows of them.
constexpr size_t kBlockFloats = kBlock * 4096;
constexpr double kUnit32 = 0x1.0p-24;  // unit roundoff of float32
constexpr double kUnit64 = 0x1.0p-53;  // unit roundoff of float64
constexpr double kInfinity = std::numeric_limits<double>::infinity();
// The bounds below are worst cases of the screening arithmetic; this margin also covers the
// roundings of the bounds and comparisons themselves (relative 1e-15 each).
constexpr double kSafety = 1.25;

// γ_n = n·u / (1 − n·u) bounds the relative error of any sum of n products, in any order and
// with or without fused multiply-adds (Higham, Accuracy and Stability of Numerical Algorithms,
// §3.1); infinite once n·u reaches 1/2, where no such bound holds (then nothing is screened out).
double Gamma(size_t n, double unit) {
  double nu = static_cast<double>(n) * unit;
  return nu < 0.5 ? nu / (1.0 - nu) : kInfinity;
}

// Neumaier's compensated sum: the error is about one rounding of the result rather than one
// rounding of the largest partial sum.
struct CompensatedSum {
  double sum = 0, carry = 0;
  void Add(double v) {
    double t = sum + v;
    carry += std::abs(sum) >= std::abs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  double Value() const { return sum + carry; }
};

// ‖x − c‖² for a sparse row with strictly increasing indices: ‖c‖² + Σ x_j·(x_j − 2c_j). x_j²
// and 2·x_j·c_j are exact in float64 (products of float32s), so with ‖c‖² held as a compensated
// sum the result is accurate to about one float64 rounding of itself, not of ‖c‖², which can be
// 10^10 times larger when the data sit far from the origin.
double SparseSquaredDistance(const BatchView& p, size_t r, const float* center, const CompensatedSum& center_norm2) {
  CompensatedSum sum = center_norm2;
  for (int32_t e = p.indptr[r]; e < p.indptr[r + 1]; e++) {
    double x = p.values[e], c = center[p.indices[e]];
    sum.Add(x * x);
    sum.Add(-2.0 * (x * c));
  }
  return std::max(0.0, sum.Value());
}

// ‖v‖² over kNormLanes interleaved sums, each error-free (Knuth's TwoSum: every rounding error
// kept in the lane's carry; v_j² is exact in float64), folded into one compensated sum. Same
// accuracy as adding the squares one at a time into a CompensatedSum, but the lanes vectorize and
// pipeline where the one sum's data-dependent branch and chain of adds took 4 cycles a feature:
// it was most of a sparse batch's time (every centre's norm, 10^5 features, on every call). The
// operations are fixed per lane, so the bits are the same on every ISA variant (a contraction of
// x·x into a fused multiply-add changes nothing: the square of a float is exact in float64).
constexpr size_t kNormLanes = 16;

// Lane l takes v[l], v[l + 16], …, held in vectors of the width each variant's registers have
// (GCC/Clang vector extensions: wider ones than the target's were spilled through the stack),
// then the tail one lane at a time.
typedef double Doubles2 __attribute__((vector_size(16)));
typedef float Floats2 __attribute__((vector_size(8)));
typedef double Doubles4 __attribute__((vector_size(32)));
typedef float Floats4 __attribute__((vector_size(16)));
typedef double Doubles8 __attribute__((vector_size(64)));
typedef float Floats8 __attribute__((vector_size(32)));

template <class D>
__attribute__((always_inline)) inline void TwoSumStep(D& sum, D& carry, D x) {
  const D square = x * x, t = sum + square, back = t - sum;
  carry += (sum - (t - back)) + (square - back);
  sum = t;
}

template <class D, class F>
__attribute__((always_inline)) inline void NormLanes(const float* v, size_t n, double* sum_out, double* carry_out) {
  constexpr size_t kWidth = sizeof(D) / sizeof(double), kVectors = kNormLanes / kWidth;
  D sum[kVectors] = {}, carry[kVectors] = {};
  size_t j = 0;
  for (; j + kNormLanes <= n; j += kNormLanes) {
    for (size_t k = 0; k < kVectors; k++) {
      F f;
      std::memcpy(&f, v + j + k * kWidth, sizeof f);
      TwoSumStep(sum[k], carry[k], __builtin_convertvector(f, D));
    }
  }
  for (size_t l = 0; l < kNormLanes; l++) {
    sum_out[l] = sum[l / kWidth][l % kWidth];
    carry_out[l] = carry[l / kWidth][l % kWidth];
  }
  for (size_t l = 0; j < n; j++, l++) TwoSumStep(sum_out[l], carry_out[l], static_cast<double>(v[j]));
}

void NormLanesBaseline(const float* v, size_t n, double* sum, double* carry) { NormLanes<Doubles2, Floats2>(v, n, sum, carry); }
#if defined(__x86_64__)
__attribute__((target("avx2"))) void NormLanesAvx2(const float* v, size_t n, double* sum, double* carry) {
  NormLanes<Doubles4, Floats4>(v, n, sum, carry);
}
__attribute__((target("avx512f"))) void NormLanesAvx512(const float* v, size_t n, double* sum, double* carry) {
  NormLanes<Doubles8, Floats8>(v, n, sum, carry);
}
#endif

CompensatedSum CompensatedSquaredNorm(const float* v, size_t n) {
  double sum[kNormLanes] = {}, carry[kNormLanes] = {};
#if defined(__x86_64__)
  const Isa isa = SelectedIsa();
  if (isa == Isa::Avx512) NormLanesAvx512(v, n, sum, carry);
  else if (isa == Isa::Avx2) NormLanesAvx2(v, n, sum, carry);
  else NormLanesBaseline(v, n, sum, carry);
#else
  NormLanesBaseline(v, n, sum, carry);
#endif
  CompensatedSum out;
  for (size_t l = 0; l < kNormLanes; l++) out.Add(sum[l]);
  for (size_t l = 0; l < kNormLanes; l++) out.Add(carry[l]);
  return out;
}

bool StrictlyIncreasing(const BatchView& p, size_t r) {
  for (int32_t e = p.indptr[r] + 1; e < p.indptr[r + 1]; e++) if (p.indices[e] <= p.indices[e - 1]) return false;
  return true;
}

// What the screening pass's error is for one row: with X the row's norm and C a centre's (in the
// coordinates the pass used), |approx − d'| ≤ linear·C + quadratic·(X + C)², where d' is the
// squared distance between the coordinates the pass used, and √d' is within drift·(X + C) of the
// true distance (the rounding of shifting the inputs).
struct RowBound {
  double row_norm = 0, linear = 0, quadratic = 0, drift = 0;
  double Error(double c) const { return kSafety * (linear * c + quadratic * (row_norm + c) * (row_norm + c)); }
  double Drift(double c) const { return kSafety * drift * (row_norm + c); }
};

struct Nearest {
  int32_t index = 0;
  double distance2 = kInfinity;
};

// The nearest centre from screened distances: every centre whose lower bound reaches below the
// upper bound of the screened best is measured exactly (usually the best alone); lowest index on ties.
// `max_norm` bounds every centre's norm: Error and Drift grow with the norm, so a centre whose
// screened distance exceeds `upper` by the largest centre's margins is out without working out
// its own (one compare per centre; a row's bounds cost several multiplies each, most of this
// pass's time). The centres measured are the same.
// The lowest index of the smallest of approx[0, count) (finite values: the screened path's), as
// a loop of strict < keeps it.
size_t FirstMinimum(const double* approx, size_t count) {
  size_t best = 0;
  double best_value = approx[0];  // kept in a register: comparing with approx[best] reloaded it every step
  for (size_t c = 1; c < count; c++) {
    if (approx[c] < best_value) {
      best = c;
      best_value = approx[c];
    }
  }
  return best;
}

#if defined(__x86_64__)
// The same index four lanes at a time: the minimum's value, then its first position (every lane's
// compare is exact, so the index is the scalar loop's). One row's pass over the K streaming
// centres was a third of a dense batch's screening time in the scalar loop.
__attribute__((target("avx2"))) size_t FirstMinimumAvx2(const double* approx, size_t count) {
  if (count < 8) return FirstMinimum(approx, count);
  __m256d low = _mm256_loadu_pd(approx);
  size_t c = 4;
  for (; c + 4 <= count; c += 4) low = _mm256_min_pd(low, _mm256_loadu_pd(approx + c));
  double lanes[4];
  _mm256_storeu_pd(lanes, low);
  double value = std::min(std::min(lanes[0], lanes[1]), std::min(lanes[2], lanes[3]));
  for (; c < count; c++) value = std::min(value, approx[c]);
  size_t at = 0;
  while (!(approx[at] == value)) at++;
  return at;
}

// The centres not ruled out by `outside` (approx[c] > outside fails, NaN included), in index
// order, four compares at a time: usually one or two of K survive.
template <class Visit>
__attribute__((target("avx2"))) void EachInsideAvx2(const double* approx, size_t count, double outside, Visit visit) {
  const __m256d bound = _mm256_set1_pd(outside);
  size_t c = 0;
  for (; c + 4 <= count; c += 4) {
    int inside = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(approx + c), bound, _CMP_NGT_UQ));
    while (inside != 0) {
      visit(c + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(inside))));
      inside &= inside - 1;
    }
  }
  for (; c < count; c++) {
    if (!(approx[c] > outside)) visit(c);
  }
}
#endif

template <class Visit>
__attribute__((always_inline)) inline void EachInside(const double* approx, size_t count, double outside, Visit visit) {
  for (size_t c = 0; c < count; c++) {
    if (!(approx[c] > outside)) visit(c);
  }
}

// The nearest centre from screened distances: every centre whose lower bound reaches below the
// upper bound of the screened best is measured exactly (usually the best alone); lowest index on ties.
// `max_norm` bounds every centre's norm: Error and Drift grow with the norm, so a centre whose
// screened distance exceeds `upper` by the largest centre's margins is out without working out
// its own (one compare per centre; a row's bounds cost several multiplies each, most of this
// pass's time). The centres measured are the same. `Wide`: the AVX2 loops (same centres, same order).
template <bool Wide, class Exact>
__attribute__((always_inline)) inline Nearest Resolve(const double* approx, const double* norms, double max_norm, size_t count,
                                                      const RowBound& bound, Exact exact) {
  size_t best;
#if defined(__x86_64__)
  if constexpr (Wide) best = FirstMinimumAvx2(approx, count);
  else best = FirstMinimum(approx, count);
#else
  best = FirstMinimum(approx, count);
#endif
  double upper = std::sqrt(std::max(0.0, approx[best] + bound.Error(norms[best]))) + bound.Drift(norms[best]);
  const double widest = upper + bound.Drift(max_norm);
  const double outside = widest * widest + bound.Error(max_norm);  // infinite or NaN: no centre is out by it
  Nearest out;
  auto consider = [&](size_t c) {
    double reach = upper + bound.Drift(norms[c]);
    if (approx[c] - bound.Error(norms[c]) > reach * reach) return;  // its lower bound exceeds `upper`
    double d = exact(c);
    if (d < out.distance2) out = {static_cast<int32_t>(c), d};
  };
#if defined(__x86_64__)
  if constexpr (Wide) EachInsideAvx2(approx, count, outside, consider);
  else EachInside(approx, count, outside, consider);
#else
  EachInside(approx, count, outside, consider);
#endif
  return out;
}

// The centres as the screening passes need them, prepared once per call (model-sized work) into
// buffers reused from call to call.
struct Centers {
  const float* values = nullptr;
  size_t count = 0, dim = 0;
  // Dense rows: coordinates shifted to the centres' mean, where ‖x'‖ and ‖c'‖ are about the
  // data's spread rather than its offset, and the float32 GEMM's error shrinks with them.
  std::vector<float> origin, shifted;        // dim; count × dim
  std::vector<double> mean, shifted_norm2, shifted_norm;
  double max_shifted_norm = 0;               // NaN-free: infinite when a shifted coordinate overflowed
  // Sparse rows (shifting would densify them): each centre's norm, as a compensated sum.
  std::vector<CompensatedSum> norm2;
  std::vector<double> norm;
  double max_norm = kInfinity;  // of `norm`, once it is prepared (infinite: not known)

  void Set(const float* v, size_t n, size_t d) {
    values = v;
    count = n;
    dim = d;
  }
  const float* Row(size_t c) const { return values + c * dim; }

  // Grown, never shrunk: calls alternate between the model's k centres and the K streaming
  // ones, and a resize back up would zero-fill the difference on every batch.
  static void Grow(std::vector<float>& v, size_t n) {
    if (v.size() < n) v.resize(n);
  }

  void PrepareShifted() {
    max_shifted_norm = 0;  // the Centers are reused from call to call
    mean.assign(dim, 0.0);
    for (size_t c = 0; c < count; c++) for (size_t j = 0; j < dim; j++) mean[j] += Row(c)[j];
    origin.resize(dim);
    for (size_t j = 0; j < dim; j++) origin[j] = static_cast<float>(mean[j] / static_cast<double>(count));
    Grow(shifted, count * dim);
    shifted_norm2.assign(count, 0.0);
    shifted_norm.resize(count);
    for (size_t c = 0; c < count; c++) {
      for (size_t j = 0; j < dim; j++) {
        float v = Row(c)[j] - origin[j];
        shifted[c * dim + j] = v;
        shifted_norm2[c] += static_cast<double>(v) * v;
      }
      shifted_norm[c] = std::sqrt(shifted_norm2[c]);
      max_shifted_norm = std::max(max_shifted_norm, shifted_norm[c]);
    }
  }

  void PrepareNorm(size_t c) {
    norm2[c] = CompensatedSquaredNorm(Row(c), dim);
    norm[c] = std::sqrt(norm2[c].Value());
  }

  // Per centre, on the pool: each centre's sum runs in the same order whatever the threads.
  void PrepareNorms() {
    norm2.resize(count);
    norm.resize(count);
    ThreadPool::Shared().ParallelFor(count, 1, [&](size_t begin, size_t end) {
      for (size_t c = begin; c < end; c++) PrepareNorm(c);
    });
  }
};

// Σ v_j² in float64 over four running sums: one sum's chain of dependent adds took a quarter of
// the dense screening's time (any order is within the screening's γ bound).
__attribute__((always_inline)) inline double SquaredNorm(const float* v, size_t n) {
  double lane[4] = {0, 0, 0, 0};
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    for (size_t l = 0; l < 4; l++) lane[l] += static_cast<double>(v[j + l]) * v[j + l];
  }
  for (; j < n; j++) lane[j % 4] += static_cast<double>(v[j]) * v[j];
  return (lane[0] + lane[2]) + (lane[1] + lane[3]);
}

// ‖a − b‖² in float64 over four running sums (SquaredDistance), inlined where a caller is built
// for a wider ISA: a call from AVX code into this function's SSE build paid the transition on every row.
__attribute__((always_inline)) inline double SquaredDistanceInline(const float* a, const float* b, size_t dim) {
  double lane[4] = {0, 0, 0, 0};
  size_t j = 0;
  for (; j + 4 <= dim; j += 4) {
    for (size_t l = 0; l < 4; l++) {
      double d = static_cast<double>(a[j + l]) - b[j + l];
      lane[l] += d * d;
    }
  }
  for (; j < dim; j++) {
    double d = static_cast<double>(a[j]) - b[j];
    lane[j % 4] += d * d;
  }
  return (lane[0] + lane[2]) + (lane[1] + lane[3]);
}

// Per-thread buffers (grown, never shrunk: every element read is written first in the call).
struct Scratch {
  std::vector<float> rows, dots, dense_row;  // shifted rows and their dot products (dense screening); a row
  std::vector<double> approx;                // screened squared distances of one row
  void Reserve(size_t block, size_t gemm_dim, size_t gemm_count, size_t dim, size_t count) {
    Grow(rows, block * gemm_dim);
    Grow(dots, block * gemm_count);
    Grow(dense_row, dim);
    Grow(approx, count);
  }
  template <class V>
  static void Grow(V& v, size_t n) {
    if (v.size() < n) v.resize(n);
  }
};

void Store(const Nearest& n, size_t r, int32_t* nearest, double* distance2) {
  nearest[r] = n.index;
  distance2[r] = n.distance2;
}

// Every centre measured directly in float64 (lowest index on ties).
Nearest ExactNearest(const Centers& ce, const float* x) {
  Nearest best;
  for (size_t c = 0; c < ce.count; c++) {
    double d = SquaredDistance(x, ce.Row(c), ce.dim);
    if (d < best.distance2) best = {static_cast<int32_t>(c), d};
  }
  return best;
}

// The float32 GEMM's dot products and partial sums stay below ‖x'‖·‖c'‖·(1 + γ) (Cauchy–Schwarz),
// so below this product none overflows; above it (coordinates near 1e19 and beyond) a dot can be
// ±inf, the screened distances NaN or −inf, and the bounds of Resolve no longer hold, so such a
// row is measured exactly against every centre instead.
constexpr double kScreenableDot = 1e37;

// Dense rows [first, last): shift, screen with one float32 GEMM, resolve. The GEMM's dot of
// x'·c' is within γ_dim·‖x'‖‖c'‖ (Cauchy–Schwarz); the norms and the sum in float64 add
// (γ64_dim + 2u64)(‖x'‖ + ‖c'‖)²; x' and c' are x − o and c − o rounded to float32, so the
// distance between them is within u32·(‖x'‖ + ‖c'‖) of the true one.
template <bool Wide>
__attribute__((always_inline)) inline void AssignDenseBlockOn(const Centers& ce, const BatchView& p, size_t first, size_t last,
                                                              Scratch& s, int32_t* nearest, double* distance2) {
  const size_t dim = ce.dim, count = ce.count;
  for (size_t r = first; r < last; r++) {
    const float* x = p.values + r * dim;
    float* out = s.rows.data() + (r - first) * dim;
    for (size_t j = 0; j < dim; j++) out[j] = x[j] - ce.origin[j];
  }
  SelectedLinearAlgebraKernels().dense_linear_rows(s.rows.data(), ce.shifted.data(), nullptr, s.dots.data(), 0,
                                                   last - first, dim, count);
  const double gamma32 = Gamma(dim + 2, kUnit32), gamma64 = Gamma(dim + 4, kUnit64);
  for (size_t r = first; r < last; r++) {
    const double row_norm2 = SquaredNorm(s.rows.data() + (r - first) * dim, dim);
    RowBound bound;
    bound.row_norm = std::sqrt(row_norm2);
    const float* x = p.values + r * dim;
    // `!(… <= …)` also catches an infinite or NaN norm (a shifted coordinate that overflowed).
    if (!(bound.row_norm * ce.max_shifted_norm <= kScreenableDot)) {
      Store(ExactNearest(ce, x), r, nearest, distance2);
      continue;
    }
    bound.linear = 2.0 * gamma32 * bound.row_norm;
    bound.quadratic = gamma64 + 2.0 * kUnit64;
    bound.drift = 2.0 * kUnit32;
    const float* dots = s.dots.data() + (r - first) * count;
    for (size_t c = 0; c < count; c++) s.approx[c] = row_norm2 - 2.0 * dots[c] + ce.shifted_norm2[c];
    Store(Resolve<Wide>(s.approx.data(), ce.shifted_norm.data(), ce.max_shifted_norm, count, bound,
                        [&](size_t c) { return SquaredDistanceInline(x, ce.Row(c), dim); }),
          r, nearest, distance2);
  }
}

// The block's loops built for the baseline and for AVX2 (without FMA: no multiply-add is fused,
// so every value, and the nearest centre, is the baseline's bit for bit).
void AssignDenseBlockBaseline(const Centers& ce, const BatchView& p, size_t first, size_t last, Scratch& s, int32_t* nearest,
                              double* distance2) {
  AssignDenseBlockOn<false>(ce, p, first, last, s, nearest, distance2);
}
#if defined(__x86_64__)
__attribute__((target("avx2"))) void AssignDenseBlockAvx2(const Centers& ce, const BatchView& p, size_t first, size_t last,
                                                          Scratch& s, int32_t* nearest, double* distance2) {
  AssignDenseBlockOn<true>(ce, p, first, last, s, nearest, distance2);
}
#endif

void AssignDenseBlock(const Centers& ce, const BatchView& p, size_t first, size_t last, Scratch& s, int32_t* nearest,
                      double* distance2) {
#if defined(__x86_64__)
  if (SelectedIsa() != Isa::Baseline) return AssignDenseBlockAvx2(ce, p, first, last, s, nearest, distance2);
#endif
  AssignDenseBlockBaseline(ce, p, first, last, s, nearest, distance2);
}

// The sparse screening's dot products (centre-major, count × rows), from the batch's screened
// entries regrouped by feature. A centre's dots then read its values in ascending feature order
// (a forward stream the prefetcher follows) and add into the rows' sums, which stay in L1;
// gathering each row's features from a centre of ~10^5 floats instead missed cache on most
// entries (40% of sparse k-means). Each row's dot is still its terms summed from 0 in ascending
// feature order, as the row-major loop summed them: the same value to the bit.
using Entry = FeatureGroups::Entry;
struct SparseDots {
  std::vector<double> dots;             // count × rows
  const FeatureGroups* groups = nullptr;  // the batch's entries by feature
};

constexpr size_t kDotCentres = 8;  // centres a pass over the entries: a row's 8 sums fill one cache line

// The block's dots, out of the side-by-side sums (rows × kDotCentres) into centre-major rows.
void WriteDots(const double* sums, size_t c0, size_t n, size_t rows, SparseDots& d) {
  for (size_t l = 0; l < n; l++) {
    double* out = d.dots.data() + (c0 + l) * rows;
    for (size_t r = 0; r < rows; r++) out[r] = sums[r * kDotCentres + l];
  }
}

// The dots of n ≤ kDotCentres centres [c0, c0 + n), the grouped entries read once for all: each
// entry adds into its row's kDotCentres sums, side by side (`sums`, rows × kDotCentres), so an
// entry touches one cache line of sums instead of one per centre.
void SparseDotsBaseline(const Centers& ce, size_t c0, size_t n, size_t rows, SparseDots& d, double* sums) {
  const float* center[kDotCentres];
  for (size_t l = 0; l < kDotCentres; l++) center[l] = ce.Row(c0 + std::min(l, n - 1));  // spare lanes repeat the last
  std::fill(sums, sums + rows * kDotCentres, 0.0);
  for (const Entry& entry : d.groups->entries) {
    const double x = entry.value;
    double c[kDotCentres];
    for (size_t l = 0; l < kDotCentres; l++) c[l] = center[l][entry.feature];
    double* sum = sums + static_cast<size_t>(entry.row) * kDotCentres;
    for (size_t l = 0; l < kDotCentres; l++) sum[l] += x * c[l];
  }
  WriteDots(sums, c0, n, rows, d);
}

#if defined(__x86_64__)
// The AVX2 build (run for AVX-512 too): an entry's 8 values loaded one by one into a vector, the
// 8 lanes' products and adds as vector operations. The baseline loop compiled to a load, a
// convert, a multiply and an add per lane (37% fewer samples in this pass on the threads bench's
// sparse file). Each lane still adds x·c, exact in float64, into its sum in entry order: the
// baseline's bits. (A hardware gather, 8 or 16 lanes, was slower than the scalar loop on AMD EPYC;
// so were 16 lanes a pass of scalar loads.)
__attribute__((target("avx2"))) void SparseDotsAvx2(const Centers& ce, size_t c0, size_t n, size_t rows, SparseDots& d,
                                                    double* sums) {
  size_t offset[kDotCentres];
  for (size_t l = 0; l < kDotCentres; l++) offset[l] = std::min(l, n - 1) * ce.dim;  // spare lanes repeat the last
  const float* base = ce.Row(c0);
  std::fill(sums, sums + rows * kDotCentres, 0.0);
  for (const Entry& entry : d.groups->entries) {
    const float* at = base + entry.feature;
    const __m256 c = _mm256_setr_ps(at[offset[0]], at[offset[1]], at[offset[2]], at[offset[3]], at[offset[4]], at[offset[5]],
                                    at[offset[6]], at[offset[7]]);
    const __m256d x = _mm256_set1_pd(entry.value);
    double* sum = sums + static_cast<size_t>(entry.row) * kDotCentres;
    const __m256d low = _mm256_mul_pd(x, _mm256_cvtps_pd(_mm256_castps256_ps128(c)));
    const __m256d high = _mm256_mul_pd(x, _mm256_cvtps_pd(_mm256_extractf128_ps(c, 1)));
    _mm256_storeu_pd(sum, _mm256_add_pd(_mm256_loadu_pd(sum), low));
    _mm256_storeu_pd(sum + 4, _mm256_add_pd(_mm256_loadu_pd(sum + 4), high));
  }
  WriteDots(sums, c0, n, rows, d);
}
#endif

// A thread's side-by-side sums (grown, never shrunk).
struct DotSums {
  std::vector<double> values;
};

void SparseDotsOf(const Centers& ce, size_t c0, size_t n, size_t rows, SparseDots& d) {
  Reused<DotSums> reused;
  if (reused->values.size() < rows * kDotCentres) reused->values.resize(rows * kDotCentres);
  double* sums = reused->values.data();
#if defined(__x86_64__)
  if (SelectedIsa() != Isa::Baseline) return SparseDotsAvx2(ce, c0, n, rows, d, sums);
#endif
  SparseDotsBaseline(ce, c0, n, rows, d, sums);
}

void ComputeSparseDots(Centers& ce, const BatchView& p, const FeatureGroups& groups, SparseDots& d) {
  d.groups = &groups;
  if (d.dots.size() < ce.count * p.rows) d.dots.resize(ce.count * p.rows);
  ce.norm2.resize(ce.count);
  ce.norm.resize(ce.count);
  const size_t blocks = (ce.count + kDotCentres - 1) / kDotCentres;
  ThreadPool::Shared().ParallelFor(blocks, 1, [&](size_t begin, size_t end) {
    for (size_t block = begin; block < end; block++) {
      const size_t c0 = block * kDotCentres, n = std::min(kDotCentres, ce.count - c0);
      for (size_t c = c0; c < c0 + n; c++) ce.PrepareNorm(c);
      SparseDotsOf(ce, c0, n, p.rows, d);
    }
  });
  // A NaN norm (a centre whose squared norm overflowed) makes the bound infinite: nothing is screened out by it.
  ce.max_norm = 0;
  for (size_t c = 0; c < ce.count; c++) {
    if (!(ce.norm[c] <= ce.max_norm)) ce.max_norm = std::isnan(ce.norm[c]) ? kInfinity : ce.norm[c];
  }
}

// A sparse row: screen with float64 dot products (within γ64_nnz·‖x‖‖c‖, the norms and the sum
// within a few u64·(‖x‖ + ‖c‖)²), resolve with the compensated exact distance.
void AssignSparseRow(const Centers& ce, const BatchView& p, size_t r, const SparseDots& d, Scratch& s, int32_t* nearest,
                     double* distance2) {
  const size_t count = ce.count;
  double row_norm2 = 0;
  for (int32_t e = p.indptr[r]; e < p.indptr[r + 1]; e++) {
    const double x = p.values[e];
    row_norm2 += x * x;
  }
  for (size_t c = 0; c < count; c++) s.approx[c] = row_norm2 - 2.0 * d.dots[c * p.rows + r] + ce.norm2[c].Value();
  RowBound bound;
  bound.row_norm = std::sqrt(row_norm2);
  bound.quadratic = 2.0 * Gamma(static_cast<size_t>(p.indptr[r + 1] - p.indptr[r]) + 8, kUnit64);
  Store(Resolve<false>(s.approx.data(), ce.norm.data(), ce.max_norm, count, bound,
                [&](size_t c) { return SparseSquaredDistance(p, r, ce.Row(c), ce.norm2[c]); }),
        r, nearest, distance2);
}

// Row r measured exactly against every centre (`all`: its distances; null: none kept): the
// path of the all-distances output, and of sparse rows whose indices repeat or are unordered.
void AssignExactly(const Centers& ce, const BatchView& p, size_t r, Scratch& s, int32_t* nearest, double* distance2,
                   float* all) {
  const bool sorted = p.sparse && StrictlyIncreasing(p, r);
  const float* x = p.values + r * ce.dim;
  if (p.sparse && !sorted) {
    DenseRow(p, r, s.dense_row.data());
    x = s.dense_row.data();
  }
  Nearest best;
  for (size_t c = 0; c < ce.count; c++) {
    double d = sorted ? SparseSquaredDistance(p, r, ce.Row(c), ce.norm2[c]) : SquaredDistance(x, ce.Row(c), ce.dim);
    if (all) all[r * ce.count + c] = static_cast<float>(std::sqrt(d));
    if (d < best.distance2) best = {static_cast<int32_t>(c), d};
  }
  Store(best, r, nearest, distance2);
}

}  // namespace

// A counting sort over the features: O(dim + entries), which the centres' norm pass (count × dim
// per Assign) already exceeds.
void FeatureGroups::Build(const BatchView& p, size_t dim) {
  sorted.resize(p.rows);
  for (size_t r = 0; r < p.rows; r++) sorted[r] = StrictlyIncreasing(p, r);
  cursor.assign(dim + 1, 0);
  for (size_t r = 0; r < p.rows; r++) {
    if (!sorted[r]) continue;
    for (int32_t e = p.indptr[r]; e < p.indptr[r + 1]; e++) cursor[p.indices[e] + 1]++;
  }
  for (size_t j = 0; j < dim; j++) cursor[j + 1] += cursor[j];
  entries.resize(cursor[dim]);
  for (size_t r = 0; r < p.rows; r++) {
    if (!sorted[r]) continue;
    for (int32_t e = p.indptr[r]; e < p.indptr[r + 1]; e++) {
      entries[cursor[p.indices[e]]++] = {static_cast<uint32_t>(r), p.indices[e], p.values[e]};
    }
  }
}

void DenseRow(const BatchView& p, size_t r, float* out) {
  if (!p.sparse) {
    std::copy(p.values + r * p.cols, p.values + (r + 1) * p.cols, out);
    return;
  }
  std::fill(out, out + p.cols, 0.0f);
  for (int32_t e = p.indptr[r]; e < p.indptr[r + 1]; e++) out[p.indices[e]] += p.values[e];
}

size_t CountNonzeros(const float* center, size_t dim) {
  size_t count = 0;
  for (size_t j = 0; j < dim; j++) count += center[j] != 0.0f;
  return count;
}

bool RowEquals(const BatchView& p, size_t r, const float* center, float* scratch, size_t center_nonzeros) {
  const size_t dim = p.cols;
  if (!p.sparse) return std::equal(p.values + r * dim, p.values + (r + 1) * dim, center);
  if (!StrictlyIncreasing(p, r)) {
    DenseRow(p, r, scratch);
    return std::equal(scratch, scratch + dim, center);
  }
  // Equal at the row's entries, and the centre has no non-zero elsewhere: as many non-zeros as
  // the row's entries that are not 0. (Scanning the centre's zeros between entries cost a pass
  // over most of its features for every row and centre while seeding.)
  size_t row_nonzeros = 0;
  for (int32_t e = p.indptr[r]; e < p.indptr[r + 1]; e++) {
    if (center[p.indices[e]] != p.values[e]) return false;
    row_nonzeros += p.values[e] != 0.0f;
  }
  return row_nonzeros == center_nonzeros;
}

double SquaredDistance(const float* a, const float* b, size_t dim) { return SquaredDistanceInline(a, b, dim); }

void Assign(const BatchView& p, const float* centers, size_t count, size_t dim, int32_t* nearest, double* distance2,
            float* all, const FeatureGroups* groups) {
  if (p.rows == 0 || count == 0) return;
  Reused<Centers> reused;
  Centers& ce = *reused;
  ce.Set(centers, count, dim);
  Reused<SparseDots> sparse_dots;
  Reused<FeatureGroups> own_groups;
  if (p.sparse && all) ce.PrepareNorms();
  if (p.sparse && !all) {
    if (!groups) {
      own_groups->Build(p, dim);
      groups = &*own_groups;
    }
    ComputeSparseDots(ce, p, *groups, *sparse_dots);
  }
  if (!p.sparse && !all) ce.PrepareShifted();
  const bool screened_dense = !all && !p.sparse;
  const size_t block_rows = screened_dense ? std::max<size_t>(1, std::min(kBlock, kBlockFloats / std::max<size_t>(1, dim))) : kBlock;
  size_t blocks = (p.rows + block_rows - 1) / block_rows;
  ThreadPool::Shared().ParallelFor(blocks, 1, [&](size_t begin, size_t end) {
    Reused<Scratch> s;
    s->Reserve(std::min(block_rows, p.rows), screened_dense ? dim : 0, screened_dense ? count : 0, dim, count);
    for (size_t block = begin; block < end; block++) {
      size_t first = block * block_rows, last = std::min(p.rows, first + block_rows);
      if (screened_dense) {
        AssignDenseBlock(ce, p, first, last, *s, nearest, distance2);
        continue;
      }
      for (size_t r = first; r < last; r++) {
        if (all || !groups->sorted[r]) {
          AssignExactly(ce, p, r, *s, nearest, distance2, all);
        } else {
          AssignSparseRow(ce, p, r, *sparse_dots, *s, nearest, distance2);
        }
      }
    }
  });
}

}  // namespace kmeans
}  // namespace boundless
