// fmRecommend(linear, factors, params, userValues, userIndptr, userIndices, itemValues, itemIndptr,
// itemIndices, itemRows, indices, scores) → Promise. params: Float64Array [dim, factors, bias,
// logistic (0 or 1)]; the user is one row; indptr null for dense rows; n = indices' length (at most
// itemRows). Lengths at once, and on the worker thread the CSR structure and the non-finite
// values (the caller has run the cpu kernel's checks; these keep a direct call off the device).
#include "factorization_machines/fm_recommend_binding.h"

#include <climits>
#include <cmath>
#include <string>

#include "factorization_machines/fm_recommend.cuh"
#include "runtime/arguments.h"
#include "runtime/device_worker.h"
#include "runtime/rows_arg.h"

namespace boundless_cuda {
namespace {

using boundless::CheckedProduct;
using boundless::Float32Arg;
using boundless::Float64Arg;
using boundless::RequireArgCount;
using boundless::RequireLength;
using boundless::SizeArg;

// "" or the first row of `b` with a value that is not finite.
std::string CheckFinite(const HostRows& b, size_t dim, const char* name) {
  const size_t count = b.sparse ? b.nnz : b.rows * dim;
  for (size_t e = 0; e < count; e++) {
    if (!std::isfinite(b.values[e])) return std::string(name) + ": a value is not finite";
  }
  return "";
}

Napi::Value Recommend(const Napi::CallbackInfo& info) {
  const char* fn = "cuda fmRecommend";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 12);
  Napi::Float64Array params = Float64Arg(info, 2, fn, "params");
  RequireLength(env, fn, "params", params.ElementLength(), 4);
  if (!(params[0] >= 1 && params[0] <= INT_MAX && params[0] == std::floor(params[0]) && params[1] >= 0 && params[1] <= 1 << 20 &&
        params[1] == std::floor(params[1]) && (params[3] == 0 || params[3] == 1))) {
    throw Napi::RangeError::New(env, std::string(fn) + ": params must be [dim ≥ 1, factors ≥ 0, bias, logistic 0 or 1]");
  }
  FmRecommendModel model;
  model.dim = static_cast<size_t>(params[0]);
  model.factors = static_cast<size_t>(params[1]);
  model.bias = static_cast<float>(params[2]);
  model.logistic = params[3] == 1;
  Napi::Float32Array linear = Float32Arg(info, 0, fn, "linear");
  Napi::Float32Array factors = Float32Arg(info, 1, fn, "factors");
  RequireLength(env, fn, "linear", linear.ElementLength(), model.dim);
  RequireLength(env, fn, "factors", factors.ElementLength(), CheckedProduct(env, fn, model.dim, model.factors));
  model.linear = linear.Data();
  model.factors_v = factors.Data();
  const uint32_t dim = static_cast<uint32_t>(model.dim);
  const HostRows user = FeatureRowsArg(info, fn, 3, 1, dim, "user");
  const size_t item_rows = SizeArg(info, 9, fn, "itemRows");
  if (item_rows > INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": itemRows must be at most " + std::to_string(INT_MAX));
  const HostRows items = FeatureRowsArg(info, fn, 6, item_rows, dim, "item");
  if (!info[10].IsTypedArray() || info[10].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, std::string(fn) + ": argument indices must be an Int32Array");
  }
  Napi::Int32Array indices = info[10].As<Napi::Int32Array>();
  Napi::Float32Array scores = Float32Arg(info, 11, fn, "scores");
  const size_t n = indices.ElementLength();
  RequireLength(env, fn, "scores", scores.ElementLength(), n);
  if (n > item_rows) throw Napi::RangeError::New(env, std::string(fn) + ": asked for " + std::to_string(n) + " items of " + std::to_string(item_rows) + " candidates");
  int32_t* out_indices = indices.Data();
  float* out_scores = scores.Data();
  return Queue(info, fn, [=]() {
    std::string error = CheckCsr(user, dim);
    if (error.empty()) error = CheckCsr(items, dim);
    if (error.empty()) error = CheckFinite(user, model.dim, "the user row");
    if (error.empty()) error = CheckFinite(items, model.dim, "a candidate row");
    return error.empty() ? FmRecommend(model, user, items, n, out_indices, out_scores) : error;
  });
}

}  // namespace

void InitFmRecommend(Napi::Env env, Napi::Object exports) {
  exports.Set("fmRecommend", Napi::Function::New(env, Recommend, "fmRecommend"));
}

}  // namespace boundless_cuda
