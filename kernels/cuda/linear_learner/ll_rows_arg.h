// A linear-learner batch's rows (runtime/rows_arg.h), and the check the linear learner's kernels
// add on the worker thread: a multiclass label must be a class (its scores are indexed by it).
#pragma once

#include <string>

#include "linear_learner/ll_settings.cuh"
#include "runtime/rows_arg.h"

namespace boundless_cuda {

// "" or what is wrong: a CSR batch's indptr or an index past dim, a multiclass label that is not a class.
std::string CheckLinearRows(const LinearSettings& s, const LinearRows& b);

}  // namespace boundless_cuda
