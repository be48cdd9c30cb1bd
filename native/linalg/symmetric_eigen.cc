#include "linalg/symmetric_eigen.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

#include "linalg/linear_algebra.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace {

// Reduces the symmetric matrix in `a` (n × n, row-major, full) to tridiagonal
// form T = Qᵀ A Q with Q = H₀ H₁ ⋯ H_{n−3}, Householder reflections Hₖ = I − 2vₖvₖᵀ;
// returns the diagonal in `diag`, the subdiagonal in `off` (off[i] = T[i+1][i])
// and the reflectors, vₖ in row k of `reflectors` (zero where Hₖ = I).
void Tridiagonalize(std::vector<double>& a, size_t n, std::vector<double>& diag, std::vector<double>& off,
                    std::vector<double>& reflectors) {
  reflectors.assign(n * n, 0.0);
  std::vector<double> p(n);
  for (size_t k = 0; k + 2 < n; k++) {
    // The reflection maps x = A[k+1.., k] onto alpha·e1.
    double norm = 0;
    for (size_t i = k + 1; i < n; i++) norm += a[i * n + k] * a[i * n + k];
    norm = std::sqrt(norm);
    if (norm == 0) continue;
    double x0 = a[(k + 1) * n + k];
    double alpha = x0 > 0 ? -norm : norm;
    double* v = reflectors.data() + k * n;
    for (size_t i = k + 1; i < n; i++) v[i] = a[i * n + k];
    v[k + 1] -= alpha;
    double vnorm = 0;
    for (size_t i = k + 1; i < n; i++) vnorm += v[i] * v[i];
    vnorm = std::sqrt(vnorm);
    if (vnorm == 0) {
      std::fill(v, v + n, 0.0);
      continue;
    }
    for (size_t i = k + 1; i < n; i++) v[i] /= vnorm;
    // A ← H A H on the trailing block, H = I − 2vvᵀ: with p = A v and w = p − (vᵀp) v,
    // A ← A − 2 v wᵀ − 2 w vᵀ.
    // Rows split across threads when the trailing block is large (each row's sums keep one order).
    const size_t grain = n - k > 192 ? 32 : n;
    ThreadPool::Shared().ParallelFor(n - k - 1, grain, [&](size_t begin, size_t end) {
      for (size_t i = k + 1 + begin; i < k + 1 + end; i++) p[i] = PipelinedDot(&a[i * n + k + 1], &v[k + 1], n - k - 1);
    });
    double vp = 0;
    for (size_t i = k + 1; i < n; i++) vp += v[i] * p[i];
    for (size_t i = k + 1; i < n; i++) p[i] -= vp * v[i];
    ThreadPool::Shared().ParallelFor(n - k - 1, grain, [&](size_t begin, size_t end) {
      for (size_t i = k + 1 + begin; i < k + 1 + end; i++) {
        for (size_t j = k + 1; j < n; j++) a[i * n + j] -= 2 * (v[i] * p[j] + p[i] * v[j]);
      }
    });
    a[(k + 1) * n + k] = alpha;
    a[k * n + k + 1] = alpha;
    for (size_t i = k + 2; i < n; i++) a[i * n + k] = a[k * n + i] = 0.0;
  }
  diag.resize(n);
  off.assign(n, 0.0);
  for (size_t i = 0; i < n; i++) diag[i] = a[i * n + i];
  for (size_t i = 0; i + 1 < n; i++) off[i] = a[(i + 1) * n + i];
}

// x ← Q x = H₀ (H₁ (⋯ H_{n−3} x)).
void ApplyReflectors(const std::vector<double>& reflectors, size_t n, double* x) {
  for (size_t k = n < 3 ? 0 : n - 2; k-- > 0;) {
    const double* v = reflectors.data() + k * n;
    double dot = PipelinedDot(v + k + 1, x + k + 1, n - k - 1);
    if (dot == 0) continue;
    for (size_t i = k + 1; i < n; i++) x[i] -= 2 * dot * v[i];
  }
}

// √(x² + z²): the plain formula where the squares can neither overflow nor underflow
// (std::hypot's care costs a tenth of the whole QR phase on small matrices).
inline double Norm2(double x, double z) {
  double big = std::max(std::fabs(x), std::fabs(z));
  if (big > 1e-150 && big < 1e150) return std::sqrt(x * x + z * z);
  return std::hypot(x, z);
}

// One plane rotation of the QR phase: rows (k, k+1) of the accumulated Qᵀ become
// [c s; −s c] times themselves.
struct Rotation {
  size_t k;
  double c, s;
};

// The implicit symmetric QR algorithm with Wilkinson shifts on the tridiagonal
// (d, e): d ends as the eigenvalues (unsorted); `rotate` sees every rotation in
// order. Returns the number of QR steps.
template <typename Rotate>
size_t ImplicitQr(std::vector<double>& d, std::vector<double>& e, size_t n, Rotate rotate) {
  const double eps = std::numeric_limits<double>::epsilon();
  size_t steps = 0;
  const size_t limit = 60 * n + 100;
  for (;;) {
    // Deflate negligible subdiagonal entries, then find the lowest unreduced block [l, m].
    for (size_t i = 0; i + 1 < n; i++) {
      if (std::fabs(e[i]) <= eps * (std::fabs(d[i]) + std::fabs(d[i + 1]))) e[i] = 0.0;
    }
    size_t m = n - 1;
    while (m > 0 && e[m - 1] == 0.0) m--;
    if (m == 0) return steps;
    size_t l = m - 1;
    while (l > 0 && e[l - 1] != 0.0) l--;
    if (++steps > limit) throw std::runtime_error("symmetric eigensolver did not converge");
    // Wilkinson shift: the eigenvalue of the trailing 2 × 2 block nearer its last entry.
    double delta = (d[m - 1] - d[m]) / 2;
    double b2 = e[m - 1] * e[m - 1];
    double shift = d[m] - b2 / (delta + (delta >= 0 ? 1 : -1) * std::sqrt(delta * delta + b2));
    double x = d[l] - shift;
    double z = e[l];
    for (size_t k = l; k < m; k++) {
      // The rotation in the plane (k, k+1) that zeroes z against x.
      double r = Norm2(x, z);
      double c = r == 0 ? 1 : x / r;
      double s = r == 0 ? 0 : z / r;
      if (k > l) e[k - 1] = r;
      double ak = d[k], ak1 = d[k + 1], bk = e[k];
      d[k] = c * c * ak + 2 * c * s * bk + s * s * ak1;
      d[k + 1] = s * s * ak - 2 * c * s * bk + c * c * ak1;
      e[k] = c * s * (ak1 - ak) + (c * c - s * s) * bk;
      if (k + 1 < m) {
        // The rotation pushes a bulge below the subdiagonal; the next one chases it down.
        z = s * e[k + 1];
        e[k + 1] *= c;
        x = e[k];
      }
      rotate(Rotation{k, c, s});
    }
  }
}

}  // namespace

SymmetricEigen DecomposeSymmetric(const double* matrix, size_t n, size_t count) {
  SymmetricEigen result;
  if (n == 0) return result;
  count = std::min(count, n);
  std::vector<double> a(n * n);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = matrix[i * n + j];
  }
  std::vector<double> d, e, reflectors;
  Tridiagonalize(a, n, d, e, reflectors);
  std::vector<double> qt;       // all vectors: Qᵀ, rotated in place (rows are contiguous)
  std::vector<Rotation> trail;  // some vectors: the rotations, replayed per vector at the end
  if (count == n) {
    qt.assign(n * n, 0.0);
    for (size_t i = 0; i < n; i++) {
      qt[i * n + i] = 1.0;
      ApplyReflectors(reflectors, n, qt.data() + i * n);  // row i = Q eᵢ, column i of Q
    }
    result.sweeps = ImplicitQr(d, e, n, [&](const Rotation& g) {
      double* rk = qt.data() + g.k * n;
      double* rk1 = rk + n;
      for (size_t i = 0; i < n; i++) {
        double qk = rk[i], qk1 = rk1[i];
        rk[i] = g.c * qk + g.s * qk1;
        rk1[i] = -g.s * qk + g.c * qk1;
      }
    });
  } else {
    result.sweeps = ImplicitQr(d, e, n, [&](const Rotation& g) { trail.push_back(g); });
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return d[i] > d[j]; });
  result.values.resize(n);
  for (size_t j = 0; j < n; j++) result.values[j] = d[order[j]];
  result.vectors.assign(count * n, 0.0);
  if (count == n) {
    for (size_t j = 0; j < n; j++) std::copy(qt.begin() + order[j] * n, qt.begin() + (order[j] + 1) * n, result.vectors.begin() + j * n);
    return result;
  }
  // Row p of Rₙ⋯R₁ for each wanted p: start from e_p and apply the rotations' transposes,
  // newest first, to all wanted vectors at once — W is n × count, so a rotation updates two
  // contiguous rows of W (vectorized across the vectors, no chain of dependent steps).
  std::vector<double> w(n * count, 0.0);
  for (size_t j = 0; j < count; j++) w[order[j] * count + j] = 1.0;
  for (size_t t = trail.size(); t-- > 0;) {
    const Rotation& g = trail[t];
    double* rk = w.data() + g.k * count;
    double* rk1 = rk + count;
    for (size_t j = 0; j < count; j++) {
      double wk = rk[j], wk1 = rk1[j];
      rk[j] = g.c * wk - g.s * wk1;
      rk1[j] = g.s * wk + g.c * wk1;
    }
  }
  // Then from the tridiagonal's basis to A's with Q.
  for (size_t j = 0; j < count; j++) {
    double* out = result.vectors.data() + j * n;
    for (size_t i = 0; i < n; i++) out[i] = w[i * count + j];
    ApplyReflectors(reflectors, n, out);
  }
  return result;
}

}  // namespace boundless
