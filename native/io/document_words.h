// One document's words counted per hash bucket: the sparse row the `text`
// format stores (bucket = the word's hash modulo feature_dim, value = how many
// of the document's words fell in it) and, per bucket, the word that named it
// most often in the document (ties: the one seen first). Scratch reused from
// document to document: nothing is allocated once the largest document has
// been seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "io/text_tokenizer.h"

namespace boundless {

class DocumentWords {
 public:
  struct Bucket {
    uint32_t index;   // the bucket, < feature_dim
    uint32_t count;   // words of the document in it
    uint32_t word;    // its most frequent word: for Word()
  };

  // Forgets the last document.
  void Clear();
  // Counts one word of the document.
  void Add(const Token& token);
  // The buckets of the words added since Clear, ascending; valid until the next Clear.
  const std::vector<Bucket>& Finish(size_t feature_dim);
  // A bucket's word: its UTF-8 and length.
  const char* WordBytes(uint32_t word) const { return bytes_.data() + words_[word].offset; }
  uint32_t WordLength(uint32_t word) const { return words_[word].length; }
  // The bytes of every bucket's word together, after Finish.
  size_t named_bytes() const { return named_bytes_; }

 private:
  struct Word {
    uint32_t hash;
    uint32_t offset;  // into bytes_
    uint32_t length;
    uint32_t count;
    uint32_t slot;    // its slot in table_, to clear it
  };
  uint32_t Insert(const Token& token, size_t slot);
  void Grow();

  std::vector<Word> words_;          // distinct words in order of first sight
  std::vector<char> bytes_;
  std::vector<uint32_t> table_ = std::vector<uint32_t>(64, 0);  // word index + 1, or 0: open addressing by hash
  std::vector<uint64_t> keys_;       // (bucket << 32 | word), sorted by Finish
  std::vector<Bucket> buckets_;
  size_t named_bytes_ = 0;
};

}  // namespace boundless
