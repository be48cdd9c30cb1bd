// The core addon: registration only. Each concern registers its own exports.
#include <napi.h>

#include "linear_algebra_binding.h"
#include "kmeans_binding.h"
#include "linear_learner_binding.h"
#include "memory_advice.h"
#include "pca_binding.h"
#include "factorization_machines_binding.h"
#include "runtime_info.h"
#include "stream_parser_binding.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  boundless::RegisterRuntimeInfo(env, exports);
  boundless::RegisterLinearAlgebra(env, exports);
  boundless::RegisterLinearLearner(env, exports);
  boundless::RegisterKmeans(env, exports);
  boundless::RegisterPca(env, exports);
  boundless::RegisterFactorizationMachines(env, exports);
  boundless::RegisterMemoryAdvice(env, exports);
  boundless::RegisterStreamParser(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(boundless, Init)
