// Device work of a binding on a libuv thread: Queue(info, fn, body) runs `body`
// there, keeping every argument of the call alive until it ends, and returns a
// promise that resolves, or rejects with fn + ": " + the error `body` returned.
#pragma once

#include <napi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace boundless_cuda {

class DeviceWorker : public Napi::AsyncWorker {
 public:
  DeviceWorker(const Napi::CallbackInfo& info, std::string fn, std::function<std::string()> body)
      : Napi::AsyncWorker(info.Env(), "boundless:cudaDeviceWork"), deferred_(Napi::Promise::Deferred::New(info.Env())), fn_(std::move(fn)),
        body_(std::move(body)) {
    // Every argument the work reads stays alive until it ends: arrays (objects) and handles (externals,
    // which IsObject() does not cover) — a handle collected meanwhile would close its state under the work.
    for (size_t i = 0; i < info.Length(); i++) {
      if (info[i].IsObject() || info[i].IsExternal()) refs_.push_back(Napi::Persistent(info[i]));
    }
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }
  void Execute() override {
    std::string error = body_();
    if (!error.empty()) SetError(fn_ + ": " + error);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string fn_;
  std::function<std::string()> body_;
  std::vector<Napi::Reference<Napi::Value>> refs_;
};

// A device-state Add's arguments: `count` of them, or one more, the id of a batch the epoch cache
// keeps (resident_batches.cuh; a positive integer, 0 for none), which is returned (0 when absent).
inline uint64_t KeptBatchArg(const Napi::CallbackInfo& info, const char* fn, size_t count) {
  if (info.Length() != count && info.Length() != count + 1) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": given " + std::to_string(info.Length()) + " arguments, expected " +
                                               std::to_string(count) + " (or " + std::to_string(count + 1) + " with keptBatch)");
  }
  if (info.Length() == count) return 0;
  const Napi::Value value = info[count];
  const double id = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
  if (!(id >= 0 && id <= 9007199254740991.0 && id == static_cast<double>(static_cast<uint64_t>(id)))) {
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": argument keptBatch must be an integer ≥ 0");
  }
  return static_cast<uint64_t>(id);
}

inline Napi::Value Queue(const Napi::CallbackInfo& info, const char* fn, std::function<std::string()> body) {
  auto* worker = new DeviceWorker(info, fn, std::move(body));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace boundless_cuda
