// A linear-learner batch as the bindings take it: labels, weights (or null), values, and for CSR
// rows indptr and indices (null for dense rows), then the row count; lengths checked at once, the
// CSR structure and a multiclass batch's labels on the worker thread (CheckLinearRows).
#pragma once

#include <napi.h>

#include <string>

#include "linear_learner/ll_settings.cuh"

namespace boundless_cuda {

// info[first .. first + 4] as the batch's arrays, info[rows_at] as its rows.
LinearRows LinearRowsArg(const Napi::CallbackInfo& info, const char* fn, size_t first, size_t rows_at, uint32_t dim);

// "" or what is wrong: a CSR batch's indptr or an index past dim, a multiclass label that is not a class.
std::string CheckLinearRows(const LinearSettings& s, const LinearRows& b);

}  // namespace boundless_cuda
