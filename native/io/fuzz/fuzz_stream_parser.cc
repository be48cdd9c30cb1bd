// libFuzzer target for the streaming parsers (text formats, raw text and recordIO).
// The first bytes choose the format, options and chunk sizes; the rest is
// the input, fed in pieces into a small batch so every path (records split
// across chunks, full batches, carry limits, bad records) is reached.
// Build and run: npm run fuzz (scripts/fuzz.sh).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "io/recordio_parser.h"
#include "io/text_parser.h"

using namespace boundless;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t selector = data[0];
  const uint8_t chunk_seed = data[1];
  const uint8_t option_bits = data[2];
  data += 3;
  size -= 3;

  const size_t feature_dim = 1 + (option_bits & 7);
  const bool skip_bad = option_bits & 8;
  const bool sparse_target = option_bits & 16;
  std::unique_ptr<StreamParser> parser;
  bool sparse = false;
  bool named = false;
  switch (selector % 6) {
    case 4: {
      RecordioParserOptions options;
      options.feature_dim = feature_dim;
      options.skip_bad = skip_bad;
      options.labels_required = option_bits & 32;
      options.max_record_bytes = 256;
      parser = std::make_unique<RecordioParser>(options);
      sparse = sparse_target;
      // The width probe reads the same bytes before any parser does (recordIO without feature_dim).
      RecordioProbe probe = ProbeRecordio(data, size, options.max_record_bytes);
      if (probe.found && !probe.error.empty()) __builtin_trap();  // found and failed at once
      break;
    }
    case 5: {
      TextParserOptions options;
      options.format = TextFormat::Text;
      options.feature_dim = feature_dim;
      options.label_column = -1;
      options.labels_required = false;
      options.skip_bad = skip_bad;
      options.max_record_bytes = 64;
      parser = std::make_unique<TextParser>(options);
      sparse = sparse_target || (option_bits & 64);
      named = sparse && (option_bits & 32);  // the words of each entry, into a small buffer
      break;
    }
    default: {
      TextParserOptions options;
      options.format = static_cast<TextFormat>(selector % 4);
      options.feature_dim = options.format == TextFormat::Vw ? 64 : feature_dim;
      options.hash_bits = 6;
      options.header = option_bits & 64;
      options.label_column = (option_bits & 128) ? -1 : static_cast<int>(selector >> 5) % 3;
      options.labels_required = option_bits & 32;
      options.skip_bad = skip_bad;
      options.max_record_bytes = 64;
      parser = std::make_unique<TextParser>(options);
      sparse = options.format == TextFormat::Libsvm || options.format == TextFormat::Vw ||
               (options.format == TextFormat::Jsonl && sparse_target);
      if (options.format == TextFormat::Csv) sparse = false;
      break;
    }
  }
  const size_t rows = 3;
  const size_t nnz_capacity = 8;
  const size_t dim = parser->feature_dim();
  std::vector<float> values(sparse ? nnz_capacity : rows * dim);
  std::vector<float> labels(rows), weights(rows);
  std::vector<int32_t> indptr(rows + 1);
  std::vector<uint32_t> indices(nnz_capacity);
  std::vector<uint32_t> word_offsets(nnz_capacity + 1);
  std::vector<uint8_t> word_bytes(40);
  auto reset = [&](BatchTarget& t) {
    t = BatchTarget();
    t.sparse = sparse;
    t.row_capacity = rows;
    t.nnz_capacity = sparse ? nnz_capacity : 0;
    t.values = values.data();
    t.labels = labels.data();
    t.weights = weights.data();
    t.indptr = sparse ? indptr.data() : nullptr;
    t.indices = sparse ? indices.data() : nullptr;
    if (sparse) indptr[0] = 0;
    if (named) {
      t.word_offsets = word_offsets.data();
      t.word_bytes = word_bytes.data();
      t.word_bytes_capacity = word_bytes.size();
      word_offsets[0] = 0;
    }
  };
  BatchTarget target;
  reset(target);
  uint32_t state = chunk_seed | 1u;
  size_t position = 0;
  for (int guard = 0; guard < 100000 && position < size; ++guard) {
    state = state * 1103515245u + 12345u;
    size_t piece = 1 + (state >> 16) % 17;
    if (piece > size - position) piece = size - position;
    FeedResult result = parser->Feed(reinterpret_cast<const char*>(data + position), piece, target);
    if (result.failed) return 0;
    if (result.consumed > piece) __builtin_trap();
    position += result.consumed;
    if (result.batch_full) {
      for (size_t i = 0; sparse && i < target.nnz; ++i) {
        if (indices[i] >= dim) __builtin_trap();  // an index escaped the bound
        // A word is at most 32 bytes, and the words stay within their buffer.
        if (named && (word_offsets[i + 1] < word_offsets[i] || word_offsets[i + 1] - word_offsets[i] > 32)) __builtin_trap();
      }
      if (named && word_offsets[target.nnz] > word_bytes.size()) __builtin_trap();
      reset(target);
    } else if (result.consumed < piece) {
      __builtin_trap();  // a feed that is not full must take its whole chunk
    }
  }
  for (int guard = 0; guard < 100; ++guard) {
    FeedResult result = parser->Finish(target);
    if (!result.batch_full) break;
    reset(target);
  }
  return 0;
}
