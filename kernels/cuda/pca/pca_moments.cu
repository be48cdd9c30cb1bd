#include "pca/pca_moments.cuh"

#include <vector>

#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"
#include "runtime/pinned_upload.cuh"

namespace boundless_cuda {
namespace {

constexpr int kTile = 16;   // a block computes a 16 × 16 tile of the lower triangle
constexpr int kStage = 32;  // rows staged in shared memory at a time

// Block b → tile (bi, bj), bj ≤ bi, with b = bi(bi + 1)/2 + bj.
__device__ void TileOf(int b, int& bi, int& bj) {
  int i = static_cast<int>((sqrt(8.0 * b + 1.0) - 1.0) / 2.0);
  while (i * (i + 1) / 2 > b) i--;
  while ((i + 1) * (i + 2) / 2 <= b) i++;
  bi = i;
  bj = b - i * (i + 1) / 2;
}

// cross[i][j] += Σ_r w_r(x_ri − o_i)·(x_rj − o_j) for the block's tile, j ≤ i: each thread one
// entry, its rows in order (deterministic). Rows are staged kStage at a time in shared memory.
__global__ void CrossKernel(const float* x, const float* w, const double* origin, int rows, int dim, double* cross) {
  __shared__ double a[kStage][kTile];  // w·(x − o) of the tile's i columns
  __shared__ double b[kStage][kTile];  // (x − o) of its j columns
  int bi, bj;
  TileOf(blockIdx.x, bi, bj);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int i = bi * kTile + ty, j = bj * kTile + tx;
  double acc = 0;
  for (int r0 = 0; r0 < rows; r0 += kStage) {
    for (int rr = ty; rr < kStage; rr += kTile) {
      const int r = r0 + rr;
      const int ci = bi * kTile + tx, cj = bj * kTile + tx;
      const bool in = r < rows;
      a[rr][tx] = in && ci < dim ? static_cast<double>(w[r]) * (static_cast<double>(x[static_cast<size_t>(r) * dim + ci]) - origin[ci]) : 0.0;
      b[rr][tx] = in && cj < dim ? static_cast<double>(x[static_cast<size_t>(r) * dim + cj]) - origin[cj] : 0.0;
    }
    __syncthreads();
    for (int rr = 0; rr < kStage; rr++) acc += a[rr][ty] * b[rr][tx];
    __syncthreads();
  }
  if (i < dim && j <= i) cross[static_cast<size_t>(i) * dim + j] += acc;
}

// sums[j] += Σ_r w_r·x_rj for j < dim; sums[dim] += Σ_r w_r. One thread each, rows in order.
__global__ void SumsKernel(const float* x, const float* w, int rows, int dim, double* sums) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j > dim) return;
  double acc = 0;
  for (int r = 0; r < rows; r++) acc += static_cast<double>(w[r]) * (j < dim ? static_cast<double>(x[static_cast<size_t>(r) * dim + j]) : 1.0);
  sums[j] += acc;
}

std::string Check(const char* step, cudaError_t status) {
  return status == cudaSuccess ? "" : Describe(step, status);
}

}  // namespace

std::string OpenPcaMoments(PcaMomentsDevice& m, size_t dim) {
  std::lock_guard<std::mutex> lock(m.mutex);
  m.device = SelectedDevice().load();
  m.dim = dim;
  std::string error = Check("cudaSetDevice", cudaSetDevice(m.device));
  if (error.empty()) error = Check("cudaStreamCreateWithFlags", cudaStreamCreateWithFlags(&m.stream, cudaStreamNonBlocking));
  const size_t cross_bytes = dim * dim * sizeof(double);
  if (error.empty() && cudaMalloc(&m.cross, cross_bytes) != cudaSuccess) error = "cudaMalloc";
  if (error.empty() && cudaMalloc(&m.sums, (dim + 1) * sizeof(double)) != cudaSuccess) error = "cudaMalloc";
  if (error == "cudaMalloc") {
    cudaGetLastError();
    size_t free_bytes = 0, total_bytes = 0;
    cudaMemGetInfo(&free_bytes, &total_bytes);
    error = "out of device memory: the moments of " + std::to_string(dim) + " features need " + std::to_string(cross_bytes) +
            " bytes; the device has " + std::to_string(free_bytes) + " free of " + std::to_string(total_bytes);
  }
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(m.cross, 0, cross_bytes, m.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(m.sums, 0, (dim + 1) * sizeof(double), m.stream));
  return error;
}

std::string AddPcaMoments(PcaMomentsDevice& m, const float* values, const float* weights, const double* origin, size_t rows,
                          uint64_t kept) {
  std::lock_guard<std::mutex> lock(m.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(m.device));
  if (!error.empty()) return error;
  // The rows, their weights (1s where the batch has none) and the origin (0s without): one transfer.
  std::vector<float> ones;
  if (weights == nullptr) ones.assign(rows, 1.0f);
  std::vector<const char*> at;
  error = m.upload.Send(m.stream, {{values, rows * m.dim * sizeof(float), true}, {weights ? weights : ones.data(), rows * sizeof(float), weights != nullptr},
                                   {origin, m.dim * sizeof(double)}},
                        at, "a batch of " + std::to_string(rows) + " rows × " + std::to_string(m.dim) + " features", kept);
  if (!error.empty()) return error;
  const float* x = reinterpret_cast<const float*>(at[0]);
  const float* w = reinterpret_cast<const float*>(at[1]);
  const double* o = reinterpret_cast<const double*>(at[2]);
  const int tiles_per_side = static_cast<int>((m.dim + kTile - 1) / kTile);
  BOUNDLESS_LAUNCH(CrossKernel, tiles_per_side * (tiles_per_side + 1) / 2, dim3(kTile, kTile), 0, m.stream)(
      x, w, o, static_cast<int>(rows), static_cast<int>(m.dim), m.cross);
  BOUNDLESS_LAUNCH(SumsKernel, static_cast<unsigned>((m.dim + 1 + 127) / 128), 128, 0, m.stream)(x, w, static_cast<int>(rows), static_cast<int>(m.dim), m.sums);
  return Check("kernel launch", cudaGetLastError());
}

std::string ReadPcaMoments(PcaMomentsDevice& m, double* count, double* sum, double* cross) {
  std::lock_guard<std::mutex> lock(m.mutex);
  std::string error = Check("cudaSetDevice", cudaSetDevice(m.device));
  const size_t d = m.dim;
  std::vector<double> held_cross(d * d), held_sums(d + 1);
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(held_cross.data(), m.cross, d * d * sizeof(double), cudaMemcpyDeviceToHost, m.stream));
  if (error.empty()) error = Check("cudaMemcpyAsync", CountedMemcpyAsync(held_sums.data(), m.sums, (d + 1) * sizeof(double), cudaMemcpyDeviceToHost, m.stream));
  if (error.empty()) error = Check("cudaStreamSynchronize", CountedStreamSynchronize(m.stream));
  if (!error.empty()) return error;
  for (size_t i = 0; i < d; i++) for (size_t j = 0; j <= i; j++) cross[i * d + j] += held_cross[i * d + j];
  for (size_t j = 0; j < d; j++) sum[j] += held_sums[j];
  *count += held_sums[d];
  error = Check("cudaMemsetAsync", cudaMemsetAsync(m.cross, 0, d * d * sizeof(double), m.stream));
  if (error.empty()) error = Check("cudaMemsetAsync", cudaMemsetAsync(m.sums, 0, (d + 1) * sizeof(double), m.stream));
  return error;
}

void ClosePcaMoments(PcaMomentsDevice& m) {
  std::lock_guard<std::mutex> lock(m.mutex);
  if (m.device < 0) return;
  cudaSetDevice(m.device);
  if (m.stream) CountedStreamSynchronize(m.stream);
  m.upload.Free();
  for (void* buffer : {static_cast<void*>(m.cross), static_cast<void*>(m.sums)}) {
    if (buffer) cudaFree(buffer);
  }
  if (m.stream) cudaStreamDestroy(m.stream);
  m.stream = nullptr;
  m.cross = m.sums = nullptr;
  m.device = -1;
}

}  // namespace boundless_cuda
