#include "pca/pca_sketch.cuh"

#include <algorithm>
#include <vector>

#include "pca/pca_row_sums.cuh"
#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {
namespace {

constexpr unsigned kThreads = 128;

unsigned Blocks(size_t n) { return static_cast<unsigned>(std::max<size_t>(1, (n + kThreads - 1) / kThreads)); }

__device__ size_t Index() { return static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; }

// t[r][c] = w_r · Σ_j (x_rj − o_j)·Ω[j][c], features in order: one thread per (r, c).
__global__ void Project(const float* x, const float* w, const double* origin, const double* omega, unsigned rows, unsigned dim, unsigned ell,
                        double* t) {
  const size_t at = Index();
  if (at >= static_cast<size_t>(rows) * ell) return;
  const size_t r = at / ell, c = at % ell;
  const float* row = x + r * dim;
  double sum = 0;
  for (unsigned j = 0; j < dim; j++) sum += (static_cast<double>(row[j]) - origin[j]) * omega[static_cast<size_t>(j) * ell + c];
  t[at] = static_cast<double>(w[r]) * sum;
}

// y[j][c] += Σ_r (x_rj − o_j)·t[r][c], rows in order: one thread per (j, c).
__global__ void Sketch(const float* x, const double* origin, const double* t, unsigned rows, unsigned dim, unsigned ell, double* y) {
  const size_t at = Index();
  if (at >= static_cast<size_t>(dim) * ell) return;
  const size_t j = at / ell, c = at % ell;
  double sum = 0;
  for (unsigned r = 0; r < rows; r++) sum += (static_cast<double>(x[static_cast<size_t>(r) * dim + j]) - origin[j]) * t[static_cast<size_t>(r) * ell + c];
  y[at] += sum;
}

std::string Check(const char* step, cudaError_t status) { return status == cudaSuccess ? "" : Describe(step, status); }

}  // namespace

std::string OpenPcaSketch(PcaSketchDevice& s, size_t dim, size_t ell, const double* omega, const double* origin) {
  std::lock_guard<std::mutex> lock(s.mutex);
  s.device = SelectedDevice().load();
  s.dim = dim;
  s.ell = ell;
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  if (error.empty()) error = Check("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&s.stream, cudaStreamNonBlocking));
  if (!error.empty()) return error;
  if (!Allocate(s.y, dim * ell) || !Allocate(s.sums, dim + 2) || !Allocate(s.omega, dim * ell) || !Allocate(s.origin, dim)) {
    return OutOfMemory("the sketch of " + std::to_string(dim) + " features × " + std::to_string(ell), (2 * dim * ell + 2 * dim + 2) * sizeof(double));
  }
  std::vector<double> zeros;
  if (origin == nullptr) zeros.assign(dim, 0.0);
  error = Check("cudaMemcpyAsync", CountedMemcpyAsync(s.omega, omega, dim * ell * sizeof(double), cudaMemcpyHostToDevice, s.stream));
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(s.origin, origin ? origin : zeros.data(), dim * sizeof(double), cudaMemcpyHostToDevice, s.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.y, 0, dim * ell * sizeof(double), s.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.sums, 0, (dim + 2) * sizeof(double), s.stream));
  // `zeros` lives on this stack.
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(s.stream));
  return error;
}

std::string AddPcaSketch(PcaSketchDevice& s, const float* values, const float* weights, size_t rows, uint64_t kept) {
  std::lock_guard<std::mutex> lock(s.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  if (!error.empty()) return error;
  const std::string what = "a batch of " + std::to_string(rows) + " rows × " + std::to_string(s.dim) + " features";
  // t: the rows' projections (rows × ell), then their squared norms (rows).
  error = GrowBuffer(s.stream, s.t, s.t_count, rows * (s.ell + 1), what);
  if (!error.empty()) return error;
  // The rows and their weights (1s where the batch has none): one transfer.
  std::vector<float> ones;
  if (weights == nullptr) ones.assign(rows, 1.0f);
  std::vector<const char*> at;
  error = s.upload.Send(s.stream, {{values, rows * s.dim * sizeof(float), true}, {weights ? weights : ones.data(), rows * sizeof(float), weights != nullptr}},
                        at, what, kept);
  if (!error.empty()) return error;
  const float* x = reinterpret_cast<const float*>(at[0]);
  const float* w = reinterpret_cast<const float*>(at[1]);
  const unsigned n = static_cast<unsigned>(rows), d = static_cast<unsigned>(s.dim), l = static_cast<unsigned>(s.ell);
  BOUNDLESS_LAUNCH(Project, Blocks(rows * s.ell), kThreads, 0, s.stream)(x, w, s.origin, s.omega, n, d, l, s.t);
  BOUNDLESS_LAUNCH(Sketch, Blocks(s.dim * s.ell), kThreads, 0, s.stream)(x, s.origin, s.t, n, d, l, s.y);
  LaunchRowSums(s.stream, x, w, s.origin, n, d, s.t + rows * s.ell, s.sums);
  return Check("kernel launch", cudaGetLastError());
}

std::string ReadPcaSketch(PcaSketchDevice& s, double* count, double* sum, double* squares, double* y) {
  std::lock_guard<std::mutex> lock(s.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(s.device));
  const size_t d = s.dim, l = s.ell;
  std::vector<double> held_y(d * l), held_sums(d + 2);
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(held_y.data(), s.y, d * l * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(held_sums.data(), s.sums, (d + 2) * sizeof(double), cudaMemcpyDeviceToHost, s.stream));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(s.stream));
  if (!error.empty()) return error;
  for (size_t i = 0; i < d * l; i++) y[i] += held_y[i];
  for (size_t j = 0; j < d; j++) sum[j] += held_sums[j];
  *count += held_sums[d];
  *squares += held_sums[d + 1];
  error = Check("cudaMemsetAsync", cudaMemsetAsync(s.y, 0, d * l * sizeof(double), s.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(s.sums, 0, (d + 2) * sizeof(double), s.stream));
  return error;
}

void ClosePcaSketch(PcaSketchDevice& s) {
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.device < 0) return;
  cudaSetDevice(s.device);
  if (s.stream) CountedStreamSynchronize(s.stream);
  for (void* p : {static_cast<void*>(s.y), static_cast<void*>(s.sums), static_cast<void*>(s.omega), static_cast<void*>(s.origin),
                  static_cast<void*>(s.t)}) {
    if (p) cudaFree(p);
  }
  if (s.stream) cudaStreamDestroy(s.stream);
  s.stream = nullptr;
  s.y = s.sums = s.omega = s.origin = s.t = nullptr;
  s.t_count = 0;
  s.upload.Free();
  s.device = -1;
}

}  // namespace boundless_cuda
