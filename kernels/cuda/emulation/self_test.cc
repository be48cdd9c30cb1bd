// emulationSelfTest(): what the CPU emulation must get right for the kernels'
// tests to mean anything, checked through the emulated addon only (addon.cc
// exports it when BOUNDLESS_CUDA_EMULATION is defined): a block's barrier and
// shared memory, warp shuffles, and the errors a GPU gives for a host pointer
// in a kernel or copy, a launch past the limits and memory past the budget.
#include <cuda_runtime.h>
#include <napi.h>

#include <string>

#include "runtime/launch.cuh"

namespace boundless_cuda_emulation {
namespace {

// out[block] = Σ in[block·n .. block·n + n) by a shared-memory tree (n = blockDim.x, a power of two),
// reversed through shared memory first, so a missing barrier reads values not yet written.
__global__ void BlockSum(const double* in, double* out) {
  __shared__ double partial[256];
  const unsigned t = threadIdx.x, n = blockDim.x;
  partial[n - 1 - t] = in[blockIdx.x * n + t];
  __syncthreads();
  for (unsigned half = n / 2; half > 0; half /= 2) {
    const double mine = partial[t];
    const double other = t < half ? partial[t + half] : 0.0;
    __syncthreads();
    if (t < half) partial[t] = mine + other;
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = partial[0];
}

// out[warp] = Σ of its 32 lanes' values, by __shfl_down_sync.
__global__ void WarpSum(const float* in, float* out) {
  const unsigned t = blockIdx.x * blockDim.x + threadIdx.x;
  float v = in[t];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  if (threadIdx.x % 32 == 0) out[t / 32] = v;
}

__global__ void Touch(float* out) { out[threadIdx.x] = 1.f; }

std::string Error(cudaError_t status) { return cudaGetErrorName(status); }

Napi::Value SelfTest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  constexpr unsigned kBlocks = 3, kThreads = 256;
  double host_in[kBlocks * kThreads], host_out[kBlocks];
  for (unsigned i = 0; i < kBlocks * kThreads; i++) host_in[i] = i + 1;
  double *in = nullptr, *out = nullptr;
  cudaMalloc(&in, sizeof host_in);
  cudaMalloc(&out, sizeof host_out);
  cudaMemcpy(in, host_in, sizeof host_in, cudaMemcpyHostToDevice);
  BOUNDLESS_LAUNCH(BlockSum, kBlocks, kThreads, 0, 0)(in, out);
  result.Set("launch", Error(cudaGetLastError()));
  cudaMemcpy(host_out, out, sizeof host_out, cudaMemcpyDeviceToHost);
  Napi::Array sums = Napi::Array::New(env, kBlocks);
  for (unsigned b = 0; b < kBlocks; b++) sums.Set(b, host_out[b]);
  result.Set("blockSums", sums);

  float lanes[64], warps[2];
  for (int i = 0; i < 64; i++) lanes[i] = static_cast<float>(i);
  float *device_lanes = nullptr, *device_warps = nullptr;
  cudaMalloc(&device_lanes, sizeof lanes);
  cudaMalloc(&device_warps, sizeof warps);
  cudaMemcpy(device_lanes, lanes, sizeof lanes, cudaMemcpyHostToDevice);
  BOUNDLESS_LAUNCH(WarpSum, 1, 64, 0, 0)(device_lanes, device_warps);
  cudaMemcpy(warps, device_warps, sizeof warps, cudaMemcpyDeviceToHost);
  result.Set("warpSums", [&] {
    Napi::Array a = Napi::Array::New(env, 2);
    a.Set(0u, warps[0]);
    a.Set(1u, warps[1]);
    return a;
  }());

  float host_floats[4];
  BOUNDLESS_LAUNCH(Touch, 1, 4, 0, 0)(host_floats);
  result.Set("hostPointerInKernel", Error(cudaGetLastError()));
  BOUNDLESS_LAUNCH(Touch, 1, 2048, 0, 0)(device_warps);
  result.Set("blockOf2048", Error(cudaGetLastError()));
  result.Set("copyIntoHostAsDevice", Error(cudaMemcpy(host_floats, lanes, sizeof host_floats, cudaMemcpyHostToDevice)));
  cudaGetLastError();
  size_t free_bytes = 0, total_bytes = 0;
  cudaMemGetInfo(&free_bytes, &total_bytes);
  void* too_much = nullptr;
  result.Set("pastBudget", Error(cudaMalloc(&too_much, free_bytes + 1)));
  cudaGetLastError();
  for (void* p : {static_cast<void*>(in), static_cast<void*>(out), static_cast<void*>(device_lanes), static_cast<void*>(device_warps)}) cudaFree(p);
  return result;
}

}  // namespace

void InitSelfTest(Napi::Env env, Napi::Object exports) {
  exports.Set("emulationSelfTest", Napi::Function::New(env, SelfTest, "emulationSelfTest"));
}

}  // namespace boundless_cuda_emulation
