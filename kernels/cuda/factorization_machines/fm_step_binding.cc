// fmOpen(settings, models, parts, lastStep) → handle;
// fmAdd(handle, labels, weights, values, indptr, indices, rows, index, touched, step, training, slot) → Promise;
// fmRead(handle, parts, lastStep, sums) → Promise; fmClose(handle).
// settings: Float64Array [loss, optimizer, decay, dim, eps, beta1, beta2, clipGradient, rescaleGrad]
// (factorization_machines.h's); models: Float64Array [models × 8] (fm_step.cuh's kFmModelWords);
// parts: an Array of fm_step.cuh's FmPart arrays (Float32Array or null); sums: 2 slots × models ×
// [loss, weight, tp, fp, tn, fn]. Lengths, the model table, the moments the optimizer needs, and on
// the worker thread the CSR structure and the feature index are checked before the device reads them.
#include "factorization_machines/fm_step_binding.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "factorization_machines/fm_step.cuh"
#include "runtime/arguments.h"
#include "runtime/device_handle.h"
#include "runtime/device_worker.h"
#include "runtime/rows_arg.h"

namespace boundless_cuda {
namespace {

using boundless::Float64Arg;
using boundless::RequireArgCount;
using boundless::RequireLength;
using boundless::SizeArg;

constexpr uint32_t kSgd = 0, kAdam = 2;
const char* const kPartNames[kFmParts] = {"bias", "linear", "factors", "biasM1", "linearM1", "factorsM1", "biasM2", "linearM2", "factorsM2"};

// info[index] as the state's parts, each of its length or null.
void PartsArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const FmDeviceSettings& s, float** out) {
  size_t lengths[kFmParts];
  for (int i = 0; i < kFmParts; i++) lengths[i] = FmPartLength(i, s);
  FloatPartsArg(info, index, fn, kPartNames, lengths, kFmParts, out);
}

FmDeviceSettings SettingsArg(const Napi::CallbackInfo& info, const char* fn) {
  Napi::Env env = info.Env();
  Napi::Float64Array v = Float64Arg(info, 0, fn, "settings");
  RequireLength(env, fn, "settings", v.ElementLength(), 9);
  auto whole = [&](size_t i, const char* name, double high) {
    if (!(v[i] >= 0 && v[i] <= high && v[i] == std::floor(v[i]))) {
      throw Napi::RangeError::New(env, std::string(fn) + ": settings." + name + " must be a whole number in 0.." + std::to_string(static_cast<int64_t>(high)));
    }
    return static_cast<uint32_t>(v[i]);
  };
  FmDeviceSettings s;
  s.loss = whole(0, "loss", 1);
  s.optimizer = whole(1, "optimizer", 2);
  s.decay = whole(2, "decay", 1);
  s.dim = whole(3, "dim", INT_MAX);
  if (s.dim < 1) throw Napi::RangeError::New(env, std::string(fn) + ": settings.dim must be at least 1");
  s.eps = static_cast<float>(v[4]);
  s.beta1 = static_cast<float>(v[5]);
  s.beta2 = static_cast<float>(v[6]);
  s.clip = static_cast<float>(v[7]);
  s.rescale_grad = static_cast<float>(v[8]);
  return s;
}

// The model table: whole factor counts and offsets, each model's factors within the width it sets.
void ModelsArg(Napi::Env env, const char* fn, Napi::Float64Array models, FmDeviceSettings& s) {
  if (models.ElementLength() == 0 || models.ElementLength() % kFmModelWords != 0) {
    throw Napi::RangeError::New(env, std::string(fn) + ": models must hold " + std::to_string(kFmModelWords) + " numbers per model, for at least one");
  }
  s.models = static_cast<uint32_t>(models.ElementLength() / kFmModelWords);
  size_t width = 0;
  for (size_t m = 0; m < s.models; m++) {
    const double factors = models[m * kFmModelWords], offset = models[m * kFmModelWords + 1];
    if (!(factors >= 0 && offset >= 0 && factors == std::floor(factors) && offset == std::floor(offset) && factors + offset <= 1 << 20)) {
      throw Napi::RangeError::New(env, std::string(fn) + ": model " + std::to_string(m) + "'s factors and offset must be whole numbers");
    }
    width = std::max(width, static_cast<size_t>(factors + offset));
  }
  // Disjoint factor ranges: a feature's (feature, model) threads step their own factors, from the values before the step.
  std::vector<std::pair<double, double>> ranges;
  for (size_t m = 0; m < s.models; m++) {
    if (models[m * kFmModelWords] > 0) ranges.emplace_back(models[m * kFmModelWords + 1], models[m * kFmModelWords + 1] + models[m * kFmModelWords]);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); i++) {
    if (ranges[i].first < ranges[i - 1].second) throw Napi::RangeError::New(env, std::string(fn) + ": two models' factors overlap");
  }
  s.width = static_cast<uint32_t>(width);
  boundless::CheckedProduct(env, fn, s.dim, std::max<size_t>(width, s.models));
}

// The first moment array the optimizer steps with that the state lacks (a finalized model scores, it does not train), or null.
const char* MissingMoment(const FmDevice& d) {
  for (int part : {kFmBiasM1, kFmLinearM1, kFmFactorsM1}) if (d.s.optimizer != kSgd && !d.part[part]) return kPartNames[part];
  for (int part : {kFmBiasM2, kFmLinearM2, kFmFactorsM2}) if (d.s.optimizer == kAdam && !d.part[part]) return kPartNames[part];
  return nullptr;
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  const char* fn = "cuda fmOpen";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 4);
  FmDeviceSettings s = SettingsArg(info, fn);
  Napi::Float64Array models = Float64Arg(info, 1, fn, "models");
  ModelsArg(env, fn, models, s);
  float* parts[kFmParts];
  PartsArg(info, 2, fn, s, parts);
  for (int part : {kFmBias, kFmLinear, kFmFactors}) {
    if (!parts[part]) throw Napi::TypeError::New(env, std::string(fn) + ": parts." + kPartNames[part] + " is needed always");
  }
  Napi::Int32Array last_step = Int32ArrayArg(info, 3, fn, "lastStep");
  RequireLength(env, fn, "lastStep", last_step.ElementLength(), s.dim);
  auto d = std::make_unique<FmDevice>();
  const std::string error = OpenFm(*d, s, models.Data(), parts, last_step.Data());
  return NewHandle<FmDevice, CloseFm>(env, fn, std::move(d), error);
}

// A sparse batch's feature index (factorization_machines.h's FeatureIndexWords) against the batch: "" or what is wrong.
std::string CheckIndex(const FmBatch& b, uint32_t dim) {
  const size_t touched = b.touched, nnz = b.rows.nnz;
  const uint32_t* features = b.index;
  const uint32_t* starts = features + touched;
  const uint32_t* rows = starts + touched + 1;
  if (starts[0] != 0 || starts[touched] != nnz) return "the feature index does not span the batch";
  for (size_t k = 0; k < touched; k++) {
    if (features[k] >= dim || starts[k] > starts[k + 1]) return "the feature index's slot " + std::to_string(k) + " is out of range";
  }
  // A feature once: its parameters are one thread's in the catch-up and feature passes.
  std::vector<uint32_t> sorted(features, features + touched);
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return "the feature index lists a feature twice";
  for (size_t e = 0; e < nnz; e++) {
    if (rows[e] >= b.rows.rows) return "the feature index's entry " + std::to_string(e) + " is out of range";
  }
  return "";
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda fmAdd";
  Napi::Env env = info.Env();
  const uint64_t kept = KeptBatchArg(info, fn, 12);
  FmDevice& d = HandleArg<FmDevice>(info, fn, "fmOpen");
  FmBatch b;
  b.rows = HostRowsArg(info, fn, 1, 6, d.s.dim);
  b.rows.kept = kept;
  b.touched = SizeArg(info, 8, fn, "touched");
  const size_t step = SizeArg(info, 9, fn, "step");
  if (step >= INT_MAX) throw Napi::RangeError::New(env, std::string(fn) + ": step must be below " + std::to_string(INT_MAX));
  b.step = static_cast<int32_t>(step);
  if (!info[10].IsBoolean()) throw Napi::TypeError::New(env, std::string(fn) + ": argument training must be a boolean");
  b.training = info[10].As<Napi::Boolean>().Value();
  if (b.training && MissingMoment(d)) throw Napi::TypeError::New(env, std::string(fn) + ": the state has no " + MissingMoment(d) + ", which the optimizer steps with");
  if (!info[11].IsNumber() || !(info[11].As<Napi::Number>().DoubleValue() >= -1 && info[11].As<Napi::Number>().DoubleValue() <= 1) ||
      info[11].As<Napi::Number>().DoubleValue() != std::floor(info[11].As<Napi::Number>().DoubleValue())) {
    throw Napi::RangeError::New(env, std::string(fn) + ": slot must be -1, 0 or 1");
  }
  b.slot = static_cast<int>(info[11].As<Napi::Number>().DoubleValue());
  if (b.rows.sparse) {
    if (!info[7].IsTypedArray() || info[7].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      throw Napi::TypeError::New(env, std::string(fn) + ": argument index must be a Uint32Array for a sparse batch");
    }
    Napi::Uint32Array index = info[7].As<Napi::Uint32Array>();
    if (b.touched > b.rows.nnz) throw Napi::RangeError::New(env, std::string(fn) + ": touched must be at most the batch's non-zeros");
    RequireLength(env, fn, "index", index.ElementLength(), 2 * b.touched + 1 + 2 * b.rows.nnz);
    b.index = index.Data();
  }
  FmDevice* held = &d;
  return Queue(info, fn, [=]() {
    std::string error = CheckCsr(b.rows, held->s.dim);
    if (error.empty() && b.rows.sparse) error = CheckIndex(b, held->s.dim);
    return error.empty() ? AddFm(*held, b) : error;
  });
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* fn = "cuda fmRead";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 4);
  FmDevice& d = HandleArg<FmDevice>(info, fn, "fmOpen");
  float* parts[kFmParts];
  PartsArg(info, 1, fn, d.s, parts);
  Napi::Int32Array last_step = Int32ArrayArg(info, 2, fn, "lastStep");
  RequireLength(env, fn, "lastStep", last_step.ElementLength(), d.s.dim);
  Napi::Float64Array sums = Float64Arg(info, 3, fn, "sums");
  RequireLength(env, fn, "sums", sums.ElementLength(), 2 * d.s.models * kFmSlotWords);
  std::array<float*, kFmParts> held_parts;
  std::copy(parts, parts + kFmParts, held_parts.begin());
  int32_t* last = last_step.Data();
  double* out = sums.Data();
  FmDevice* held = &d;
  return Queue(info, fn, [=]() { return ReadFm(*held, held_parts.data(), last, out); });
}

Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle<FmDevice, CloseFm>(info, "cuda fmClose", "fmOpen"); }

}  // namespace

void InitFmStep(Napi::Env env, Napi::Object exports) {
  exports.Set("fmOpen", Napi::Function::New(env, Open, "fmOpen"));
  exports.Set("fmAdd", Napi::Function::New(env, Add, "fmAdd"));
  exports.Set("fmRead", Napi::Function::New(env, Read, "fmRead"));
  exports.Set("fmClose", Napi::Function::New(env, Close, "fmClose"));
}

}  // namespace boundless_cuda
