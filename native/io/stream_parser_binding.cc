// JS binding of the streaming parsers (text formats and recordIO). feed() parses a chunk on a libuv
// thread (an AsyncWorker), so parsing a large chunk never blocks the event
// loop and overlaps with training; feedSync() is for small inputs. The
// batch arrays are the caller's typed arrays, referenced while a feed runs.
#include "io/stream_parser_binding.h"

#include <cmath>

#include <memory>
#include <string>
#include <vector>

#include "io/file_stager.h"
#include "io/murmur_hash.h"
#include "io/parallel_text_parser.h"
#include "io/recordio_parser.h"
#include "io/text_parser.h"
#include "runtime/arguments.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace {

template <typename T>
T* OptionalArray(const Napi::Value& value, napi_typedarray_type type, const char* name,
                 size_t min_length, const Napi::Env& env) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(env, std::string("StreamParser.setTarget: ") + name + " has the wrong typed-array type");
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  if (array.ElementLength() < min_length) {
    throw Napi::RangeError::New(env, std::string("StreamParser.setTarget: ") + name + " has length " +
                                         std::to_string(array.ElementLength()) + ", expected at least " +
                                         std::to_string(min_length));
  }
  return reinterpret_cast<T*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
}

// The parser the options ask for; *parallel is set when it is the parallel text parser (it parses ahead).
std::unique_ptr<StreamParser> CreateParser(const Napi::Object& object, ParallelTextParser** parallel) {
  Napi::Env env = object.Env();
  auto number = [&](const char* key, double fallback) {
    Napi::Value value = object.Get(key);
    return value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : fallback;
  };
  auto flag = [&](const char* key, bool fallback) {
    Napi::Value value = object.Get(key);
    return value.IsBoolean() ? value.As<Napi::Boolean>().Value() : fallback;
  };
  std::string format = object.Get("format").ToString().Utf8Value();
  // featureRange: { min, max } — the values the consumer takes; a value outside is a bad record.
  FeatureRange range;
  Napi::Value range_value = object.Get("featureRange");
  if (range_value.IsObject()) {
    Napi::Object r = range_value.As<Napi::Object>();
    range.checked = true;
    range.min = static_cast<float>(r.Get("min").ToNumber().DoubleValue());
    range.max = static_cast<float>(r.Get("max").ToNumber().DoubleValue());
  }
  double feature_dim = number("featureDim", 0);
  if (!(feature_dim >= 1) || feature_dim > 4294967296.0 || feature_dim != static_cast<double>(static_cast<uint64_t>(feature_dim))) {
    throw Napi::RangeError::New(env, "StreamParser: featureDim must be an integer in [1, 2^32]");
  }
  if (format == "recordio") {
    RecordioParserOptions options;
    options.feature_dim = static_cast<size_t>(feature_dim);
    options.labels_required = flag("labelsRequired", true);
    options.label_classes = static_cast<size_t>(number("labelClasses", 0));
    options.feature_range = range;
    options.max_record_bytes = static_cast<size_t>(number("maxRecordBytes", 16 << 20));
    options.skip_bad = flag("skipBad", false);
    return std::make_unique<RecordioParser>(options);
  }
  TextParserOptions options;
  if (format == "csv") options.format = TextFormat::Csv;
  else if (format == "libsvm") options.format = TextFormat::Libsvm;
  else if (format == "vw") options.format = TextFormat::Vw;
  else if (format == "jsonl") options.format = TextFormat::Jsonl;
  else if (format == "text") options.format = TextFormat::Text;
  else throw Napi::TypeError::New(env, "StreamParser: format must be csv, libsvm, vw, jsonl, text or recordio, got " + format);
  Napi::Value delimiter_value = object.Get("delimiter");
  std::string delimiter = delimiter_value.IsString() ? delimiter_value.As<Napi::String>().Utf8Value() : ",";
  if (delimiter.size() != 1) throw Napi::TypeError::New(env, "StreamParser: delimiter must be one byte");
  options.delimiter = delimiter[0];
  options.label_column = static_cast<int>(number("labelColumn", 0));
  Napi::Value ignored = object.Get("ignoreColumns");
  if (!ignored.IsUndefined()) {
    // Checked by the caller (read-options.ts): distinct columns, none the label's.
    if (!ignored.IsArray()) throw Napi::TypeError::New(env, "StreamParser: ignoreColumns must be an array of column indices");
    Napi::Array columns = ignored.As<Napi::Array>();
    for (uint32_t i = 0; i < columns.Length(); i++) {
      Napi::Value column = columns.Get(i);
      double value = column.IsNumber() ? column.As<Napi::Number>().DoubleValue() : -1;
      if (!(value >= 0 && value < (1 << 24)) || value != std::floor(value)) {
        throw Napi::RangeError::New(env, "StreamParser: ignoreColumns must hold column indices in [0, 2^24)");
      }
      const size_t c = static_cast<size_t>(value);
      if (options.ignored.size() <= c) options.ignored.resize(c + 1, 0);
      options.ignored[c] = 1;
    }
  }
  options.header = flag("header", false);
  options.feature_dim = static_cast<size_t>(feature_dim);
  options.zero_based = flag("zeroBased", false);
  options.hash_bits = static_cast<int>(number("hashBits", 18));
  options.labels_required = flag("labelsRequired", true);
  options.label_classes = static_cast<size_t>(number("labelClasses", 0));
  options.feature_range = range;
  options.max_record_bytes = static_cast<size_t>(number("maxRecordBytes", 1 << 20));
  options.skip_bad = flag("skipBad", false);
  if (options.format == TextFormat::Text) {
    // Documents have no label: whatever the caller says, none is read or checked.
    options.label_column = -1;
    options.labels_required = false;
    options.label_classes = 0;
  }
  if (options.hash_bits < 1 || options.hash_bits > 31) {
    throw Napi::RangeError::New(env, "StreamParser: hashBits must be in [1, 31]");
  }
  // Text is parsed by every thread of the pool unless asked not to (parallel: false, which tests
  // use to compare the two); one thread parses in place, without staging, and so does a serial
  // caller (a data-parallel worker keeps to one core: SetCallerSerial).
  size_t threads = CallerRunsSerially() ? 1 : ThreadPool::Shared().Size();
  if (threads > 1 && flag("parallel", true)) {
    auto parser = std::make_unique<ParallelTextParser>(options, threads);
    *parallel = parser.get();
    return parser;
  }
  return std::make_unique<TextParser>(options);
}

Napi::Object ResultObject(const Napi::Env& env, const FeedResult& result, const BatchTarget& target,
                          const StreamParser& parser) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("committed", static_cast<double>(parser.committed_offset()));
  object.Set("line", static_cast<double>(parser.record_number()));
  object.Set("consumed", static_cast<double>(result.consumed));
  object.Set("rows", static_cast<double>(target.rows));
  object.Set("nnz", static_cast<double>(target.nnz));
  object.Set("full", result.batch_full);
  object.Set("staged", parser.has_staged());
  if (result.failed) object.Set("error", result.message);
  return object;
}

class StreamParserWrap : public Napi::ObjectWrap<StreamParserWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "StreamParser",
                       {InstanceMethod("setTarget", &StreamParserWrap::SetTarget),
                        InstanceMethod("feed", &StreamParserWrap::Feed),
                        InstanceMethod("feedSync", &StreamParserWrap::FeedSync),
                        InstanceMethod("finish", &StreamParserWrap::Finish),
                        InstanceMethod("drainSync", &StreamParserWrap::DrainSync),
                        InstanceMethod("stage", &StreamParserWrap::Stage),
                        InstanceMethod("stageFile", &StreamParserWrap::StageFile),
                        InstanceMethod("staged", &StreamParserWrap::Staged),
                        InstanceMethod("endStaging", &StreamParserWrap::EndStaging),
                        InstanceMethod("startFile", &StreamParserWrap::StartFile),
                        InstanceMethod("stats", &StreamParserWrap::Stats)});
  }

  explicit StreamParserWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StreamParserWrap>(info) {
    if (info.Length() != 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(info.Env(), "StreamParser: expected one options object");
    }
    parser_ = CreateParser(info[0].As<Napi::Object>(), &parallel_);
  }

  StreamParser& parser() { return *parser_; }
  BatchTarget& target() { return target_; }
  bool busy = false;     // a feed runs: nothing else may touch the parser
  bool staging = false;  // a parse ahead runs: only setTarget and drainSync may

 private:
  // setTarget(values, labels|null, weights|null, indptr|null, indices|null, rowCapacity, nnzCapacity
  //           [, wordOffsets|null, wordBytes|null]): the last two for the words of `text` rows.
  Napi::Value SetTarget(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = "StreamParser.setTarget";
    if (info.Length() != 7 && info.Length() != 9) {
      throw Napi::TypeError::New(env, std::string(fn) + ": given " + std::to_string(info.Length()) + " arguments, expected 7 or 9");
    }
    if (busy) throw Napi::Error::New(env, "StreamParser.setTarget: a feed is still running");
    size_t rows = SizeArg(info, 5, fn, "rowCapacity");
    size_t nnz = SizeArg(info, 6, fn, "nnzCapacity");
    bool sparse = !info[3].IsNull() && !info[3].IsUndefined();
    BatchTarget target;
    target.sparse = sparse;
    target.row_capacity = rows;
    target.nnz_capacity = nnz;
    size_t value_count = sparse ? nnz : CheckedProduct(env, fn, rows, parser_->feature_dim());
    target.values = OptionalArray<float>(info[0], napi_float32_array, "values", value_count, env);
    target.labels = OptionalArray<float>(info[1], napi_float32_array, "labels", rows, env);
    target.weights = OptionalArray<float>(info[2], napi_float32_array, "weights", rows, env);
    if (sparse) {
      target.indptr = OptionalArray<int32_t>(info[3], napi_int32_array, "indptr", rows + 1, env);
      target.indices = OptionalArray<uint32_t>(info[4], napi_uint32_array, "indices", nnz, env);
      if (!target.indices) throw Napi::TypeError::New(env, "StreamParser.setTarget: indices is required with indptr");
      target.indptr[0] = 0;
      if (info.Length() == 9) SetWordTarget(info, target);
    }
    if (!target.values) throw Napi::TypeError::New(env, "StreamParser.setTarget: values is required");
    refs_.clear();
    for (size_t i = 0; i < info.Length(); ++i) {
      if (info[i].IsObject()) refs_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
    }
    target_ = target;
    return env.Undefined();
  }

  // wordOffsets (Uint32Array, nnzCapacity + 1) and wordBytes (Uint8Array): both or neither.
  static void SetWordTarget(const Napi::CallbackInfo& info, BatchTarget& target) {
    Napi::Env env = info.Env();
    target.word_offsets = OptionalArray<uint32_t>(info[7], napi_uint32_array, "wordOffsets", target.nnz_capacity + 1, env);
    target.word_bytes = OptionalArray<uint8_t>(info[8], napi_uint8_array, "wordBytes", 0, env);
    if (!target.word_offsets != !target.word_bytes) {
      throw Napi::TypeError::New(env, "StreamParser.setTarget: wordOffsets and wordBytes go together");
    }
    if (!target.word_offsets) return;
    target.word_bytes_capacity = info[8].As<Napi::TypedArray>().ElementLength();
    target.word_offsets[0] = 0;
  }

  Napi::Value FeedSync(const Napi::CallbackInfo& info) {
    RequireArgCount(info, "StreamParser.feedSync", 1);
    if (busy || staging) throw Napi::Error::New(info.Env(), "StreamParser.feedSync: a feed is still running");
    Napi::Uint8Array chunk = ChunkArg(info, "StreamParser.feedSync");
    FeedResult result = parser_->Feed(reinterpret_cast<const char*>(chunk.Data()), chunk.ElementLength(), target_);
    return ResultObject(info.Env(), result, target_, *parser_);
  }

  Napi::Value Feed(const Napi::CallbackInfo& info);
  Napi::Value Stage(const Napi::CallbackInfo& info);
  Napi::Value StageFile(const Napi::CallbackInfo& info);
  Napi::Value Staged(const Napi::CallbackInfo& info);

  // endStaging() → bytes the file stager staged; stops it first when it is still reading.
  Napi::Value EndStaging(const Napi::CallbackInfo& info) {
    if (!stager_) throw Napi::Error::New(info.Env(), "StreamParser.endStaging: no file is being staged");
    const uint64_t bytes = stager_->Stop();
    stager_.reset();
    staging = false;
    return Napi::Number::New(info.Env(), static_cast<double>(bytes));
  }

  Napi::Value Finish(const Napi::CallbackInfo& info) {
    if (busy || staging) throw Napi::Error::New(info.Env(), "StreamParser.finish: a feed is still running");
    FeedResult result = parser_->Finish(target_);
    return ResultObject(info.Env(), result, target_, *parser_);
  }

  // Hands over rows already parsed (at most one batch's copy), parsing nothing: the parallel
  // parser stages a wave's rows, and handing them over batch by batch needs no thread hop.
  Napi::Value DrainSync(const Napi::CallbackInfo& info) {
    if (busy) throw Napi::Error::New(info.Env(), "StreamParser.drainSync: a feed is still running");
    FeedResult result = parser_->Drain(target_);
    return ResultObject(info.Env(), result, target_, *parser_);
  }

  Napi::Value StartFile(const Napi::CallbackInfo& info) {
    if (busy || staging) throw Napi::Error::New(info.Env(), "StreamParser.startFile: a feed is still running");
    parser_->StartFile(info.Length() == 0 || info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object stats = Napi::Object::New(env);
    stats.Set("line", static_cast<double>(parser_->record_number()));
    stats.Set("committedOffset", static_cast<double>(parser_->committed_offset()));
    stats.Set("carryBytes", static_cast<double>(parser_->carry_bytes()));
    stats.Set("parseThreads", static_cast<double>(parser_->parse_threads()));
    Napi::Object bad = Napi::Object::New(env);
    for (size_t i = 0; i < static_cast<size_t>(BadRecord::kCount); ++i) {
      bad.Set(BadRecordName(static_cast<BadRecord>(i)), static_cast<double>(parser_->bad_counts()[i]));
    }
    stats.Set("bad", bad);
    return stats;
  }

  static Napi::Uint8Array ChunkArg(const Napi::CallbackInfo& info, const char* fn) {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(info.Env(), std::string(fn) + ": chunk must be a Uint8Array or Buffer");
    }
    return info[0].As<Napi::Uint8Array>();
  }

  std::unique_ptr<StreamParser> parser_;
  ParallelTextParser* parallel_ = nullptr;  // parser_, when it is the parallel text parser
  // A file read ahead by a thread of its own (stageFile); shared with a staged() wait that may
  // outlive endStaging. Declared after parser_, so it is stopped before the parser goes.
  std::shared_ptr<FileStager> stager_;
  BatchTarget target_;
  std::vector<Napi::ObjectReference> refs_;
};

class FeedWorker : public Napi::AsyncWorker {
 public:
  FeedWorker(const Napi::Env& env, StreamParserWrap* wrap, Napi::Object self, Napi::Uint8Array chunk)
      : Napi::AsyncWorker(env, "boundless:parse"),
        deferred_(Napi::Promise::Deferred::New(env)),
        wrap_(wrap),
        self_ref_(Napi::Persistent(self)),
        chunk_ref_(Napi::Persistent(static_cast<Napi::Object>(chunk))),
        data_(reinterpret_cast<const char*>(chunk.Data())),
        length_(chunk.ElementLength()) {
    wrap_->busy = true;
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    TokenScope token(serial_);
    result_ = wrap_->parser().Feed(data_, length_, wrap_->target());
  }

  void OnOK() override {
    wrap_->busy = false;
    deferred_.Resolve(ResultObject(Env(), result_, wrap_->target(), wrap_->parser()));
  }

  void OnError(const Napi::Error& error) override {
    wrap_->busy = false;
    deferred_.Reject(error.Value());
  }

 private:
  const bool serial_ = CallerRunsSerially();  // the queuing thread's (SetCallerSerial)
  Napi::Promise::Deferred deferred_;
  StreamParserWrap* wrap_;
  Napi::ObjectReference self_ref_;
  Napi::ObjectReference chunk_ref_;
  const char* data_;
  size_t length_;
  FeedResult result_;
};

Napi::Value StreamParserWrap::Feed(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "StreamParser.feed", 1);
  if (busy || staging) throw Napi::Error::New(info.Env(), "StreamParser.feed: a feed is still running");
  Napi::Uint8Array chunk = ChunkArg(info, "StreamParser.feed");
  if (CallerRunsSerially()) {
    // A serial caller parses on its own thread, holding a token as a libuv thread would (as its
    // kernels do: QueueKernel): no hop to a libuv thread and back for each chunk.
    auto deferred = Napi::Promise::Deferred::New(info.Env());
    try {
      FeedResult result;
      {
        TokenScope token(true);
        result = parser().Feed(reinterpret_cast<const char*>(chunk.Data()), chunk.ElementLength(), target());
      }
      deferred.Resolve(ResultObject(info.Env(), result, target(), parser()));
    } catch (const std::exception& error) {
      deferred.Reject(Napi::Error::New(info.Env(), error.what()).Value());  // as the AsyncWorker would
    }
    return deferred.Promise();
  }
  auto* worker = new FeedWorker(info.Env(), this, info.This().As<Napi::Object>(), chunk);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// The parallel parser's parse ahead: the chunk's lines staged into a free wave on a libuv thread
// and the pool, while the caller hands over the rows of the wave before.
class StageWorker : public Napi::AsyncWorker {
 public:
  StageWorker(const Napi::Env& env, StreamParserWrap* wrap, ParallelTextParser* parallel, ParallelTextParser::Wave* wave,
              Napi::Object self, Napi::Uint8Array chunk)
      : Napi::AsyncWorker(env, "boundless:parse"),
        deferred_(Napi::Promise::Deferred::New(env)),
        wrap_(wrap),
        parallel_(parallel),
        wave_(wave),
        shape_(wrap->target()),
        self_ref_(Napi::Persistent(self)),
        chunk_ref_(Napi::Persistent(static_cast<Napi::Object>(chunk))),
        data_(reinterpret_cast<const char*>(chunk.Data())),
        length_(chunk.ElementLength()) {
    wrap_->staging = true;
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    TokenScope token(serial_);
    consumed_ = parallel_->Stage(*wave_, data_, length_, shape_);
  }

  void OnOK() override {
    wrap_->staging = false;
    Napi::Object result = Napi::Object::New(Env());
    result.Set("consumed", static_cast<double>(consumed_));
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override {
    wrap_->staging = false;
    deferred_.Reject(error.Value());
  }

 private:
  const bool serial_ = CallerRunsSerially();  // the queuing thread's (SetCallerSerial)
  Napi::Promise::Deferred deferred_;
  StreamParserWrap* wrap_;
  ParallelTextParser* parallel_;
  ParallelTextParser::Wave* wave_;
  BatchTarget shape_;  // the batches' kind and arrays, as they are when the stage starts
  Napi::ObjectReference self_ref_;
  Napi::ObjectReference chunk_ref_;
  const char* data_;
  size_t length_;
  size_t consumed_ = 0;
};

// stage(chunk) → Promise<{consumed}>: parses ahead into a free wave (the parallel parser only);
// errors in the chunk are reported by the drainSync that reaches them.
Napi::Value StreamParserWrap::Stage(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "StreamParser.stage", 1);
  if (busy || staging) throw Napi::Error::New(info.Env(), "StreamParser.stage: a feed is still running");
  ParallelTextParser* parallel = parallel_;
  if (!parallel) throw Napi::Error::New(info.Env(), "StreamParser.stage: only the parallel text parser parses ahead");
  Napi::Uint8Array chunk = ChunkArg(info, "StreamParser.stage");
  ParallelTextParser::Wave* wave = parallel->Reserve();
  if (!wave) throw Napi::Error::New(info.Env(), "StreamParser.stage: two waves hold rows; drainSync() them first");
  auto* worker = new StageWorker(info.Env(), this, parallel, wave, info.This().As<Napi::Object>(), chunk);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// stageFile(path, from, to): the parallel parser reads bytes [from, to) of a plain file (to the
// end when `to` is past it) on a thread of its own; staged() waits for its rows, drainSync hands
// them over, endStaging() ends it. Feeding the parser otherwise is refused meanwhile.
Napi::Value StreamParserWrap::StageFile(const Napi::CallbackInfo& info) {
  const char* fn = "StreamParser.stageFile";
  RequireArgCount(info, fn, 3);
  if (busy || staging) throw Napi::Error::New(info.Env(), "StreamParser.stageFile: a feed is still running");
  if (!parallel_) throw Napi::Error::New(info.Env(), "StreamParser.stageFile: only the parallel text parser parses ahead");
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "StreamParser.stageFile: path must be a string");
  auto offset = [&](size_t i, const char* name) {
    double value = info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
    if (!(value >= 0)) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": " + name + " must be a byte offset (a number >= 0)");
    return value >= 18446744073709551615.0 ? UINT64_MAX : static_cast<uint64_t>(value);
  };
  const uint64_t from = offset(1, "from"), to = offset(2, "to");
  stager_ = std::make_shared<FileStager>(*parallel_, target_, info[0].As<Napi::String>().Utf8Value(), from, to);
  staging = true;
  return info.Env().Undefined();
}

// Waits on a libuv thread for the file stager's next rows or its end. It holds no token: the
// stager, which it waits for, needs one.
class StagedWorker : public Napi::AsyncWorker {
 public:
  StagedWorker(const Napi::Env& env, std::shared_ptr<FileStager> stager, Napi::Object self)
      : Napi::AsyncWorker(env, "boundless:parse"), deferred_(Napi::Promise::Deferred::New(env)),
        stager_(std::move(stager)), self_ref_(Napi::Persistent(self)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override { progress_ = stager_->Wait(); }

  void OnOK() override {
    Napi::Object result = Napi::Object::New(Env());
    result.Set("ready", progress_.ready);
    result.Set("done", progress_.done);
    result.Set("bytes", static_cast<double>(progress_.bytes));
    if (!progress_.error.empty()) result.Set("error", progress_.error);
    deferred_.Resolve(result);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<FileStager> stager_;
  Napi::ObjectReference self_ref_;
  FileStager::Progress progress_;
};

// staged() → Promise<{ready, done, bytes, error?}>: rows ready to drain, or the stager's end.
Napi::Value StreamParserWrap::Staged(const Napi::CallbackInfo& info) {
  if (!stager_) throw Napi::Error::New(info.Env(), "StreamParser.staged: no file is being staged");
  auto* worker = new StagedWorker(info.Env(), stager_, info.This().As<Napi::Object>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value MurmurHash(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "murmurHash3", 2);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), "murmurHash3: bytes must be a Uint8Array or Buffer");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  uint32_t seed = info[1].As<Napi::Number>().Uint32Value();
  return Napi::Number::New(info.Env(), MurmurHash3_32(bytes.Data(), bytes.ElementLength(), seed));
}

// recordioProbe(bytes, maxRecordBytes) → {featureDim, sparse} of the first record, null while it
// is incomplete; throws when the bytes are not recordIO or the record has no width.
Napi::Value RecordioProbeValue(const Napi::CallbackInfo& info) {
  const char* fn = "recordioProbe";
  RequireArgCount(info, fn, 2);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(info.Env(), "recordioProbe: bytes must be a Uint8Array or Buffer");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  RecordioProbe probe = ProbeRecordio(bytes.Data(), bytes.ElementLength(), SizeArg(info, 1, fn, "maxRecordBytes"));
  if (!probe.error.empty()) throw Napi::Error::New(info.Env(), probe.error);
  if (!probe.found) return info.Env().Null();
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("featureDim", static_cast<double>(probe.feature_dim));
  result.Set("sparse", probe.sparse);
  return result;
}

}  // namespace

void RegisterStreamParser(Napi::Env env, Napi::Object exports) {
  exports.Set("StreamParser", StreamParserWrap::Define(env));
  exports.Set("recordioProbe", Napi::Function::New(env, RecordioProbeValue, "recordioProbe"));
  exports.Set("murmurHash3", Napi::Function::New(env, MurmurHash, "murmurHash3"));
}

}  // namespace boundless
