#include "io/stop_words.h"

#include <array>
#include <cstring>

#include "io/murmur_hash.h"
#include "io/stop_words_en.h"
#include "io/text_tokenizer.h"

namespace boundless {
namespace {

// Slots: a power of two over 3 × the words, so most probes of a word that is not in the list
// land on an empty slot at once.
constexpr size_t kSlots = 1024;
static_assert(kSlots >= 3 * kStopWordsEnCount, "the stop-word table must stay sparse");
// Longer than any stop word: such a token needs no lookup.
constexpr size_t kLongestStopWord = 15;

constexpr size_t LongestListed() {
  size_t longest = 0;
  for (const char* word : kStopWordsEn) {
    size_t length = 0;
    while (word[length] != '\0') ++length;
    longest = length > longest ? length : longest;
  }
  return longest;
}
static_assert(LongestListed() <= kLongestStopWord, "a stop word is longer than a slot holds");

// The words in their slots, inline (one cache line holds four): no pointer to follow on a probe.
struct Slot {
  uint8_t length = 0;  // 0: empty
  char word[kLongestStopWord] = {};
};

std::array<Slot, kSlots> Build() {
  std::array<Slot, kSlots> table{};
  for (size_t i = 0; i < kStopWordsEnCount; ++i) {
    const size_t length = std::strlen(kStopWordsEn[i]);
    size_t slot = MurmurHash3_32(kStopWordsEn[i], length, kTokenHashSeed) & (kSlots - 1);
    while (table[slot].length != 0) slot = (slot + 1) & (kSlots - 1);
    table[slot].length = static_cast<uint8_t>(length);
    std::memcpy(table[slot].word, kStopWordsEn[i], length);
  }
  return table;
}

// Built when the addon loads, before any parse.
const std::array<Slot, kSlots> kTable = Build();

}  // namespace

bool IsStopWordEn(const char* word, size_t length, uint32_t hash) {
  if (length > kLongestStopWord) return false;
  for (size_t slot = hash & (kSlots - 1);; slot = (slot + 1) & (kSlots - 1)) {
    const Slot& entry = kTable[slot];
    if (entry.length == 0) return false;
    if (entry.length == length && std::memcmp(entry.word, word, length) == 0) return true;
  }
}

}  // namespace boundless
