#include "io/json_record.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "io/json_reader.h"
#include "io/number_parsing.h"
#include "runtime/thread_buffer.h"

namespace boundless {
namespace {

// A JSON number into *out, with the reason when it is not a finite float32.
bool ReadNumber(JsonReader& json, const std::string& what, float* out, BadRecord* reason, std::string* detail) {
  if (json.Literal("null")) {
    *reason = BadRecord::NonFinite;
    *detail = what + " is null";
    return false;
  }
  if (json.Peek('"')) {
    *reason = BadRecord::Number;
    *detail = what + " is a string, expected a number";
    return false;
  }
  const char *a, *b;
  if (!json.NumberToken(&a, &b)) {
    *reason = BadRecord::Syntax;
    *detail = what + " is not a number";
    return false;
  }
  NumberStatus status = ParseFloat32(a, b, out);
  if (status == NumberStatus::Ok) return true;
  *reason = status == NumberStatus::NonFinite ? BadRecord::NonFinite : BadRecord::Number;
  *detail = what + " '" + std::string(a, static_cast<size_t>(b - a)) + "' is not a finite float32";
  return false;
}

bool ReadNumberArray(JsonReader& json, const std::string& what, std::vector<float>* out, BadRecord* reason,
                     std::string* detail) {
  if (!json.Eat('[')) {
    *reason = BadRecord::Syntax;
    *detail = what + " is not an array";
    return false;
  }
  if (json.Eat(']')) return true;
  do {
    float value;
    if (!ReadNumber(json, what + "[" + std::to_string(out->size()) + "]", &value, reason, detail)) return false;
    out->push_back(value);
  } while (json.Eat(','));
  if (!json.Eat(']')) {
    *reason = BadRecord::Syntax;
    *detail = what + " is not a closed array of numbers";
    return false;
  }
  return true;
}

bool ReadKeyArray(JsonReader& json, std::vector<uint64_t>* out, BadRecord* reason, std::string* detail) {
  if (!json.Eat('[')) {
    *reason = BadRecord::Syntax;
    *detail = "features.keys is not an array";
    return false;
  }
  if (json.Eat(']')) return true;
  do {
    const char *a, *b;
    uint64_t key;
    if (!json.NumberToken(&a, &b) || !ParseIndex(a, b, &key)) {
      *reason = BadRecord::IndexRange;
      *detail = "features.keys[" + std::to_string(out->size()) + "] is not a non-negative integer";
      return false;
    }
    out->push_back(key);
  } while (json.Eat(','));
  if (!json.Eat(']')) {
    *reason = BadRecord::Syntax;
    *detail = "features.keys is not a closed array of integers";
    return false;
  }
  return true;
}

std::string ShapeText(const std::vector<float>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); i++) {
    char number[32];
    std::snprintf(number, sizeof number, "%.9g", static_cast<double>(shape[i]));
    out += (i > 0 ? "," : "") + std::string(number);
  }
  return out + "]";
}

}  // namespace

bool ParseJsonRecord(const char* begin, const char* end, size_t dim, bool labels_required,
                     BatchTarget& t, BadRecord* reason, std::string* detail, bool* full) {
  std::vector<float>& values = ThreadBuffer<std::vector<float>, struct JsonValues>();
  std::vector<uint64_t>& keys = ThreadBuffer<std::vector<uint64_t>, struct JsonKeys>();
  std::vector<float>& shape = ThreadBuffer<std::vector<float>, struct JsonShape>();
  values.clear();
  keys.clear();
  shape.clear();
  JsonReader json(begin, end);
  bool bad_utf8 = false;
  bool has_features = false, sparse_input = false, has_label = false, has_weight = false;
  float label = 0.f, weight = 1.f;
  // A key given twice is refused: the arrays of two "features" were read as one row joined, and a
  // second "label" silently won (JSON leaves duplicate names' meaning to the reader).
  auto repeated = [&](const char* name) {
    *reason = BadRecord::Syntax;
    *detail = std::string("\"") + name + "\" appears twice in the record";
    return false;
  };
  auto syntax = [&](const char* why) {
    *reason = bad_utf8 ? BadRecord::Encoding : BadRecord::Syntax;
    *detail = bad_utf8 ? "invalid UTF-8 in a JSON string" : why;
    return false;
  };
  if (!json.Eat('{')) return syntax("not a JSON object");
  if (!json.Eat('}')) {
    do {
      const char *key_begin, *key_end;
      if (!json.String(&key_begin, &key_end, &bad_utf8) || !json.Eat(':')) return syntax("malformed JSON object");
      if (JsonKeyIs(key_begin, key_end, "features")) {
        if (has_features) return repeated("features");
        has_features = true;
        if (json.Peek('[')) {
          if (!ReadNumberArray(json, "features", &values, reason, detail)) return false;
        } else if (json.Eat('{')) {
          sparse_input = true;
          int seen_keys = 0, seen_values = 0, seen_shape = 0;
          if (!json.Eat('}')) {
            do {
              const char *k0, *k1;
              if (!json.String(&k0, &k1, &bad_utf8) || !json.Eat(':')) return syntax("malformed features object");
              if (JsonKeyIs(k0, k1, "keys")) {
                if (seen_keys++) return repeated("features.keys");
                if (!ReadKeyArray(json, &keys, reason, detail)) return false;
              } else if (JsonKeyIs(k0, k1, "values")) {
                if (seen_values++) return repeated("features.values");
                if (!ReadNumberArray(json, "features.values", &values, reason, detail)) return false;
              } else if (JsonKeyIs(k0, k1, "shape")) {
                if (seen_shape++) return repeated("features.shape");
                if (!ReadNumberArray(json, "features.shape", &shape, reason, detail)) return false;
              } else if (!json.SkipValue(1, &bad_utf8)) {
                return syntax("malformed JSON value");
              }
            } while (json.Eat(','));
            if (!json.Eat('}')) return syntax("malformed features object");
          }
        } else {
          *reason = BadRecord::Syntax;
          *detail = "features is neither an array nor {keys, values, shape}";
          return false;
        }
      } else if (JsonKeyIs(key_begin, key_end, "label")) {
        if (has_label) return repeated("label");
        if (json.Eat('[')) {
          if (!ReadNumber(json, "label", &label, reason, detail)) return false;
          if (!json.Eat(']')) {
            *reason = BadRecord::Syntax;
            *detail = "label array must hold one number";
            return false;
          }
        } else if (!ReadNumber(json, "label", &label, reason, detail)) {
          return false;
        }
        has_label = true;
      } else if (JsonKeyIs(key_begin, key_end, "weight")) {
        if (has_weight) return repeated("weight");
        has_weight = true;
        if (!ReadNumber(json, "weight", &weight, reason, detail)) return false;
        if (weight < 0) {
          *reason = BadRecord::Number;
          *detail = "weight is negative";
          return false;
        }
      } else if (!json.SkipValue(1, &bad_utf8)) {
        return syntax("malformed JSON value");
      }
    } while (json.Eat(','));
    if (!json.Eat('}')) return syntax("malformed JSON object (expected ',' or '}')");
  }
  if (!json.AtEnd()) return syntax("text after the JSON object");
  if (!has_features) {
    *reason = BadRecord::Syntax;
    *detail = "no \"features\"";
    return false;
  }
  if (labels_required && !has_label) {
    *reason = BadRecord::MissingLabel;
    *detail = "no \"label\" (labels are expected: --label-size 0 if the records have none)";
    return false;
  }
  if (sparse_input) {
    if (keys.size() != values.size()) {
      *reason = BadRecord::Syntax;
      *detail = "features has " + std::to_string(keys.size()) + " keys but " + std::to_string(values.size()) + " values";
      return false;
    }
    // A shape says how many features the record has: it must be feature_dim, or the record was
    // written for another dimension (keys that happen to be in range would be read as these features).
    if (!shape.empty() && (shape.size() != 1 || shape[0] != static_cast<float>(dim))) {
      *reason = BadRecord::ColumnCount;
      *detail = "features.shape is " + ShapeText(shape) + ", expected [" + std::to_string(dim) + "] (feature_dim)";
      return false;
    }
    for (uint64_t key : keys) {
      if (key >= dim) {
        *reason = BadRecord::IndexRange;
        *detail = "key " + std::to_string(key) + " is outside [0, " + std::to_string(dim) + ") (feature_dim)";
        return false;
      }
    }
  } else if (values.size() != dim) {
    *reason = BadRecord::ColumnCount;
    *detail = "has " + std::to_string(values.size()) + " features, expected " + std::to_string(dim) + " (feature_dim)";
    return false;
  }
  return StoreRow(sparse_input, values.data(), keys.data(), values.size(), dim, label, weight, t,
                  reason, detail, full);
}

}  // namespace boundless
