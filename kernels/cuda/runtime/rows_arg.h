// A batch's rows as the device-state bindings take them: labels, weights (or null), values, and
// for CSR rows indptr and indices (null for dense rows), then the row count; lengths checked at
// once (HostRowsArg), the CSR structure on the worker thread (CheckCsr), before a device reads them.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/host_rows.h"

namespace boundless_cuda {

// info[first .. first + 4] as the batch's arrays, info[rows_at] as its rows.
HostRows HostRowsArg(const Napi::CallbackInfo& info, const char* fn, size_t first, size_t rows_at, uint32_t dim);

// Feature rows without labels: info[first] values, info[first + 1] indptr (null for dense rows),
// info[first + 2] indices, for `rows` rows of `dim` features; `name` in messages (user, items).
HostRows FeatureRowsArg(const Napi::CallbackInfo& info, const char* fn, size_t first, size_t rows, uint32_t dim, const std::string& name);

// "" or what is wrong with a CSR batch's indptr or indices (an index past dim); "" for dense rows.
std::string CheckCsr(const HostRows& b, uint32_t dim);

}  // namespace boundless_cuda
