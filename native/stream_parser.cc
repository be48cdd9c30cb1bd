#include "stream_parser.h"

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
    case BadRecord::kCount: break;
  }
  return "unknown";
}

}  // namespace boundless
