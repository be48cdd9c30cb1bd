#include "runtime/rows_arg.h"

#include <climits>
#include <string>

#include "runtime/arguments.h"

namespace boundless_cuda {
namespace {

using boundless::CheckedProduct;
using boundless::Float32Arg;
using boundless::RequireLength;
using boundless::SizeArg;

bool IsTyped(const Napi::Value& value, napi_typedarray_type type) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == type;
}

}  // namespace

HostRows HostRowsArg(const Napi::CallbackInfo& info, const char* fn, size_t first, size_t rows_at, uint32_t dim) {
  Napi::Env env = info.Env();
  HostRows b;
  b.rows = SizeArg(info, rows_at, fn, "rows");
  if (b.rows > INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": rows must be at most " + std::to_string(INT_MAX));
  Napi::Float32Array labels = Float32Arg(info, first, fn, "labels");
  RequireLength(env, fn, "labels", labels.ElementLength(), b.rows);
  b.labels = labels.Data();
  if (!info[first + 1].IsNull()) {
    Napi::Float32Array w = Float32Arg(info, first + 1, fn, "weights");
    RequireLength(env, fn, "weights", w.ElementLength(), b.rows);
    b.weights = w.Data();
  }
  Napi::Float32Array values = Float32Arg(info, first + 2, fn, "values");
  b.values = values.Data();
  b.sparse = !info[first + 3].IsNull();
  if (!b.sparse) {
    RequireLength(env, fn, "values", values.ElementLength(), CheckedProduct(env, fn, b.rows, dim));
    return b;
  }
  if (!IsTyped(info[first + 3], napi_int32_array)) throw Napi::TypeError::New(env, std::string(fn) + ": argument indptr must be an Int32Array or null");
  if (!IsTyped(info[first + 4], napi_uint32_array)) throw Napi::TypeError::New(env, std::string(fn) + ": argument indices must be a Uint32Array");
  Napi::Int32Array indptr = info[first + 3].As<Napi::Int32Array>();
  Napi::Uint32Array indices = info[first + 4].As<Napi::Uint32Array>();
  RequireLength(env, fn, "indptr", indptr.ElementLength(), b.rows + 1);
  b.nnz = values.ElementLength();
  RequireLength(env, fn, "indices", indices.ElementLength(), b.nnz);
  if (b.nnz > INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": a batch's non-zeros must be at most " + std::to_string(INT_MAX));
  b.indptr = indptr.Data();
  b.indices = indices.Data();
  if (static_cast<size_t>(b.indptr[b.rows]) != b.nnz) {
    throw Napi::RangeError::New(env, std::string(fn) + ": indptr[rows] is " + std::to_string(b.indptr[b.rows]) + ", expected the " + std::to_string(b.nnz) + " values");
  }
  return b;
}

HostRows FeatureRowsArg(const Napi::CallbackInfo& info, const char* fn, size_t first, size_t rows, uint32_t dim, const std::string& name) {
  Napi::Env env = info.Env();
  HostRows b;
  b.rows = rows;
  Napi::Float32Array values = Float32Arg(info, first, fn, (name + "Values").c_str());
  b.values = values.Data();
  b.sparse = !info[first + 1].IsNull();
  if (!b.sparse) {
    RequireLength(env, fn, (name + "Values").c_str(), values.ElementLength(), CheckedProduct(env, fn, rows, dim));
    return b;
  }
  if (!IsTyped(info[first + 1], napi_int32_array)) throw Napi::TypeError::New(env, std::string(fn) + ": argument " + name + "Indptr must be an Int32Array or null");
  if (!IsTyped(info[first + 2], napi_uint32_array)) throw Napi::TypeError::New(env, std::string(fn) + ": argument " + name + "Indices must be a Uint32Array");
  Napi::Int32Array indptr = info[first + 1].As<Napi::Int32Array>();
  Napi::Uint32Array indices = info[first + 2].As<Napi::Uint32Array>();
  RequireLength(env, fn, (name + "Indptr").c_str(), indptr.ElementLength(), rows + 1);
  b.nnz = values.ElementLength();
  RequireLength(env, fn, (name + "Indices").c_str(), indices.ElementLength(), b.nnz);
  b.indptr = indptr.Data();
  b.indices = indices.Data();
  if (static_cast<size_t>(b.indptr[rows]) != b.nnz) {
    throw Napi::RangeError::New(env, std::string(fn) + ": " + name + "Indptr[rows] is " + std::to_string(b.indptr[rows]) + ", expected the " + std::to_string(b.nnz) + " values");
  }
  return b;
}

std::string CheckCsr(const HostRows& b, uint32_t dim) {
  if (!b.sparse) return "";
  if (b.indptr[0] != 0) return "indptr[0] must be 0, got " + std::to_string(b.indptr[0]);
  for (size_t r = 0; r < b.rows; r++) {
    if (b.indptr[r + 1] < b.indptr[r]) return "row " + std::to_string(r) + ": indptr decreases";
    for (int32_t k = b.indptr[r]; k < b.indptr[r + 1]; k++) {
      if (b.indices[k] >= dim) return "row " + std::to_string(r) + ": feature index " + std::to_string(b.indices[k]) + " is not below dim " + std::to_string(dim);
    }
  }
  return "";
}

}  // namespace boundless_cuda
