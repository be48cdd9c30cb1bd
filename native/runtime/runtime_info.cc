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

}  // namespace

void RegisterRuntimeInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("runtimeInfo", Napi::Function::New(env, RuntimeInfo, "runtimeInfo"));
}

}  // namespace boundless
