// One JSON Lines record into a batch row: {"features": [...] | {"keys":
// [...], "values": [...], "shape": [...]}, "label": x | [x], "weight": w}.
// A small strict JSON reader (bounded nesting, UTF-8 checked) that writes
// numbers straight into the batch arrays; other keys are skipped.
#pragma once

#include <cstddef>
#include <string>

#include "io/stream_parser.h"

namespace boundless {

bool ParseJsonRecord(const char* begin, const char* end, size_t feature_dim, bool labels_required,
                     BatchTarget& target, BadRecord* reason, std::string* detail, bool* full);

}  // namespace boundless
