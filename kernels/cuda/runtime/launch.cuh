// BOUNDLESS_LAUNCH(Kernel, grid, block, shared_bytes, stream)(arguments...): a
// kernel launch, counted (runtime/traffic.cuh), written so that the CPU
// emulation (emulation/cuda_runtime.h, built with g++ for the tests) can run
// the same source; with nvcc it is the triple-chevron launch.
#pragma once

#include <cuda_runtime.h>

#include "runtime/traffic.cuh"

#ifdef BOUNDLESS_CUDA_EMULATION
#define BOUNDLESS_LAUNCH(kernel, grid, block, shared, stream) \
  ::boundless_cuda::CountLaunch(), ::boundless_cuda_emulation::Launch(kernel, dim3(grid), dim3(block))
#else
#define BOUNDLESS_LAUNCH(kernel, grid, block, shared, stream) ::boundless_cuda::CountLaunch(), kernel<<<grid, block, shared, stream>>>
#endif
