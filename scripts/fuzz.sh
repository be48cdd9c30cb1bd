#!/usr/bin/env bash
# npm run fuzz [-- SECONDS]: builds the libFuzzer target for the native
# parsers with AddressSanitizer and UndefinedBehaviorSanitizer (clang from
# Debian: apt-get install clang-14 libclang-rt-14-dev) and runs it from the
# seed corpus in native/io/fuzz/corpus. New findings stop the run with a crash
# file in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
clang="${CLANGXX:-$(command -v clang++-14 || command -v clang++ || true)}"
if [ -z "$clang" ]; then
  echo "fuzz: clang++ not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi
mkdir -p build-fuzz/corpus
"$clang" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Inative \
  native/io/fuzz/fuzz_stream_parser.cc native/io/text_parser.cc native/io/recordio_parser.cc native/io/json_record.cc \
  native/io/text_record.cc native/io/text_tokenizer.cc native/io/document_words.cc native/io/stop_words.cc \
  native/io/stream_parser.cc native/io/murmur_hash.cc -o build-fuzz/fuzz_stream_parser
cd build-fuzz
./fuzz_stream_parser -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 corpus ../native/io/fuzz/corpus
