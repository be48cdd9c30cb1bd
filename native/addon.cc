// The core addon: registration only. Each concern registers its own exports.
#include <napi.h>

#include "algorithms/deepar/deepar_binding.h"
#include "algorithms/factorization_machines/factorization_machines_binding.h"
#include "algorithms/kmeans/kmeans_binding.h"
#include "algorithms/linear_learner/linear_learner_binding.h"
#include "algorithms/ntm/ntm_binding.h"
#include "algorithms/pca/pca_binding.h"
#include "io/bucket_sketch_binding.h"
#include "io/stream_parser_binding.h"
#include "io/writer_binding.h"
#include "linalg/linear_algebra_binding.h"
#include "nn/nn_binding.h"
#include "runtime/batch_checks_binding.h"
#include "runtime/batch_order_binding.h"
#include "runtime/copy_binding.h"
#include "runtime/memory_advice.h"
#include "runtime/runtime_info.h"
#include "runtime/stderr_capture.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  boundless::RegisterRuntimeInfo(env, exports);
  boundless::RegisterLinearAlgebra(env, exports);
  boundless::RegisterLinearLearner(env, exports);
  boundless::RegisterKmeans(env, exports);
  boundless::RegisterPca(env, exports);
  boundless::RegisterNtm(env, exports);
  boundless::RegisterDeepar(env, exports);
  boundless::RegisterNeuralNetwork(env, exports);
  boundless::RegisterFactorizationMachines(env, exports);
  boundless::RegisterMemoryAdvice(env, exports);
  boundless::RegisterBatchChecks(env, exports);
  boundless::RegisterBatchOrder(env, exports);
  boundless::RegisterCopy(env, exports);
  boundless::RegisterStderrCapture(env, exports);
  boundless::RegisterStreamParser(env, exports);
  boundless::RegisterWriters(env, exports);
  boundless::RegisterBucketSketch(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(boundless, Init)
