#include "runtime/runtime_info.h"

#include <string>

#include "runtime/cpu_features.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace {

Napi::Value RuntimeInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object result = Napi::Object::New(env);
  result.Set("isa", IsaName(SelectedIsa()));
  result.Set("cpuSupportsAvx2Fma", CpuSupportsAvx2Fma());
  result.Set("threads", static_cast<double>(ThreadPool::Shared().Size()));
  result.Set("tokensHeld", static_cast<double>(ThreadPool::Shared().TokensHeld()));
  std::string threads_error;
  ConfiguredThreadCount(&threads_error);
  Napi::Array warnings = Napi::Array::New(env);
  uint32_t count = 0;
  if (!IsaOverrideError().empty()) warnings.Set(count++, IsaOverrideError());
  if (!threads_error.empty()) warnings.Set(count++, threads_error);
  result.Set("warnings", warnings);
  result.Set("napiVersion", NAPI_VERSION);
  return result;
}

// setCallerSerial(on): this JS thread's data work runs on one core at a time (SetCallerSerial).
Napi::Value SetCallerSerialBinding(const Napi::CallbackInfo& info) {
  if (info.Length() != 1 || !info[0].IsBoolean()) {
    throw Napi::TypeError::New(info.Env(), "setCallerSerial: expected one boolean argument");
  }
  SetCallerSerial(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

}  // namespace

void RegisterRuntimeInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("runtimeInfo", Napi::Function::New(env, RuntimeInfo, "runtimeInfo"));
  exports.Set("setCallerSerial", Napi::Function::New(env, SetCallerSerialBinding, "setCallerSerial"));
}

}  // namespace boundless
