// rowKernel(kernel, batch, model, params, output) → Promise<Uint32Array flags>: the
// cuda backend's row kernels (row_kernels.cuh) on a libuv thread. The caller
// (lib/backends/cuda.ts through row-kernels.ts) has checked the layout; the
// checks here — sizes against the kernel's parameters, 4-byte element types,
// rows and columns within int32 — keep a bad call from reading or writing past
// an array on the device, which would end the process's CUDA context.
// The typed arrays are kept alive until the call ends; they must not be
// transferred or resized meanwhile (as for every kernel of the core addon).
#include "rows/row_kernels_binding.h"

#include <climits>
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

bool FourByteElements(const Napi::TypedArray& array) {
  const napi_typedarray_type type = array.TypedArrayType();
  return type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array;
}

// The model words and output words the kernel reads and writes for these parameters.
struct Needs {
  size_t model_words, output_words;
};

Needs NeedsOf(const Napi::Env& env, RowKernel kernel, const std::vector<uint32_t>& p, size_t rows, size_t cols) {
  auto product = [&](size_t a, size_t b) { return boundless::CheckedProduct(env, kFunction, a, b); };
  switch (kernel) {
    case RowKernel::kKmeansAssign: return {product(p[0], cols), product(rows, 2 + (p[1] ? size_t{p[0]} : 0))};
    case RowKernel::kPcaProject: return {product(size_t{p[0]} + 1, cols), product(rows, p[0])};
    case RowKernel::kLinearPredict: {
      const size_t width = p[1] == 2 ? p[0] : 1;
      return {product(cols, p[0]) + p[0] + (p[4] ? cols : 0), product(rows, width + (p[3] ? 1 : 0))};
    }
    case RowKernel::kFmPredict: return {product(cols, size_t{p[0]} + 1), product(rows, 1 + (p[4] ? 1 : 0))};
  }
  return {0, 0};
}

Napi::Value RowKernelCall(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  boundless::RequireArgCount(info, kFunction, 5);
  RowCall call;
  call.kernel = KernelOf(env, info[0].ToString().Utf8Value());
  Napi::Object batch = boundless::ObjectArg(info, 1, kFunction, "batch");
  std::vector<Napi::Object> keep;
  HostRowBatch& b = call.batch;
  const size_t rows = boundless::SizeField(batch, kFunction, "rows"), cols = boundless::SizeField(batch, kFunction, "cols");
  if (rows > INT32_MAX || cols > INT32_MAX) {
    throw Napi::RangeError::New(env, std::string(kFunction) + ": a batch of " + std::to_string(rows) + " rows of " + std::to_string(cols) +
                                         " columns; rows and columns must be below 2^31");
  }
  b.rows = static_cast<uint32_t>(rows);
  b.cols = static_cast<uint32_t>(cols);
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
  size_t model_words = 0;
  for (uint32_t i = 0; i < model.Length(); i++) {
    Napi::Value part = model.Get(i);
    if (!part.IsTypedArray() || !FourByteElements(part.As<Napi::TypedArray>())) {
      throw Napi::TypeError::New(env, std::string(kFunction) + ": model[" + std::to_string(i) + "] must be a Float32Array, Int32Array or Uint32Array");
    }
    Napi::TypedArray array = part.As<Napi::TypedArray>();
    void* data = nullptr;
    size_t length = 0;
    napi_typedarray_type type;
    napi_value buffer;
    size_t offset = 0;
    NAPI_THROW_IF_FAILED(env, napi_get_typedarray_info(env, array, &type, &length, &data, &buffer, &offset), Napi::Value());
    call.model.push_back({data, length * 4});
    model_words += length;
    keep.push_back(array);
  }
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, std::string(kFunction) + ": params must be a Uint32Array");
  }
  Napi::Uint32Array params = info[3].As<Napi::Uint32Array>();
  call.params.assign(params.Data(), params.Data() + params.ElementLength());
  if (call.params.size() != ParamCount(call.kernel)) {
    throw Napi::TypeError::New(env, std::string(kFunction) + ": " + info[0].ToString().Utf8Value() + " takes " +
                                        std::to_string(ParamCount(call.kernel)) + " parameter words, got " + std::to_string(call.params.size()));
  }
  if (!info[4].IsTypedArray() || info[4].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(env, std::string(kFunction) + ": output must be a Uint32Array");
  }
  Napi::Uint32Array output = info[4].As<Napi::Uint32Array>();
  call.output = output.Data();
  call.output_words = output.ElementLength();
  keep.push_back(output);
  const Needs needs = NeedsOf(env, call.kernel, call.params, rows, cols);
  if (model_words < needs.model_words || call.output_words < needs.output_words) {
    throw Napi::RangeError::New(env, std::string(kFunction) + ": " + info[0].ToString().Utf8Value() + " with these parameters reads " +
                                         std::to_string(needs.model_words) + " model words and writes " + std::to_string(needs.output_words) +
                                         " output words; got " + std::to_string(model_words) + " and " + std::to_string(call.output_words));
  }
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
