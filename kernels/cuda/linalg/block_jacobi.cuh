// Eigendecomposition of a small real symmetric matrix by one thread block, in
// float64, for Frequent Directions' shrink (pca/pca_frequent_directions.cu),
// which needs one every ℓ + 1 rows and must not wait on the host for it.
//
// Cyclic Jacobi in the parallel (round-robin) order: each round rotates n/2
// disjoint index pairs at once, so the rounds' row and column updates touch
// disjoint entries and need no atomics; a sweep is n − 1 rounds and visits
// every pair once. Each rotation zeroes its pair (Rutishauser's stable form of
// the angle, as in Golub & Van Loan §8.5), and entries already below
// 2^-53·‖A‖_F are left alone: a sweep that rotates nothing ends the iteration.
// Convergence is quadratic after the first sweeps; kMaxSweeps is far past what
// any matrix needs, and a failure is reported, not hidden. Fixed order
// throughout, so two runs give the same bits. Jacobi's eigenvalues carry a
// relative error of a few ulps of ‖A‖ (the QR solver cpu uses does as well),
// so the two agree within rounding.
#pragma once

#include <cuda_runtime.h>

#include <cmath>

namespace boundless_cuda {

constexpr unsigned kJacobiThreads = 256;
constexpr unsigned kJacobiMaxSweeps = 60;

// The round-robin ("circle") schedule of `players` (even) indices: in round r, pair k.
__device__ inline void JacobiPair(unsigned round, unsigned k, unsigned players, unsigned& p, unsigned& q) {
  const unsigned last = players - 1;
  if (k == 0) {
    p = round;
    q = last;
  } else {
    p = (round + k) % last;
    q = (round + last - k) % last;
  }
  if (p > q) {
    const unsigned t = p;
    p = q;
    q = t;
  }
}

// Σ over this block's threads of `value`, in a fixed tree order (kJacobiThreads a power of two).
__device__ inline double JacobiBlockSum(double value, double* scratch) {
  scratch[threadIdx.x] = value;
  __syncthreads();
  for (unsigned width = kJacobiThreads / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) scratch[threadIdx.x] += scratch[threadIdx.x + width];
    __syncthreads();
  }
  const double total = scratch[0];
  __syncthreads();
  return total;
}

// a: n × n symmetric, row-major (both triangles), overwritten: its diagonal ends as the eigenvalues.
// v: n × n, set to the eigenvectors as columns (v[r·n + i] is entry r of the vector of a[i·n + i]).
// rotations: n + 1 doubles of scratch. Every thread of a block of kJacobiThreads must call it.
// Returns false if kJacobiMaxSweeps sweeps did not converge.
__device__ inline bool BlockJacobi(double* a, double* v, unsigned n, double* rotations) {
  __shared__ double scratch[kJacobiThreads];
  __shared__ int rotated;
  double frobenius = 0;
  for (unsigned at = threadIdx.x; at < n * n; at += blockDim.x) {
    v[at] = at / n == at % n ? 1.0 : 0.0;
    frobenius += a[at] * a[at];
  }
  const double threshold = sqrt(JacobiBlockSum(frobenius, scratch)) * 1.1102230246251565e-16;  // 2^-53
  const unsigned players = n + (n & 1u), half = players / 2;
  double* cosines = rotations;
  double* sines = rotations + half;
  for (unsigned sweep = 0; sweep < kJacobiMaxSweeps; sweep++) {
    if (threadIdx.x == 0) rotated = 0;
    __syncthreads();
    for (unsigned round = 0; round + 1 < players; round++) {
      for (unsigned k = threadIdx.x; k < half; k += blockDim.x) {
        unsigned p, q;
        JacobiPair(round, k, players, p, q);
        double c = 1, s = 0;
        const double apq = q < n ? a[p * n + q] : 0.0;
        if (fabs(apq) > threshold) {
          const double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
          const double t = fabs(theta) > 1e150 ? 0.5 / theta : (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
          c = 1 / sqrt(t * t + 1);
          s = t * c;
          rotated = 1;
        }
        cosines[k] = c;
        sines[k] = s;
      }
      __syncthreads();
      // Rows p and q of A ← Pᵀ·A (P: c on the pair's diagonal, s at (p, q), −s at (q, p)).
      for (unsigned item = threadIdx.x; item < half * n; item += blockDim.x) {
        const unsigned k = item / n, j = item % n;
        if (sines[k] == 0) continue;
        unsigned p, q;
        JacobiPair(round, k, players, p, q);
        const double c = cosines[k], s = sines[k], ap = a[p * n + j], aq = a[q * n + j];
        a[p * n + j] = c * ap - s * aq;
        a[q * n + j] = s * ap + c * aq;
      }
      __syncthreads();
      // Columns p and q of A ← A·P, and of V ← V·P.
      for (unsigned item = threadIdx.x; item < half * n; item += blockDim.x) {
        const unsigned k = item / n, j = item % n;
        if (sines[k] == 0) continue;
        unsigned p, q;
        JacobiPair(round, k, players, p, q);
        const double c = cosines[k], s = sines[k];
        const double ap = a[j * n + p], aq = a[j * n + q];
        a[j * n + p] = c * ap - s * aq;
        a[j * n + q] = s * ap + c * aq;
        const double vp = v[j * n + p], vq = v[j * n + q];
        v[j * n + p] = c * vp - s * vq;
        v[j * n + q] = s * vp + c * vq;
      }
      __syncthreads();
      // The rotation zeroed (p, q) up to rounding: make it exact, so converged sweeps rotate nothing.
      for (unsigned k = threadIdx.x; k < half; k += blockDim.x) {
        if (sines[k] == 0) continue;
        unsigned p, q;
        JacobiPair(round, k, players, p, q);
        a[p * n + q] = 0;
        a[q * n + p] = 0;
      }
      __syncthreads();
    }
    const bool done = rotated == 0;
    __syncthreads();  // every thread has read `rotated` before thread 0 clears it
    if (done) return true;
  }
  return false;
}

}  // namespace boundless_cuda
