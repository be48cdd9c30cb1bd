#include "io/bucket_sketch.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace boundless {
namespace {

using PaddedWord = std::array<uint8_t, kSketchWordBytes>;

const uint8_t* SlotWord(const BucketSketch& sketch, size_t slot) { return sketch.words + slot * kSketchWordBytes; }

void CheckEntries(const BucketSketch& sketch, const NamedEntries& e) {
  auto fail = [](size_t k, const std::string& why) {
    throw std::invalid_argument("bucket sketch: batch entry " + std::to_string(k) + " " + why);
  };
  if (e.count > 0 && e.word_offsets[0] > e.word_bytes_length) fail(0, "has a word offset past the words' bytes");
  for (size_t k = 0; k < e.count; ++k) {
    if (e.indices[k] >= sketch.feature_dim) {
      fail(k, "has bucket " + std::to_string(e.indices[k]) + ", expected < " + std::to_string(sketch.feature_dim) + " (feature_dim)");
    }
    if (!(e.values[k] >= 0) || !std::isfinite(e.values[k])) fail(k, "has count " + std::to_string(e.values[k]) + "; counts must be finite and non-negative");
    const uint32_t begin = e.word_offsets[k], end = e.word_offsets[k + 1];
    if (end < begin || end > e.word_bytes_length) fail(k, "has word offsets " + std::to_string(begin) + ".." + std::to_string(end) + " outside the words' bytes");
    if (end - begin > kSketchWordBytes) fail(k, "has a word of " + std::to_string(end - begin) + " bytes; at most 32 are kept");
  }
}

// Space-Saving's step: the word's counter grows by weight; a word not kept takes an empty slot,
// or the least counter's (the first of equals), inheriting its count as its error.
void AddWord(BucketSketch& sketch, size_t bucket, const PaddedWord& word, double weight) {
  const size_t base = bucket * sketch.slots;
  size_t pick = base;
  for (size_t s = base; s < base + sketch.slots; ++s) {
    if (sketch.counts[s] > 0 && std::memcmp(SlotWord(sketch, s), word.data(), kSketchWordBytes) == 0) {
      sketch.counts[s] += weight;
      return;
    }
    if (sketch.counts[s] < sketch.counts[pick]) pick = s;
  }
  sketch.errors[pick] = sketch.counts[pick];
  sketch.counts[pick] += weight;
  std::memcpy(sketch.words + pick * kSketchWordBytes, word.data(), kSketchWordBytes);
}

struct Candidate {
  const uint8_t* word;
  double count;
  double error;
};

// A full bucket's least count bounds the weight of every word it does not keep; a bucket with an
// empty slot has seen every word it was given.
double Floor(const BucketSketch& sketch, size_t bucket) {
  const double* counts = sketch.counts + bucket * sketch.slots;
  double least = counts[0];
  for (size_t s = 1; s < sketch.slots; ++s) least = std::min(least, counts[s]);
  return least;
}

// The slot of `word` in the bucket, or -1.
long FindWord(const BucketSketch& sketch, size_t bucket, const uint8_t* word) {
  for (size_t s = bucket * sketch.slots; s < (bucket + 1) * sketch.slots; ++s) {
    if (sketch.counts[s] > 0 && std::memcmp(SlotWord(sketch, s), word, kSketchWordBytes) == 0) return static_cast<long>(s);
  }
  return -1;
}

// Every word any sketch keeps in the bucket, once, with its summed count and error.
void GatherCandidates(const std::vector<const BucketSketch*>& all, size_t bucket, std::vector<Candidate>& out) {
  out.clear();
  for (size_t i = 0; i < all.size(); ++i) {
    const BucketSketch& sketch = *all[i];
    for (size_t s = bucket * sketch.slots; s < (bucket + 1) * sketch.slots; ++s) {
      if (sketch.counts[s] <= 0) continue;
      const uint8_t* word = SlotWord(sketch, s);
      bool seen = false;
      for (size_t j = 0; j < i && !seen; ++j) seen = FindWord(*all[j], bucket, word) >= 0;
      if (seen) continue;
      Candidate candidate{word, 0, 0};
      for (const BucketSketch* other : all) {
        const long slot = FindWord(*other, bucket, word);
        const double floor = slot < 0 ? Floor(*other, bucket) : 0;
        candidate.count += slot < 0 ? floor : other->counts[slot];
        candidate.error += slot < 0 ? floor : other->errors[slot];
      }
      out.push_back(candidate);
    }
  }
}

// Larger counts first; then smaller errors (the surer word), then the bytes: one order for any
// order of the sketches.
bool Before(const Candidate& a, const Candidate& b) {
  if (a.count != b.count) return a.count > b.count;
  if (a.error != b.error) return a.error < b.error;
  return std::memcmp(a.word, b.word, kSketchWordBytes) < 0;
}

}  // namespace

void UpdateBucketSketch(BucketSketch& sketch, const NamedEntries& e) {
  CheckEntries(sketch, e);
  PaddedWord word;
  for (size_t k = 0; k < e.count; ++k) {
    const uint32_t begin = e.word_offsets[k], length = e.word_offsets[k + 1] - begin;
    if (length == 0 || e.values[k] == 0) continue;
    word.fill(0);
    std::memcpy(word.data(), e.word_bytes + begin, length);
    AddWord(sketch, e.indices[k], word, e.values[k]);
  }
}

void MergeBucketSketches(BucketSketch& target, const std::vector<BucketSketch>& sources) {
  std::vector<const BucketSketch*> all{&target};
  for (const BucketSketch& source : sources) all.push_back(&source);
  std::vector<Candidate> candidates;
  std::vector<uint8_t> kept(target.slots * kSketchWordBytes);
  for (size_t bucket = 0; bucket < target.feature_dim; ++bucket) {
    GatherCandidates(all, bucket, candidates);
    const size_t count = std::min(candidates.size(), target.slots);
    std::partial_sort(candidates.begin(), candidates.begin() + count, candidates.end(), Before);
    // The words point into the sketches, target's among them: copied out before it is written.
    for (size_t s = 0; s < count; ++s) std::memcpy(kept.data() + s * kSketchWordBytes, candidates[s].word, kSketchWordBytes);
    const size_t base = bucket * target.slots;
    std::memset(target.words + base * kSketchWordBytes, 0, target.slots * kSketchWordBytes);
    std::memcpy(target.words + base * kSketchWordBytes, kept.data(), count * kSketchWordBytes);
    for (size_t s = 0; s < target.slots; ++s) {
      target.counts[base + s] = s < count ? candidates[s].count : 0;
      target.errors[base + s] = s < count ? candidates[s].error : 0;
    }
  }
}

}  // namespace boundless
