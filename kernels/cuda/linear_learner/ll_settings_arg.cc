#include "linear_learner/ll_settings_arg.h"

#include <algorithm>
#include <climits>
#include <utility>
#include <vector>
#include <cmath>
#include <string>

#include "runtime/arguments.h"

namespace boundless_cuda {
namespace {

constexpr size_t kSettings = 13;
constexpr uint32_t kLastLoss = 8, kSoftmax = 2;

// The entries of sum `which` (LinearSum).
size_t SumLength(int which, const LinearSettings& s) {
  switch (which) {
    case kWeightSum: case kWeightSqSum: return 1;
    case kConfusion: return 4 * static_cast<size_t>(s.models);
    case kClassTruePositive: case kClassPredicted: case kClassActual: return static_cast<size_t>(s.models) * s.classes;
    case kHistogram: return static_cast<size_t>(s.models) * 2 * s.bins;
    default: return s.models;
  }
}

}  // namespace

LinearSettings LinearSettingsArg(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  Napi::Float64Array v = boundless::Float64Arg(info, 0, fn, "settings");
  boundless::RequireLength(env, fn, "settings", v.ElementLength(), kSettings);
  auto count = [&](size_t i, const char* name, double low, double high) {
    if (!(v[i] >= low && v[i] <= high && v[i] == std::floor(v[i]))) {
      throw Napi::RangeError::New(env, std::string(fn) + ": settings." + name + " must be a whole number in " + std::to_string(static_cast<int64_t>(low)) +
                                           ".." + std::to_string(static_cast<int64_t>(high)));
    }
    return static_cast<uint32_t>(v[i]);
  };
  LinearSettings s;
  s.dim = count(0, "dim", 1, INT_MAX);
  s.models = count(1, "models", 1, 1 << 20);
  s.classes = count(2, "classes", 1, 1 << 20);
  s.loss = count(3, "loss", 0, kLastLoss);
  // One output a model but for softmax, whose scores are its classes': the kernels write and read width = models × classes.
  if (s.loss == kSoftmax ? s.classes < 2 : s.classes != 1) {
    throw Napi::RangeError::New(env, std::string(fn) + ": settings.classes must be " + (s.loss == kSoftmax ? "at least 2 for the softmax loss" : "1 but for the softmax loss"));
  }
  // float, as cpu's Settings holds them: a quantile of 0.8 is 0.800000011920929 there.
  s.margin = static_cast<float>(v[4]);
  s.quantile = static_cast<float>(v[5]);
  s.insensitivity = static_cast<float>(v[6]);
  s.huber_delta = static_cast<float>(v[7]);
  s.use_bias = count(8, "useBias", 0, 1);
  s.bins = count(9, "histogramBins", 0, 1 << 20);
  s.log_scale = count(10, "histogramLogScale", 0, 1);
  s.top_k = count(11, "topK", 0, 1 << 20);
  s.threshold = v[12];
  boundless::CheckedProduct(env, fn, boundless::CheckedProduct(env, fn, s.dim, s.models), s.classes);
  return s;
}

void LinearSumsArg(const Napi::CallbackInfo& info, const char* fn, size_t at_index, int count, LinearSettings& s) {
  Napi::Env env = info.Env();
  if (!info[at_index].IsTypedArray() || info[at_index].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, std::string(fn) + ": argument at must be an Int32Array");
  }
  Napi::Int32Array at = info[at_index].As<Napi::Int32Array>();
  boundless::RequireLength(env, fn, "at", at.ElementLength(), static_cast<size_t>(count));
  s.sums = boundless::SizeArg(info, at_index + 1, fn, "sums");
  std::vector<std::pair<size_t, size_t>> ranges;  // each wanted sum's [begin, end)
  for (int i = 0; i < kLinearSums; i++) {
    s.at[i] = i < count ? at[i] : -1;
    if (s.at[i] < -1 || (s.at[i] >= 0 && static_cast<size_t>(s.at[i]) + SumLength(i, s) > s.sums)) {
      throw Napi::RangeError::New(env, std::string(fn) + ": at[" + std::to_string(i) + "] = " + std::to_string(s.at[i]) + " puts its sum outside the " +
                                           std::to_string(s.sums) + " sums");
    }
    if (s.at[i] >= 0) ranges.emplace_back(s.at[i], s.at[i] + SumLength(i, s));
  }
  // Disjoint: the kernels add into each sum from one thread at a time, which two overlapping sums would break.
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); i++) {
    if (ranges[i].first < ranges[i - 1].second) throw Napi::RangeError::New(env, std::string(fn) + ": at puts two sums on the same entries");
  }
}

}  // namespace boundless_cuda
