// The writers' bindings: a batch (or prediction arrays) encoded into a
// caller's Uint8Array, off the event loop. The caller asks for the bound
// first and passes a buffer at least that long, which it reuses from batch to
// batch; the promise resolves to the bytes written from out[0].
#include "io/writer_binding.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/prediction_lines.h"
#include "io/row_writer.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace {

// Runs an encoder on a libuv thread (or inline when it is small) and resolves to its byte count.
class EncodeWorker : public Napi::AsyncWorker {
 public:
  EncodeWorker(Napi::Env env, const char* name, std::vector<Napi::ObjectReference> references, std::function<size_t()> body)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), references_(std::move(references)),
        body_(std::move(body)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override {
    TokenScope token(serial_);
    try {
      written_ = body_();
    } catch (const std::exception& error) {
      SetError(error.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), static_cast<double>(written_))); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  const bool serial_ = CallerRunsSerially();  // the queuing thread's (SetCallerSerial)
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> references_;
  std::function<size_t()> body_;
  size_t written_ = 0;
};

Napi::Value QueueEncoder(Napi::Env env, const char* name, ArrayReader& reader, std::function<size_t()> body, double work) {
  if (work < kInlineWork) {
    auto deferred = Napi::Promise::Deferred::New(env);
    try {
      deferred.Resolve(Napi::Number::New(env, static_cast<double>(body())));
    } catch (const std::exception& error) {
      deferred.Reject(Napi::Error::New(env, error.what()).Value());
    }
    return deferred.Promise();
  }
  auto* worker = new EncodeWorker(env, name, reader.Take(), std::move(body));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

RowFormat FormatArg(const Napi::CallbackInfo& info, const char* f) {
  RowFormat format;
  if (!info[0].IsString() || !ParseRowFormat(info[0].As<Napi::String>().Utf8Value(), &format)) {
    throw Napi::TypeError::New(info.Env(), std::string(f) + ": argument format must be csv, libsvm, jsonl or recordio");
  }
  return format;
}

// rowBytesBound(format, batch): the Uint8Array length encodeRows needs for this batch.
Napi::Value RowBytesBoundJs(const Napi::CallbackInfo& info) {
  const char* f = "rowBytesBound";
  RequireArgCount(info, f, 2);
  RowFormat format = FormatArg(info, f);
  ArrayReader reader(info.Env(), f);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  if (batch.sparse && batch.indptr[0] < 0) reader.Fail("batch", "indptr", "starts below zero");
  return Napi::Number::New(info.Env(), static_cast<double>(RowBytesBound(format, batch, batch.rows)));
}

// encodeRows(format, batch, out): Promise of the bytes written at out[0].
Napi::Value EncodeRowsJs(const Napi::CallbackInfo& info) {
  const char* f = "encodeRows";
  RequireArgCount(info, f, 3);
  RowFormat format = FormatArg(info, f);
  ArrayReader reader(info.Env(), f);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 1, f, "batch"), f);
  if (batch.sparse && batch.indptr[0] < 0) reader.Fail("batch", "indptr", "starts below zero");
  const size_t bound = RowBytesBound(format, batch, batch.rows);
  uint8_t* out = reader.Arg<uint8_t>(info, 2, "out", napi_uint8_array, bound, true);
  // Formatting a number costs about as much as 20 multiply-adds; copying a float's bytes, one.
  const double work = StoredValues(batch) * (format == RowFormat::kRecordio ? 1 : 20) + static_cast<double>(batch.rows);
  return QueueEncoder(info.Env(), "boundless:encodeRows", reader, [=]() { return EncodeRows(format, batch, out); }, work);
}

// outputs: [{ key: '"name"' (JSON), values: Float32Array|Float64Array|Int32Array|Uint32Array, width, vector? }].
std::vector<PredictionOutput> ReadOutputs(ArrayReader& reader, const Napi::CallbackInfo& info, const char* f, size_t rows) {
  if (!info[0].IsArray()) throw Napi::TypeError::New(info.Env(), std::string(f) + ": argument outputs must be an array");
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<PredictionOutput> outputs(list.Length());
  for (uint32_t i = 0; i < list.Length(); ++i) {
    if (!list.Get(i).IsObject()) throw Napi::TypeError::New(info.Env(), std::string(f) + ": outputs[" + std::to_string(i) + "] must be an object");
    Napi::Object entry = list.Get(i).As<Napi::Object>();
    PredictionOutput& output = outputs[i];
    if (!entry.Get("key").IsString()) reader.Fail("outputs[i]", "key", "must be a string");
    output.key = entry.Get("key").As<Napi::String>().Utf8Value();
    output.width = SizeField(entry, f, "width");
    output.vector = entry.Get("vector").ToBoolean().Value();
    const size_t length = CheckedProduct(info.Env(), f, rows, output.width);
    Napi::Value values = entry.Get("values");
    napi_typedarray_type type = values.IsTypedArray() ? values.As<Napi::TypedArray>().TypedArrayType() : napi_uint8_array;
    switch (type) {
      case napi_float32_array: output.type = PredictionOutput::Type::kFloat32; break;
      case napi_float64_array: output.type = PredictionOutput::Type::kFloat64; break;
      case napi_int32_array: output.type = PredictionOutput::Type::kInt32; break;
      case napi_uint32_array: output.type = PredictionOutput::Type::kUint32; break;
      default: reader.Fail("outputs[i]", "values", "must be a Float32Array, Float64Array, Int32Array or Uint32Array");
    }
    output.values = reader.Get<void>(entry, "outputs[i]", "values", type, length, true);
  }
  return outputs;
}

// predictionLinesBound(outputs, rows): the Uint8Array length encodePredictionLines needs.
Napi::Value PredictionLinesBoundJs(const Napi::CallbackInfo& info) {
  const char* f = "predictionLinesBound";
  RequireArgCount(info, f, 2);
  ArrayReader reader(info.Env(), f);
  size_t rows = SizeArg(info, 1, f, "rows");
  return Napi::Number::New(info.Env(), static_cast<double>(PredictionLinesBound(ReadOutputs(reader, info, f, rows), rows)));
}

// encodePredictionLines(outputs, rows, out): Promise of the bytes written at out[0].
Napi::Value EncodePredictionLinesJs(const Napi::CallbackInfo& info) {
  const char* f = "encodePredictionLines";
  RequireArgCount(info, f, 3);
  ArrayReader reader(info.Env(), f);
  size_t rows = SizeArg(info, 1, f, "rows");
  auto outputs = std::make_shared<std::vector<PredictionOutput>>(ReadOutputs(reader, info, f, rows));
  uint8_t* out = reader.Arg<uint8_t>(info, 2, "out", napi_uint8_array, PredictionLinesBound(*outputs, rows), true);
  double work = 0;
  for (const PredictionOutput& output : *outputs) work += 20.0 * static_cast<double>(rows * output.width);
  return QueueEncoder(info.Env(), "boundless:encodePredictionLines", reader,
                      [=]() { return EncodePredictionLines(*outputs, rows, out); }, work);
}

}  // namespace

void RegisterWriters(Napi::Env env, Napi::Object exports) {
  exports.Set("rowBytesBound", Napi::Function::New(env, RowBytesBoundJs, "rowBytesBound"));
  exports.Set("encodeRows", Napi::Function::New(env, EncodeRowsJs, "encodeRows"));
  exports.Set("predictionLinesBound", Napi::Function::New(env, PredictionLinesBoundJs, "predictionLinesBound"));
  exports.Set("encodePredictionLines", Napi::Function::New(env, EncodePredictionLinesJs, "encodePredictionLines"));
}

}  // namespace boundless
