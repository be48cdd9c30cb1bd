// JS binding of the batch checks the unsupervised kernels run first. A GPU kernel that keeps its
// state on the device cannot take a bad batch back once enqueued, nor learn of it without a
// read-back per batch; it checks on a libuv thread first, and learns the batch's magnitudes
// (largest |value|, smallest positive and largest weight), which tell it whether float32 can hold the
// batch's products and sums.
#include "runtime/batch_checks_binding.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "runtime/arguments.h"
#include "runtime/async_kernel.h"
#include "runtime/batch_view.h"

namespace boundless {
namespace {

struct Magnitudes {
  double max_abs = 0, min_weight = 1, max_weight = 1;
  std::vector<double> mean;  // dim, when asked for (dense rows): weighted, or plain when every weight is 0
};

// Σw·x / Σw per feature of dense rows (Σx / rows when the weights sum to 0), in row order.
std::vector<double> Mean(const BatchView& b) {
  std::vector<double> sum(b.cols, 0.0), plain(b.cols, 0.0);
  double total = 0;
  for (size_t r = 0; r < b.rows; r++) {
    const double w = b.weights ? b.weights[r] : 1.0;
    total += w;
    const float* x = b.values + r * b.cols;
    for (size_t j = 0; j < b.cols; j++) {
      sum[j] += w * x[j];
      plain[j] += x[j];
    }
  }
  for (size_t j = 0; j < b.cols; j++) sum[j] = total > 0 ? sum[j] / total : (b.rows > 0 ? plain[j] / static_cast<double>(b.rows) : 0.0);
  return sum;
}

Magnitudes Measure(const BatchView& b, bool with_mean) {
  Magnitudes m;
  if (with_mean && !b.sparse) m.mean = Mean(b);
  const size_t count = b.sparse ? static_cast<size_t>(b.indptr[b.rows]) : b.rows * b.cols;
  float largest = 0;
  for (size_t i = 0; i < count; i++) largest = std::max(largest, std::fabs(b.values[i]));
  m.max_abs = largest;
  if (b.weights) {
    // The smallest positive weight (rows of weight 0 add exact zeros) and the largest.
    double smallest = 0, largest_weight = 0;
    for (size_t r = 0; r < b.rows; r++) {
      const double w = b.weights[r];
      if (w > 0 && (smallest == 0 || w < smallest)) smallest = w;
      largest_weight = std::max(largest_weight, w);
    }
    m.min_weight = smallest > 0 ? smallest : 1;
    m.max_weight = largest_weight;
  }
  return m;
}

// validateFeatureRows(batch, dim, name?, mean?) → Promise<{maxAbs, minWeight, maxWeight, mean?}>; errors as the
// kernel `name` (default validateFeatureRows) gives them; `mean`: also the rows' weighted mean (dense rows).
Napi::Value ValidateFeatureRowsAsync(const Napi::CallbackInfo& info) {
  const std::string name = info.Length() >= 3 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "validateFeatureRows";
  if (info.Length() < 2 || info.Length() > 4) throw Napi::TypeError::New(info.Env(), name + ": expected 2 to 4 arguments");
  const bool with_mean = info.Length() >= 4 && info[3].ToBoolean().Value();
  const char* function = name.c_str();  // argument errors name the kernel; read here, on this thread
  size_t dim = SizeArg(info, 1, function, "dim");
  ArrayReader reader(info.Env(), function);
  BatchView batch = ReadBatchView(reader, ObjectArg(info, 0, function, "batch"), function);
  return QueueResultKernel<Magnitudes>(
      info.Env(), "boundless:validateFeatureRows", reader,
      [=]() {
        ValidateFeatureRows(batch, dim);
        return Measure(batch, with_mean);
      },
      [](Napi::Env env, Magnitudes& m) {
        Napi::Object out = Napi::Object::New(env);
        out.Set("maxAbs", m.max_abs);
        out.Set("minWeight", m.min_weight);
        out.Set("maxWeight", m.max_weight);
        if (!m.mean.empty()) {
          Napi::Float64Array mean = Napi::Float64Array::New(env, m.mean.size());
          std::copy(m.mean.begin(), m.mean.end(), mean.Data());
          out.Set("mean", mean);
        }
        return static_cast<Napi::Value>(out);
      });
}

}  // namespace

void RegisterBatchChecks(Napi::Env env, Napi::Object exports) {
  exports.Set("validateFeatureRows", Napi::Function::New(env, ValidateFeatureRowsAsync, "validateFeatureRows"));
}

}  // namespace boundless
