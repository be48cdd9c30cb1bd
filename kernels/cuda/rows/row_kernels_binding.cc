// rowKernel(kernel, batch, model, params, output) → Promise<Uint32Array flags>: the
// cuda backend's row kernels (row_kernels.cuh) on a libuv thread. The caller
// (lib/backends/cuda.ts through row-kernels.ts) has checked the layout; the
// checks here keep a bad call from reading past an array.
#include "rows/row_kernels_binding.h"

#include <string>
#include <vector>

#include "rows/row_kernels.cuh"
#include "runtime/arguments.h"

namespace boundless_cuda {
namespace {

const char* kFunction = "cuda rowKernel";

RowKernel KernelOf(const Napi::Env& env, const std::string& name) {
  if (name == "kmeansAssign") return RowKernel::kKmeansAssign;
  if (name == "pcaProject") return RowKernel::kPcaProject;
  if (name == "linearLearnerPredict") return RowKernel::kLinearPredict;
  if (name == "fmPredict") return RowKernel::kFmPredict;
  throw Napi::TypeError::New(env, std::string(kFunction) + ": no row kernel '" + name + "'");
}

// A typed array field of the batch, at least `length` elements.
template <class Array>
Array ArrayField(const Napi::Object& batch, const char* name, napi_typedarray_type type, size_t length) {
  Napi::Value value = batch.Get(name);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw Napi::TypeError::New(batch.Env(), std::string(kFunction) + ": batch." + name + " has the wrong type");
  }
  Array array = value.As<Array>();
  if (array.ElementLength() < length) {
    throw Napi::RangeError::New(batch.Env(), std::string(kFunction) + ": batch." + name + " has " +
                                std::to_string(array.ElementLength()) + " entries, expected at least " + std::to_string(length));
  }
  return array;
}

class RowKernelWorker : public Napi::AsyncWorker {
 public:
  RowKernelWorker(const Napi::Env& env, RowCall call, std::vector<Napi::Object> keep)
      : Napi::AsyncWorker(env, "boundless:cudaRowKernel"), deferred_(Napi::Promise::Deferred::New(env)), call_(std::move(call)) {
    for (Napi::Object& object : keep) refs_.push_back(Napi::Persistent(object));
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override {
    std::string error = RunRowKernel(call_);
    if (!error.empty()) SetError("cuda rowKernel: " + error);
  }
  void OnOK() override {
    constexpr size_t count = sizeof call_.flags / sizeof call_.flags[0];
    Napi::Uint32Array flags = Napi::Uint32Array::New(Env(), count);
    for (size_t i = 0; i < count; i++) flags[i] = call_.flags[i];
    deferred_.Resolve(flags);
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  RowCall call_;
  std::vector<Napi::ObjectReference> refs_;
};

Napi::Value RowKernelCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  boundless::RequireArgCount(info, kFunction, 5);
  RowCall call;
  call.kernel = KernelOf(env, info[0].ToString().Utf8Value());
  Napi::Object batch = boundless::ObjectArg(info, 1, kFunction, "batch");
  std::vector<Napi::Object> keep;
  HostRowBatch& b = call.batch;
  b.rows = static_cast<uint32_t>(boundless::SizeField(batch, kFunction, "rows"));
  b.cols = static_cast<uint32_t>(boundless::SizeField(batch, kFunction, "cols"));
  b.sparse = batch.Get("kind").ToString().Utf8Value() == "sparse";
  if (b.sparse) {
    Napi::Int32Array indptr = ArrayField<Napi::Int32Array>(batch, "indptr", napi_int32_array, b.rows + 1);
    b.indptr = indptr.Data();
    const int32_t nnz = b.indptr[b.rows];
    if (nnz < 0) throw Napi::RangeError::New(env, std::string(kFunction) + ": batch.indptr ends below 0");
    b.nnz = static_cast<uint32_t>(nnz);
    Napi::Uint32Array indices = ArrayField<Napi::Uint32Array>(batch, "indices", napi_uint32_array, b.nnz);
    Napi::Float32Array values = ArrayField<Napi::Float32Array>(batch, "values", napi_float32_array, b.nnz);
    b.indices = indices.Data();
    b.values = values.Data();
    keep.insert(keep.end(), {indptr, indices, values});
  } else {
    Napi::Float32Array values = ArrayField<Napi::Float32Array>(batch, "values", napi_float32_array,
                                                               boundless::CheckedProduct(env, kFunction, b.rows, b.cols));
    b.values = values.Data();
    keep.push_back(values);
  }
  if (!info[2].IsArray()) throw Napi::TypeError::New(env, std::string(kFunction) + ": model must be an array of typed arrays");
  Napi::Array model = info[2].As<Napi::Array>();
  for (uint32_t i = 0; i < model.Length(); i++) {
    Napi::Value part = model.Get(i);
    if (!part.IsTypedArray()) throw Napi::TypeError::New(env, std::string(kFunction) + ": model[" + std::to_string(i) + "] is not a typed array");
    Napi::TypedArray array = part.As<Napi::TypedArray>();
    call.model.push_back({static_cast<const char*>(array.ArrayBuffer().Data()) + array.ByteOffset(), array.ByteLength()});
    keep.push_back(array);
  }
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, std::string(kFunction) + ": params must be a Uint32Array");
  }
  Napi::Uint32Array params = info[3].As<Napi::Uint32Array>();
  call.params.assign(params.Data(), params.Data() + params.ElementLength());
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, std::string(kFunction) + ": output must be a Uint32Array");
  }
  Napi::Uint32Array output = info[4].As<Napi::Uint32Array>();
  call.output = output.Data();
  call.output_words = output.ElementLength();
  keep.push_back(output);
  auto* worker = new RowKernelWorker(env, std::move(call), std::move(keep));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitRowKernels(Napi::Env env, Napi::Object exports) {
  exports.Set("rowKernel", Napi::Function::New(env, RowKernelCall, "rowKernel"));
}

}  // namespace boundless_cuda
