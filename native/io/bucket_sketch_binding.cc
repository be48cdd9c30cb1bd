// JS binding of the bucket sketch: a batch's words counted off the event loop (inline for small
// batches), and the merge (synchronous, as every merge is).
#include "io/bucket_sketch_binding.h"

#include <string>
#include <vector>

#include "io/bucket_sketch.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

BucketSketch ReadSketch(const Napi::Env& env, ArrayReader& reader, const Napi::Value& value, const char* f, const char* owner,
                        size_t feature_dim, size_t slots) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, std::string(f) + ": " + owner + " must be an object");
  Napi::Object o = value.As<Napi::Object>();
  const size_t cells = CheckedProduct(env, f, feature_dim, slots);
  BucketSketch sketch;
  sketch.feature_dim = feature_dim;
  sketch.slots = slots;
  sketch.words = reader.Get<uint8_t>(o, owner, "words", napi_uint8_array, CheckedProduct(env, f, cells, kSketchWordBytes), true);
  sketch.counts = reader.Get<double>(o, owner, "counts", napi_float64_array, cells, true);
  sketch.errors = reader.Get<double>(o, owner, "errors", napi_float64_array, cells, true);
  return sketch;
}

void ReadShape(const Napi::CallbackInfo& info, size_t index, const char* f, size_t* feature_dim, size_t* slots) {
  *feature_dim = SizeArg(info, index, f, "featureDim");
  *slots = SizeArg(info, index + 1, f, "slots");
  if (*feature_dim < 1 || *slots < 1) throw Napi::RangeError::New(info.Env(), std::string(f) + ": featureDim and slots must be at least 1");
}

// bucketSketchUpdate(sketch: {words, counts, errors}, featureDim, slots, batch: sparse with words) → Promise
Napi::Value UpdateAsync(const Napi::CallbackInfo& info) {
  const char* f = "bucketSketchUpdate";
  RequireArgCount(info, f, 4);
  Napi::Env env = info.Env();
  size_t feature_dim, slots;
  ReadShape(info, 1, f, &feature_dim, &slots);
  ArrayReader reader(env, f);
  BucketSketch sketch = ReadSketch(env, reader, info[0], f, "sketch", feature_dim, slots);
  Napi::Object batch_object = ObjectArg(info, 3, f, "batch");
  BatchView batch = ReadBatchView(reader, batch_object, f);
  if (!batch.sparse) throw Napi::TypeError::New(env, std::string(f) + ": batch must be sparse (the text format's)");
  Napi::Value words_value = batch_object.Get("words");
  if (!words_value.IsObject()) throw Napi::TypeError::New(env, std::string(f) + ": batch.words is missing (only the text format names buckets)");
  Napi::Object words = words_value.As<Napi::Object>();
  NamedEntries entries;
  entries.count = static_cast<size_t>(batch.indptr[batch.rows]);
  entries.indices = batch.indices;
  entries.values = batch.values;
  entries.word_offsets = reader.Get<uint32_t>(words, "batch.words", "offsets", napi_uint32_array, entries.count + 1, true);
  entries.word_bytes = reader.Get<uint8_t>(words, "batch.words", "bytes", napi_uint8_array, 0, true);
  entries.word_bytes_length = words.Get("bytes").As<Napi::TypedArray>().ElementLength();
  const double work = static_cast<double>(entries.count) * static_cast<double>(slots) * 8;
  return QueueKernel(env, "boundless:bucketSketchUpdate", reader, [=]() mutable { UpdateBucketSketch(sketch, entries); }, work);
}

// bucketSketchMerge(target: {words, counts, errors}, sources: [{words, counts, errors}], featureDim, slots)
Napi::Value Merge(const Napi::CallbackInfo& info) {
  const char* f = "bucketSketchMerge";
  RequireArgCount(info, f, 4);
  Napi::Env env = info.Env();
  size_t feature_dim, slots;
  ReadShape(info, 2, f, &feature_dim, &slots);
  ArrayReader reader(env, f);
  BucketSketch target = ReadSketch(env, reader, info[0], f, "target", feature_dim, slots);
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, std::string(f) + ": sources must be an array");
  Napi::Array list = info[1].As<Napi::Array>();
  std::vector<BucketSketch> sources;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string owner = "sources[" + std::to_string(i) + "]";
    sources.push_back(ReadSketch(env, reader, list.Get(i), f, owner.c_str(), feature_dim, slots));
  }
  MergeBucketSketches(target, sources);
  return env.Undefined();
}

}  // namespace

void RegisterBucketSketch(Napi::Env env, Napi::Object exports) {
  exports.Set("bucketSketchUpdate", Napi::Function::New(env, UpdateAsync, "bucketSketchUpdate"));
  exports.Set("bucketSketchMerge", Napi::Function::New(env, Merge, "bucketSketchMerge"));
}

}  // namespace boundless
