// linearUpdateOpen(settings, at, sums, update, parts, lastStep) → handle;
// linearUpdateAdd(handle, labels, weights, values, indptr, indices, rows, index, touched, steps, table) → Promise;
// linearUpdateRead(handle, parts, lastStep, sums) → Promise; linearUpdateClose(handle).
// settings, at (14 offsets) and sums as ll_settings_arg.h says; update: Float64Array [stepKind (ll_update.cuh's
// LinearStepKind), beta1, beta2, momentum, epsilon]; parts: an Array of ll_update.cuh's LinearPart arrays
// (Float32Array or null); lastStep: Int32Array [dim]. A batch's steps are kStepWords doubles each and its table
// steps × models × kModelWords (ll_update.cuh). Lengths, the parts the optimizer needs, the steps' rows and, on
// the worker thread, the CSR structure, a multiclass batch's labels and the step index are checked before the
// device reads them.
#include "linear_learner/ll_update_binding.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "linear_learner/ll_rows_arg.h"
#include "linear_learner/ll_settings_arg.h"
#include "linear_learner/ll_update.cuh"
#include "runtime/arguments.h"
#include "runtime/device_handle.h"
#include "runtime/device_worker.h"

namespace boundless_cuda {
namespace {

using boundless::Float32Arg;
using boundless::Float64Arg;
using boundless::RequireArgCount;
using boundless::RequireLength;
using boundless::SizeArg;

const char* const kPartNames[kLinearParts] = {"weights", "average", "moment1", "moment2", "bias", "biasAverage", "biasMoment1", "biasMoment2",
                                             "featureShift", "featureScale", "labelTransform", "classWeight", "averaged"};

// info[index] as the state's parts, each of its length or null.
void PartsArg(const Napi::CallbackInfo& info, size_t index, const char* fn, const LinearSettings& s, float** out) {
  size_t lengths[kLinearParts];
  for (int i = 0; i < kLinearParts; i++) lengths[i] = LinearPartLength(i, s);
  FloatPartsArg(info, index, fn, kPartNames, lengths, kLinearParts, out);
}

// The parts a state must have for its settings: what the kernels dereference.
void RequireParts(Napi::Env env, const char* fn, const LinearUpdateSettings& u, float* const* parts) {
  auto need = [&](int part, bool needed, const char* why) {
    if (needed && !parts[part]) throw Napi::TypeError::New(env, std::string(fn) + ": parts." + kPartNames[part] + " is needed " + why);
  };
  need(kPartWeights, true, "always");
  need(kPartBias, true, "always");
  const bool first = u.step_kind == kStepMomentum || u.step_kind == kStepAdam;
  const bool second = u.step_kind == kStepAdam || u.step_kind == kStepRmsprop || u.step_kind == kStepAdagrad;
  need(kPartMoment1, first, "by the optimizer");
  need(kPartBiasMoment1, first, "by the optimizer");
  need(kPartMoment2, second, "by the optimizer");
  need(kPartBiasMoment2, second, "by the optimizer");
  need(kPartBiasAverage, parts[kPartAverage] != nullptr, "with an average");
  need(kPartScale, parts[kPartShift] != nullptr, "with a shift");
  need(kPartShift, parts[kPartScale] != nullptr, "with a scale");
}

Napi::Value Open(const Napi::CallbackInfo& info) {
  const char* fn = "cuda linearUpdateOpen";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 6);
  LinearUpdateSettings u;
  u.base = LinearSettingsArg(info, fn);
  LinearSumsArg(info, fn, 1, kLinearSums, u.base);
  Napi::Float64Array update = Float64Arg(info, 3, fn, "update");
  RequireLength(env, fn, "update", update.ElementLength(), 5);
  if (!(update[0] >= 0 && update[0] <= kStepAdagrad && update[0] == std::floor(update[0]))) {
    throw Napi::RangeError::New(env, std::string(fn) + ": update.stepKind must be a whole number in 0..4");
  }
  u.step_kind = static_cast<uint32_t>(update[0]);
  u.beta1 = static_cast<float>(update[1]);
  u.beta2 = static_cast<float>(update[2]);
  u.momentum = static_cast<float>(update[3]);
  u.epsilon = static_cast<float>(update[4]);
  float* parts[kLinearParts];
  PartsArg(info, 4, fn, u.base, parts);
  RequireParts(env, fn, u, parts);
  Napi::Int32Array last_step = Int32ArrayArg(info, 5, fn, "lastStep");
  RequireLength(env, fn, "lastStep", last_step.ElementLength(), u.base.dim);
  auto d = std::make_unique<LinearUpdateDevice>();
  const std::string error = OpenLinearUpdate(*d, u, parts, last_step.Data());
  return NewHandle<LinearUpdateDevice, CloseLinearUpdate>(env, fn, std::move(d), error);
}

// Each step's rows inside the batch, the steps the batch's rows in order, each once (the fused dense
// kernel's loss differences add every row of the batch once, after the steps); returns the most rows a step has.
size_t CheckSteps(Napi::Env env, const char* fn, const double* steps, size_t count, size_t rows) {
  size_t most = 0;
  double end = 0;
  for (size_t i = 0; i < count; i++) {
    const double begin = steps[i * kStepWords], n = steps[i * kStepWords + 1];
    if (!(begin >= 0 && n >= 1 && begin == std::floor(begin) && n == std::floor(n) && begin + n <= static_cast<double>(rows))) {
      throw Napi::RangeError::New(env, std::string(fn) + ": step " + std::to_string(i) + "'s rows are not within the batch's " + std::to_string(rows));
    }
    if (begin != end) {
      throw Napi::RangeError::New(env, std::string(fn) + ": step " + std::to_string(i) + " begins at row " + std::to_string(static_cast<size_t>(begin)) +
                                           ", not where the step before ends (row " + std::to_string(static_cast<size_t>(end)) + ")");
    }
    end = begin + n;
    most = std::max(most, static_cast<size_t>(n));
  }
  if (rows > 0 && end != static_cast<double>(rows)) {
    throw Napi::RangeError::New(env, std::string(fn) + ": the steps end at row " + std::to_string(static_cast<size_t>(end)) + " of the batch's " + std::to_string(rows));
  }
  return most;
}

// The step index of a sparse batch (linear_learner_step_index.h), against the batch and the steps: "" or what is wrong.
std::string CheckIndex(const LinearUpdateBatch& b, uint32_t dim) {
  const size_t steps = b.step_count, touched = b.touched, nnz = b.rows.nnz;
  if (b.index_words != steps + 1 + touched + touched + 1 + 2 * nnz) return "the step index has " + std::to_string(b.index_words) + " words, not the batch's";
  const uint32_t* first = b.index;
  const uint32_t* features = first + steps + 1;
  const uint32_t* starts = features + touched;
  const uint32_t* entries = starts + touched + 1;
  if (first[steps] != touched || starts[0] != 0 || starts[touched] != nnz) return "the step index does not span the batch";
  for (size_t i = 0; i < steps; i++) {
    const double* step = b.steps + i * kStepWords;
    if (first[i] > first[i + 1] || step[5] != first[i] || step[6] != first[i + 1] - first[i]) return "step " + std::to_string(i) + "'s touched features are not the index's";
  }
  for (size_t q = 0; q < touched; q++) {
    if (features[q] >= dim || starts[q] > starts[q + 1]) return "the step index's slot " + std::to_string(q) + " is out of range";
  }
  // A feature once a step: its weights are one thread's in the catch-up and weight passes.
  std::vector<uint32_t> step_features;
  for (size_t i = 0; i < steps; i++) {
    step_features.assign(features + first[i], features + first[i + 1]);
    std::sort(step_features.begin(), step_features.end());
    if (std::adjacent_find(step_features.begin(), step_features.end()) != step_features.end()) {
      return "step " + std::to_string(i) + "'s index lists a feature twice";
    }
  }
  for (size_t i = 0; i < steps; i++) {
    const double rows = b.steps[i * kStepWords + 1];
    for (size_t q = first[i]; q < first[i + 1]; q++) {
      for (size_t e = starts[q]; e < starts[q + 1]; e++) {
        if (entries[2 * e] >= nnz || entries[2 * e + 1] >= rows) return "the step index's entry " + std::to_string(e) + " is out of range";
      }
    }
  }
  return "";
}

Napi::Value Add(const Napi::CallbackInfo& info) {
  const char* fn = "cuda linearUpdateAdd";
  Napi::Env env = info.Env();
  const uint64_t kept = KeptBatchArg(info, fn, 11);
  LinearUpdateDevice& d = HandleArg<LinearUpdateDevice>(info, fn, "linearUpdateOpen");
  LinearUpdateBatch b;
  b.rows = HostRowsArg(info, fn, 1, 6, d.s.base.dim);
  b.rows.kept = kept;
  Napi::Float64Array steps = Float64Arg(info, 9, fn, "steps");
  Napi::Float64Array table = Float64Arg(info, 10, fn, "table");
  if (steps.ElementLength() % kStepWords != 0) throw Napi::RangeError::New(env, std::string(fn) + ": steps has a length that is not a multiple of " + std::to_string(kStepWords));
  b.step_count = steps.ElementLength() / kStepWords;
  RequireLength(env, fn, "table", table.ElementLength(), b.step_count * d.s.base.models * kModelWords);
  b.steps = steps.Data();
  b.table = table.Data();
  b.max_step_rows = CheckSteps(env, fn, b.steps, b.step_count, b.rows.rows);
  b.touched = SizeArg(info, 8, fn, "touched");
  if (b.rows.sparse) {
    if (!info[7].IsTypedArray() || info[7].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      throw Napi::TypeError::New(env, std::string(fn) + ": argument index must be a Uint32Array for a sparse batch");
    }
    Napi::Uint32Array index = info[7].As<Napi::Uint32Array>();
    b.index = index.Data();
    b.index_words = index.ElementLength();
  }
  LinearUpdateDevice* held = &d;
  return Queue(info, fn, [=]() {
    std::string error = CheckLinearRows(held->s.base, b.rows);
    if (error.empty() && b.rows.sparse) error = CheckIndex(b, held->s.base.dim);
    return error.empty() ? AddLinearUpdate(*held, b) : error;
  });
}

Napi::Value Read(const Napi::CallbackInfo& info) {
  const char* fn = "cuda linearUpdateRead";
  Napi::Env env = info.Env();
  RequireArgCount(info, fn, 4);
  LinearUpdateDevice& d = HandleArg<LinearUpdateDevice>(info, fn, "linearUpdateOpen");
  float* parts[kLinearParts];
  PartsArg(info, 1, fn, d.s.base, parts);
  Napi::Int32Array last_step = Int32ArrayArg(info, 2, fn, "lastStep");
  RequireLength(env, fn, "lastStep", last_step.ElementLength(), d.s.base.dim);
  Napi::Float64Array sums = Float64Arg(info, 3, fn, "sums");
  RequireLength(env, fn, "sums", sums.ElementLength(), d.s.base.sums);
  int32_t* last = last_step.Data();
  double* out = sums.Data();
  std::array<float*, kLinearParts> held_parts;
  std::copy(parts, parts + kLinearParts, held_parts.begin());
  LinearUpdateDevice* held = &d;
  return Queue(info, fn, [=]() { return ReadLinearUpdate(*held, held_parts.data(), last, out); });
}

Napi::Value Close(const Napi::CallbackInfo& info) { return CloseHandle<LinearUpdateDevice, CloseLinearUpdate>(info, "cuda linearUpdateClose", "linearUpdateOpen"); }

}  // namespace

void InitLinearUpdate(Napi::Env env, Napi::Object exports) {
  exports.Set("linearUpdateOpen", Napi::Function::New(env, Open, "linearUpdateOpen"));
  exports.Set("linearUpdateAdd", Napi::Function::New(env, Add, "linearUpdateAdd"));
  exports.Set("linearUpdateRead", Napi::Function::New(env, Read, "linearUpdateRead"));
  exports.Set("linearUpdateClose", Napi::Function::New(env, Close, "linearUpdateClose"));
}

}  // namespace boundless_cuda
