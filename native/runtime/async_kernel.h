// What the kernels' bindings share: reading typed arrays out of argument
// objects (checked, and kept alive while a pool thread uses them), and
// running a kernel as a promise — on a libuv thread, or inline when the
// work is too small to be worth the hop.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/arguments.h"
#include "runtime/batch_view.h"
#include "runtime/thread_pool.h"

namespace boundless {

// Reads typed arrays out of argument objects, keeping a reference to each so
// the collector cannot free them while a pool thread uses them.
class ArrayReader {
 public:
  ArrayReader(Napi::Env env, const char* function) : env_(env), function_(function) {}

  template <typename T>
  T* Get(const Napi::Object& object, const char* owner, const char* name, napi_typedarray_type type, size_t length,
         bool required) {
    Napi::Value value = object.Get(name);
    if (value.IsUndefined() || value.IsNull()) {
      if (required) Fail(owner, name, "is missing");
      return nullptr;
    }
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
      Fail(owner, name, std::string(Article(type)) + TypeName(type));
    }
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    if (length != SIZE_MAX && array.ElementLength() < length) {
      Fail(owner, name, "has length " + std::to_string(array.ElementLength()) + ", expected at least " + std::to_string(length));
    }
    Keep(array);
    return reinterpret_cast<T*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
  }

  // A positional typed-array argument, checked and kept alive like a field; errors name it
  // as arguments.<name>.
  template <typename T>
  T* Arg(const Napi::CallbackInfo& info, size_t index, const char* name, napi_typedarray_type type, size_t length,
         bool required) {
    Napi::Object holder = Napi::Object::New(env_);
    holder.Set(name, info[index]);
    return Get<T>(holder, "arguments", name, type, length, required);
  }

  // Objects to keep alive if the kernel runs later on another thread. References are made only
  // then (Take), so inline runs pay nothing for them.
  void Keep(const Napi::Object& object) { kept_.push_back(object); }

  std::vector<Napi::ObjectReference> Take() {
    std::vector<Napi::ObjectReference> references;
    references.reserve(kept_.size());
    for (const Napi::Object& object : kept_) references.push_back(Napi::Persistent(object));
    kept_.clear();
    return references;
  }

  [[noreturn]] void Fail(const char* owner, const char* name, const std::string& why) {
    throw Napi::TypeError::New(env_, std::string(function_) + ": " + owner + "." + name + " " + why);
  }

 private:
  // "must be an Int32Array", "must be a Float32Array".
  static const char* Article(napi_typedarray_type type) {
    return type == napi_int32_array ? "must be an " : "must be a ";
  }

  static const char* TypeName(napi_typedarray_type type) {
    switch (type) {
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      case napi_int32_array: return "Int32Array";
      case napi_uint32_array: return "Uint32Array";
      case napi_uint8_array: return "Uint8Array";
      default: return "typed array";
    }
  }

  Napi::Env env_;
  const char* function_;
  std::vector<Napi::Object> kept_;
};

// Runs one kernel call on a libuv thread; the promise rejects with the kernel's message.
class KernelWorker : public Napi::AsyncWorker {
 public:
  KernelWorker(Napi::Env env, const char* name, std::vector<Napi::ObjectReference> references,
               std::function<void()> body)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)),
        references_(std::move(references)), body_(std::move(body)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override {
    TokenScope token(serial_);
    try {
      body_();
    } catch (const std::exception& error) {
      SetError(error.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  const bool serial_ = CallerRunsSerially();  // the queuing thread's (SetCallerSerial)
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> references_;
  std::function<void()> body_;
};

// Batches this small (in multiply-adds, loss evaluations counted as 20) run
// inline: a hop to a libuv thread and back costs tens of microseconds, more
// than the work. The bound keeps every inline call under ~50 µs.
constexpr double kInlineWork = 100000;

// Runs body on a libuv thread and returns a promise; with `work` under kInlineWork it runs
// at once on the caller (a thread hop would cost more than the work).
inline Napi::Value QueueKernel(Napi::Env env, const char* name, ArrayReader& reader, std::function<void()> body, double work = 1e18) {
  // A serial caller (a data-parallel worker thread: SetCallerSerial) runs every kernel on its own
  // thread, holding a token as a libuv thread would: the worker has nothing else to do meanwhile,
  // and a hop to a libuv thread and back (two wake-ups) cost ~50–140 µs a call on the development VM.
  const bool serial = CallerRunsSerially();
  if (work < kInlineWork || serial) {
    auto deferred = Napi::Promise::Deferred::New(env);
    try {
      std::optional<TokenScope> token;
      if (serial) token.emplace(true);
      body();
      deferred.Resolve(env.Undefined());
    } catch (const std::exception& error) {
      deferred.Reject(Napi::Error::New(env, error.what()).Value());
    }
    return deferred.Promise();
  }
  auto* worker = new KernelWorker(env, name, reader.Take(), std::move(body));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// Runs a kernel that returns a value on a libuv thread; the promise resolves, on the event loop,
// with convert(env, value), or rejects with the kernel's message. For one-off model-sized work
// (finalize's eigensolve and reductions): always queued, as it is never small enough to run inline.
template <typename Result>
class ResultWorker : public Napi::AsyncWorker {
 public:
  using Convert = std::function<Napi::Value(Napi::Env, Result&)>;
  ResultWorker(Napi::Env env, const char* name, std::vector<Napi::ObjectReference> references,
               std::function<Result()> body, Convert convert)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)),
        references_(std::move(references)), body_(std::move(body)), convert_(std::move(convert)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override {
    TokenScope token(serial_);
    try {
      result_ = body_();
    } catch (const std::exception& error) {
      SetError(error.what());
    }
  }
  void OnOK() override { deferred_.Resolve(convert_(Env(), result_)); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  const bool serial_ = CallerRunsSerially();  // the queuing thread's (SetCallerSerial)
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> references_;
  std::function<Result()> body_;
  Convert convert_;
  Result result_{};
};

template <typename Result>
Napi::Value QueueResultKernel(Napi::Env env, const char* name, ArrayReader& reader, std::function<Result()> body,
                              typename ResultWorker<Result>::Convert convert) {
  auto* worker = new ResultWorker<Result>(env, name, reader.Take(), std::move(body), std::move(convert));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// Reads a JS Batch ({kind, rows, cols, values, indptr?, indices?, labels?, weights?}), checking
// every array's type and length before a pointer is taken.
inline BatchView ReadBatchView(ArrayReader& reader, const Napi::Object& o, const char* f) {
  auto size = [&](const char* name) {
    Napi::Value v = o.Get(name);
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d))) reader.Fail("batch", name, "must be a non-negative integer");
    return static_cast<size_t>(d);
  };
  BatchView b;
  b.rows = size("rows");
  b.cols = size("cols");
  Napi::Value kind = o.Get("kind");
  b.sparse = kind.IsString() && kind.As<Napi::String>().Utf8Value() == "sparse";
  if (b.sparse) {
    b.indptr = reader.Get<int32_t>(o, "batch", "indptr", napi_int32_array, b.rows + 1, true);
    if (b.indptr[b.rows] < 0) reader.Fail("batch", "indptr", "ends below zero");
    size_t nnz = static_cast<size_t>(b.indptr[b.rows]);
    b.indices = reader.Get<uint32_t>(o, "batch", "indices", napi_uint32_array, nnz, true);
    b.values = reader.Get<float>(o, "batch", "values", napi_float32_array, nnz, true);
  } else {
    b.values = reader.Get<float>(o, "batch", "values", napi_float32_array, CheckedProduct(o.Env(), f, b.rows, b.cols), true);
  }
  b.labels = reader.Get<float>(o, "batch", "labels", napi_float32_array, b.rows, false);
  b.weights = reader.Get<float>(o, "batch", "weights", napi_float32_array, b.rows, false);
  return b;
}

}  // namespace boundless
