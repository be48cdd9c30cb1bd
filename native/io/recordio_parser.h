// SageMaker's recordIO-protobuf: RecordIO framing (a little-endian magic
// 0xced7230a, a word of 3 continuation-flag bits and 29 length bits, the
// payload padded to 4 bytes) around aialgs.data.Record protobuf messages,
// whose `features` and `label` maps hold Float32/Float64/Int32 tensors
// under the key "values" (dense, or sparse with `keys` and `shape`).
// Decoded straight into batch arrays; a frame split across chunks is
// carried, bounded by max_record_bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/stream_parser.h"

namespace boundless {

struct RecordioParserOptions {
  size_t feature_dim = 0;
  bool labels_required = true;
  // Classification: labels must be integers in [0, label_classes) (0: any label).
  size_t label_classes = 0;
  FeatureRange feature_range;
  size_t max_record_bytes = 16 << 20;
  bool skip_bad = false;
};

// The tensors of one Record: features and label under the key "values".
struct RecordTensors {
  std::vector<float> values, label_values;
  std::vector<uint64_t> keys, shape, label_keys, label_shape;
  bool has_features = false, has_label = false;
  void Clear();
};

// Features per row of a record: dense, its value count; sparse, its shape [feature_dim] (0 when
// it has none). False with a reason when keys and values disagree.
bool RecordWidth(const RecordTensors& record, size_t* width, bool* sparse, std::string* detail);

// What the first record of a recordIO stream says about its width. Neither found nor an error:
// the first record is not complete in the bytes given yet.
struct RecordioProbe {
  bool found = false;
  size_t feature_dim = 0;
  bool sparse = false;
  std::string error;
};
RecordioProbe ProbeRecordio(const uint8_t* data, size_t length, size_t max_record_bytes);

class RecordioParser : public StreamParser {
 public:
  explicit RecordioParser(const RecordioParserOptions& options);

  FeedResult Feed(const char* data, size_t length, BatchTarget& target) override;
  FeedResult Finish(BatchTarget& target) override;
  void StartFile(bool expect_header) override;
  uint64_t record_number() const override { return record_; }
  uint64_t committed_offset() const override { return committed_offset_; }
  size_t carry_bytes() const override { return carry_.size() + assembly_.size(); }
  size_t feature_dim() const override { return options_.feature_dim; }

 private:
  enum class Outcome { Consumed, NeedMore, Full, Failed };
  // One frame at data[0..length); sets *frame_bytes when complete.
  Outcome TakeFrame(const uint8_t* data, size_t length, size_t* frame_bytes, BatchTarget& target,
                    FeedResult& result);
  Outcome TakeRecord(const uint8_t* payload, size_t length, BatchTarget& target, FeedResult& result);
  bool DecodeRecord(const uint8_t* payload, size_t length, BatchTarget& target, BadRecord* reason,
                    std::string* detail, bool* full);
  void Fail(FeedResult& result, const std::string& why);

  RecordioParserOptions options_;
  std::string carry_;     // a frame split across chunks
  std::string assembly_;  // a record split into several frames (flags 1, 2, 3)
  uint64_t record_ = 1;
  uint64_t stream_offset_ = 0;
  uint64_t committed_offset_ = 0;
  // Scratch for one record's tensors; grows to the largest record, bounded by max_record_bytes.
  RecordTensors tensors_;
};

}  // namespace boundless
