// JS binding of PCA's moment accumulation: on a libuv thread (inline for small batches).
#include "algorithms/pca/pca_binding.h"

#include <string>

#include "algorithms/pca/pca.h"
#include "algorithms/pca/pca_projection.h"
#include "algorithms/pca/pca_sketch.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

// pcaAccumulate(moments: {count, sum, cross, origin?}, dim, batch) → Promise
Napi::Value AccumulateAsync(const Napi::CallbackInfo& info) {
  const char* f = "pcaAccumulate";
  RequireArgCount(info, f, 3);
  size_t dim = SizeArg(info, 1, f, "dim");
  ArrayReader reader(info.Env(), f);
  Napi::Object mo = ObjectArg(info, 0, f, "moments");
  pca::Moments moments;
  moments.count = reader.Get<double>(mo, "moments", "count", napi_float64_array, 1, true);
  moments.sum = reader.Get<double>(mo, "moments", "sum", napi_float64_array, dim, true);
  moments.cross = reader.Get<double>(mo, "moments", "cross", napi_float64_array, CheckedProduct(info.Env(), f, dim, dim), true);
  moments.origin = reader.Get<double>(mo, "moments", "origin", napi_float64_array, dim, false);
  pca::Batch batch = ReadBatchView(reader, ObjectArg(info, 2, f, "batch"), f);
  double work = static_cast<double>(batch.rows) * static_cast<double>(dim) * static_cast<double>(dim) / 2;
  return QueueKernel(info.Env(), "boundless:pcaAccumulate", reader, [=]() mutable { pca::Accumulate(batch, dim, moments); }, work);
}

pca::SketchMoments ReadSketchMoments(ArrayReader& reader, const Napi::Object& o, size_t dim) {
  pca::SketchMoments m;
  m.count = reader.Get<double>(o, "sketch", "count", napi_float64_array, 1, true);
  m.sum = reader.Get<double>(o, "sketch", "sum", napi_float64_array, dim, true);
  m.squares = reader.Get<double>(o, "sketch", "squares", napi_float64_array, 1, true);
  m.origin = reader.Get<double>(o, "sketch", "origin", napi_float64_array, dim, false);
  return m;
}

pca::FrequentDirections ReadFrequentDirections(Napi::Env env, ArrayReader& reader, const Napi::Object& o, const char* f,
                                               size_t dim, size_t ell) {
  pca::FrequentDirections s;
  s.dim = dim;
  s.ell = ell;
  s.rows = reader.Get<double>(o, "sketch", "rows", napi_float64_array, CheckedProduct(env, f, 2 * ell, dim), true);
  s.filled = reader.Get<double>(o, "sketch", "filled", napi_float64_array, 1, true);
  double filled = *s.filled;
  if (!(filled >= 0 && filled <= 2.0 * ell) || filled != static_cast<double>(static_cast<size_t>(filled))) {
    throw Napi::RangeError::New(env, std::string(f) + ": sketch.filled must be an integer in 0.." + std::to_string(2 * ell));
  }
  return s;
}

size_t SketchSize(const Napi::CallbackInfo& info, size_t index, const char* f, size_t dim) {
  size_t ell = SizeArg(info, index, f, "ell");
  if (ell < 1 || ell > dim) throw Napi::RangeError::New(info.Env(), std::string(f) + ": ell must be in 1.." + std::to_string(dim));
  return ell;
}

// pcaRandomizedAccumulate(sketch: {count, sum, squares, y, origin?}, omega: Float64Array (d × ℓ), dim, ell, batch) → Promise
Napi::Value RandomizedAccumulateAsync(const Napi::CallbackInfo& info) {
  const char* f = "pcaRandomizedAccumulate";
  RequireArgCount(info, f, 5);
  size_t dim = SizeArg(info, 2, f, "dim");
  size_t ell = SketchSize(info, 3, f, dim);
  ArrayReader reader(info.Env(), f);
  Napi::Object so = ObjectArg(info, 0, f, "sketch");
  pca::SketchMoments moments = ReadSketchMoments(reader, so, dim);
  double* y = reader.Get<double>(so, "sketch", "y", napi_float64_array, CheckedProduct(info.Env(), f, dim, ell), true);
  const double* omega = reader.Arg<double>(info, 1, "omega", napi_float64_array, dim * ell, true);
  pca::Batch batch = ReadBatchView(reader, ObjectArg(info, 4, f, "batch"), f);
  return QueueKernel(info.Env(), "boundless:pcaRandomizedAccumulate", reader,
                     [=]() mutable { pca::RandomizedAccumulate(batch, dim, ell, omega, moments, y); }, 2 * StoredValues(batch) * ell);
}

// pcaFrequentDirectionsAccumulate(sketch: {count, sum, squares, rows, filled, origin?}, dim, ell, batch) → Promise
Napi::Value FrequentDirectionsAccumulateAsync(const Napi::CallbackInfo& info) {
  const char* f = "pcaFrequentDirectionsAccumulate";
  RequireArgCount(info, f, 4);
  size_t dim = SizeArg(info, 1, f, "dim");
  size_t ell = SketchSize(info, 2, f, dim);
  ArrayReader reader(info.Env(), f);
  Napi::Object so = ObjectArg(info, 0, f, "sketch");
  pca::SketchMoments moments = ReadSketchMoments(reader, so, dim);
  pca::FrequentDirections sketch = ReadFrequentDirections(info.Env(), reader, so, f, dim, ell);
  pca::Batch batch = ReadBatchView(reader, ObjectArg(info, 3, f, "batch"), f);
  double work = static_cast<double>(batch.rows) * dim * ell * 4;
  return QueueKernel(info.Env(), "boundless:pcaFrequentDirectionsAccumulate", reader,
                     [=]() mutable { pca::FrequentDirectionsAccumulate(batch, sketch, moments); }, work);
}

// pcaFrequentDirectionsInsert(sketch: {rows, filled}, dim, ell, rows: Float64Array, count): inserts another
// sketch's rows (the merge rule). State-sized work, synchronous.
Napi::Value FrequentDirectionsInsertSync(const Napi::CallbackInfo& info) {
  const char* f = "pcaFrequentDirectionsInsert";
  RequireArgCount(info, f, 5);
  size_t dim = SizeArg(info, 1, f, "dim");
  size_t ell = SketchSize(info, 2, f, dim);
  size_t count = SizeArg(info, 4, f, "count");
  ArrayReader reader(info.Env(), f);
  pca::FrequentDirections sketch = ReadFrequentDirections(info.Env(), reader, ObjectArg(info, 0, f, "sketch"), f, dim, ell);
  const double* rows = reader.Arg<double>(info, 3, "rows", napi_float64_array, CheckedProduct(info.Env(), f, count, dim), true);
  try {
    pca::FrequentDirectionsInsert(sketch, rows, count);
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), std::string(f) + ": " + error.what());
  }
  return info.Env().Undefined();
}

// pcaProject(model: {rows: Float32Array (k × d), mean: Float32Array (d)}, dim, components, batch, out: Float32Array (rows × k)) → Promise
Napi::Value ProjectAsync(const Napi::CallbackInfo& info) {
  const char* f = "pcaProject";
  RequireArgCount(info, f, 5);
  pca::Projection model;
  model.dim = SizeArg(info, 1, f, "dim");
  model.components = SizeArg(info, 2, f, "components");
  ArrayReader reader(info.Env(), f);
  Napi::Object mo = ObjectArg(info, 0, f, "model");
  model.rows = reader.Get<float>(mo, "model", "rows", napi_float32_array, CheckedProduct(info.Env(), f, model.components, model.dim), true);
  model.mean = reader.Get<float>(mo, "model", "mean", napi_float32_array, model.dim, true);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 3, f, "batch"), f);
  float* out = reader.Arg<float>(info, 4, "out", napi_float32_array, CheckedProduct(info.Env(), f, batch.rows, model.components), true);
  return QueueKernel(info.Env(), "boundless:pcaProject", reader, [=]() { pca::Project(model, batch, out); },
                     StoredValues(batch) * static_cast<double>(model.components));
}

}  // namespace

void RegisterPca(Napi::Env env, Napi::Object exports) {
  exports.Set("pcaAccumulate", Napi::Function::New(env, AccumulateAsync, "pcaAccumulate"));
  exports.Set("pcaRandomizedAccumulate", Napi::Function::New(env, RandomizedAccumulateAsync, "pcaRandomizedAccumulate"));
  exports.Set("pcaFrequentDirectionsAccumulate", Napi::Function::New(env, FrequentDirectionsAccumulateAsync, "pcaFrequentDirectionsAccumulate"));
  exports.Set("pcaProject", Napi::Function::New(env, ProjectAsync, "pcaProject"));
  exports.Set("pcaFrequentDirectionsInsert", Napi::Function::New(env, FrequentDirectionsInsertSync, "pcaFrequentDirectionsInsert"));
}

}  // namespace boundless
