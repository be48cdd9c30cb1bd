// A batch's rows as the host holds them, for the device-state kernels (no N-API here: .cu files
// include it). runtime/rows_arg.h reads one from a binding's arguments.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless_cuda {

struct HostRows {
  size_t rows = 0, nnz = 0;
  bool sparse = false;
  const float* labels = nullptr;
  const float* weights = nullptr;   // null: every row weighs 1
  const float* values = nullptr;    // dense rows × dim, or nnz
  const int32_t* indptr = nullptr;  // rows + 1
  const uint32_t* indices = nullptr;
  uint64_t kept = 0;  // the epoch cache's id of the batch, whose arrays may stay on the device (resident_batches.cuh); 0: none
};

}  // namespace boundless_cuda
