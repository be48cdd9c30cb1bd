// JS binding of the streaming text parser. feed() parses a chunk on a libuv
// thread (an AsyncWorker), so parsing a large chunk never blocks the event
// loop and overlaps with training; feedSync() is for small inputs. The
// batch arrays are the caller's typed arrays, referenced while a feed runs.
#include "text_parser_binding.h"

#include <memory>
#include <string>
#include <vector>

#include "arguments.h"
#include "murmur_hash.h"
#include "text_parser.h"

namespace boundless {
namespace {

template <typename T>
T* OptionalArray(const Napi::Value& value, napi_typedarray_type type, const char* name,
                 size_t min_length, const Napi::Env& env) {
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(env, std::string("TextParser.setTarget: ") + name + " has the wrong typed-array type");
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  if (array.ElementLength() < min_length) {
    throw Napi::RangeError::New(env, std::string("TextParser.setTarget: ") + name + " has length " +
                                         std::to_string(array.ElementLength()) + ", expected at least " +
                                         std::to_string(min_length));
  }
  return reinterpret_cast<T*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
}

TextParserOptions ReadOptions(const Napi::Object& object) {
  Napi::Env env = object.Env();
  TextParserOptions options;
  std::string format = object.Get("format").ToString().Utf8Value();
  if (format == "csv") options.format = TextFormat::Csv;
  else if (format == "libsvm") options.format = TextFormat::Libsvm;
  else if (format == "vw") options.format = TextFormat::Vw;
  else throw Napi::TypeError::New(env, "TextParser: format must be csv, libsvm or vw, got " + format);
  auto number = [&](const char* key, double fallback) {
    Napi::Value value = object.Get(key);
    return value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : fallback;
  };
  auto flag = [&](const char* key, bool fallback) {
    Napi::Value value = object.Get(key);
    return value.IsBoolean() ? value.As<Napi::Boolean>().Value() : fallback;
  };
  Napi::Value delimiter_value = object.Get("delimiter");
  std::string delimiter = delimiter_value.IsString() ? delimiter_value.As<Napi::String>().Utf8Value() : ",";
  if (delimiter.size() != 1) throw Napi::TypeError::New(env, "TextParser: delimiter must be one byte");
  options.delimiter = delimiter[0];
  options.label_column = static_cast<int>(number("labelColumn", 0));
  options.header = flag("header", false);
  options.feature_dim = static_cast<size_t>(number("featureDim", 0));
  options.zero_based = flag("zeroBased", false);
  options.hash_bits = static_cast<int>(number("hashBits", 18));
  options.labels_required = flag("labelsRequired", true);
  options.max_record_bytes = static_cast<size_t>(number("maxRecordBytes", 1 << 20));
  options.skip_bad = flag("skipBad", false);
  if (options.hash_bits < 1 || options.hash_bits > 31) {
    throw Napi::RangeError::New(env, "TextParser: hashBits must be in [1, 31]");
  }
  return options;
}

Napi::Object ResultObject(const Napi::Env& env, const FeedResult& result, const BatchTarget& target,
                          const TextParser& parser) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("committed", static_cast<double>(parser.committed_offset()));
  object.Set("line", static_cast<double>(parser.line()));
  object.Set("consumed", static_cast<double>(result.consumed));
  object.Set("rows", static_cast<double>(target.rows));
  object.Set("nnz", static_cast<double>(target.nnz));
  object.Set("full", result.batch_full);
  if (result.failed) object.Set("error", result.message);
  return object;
}

class TextParserWrap : public Napi::ObjectWrap<TextParserWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "TextParser",
                       {InstanceMethod("setTarget", &TextParserWrap::SetTarget),
                        InstanceMethod("feed", &TextParserWrap::Feed),
                        InstanceMethod("feedSync", &TextParserWrap::FeedSync),
                        InstanceMethod("finish", &TextParserWrap::Finish),
                        InstanceMethod("startFile", &TextParserWrap::StartFile),
                        InstanceMethod("stats", &TextParserWrap::Stats)});
  }

  explicit TextParserWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TextParserWrap>(info) {
    if (info.Length() != 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(info.Env(), "TextParser: expected one options object");
    }
    parser_ = std::make_unique<TextParser>(ReadOptions(info[0].As<Napi::Object>()));
  }

  TextParser& parser() { return *parser_; }
  BatchTarget& target() { return target_; }
  bool busy = false;

 private:
  // setTarget(values, labels|null, weights|null, indptr|null, indices|null, rowCapacity, nnzCapacity)
  Napi::Value SetTarget(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const char* fn = "TextParser.setTarget";
    RequireArgCount(info, fn, 7);
    if (busy) throw Napi::Error::New(env, "TextParser.setTarget: a feed is still running");
    size_t rows = SizeArg(info, 5, fn, "rowCapacity");
    size_t nnz = SizeArg(info, 6, fn, "nnzCapacity");
    bool sparse = !info[3].IsNull() && !info[3].IsUndefined();
    BatchTarget target;
    target.sparse = sparse;
    target.row_capacity = rows;
    target.nnz_capacity = nnz;
    size_t value_count = sparse ? nnz : CheckedProduct(env, fn, rows, parser_->options().feature_dim);
    target.values = OptionalArray<float>(info[0], napi_float32_array, "values", value_count, env);
    target.labels = OptionalArray<float>(info[1], napi_float32_array, "labels", rows, env);
    target.weights = OptionalArray<float>(info[2], napi_float32_array, "weights", rows, env);
    if (sparse) {
      target.indptr = OptionalArray<int32_t>(info[3], napi_int32_array, "indptr", rows + 1, env);
      target.indices = OptionalArray<uint32_t>(info[4], napi_uint32_array, "indices", nnz, env);
      if (!target.indices) throw Napi::TypeError::New(env, "TextParser.setTarget: indices is required with indptr");
      target.indptr[0] = 0;
    }
    if (!target.values) throw Napi::TypeError::New(env, "TextParser.setTarget: values is required");
    refs_.clear();
    for (size_t i = 0; i < 5; ++i) {
      if (info[i].IsObject()) refs_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
    }
    target_ = target;
    return env.Undefined();
  }

  Napi::Value FeedSync(const Napi::CallbackInfo& info) {
    RequireArgCount(info, "TextParser.feedSync", 1);
    if (busy) throw Napi::Error::New(info.Env(), "TextParser.feedSync: a feed is still running");
    Napi::Uint8Array chunk = ChunkArg(info, "TextParser.feedSync");
    FeedResult result = parser_->Feed(reinterpret_cast<const char*>(chunk.Data()), chunk.ElementLength(), target_);
    return ResultObject(info.Env(), result, target_, *parser_);
  }

  Napi::Value Feed(const Napi::CallbackInfo& info);

  Napi::Value Finish(const Napi::CallbackInfo& info) {
    if (busy) throw Napi::Error::New(info.Env(), "TextParser.finish: a feed is still running");
    FeedResult result = parser_->Finish(target_);
    return ResultObject(info.Env(), result, target_, *parser_);
  }

  Napi::Value StartFile(const Napi::CallbackInfo& info) {
    parser_->StartFile(info.Length() == 0 || info[0].ToBoolean().Value());
    return info.Env().Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object stats = Napi::Object::New(env);
    stats.Set("line", static_cast<double>(parser_->line()));
    stats.Set("committedOffset", static_cast<double>(parser_->committed_offset()));
    stats.Set("carryBytes", static_cast<double>(parser_->carry_bytes()));
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

  std::unique_ptr<TextParser> parser_;
  BatchTarget target_;
  std::vector<Napi::ObjectReference> refs_;
};

class FeedWorker : public Napi::AsyncWorker {
 public:
  FeedWorker(const Napi::Env& env, TextParserWrap* wrap, Napi::Object self, Napi::Uint8Array chunk)
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

  void Execute() override { result_ = wrap_->parser().Feed(data_, length_, wrap_->target()); }

  void OnOK() override {
    wrap_->busy = false;
    deferred_.Resolve(ResultObject(Env(), result_, wrap_->target(), wrap_->parser()));
  }

  void OnError(const Napi::Error& error) override {
    wrap_->busy = false;
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  TextParserWrap* wrap_;
  Napi::ObjectReference self_ref_;
  Napi::ObjectReference chunk_ref_;
  const char* data_;
  size_t length_;
  FeedResult result_;
};

Napi::Value TextParserWrap::Feed(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "TextParser.feed", 1);
  if (busy) throw Napi::Error::New(info.Env(), "TextParser.feed: a feed is still running");
  Napi::Uint8Array chunk = ChunkArg(info, "TextParser.feed");
  auto* worker = new FeedWorker(info.Env(), this, info.This().As<Napi::Object>(), chunk);
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

}  // namespace

void RegisterTextParser(Napi::Env env, Napi::Object exports) {
  exports.Set("TextParser", TextParserWrap::Define(env));
  exports.Set("murmurHash3", Napi::Function::New(env, MurmurHash, "murmurHash3"));
}

}  // namespace boundless
