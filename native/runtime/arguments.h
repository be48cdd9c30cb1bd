// Argument checks at the JS boundary. Every message names the function, the
// argument and what was expected, as hnswlib-node's do, so a misuse from JS
// is a clear TypeError/RangeError and never an out-of-bounds access.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace boundless {

inline Napi::Float32Array Float32Arg(const Napi::CallbackInfo& info, size_t index,
                                     const char* function, const char* name) {
  Napi::Value value = info[index];
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + ": argument " + name +
                                               " must be a Float32Array");
  }
  return value.As<Napi::Float32Array>();
}

// info[index] as a Float64Array, or a TypeError naming the argument.
inline Napi::Float64Array Float64Arg(const Napi::CallbackInfo& info, size_t index, const char* function, const char* name) {
  if (!info[index].IsTypedArray() || info[index].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + ": argument " + name + " must be a Float64Array");
  }
  return info[index].As<Napi::Float64Array>();
}

inline size_t SizeArg(const Napi::CallbackInfo& info, size_t index, const char* function,
                      const char* name) {
  Napi::Value value = info[index];
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + ": argument " + name +
                                               " must be a non-negative integer");
  }
  double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0) || number != static_cast<double>(static_cast<int64_t>(number)) ||
      number > 9007199254740991.0) {
    throw Napi::RangeError::New(info.Env(), std::string(function) + ": argument " + name +
                                                " must be a non-negative integer, got " +
                                                value.ToString().Utf8Value());
  }
  return static_cast<size_t>(number);
}

inline void RequireLength(const Napi::Env& env, const char* function, const char* name,
                          size_t given, size_t expected) {
  if (given != expected) {
    throw Napi::RangeError::New(env, std::string(function) + ": " + name + " has length " +
                                         std::to_string(given) + ", expected " +
                                         std::to_string(expected));
  }
}

inline void RequireArgCount(const Napi::CallbackInfo& info, const char* function,
                            size_t expected) {
  if (info.Length() != expected) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + ": given " +
                                               std::to_string(info.Length()) +
                                               " arguments, expected " +
                                               std::to_string(expected));
  }
}

// rows * cols without overflow, or a RangeError.
inline size_t CheckedProduct(const Napi::Env& env, const char* function, size_t a, size_t b) {
  if (a != 0 && b > SIZE_MAX / a) {
    throw Napi::RangeError::New(env, std::string(function) + ": dimensions overflow");
  }
  return a * b;
}

// Fields of settings objects and object arguments, checked, with the function named in errors.
inline double NumberField(const Napi::Object& object, const char* function, const char* name) {
  Napi::Value value = object.Get(name);
  if (!value.IsNumber()) {
    throw Napi::TypeError::New(object.Env(), std::string(function) + ": settings." + name + " must be a number");
  }
  return value.As<Napi::Number>().DoubleValue();
}

inline size_t SizeField(const Napi::Object& object, const char* function, const char* name) {
  double value = NumberField(object, function, name);
  if (!(value >= 0) || value != static_cast<double>(static_cast<int64_t>(value))) {
    throw Napi::RangeError::New(object.Env(), std::string(function) + ": settings." + name + " must be a non-negative integer");
  }
  return static_cast<size_t>(value);
}

inline bool BoolField(const Napi::Object& object, const char* name) { return object.Get(name).ToBoolean().Value(); }

inline Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index, const char* function, const char* name) {
  if (!info[index].IsObject()) {
    throw Napi::TypeError::New(info.Env(), std::string(function) + ": argument " + name + " must be an object");
  }
  return info[index].As<Napi::Object>();
}

}  // namespace boundless
