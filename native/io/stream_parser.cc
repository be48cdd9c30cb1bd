#include "io/stream_parser.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace boundless {

const char* BadRecordName(BadRecord reason) {
  switch (reason) {
    case BadRecord::ColumnCount: return "column_count";
    case BadRecord::Number: return "unparsable_number";
    case BadRecord::NonFinite: return "non_finite";
    case BadRecord::IndexRange: return "index_out_of_range";
    case BadRecord::MissingLabel: return "missing_label";
    case BadRecord::TooLong: return "record_too_long";
    case BadRecord::TooManyFeatures: return "too_many_features";
    case BadRecord::Syntax: return "syntax";
    case BadRecord::Truncated: return "truncated";
    case BadRecord::Encoding: return "invalid_encoding";
    case BadRecord::LabelRange: return "label_out_of_range";
    case BadRecord::FeatureRange: return "feature_out_of_range";
    case BadRecord::BlankLine: return "blank_line";
    case BadRecord::kCount: break;
  }
  return "unknown";
}

namespace {

std::string Shortest(float value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", static_cast<double>(value));
  return text;
}

}  // namespace

bool LastRowInRange(const BatchTarget& target, size_t cols, const FeatureRange& range, std::string* detail, size_t first_index) {
  if (!range.checked || target.rows == 0) return true;
  const size_t row = target.rows - 1;
  auto outside = [&](float value, size_t column) {
    if (value >= range.min && value <= range.max) return false;
    *detail = "feature " + std::to_string(column + first_index) + " is " + Shortest(value) + ", outside [" + Shortest(range.min) + ", " +
              Shortest(range.max) + "] (the values this algorithm takes)";
    return true;
  };
  if (target.sparse) {
    for (size_t e = static_cast<size_t>(target.indptr[row]); e < target.nnz; e++) {
      if (outside(target.values[e], target.indices[e])) return false;
    }
  } else {
    for (size_t c = 0; c < cols; c++) {
      if (outside(target.values[row * cols + c], c)) return false;
    }
  }
  return true;
}

template <class Key>
bool RepeatsFinite(const Key* keys, const float* values, size_t count, size_t first_index, std::string* detail) {
  // The sum of every feature's values stays within the sum of all their magnitudes: below
  // float32's largest, nothing can overflow (every row but a handful of pathological ones).
  double magnitude = 0;
  for (size_t i = 0; i < count; ++i) magnitude += std::fabs(static_cast<double>(values[i]));
  if (magnitude <= FLT_MAX) return true;
  std::vector<std::pair<Key, size_t>> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = {keys[i], i};
  std::sort(order.begin(), order.end());  // by key, then by place in the row: the order the values add in
  for (size_t i = 0; i < count;) {
    float sum = 0;
    size_t j = i;
    for (; j < count && order[j].first == order[i].first; ++j) sum += values[order[j].second];
    if (!std::isfinite(sum)) {
      const std::string feature = "feature " + std::to_string(static_cast<unsigned long long>(order[i].first) + first_index);
      // Once only, a value can pass the range only as VW reads it: scaled by its namespace's weight (`|f:2 a:3e38`).
      *detail = j - i == 1 ? feature + "'s value times its namespace's scale is past float32's range (±3.4e38)"
                           : feature + " appears " + std::to_string(j - i) +
                                 " times and its values add up past float32's range (±3.4e38); repeated features add";
      return false;
    }
    i = j;
  }
  return true;
}

bool RepeatedFeaturesFinite(const uint32_t* keys, const float* values, size_t count, size_t first_index, std::string* detail) {
  return RepeatsFinite(keys, values, count, first_index, detail);
}

bool RepeatedFeaturesFinite(const uint64_t* keys, const float* values, size_t count, size_t first_index, std::string* detail) {
  return RepeatsFinite(keys, values, count, first_index, detail);
}

bool LabelInRange(float label, size_t classes, std::string* detail) {
  if (classes == 0 || (label >= 0 && label < static_cast<float>(classes) && label == std::floor(label))) return true;
  std::string text = std::to_string(label);
  text.erase(text.find_last_not_of('0') + 1);  // 2.000000 → 2.
  if (!text.empty() && text.back() == '.') text.pop_back();
  *detail = "label " + text + (classes == 2 ? " is not 0 or 1 (a binary classifier's labels)"
                                           : " is not a class in 0.." + std::to_string(classes - 1) + " (num_classes " + std::to_string(classes) + ")");
  // libsvm's and VW's −1/+1 classes are read as 0/1 from those formats; a file converted from them keeps −1.
  if (classes == 2 && label == -1.f) *detail += "; -1 is read as 0 from libsvm and VW files only (their -1/+1 classes): write 0 for -1";
  return false;
}

bool StoreRow(bool sparse, const float* values, const uint64_t* keys, size_t count, size_t feature_dim, float label,
              float weight, BatchTarget& t, BadRecord* reason, std::string* detail, bool* full) {
  if (sparse && !RepeatedFeaturesFinite(keys, values, count, 0, detail)) {
    *reason = BadRecord::NonFinite;
    return false;
  }
  if (t.sparse) {
    size_t nnz = t.nnz;
    for (size_t i = 0; i < count; ++i) {
      if (!sparse && values[i] == 0.f) continue;
      if (nnz >= t.nnz_capacity) {
        if (t.rows > 0) {
          *full = true;
        } else {
          *reason = BadRecord::TooManyFeatures;
          *detail = "more non-zeros than a whole batch holds (" + std::to_string(t.nnz_capacity) + ")";
        }
        return false;
      }
      t.indices[nnz] = static_cast<uint32_t>(sparse ? keys[i] : i);
      t.values[nnz] = values[i];
      ++nnz;
    }
    t.nnz = nnz;
  } else {
    float* row = t.values + t.rows * feature_dim;
    if (sparse) {
      std::memset(row, 0, feature_dim * sizeof(float));
      for (size_t i = 0; i < count; ++i) row[keys[i]] += values[i];
    } else {
      std::memcpy(row, values, feature_dim * sizeof(float));
    }
  }
  if (t.labels) t.labels[t.rows] = label;
  if (t.weights) t.weights[t.rows] = weight;
  ++t.rows;
  if (t.sparse) t.indptr[t.rows] = static_cast<int32_t>(t.nnz);
  return true;
}

}  // namespace boundless
