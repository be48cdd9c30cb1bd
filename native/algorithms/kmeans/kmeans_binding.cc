// JS bindings of the k-means kernels: update and assign run on a libuv
// thread (inline for small batches); the reduction and the scoring of the K
// weighted centres (finalize's work) run on a libuv thread too, the
// reduction's trials spread over the pool; merge, synchronous by contract,
// has a synchronous reduction.
#include "algorithms/kmeans/kmeans_binding.h"

#include <stdexcept>
#include <string>

#include "algorithms/kmeans/kmeans.h"
#include "runtime/arguments.h"
#include "runtime/async_kernel.h"

namespace boundless {
namespace {

size_t SizeOf(const Napi::Object& o, const char* f, const char* name) {
  Napi::Value v = o.Get(name);
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0) || d != static_cast<double>(static_cast<int64_t>(d))) {
    throw Napi::TypeError::New(o.Env(), std::string(f) + ": " + name + " must be a non-negative integer");
  }
  return static_cast<size_t>(d);
}

// kmeansUpdate({centers, dim, halfLife, kmeansPlusPlus, seed, modelK, startRows,
//               reduce: {kmeansPlusPlus, maxIter, tol, trials}},
//              {centers, weights, counters, modelCenters, modelWeights, modelCounters}, batch, novel = false)
// (modelK 0, or absent: no refined model, and the model arrays may be absent; novel: the batch sits
// far from the rows before it, kmeans_novelty.h)
Napi::Value UpdateAsync(const Napi::CallbackInfo& info) {
  const char* f = "kmeansUpdate";
  if (info.Length() != 4) RequireArgCount(info, f, 3);
  const bool novel = info.Length() == 4 && info[3].ToBoolean().Value();
  Napi::Object so = ObjectArg(info, 0, f, "settings");
  kmeans::Settings s;
  s.centers = SizeOf(so, f, "centers");
  s.dim = SizeOf(so, f, "dim");
  s.half_life = so.Get("halfLife").ToNumber().DoubleValue();
  s.kmeans_plus_plus = so.Get("kmeansPlusPlus").ToBoolean().Value();
  s.seed = static_cast<uint64_t>(SizeOf(so, f, "seed"));
  if (s.centers == 0 || s.dim == 0) throw Napi::RangeError::New(info.Env(), std::string(f) + ": centers and dim must be positive");
  if (!so.Get("modelK").IsUndefined()) {
    s.model_k = SizeOf(so, f, "modelK");
    if (s.model_k > s.centers) throw Napi::RangeError::New(info.Env(), std::string(f) + ": modelK must be at most centers");
  }
  if (s.model_k > 0) {
    s.start_rows = static_cast<double>(SizeOf(so, f, "startRows"));
    if (s.start_rows < 1) throw Napi::RangeError::New(info.Env(), std::string(f) + ": startRows must be positive");
    if (!so.Get("reduce").IsObject()) throw Napi::TypeError::New(info.Env(), std::string(f) + ": settings.reduce must be an object");
    Napi::Object ro = so.Get("reduce").As<Napi::Object>();
    s.reduce.kmeans_plus_plus = ro.Get("kmeansPlusPlus").ToBoolean().Value();
    s.reduce.max_iter = SizeOf(ro, f, "maxIter");
    s.reduce.tol = ro.Get("tol").ToNumber().DoubleValue();
    s.reduce.trials = SizeOf(ro, f, "trials");
  }
  ArrayReader reader(info.Env(), f);
  Napi::Object st = ObjectArg(info, 1, f, "state");
  kmeans::State state;
  state.centers = reader.Get<float>(st, "state", "centers", napi_float32_array, CheckedProduct(info.Env(), f, s.centers, s.dim), true);
  state.weights = reader.Get<double>(st, "state", "weights", napi_float64_array, s.centers, true);
  state.counters = reader.Get<double>(st, "state", "counters", napi_float64_array, kmeans::kCounterCount, true);
  if (s.model_k > 0) {
    state.model_centers = reader.Get<float>(st, "state", "modelCenters", napi_float32_array, CheckedProduct(info.Env(), f, s.model_k, s.dim), true);
    state.model_weights = reader.Get<double>(st, "state", "modelWeights", napi_float64_array, s.model_k, true);
    state.model_counters = reader.Get<double>(st, "state", "modelCounters", napi_float64_array, kmeans::kModelCounterCount, true);
  }
  kmeans::Points batch = ReadBatchView(reader, ObjectArg(info, 2, f, "batch"), f);
  // The streaming centres' assignment, plus up to kRefineIterations + 1 of the model's.
  double work = static_cast<double>(batch.rows) * static_cast<double>(s.centers + (kmeans::kRefineIterations + 1) * s.model_k) *
                static_cast<double>(batch.sparse ? 20 : s.dim);
  return QueueKernel(info.Env(), "boundless:kmeansUpdate", reader, [=]() mutable { kmeans::Update(s, state, batch, novel); }, work);
}

// kmeansAssign(centers, count, dim, batch, nearest: Int32Array, distance2: Float64Array, all: Float32Array | null)
// (distance2 is float64: squared distances of float32 data can overflow float32)
Napi::Value AssignAsync(const Napi::CallbackInfo& info) {
  const char* f = "kmeansAssign";
  RequireArgCount(info, f, 7);
  ArrayReader reader(info.Env(), f);
  size_t count = SizeArg(info, 1, f, "count");
  size_t dim = SizeArg(info, 2, f, "dim");
  const float* centers = reader.Arg<float>(info, 0, "centers", napi_float32_array, CheckedProduct(info.Env(), f, count, dim), true);
  kmeans::Points batch = ReadBatchView(reader, ObjectArg(info, 3, f, "batch"), f);
  int32_t* nearest = reader.Arg<int32_t>(info, 4, "nearest", napi_int32_array, batch.rows, true);
  double* distance2 = reader.Arg<double>(info, 5, "distance2", napi_float64_array, batch.rows, true);
  float* all = reader.Arg<float>(info, 6, "all", napi_float32_array, CheckedProduct(info.Env(), f, batch.rows, count), false);
  if (count == 0) throw Napi::RangeError::New(info.Env(), std::string(f) + ": count must be positive");
  double work = static_cast<double>(batch.rows) * static_cast<double>(count) * static_cast<double>(batch.sparse ? 20 : dim);
  return QueueKernel(info.Env(), "boundless:kmeansAssign", reader, [=]() {
    ValidateFeatureRows(batch, dim);
    kmeans::Assign(batch, centers, count, dim, nearest, distance2, all);
  }, work);
}

Napi::Object ReductionObject(Napi::Env env, const kmeans::Reduction& result) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Float32Array centers = Napi::Float32Array::New(env, result.centers.size());
  std::copy(result.centers.begin(), result.centers.end(), centers.Data());
  out.Set("centers", centers);
  Napi::Float64Array mass = Napi::Float64Array::New(env, result.mass.size());
  std::copy(result.mass.begin(), result.mass.end(), mass.Data());
  out.Set("mass", mass);
  out.Set("cost", result.cost);
  out.Set("iterations", static_cast<double>(result.iterations));
  return out;
}

// The arguments of kmeansReduce and kmeansReduceAsync, checked; the arrays kept alive in `reader`.
struct ReduceCall {
  const float* points;
  const double* weights;
  size_t count, dim, k;
  bool kmeans_plus_plus;
  size_t max_iter;
  double tol;
  size_t trials;
  uint64_t seed;
  kmeans::Reduction Run() const {
    return kmeans::Reduce(points, weights, count, dim, k, kmeans_plus_plus, max_iter, tol, trials, seed);
  }
};

// (points, weights, count, dim, k, kmeansPlusPlus, maxIter, tol, trials, seed)
ReduceCall ReadReduce(const Napi::CallbackInfo& info, const char* f, ArrayReader& reader) {
  RequireArgCount(info, f, 10);
  Napi::Float32Array points = Float32Arg(info, 0, f, "points");
  Napi::Float64Array weights = Float64Arg(info, 1, f, "weights");
  ReduceCall c;
  c.count = SizeArg(info, 2, f, "count");
  c.dim = SizeArg(info, 3, f, "dim");
  c.k = SizeArg(info, 4, f, "k");
  RequireLength(info.Env(), f, "points", points.ElementLength(), CheckedProduct(info.Env(), f, c.count, c.dim));
  RequireLength(info.Env(), f, "weights", weights.ElementLength(), c.count);
  if (c.k == 0 || c.k > c.count) {
    throw Napi::RangeError::New(info.Env(), std::string(f) + ": k must be in 1.." + std::to_string(c.count) + " (the weighted centres held)");
  }
  c.kmeans_plus_plus = info[5].ToBoolean().Value();
  c.max_iter = SizeArg(info, 6, f, "maxIter");
  c.tol = info[7].ToNumber().DoubleValue();
  c.trials = SizeArg(info, 8, f, "trials");
  c.seed = static_cast<uint64_t>(SizeArg(info, 9, f, "seed"));
  reader.Keep(points);
  reader.Keep(weights);
  c.points = points.Data();
  c.weights = weights.Data();
  return c;
}

// kmeansReduce(points, weights, count, dim, k, kmeansPlusPlus, maxIter, tol, trials, seed) →
// {centers, mass, cost, iterations}, synchronously: for merge, which the algorithm contract keeps
// synchronous (its trials still spread over the pool). finalize uses kmeansReduceAsync.
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  ArrayReader reader(info.Env(), "kmeansReduce");
  ReduceCall call = ReadReduce(info, "kmeansReduce", reader);
  kmeans::Reduction result;
  try {
    result = call.Run();
  } catch (const std::exception& error) {
    throw Napi::Error::New(info.Env(), std::string("kmeansReduce: ") + error.what());
  }
  return ReductionObject(info.Env(), result);
}

// kmeansReduceAsync(same arguments) → Promise<{centers, mass, cost, iterations}>: the same
// reduction on a libuv thread, so finalize's trials never hold the event loop.
Napi::Value ReduceAsync(const Napi::CallbackInfo& info) {
  ArrayReader reader(info.Env(), "kmeansReduceAsync");
  ReduceCall call = ReadReduce(info, "kmeansReduceAsync", reader);
  return QueueResultKernel<kmeans::Reduction>(info.Env(), "boundless:kmeansReduce", reader, [call]() { return call.Run(); },
                                              [](Napi::Env env, kmeans::Reduction& r) { return ReductionObject(env, r); });
}

// kmeansScore(points, weights, count, dim, centers, k) → Promise<{centers, mass, cost}>: the
// weighted points' mass at each of the k centres and their cost, on a libuv thread.
Napi::Value ScoreAsync(const Napi::CallbackInfo& info) {
  const char* f = "kmeansScore";
  RequireArgCount(info, f, 6);
  Napi::Float32Array points = Float32Arg(info, 0, f, "points");
  Napi::Float64Array weights = Float64Arg(info, 1, f, "weights");
  size_t count = SizeArg(info, 2, f, "count");
  size_t dim = SizeArg(info, 3, f, "dim");
  Napi::Float32Array centers = Float32Arg(info, 4, f, "centers");
  size_t k = SizeArg(info, 5, f, "k");
  if (k == 0 || dim == 0) throw Napi::RangeError::New(info.Env(), std::string(f) + ": k and dim must be positive");
  RequireLength(info.Env(), f, "points", points.ElementLength(), CheckedProduct(info.Env(), f, count, dim));
  RequireLength(info.Env(), f, "weights", weights.ElementLength(), count);
  RequireLength(info.Env(), f, "centers", centers.ElementLength(), CheckedProduct(info.Env(), f, k, dim));
  ArrayReader reader(info.Env(), f);
  reader.Keep(points);
  reader.Keep(weights);
  reader.Keep(centers);
  const float* p = points.Data();
  const double* w = weights.Data();
  const float* c = centers.Data();
  return QueueResultKernel<kmeans::Reduction>(info.Env(), "boundless:kmeansScore", reader,
                                              [=]() { return kmeans::Score(p, w, count, dim, c, k); },
                                              [](Napi::Env env, kmeans::Reduction& r) { return ReductionObject(env, r); });
}

}  // namespace

void RegisterKmeans(Napi::Env env, Napi::Object exports) {
  exports.Set("kmeansUpdate", Napi::Function::New(env, UpdateAsync, "kmeansUpdate"));
  exports.Set("kmeansAssign", Napi::Function::New(env, AssignAsync, "kmeansAssign"));
  exports.Set("kmeansReduce", Napi::Function::New(env, Reduce, "kmeansReduce"));
  exports.Set("kmeansReduceAsync", Napi::Function::New(env, ReduceAsync, "kmeansReduceAsync"));
  exports.Set("kmeansScore", Napi::Function::New(env, ScoreAsync, "kmeansScore"));
}

}  // namespace boundless
