// The optional CUDA addon: deviceInfo() and the CUDA kernels, with the same
// argument checks as the core addon. Built by cmake-js (npm run build:cuda).
#include <cuda_runtime.h>
#include <napi.h>

#include <string>

#include "factorization_machines/fm_recommend_binding.h"
#include "factorization_machines/fm_step_binding.h"
#include "kmeans/kmeans_update_binding.h"
#include "linalg/dense_linear.cuh"
#include "linear_learner/ll_evaluate_binding.h"
#include "linear_learner/ll_update_binding.h"
#include "pca/pca_frequent_directions_binding.h"
#include "pca/pca_moments_binding.h"
#include "pca/pca_sketch_binding.h"
#include "rows/row_kernels_binding.h"
#include "runtime/device_arena.cuh"
#include "runtime/resident_batches.cuh"
#include "runtime/traffic.cuh"
#include "runtime/arguments.h"

#ifdef BOUNDLESS_CUDA_EMULATION
namespace boundless_cuda_emulation {
void InitSelfTest(Napi::Env env, Napi::Object exports);  // emulation/self_test.cc
}
#endif

namespace {

using boundless::CheckedProduct;
using boundless::Float32Arg;
using boundless::RequireArgCount;
using boundless::RequireLength;
using boundless::SizeArg;

// {available, reason, devices: [{name, computeCapability, memoryBytes}], runtimeVersion, driverVersion}
Napi::Value DeviceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  int runtime_version = 0, driver_version = 0;
  cudaRuntimeGetVersion(&runtime_version);
  cudaDriverGetVersion(&driver_version);
  result.Set("runtimeVersion", runtime_version);
  result.Set("driverVersion", driver_version);
#ifdef BOUNDLESS_CUDA_EMULATION
  result.Set("emulated", true);  // the CPU emulation for tests (emulation/cuda_runtime.h), not a GPU
#endif
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  Napi::Array devices = Napi::Array::New(env);
  if (status != cudaSuccess) {
    result.Set("available", false);
    result.Set("reason", std::string("cudaGetDeviceCount: ") + cudaGetErrorName(status) + " (" +
                             cudaGetErrorString(status) + ", code " +
                             std::to_string(static_cast<int>(status)) + ")");
  } else if (count == 0) {
    result.Set("available", false);
    result.Set("reason", "no CUDA device");
  } else {
    result.Set("available", true);
    for (int i = 0; i < count; ++i) {
      cudaDeviceProp props;
      if (cudaGetDeviceProperties(&props, i) != cudaSuccess) continue;
      Napi::Object device = Napi::Object::New(env);
      device.Set("name", props.name);
      device.Set("computeCapability", std::to_string(props.major) + "." + std::to_string(props.minor));
      device.Set("memoryBytes", static_cast<double>(props.totalGlobalMem));
      devices.Set(static_cast<uint32_t>(i), device);
    }
    result.Set("reason", std::to_string(count) + " device(s)");
  }
  result.Set("devices", devices);
  return result;
}

class DenseLinearWorker : public Napi::AsyncWorker {
 public:
  DenseLinearWorker(const Napi::Env& env, Napi::Float32Array x, Napi::Float32Array w,
                    Napi::Value bias, Napi::Float32Array out, size_t rows, size_t cols,
                    size_t models)
      : Napi::AsyncWorker(env, "boundless:cudaDenseLinear"),
        deferred_(Napi::Promise::Deferred::New(env)),
        refs_{Napi::Persistent(static_cast<Napi::Object>(x)),
              Napi::Persistent(static_cast<Napi::Object>(w)),
              Napi::Persistent(static_cast<Napi::Object>(out))},
        x_(x.Data()), w_(w.Data()),
        bias_(bias.IsNull() || bias.IsUndefined() ? nullptr : bias.As<Napi::Float32Array>().Data()),
        out_(out.Data()), rows_(rows), cols_(cols), models_(models) {
    if (bias_ != nullptr) bias_ref_ = Napi::Persistent(bias.As<Napi::Object>());
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    std::string error = boundless_cuda::DenseLinear(x_, w_, bias_, out_, rows_, cols_, models_);
    if (!error.empty()) SetError("cuda denseLinear: " + error);
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference refs_[3];
  Napi::ObjectReference bias_ref_;
  const float* x_;
  const float* w_;
  const float* bias_;
  float* out_;
  size_t rows_, cols_, models_;
};

Napi::Value DenseLinear(const Napi::CallbackInfo& info) {
  const char* fn = "cuda denseLinear";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 7);
  Napi::Float32Array x = Float32Arg(info, 0, fn, "x");
  Napi::Float32Array w = Float32Arg(info, 1, fn, "w");
  Napi::Float32Array out = Float32Arg(info, 3, fn, "out");
  size_t rows = SizeArg(info, 4, fn, "rows");
  size_t cols = SizeArg(info, 5, fn, "cols");
  size_t models = SizeArg(info, 6, fn, "models");
  RequireLength(env, fn, "x", x.ElementLength(), CheckedProduct(env, fn, rows, cols));
  RequireLength(env, fn, "w", w.ElementLength(), CheckedProduct(env, fn, models, cols));
  RequireLength(env, fn, "out", out.ElementLength(), CheckedProduct(env, fn, rows, models));
  if (!info[2].IsNull() && !info[2].IsUndefined()) {
    RequireLength(env, fn, "bias", Float32Arg(info, 2, fn, "bias").ElementLength(), models);
  }
  auto* worker = new DenseLinearWorker(env, x, w, info[2], out, rows, cols, models);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// selectDevice(index): the device later calls run on (an index among the visible devices).
Napi::Value SelectDevice(const Napi::CallbackInfo& info) {
  RequireArgCount(info, "cuda selectDevice", 1);
  size_t index = SizeArg(info, 0, "cuda selectDevice", "index");
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || index >= static_cast<size_t>(count)) {
    throw Napi::RangeError::New(info.Env(), "cuda selectDevice: device " + std::to_string(index) + " is not one of the " +
                                                std::to_string(count) + " visible");
  }
  boundless_cuda::SelectedDevice().store(static_cast<int>(index));
  return info.Env().Undefined();
}

// trafficCounts(): the process's launches, bytes to and from the device, synchronizations and read-backs
// (runtime/traffic.cuh), since the addon was loaded.
Napi::Value TrafficCounts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const boundless_cuda::TrafficCounts& t = boundless_cuda::Traffic();
  Napi::Object counts = Napi::Object::New(env);
  counts.Set("launches", static_cast<double>(t.launches.load()));
  counts.Set("bytesToDevice", static_cast<double>(t.bytes_to_device.load()));
  counts.Set("bytesFromDevice", static_cast<double>(t.bytes_from_device.load()));
  counts.Set("synchronizations", static_cast<double>(t.synchronizations.load()));
  counts.Set("readBacks", static_cast<double>(t.read_backs.load()));
  return counts;
}

// residentRelease(first, last): frees the device copies of the epoch cache's batches first..last (ids ≥ 1)
// (runtime/resident_batches.cuh); the cache calls it when it lets its batches go.
Napi::Value ResidentRelease(const Napi::CallbackInfo& info) {
  const char* fn = "residentRelease";
  RequireArgCount(info, fn, 2);
  const uint64_t first = SizeArg(info, 0, fn, "first"), last = SizeArg(info, 1, fn, "last");
  boundless_cuda::ResidentBatches::Shared().Release(first, last);
  return info.Env().Undefined();
}

// residentStats(): the kept batches' arrays on the device now (arrays, bytes), and since the addon was
// loaded the uploads they spared (hits, bytesNotSent) and the copies that could not be kept (declined).
Napi::Value ResidentStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const boundless_cuda::ResidentStats stats = boundless_cuda::ResidentBatches::Shared().Stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("arrays", static_cast<double>(stats.arrays));
  out.Set("bytes", static_cast<double>(stats.bytes));
  out.Set("hits", static_cast<double>(stats.hits));
  out.Set("bytesNotSent", static_cast<double>(stats.bytes_not_sent));
  out.Set("declined", static_cast<double>(stats.declined));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("trafficCounts", Napi::Function::New(env, TrafficCounts, "trafficCounts"));
  exports.Set("residentRelease", Napi::Function::New(env, ResidentRelease, "residentRelease"));
  exports.Set("residentStats", Napi::Function::New(env, ResidentStats, "residentStats"));
  exports.Set("selectDevice", Napi::Function::New(env, SelectDevice, "selectDevice"));
  exports.Set("deviceInfo", Napi::Function::New(env, DeviceInfo, "deviceInfo"));
  exports.Set("denseLinear", Napi::Function::New(env, DenseLinear, "denseLinear"));
  boundless_cuda::InitRowKernels(env, exports);
  boundless_cuda::InitPcaMoments(env, exports);
  boundless_cuda::InitPcaSketch(env, exports);
  boundless_cuda::InitPcaFrequentDirections(env, exports);
  boundless_cuda::InitKmeansUpdate(env, exports);
  boundless_cuda::InitLinearEvaluate(env, exports);
  boundless_cuda::InitLinearUpdate(env, exports);
  boundless_cuda::InitFmStep(env, exports);
  boundless_cuda::InitFmRecommend(env, exports);
#ifdef BOUNDLESS_CUDA_EMULATION
  boundless_cuda_emulation::InitSelfTest(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(boundless_cuda, Init)
