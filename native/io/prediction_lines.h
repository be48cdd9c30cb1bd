// `boundless predict`'s output: one JSON object per row, each named output a
// number or, for several values per row, an array — the bytes
// JSON.stringify wrote for each row before this was native (a float32 is
// written as the double it is, NaN and the infinities as null).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace boundless {

struct PredictionOutput {
  enum class Type { kFloat32, kFloat64, kInt32, kUint32 };
  std::string key;    // the name as JSON, quotes included: "\"score\""
  Type type = Type::kFloat32;
  const void* values = nullptr;  // rows × width, row-major
  size_t width = 1;              // 1 writes a number, any other width an array
  bool vector = false;           // an array whatever the width (PCA's projection at one component)
};

// An upper bound on the bytes of the first `rows` lines, O(outputs).
size_t PredictionLinesBound(const std::vector<PredictionOutput>& outputs, size_t rows);

// Writes `rows` lines at out (which holds at least PredictionLinesBound(outputs, rows) bytes),
// blocks of rows on the thread pool; returns the bytes written.
size_t EncodePredictionLines(const std::vector<PredictionOutput>& outputs, size_t rows, uint8_t* out);

}  // namespace boundless
