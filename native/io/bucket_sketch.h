// Names for hash buckets: a fixed-memory heavy-hitters summary (Space-Saving,
// Metwally, Agrawal & El Abbadi 2005) per bucket of the `text` format, fed by
// the words that name a batch's entries (BatchTarget::word_offsets). Each
// bucket keeps `slots` counters of words of at most kSketchWordBytes bytes,
// so memory is feature_dim × slots, whatever the vocabulary.
//
// What is counted: an entry's value is its bucket's count in one document, credited to that
// document's most frequent word of the bucket (the one word a batch carries per entry); when two
// words share a bucket in one document, the lesser one's occurrences go to the other. With
// feature_dim well above a document's distinct words this is rare. Row weights are not applied.
//
// Guarantees, per bucket with total weight N (the counts added to it): a
// kept word's count over-estimates its true weight by at most its error, and
// every error is at most N / slots; every word of true weight above
// N / slots is kept. The merge (Cafaro, Pulimeno & Tempesta 2016: equal
// words' counts added, a sketch that lacks a word adding its least count if
// it is full, the `slots` largest kept) keeps the same guarantees over the
// union of the streams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace boundless {

constexpr size_t kSketchWordBytes = 32;

// The sketch's arrays (a state's tensors), slot s of bucket b at b × slots + s.
struct BucketSketch {
  size_t feature_dim = 0;
  size_t slots = 0;
  uint8_t* words = nullptr;  // [feature_dim × slots × kSketchWordBytes]: UTF-8, zero-padded
  double* counts = nullptr;  // [feature_dim × slots]: 0 marks an empty slot
  double* errors = nullptr;  // [feature_dim × slots]: how much of the count may be other words'
};

// A batch's named entries: entry k adds values[k] to the word
// word_bytes[word_offsets[k] .. word_offsets[k + 1]) in bucket indices[k]; an entry with an
// empty word is not counted.
struct NamedEntries {
  size_t count = 0;
  const uint32_t* indices = nullptr;
  const float* values = nullptr;
  const uint32_t* word_offsets = nullptr;  // count + 1 offsets into word_bytes
  const uint8_t* word_bytes = nullptr;
  size_t word_bytes_length = 0;
};

// Checks the entries (indices below feature_dim, offsets ascending within word_bytes, words of at
// most kSketchWordBytes, values finite and non-negative), then adds them. Throws
// std::invalid_argument naming the entry before changing anything.
void UpdateBucketSketch(BucketSketch& sketch, const NamedEntries& entries);

// Merges the sources into target, bucket by bucket (the sources' shapes must be target's). The
// result does not depend on the order of the sources: ties are broken by error, then by bytes.
void MergeBucketSketches(BucketSketch& target, const std::vector<BucketSketch>& sources);

}  // namespace boundless
