// BOUNDLESS_LAUNCH(Kernel, grid, block, shared_bytes, stream)(arguments...): a
// kernel launch, written so that the CPU emulation (emulation/cuda_runtime.h,
// built with g++ for the tests) can run the same source; with nvcc it is the
// triple-chevron launch.
#pragma once

#include <cuda_runtime.h>

#ifndef BOUNDLESS_CUDA_EMULATION
#define BOUNDLESS_LAUNCH(kernel, grid, block, shared, stream) kernel<<<grid, block, shared, stream>>>
#endif
