// The row kernels of the cuda backend (lib/backends/row-kernels.ts says what
// each computes): predictions of finalized models, one thread per row, dense
// or CSR batches, sums in float64 as on cpu, the flags of the WGSL versions in
// kernels/wgsl/ (all but the loop limit, which CUDA does not have).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace boundless_cuda {

enum class RowKernel { kKmeansAssign, kPcaProject, kLinearPredict, kFmPredict };

// A batch as the host holds it: dense values (rows × cols), or CSR.
struct HostRowBatch {
  uint32_t rows = 0, cols = 0, nnz = 0;
  bool sparse = false;
  const float* values = nullptr;     // dense: rows × cols; sparse: nnz
  const int32_t* indptr = nullptr;   // sparse: rows + 1
  const uint32_t* indices = nullptr; // sparse: nnz
};

struct HostArray {
  const void* data;
  size_t bytes;
};

struct RowCall {
  RowKernel kernel;
  HostRowBatch batch;
  std::vector<HostArray> model;  // copied one after another into one device buffer
  std::vector<uint32_t> params;  // the kernel's 32-bit parameters (f32 ones as their bits)
  uint32_t* output = nullptr;    // output_words words, written
  size_t output_words = 0;
  uint32_t flags[6];             // written: the lowest row that raised each flag, or 0xffffffff (row-kernels.ts)
};

// The number of 32-bit parameters each kernel takes (lib/backends/row-kernels.ts's plans).
size_t ParamCount(RowKernel kernel);

// Runs one call (device buffers kept from call to call, calls one at a time); "" or the CUDA error.
// The binding has checked the call's sizes against the kernel's parameters.
std::string RunRowKernel(RowCall& call);

}  // namespace boundless_cuda
