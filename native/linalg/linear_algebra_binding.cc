// JS bindings of the linear-algebra kernels. denseLinear runs as an
// AsyncWorker (work proportional to data never blocks the event loop);
// dot, axpy and denseLinearSync are for small inputs and stay synchronous.
// symmetricEigenAsync runs the eigensolver on a libuv thread (finalize);
// symmetricEigen stays synchronous for merge, which the contract keeps so.
#include "linalg/linear_algebra_binding.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "linalg/add_scaled.h"
#include "linalg/linear_algebra.h"
#include "linalg/symmetric_eigen.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace {

struct DenseLinearArgs {
  Napi::Float32Array x, w, out;
  Napi::Value bias;  // Float32Array or null
  size_t rows, cols, models;
};

// Reads and checks (x, w, bias|null, out, rows, cols, models).
DenseLinearArgs ReadDenseLinearArgs(const Napi::CallbackInfo& info, const char* function) {
  Napi::Env env = info.Env();
  RequireArgCount(info, function, 7);
  DenseLinearArgs args;
  args.x = Float32Arg(info, 0, function, "x");
  args.w = Float32Arg(info, 1, function, "w");
  args.bias = info[2];
  args.out = Float32Arg(info, 3, function, "out");
  args.rows = SizeArg(info, 4, function, "rows");
  args.cols = SizeArg(info, 5, function, "cols");
  args.models = SizeArg(info, 6, function, "models");
  RequireLength(env, function, "x", args.x.ElementLength(),
                CheckedProduct(env, function, args.rows, args.cols));
  RequireLength(env, function, "w", args.w.ElementLength(),
                CheckedProduct(env, function, args.models, args.cols));
  RequireLength(env, function, "out", args.out.ElementLength(),
                CheckedProduct(env, function, args.rows, args.models));
  if (!args.bias.IsNull() && !args.bias.IsUndefined()) {
    Napi::Float32Array bias = Float32Arg(info, 2, function, "bias");
    RequireLength(env, function, "bias", bias.ElementLength(), args.models);
  }
  return args;
}

const float* BiasPointer(const Napi::Value& bias) {
  if (bias.IsNull() || bias.IsUndefined()) return nullptr;
  return bias.As<Napi::Float32Array>().Data();
}

// Holds references to the caller's arrays for the life of the job, so the
// garbage collector cannot free them while a pool thread writes into `out`.
class DenseLinearWorker : public Napi::AsyncWorker {
 public:
  DenseLinearWorker(const Napi::Env& env, DenseLinearArgs args)
      : Napi::AsyncWorker(env, "boundless:denseLinear"),
        deferred_(Napi::Promise::Deferred::New(env)),
        x_ref_(Napi::Persistent(static_cast<Napi::Object>(args.x))),
        w_ref_(Napi::Persistent(static_cast<Napi::Object>(args.w))),
        out_ref_(Napi::Persistent(static_cast<Napi::Object>(args.out))),
        x_(args.x.Data()),
        w_(args.w.Data()),
        bias_(BiasPointer(args.bias)),
        out_(args.out.Data()),
        rows_(args.rows),
        cols_(args.cols),
        models_(args.models) {
    if (bias_ != nullptr) bias_ref_ = Napi::Persistent(args.bias.As<Napi::Object>());
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    TokenScope token(serial_);
    try {
      DenseLinear(x_, w_, bias_, out_, rows_, cols_, models_);
    } catch (const std::exception& error) {
      SetError(std::string("denseLinear: ") + error.what());
    }
  }

  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  const bool serial_ = CallerRunsSerially();  // the queuing thread's (SetCallerSerial)
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference x_ref_, w_ref_, out_ref_, bias_ref_;
  const float* x_;
  const float* w_;
  const float* bias_;
  float* out_;
  size_t rows_, cols_, models_;
};

Napi::Value DenseLinearAsync(const Napi::CallbackInfo& info) {
  DenseLinearArgs args = ReadDenseLinearArgs(info, "denseLinear");
  auto* worker = new DenseLinearWorker(info.Env(), args);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value DenseLinearSync(const Napi::CallbackInfo& info) {
  DenseLinearArgs args = ReadDenseLinearArgs(info, "denseLinearSync");
  SelectedLinearAlgebraKernels().dense_linear_rows(args.x.Data(), args.w.Data(),
                                                    BiasPointer(args.bias), args.out.Data(), 0,
                                                    args.rows, args.cols, args.models);
  return info.Env().Undefined();
}

Napi::Value Dot(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "dot", 2);
  Napi::Float32Array a = Float32Arg(info, 0, "dot", "a");
  Napi::Float32Array b = Float32Arg(info, 1, "dot", "b");
  RequireLength(info.Env(), "dot", "b", b.ElementLength(), a.ElementLength());
  float result = SelectedLinearAlgebraKernels().dot(a.Data(), b.Data(), a.ElementLength());
  return Napi::Number::New(info.Env(), result);
}

Napi::Value Axpy(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "axpy", 3);
  if (!info[0].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "axpy: argument alpha must be a number");
  }
  float alpha = info[0].As<Napi::Number>().FloatValue();
  Napi::Float32Array x = Float32Arg(info, 1, "axpy", "x");
  Napi::Float32Array y = Float32Arg(info, 2, "axpy", "y");
  RequireLength(info.Env(), "axpy", "y", y.ElementLength(), x.ElementLength());
  SelectedLinearAlgebraKernels().axpy(alpha, x.Data(), y.Data(), x.ElementLength());
  return info.Env().Undefined();
}

// A float32 or float64 typed array's elements, for addScaled.
struct RealArray {
  void* data = nullptr;
  size_t length = 0;
  bool wide = false;  // float64
};

RealArray RealArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  const Napi::Value value = info[index];
  if (value.IsTypedArray()) {
    Napi::TypedArray array = value.As<Napi::TypedArray>();
    const napi_typedarray_type type = array.TypedArrayType();
    if (type == napi_float32_array || type == napi_float64_array) {
      return {static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset(), array.ElementLength(), type == napi_float64_array};
    }
  }
  throw Napi::TypeError::New(info.Env(), std::string("addScaled: argument ") + name + " must be a Float32Array or Float64Array");
}

// addScaled(out, source, scale): out[k] += scale × source[k] in place (AddScaled). Synchronous:
// a merge round's arithmetic, state-sized, where a JavaScript loop was most of a round that every
// worker waits for.
Napi::Value AddScaledValue(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "addScaled", 3);
  RealArray out = RealArg(info, 0, "out"), source = RealArg(info, 1, "source");
  if (!info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "addScaled: argument scale must be a number");
  const double scale = info[2].As<Napi::Number>().DoubleValue();
  RequireLength(info.Env(), "addScaled", "source", source.length, out.length);
  const size_t n = out.length;
  if (out.wide && source.wide) AddScaled(static_cast<double*>(out.data), static_cast<const double*>(source.data), scale, n);
  else if (out.wide) AddScaled(static_cast<double*>(out.data), static_cast<const float*>(source.data), scale, n);
  else if (source.wide) AddScaled(static_cast<float*>(out.data), static_cast<const double*>(source.data), scale, n);
  else AddScaled(static_cast<float*>(out.data), static_cast<const float*>(source.data), scale, n);
  return info.Env().Undefined();
}

// The arguments of symmetricEigen(matrix: Float64Array (n × n, lower triangle read), n, count = n).
struct EigenCall {
  Napi::Float64Array matrix;
  size_t n, count;
};

EigenCall ReadEigen(const Napi::CallbackInfo& info, const char* f) {
  RequireArgCount(info, f, info.Length() == 3 ? 3 : 2);
  EigenCall call;
  call.count = info.Length() == 3 && !info[2].IsUndefined() ? SizeArg(info, 2, f, "count") : SIZE_MAX;
  call.matrix = Float64Arg(info, 0, f, "matrix");
  call.n = SizeArg(info, 1, f, "n");
  RequireLength(info.Env(), f, "matrix", call.matrix.ElementLength(), CheckedProduct(info.Env(), f, call.n, call.n));
  return call;
}

// Checks every entry is finite (a NaN would make QR wander), then decomposes.
SymmetricEigen Decompose(const double* matrix, size_t n, size_t count, const char* f) {
  for (size_t i = 0; i < n * n; i++) {
    if (!std::isfinite(matrix[i])) throw std::invalid_argument(std::string(f) + ": matrix has a non-finite entry");
  }
  try {
    return DecomposeSymmetric(matrix, n, count);
  } catch (const std::exception& error) {
    throw std::runtime_error(std::string(f) + ": " + error.what());
  }
}

// { values (n), vectors (count × n: those of the count largest values), sweeps }
Napi::Value EigenObject(Napi::Env env, const SymmetricEigen& result) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Float64Array values = Napi::Float64Array::New(env, result.values.size());
  Napi::Float64Array vectors = Napi::Float64Array::New(env, result.vectors.size());
  std::copy(result.values.begin(), result.values.end(), values.Data());
  std::copy(result.vectors.begin(), result.vectors.end(), vectors.Data());
  out.Set("values", values);
  out.Set("vectors", vectors);
  out.Set("sweeps", static_cast<double>(result.sweeps));
  return out;
}

// symmetricEigen(matrix, n, count = n) → { values, vectors, sweeps }, synchronously: for PCA's
// merge of Frequent Directions shards (merge is synchronous by contract) and small matrices.
Napi::Value SymmetricEigenValue(const Napi::CallbackInfo& info) {
  const char* f = "symmetricEigen";
  EigenCall call = ReadEigen(info, f);
  try {
    return EigenObject(info.Env(), Decompose(call.matrix.Data(), call.n, call.count, f));
  } catch (const std::invalid_argument& error) {
    throw Napi::RangeError::New(info.Env(), error.what());
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), error.what());
  }
}

// symmetricEigenAsync(matrix, n, count = n) → Promise<{ values, vectors, sweeps }>: the O(n³)
// decomposition on a libuv thread (PCA's finalize: d × d in the regular mode), the event loop free.
Napi::Value SymmetricEigenAsync(const Napi::CallbackInfo& info) {
  const char* f = "symmetricEigenAsync";
  EigenCall call = ReadEigen(info, f);
  ArrayReader reader(info.Env(), f);
  reader.Keep(call.matrix);
  const double* matrix = call.matrix.Data();
  const size_t n = call.n, count = call.count;
  return QueueResultKernel<SymmetricEigen>(info.Env(), "boundless:symmetricEigen", reader,
                                           [=]() { return Decompose(matrix, n, count, f); }, [](Napi::Env env, SymmetricEigen& r) { return EigenObject(env, r); });
}

}  // namespace

void RegisterLinearAlgebra(Napi::Env env, Napi::Object exports) {
  exports.Set("denseLinear", Napi::Function::New(env, DenseLinearAsync, "denseLinear"));
  exports.Set("denseLinearSync", Napi::Function::New(env, DenseLinearSync, "denseLinearSync"));
  exports.Set("dot", Napi::Function::New(env, Dot, "dot"));
  exports.Set("axpy", Napi::Function::New(env, Axpy, "axpy"));
  exports.Set("addScaled", Napi::Function::New(env, AddScaledValue, "addScaled"));
  exports.Set("symmetricEigen", Napi::Function::New(env, SymmetricEigenValue, "symmetricEigen"));
  exports.Set("symmetricEigenAsync", Napi::Function::New(env, SymmetricEigenAsync, "symmetricEigenAsync"));
}

}  // namespace boundless
