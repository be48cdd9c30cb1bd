#include "linear_learner/ll_rows_arg.h"

#include <cmath>
#include <string>

namespace boundless_cuda {

std::string CheckLinearRows(const LinearSettings& s, const LinearRows& b) {
  std::string error = CheckCsr(b, s.dim);
  if (!error.empty() || s.loss != 2) return error;  // 2: softmax
  for (size_t r = 0; r < b.rows; r++) {
    const float y = b.labels[r];
    if (!(y >= 0 && y < static_cast<float>(s.classes) && y == std::floor(y))) return "row " + std::to_string(r) + ": label is not a class";
  }
  return "";
}

}  // namespace boundless_cuda
