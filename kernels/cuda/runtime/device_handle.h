// A state kept on the device, handed to JavaScript as an External handle: the
// bindings' open, argument and close steps (pca_moments, pca_sketch,
// kmeans_update). `Close` frees the device memory and may run twice: once when
// JavaScript closes the handle, again when the External is collected.
#pragma once

#include <napi.h>

#include <climits>
#include <memory>
#include <string>

#include "runtime/arguments.h"

namespace boundless_cuda {

// The handle of a state `open` filled in ("" or why it could not); on an error the state is freed
// and the error thrown, prefixed with fn.
template <class T, void (*Close)(T&)>
Napi::Value NewHandle(Napi::Env env, const char* fn, std::unique_ptr<T> state, const std::string& error) {
  if (!error.empty()) {
    Close(*state);
    throw Napi::Error::New(env, std::string(fn) + ": " + error);
  }
  return Napi::External<T>::New(env, state.release(), [](Napi::Env, T* held) {
    Close(*held);
    delete held;
  });
}

// info[0] as the state of an open handle made by `opener`; a TypeError or "the handle is closed" otherwise.
template <class T>
T& HandleArg(const Napi::CallbackInfo& info, const char* fn, const char* opener) {
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument handle must come from " + opener);
  T* state = info[0].As<Napi::External<T>>().Data();
  if (state->device < 0) throw Napi::Error::New(info.Env(), std::string(fn) + ": the handle is closed");
  return *state;
}

// fnClose(handle): frees the device memory now (a closed handle may be closed again).
template <class T, void (*Close)(T&)>
Napi::Value CloseHandle(const Napi::CallbackInfo& info, const char* fn, const char* opener) {
  boundless::RequireArgCount(info, fn, 1);
  if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument handle must come from " + opener);
  Close(*info[0].As<Napi::External<T>>().Data());
  return info.Env().Undefined();
}

// A batch's rows as the bindings take them: info[1] values (rows × dim float32), info[2] their
// weights (rows float32, or null for 1s), info[rows_at] rows (at most INT_MAX); lengths checked.
struct RowsArg {
  const float* values;
  const float* weights;
  size_t rows;
};

inline RowsArg BatchRowsArg(const Napi::CallbackInfo& info, const char* fn, size_t rows_at, size_t dim) {
  Napi::Env env = info.Env();
  Napi::Float32Array values = boundless::Float32Arg(info, 1, fn, "values");
  const size_t rows = boundless::SizeArg(info, rows_at, fn, "rows");
  if (rows > INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": rows must be at most " + std::to_string(INT_MAX));
  boundless::RequireLength(env, fn, "values", values.ElementLength(), boundless::CheckedProduct(env, fn, rows, dim));
  const float* weights = nullptr;
  if (!info[2].IsNull()) {
    Napi::Float32Array w = boundless::Float32Arg(info, 2, fn, "weights");
    boundless::RequireLength(env, fn, "weights", w.ElementLength(), rows);
    weights = w.Data();
  }
  return {values.Data(), weights, rows};
}

// info[at] as `length` float64 values, or null (then nullptr).
inline const double* OptionalFloat64Arg(const Napi::CallbackInfo& info, size_t at, const char* fn, const char* name, size_t length) {
  if (info[at].IsNull()) return nullptr;
  Napi::Float64Array array = boundless::Float64Arg(info, at, fn, name);
  boundless::RequireLength(info.Env(), fn, name, array.ElementLength(), length);
  return array.Data();
}

// info[index] as an Int32Array, or a TypeError naming it.
inline Napi::Int32Array Int32ArrayArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* name) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument " + name + " must be an Int32Array");
  }
  return info[index].As<Napi::Int32Array>();
}

// info[index] as a state's parts: an Array of `count` entries, entry i a Float32Array of lengths[i] floats or null
// (names[i] in messages); their data into out, null where absent.
inline void FloatPartsArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const char* const* names, const size_t* lengths, size_t count,
                          float** out) {
  Napi::Env env = info.Env();
  if (!info[index].IsArray() || info[index].As<Napi::Array>().Length() != count) {
    throw Napi::TypeError::New(env, std::string(fn) + ": argument parts must be an Array of " + std::to_string(count) + " Float32Array or null");
  }
  Napi::Array parts = info[index].As<Napi::Array>();
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value part = parts.Get(i);
    out[i] = nullptr;
    if (part.IsNull() || part.IsUndefined()) continue;
    if (!part.IsTypedArray() || part.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
      throw Napi::TypeError::New(env, std::string(fn) + ": parts." + names[i] + " must be a Float32Array or null");
    }
    Napi::Float32Array array = part.As<Napi::Float32Array>();
    boundless::RequireLength(env, fn, (std::string("parts.") + names[i]).c_str(), array.ElementLength(), lengths[i]);
    out[i] = array.Data();
  }
}

}  // namespace boundless_cuda
