#include "linalg/dense_linear.cuh"

#include "runtime/device_arena.cuh"
#include "runtime/launch.cuh"

#include <cuda_runtime.h>

namespace boundless_cuda {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr int kWarpSize = 32;

// One warp per output element: lanes read consecutive columns (coalesced),
// then a shuffle tree adds the 32 partial sums.
__global__ void DenseLinearKernel(const float* __restrict__ x, const float* __restrict__ w,
                                  const float* __restrict__ bias, float* __restrict__ out,
                                  size_t rows, size_t cols, size_t models) {
  size_t warp = (static_cast<size_t>(blockIdx.x) * kWarpsPerBlock) + threadIdx.x / kWarpSize;
  int lane = threadIdx.x % kWarpSize;
  if (warp >= rows * models) return;
  size_t r = warp / models;
  size_t m = warp % models;
  const float* row = x + r * cols;
  const float* weights = w + m * cols;
  float sum = 0.f;
  for (size_t c = lane; c < cols; c += kWarpSize) sum = fmaf(row[c], weights[c], sum);
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    sum += __shfl_down_sync(0xffffffffu, sum, offset);
  }
  if (lane == 0) out[warp] = sum + (bias != nullptr ? bias[m] : 0.f);
}

// x, w, bias, out: kept from call to call (runtime/device_arena.cuh).
DeviceArena<4> arena;

}  // namespace

std::string DenseLinear(const float* x, const float* w, const float* bias, float* out,
                        size_t rows, size_t cols, size_t models) {
  size_t outputs = rows * models;
  if (outputs == 0) return "";
  std::lock_guard<std::mutex> lock(arena.mutex);
  std::string error = arena.UseSelectedDevice();
  if (error.empty()) error = arena.Reserve(0, rows * cols * sizeof(float) + 4, "x");
  if (error.empty()) error = arena.Reserve(1, models * cols * sizeof(float) + 4, "w");
  if (error.empty()) error = arena.Reserve(2, models * sizeof(float) + 4, "bias");
  if (error.empty()) error = arena.Reserve(3, outputs * sizeof(float), "out");
  if (!error.empty()) return error;
  float *dx = arena.As<float>(0), *dw = arena.As<float>(1), *db = bias != nullptr ? arena.As<float>(2) : nullptr, *dout = arena.As<float>(3);
  cudaError_t status;
  if (bias != nullptr && (status = CountedMemcpy(db, bias, models * sizeof(float), cudaMemcpyHostToDevice)) != cudaSuccess) return Describe("copy bias", status);
  if ((status = CountedMemcpy(dx, x, rows * cols * sizeof(float), cudaMemcpyHostToDevice)) != cudaSuccess) return Describe("copy x", status);
  if ((status = CountedMemcpy(dw, w, models * cols * sizeof(float), cudaMemcpyHostToDevice)) != cudaSuccess) return Describe("copy w", status);
  size_t blocks = (outputs + kWarpsPerBlock - 1) / kWarpsPerBlock;
  if (blocks > 0x7fffffffu) return "denseLinear: too many outputs for one launch";
  BOUNDLESS_LAUNCH(DenseLinearKernel, static_cast<unsigned>(blocks), kWarpsPerBlock * kWarpSize, 0, 0)(dx, dw, db, dout, rows, cols, models);
  if ((status = cudaGetLastError()) != cudaSuccess) return Describe("launch", status);
  if ((status = CountedMemcpy(out, dout, outputs * sizeof(float), cudaMemcpyDeviceToHost)) != cudaSuccess) return Describe("copy out", status);
  return "";
}

}  // namespace boundless_cuda
