// One `text` record — a JSON object with a string field "text" (other keys
// skipped) — into a sparse row: the document's word counts per hash bucket
// (text_tokenizer.h says what a word is; document_words.h how they are
// counted), indices ascending, and, when the target asks for them, each
// bucket's most frequent word of the document (BatchTarget::word_offsets).
#pragma once

#include <cstddef>
#include <string>

#include "io/document_words.h"
#include "io/stream_parser.h"

namespace boundless {

// Writes the record into the next row of the sparse target. Bad records: not a JSON object,
// no "text", "text" not a string, a bad escape (Syntax), invalid UTF-8 (Encoding). A row that
// does not fit a batch holding rows sets *full; one that fits no batch is TooManyFeatures.
bool ParseTextRecord(const char* begin, const char* end, size_t feature_dim, DocumentWords& words,
                     BatchTarget& target, BadRecord* reason, std::string* detail, bool* full);

}  // namespace boundless
