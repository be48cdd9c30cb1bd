// Prediction lines: {"name":value,...}\n per row, outputs in the order given.
#include "io/prediction_lines.h"

#include <cstring>

#include "io/block_encoder.h"
#include "io/number_text.h"

namespace boundless {
namespace {

double ValueAt(const PredictionOutput& output, size_t i) {
  switch (output.type) {
    case PredictionOutput::Type::kFloat32: return static_cast<const float*>(output.values)[i];
    case PredictionOutput::Type::kFloat64: return static_cast<const double*>(output.values)[i];
    case PredictionOutput::Type::kInt32: return static_cast<const int32_t*>(output.values)[i];
    case PredictionOutput::Type::kUint32: return static_cast<const uint32_t*>(output.values)[i];
  }
  return 0;
}

char* Line(const std::vector<PredictionOutput>& outputs, size_t r, char* at) {
  *at++ = '{';
  for (size_t o = 0; o < outputs.size(); ++o) {
    const PredictionOutput& output = outputs[o];
    if (o > 0) *at++ = ',';
    std::memcpy(at, output.key.data(), output.key.size());
    at += output.key.size();
    *at++ = ':';
    if (output.width == 1 && !output.vector) {
      at = WriteJsonNumber(at, ValueAt(output, r));
      continue;
    }
    *at++ = '[';
    for (size_t i = 0; i < output.width; ++i) {
      if (i > 0) *at++ = ',';
      at = WriteJsonNumber(at, ValueAt(output, r * output.width + i));
    }
    *at++ = ']';
  }
  *at++ = '}';
  *at++ = '\n';
  return at;
}

size_t LineBound(const std::vector<PredictionOutput>& outputs) {
  size_t bound = 3;  // braces and newline
  for (const PredictionOutput& output : outputs) bound += output.key.size() + 4 + output.width * (kMaxNumberText + 1);
  return bound;
}

}  // namespace

size_t PredictionLinesBound(const std::vector<PredictionOutput>& outputs, size_t rows) { return rows * LineBound(outputs); }

size_t EncodePredictionLines(const std::vector<PredictionOutput>& outputs, size_t rows, uint8_t* out) {
  const size_t line = LineBound(outputs);
  return EncodeInBlocks(rows, RowsPerBlock(line), [&](size_t r) { return r * line; },
                        [&](size_t r, char* at) { return Line(outputs, r, at); }, out);
}

}  // namespace boundless
