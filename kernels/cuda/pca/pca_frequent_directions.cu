#include "pca/pca_frequent_directions.cuh"

#include <algorithm>
#include <vector>

#include "linalg/block_jacobi.cuh"
#include "pca/pca_row_sums.cuh"
#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;

unsigned Blocks(size_t n) { return static_cast<unsigned>(std::max<size_t>(1, (n + kThreads - 1) / kThreads)); }

__device__ size_t Index() { return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

// b[i][j] = √w_i·(x_ij − o_j) for the `count` rows placed at the buffer's row `first`: cpu's row, in its arithmetic.
__global__ void Append(const float* x, const float* w, const double* origin, unsigned count, unsigned dim, double* b) {
  const size_t at = Index();
  if (at >= static_cast<size_t>(count) * dim) return;
  const size_t i = at / dim, j = at % dim;
  b[at] = sqrt(static_cast<double>(w[i])) * (static_cast<double>(x[at]) - origin[j]);
}

// gram[i][k] = Σ_t b[i][t]·b[k][t], features in order: one thread per entry (both triangles, the same bits).
__global__ void Gram(const double* b, unsigned m, unsigned dim, double* gram) {
  const size_t at = Index();
  if (at >= static_cast<size_t>(m) * m) return;
  const double* bi = b + (at / m) * dim;
  const double* bk = b + (at % m) * dim;
  double sum = 0;
  for (unsigned t = 0; t < dim; t++) sum += bi[t] * bk[t];
  gram[at] = sum;
}

// One block: G = U Λ Uᵀ, then c[i][r] = √((λᵢ − δ)/λᵢ)·uᵢ[r] for the `keep` largest λᵢ (0 where λᵢ ≤ δ), δ = max(λ_keep, 0),
// or δ = 0 when `exact` (ℓ ≥ d: the buffer re-factored into its d directions, as cpu's Shrink).
__global__ void ShrinkCoefficients(double* gram, double* vectors, double* rotations, int* order, unsigned m, unsigned keep, bool exact, double* c, int* failed) {
  const bool converged = BlockJacobi(gram, vectors, m, rotations);
  __shared__ double delta;
  if (threadIdx.x == 0) {
    if (!converged) *failed += 1;
    // Largest first, ties by index (insertion sort: m is 2ℓ).
    for (unsigned i = 0; i < m; i++) {
      unsigned at = i;
      while (at > 0 && gram[order[at - 1] * (m + 1)] < gram[i * (m + 1)]) {
        order[at] = order[at - 1];
        at--;
      }
      order[at] = static_cast<int>(i);
    }
    delta = exact ? 0.0 : fmax(0.0, gram[order[keep] * (m + 1)]);
  }
  __syncthreads();
  for (unsigned at = threadIdx.x; at < keep * m; at += blockDim.x) {
    const unsigned i = at / m, r = at % m;
    const int column = order[i];
    const double lambda = gram[column * (m + 1)];
    c[at] = lambda > delta ? sqrt((lambda - delta) / lambda) * vectors[static_cast<size_t>(r) * m + column] : 0.0;
  }
}

// shrunk[i][t] = Σ_r c[i][r]·b[r][t], r in order: one thread per entry.
__global__ void Combine(const double* c, const double* b, unsigned m, unsigned keep, unsigned dim, double* shrunk) {
  const size_t at = Index();
  if (at >= static_cast<size_t>(keep) * dim) return;
  const size_t i = at / dim, t = at % dim;
  double sum = 0;
  for (unsigned r = 0; r < m; r++) sum += c[i * m + r] * b[static_cast<size_t>(r) * dim + t];
  shrunk[at] = sum;
}

// The buffer becomes the shrunk rows, then zeros.
__global__ void Place(const double* shrunk, unsigned m, unsigned keep, unsigned dim, double* b) {
  const size_t at = Index();
  if (at >= static_cast<size_t>(m) * dim) return;
  b[at] = at < static_cast<size_t>(keep) * dim ? shrunk[at] : 0.0;
}

std::string Check(const char* step, cudaError_t status) { return status == cudaSuccess ? "" : Describe(step, status); }

// Rows a shrink keeps: ℓ − 1, or d when ℓ ≥ d (the exact re-factoring; cpu's Shrink says why).
size_t KeptRows(size_t filled, size_t ell, size_t dim) { return ell >= dim ? std::min(filled, dim) : std::min(filled, ell) - 1; }

// Shrinks the full buffer (2ℓ rows) to ℓ − 1 (d when ℓ ≥ d), all enqueued on the sketch's stream.
void Shrink(PcaFrequentDirectionsDevice& s) {
  const unsigned m = static_cast<unsigned>(s.filled), keep = static_cast<unsigned>(KeptRows(s.filled, s.ell, s.dim)), d = static_cast<unsigned>(s.dim);
  const bool exact = s.ell >= s.dim;
  BOUNDLESS_LAUNCH(Gram, Blocks(static_cast<size_t>(m) * m), kThreads, 0, s.stream)(s.rows, m, d, s.gram);
  BOUNDLESS_LAUNCH(ShrinkCoefficients, 1, kJacobiThreads, 0, s.stream)(s.gram, s.vectors, s.rotations, s.order, m, keep, exact, s.coefficients, s.failed);
  if (keep > 0) BOUNDLESS_LAUNCH(Combine, Blocks(static_cast<size_t>(keep) * d), kThreads, 0, s.stream)(s.coefficients, s.rows, m, keep, d, s.shrunk);
  BOUNDLESS_LAUNCH(Place, Blocks(static_cast<size_t>(m) * d), kThreads, 0, s.stream)(s.shrunk, m, keep, d, s.rows);
  s.filled = keep;
}

}  // namespace

std::string OpenPcaFrequentDirections(PcaFrequentDirectionsDevice& s, size_t dim, size_t ell, const double* rows, size_t filled, const double* origin) {
  std::lock_guard<std::mutex> lock(s.mutex);
  s.device = SelectedDevice().load();
  s.dim = dim;
  s.ell = ell;
  s.filled = filled;
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  if (error.empty()) error = Check("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  if (!error.empty()) return error;
  const size_t m = 2 * ell, keep = KeptRows(m, ell, dim);
  if (!Allocate(s.rows, m * dim) || !Allocate(s.sums, dim + 2) || !Allocate(s.origin, dim) || !Allocate(s.gram, m * m) || !Allocate(s.vectors, m * m) ||
      !Allocate(s.rotations, m + 1) || !Allocate(s.coefficients, keep * m) || !Allocate(s.shrunk, keep * dim) || !Allocate(s.order, m) ||
      !Allocate(s.failed, 1)) {
    const size_t doubles = m * dim + 2 * dim + 2 + 2 * m * m + m + 1 + keep * (m + dim);
    return OutOfMemory("the Frequent Directions sketch of " + std::to_string(dim) + " features × 2·" + std::to_string(ell) + " rows",
                       doubles * sizeof(double) + (m + 1) * sizeof(int));
  }
  std::vector<double> zeros;
  if (origin == nullptr) zeros.assign(dim, 0.0);
  error = Check("cudaMemcpyAsync", CountedMemcpyAsync(s.rows, rows, m * dim * sizeof(double), cudaMemcpyHostToDevice, s.stream));
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(s.origin, origin ? origin : zeros.data(), dim * sizeof(double), cudaMemcpyHostToDevice, s.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.sums, 0, (dim + 2) * sizeof(double), s.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.failed, 0, sizeof(int), s.stream));
  // `zeros` lives on this stack.
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(s.stream));
  return error;
}

std::string AddPcaFrequentDirections(PcaFrequentDirectionsDevice& s, const float* values, const float* weights, size_t rows, uint64_t kept) {
  std::lock_guard<std::mutex> lock(s.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  if (!error.empty()) return error;
  const std::string what = "a batch of " + std::to_string(rows) + " rows × " + std::to_string(s.dim) + " features";
  error = GrowBuffer(s.stream, s.norms, s.norms_count, rows, what);
  if (!error.empty()) return error;
  std::vector<float> ones;
  if (weights == nullptr) ones.assign(rows, 1.0f);
  std::vector<const char*> at;
  error = s.upload.Send(s.stream, {{values, rows * s.dim * sizeof(float), true}, {weights ? weights : ones.data(), rows * sizeof(float), weights != nullptr}},
                        at, what, kept);
  if (!error.empty()) return error;
  const float* x = reinterpret_cast<const float*>(at[0]);
  const float* w = reinterpret_cast<const float*>(at[1]);
  const unsigned d = static_cast<unsigned>(s.dim);
  LaunchRowSums(s.stream, x, w, s.origin, static_cast<unsigned>(rows), d, s.norms, s.sums);
  // cpu's schedule: a row that finds the buffer full (2ℓ rows) shrinks it first.
  for (size_t first = 0; first < rows;) {
    if (s.filled == 2 * s.ell) Shrink(s);
    const size_t count = std::min(rows - first, 2 * s.ell - s.filled);
    BOUNDLESS_LAUNCH(Append, Blocks(count * s.dim), kThreads, 0, s.stream)(x + first * s.dim, w + first, s.origin, static_cast<unsigned>(count), d,
                                                                            s.rows + s.filled * s.dim);
    s.filled += count;
    first += count;
  }
  return Check("kernel launch", cudaGetLastError());
}

std::string ReadPcaFrequentDirections(PcaFrequentDirectionsDevice& s, double* count, double* sum, double* squares, double* rows, double* filled) {
  std::lock_guard<std::mutex> lock(s.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  const size_t d = s.dim, m = 2 * s.ell;
  std::vector<double> held_rows(m * d), held_sums(d + 2);
  int failed = 0;
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(held_rows.data(), s.rows, m * d * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(held_sums.data(), s.sums, (d + 2) * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(&failed, s.failed, sizeof(int), cudaMemcpyDeviceToHost, s.stream));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(s.stream));
  if (!error.empty()) return error;
  // Not expected ever (Jacobi converges quadratically): a sketch built on a wrong eigenbasis is not handed over.
  if (failed > 0) return "the eigensolver of " + std::to_string(failed) + " Frequent Directions shrink(s) did not converge in " + std::to_string(kJacobiMaxSweeps) + " sweeps";
  std::copy(held_rows.begin(), held_rows.end(), rows);
  *filled = static_cast<double>(s.filled);
  for (size_t j = 0; j < d; j++) sum[j] += held_sums[j];
  *count += held_sums[d];
  *squares += held_sums[d + 1];
  return Check("cudaMemsetAsync", cudaMemsetAsync(s.sums, 0, (d + 2) * sizeof(double), s.stream));
}

void ClosePcaFrequentDirections(PcaFrequentDirectionsDevice& s) {
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.device < 0) return;
  cudaSetDevice(s.device);
  if (s.stream) CountedStreamSynchronize(s.stream);
  FreeAll(s.rows, s.sums, s.origin, s.gram, s.vectors, s.rotations, s.coefficients, s.shrunk, s.norms);
  FreeAll(s.order, s.failed);
  if (s.stream) cudaStreamDestroy(s.stream);
  s.stream = nullptr;
  s.norms_count = 0;
  s.upload.Free();
  s.device = -1;
}

}  // namespace boundless_cuda
