#include "io/document_words.h"

#include <algorithm>
#include <cstring>

namespace boundless {

void DocumentWords::Clear() {
  for (const Word& word : words_) table_[word.slot] = 0;
  words_.clear();
  bytes_.clear();
}

void DocumentWords::Add(const Token& token) {
  const size_t mask = table_.size() - 1;
  for (size_t slot = token.hash & mask;; slot = (slot + 1) & mask) {
    const uint32_t entry = table_[slot];
    if (entry == 0) {
      Insert(token, slot);
      return;
    }
    Word& word = words_[entry - 1];
    if (word.hash == token.hash && word.length == token.length &&
        std::memcmp(bytes_.data() + word.offset, token.bytes, token.length) == 0) {
      ++word.count;
      return;
    }
  }
}

uint32_t DocumentWords::Insert(const Token& token, size_t slot) {
  const uint32_t index = static_cast<uint32_t>(words_.size());
  words_.push_back(Word{token.hash, static_cast<uint32_t>(bytes_.size()), static_cast<uint32_t>(token.length), 1,
                        static_cast<uint32_t>(slot)});
  bytes_.insert(bytes_.end(), token.bytes, token.bytes + token.length);
  table_[slot] = index + 1;
  // Kept under half full, so probes stay short.
  if (words_.size() * 2 > table_.size()) Grow();
  return index;
}

void DocumentWords::Grow() {
  std::fill(table_.begin(), table_.end(), 0);
  table_.resize(table_.size() * 2, 0);
  const size_t mask = table_.size() - 1;
  for (size_t i = 0; i < words_.size(); ++i) {
    size_t slot = words_[i].hash & mask;
    while (table_[slot] != 0) slot = (slot + 1) & mask;
    table_[slot] = static_cast<uint32_t>(i + 1);
    words_[i].slot = static_cast<uint32_t>(slot);
  }
}

const std::vector<DocumentWords::Bucket>& DocumentWords::Finish(size_t feature_dim) {
  keys_.clear();
  // A 32-bit division where it can be (feature_dim up to 2^32): a third of a 64-bit one's cost.
  const bool narrow = feature_dim <= UINT32_MAX;
  const uint32_t dim32 = narrow ? static_cast<uint32_t>(feature_dim) : 0;
  for (size_t i = 0; i < words_.size(); ++i) {
    const uint64_t bucket = narrow ? words_[i].hash % dim32 : words_[i].hash;
    keys_.push_back(bucket << 32 | i);
  }
  // By bucket, then by first sight: the first word of a bucket with the top count names it.
  std::sort(keys_.begin(), keys_.end());
  buckets_.clear();
  named_bytes_ = 0;
  for (size_t k = 0; k < keys_.size();) {
    const uint32_t bucket = static_cast<uint32_t>(keys_[k] >> 32);
    uint32_t count = 0, best = static_cast<uint32_t>(keys_[k]);
    for (; k < keys_.size() && static_cast<uint32_t>(keys_[k] >> 32) == bucket; ++k) {
      const uint32_t word = static_cast<uint32_t>(keys_[k]);
      count += words_[word].count;
      if (words_[word].count > words_[best].count) best = word;
    }
    buckets_.push_back(Bucket{bucket, count, best});
    named_bytes_ += words_[best].length;
  }
  return buckets_;
}

}  // namespace boundless
