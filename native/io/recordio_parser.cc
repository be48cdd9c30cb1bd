#include "io/recordio_parser.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace boundless {
namespace {

constexpr uint32_t kMagic = 0xced7230au;

uint32_t ReadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

size_t Padded(size_t length) { return (length + 3) & ~static_cast<size_t>(3); }

// A bounds-checked protobuf reader over one message.
class Wire {
 public:
  Wire(const uint8_t* begin, size_t length) : cursor_(begin), end_(begin + length) {}
  bool done() const { return cursor_ >= end_; }

  bool Varint(uint64_t* value) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (cursor_ >= end_) return false;
      uint8_t byte = *cursor_++;
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *value = result;
        return true;
      }
    }
    return false;
  }

  bool Key(uint32_t* field, uint32_t* wire_type) {
    uint64_t key;
    if (!Varint(&key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire_type = static_cast<uint32_t>(key & 7);
    return true;
  }

  bool Bytes(const uint8_t** data, size_t* length) {
    uint64_t size;
    if (!Varint(&size) || size > static_cast<uint64_t>(end_ - cursor_)) return false;
    *data = cursor_;
    *length = static_cast<size_t>(size);
    cursor_ += size;
    return true;
  }

  bool Fixed(size_t bytes, const uint8_t** data) {
    if (static_cast<size_t>(end_ - cursor_) < bytes) return false;
    *data = cursor_;
    cursor_ += bytes;
    return true;
  }

  bool Skip(uint32_t wire_type) {
    uint64_t ignored;
    const uint8_t* data;
    size_t length;
    switch (wire_type) {
      case 0: return Varint(&ignored);
      case 1: return Fixed(8, &data);
      case 2: return Bytes(&data, &length);
      case 5: return Fixed(4, &data);
      default: return false;  // groups (3, 4) are not used by this schema
    }
  }

 private:
  const uint8_t* cursor_;
  const uint8_t* end_;
};

enum class TensorKind { None, Float32, Float64, Int32, Bytes };

// Reads a Float32Tensor / Float64Tensor / Int32Tensor (values = 1, keys = 2, shape = 3),
// accepting packed and unpacked encodings of each repeated field.
bool DecodeTensor(const uint8_t* data, size_t length, TensorKind kind, std::vector<float>* values,
                  std::vector<uint64_t>* keys, std::vector<uint64_t>* shape, std::string* error) {
  Wire wire(data, length);
  const size_t width = kind == TensorKind::Float64 ? 8 : 4;
  auto add_value = [&](const uint8_t* p, uint64_t varint, bool is_varint) {
    if (kind == TensorKind::Float32) {
      float v;
      std::memcpy(&v, p, 4);
      values->push_back(v);
    } else if (kind == TensorKind::Float64) {
      double v;
      std::memcpy(&v, p, 8);
      values->push_back(static_cast<float>(v));
    } else {
      (void)is_varint;
      values->push_back(static_cast<float>(static_cast<int32_t>(static_cast<uint32_t>(varint))));
    }
  };
  while (!wire.done()) {
    uint32_t field, wire_type;
    if (!wire.Key(&field, &wire_type)) return *error = "malformed protobuf field key", false;
    if (field == 1) {
      bool varint_values = kind == TensorKind::Int32;
      if (wire_type == 2) {
        const uint8_t* packed;
        size_t packed_length;
        if (!wire.Bytes(&packed, &packed_length)) return *error = "truncated packed values", false;
        if (varint_values) {
          Wire inner(packed, packed_length);
          while (!inner.done()) {
            uint64_t v;
            if (!inner.Varint(&v)) return *error = "malformed packed int32 values", false;
            add_value(nullptr, v, true);
          }
        } else {
          if (packed_length % width != 0) return *error = "packed values length is not a multiple of the value size", false;
          for (size_t i = 0; i < packed_length; i += width) add_value(packed + i, 0, false);
        }
      } else if (varint_values && wire_type == 0) {
        uint64_t v;
        if (!wire.Varint(&v)) return *error = "malformed int32 value", false;
        add_value(nullptr, v, true);
      } else if (!varint_values && wire_type == (width == 8 ? 1u : 5u)) {
        const uint8_t* p;
        if (!wire.Fixed(width, &p)) return *error = "truncated value", false;
        add_value(p, 0, false);
      } else {
        return *error = "values field has wire type " + std::to_string(wire_type), false;
      }
    } else if (field == 2 || field == 3) {
      std::vector<uint64_t>* target = field == 2 ? keys : shape;
      if (wire_type == 2) {
        const uint8_t* packed;
        size_t packed_length;
        if (!wire.Bytes(&packed, &packed_length)) return *error = "truncated packed keys or shape", false;
        Wire inner(packed, packed_length);
        while (!inner.done()) {
          uint64_t v;
          if (!inner.Varint(&v)) return *error = "malformed packed keys or shape", false;
          target->push_back(v);
        }
      } else if (wire_type == 0) {
        uint64_t v;
        if (!wire.Varint(&v)) return *error = "malformed key or shape entry", false;
        target->push_back(v);
      } else {
        return *error = "keys or shape field has wire type " + std::to_string(wire_type), false;
      }
    } else if (!wire.Skip(wire_type)) {
      return *error = "malformed protobuf field " + std::to_string(field), false;
    }
  }
  return true;
}

// Reads a Value message: which tensor it holds and where.
bool DecodeValue(const uint8_t* data, size_t length, TensorKind* kind, const uint8_t** tensor,
                 size_t* tensor_length, std::string* error) {
  Wire wire(data, length);
  *kind = TensorKind::None;
  while (!wire.done()) {
    uint32_t field, wire_type;
    if (!wire.Key(&field, &wire_type)) return *error = "malformed Value message", false;
    TensorKind found = field == 2 ? TensorKind::Float32 : field == 3 ? TensorKind::Float64
                     : field == 7 ? TensorKind::Int32 : field == 9 ? TensorKind::Bytes : TensorKind::None;
    if (found != TensorKind::None && wire_type == 2) {
      if (!wire.Bytes(tensor, tensor_length)) return *error = "truncated tensor", false;
      *kind = found;
    } else if (!wire.Skip(wire_type)) {
      return *error = "malformed Value message", false;
    }
  }
  return true;
}

// Reads a map entry (key = 1 string, value = 2 Value).
bool DecodeMapEntry(const uint8_t* data, size_t length, std::string* key, const uint8_t** value,
                    size_t* value_length, std::string* error) {
  Wire wire(data, length);
  *value = nullptr;
  *value_length = 0;
  key->clear();
  while (!wire.done()) {
    uint32_t field, wire_type;
    if (!wire.Key(&field, &wire_type)) return *error = "malformed map entry", false;
    const uint8_t* bytes;
    size_t bytes_length;
    if (field == 1 && wire_type == 2) {
      if (!wire.Bytes(&bytes, &bytes_length)) return *error = "truncated map key", false;
      key->assign(reinterpret_cast<const char*>(bytes), bytes_length);
    } else if (field == 2 && wire_type == 2) {
      if (!wire.Bytes(value, value_length)) return *error = "truncated map value", false;
    } else if (!wire.Skip(wire_type)) {
      return *error = "malformed map entry", false;
    }
  }
  return true;
}

// Reads a Record's features and label (the tensors under the key "values"; other keys are
// not used by these algorithms).
bool ReadRecordTensors(const uint8_t* payload, size_t length, RecordTensors* out, std::string* detail) {
  out->Clear();
  Wire wire(payload, length);
  std::string key;
  std::string error;
  while (!wire.done()) {
    uint32_t field, wire_type;
    if (!wire.Key(&field, &wire_type)) return *detail = "malformed Record message", false;
    if ((field != 1 && field != 2) || wire_type != 2) {
      if (!wire.Skip(wire_type)) return *detail = "malformed Record message", false;
      continue;
    }
    const uint8_t *entry, *value, *tensor = nullptr;
    size_t entry_length, value_length, tensor_length = 0;
    TensorKind kind;
    if (!wire.Bytes(&entry, &entry_length) || !DecodeMapEntry(entry, entry_length, &key, &value, &value_length, &error) ||
        !DecodeValue(value, value_length, &kind, &tensor, &tensor_length, &error)) {
      return *detail = error.empty() ? "truncated Record message" : error, false;
    }
    if (key != "values") continue;
    const char* what = field == 1 ? "features" : "label";
    if (kind == TensorKind::Bytes || kind == TensorKind::None) {
      return *detail = std::string(what) + " 'values' holds no Float32, Float64 or Int32 tensor", false;
    }
    bool ok = field == 1 ? DecodeTensor(tensor, tensor_length, kind, &out->values, &out->keys, &out->shape, &error)
                         : DecodeTensor(tensor, tensor_length, kind, &out->label_values, &out->label_keys, &out->label_shape, &error);
    if (!ok) return *detail = std::string(what) + ": " + error, false;
    (field == 1 ? out->has_features : out->has_label) = true;
  }
  if (!out->has_features) return *detail = "no features tensor under the key 'values'", false;
  return true;
}

}  // namespace

void RecordTensors::Clear() {
  values.clear();
  keys.clear();
  shape.clear();
  label_values.clear();
  label_keys.clear();
  label_shape.clear();
  has_features = has_label = false;
}

bool RecordWidth(const RecordTensors& r, size_t* width, bool* sparse, std::string* detail) {
  *sparse = !r.keys.empty() || (!r.shape.empty() && r.values.empty());
  if (*sparse && r.keys.size() != r.values.size()) {
    *detail = "sparse features have " + std::to_string(r.keys.size()) + " keys but " + std::to_string(r.values.size()) + " values";
    return false;
  }
  if (!*sparse) {
    *width = r.values.size();
    return true;
  }
  if (r.shape.size() > 1) return *detail = "sparse features have a shape of " + std::to_string(r.shape.size()) + " dimensions, expected 1", false;
  *width = r.shape.empty() ? 0 : static_cast<size_t>(r.shape[0]);
  return true;
}

RecordioProbe ProbeRecordio(const uint8_t* data, size_t length, size_t max_record_bytes) {
  RecordioProbe probe;
  std::string assembly;
  for (size_t position = 0; position + 8 <= length;) {
    uint32_t magic = ReadU32(data + position), word = ReadU32(data + position + 4);
    size_t payload = word & ((1u << 29) - 1);
    uint32_t flag = word >> 29;
    if (magic != kMagic || flag > 3) return probe.error = "not recordIO (bad magic or frame flag in the first record)", probe;
    if (payload + assembly.size() > max_record_bytes) {
      return probe.error = "the first record is longer than " + std::to_string(max_record_bytes) + " bytes (raise --max-record-bytes, maxRecordBytes in the API)", probe;
    }
    if (position + 8 + Padded(payload) > length) break;
    const uint8_t* body = data + position + 8;
    position += 8 + Padded(payload);
    if (flag == 1) assembly.assign(reinterpret_cast<const char*>(body), payload);
    if (flag >= 2) {
      assembly.append(reinterpret_cast<const char*>(&kMagic), 4);
      assembly.append(reinterpret_cast<const char*>(body), payload);
    }
    if (flag == 1 || flag == 2) continue;
    const uint8_t* record = flag == 0 ? body : reinterpret_cast<const uint8_t*>(assembly.data());
    RecordTensors tensors;
    if (!ReadRecordTensors(record, flag == 0 ? payload : assembly.size(), &tensors, &probe.error) ||
        !RecordWidth(tensors, &probe.feature_dim, &probe.sparse, &probe.error)) {
      probe.error = "record 1: " + probe.error;
      return probe;
    }
    if (probe.sparse && probe.feature_dim == 0) probe.error = "record 1: sparse features without a shape: pass --feature-dim (featureDim in the API)";
    probe.found = probe.error.empty();
    return probe;
  }
  return probe;
}

RecordioParser::RecordioParser(const RecordioParserOptions& options) : options_(options) {}

void RecordioParser::StartFile(bool) {
  carry_.clear();
  assembly_.clear();
  record_ = 1;
  stream_offset_ = 0;
  committed_offset_ = 0;
}

void RecordioParser::Fail(FeedResult& result, const std::string& why) {
  result.failed = true;
  result.message = "record " + std::to_string(record_) + " (byte " + std::to_string(stream_offset_) + "): " + why;
}

RecordioParser::Outcome RecordioParser::TakeFrame(const uint8_t* data, size_t length,
                                                  size_t* frame_bytes, BatchTarget& target,
                                                  FeedResult& result) {
  if (length < 8) return Outcome::NeedMore;
  uint32_t magic = ReadU32(data);
  if (magic != kMagic) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%08x", magic);
    Fail(result, std::string("bad RecordIO magic ") + hex + " (expected 0xced7230a): not recordIO, or corrupt");
    return Outcome::Failed;
  }
  uint32_t word = ReadU32(data + 4);
  uint32_t flag = word >> 29;
  size_t payload = word & ((1u << 29) - 1);
  if (payload + assembly_.size() > options_.max_record_bytes) {
    bad_counts_[static_cast<size_t>(BadRecord::TooLong)]++;
    Fail(result, "record of " + std::to_string(payload) + " bytes is longer than " +
                     std::to_string(options_.max_record_bytes) + " (raise --max-record-bytes, maxRecordBytes in the API)");
    return Outcome::Failed;
  }
  if (flag > 3) {
    Fail(result, "RecordIO continuation flag " + std::to_string(flag) + " is not 0-3");
    return Outcome::Failed;
  }
  size_t total = 8 + Padded(payload);
  if (length < total) return Outcome::NeedMore;
  *frame_bytes = total;
  const uint8_t* body = data + 8;
  // Flags 1, 2, 3 split one record over frames; the magic number between parts is implied.
  if (flag == 0) {
    if (!assembly_.empty()) {
      Fail(result, "a whole record arrived inside a split record");
      return Outcome::Failed;
    }
    return TakeRecord(body, payload, target, result);
  }
  if (flag == 1) {
    assembly_.assign(reinterpret_cast<const char*>(body), payload);
    return Outcome::Consumed;
  }
  if (assembly_.empty()) {
    Fail(result, "RecordIO continuation flag " + std::to_string(flag) + " without a first part");
    return Outcome::Failed;
  }
  const size_t before = assembly_.size();
  const uint32_t magic_le = kMagic;
  assembly_.append(reinterpret_cast<const char*>(&magic_le), 4);
  assembly_.append(reinterpret_cast<const char*>(body), payload);
  if (flag == 2) return Outcome::Consumed;
  Outcome outcome = TakeRecord(reinterpret_cast<const uint8_t*>(assembly_.data()), assembly_.size(), target, result);
  // A full batch means this frame is fed again: undo its part.
  if (outcome == Outcome::Full) assembly_.resize(before);
  else assembly_.clear();
  return outcome;
}

RecordioParser::Outcome RecordioParser::TakeRecord(const uint8_t* payload, size_t length,
                                                   BatchTarget& target, FeedResult& result) {
  BadRecord reason = BadRecord::Syntax;
  std::string detail;
  bool full = false;
  size_t rows_before = target.rows;
  if (DecodeRecord(payload, length, target, &reason, &detail, &full)) return Outcome::Consumed;
  (void)rows_before;
  if (full) return Outcome::Full;
  bad_counts_[static_cast<size_t>(reason)]++;
  if (options_.skip_bad) return Outcome::Consumed;
  Fail(result, detail);
  return Outcome::Failed;
}

bool RecordioParser::DecodeRecord(const uint8_t* payload, size_t length, BatchTarget& t,
                                  BadRecord* reason, std::string* detail, bool* full) {
  RecordTensors& r = tensors_;
  if (!ReadRecordTensors(payload, length, &r, detail)) return false;
  const size_t dim = options_.feature_dim;
  if (options_.labels_required && (!r.has_label || r.label_values.empty())) {
    *reason = BadRecord::MissingLabel;
    *detail = "no label (labels are expected: --label-size 0 if the records have none)";
    return false;
  }
  size_t width = 0;
  bool sparse_input = false;
  if (!RecordWidth(r, &width, &sparse_input, detail)) return false;
  // A sparse record without a shape fits any feature_dim its keys are below.
  if (width != dim && (!sparse_input || !r.shape.empty())) {
    *reason = BadRecord::ColumnCount;
    *detail = sparse_input ? "has shape [" + std::to_string(width) + "], expected feature_dim " + std::to_string(dim)
                           : "has " + std::to_string(width) + " dense features, expected " + std::to_string(dim) + " (feature_dim)";
    return false;
  }
  for (size_t i = 0; i < r.values.size(); ++i) {
    if (!std::isfinite(r.values[i])) {
      *reason = BadRecord::NonFinite;
      *detail = "feature " + std::to_string(sparse_input ? r.keys[i] : i) + " is not finite";
      return false;
    }
    const FeatureRange& range = options_.feature_range;
    if (range.checked && (r.values[i] < range.min || r.values[i] > range.max)) {
      *reason = BadRecord::FeatureRange;
      char text[160];
      std::snprintf(text, sizeof(text), " is %.9g, outside [%.9g, %.9g] (the values this algorithm takes)",
                    static_cast<double>(r.values[i]), static_cast<double>(range.min), static_cast<double>(range.max));
      *detail = "feature " + std::to_string(sparse_input ? r.keys[i] : i) + text;
      return false;
    }
    if (sparse_input && r.keys[i] >= dim) {
      *reason = BadRecord::IndexRange;
      *detail = "key " + std::to_string(r.keys[i]) + " is outside [0, " + std::to_string(dim) + ") (feature_dim)";
      return false;
    }
  }
  if (r.has_label && !r.label_values.empty() && !std::isfinite(r.label_values[0])) {
    *reason = BadRecord::NonFinite;
    *detail = "label is not finite";
    return false;
  }
  const float label = r.has_label && !r.label_values.empty() ? r.label_values[0] : 0.f;
  if (r.has_label && !r.label_values.empty() && !LabelInRange(label, options_.label_classes, detail)) {
    *reason = BadRecord::LabelRange;
    return false;
  }
  return StoreRow(sparse_input, r.values.data(), r.keys.data(), r.values.size(), dim, label, 1.f, t, reason,
                  detail, full);
}

FeedResult RecordioParser::Feed(const char* chars, size_t length, BatchTarget& target) {
  const uint8_t* data = reinterpret_cast<const uint8_t*>(chars);
  FeedResult result;
  if (target.rows >= target.row_capacity) {
    result.batch_full = true;
    return result;
  }
  size_t position = 0;
  // Complete a frame begun in an earlier chunk. The header says how much is missing.
  if (!carry_.empty()) {
    size_t need = 8;
    if (carry_.size() >= 8) {
      uint32_t word = ReadU32(reinterpret_cast<const uint8_t*>(carry_.data()) + 4);
      need = 8 + Padded(word & ((1u << 29) - 1));
    } else {
      size_t header_part = std::min(length, 8 - carry_.size());
      carry_.append(chars, header_part);
      position = header_part;
      stream_offset_ += header_part;
      if (carry_.size() < 8) {
        result.consumed = position;
        return result;
      }
      uint32_t word = ReadU32(reinterpret_cast<const uint8_t*>(carry_.data()) + 4);
      need = 8 + Padded(word & ((1u << 29) - 1));
    }
    if (need > options_.max_record_bytes + 8) {
      size_t frame_bytes = 0;  // let TakeFrame report the magic or length problem
      stream_offset_ -= carry_.size();
      TakeFrame(reinterpret_cast<const uint8_t*>(carry_.data()), carry_.size(), &frame_bytes, target, result);
      if (!result.failed) Fail(result, "record is longer than max_record_bytes (raise --max-record-bytes, maxRecordBytes in the API)");
      return result;
    }
    size_t take = std::min(length - position, need - carry_.size());
    size_t carried = carry_.size();
    carry_.append(chars + position, take);
    if (carry_.size() < need) {
      position += take;
      stream_offset_ += take;
      result.consumed = position;
      return result;
    }
    size_t frame_bytes = 0;
    stream_offset_ -= carried;  // messages give the frame's start
    Outcome outcome = TakeFrame(reinterpret_cast<const uint8_t*>(carry_.data()), carry_.size(), &frame_bytes, target, result);
    stream_offset_ += carried;
    if (outcome == Outcome::Failed) return result;
    if (outcome == Outcome::Full) {
      carry_.resize(carried);
      result.consumed = position;
      result.batch_full = true;
      return result;
    }
    carry_.clear();
    position += take;
    stream_offset_ += take;
    if (assembly_.empty()) {
      committed_offset_ = stream_offset_;
      ++record_;
    }
    if (target.rows >= target.row_capacity) {
      result.consumed = position;
      result.batch_full = true;
      return result;
    }
  }
  while (position < length) {
    size_t frame_bytes = 0;
    Outcome outcome = TakeFrame(data + position, length - position, &frame_bytes, target, result);
    if (outcome == Outcome::Failed) {
      result.consumed = position;
      return result;
    }
    if (outcome == Outcome::Full) {
      result.consumed = position;
      result.batch_full = true;
      return result;
    }
    if (outcome == Outcome::NeedMore) {
      carry_.assign(chars + position, length - position);
      stream_offset_ += length - position;
      position = length;
      break;
    }
    position += frame_bytes;
    stream_offset_ += frame_bytes;
    if (assembly_.empty()) {
      committed_offset_ = stream_offset_;
      ++record_;
    }
    if (target.rows >= target.row_capacity) {
      result.batch_full = true;
      break;
    }
  }
  result.consumed = position;
  return result;
}

FeedResult RecordioParser::Finish(BatchTarget& target) {
  FeedResult result;
  if (carry_.empty() && assembly_.empty()) return result;
  bad_counts_[static_cast<size_t>(BadRecord::Truncated)]++;
  stream_offset_ -= carry_.size();
  std::string why = carry_.empty() ? "the stream ends inside a record split over several frames"
                                   : "truncated: the stream ends " + std::to_string(carry_.size()) + " bytes into a frame";
  carry_.clear();
  assembly_.clear();
  if (options_.skip_bad) return result;
  Fail(result, why);
  (void)target;
  return result;
}

}  // namespace boundless
