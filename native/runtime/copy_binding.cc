// JS binding of copyArrays (copy_binding.h).
#include "runtime/copy_binding.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/async_kernel.h"

namespace boundless {
namespace {

constexpr const char* kFunction = "copyArrays";

struct CopyPair {
  const uint8_t* source;
  uint8_t* target;
  size_t bytes;
  // 0: a plain copy; 1: int32 rebased; 2: uint32 rebased.
  int rebase;
  size_t length;
};

[[noreturn]] void Fail(Napi::Env env, const std::string& message, bool range = false) {
  if (range) throw Napi::RangeError::New(env, std::string(kFunction) + ": " + message);
  throw Napi::TypeError::New(env, std::string(kFunction) + ": " + message);
}

Napi::Array ArrayArg(const Napi::CallbackInfo& info, size_t index, const char* name) {
  if (!info[index].IsArray()) Fail(info.Env(), std::string(name) + " must be an array");
  return info[index].As<Napi::Array>();
}

Napi::TypedArray TypedAt(Napi::Env env, const Napi::Array& list, uint32_t i, const char* name) {
  Napi::Value value = list.Get(i);
  if (!value.IsTypedArray()) Fail(env, std::string(name) + "[" + std::to_string(i) + "] must be a typed array");
  return value.As<Napi::TypedArray>();
}

uint8_t* BytesOf(const Napi::TypedArray& array) {
  return static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
}

void Run(const std::vector<CopyPair>& pairs) {
  for (const CopyPair& p : pairs) {
    if (p.rebase == 0) {
      if (p.bytes > 0) std::memcpy(p.target, p.source, p.bytes);
    } else if (p.rebase == 1) {
      const auto* from = reinterpret_cast<const int32_t*>(p.source);
      auto* to = reinterpret_cast<int32_t*>(p.target);
      const int32_t base = p.length > 0 ? from[0] : 0;
      for (size_t k = 0; k < p.length; k++) to[k] = from[k] - base;
    } else {
      const auto* from = reinterpret_cast<const uint32_t*>(p.source);
      auto* to = reinterpret_cast<uint32_t*>(p.target);
      const uint32_t base = p.length > 0 ? from[0] : 0;
      for (size_t k = 0; k < p.length; k++) to[k] = from[k] - base;
    }
  }
}

Napi::Value CopyArrays(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3) Fail(env, "expected 3 arguments (sources, targets, rebase)");
  Napi::Array sources = ArrayArg(info, 0, "sources"), targets = ArrayArg(info, 1, "targets"), rebase = ArrayArg(info, 2, "rebase");
  if (targets.Length() != sources.Length() || rebase.Length() != sources.Length()) {
    Fail(env, "sources, targets and rebase must have the same length, got " + std::to_string(sources.Length()) + ", " +
                  std::to_string(targets.Length()) + " and " + std::to_string(rebase.Length()), true);
  }
  ArrayReader reader(env, kFunction);
  std::vector<CopyPair> pairs;
  double bytes = 0;
  for (uint32_t i = 0; i < sources.Length(); i++) {
    Napi::TypedArray source = TypedAt(env, sources, i, "sources"), target = TypedAt(env, targets, i, "targets");
    const std::string at = "[" + std::to_string(i) + "]";
    if (source.TypedArrayType() != target.TypedArrayType()) Fail(env, "targets" + at + " is not of sources" + at + "'s type");
    if (source.ElementLength() != target.ElementLength()) {
      Fail(env, "targets" + at + " has length " + std::to_string(target.ElementLength()) + ", sources" + at + " " +
                    std::to_string(source.ElementLength()), true);
    }
    int kind = 0;
    if (rebase.Get(i).ToBoolean().Value()) {
      if (source.TypedArrayType() == napi_int32_array) kind = 1;
      else if (source.TypedArrayType() == napi_uint32_array) kind = 2;
      else Fail(env, "rebase" + at + " is for an Int32Array or a Uint32Array");
    }
    reader.Keep(source);
    reader.Keep(target);
    pairs.push_back({BytesOf(source), BytesOf(target), source.ByteLength(), kind, source.ElementLength()});
    bytes += static_cast<double>(source.ByteLength());
  }
  // A copy runs at several GB/s: under kInlineWork bytes (~100 KB, ~10–20 µs) the hop to a libuv
  // thread would cost more than the copy.
  return QueueKernel(env, "boundless:copyArrays", reader, [pairs]() { Run(pairs); }, bytes);
}

}  // namespace

void RegisterCopy(Napi::Env env, Napi::Object exports) {
  exports.Set("copyArrays", Napi::Function::New(env, CopyArrays, kFunction));
}

}  // namespace boundless
