#include "algorithms/linear_learner/linear_learner.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "algorithms/linear_learner/linear_learner_loops.h"
#include "algorithms/linear_learner/linear_learner_shrink.h"
#include "algorithms/linear_learner/linear_learner_step_index.h"
#include "linalg/linear_algebra.h"
#include "runtime/merged_rows.h"
#include "runtime/split_mix.h"
#include "runtime/thread_buffer.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace linear {
namespace {

std::string Row(size_t r) { return "row " + std::to_string(r); }

std::string Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

size_t Width(const Settings& s) { return s.models * s.classes; }

constexpr size_t kPrefetchDistance = 6;

// Brings the cache lines of n floats toward the core (a hint; no effect on results).
inline void Prefetch(const float* p, size_t n) {
  const char* bytes = reinterpret_cast<const char*>(p);
  for (size_t offset = 0; offset < n * sizeof(float); offset += 64) __builtin_prefetch(bytes + offset);
}

// Per-thread scratch reused across calls: large vectors freed after every
// batch would be unmapped and faulted back in each time. Sizes follow the
// largest batch seen (bounded by mini_batch_size), never the data seen.
struct Scratch {
  std::vector<float> x, gradient;
  std::vector<double> scores, average_scores, baseline;
  std::vector<uint32_t> touched, entry_slot, keys, slots;
  std::vector<int32_t> indptr;  // a step's rows of a sparse batch, rebased to 0
  std::vector<double> lr;
  std::vector<Proximal> proximal;                   // per model (linear_learner_shrink.h)
  std::vector<double> decay, threshold, t, phi_t, g;  // the same, as arrays for the loop across models
  std::vector<float> log_decay_f;  // −t in float, for decay_powers (−87 where the decay is 0)
  std::vector<float> element_lr, element_decay, element_threshold;
};
Scratch& ThreadScratch() { return ThreadBuffer<Scratch>(); }

// Deterministic per-index random numbers (runtime/split_mix.h), so initialization is
// the same whatever the thread count.
uint64_t SplitMix(uint64_t x) { return SplitMix64(x); }
double Unit(uint64_t bits) { return (static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53; }

// The learning rate of model m at step t (1-based), after the per-pass scale and the step-decay
// schedule. Either decay stops at lr_scheduler_minimum (a rate set below it stays as set).
double LearningRate(const Settings& s, const State& st, size_t m, double step) {
  const double base = st.learning_rate[m];
  const double floor = std::min(base, s.lr_scheduler_minimum);
  double lr = std::max(base * s.rate_scale, floor);
  if (!s.use_lr_scheduler) return lr;
  double decays = std::floor((step - 1) / s.lr_scheduler_step);
  double scheduled = lr * std::pow(s.lr_scheduler_factor, decays);
  return std::max(scheduled, floor);
}

// The proximal constants of a step at rate lr (linear_learner_shrink.h). t from log1p: 1 − lr·wd
// rounds away most of a small lr·wd, and t is what the catch-up's accuracy rests on.
Proximal ProximalConstants(double lr, double wd, double l1) {
  Proximal p{};
  p.decay = std::max(0.0, 1 - lr * wd);
  p.threshold = lr * l1;
  p.t = p.decay > 0 ? -std::log1p(-lr * wd) : 87.0;  // where the decay is 0 only `zero` is read
  p.phi_t = Phi(p.t, std::exp(-p.t));
  p.g = 1 - p.t * p.phi_t;
  return p;
}

// k steps of w ← soft(w·a, τ) in closed form, with Σ of the k iterates into *sum (for the iterate
// average of a feature that missed them): ShrinkSteps while |w| stays positive, then 0.
// `power`: e^(−k·t) when the caller has it (decay_powers), else negative. One exponential in the
// common case; a log and a second one only when the weight reaches zero within the k steps.
inline float ShrinkWithSum(float w, const Proximal& p, double k, double* sum, double power = -1) {
  *sum = 0;
  if (k <= 0 || w == 0) return w;
  if (p.decay <= 0) return 0;
  if (p.t == 0 && p.threshold == 0) {
    *sum = k * w;
    return w;
  }
  const double m0 = std::fabs(static_cast<double>(w));
  double magnitude, total;
  ShrinkSteps(m0, p, k, power >= 0 ? power : std::exp(-k * p.t), &magnitude, &total);
  if (magnitude <= 0) {
    // The iterates still positive: m₀·aⁱ > τ·(1 − aⁱ)/(1 − a), i.e. i < log1p(m₀·(1 − a)/τ)/t.
    double steps = p.t == 0 ? std::ceil(m0 / p.threshold) - 1 : std::ceil(std::log1p(m0 * p.t * p.g / p.threshold) / p.t) - 1;
    steps = std::min(k, std::max(0.0, steps));
    double ignored;
    total = 0;
    if (steps > 0) ShrinkSteps(m0, p, steps, std::exp(-steps * p.t), &ignored, &total);
  }
  total = std::max(0.0, total);
  *sum = w < 0 ? -total : total;
  return magnitude > 0 ? static_cast<float>(w < 0 ? -magnitude : magnitude) : 0.0f;
}

// Σ of the k iterates alone.
inline double ShrinkSum(float w, const Proximal& p, double k) {
  double sum;
  ShrinkWithSum(w, p, k, &sum);
  return sum;
}

// The step after which iterates are averaged, or −1 before averaging begins.
inline double AverageStart(const State& st) { return st.average_start && st.average_start[0] > 0 ? st.average_start[0] - 1 : -1; }

// The average of a weight w last updated at step `last` (its average a then), brought to step `to`:
// the mean of the iterates of the steps after `start`; the latest iterate before averaging begins.
// `shrunk` and `missed_sum` are ShrinkWithSum's over the to − last missed steps; `inverse_count` is 1/(to − start).
inline float AverageAt(float a, float w, float shrunk, double missed_sum, double last, double to, double start, const Proximal& p,
                       double inverse_count) {
  if (start < 0 || to <= start) return shrunk;
  double counted = std::max(0.0, last - start);  // iterates already in a
  double skipped = std::max(0.0, start - last);  // missed steps from before averaging began
  double sum = a * counted + missed_sum - (skipped > 0 ? ShrinkSum(w, p, skipped) : 0.0);
  return static_cast<float>(sum * inverse_count);
}

// log(1 + x) for x in [0, 1] by the atanh series, s = x / (2 + x) ≤ 1/3: the
// first omitted term is below 1e-8. libm's log1p was the largest single cost
// of the logistic loss with many models.
inline double Log1pUnit(double x) {
  double s = x / (2 + x);
  double s2 = s * s;
  return 2 * s * (1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11 + s2 * (1.0 / 13)))))));
}

// Loss of one row for one model at scores s (classes of them) and label y;
// writes dloss/dscore into gradient when it is not null.
double LossAndGradient(const Settings& s, const double* score, double y, float* gradient) {
  switch (s.loss) {
    case Loss::kLogistic: {
      // One single-precision exponential serves the loss and the sigmoid: the
      // gradient is stored in float anyway, and this is the hot spot with many models.
      double z = score[0];
      float e = std::exp(-std::fabs(static_cast<float>(z)));
      if (gradient) gradient[0] = (z >= 0 ? 1 / (1 + e) : e / (1 + e)) - static_cast<float>(y);
      return std::max(z, 0.0) - z * y + Log1pUnit(e);
    }
    case Loss::kHinge: {
      double t = 2 * y - 1;
      double slack = s.margin - t * score[0];
      if (gradient) gradient[0] = slack > 0 ? static_cast<float>(-t) : 0.0f;
      return slack > 0 ? slack : 0;
    }
    case Loss::kSoftmax: {
      size_t label = static_cast<size_t>(y);
      double top = score[0];
      for (size_t c = 1; c < s.classes; c++) top = std::max(top, score[c]);
      // One exponential per class serves the loss and the gradient (kept in the gradient's floats
      // until the total is known: the gradient is stored in float anyway).
      double total = 0;
      for (size_t c = 0; c < s.classes; c++) {
        double e = std::exp(score[c] - top);
        total += e;
        if (gradient) gradient[c] = static_cast<float>(e);
      }
      if (gradient) {
        const double inverse = 1 / total;
        for (size_t c = 0; c < s.classes; c++) gradient[c] = static_cast<float>(gradient[c] * inverse - (c == label ? 1.0 : 0.0));
      }
      return std::log(total) + top - score[label];
    }
    default:
      break;
  }
  double d = score[0] - y;  // residual
  double a = std::fabs(d);
  double sign = d > 0 ? 1 : (d < 0 ? -1 : 0);
  double loss = 0, g = 0;
  switch (s.loss) {
    case Loss::kSquared: loss = d * d; g = 2 * d; break;
    case Loss::kAbsolute: loss = a; g = sign; break;
    case Loss::kEpsSquared: {
      double e = std::max(0.0, a - s.insensitivity);
      loss = e * e; g = 2 * e * sign;
      break;
    }
    case Loss::kEpsAbsolute: {
      double e = a - s.insensitivity;
      loss = e > 0 ? e : 0; g = e > 0 ? sign : 0;
      break;
    }
    case Loss::kQuantile: {
      // Pinball loss on u = y − score: τ·u above, (τ − 1)·u below.
      double u = -d;
      loss = u >= 0 ? s.quantile * u : (s.quantile - 1) * u;
      g = u > 0 ? -s.quantile : (u < 0 ? 1 - s.quantile : 0);
      break;
    }
    case Loss::kHuber:
      if (a <= s.huber_delta) { loss = 0.5 * d * d; g = d; }
      else { loss = s.huber_delta * (a - 0.5 * s.huber_delta); g = s.huber_delta * sign; }
      break;
    default: break;
  }
  if (gradient) gradient[0] = static_cast<float>(g);
  return loss;
}

// The batch's values after the scaler: dense x' = (x − shift)·scale, sparse x·scale.
void TransformValues(const State& st, const BatchView& b, std::vector<float>& out) {
  size_t n = b.sparse ? static_cast<size_t>(b.indptr[b.rows]) : b.rows * b.cols;
  out.resize(n);
  if (!st.feature_scale) {
    std::copy(b.values, b.values + n, out.begin());
    return;
  }
  if (b.sparse) {
    for (size_t e = 0; e < n; e++) out[e] = b.values[e] * st.feature_scale[b.indices[e]];
  } else {
    ThreadPool::Shared().ParallelFor(b.rows, 64, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; r++) {
        const float* x = b.values + r * b.cols;
        float* y = out.data() + r * b.cols;
        for (size_t j = 0; j < b.cols; j++) y[j] = (x[j] - st.feature_shift[j]) * st.feature_scale[j];
      }
    });
  }
}

// Dense rows in a training step: linalg's register-tiled product (each score summed in float over
// the features in order, from its bias, whatever rows a thread is given), widened for the loss
// code. One model of one output is a dot product per row. The rows are centred and scaled by then,
// so float32 sums lose nothing that matters; predictions and evaluation sum in float64
// (ForwardDenseWide): their rows are raw, and a row far from the origin or with a value near
// float32's limit would lose its score (a 5e37 pixel gave NaN probabilities).
void ForwardDense(const float* weights, const float* bias, size_t width, const BatchView& b, const float* x,
                  std::vector<double>& scores) {
  const LinearAlgebraKernels& kernels = SelectedLinearAlgebraKernels();
  // The caller's buffer, named before the loop: inside the lambda a thread_local would be each
  // pool thread's own (empty) one.
  std::vector<float>& product = ThreadBuffer<std::vector<float>, struct DenseProduct>();
  product.resize(b.rows * width);
  scores.resize(b.rows * width);
  size_t per_row = std::max<size_t>(1, b.cols * width);
  ThreadPool::Shared().ParallelFor(b.rows, std::max<size_t>(4, 65536 / per_row), [&](size_t begin, size_t end) {
    if (width == 1) {
      for (size_t r = begin; r < end; r++) product[r] = (bias ? bias[0] : 0.0f) + kernels.dot(x + r * b.cols, weights, b.cols);
    } else {
      kernels.product_rows(x, weights, bias, product.data(), begin, end, b.cols, width);
    }
    for (size_t k = begin * width; k < end * width; k++) scores[k] = product[k];
  });
}

// Dense rows summed in float64, row by row.
void ForwardDenseWide(const float* weights, const float* bias, size_t width, const BatchView& b, const float* x,
                      std::vector<double>& scores) {
  scores.assign(b.rows * width, 0.0);
  const Loops& loops = SelectedLoops();
  size_t per_row = std::max<size_t>(1, b.cols * width);
  ThreadPool::Shared().ParallelFor(b.rows, std::max<size_t>(1, 32768 / per_row), [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      double* acc = scores.data() + r * width;
      if (bias) for (size_t k = 0; k < width; k++) acc[k] = bias[k];
      const float* xr = x + r * b.cols;
      if (width == 1) {
        double sum = acc[0];
        for (size_t j = 0; j < b.cols; j++) sum += static_cast<double>(xr[j]) * weights[j];
        acc[0] = sum;
      } else {
        loops.row_product(acc, xr, weights, b.cols, width);
      }
    }
  });
}

enum class Sums { kFloat, kDouble };

// scores[r·width + k] = bias[k] + Σ_j x'_rj · weights[j·width + k]; x holds the batch's values (transformed or not).
// Sparse rows sum in float64; dense ones as `sums` says (float32 tiles only for a step's scaled rows).
void Forward(const float* weights, const float* bias, size_t width, const BatchView& b,
             const float* x, std::vector<double>& scores, Sums sums = Sums::kDouble) {
  if (!b.sparse) {
    if (sums == Sums::kFloat) ForwardDense(weights, bias, width, b, x, scores);
    else ForwardDenseWide(weights, bias, width, b, x, scores);
    return;
  }
  scores.assign(b.rows * width, 0.0);
  const Loops& loops = SelectedLoops();
  size_t per_row = std::max<size_t>(1, 32 * width);
  ThreadPool::Shared().ParallelFor(b.rows, std::max<size_t>(1, 32768 / per_row), [&](size_t begin, size_t end) {
    if (width == 1) {
      // One model: the row's sum in a register (through `scores` it was a store and a load per
      // entry, the compiler unable to rule out aliasing), the same additions in the same order.
      for (size_t r = begin; r < end; r++) {
        double sum = bias ? static_cast<double>(bias[0]) : 0.0;
        const int32_t stop = b.indptr[r + 1];
        for (int32_t e = b.indptr[r]; e < stop; e++) {
          if (e + static_cast<int32_t>(kPrefetchDistance) < stop) __builtin_prefetch(weights + b.indices[e + kPrefetchDistance]);
          sum += static_cast<double>(x[e]) * weights[b.indices[e]];
        }
        scores[r] = sum;
      }
      return;
    }
    for (size_t r = begin; r < end; r++) {
      double* acc = scores.data() + r * width;
      if (bias) for (size_t k = 0; k < width; k++) acc[k] = bias[k];
      int32_t stop = b.indptr[r + 1];
      for (int32_t e = b.indptr[r]; e < stop; e++) {
        if (e + static_cast<int32_t>(kPrefetchDistance) < stop) Prefetch(weights + static_cast<size_t>(b.indices[e + kPrefetchDistance]) * width, width);
        loops.add_scaled(acc, x[e], weights + static_cast<size_t>(b.indices[e]) * width, width);
      }
    }
  });
}

double RowWeight(const BatchView& b, size_t r) { return b.weights ? b.weights[r] : 1.0; }

// The positive-class weight of model m (binary), from the scaler's class counts.
double PositiveWeight(const Settings& s, const State& st, size_t m) {
  if (!st.positive_weight) return 1;
  double ratio = 1;
  if (st.class_counts && st.class_counts[1] > 0 && st.class_counts[0] > 0) ratio = st.class_counts[0] / st.class_counts[1];
  switch (s.positive_weighting) {
    case PositiveWeighting::kFixed: return st.positive_weight[m];
    case PositiveWeighting::kBalanced: return st.positive_weight[m] * ratio;
    case PositiveWeighting::kAuto: return std::pow(ratio, static_cast<double>(st.positive_weight[m]));
  }
  return 1;
}

// The loss AccumulateMetrics adds for a row at these scores (training space; regression's on the original label scale).
double MetricLoss(const Settings& s, const State& st, const double* score, double y) {
  if (IsClassification(s.loss)) return LossAndGradient(s, score, y, nullptr);
  double shift = st.label_transform ? st.label_transform[0] : 0;
  double scale = st.label_transform ? st.label_transform[1] : 1;
  double original = score[0] / scale + shift;
  return LossAndGradient(s, &original, y, nullptr);
}

// Metrics of model m on row r (scores in training space), on the original label scale.
// `known_loss`: the metric loss at these scores when the caller already has it (MetricLoss's), so the
// transcendental work is done once per row.
void AccumulateMetrics(const Settings& s, const State& st, const double* score, double y, double weight, size_t m,
                       Metrics& metrics, const double* known_loss = nullptr) {
  auto loss_at = [&]() { return known_loss ? *known_loss : LossAndGradient(s, score, y, nullptr); };
  if (s.loss == Loss::kLogistic || s.loss == Loss::kHinge) {
    if (metrics.loss_sum) metrics.loss_sum[m] += weight * loss_at();
    if (metrics.correct) metrics.correct[m] += ((score[0] >= 0) == (y == 1)) ? weight : 0;
    if (metrics.confusion) {
      bool positive = score[0] >= metrics.threshold;
      metrics.confusion[m * 4 + (y == 1 ? (positive ? 0 : 3) : (positive ? 1 : 2))] += weight;
    }
    if (metrics.histogram) {
      size_t bins = metrics.histogram_bins;
      metrics.histogram[(m * 2 + (y == 1 ? 1 : 0)) * bins + HistogramBin(score[0], bins, metrics.histogram_log_scale)] += weight;
    }
    return;
  }
  if (s.loss == Loss::kSoftmax) {
    size_t label = static_cast<size_t>(y);
    if (metrics.loss_sum) metrics.loss_sum[m] += weight * loss_at();
    size_t best = 0, above = 0;
    for (size_t c = 0; c < s.classes; c++) {
      if (score[c] > score[best]) best = c;
      if (score[c] > score[label]) above++;
    }
    if (metrics.correct && best == label) metrics.correct[m] += weight;
    if (metrics.topk_correct && above < metrics.top_k) metrics.topk_correct[m] += weight;
    if (metrics.dcg) metrics.dcg[m] += weight / std::log2(2.0 + static_cast<double>(above));
    if (metrics.class_actual) {
      metrics.class_actual[m * s.classes + label] += weight;
      metrics.class_predicted[m * s.classes + best] += weight;
      if (best == label) metrics.class_true_positive[m * s.classes + label] += weight;
    }
    return;
  }
  double shift = st.label_transform ? st.label_transform[0] : 0;
  double scale = st.label_transform ? st.label_transform[1] : 1;
  double original = score[0] / scale + shift;
  double d = original - y;
  if (metrics.loss_sum) metrics.loss_sum[m] += weight * (known_loss ? *known_loss : LossAndGradient(s, &original, y, nullptr));
  if (metrics.squared_error) metrics.squared_error[m] += weight * d * d;
  if (metrics.absolute_error) metrics.absolute_error[m] += weight * std::fabs(d);
}

// The scaler sample's origin: its first dense row and first label (rows of a sparse batch keep 0).
void SetScalerOrigin(const Settings& s, const State& st, const BatchView& b, bool features) {
  if (!st.scaler_origin) return;
  if (features && !b.sparse) std::copy(b.values, b.values + s.dim, st.scaler_origin);
  st.scaler_origin[s.dim] = b.labels[0];
}

// Mean and standard deviation from n values' sums about an origin.
void MomentsAbout(double origin, double sum, double sumsq, double n, double* mean, double* deviation) {
  double shifted = sum / n;
  *mean = origin + shifted;
  *deviation = std::sqrt(std::max(0.0, sumsq / n - shifted * shifted));
}

// The float64 sums' rounding, relative to the square of what they cancel (up to 10^4 additions of
// relative error 2^-53, with a margin).
constexpr double kSumsNoise = 1e-12;

// A feature's scale from its sample sums about origin o over n rows, `nonzero` of them non-zero:
// 1 / standard deviation, or 1 / the RMS of its non-zero values about `shift` (scale_by_nonzero).
// The zeros' share of the sums is (0 − o) each, which gives the sums over the non-zero values.
float FeatureScale(const Settings& s, double o, double sum, double sumsq, double nonzero, double n, double shift) {
  if (!s.normalize_data) return 1.0f;
  double mean_square, reference;
  if (s.scale_by_nonzero) {
    if (!(nonzero > 0)) return 1.0f;
    double zeros = n - nonzero;
    double s1 = sum + zeros * o, s2 = sumsq - zeros * o * o;
    double c = shift - o;
    mean_square = (s2 - 2 * c * s1 + nonzero * c * c) / nonzero;
    reference = c * c;
  } else {
    double shifted = sum / n;
    mean_square = sumsq / n - shifted * shifted;
    reference = shifted * shifted;
  }
  // Constant: no spread, or one within the rounding of the float64 sums about the origin (their
  // cancellation, relative to the mean's distance from it). Any spread of the float32 values
  // themselves is real: a Unix-timestamp column (1.7e9 ± 100) had been called constant by a test
  // relative to its value (1e-7) and left unscaled beside unit features, its ±100 then dividing
  // every feature's normalized rate by 1e4 (a regressor's mse 3.2 where 0.26 was the fit).
  // Relative tests, so features of any magnitude (1e-15 as well as 1e9) are scaled alike.
  return mean_square > 0 && mean_square > kSumsNoise * reference ? static_cast<float>(1 / std::sqrt(mean_square)) : 1.0f;
}

// Feature j's shift and scale from its sums over the n sample rows; returns the mean over those
// rows of the scaled value's square (its share of the mean squared row norm).
double RefreshFeature(const Settings& s, State& st, size_t j, double n) {
  double mean, deviation;
  double o = st.scaler_origin ? st.scaler_origin[j] : 0.0;
  double sum = st.feature_sum[j], sumsq = st.feature_sumsq[j];
  MomentsAbout(o, sum, sumsq, n, &mean, &deviation);
  double shift = s.unbias_data ? mean : 0.0;
  double scale = FeatureScale(s, o, sum, sumsq, st.feature_nonzero ? st.feature_nonzero[j] : 0, n, shift);
  st.feature_shift[j] = static_cast<float>(shift);
  st.feature_scale[j] = static_cast<float>(scale);
  double c = shift - o;
  return scale * scale * std::max(0.0, (sumsq - 2 * c * sum + n * c * c) / n);
}

// Every feature's shift and scale, and the mean squared row norm, after the sample grew to n.
// Sparse rows scaled by their non-zero RMS change only the features they hold, and each
// non-zero is 1 in RMS: the norm is the non-zeros per row. Otherwise every feature is
// refreshed, in fixed blocks so the sum's order does not depend on the thread count.
void RefreshFeatureScales(const Settings& s, State& st, const BatchView& b, size_t rows, double n) {
  if (b.sparse && s.scale_by_nonzero && s.normalize_data) {
    for (int32_t e = 0; e < b.indptr[rows]; e++) RefreshFeature(s, st, b.indices[e], n);
    if (st.input_norm) st.input_norm[2] = (s.use_bias ? 1 : 0) + st.input_norm[0] / n;
    return;
  }
  constexpr size_t kBlock = 4096;
  size_t blocks = (s.dim + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks, 0.0);
  ThreadPool::Shared().ParallelFor(blocks, 1, [&](size_t begin, size_t end) {
    for (size_t block = begin; block < end; block++) {
      double total = 0;
      for (size_t j = block * kBlock; j < std::min(s.dim, (block + 1) * kBlock); j++) total += RefreshFeature(s, st, j, n);
      partial[block] = total;
    }
  });
  double norm = 0;
  for (double value : partial) norm += value;
  if (st.input_norm) st.input_norm[2] = (s.use_bias ? 1 : 0) + norm;  // the bias: a feature that is always 1
}

// Refines the scaler with the first rows of the batch while the sample is incomplete.
void UpdateScaler(const Settings& s, State& st, const BatchView& given) {
  // A sparse row naming an index twice holds their sum there (runtime/merged_rows.h): counted
  // entry by entry, `i:0.75 i:0.75` was two non-zeros of 0.75 where `i:1.5` is one of 1.5, and
  // the two files trained different models (a scale of 1.33 against 0.67).
  double taken = st.counters[kScalerRows];
  if (taken >= s.scaler_points) return;
  size_t rows = static_cast<size_t>(std::min<double>(given.rows, s.scaler_points - taken));
  if (rows == 0) return;
  const BatchView b = MergedRows(given, ThreadBuffer<MergedStorage, struct ScalerRows>());
  bool features = st.feature_sum != nullptr;
  if (taken == 0) SetScalerOrigin(s, st, b, features);
  const double* origin = st.scaler_origin;
  if (features) {
    if (b.sparse) {
      for (int32_t e = 0; e < b.indptr[rows]; e++) {
        double v = b.values[e];
        st.feature_sum[b.indices[e]] += v;
        st.feature_sumsq[b.indices[e]] += v * v;
        if (st.feature_nonzero && v != 0) st.feature_nonzero[b.indices[e]] += 1;
        if (st.input_norm) {
          st.input_norm[0] += v != 0 ? 1 : 0;
          st.input_norm[1] += v * v;
        }
      }
    } else {
      ThreadPool::Shared().ParallelFor(b.cols, 256, [&](size_t begin, size_t end) {
        for (size_t r = 0; r < rows; r++) {
          const float* x = b.values + r * b.cols;
          for (size_t j = begin; j < end; j++) {
            double v = x[j] - (origin ? origin[j] : 0.0);
            st.feature_sum[j] += v;
            st.feature_sumsq[j] += v * v;
            if (st.feature_nonzero && x[j] != 0) st.feature_nonzero[j] += 1;
          }
        }
      });
    }
  }
  const double label_origin = origin ? origin[s.dim] : 0.0;
  for (size_t r = 0; r < rows; r++) {
    double y = b.labels[r];
    st.counters[kLabelSum] += y - label_origin;
    st.counters[kLabelSumSq] += (y - label_origin) * (y - label_origin);
    if (st.class_counts) {
      size_t c = s.loss == Loss::kSoftmax ? static_cast<size_t>(y) : (y == 1 ? 1 : 0);
      st.class_counts[c] += 1;
    }
  }
  double n = taken + rows;
  st.counters[kScalerRows] = n;
  if (features) RefreshFeatureScales(s, st, b, rows, n);
  if (st.label_transform) {
    double mean, deviation;
    MomentsAbout(label_origin, st.counters[kLabelSum], st.counters[kLabelSumSq], n, &mean, &deviation);
    // The label's spread about its shift, as a feature's (FeatureScale): its deviation once
    // centred, else its RMS. Uncentred labels far from 0 divided by their deviation made targets
    // of thousands that the steps took epochs to reach (use_bias=false: mse 1804 where 0.01 fits).
    const double spread = s.unbias_label ? deviation : std::sqrt(deviation * deviation + mean * mean);
    st.label_transform[0] = s.unbias_label ? static_cast<float>(mean) : 0.0f;
    st.label_transform[1] = s.normalize_label && spread > 1e-12 ? static_cast<float>(1 / spread) : 1.0f;
  }
  if (st.class_weight && s.balance_multiclass) {
    // Inverse frequency, n / (classes · n_c); a class not yet seen gets the large weight SageMaker gives it.
    for (size_t c = 0; c < s.classes; c++) {
      double count = st.class_counts[c];
      st.class_weight[c] = count > 0 ? static_cast<float>(n / (static_cast<double>(s.classes) * count)) : 1e6f;
    }
  }
}

// One optimizer step plus the step's proximal regularization, for one parameter.
struct StepRule {
  Optimizer optimizer;
  double beta1, beta2, momentum, epsilon, correction1, correction2;

  inline float Apply(float w, double g, double lr, float* m1, float* m2) const {
    double update;
    switch (optimizer) {
      case Optimizer::kSgd:
        if (m1) {
          double v = momentum * *m1 + g;
          *m1 = static_cast<float>(v);
          update = v;
        } else {
          update = g;
        }
        break;
      case Optimizer::kAdam: {
        double a = beta1 * *m1 + (1 - beta1) * g;
        double b = beta2 * *m2 + (1 - beta2) * g * g;
        *m1 = static_cast<float>(a);
        *m2 = static_cast<float>(b);
        update = (a / correction1) / (std::sqrt(b / correction2) + epsilon);
        break;
      }
      case Optimizer::kRmsprop: {
        double b = beta2 * *m2 + (1 - beta2) * g * g;
        *m2 = static_cast<float>(b);
        update = g / (std::sqrt(b) + epsilon);
        break;
      }
      case Optimizer::kAdagrad: {
        double b = *m2 + g * g;
        *m2 = static_cast<float>(b);
        update = g / (std::sqrt(b) + epsilon);
        break;
      }
      default: update = g;
    }
    return static_cast<float>(w - lr * update);
  }
};

}  // namespace

void ValidateBatch(const Settings& s, const BatchView& b, bool need_labels) {
  if (b.cols != s.dim) {
    throw std::invalid_argument("has " + std::to_string(b.cols) + " features per row, expected " +
                                std::to_string(s.dim) + " (feature_dim)");
  }
  if (b.sparse) {
    if (b.indptr[0] != 0) throw std::invalid_argument("indptr[0] must be 0, got " + std::to_string(b.indptr[0]));
    for (size_t r = 0; r < b.rows; r++) {
      if (b.indptr[r + 1] < b.indptr[r]) throw std::invalid_argument(Row(r) + ": indptr decreases");
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        if (b.indices[e] >= s.dim) {
          throw std::invalid_argument(Row(r) + ": feature index " + std::to_string(b.indices[e]) + " is not below feature_dim " + std::to_string(s.dim));
        }
        if (!std::isfinite(b.values[e])) {
          throw std::invalid_argument(Row(r) + ", feature " + std::to_string(b.indices[e]) + " is " + Number(b.values[e]) + "; features must be finite");
        }
      }
    }
  } else {
    size_t n = AnyNonFinite(b.values, b.rows * b.cols) ? b.rows * b.cols : 0;
    for (size_t i = 0; i < n; i++) {
      if (!std::isfinite(b.values[i])) {
        throw std::invalid_argument(Row(i / b.cols) + ", feature " + std::to_string(i % b.cols) + " is " + Number(b.values[i]) + "; features must be finite");
      }
    }
  }
  if (b.weights) {
    for (size_t r = 0; r < b.rows; r++) {
      if (!(b.weights[r] >= 0) || !std::isfinite(b.weights[r])) {
        throw std::invalid_argument(Row(r) + ": weight " + Number(b.weights[r]) + " must be finite and >= 0");
      }
    }
  }
  if (!need_labels) return;
  if (!b.labels) throw std::invalid_argument("has no labels; the linear learner is supervised");
  for (size_t r = 0; r < b.rows; r++) {
    float y = b.labels[r];
    if (s.loss == Loss::kLogistic || s.loss == Loss::kHinge) {
      if (y != 0 && y != 1) throw std::invalid_argument(Row(r) + ": label " + Number(y) + " is not 0 or 1 (binary_classifier)");
    } else if (s.loss == Loss::kSoftmax) {
      if (!(y >= 0) || y != std::floor(y) || y >= static_cast<double>(s.classes)) {
        throw std::invalid_argument(Row(r) + ": label " + Number(y) + " is not a class in 0.." + std::to_string(s.classes - 1) + " (num_classes " + std::to_string(s.classes) + ")");
      }
    } else if (!std::isfinite(y)) {
      throw std::invalid_argument(Row(r) + ": label " + Number(y) + " must be finite");
    }
  }
}

void InitializeWeights(float* weights, size_t count, bool normal, float scale, uint64_t seed) {
  uint64_t base = SplitMix(seed);
  ThreadPool::Shared().ParallelFor(count, 1 << 16, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; i++) {
      uint64_t bits = SplitMix(base ^ (i * 0x9e3779b97f4a7c15ULL));
      if (normal) {
        // Box–Muller on two independent uniforms.
        double u = Unit(bits), v = Unit(SplitMix(bits));
        weights[i] = static_cast<float>(scale * std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v));
      } else {
        weights[i] = static_cast<float>(scale * (2 * Unit(bits) - 1));
      }
    }
  });
}

// Rows per class after the scaler sample (which counts its own): with both, class_counts covers
// the whole training stream, so the balanced positive weight follows the classes as they arrive
// (a sorted stream's first rows may hold one class), and finalize can tell a one-class stream.
size_t CountedClasses(const Settings& s) { return s.loss == Loss::kSoftmax ? s.classes : 2; }

void CountStepClasses(const Settings& s, const BatchView& b, double* out) {
  const size_t counted = CountedClasses(s);
  const size_t step_rows = s.step_rows > 0 ? s.step_rows : std::max<size_t>(1, b.rows);
  std::fill(out, out + StepCount(b.rows, s.step_rows) * counted, 0.0);
  for (size_t r = 0; r < b.rows; r++) {
    const double y = b.labels[r];
    out[(r / step_rows) * counted + (s.loss == Loss::kSoftmax ? static_cast<size_t>(y) : (y == 1 ? 1 : 0))] += 1;
  }
}

void CountClasses(const Settings& s, State& st, const BatchView& b, size_t first) {
  if (!st.class_counts) return;
  for (size_t r = first; r < b.rows; r++) {
    double y = b.labels[r];
    st.class_counts[s.loss == Loss::kSoftmax ? static_cast<size_t>(y) : (y == 1 ? 1 : 0)] += 1;
  }
}

namespace {

// The features a step's rows touch, each once, in first-seen order (sparse), with each entry's slot.
void CollectTouched(const BatchView& b, Scratch& scratch) {
  std::vector<uint32_t>& touched = scratch.touched;
  touched.clear();
  size_t nnz = static_cast<size_t>(b.indptr[b.rows]);
  size_t capacity = 16;
  int shift = 28;  // 32 − log2(capacity)
  while (capacity < 2 * nnz) {
    capacity <<= 1;
    shift--;
  }
  std::vector<uint32_t>& keys = scratch.keys;
  std::vector<uint32_t>& slots = scratch.slots;
  keys.assign(capacity, UINT32_MAX);
  slots.resize(capacity);
  scratch.entry_slot.resize(nnz);
  for (size_t e = 0; e < nnz; e++) {
    uint32_t j = b.indices[e];
    // Fibonacci hashing: the product's high bits, which every bit of j moves (its low bits
    // depend on j's low bits alone, and ids that differ above them, as multiples of 1024 do,
    // all fell in one run of the table).
    size_t h = static_cast<uint32_t>(j * 0x9e3779b1u) >> shift;
    while (keys[h] != UINT32_MAX && keys[h] != j) h = (h + 1) & (capacity - 1);
    if (keys[h] == UINT32_MAX) {
      keys[h] = j;
      slots[h] = static_cast<uint32_t>(touched.size());
      touched.push_back(j);
    }
    scratch.entry_slot[e] = slots[h];
  }
}

// Per-model rates of this step and the proximal constants, per model and per element.
void StepRates(const Settings& s, const State& st, double step, Scratch& scratch) {
  const size_t width = Width(s);
  scratch.lr.resize(s.models);
  scratch.proximal.resize(s.models);
  for (std::vector<double>* v : {&scratch.decay, &scratch.threshold, &scratch.t, &scratch.phi_t, &scratch.g}) v->resize(s.models);
  scratch.log_decay_f.resize(s.models);
  scratch.element_lr.resize(width);
  scratch.element_decay.resize(width);
  scratch.element_threshold.resize(width);
  const double norm = s.normalize_lr && st.input_norm && st.input_norm[2] > 0 ? st.input_norm[2] : 1.0;
  for (size_t m = 0; m < s.models; m++) {
    double lr = LearningRate(s, st, m, step) / norm;
    scratch.lr[m] = lr;
    const Proximal p = ProximalConstants(lr, st.wd[m], st.l1[m]);
    scratch.proximal[m] = p;
    scratch.decay[m] = p.decay;
    scratch.threshold[m] = p.threshold;
    scratch.t[m] = p.t;
    scratch.phi_t[m] = p.phi_t;
    scratch.g[m] = p.g;
    scratch.log_decay_f[m] = p.decay > 0 ? static_cast<float>(-p.t) : -87.0f;
    for (size_t c = 0; c < s.classes; c++) {
      scratch.element_lr[m * s.classes + c] = static_cast<float>(lr);
      scratch.element_decay[m * s.classes + c] = static_cast<float>(scratch.decay[m]);
      scratch.element_threshold[m * s.classes + c] = static_cast<float>(scratch.threshold[m]);
    }
  }
}

// What every model owes for k missed steps (decay powers and, one class, ShrinkCoefficients), by
// k, for one call of CatchUpTouched: features that missed as many steps read one computation.
// Direct-mapped on k; a slot computed again when another k takes it.
class MissedStepsTable {
 public:
  void Reset(size_t models, bool coefficients) {
    models_ = models;
    coefficients_ = coefficients;
    keys_.assign(kSlots, 0.0);  // missed counts are ≥ 1: 0 marks an empty slot
    powers_.resize(kSlots * models);
    values_.resize(coefficients ? kSlots * 3 * models : 0);
  }

  // The slot of k missed steps, computed from `args` (its missed, decay, t, phi_t, g, threshold)
  // when it holds another k.
  size_t Slot(const Loops& loops, const float* log_decay, CatchUpArgs args) {
    const size_t slot = static_cast<size_t>(args.missed) & (kSlots - 1);
    if (keys_[slot] == args.missed) return slot;
    float* powers = powers_.data() + slot * models_;
    loops.decay_powers(log_decay, static_cast<float>(args.missed), powers, models_);
    if (coefficients_) {
      args.power = powers;
      double* values = values_.data() + slot * 3 * models_;
      loops.shrink_coefficients(args, values, values + models_, values + 2 * models_, models_);
    }
    keys_[slot] = args.missed;
    return slot;
  }
  const float* Powers(size_t slot) const { return powers_.data() + slot * models_; }
  const double* Ak(size_t slot) const { return values_.data() + slot * 3 * models_; }
  const double* Geometric(size_t slot) const { return Ak(slot) + models_; }
  const double* Ramp(size_t slot) const { return Ak(slot) + 2 * models_; }

 private:
  static constexpr size_t kSlots = 64;
  size_t models_ = 0;
  bool coefficients_ = false;
  std::vector<double> keys_, values_;
  std::vector<float> powers_;
};

// Features coming back after an absence first get the regularization they missed (and their
// average the iterates of those steps), so this step's scores use up-to-date weights.
void CatchUpTouched(const Settings& s, State& st, double step, const Scratch& scratch) {
  const size_t width = Width(s);
  const std::vector<uint32_t>& touched = scratch.touched;
  const double start = AverageStart(st);
  const Loops& loops = SelectedLoops();
  bool regularized = false;
  for (size_t m = 0; m < s.models; m++) regularized = regularized || scratch.decay[m] != 1 || scratch.threshold[m] != 0;
  const double inverse_count = step - 1 > start ? 1 / (step - 1 - start) : 0;
  ThreadPool::Shared().ParallelFor(touched.size(), 1024, [&](size_t begin, size_t end) {
    MissedStepsTable& table = ThreadBuffer<MissedStepsTable>();
    std::vector<float>& new_w = ThreadBuffer<std::vector<float>, struct CatchUpWeights>();
    std::vector<float>& new_a = ThreadBuffer<std::vector<float>, struct CatchUpAverages>();
    std::vector<int64_t>& slow = ThreadBuffer<std::vector<int64_t>, struct CatchUpSlow>();
    std::vector<float>& ones = ThreadBuffer<std::vector<float>, struct CatchUpOnes>();  // the powers without regularization
    if (regularized) table.Reset(s.models, s.classes == 1);
    else ones.assign(s.models, 1.0f);
    new_w.resize(s.models);
    new_a.resize(s.models);
    slow.resize(s.models);
    for (size_t slot = begin; slot < end; slot++) {
      // The first touch of a feature's block this step is a cache miss: ask for those a few slots ahead.
      if (slot + kPrefetchDistance < end) {
        size_t ahead = touched[slot + kPrefetchDistance];
        __builtin_prefetch(st.last_step + ahead);
        Prefetch(st.weights + ahead * width, width);
        if (st.average) Prefetch(st.average + ahead * width, width);
      }
      size_t j = touched[slot];
      double last = st.last_step[j];
      double missed = step - 1 - last;
      if (missed <= 0) continue;
      float* w = st.weights + j * width;
      float* a = st.average ? st.average + j * width : nullptr;
      // Every model's decay over the missed steps in one vectorized loop, not an exp per model,
      // once per distinct count of missed steps (none at all without regularization:
      // ShrinkWithSum then needs no power).
      CatchUpArgs args{scratch.decay.data(), scratch.threshold.data(), scratch.t.data(), scratch.phi_t.data(), scratch.g.data(),
                       nullptr, nullptr, nullptr, nullptr, missed, start >= 0 && step - 1 > start, std::max(0.0, last - start),
                       inverse_count};
      const size_t owed = regularized ? table.Slot(loops, scratch.log_decay_f.data(), args) : 0;
      const float* powers = regularized ? table.Powers(owed) : ones.data();
      // ShrinkWithSum and AverageAt of one weight (model m, element k), scalar.
      auto shrink = [&](size_t m, size_t k) {
        double sum;
        float shrunk = ShrinkWithSum(w[k], scratch.proximal[m], missed, &sum, powers[m]);
        if (a) a[k] = AverageAt(a[k], w[k], shrunk, sum, last, step - 1, start, scratch.proximal[m], inverse_count);
        w[k] = shrunk;
      };
      // One weight per model: the loop across models (vectorized), with the models whose weight
      // reaches zero within the missed steps done by the scalar path; a feature that missed steps
      // from before averaging began goes the scalar way whole.
      const bool skipped_start = a && start >= 0 && step - 1 > start && start - last > 0;
      if (!regularized && s.classes == 1 && !skipped_start) {
        // No model regularizes: the weights owe nothing and the missed iterates all equal them, so
        // only the average moves — catch_up_feature's identity case, the same operations, without
        // the closed form it computes for every model before selecting.
        if (a && start >= 0 && step - 1 > start) {
          const double counted = std::max(0.0, last - start);
          for (size_t m = 0; m < s.models; m++) {
            const double sum = w[m] == 0.0f ? 0.0 : missed * static_cast<double>(w[m]);  // a zero weight's sum is +0 there
            a[m] = static_cast<float>((static_cast<double>(a[m]) * counted + sum) * inverse_count);
          }
        } else if (a) {
          std::copy(w, w + s.models, a);
        }
      } else if (s.classes == 1 && !skipped_start) {
        args.power = powers;
        args.ak = table.Ak(owed);
        args.geometric = table.Geometric(owed);
        args.ramp = table.Ramp(owed);
        loops.catch_up_feature(args, w, a ? a : w, s.models, new_w.data(), new_a.data(), slow.data());
        for (size_t m = 0; m < s.models; m++) {
          if (slow[m]) {
            shrink(m, m);
            continue;
          }
          if (a) a[m] = args.averaging ? new_a[m] : new_w[m];
          w[m] = new_w[m];
        }
      } else {
        for (size_t m = 0; m < s.models; m++) {
          for (size_t c = 0; c < s.classes; c++) shrink(m, m * s.classes + c);
        }
      }
      st.last_step[j] = static_cast<int32_t>(step - 1);
    }
  });
}

// Model 0's metric loss on each row (scored as it outputs), and Σ w², for the test of each
// model's progressive loss against model 0's.
void BaselineLosses(const Settings& s, const State& st, const BatchView& b, double recency, Scratch& scratch, Metrics& progressive) {
  if (!progressive.loss_difference_sq) return;
  const size_t width = Width(s);
  const bool averaged = st.averaged && st.averaged[0] != 0;
  const std::vector<double>& scores = averaged ? scratch.average_scores : scratch.scores;
  scratch.baseline.resize(b.rows);
  for (size_t r = 0; r < b.rows; r++) {
    scratch.baseline[r] = MetricLoss(s, st, scores.data() + r * width, b.labels[r]);
    double w = recency * RowWeight(b, r);
    *progressive.weight_sq_sum += w * w;
  }
}

// Σ w·(loss − model 0's loss)² for model m and row r.
inline void AddDifference(Metrics& progressive, const Scratch& scratch, size_t m, size_t r, double weight, double loss) {
  if (!progressive.loss_difference_sq) return;
  double d = loss - scratch.baseline[r];
  progressive.loss_difference_sq[m] += weight * d * d;
}

// AccumulateMetrics of a binary row for models [first, first + n), models innermost: the sums
// (loss, correct, the difference from model 0) in loops across models, then the confusion and
// histogram counts, whose slots depend on each score. Each model's sums take the rows in order,
// as AccumulateMetrics does: the same bits.
void AccumulateBinaryRow(Metrics& metrics, const double* score, const float* known, float y, double weight, size_t first, size_t n,
                         size_t r, const Scratch& scratch) {
  const bool positive_row = y == 1;
  if (metrics.loss_sum) {
    double* loss_sum = metrics.loss_sum + first;
    for (size_t k = 0; k < n; k++) loss_sum[k] += weight * static_cast<double>(known[k]);
  }
  if (metrics.correct) {
    double* correct = metrics.correct + first;
    for (size_t k = 0; k < n; k++) correct[k] += ((score[k] >= 0) == positive_row) ? weight : 0;
  }
  if (metrics.confusion) {
    for (size_t k = 0; k < n; k++) {
      bool positive = score[k] >= metrics.threshold;
      metrics.confusion[(first + k) * 4 + (positive_row ? (positive ? 0 : 3) : (positive ? 1 : 2))] += weight;
    }
  }
  if (metrics.histogram) {
    const size_t bins = metrics.histogram_bins;
    double* histogram = metrics.histogram + (first * 2 + (positive_row ? 1 : 0)) * bins;
    for (size_t k = 0; k < n; k++) histogram[k * 2 * bins + HistogramBin(score[k], bins, metrics.histogram_log_scale)] += weight;
  }
  if (metrics.loss_difference_sq) {
    double* difference = metrics.loss_difference_sq + first;
    const double baseline = scratch.baseline[r];
    for (size_t k = 0; k < n; k++) {
      double d = static_cast<double>(known[k]) - baseline;
      difference[k] += weight * d * d;
    }
  }
}

// The logistic loss's gradients and progressive metrics, rows outer and models inner: the
// transcendental work of every model runs in one vectorized loop per row (logistic_row), and the
// sums per model accumulate in row order. Model blocks of 64 split across threads when the step is large.
void LogisticGradients(const Settings& s, const State& st, const BatchView& b, Scratch& scratch, Metrics& progressive, double recency) {
  const size_t models = s.models;
  const Loops& loops = SelectedLoops();
  constexpr size_t kBlock = 64;
  size_t blocks = (models + kBlock - 1) / kBlock;
  size_t blocks_per_chunk = std::max<size_t>(1, 4096 / std::max<size_t>(1, b.rows * kBlock));
  ThreadPool::Shared().ParallelFor(blocks, blocks_per_chunk, [&](size_t begin, size_t end) {
    float positive[kBlock], loss[kBlock], output_loss[kBlock], unused[kBlock], known[kBlock];
    double score[kBlock];
    for (size_t block = begin; block < end; block++) {
      size_t first = block * kBlock, n = std::min(models, first + kBlock) - first;
      for (size_t k = 0; k < n; k++) positive[k] = static_cast<float>(PositiveWeight(s, st, first + k));
      for (size_t r = 0; r < b.rows; r++) {
        const float y = b.labels[r];
        const double weight = RowWeight(b, r), metric_weight = recency * weight;
        const double* z = scratch.scores.data() + r * models + first;
        float* g = scratch.gradient.data() + r * models + first;
        loops.logistic_row(z, y, g, loss, n);
        const float scale = static_cast<float>(weight / static_cast<double>(b.rows));
        for (size_t k = 0; k < n; k++) g[k] *= scale * (y == 1 ? positive[k] : 1.0f);
        const double* output = st.average ? scratch.average_scores.data() + r * models + first : z;
        if (st.average) loops.logistic_row(output, y, unused, output_loss, n);
        for (size_t k = 0; k < n; k++) {
          bool averaged = st.averaged && st.averaged[first + k] != 0;
          score[k] = averaged ? output[k] : z[k];
          known[k] = averaged ? output_loss[k] : loss[k];
        }
        AccumulateBinaryRow(progressive, score, known, y, metric_weight, first, n, r, scratch);
      }
    }
  });
}

// Loss gradients (scaled by row and class weights, over the step's rows) and progressive
// metrics (recency-weighted), models split across threads so each model's sums keep one order. Averaging models
// are scored with their average (what they output), and step with their iterate.
void LossGradients(const Settings& s, const State& st, const BatchView& b, Scratch& scratch, Metrics& progressive) {
  const size_t width = Width(s);
  std::vector<float>& gradient = scratch.gradient;
  gradient.resize(b.rows * width);
  // Row t of the stream counts t in the progressive sums: they estimate how good each model is
  // now (what finalize would output), not how good it was on average along the way, which on a
  // drifting stream favours the fastest learners and on any stream the models that started well.
  const double recency = st.counters[kRows] + 1;
  for (size_t r = 0; r < b.rows; r++) *progressive.weight_sum += recency * RowWeight(b, r);
  BaselineLosses(s, st, b, recency, scratch, progressive);
  if (s.loss == Loss::kLogistic) {
    LogisticGradients(s, st, b, scratch, progressive, recency);
    return;
  }
  double label_shift = st.label_transform ? st.label_transform[0] : 0;
  double label_scale = st.label_transform ? st.label_transform[1] : 1;
  const bool classification = IsClassification(s.loss);
  // loss_insensitivity is in the label's units, as the metrics apply it; the residual here is the
  // scaled label's, so it scales with it (at labels of spread 1,000 the default ε of 0.01 ignored
  // errors below 10 in training). huber_delta stays in the scaled label's units: in the label's,
  // the default 1 made huber an L1 loss on labels of spread 1,000, and it barely learned.
  Settings trained = s;
  trained.insensitivity = static_cast<float>(s.insensitivity * label_scale);
  size_t models_per_chunk = std::max<size_t>(1, 2048 / std::max<size_t>(1, b.rows * s.classes));
  ThreadPool::Shared().ParallelFor(s.models, models_per_chunk, [&](size_t begin, size_t end) {
    for (size_t m = begin; m < end; m++) {
      double positive = PositiveWeight(s, st, m);
      bool averaged = st.averaged && st.averaged[m] != 0;
      for (size_t r = 0; r < b.rows; r++) {
        const double* score = scratch.scores.data() + r * width + m * s.classes;
        double y = b.labels[r];
        double weight = RowWeight(b, r);
        double metric_weight = recency * weight;
        float* g = gradient.data() + r * width + m * s.classes;
        double target = classification ? y : (y - label_shift) * label_scale;
        double loss = LossAndGradient(classification ? s : trained, score, target, g);
        const double* output = averaged ? scratch.average_scores.data() + r * width + m * s.classes : score;
        double metric_loss = classification && !averaged ? loss : MetricLoss(s, st, output, y);
        AccumulateMetrics(s, st, output, y, metric_weight, m, progressive, &metric_loss);
        AddDifference(progressive, scratch, m, r, metric_weight, metric_loss);
        double scale = weight;
        if (s.loss == Loss::kLogistic || s.loss == Loss::kHinge) scale *= y == 1 ? positive : 1.0;
        else if (s.loss == Loss::kSoftmax && st.class_weight) scale *= st.class_weight[static_cast<size_t>(y)];
        scale /= static_cast<double>(b.rows);
        for (size_t c = 0; c < s.classes; c++) g[c] = static_cast<float>(g[c] * scale);
      }
    }
  });
}

StepArgs StepArgsOf(const Settings& s, const State& st, double step, const Scratch& scratch) {
  StepArgs args{};
  switch (s.optimizer) {
    case Optimizer::kSgd: args.kind = st.moment1 ? StepKind::kMomentum : StepKind::kSgd; break;
    case Optimizer::kAdam: args.kind = StepKind::kAdam; break;
    case Optimizer::kRmsprop: args.kind = StepKind::kRmsprop; break;
    case Optimizer::kAdagrad: args.kind = StepKind::kAdagrad; break;
  }
  args.beta1 = s.beta1;
  args.beta2 = s.beta2;
  args.momentum = s.momentum;
  args.epsilon = s.epsilon;
  args.correction1 = static_cast<float>(1 - std::pow(static_cast<double>(s.beta1), step));
  args.correction2 = static_cast<float>(1 - std::pow(static_cast<double>(s.beta2), step));
  args.learning_rate = scratch.element_lr.data();
  args.decay = scratch.element_decay.data();
  args.threshold = scratch.element_threshold.data();
  return args;
}

// a ← a + (w − a)/(t − start): the running mean of the iterates after step t; a = w before averaging begins.
inline void Average(float* a, const float* w, size_t n, double step, double start) {
  if (start < 0 || step <= start) {
    std::copy(w, w + n, a);
    return;
  }
  const float inverse = static_cast<float>(1 / (step - start));
  for (size_t k = 0; k < n; k++) a[k] += (w[k] - a[k]) * inverse;
}

// One weight per feature (one model, one output): a chunk's touched features are gathered into
// arrays of their own, stepped by one loop across them (vectorized, where a call per feature ran
// the loop's scalar tail once each), averaged, and written back. Every element goes through the
// same operations as in the per-feature call, so the results are the same to the bit.
void StepOneOutputChunk(State& st, const StepArgs& args, double step, const uint32_t* features, const double* g, size_t n) {
  struct Gathered {
    std::vector<float> w, m1, m2, a, lr, decay, threshold;
  };
  Gathered& chunk = ThreadBuffer<Gathered>();
  for (std::vector<float>* v : {&chunk.w, &chunk.m1, &chunk.m2, &chunk.a}) v->resize(n);
  // The rates are one model's: the loop reads them per element, so each is n copies of one value.
  chunk.lr.assign(n, args.learning_rate[0]);
  chunk.decay.assign(n, args.decay[0]);
  chunk.threshold.assign(n, args.threshold[0]);
  StepArgs across = args;
  across.learning_rate = chunk.lr.data();
  across.decay = chunk.decay.data();
  across.threshold = chunk.threshold.data();
  float* m1 = st.moment1 ? chunk.m1.data() : nullptr;
  float* m2 = st.moment2 ? chunk.m2.data() : nullptr;
  for (size_t i = 0; i < n; i++) {
    const size_t j = features[i];
    chunk.w[i] = st.weights[j];
    if (m1) m1[i] = st.moment1[j];
    if (m2) m2[i] = st.moment2[j];
    if (st.average) chunk.a[i] = st.average[j];
  }
  SelectedLoops().apply_step(across, chunk.w.data(), m1, m2, g, n);
  if (st.average) Average(chunk.a.data(), chunk.w.data(), n, step, AverageStart(st));
  const int32_t stamp = static_cast<int32_t>(step);
  for (size_t i = 0; i < n; i++) {
    const size_t j = features[i];
    st.weights[j] = chunk.w[i];
    if (m1) st.moment1[j] = m1[i];
    if (m2) st.moment2[j] = m2[i];
    if (st.average) st.average[j] = chunk.a[i];
    st.last_step[j] = stamp;
  }
}

// Sparse weight gradients and steps, the step's touched features split across threads: each
// thread sums its own features over the rows in row order.
void SparseWeightSteps(const Settings& s, State& st, const BatchView& b, double step, Scratch& scratch) {
  const size_t width = Width(s);
  const Loops& loops = SelectedLoops();
  const StepArgs args = StepArgsOf(s, st, step, scratch);
  const std::vector<float>& x = scratch.x;
  const std::vector<float>& gradient = scratch.gradient;
  const std::vector<uint32_t>& touched = scratch.touched;
  const std::vector<uint32_t>& entry_slot = scratch.entry_slot;
  const size_t count = touched.size();
  size_t per_feature = std::max<size_t>(1, b.rows * width / std::max<size_t>(1, count));
  ThreadPool::Shared().ParallelFor(count, std::max<size_t>(1, 16384 / per_feature), [&](size_t begin, size_t end) {
    std::vector<double>& g = ThreadBuffer<std::vector<double>, struct SparseGradient>();
    g.assign((end - begin) * width, 0.0);
    for (size_t r = 0; r < b.rows; r++) {
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        size_t slot = entry_slot[e];
        if (slot < begin || slot >= end) continue;
        if (width == 1) g[slot - begin] += static_cast<double>(x[e]) * gradient[r];
        else loops.add_scaled(g.data() + (slot - begin) * width, x[e], gradient.data() + r * width, width);
      }
    }
    if (width == 1) {
      StepOneOutputChunk(st, args, step, touched.data() + begin, g.data(), end - begin);
      return;
    }
    for (size_t slot = begin; slot < end; slot++) {
      size_t j = touched[slot];
      // Features are scattered over a state far larger than the caches: ask for
      // the parameters of a feature a few slots ahead while this one computes.
      if (slot + kPrefetchDistance < end) {
        size_t ahead = touched[slot + kPrefetchDistance] * width;
        Prefetch(st.weights + ahead, width);
        if (st.moment1) Prefetch(st.moment1 + ahead, width);
        if (st.moment2) Prefetch(st.moment2 + ahead, width);
      }
      loops.apply_step(args, st.weights + j * width, st.moment1 ? st.moment1 + j * width : nullptr,
                       st.moment2 ? st.moment2 + j * width : nullptr, g.data() + (slot - begin) * width, width);
      if (st.average) Average(st.average + j * width, st.weights + j * width, width, step, AverageStart(st));
      st.last_step[j] = static_cast<int32_t>(step);
    }
  });
}

// Dense weight gradients and steps in blocks of features whose gradient (Σ over the step's rows
// by linalg's tiled product, in float, rows in order) stays in L1 while the block's optimizer step
// and average are applied; blocks split across threads. 784 features × 320 outputs took 2 MB of
// float64 gradient summed row by row before, most of a 32-model dense run.
void DenseWeightSteps(const Settings& s, State& st, const BatchView& b, double step, const Scratch& scratch) {
  const size_t width = Width(s);
  const Loops& loops = SelectedLoops();
  const LinearAlgebraKernels& kernels = SelectedLinearAlgebraKernels();
  const StepArgs args = StepArgsOf(s, st, step, scratch);
  const float* x = scratch.x.data();
  const float* gradient = scratch.gradient.data();
  const double start = AverageStart(st);
  const size_t block = std::max<size_t>(4, std::min<size_t>(1024, 4096 / width) / 4 * 4);
  const size_t blocks = (s.dim + block - 1) / block;
  ThreadPool::Shared().ParallelFor(blocks, std::max<size_t>(1, 65536 / (block * b.rows * width)), [&](size_t begin, size_t end) {
    std::vector<float>& g = ThreadBuffer<std::vector<float>, struct DenseGradient>();
    g.resize(block * width);
    for (size_t index = begin; index < end; index++) {
      const size_t j0 = index * block, j1 = std::min(s.dim, j0 + block);
      std::fill(g.begin(), g.begin() + (j1 - j0) * width, 0.0f);
      if (width == 1) {
        for (size_t r = 0; r < b.rows; r++) kernels.axpy(gradient[r], x + r * b.cols + j0, g.data(), j1 - j0);
      } else {
        kernels.transposed_product_add(x, gradient, g.data(), b.rows, b.cols, width, j0, j1, 0, width);
      }
      for (size_t j = j0; j < j1; j++) {
        loops.apply_step_f32(args, st.weights + j * width, st.moment1 ? st.moment1 + j * width : nullptr,
                             st.moment2 ? st.moment2 + j * width : nullptr, g.data() + (j - j0) * width, width);
        if (st.average) Average(st.average + j * width, st.weights + j * width, width, step, start);
        st.last_step[j] = static_cast<int32_t>(step);
      }
    }
  });
}

void BiasStep(const Settings& s, State& st, const BatchView& b, double step, const Scratch& scratch) {
  const size_t width = Width(s);
  StepRule rule{s.optimizer, s.beta1, s.beta2, s.momentum, s.epsilon,
                1 - std::pow(static_cast<double>(s.beta1), step), 1 - std::pow(static_cast<double>(s.beta2), step)};
  for (size_t m = 0; m < s.models; m++) {
    double bias_lr = scratch.lr[m] * s.bias_lr_mult;  // normalized as the weights: the bias is the feature that is always 1
    double bias_decay = std::max(0.0, 1 - bias_lr * st.wd[m] * s.bias_wd_mult);
    for (size_t c = 0; c < s.classes; c++) {
      size_t k = m * s.classes + c;
      double g = 0;
      for (size_t r = 0; r < b.rows; r++) g += scratch.gradient[r * width + k];
      float value = rule.Apply(st.bias[k], g, bias_lr, st.bias_moment1 ? st.bias_moment1 + k : nullptr,
                               st.bias_moment2 ? st.bias_moment2 + k : nullptr);
      st.bias[k] = static_cast<float>(value * bias_decay);
    }
  }
  if (st.bias_average) Average(st.bias_average, st.bias, width, step, AverageStart(st));
}

// The averages' scores (what averaging models output, for their progressive metrics). Until
// averaging begins, Average copies each iterate, so on dense rows (every feature stepped every
// step) the average usually is the iterate: an exact comparison of the arrays (a pass over them,
// ~10× cheaper than the product) then reuses the iterate's scores.
void AverageScores(const Settings& s, const State& st, const BatchView& b, Scratch& scratch) {
  const size_t width = Width(s);
  const bool same = !b.sparse && AverageStart(st) < 0 &&
                    std::equal(st.weights, st.weights + s.dim * width, st.average) &&
                    (!s.use_bias || std::equal(st.bias, st.bias + width, st.bias_average));
  if (same) scratch.average_scores = scratch.scores;
  else Forward(st.average, s.use_bias ? st.bias_average : nullptr, width, b, scratch.x.data(), scratch.average_scores, Sums::kFloat);
}

// One optimizer step of every model on a step's rows (already validated).
void Step(const Settings& s, State& st, const BatchView& b, Metrics& progressive) {
  const size_t width = Width(s);
  const double step = st.counters[kStep] + 1;
  Scratch& scratch = ThreadScratch();
  if (b.sparse) CollectTouched(b, scratch);
  StepRates(s, st, step, scratch);
  if (b.sparse) CatchUpTouched(s, st, step, scratch);
  TransformValues(st, b, scratch.x);
  Forward(st.weights, s.use_bias ? st.bias : nullptr, width, b, scratch.x.data(), scratch.scores, Sums::kFloat);
  if (st.average) AverageScores(s, st, b, scratch);
  LossGradients(s, st, b, scratch, progressive);
  if (b.sparse) SparseWeightSteps(s, st, b, step, scratch);
  else DenseWeightSteps(s, st, b, step, scratch);
  if (s.use_bias) BiasStep(s, st, b, step, scratch);
  st.counters[kStep] = step;
  st.counters[kRows] += static_cast<double>(b.rows);
}

// Rows [first, end) of a batch as a batch of their own (a sparse one's row offsets rebased to 0).
BatchView RowsOf(const BatchView& b, size_t first, size_t end, std::vector<int32_t>& indptr) {
  BatchView part = b;
  part.rows = end - first;
  if (b.sparse) {
    int32_t base = b.indptr[first];
    indptr.resize(part.rows + 1);
    for (size_t r = 0; r <= part.rows; r++) indptr[r] = b.indptr[first + r] - base;
    part.indptr = indptr.data();
    part.values = b.values + base;
    part.indices = b.indices + base;
  } else {
    part.values = b.values + first * b.cols;
  }
  if (b.labels) part.labels = b.labels + first;
  if (b.weights) part.weights = b.weights + first;
  return part;
}

// Sparse rows scored by a centred state (trained on dense rows; a model evaluated about its origin):
// each absent feature sits at (0 − shift)·scale once centred, each present one at (x − shift)·scale.
// So a score is bias + base + Σ_present x·scale·w with base = −Σ_j shift_j·scale_j·w_j, all in
// float64: x·scale rounded to float32 (what TransformValues gives) would cancel against base.
void ForwardCentredSparse(const Settings& s, const State& st, const BatchView& b, std::vector<double>& scores) {
  const size_t width = Width(s);
  std::vector<double> base(width, 0.0);
  if (s.use_bias) for (size_t k = 0; k < width; k++) base[k] = st.bias[k];
  for (size_t j = 0; j < s.dim; j++) {
    const double shifted = -static_cast<double>(st.feature_shift[j]) * st.feature_scale[j];
    if (shifted == 0) continue;
    for (size_t k = 0; k < width; k++) base[k] += shifted * st.weights[j * width + k];
  }
  scores.resize(b.rows * width);
  ThreadPool::Shared().ParallelFor(b.rows, 64, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; r++) {
      double* acc = scores.data() + r * width;
      std::copy(base.begin(), base.end(), acc);
      for (int32_t e = b.indptr[r]; e < b.indptr[r + 1]; e++) {
        const size_t j = b.indices[e];
        const double x = static_cast<double>(b.values[e]) * st.feature_scale[j];
        for (size_t k = 0; k < width; k++) acc[k] += x * st.weights[j * width + k];
      }
    }
  });
}

}  // namespace

void Update(const Settings& s, State& st, const BatchView& b, Metrics& progressive) {
  ValidateBatch(s, b, true);
  const size_t step_rows = s.step_rows > 0 ? s.step_rows : std::max<size_t>(1, b.rows);
  std::vector<int32_t> indptr;  // not the thread's scratch: Step uses that
  for (size_t first = 0; first < b.rows; first += step_rows) {
    BatchView part = RowsOf(b, first, std::min(b.rows, first + step_rows), indptr);
    // The scaler and class counts advance with the steps, so the result does not depend on how
    // the rows were cut into batches (when batches are whole numbers of steps).
    const double scaled_before = st.counters[kScalerRows];
    UpdateScaler(s, st, part);
    CountClasses(s, st, part, static_cast<size_t>(st.counters[kScalerRows] - scaled_before));
    // The sample is complete: this step's iterate is the first averaged.
    if (st.average_start && st.average_start[0] == 0 && st.counters[kScalerRows] >= s.scaler_points) {
      st.average_start[0] = st.counters[kStep] + 1;
    }
    Step(s, st, part, progressive);
  }
}

void Evaluate(const Settings& s, const State& st, const BatchView& b, Metrics& metrics) {
  ValidateBatch(s, b, true);
  if (b.rows == 0) return;
  const size_t width = Width(s);
  std::vector<double> scores;
  if (b.sparse && s.unbias_data && st.feature_shift) {
    ForwardCentredSparse(s, st, b, scores);
  } else {
    std::vector<float> x;
    TransformValues(st, b, x);
    Forward(st.weights, s.use_bias ? st.bias : nullptr, width, b, x.data(), scores);
  }
  for (size_t r = 0; r < b.rows; r++) *metrics.weight_sum += RowWeight(b, r);
  ThreadPool::Shared().ParallelFor(s.models, 1, [&](size_t begin, size_t end) {
    for (size_t m = begin; m < end; m++) {
      for (size_t r = 0; r < b.rows; r++) {
        AccumulateMetrics(s, st, scores.data() + r * width + m * s.classes, b.labels[r], RowWeight(b, r), m, metrics);
      }
    }
  });
}

void CatchUp(const Settings& s, const State& st, WeightsKind kind, float* weights_out, float* bias_out) {
  const size_t width = Width(s);
  const double step = st.counters[kStep];
  std::vector<Proximal> proximal(s.models);
  std::vector<char> use_average(s.models);
  const double norm = s.normalize_lr && st.input_norm && st.input_norm[2] > 0 ? st.input_norm[2] : 1.0;
  const double start = AverageStart(st);
  for (size_t m = 0; m < s.models; m++) {
    double lr = (step > 0 ? LearningRate(s, st, m, step) : st.learning_rate[m]) / norm;
    proximal[m] = ProximalConstants(lr, st.wd[m], st.l1[m]);
    bool averages = st.average && st.averaged && st.averaged[m] != 0;
    use_average[m] = kind == WeightsKind::kAverage ? st.average != nullptr : (kind == WeightsKind::kOutput && averages);
  }
  ThreadPool::Shared().ParallelFor(s.dim, 4096, [&](size_t begin, size_t end) {
    for (size_t j = begin; j < end; j++) {
      double last = st.last_step[j];
      double missed = step - last;
      for (size_t m = 0; m < s.models; m++) {
        for (size_t c = 0; c < s.classes; c++) {
          size_t k = j * width + m * s.classes + c;
          double sum;
          float shrunk = ShrinkWithSum(st.weights[k], proximal[m], missed, &sum);
          weights_out[k] = use_average[m]
              ? AverageAt(st.average[k], st.weights[k], shrunk, sum, last, step, start, proximal[m],
                          step > start ? 1 / (step - start) : 0)
              : shrunk;
        }
      }
    }
  });
  if (!bias_out) return;
  for (size_t m = 0; m < s.models; m++) {
    for (size_t c = 0; c < s.classes; c++) {
      size_t k = m * s.classes + c;
      bias_out[k] = use_average[m] && st.bias_average ? st.bias_average[k] : st.bias[k];
    }
  }
}

void CatchUpInPlace(const Settings& s, State& st) {
  const double step = st.counters[kStep];
  if (step <= 0) return;
  // The rates CatchUp uses (the last step's), and the training path's catch-up (vectorized across
  // models) for every feature behind: as if each were touched by a step after the last.
  Scratch scratch;
  StepRates(s, st, step, scratch);
  for (size_t j = 0; j < s.dim; j++) {
    if (st.last_step[j] < step) scratch.touched.push_back(static_cast<uint32_t>(j));
  }
  if (!scratch.touched.empty()) CatchUpTouched(s, st, step + 1, scratch);
}

namespace {

// A raw score (regression, hinge) float32 cannot hold is an error, never an infinite prediction
// (the CLI wrote it as null, exit 0).
void RequireFloat32Score(size_t r, double z) {
  if (std::isfinite(static_cast<float>(z))) return;
  throw std::invalid_argument(Row(r) + ": its score " + (std::isnan(z) ? std::string("is not a number") : "of " + Number(z) + " is past float32's range") +
                              " (features or weights too large for a float32 prediction)");
}

// Scores about the model's origin. Dense rows: x − origin in float32 (exact when x is within a
// factor 2 of it, else rounded relative to the difference, never to x), summed in float64. Sparse
// rows: the absent features sit at 0, so each score starts from bias − origin·w in float64.
void ForwardAboutOrigin(const PredictInputs& model, const BatchView& b, std::vector<double>& scores) {
  const size_t classes = model.classes;
  if (!b.sparse) {
    std::vector<float> shifted(b.rows * b.cols);
    ThreadPool::Shared().ParallelFor(b.rows, 64, [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; r++) {
        for (size_t j = 0; j < b.cols; j++) shifted[r * b.cols + j] = b.values[r * b.cols + j] - model.origin[j];
      }
    });
    Forward(model.weights, model.bias, classes, b, shifted.data(), scores);
    return;
  }
  std::vector<double> base(model.bias, model.bias + classes);
  for (size_t j = 0; j < model.dim; j++) {
    for (size_t c = 0; c < classes; c++) base[c] -= static_cast<double>(model.origin[j]) * model.weights[j * classes + c];
  }
  Forward(model.weights, nullptr, classes, b, b.values, scores);
  for (size_t r = 0; r < b.rows; r++) {
    for (size_t c = 0; c < classes; c++) scores[r * classes + c] += base[c];
  }
}

}  // namespace

void Predict(const PredictInputs& model, const BatchView& b, float* score, float* predicted_label) {
  Settings s;
  s.dim = model.dim;
  ValidateBatch(s, b, false);
  if (b.rows == 0) return;
  std::vector<double> scores;
  if (model.origin) ForwardAboutOrigin(model, b, scores);
  else Forward(model.weights, model.bias, model.classes, b, b.values, scores);  // the model has the scaler folded in
  const size_t classes = model.classes;
  if (model.label_origin != 0 && classes == 1) for (size_t r = 0; r < b.rows; r++) scores[r] += model.label_origin;
  for (size_t r = 0; r < b.rows; r++) {
    const double* sr = scores.data() + r * classes;
    switch (model.loss) {
      case Loss::kLogistic:
        score[r] = static_cast<float>(1 / (1 + std::exp(-sr[0])));
        predicted_label[r] = sr[0] >= model.threshold ? 1.0f : 0.0f;
        break;
      case Loss::kHinge:
        RequireFloat32Score(r, sr[0]);
        score[r] = static_cast<float>(sr[0]);
        predicted_label[r] = sr[0] >= model.threshold ? 1.0f : 0.0f;
        break;
      case Loss::kSoftmax: {
        size_t best = 0;
        for (size_t c = 1; c < classes; c++) if (sr[c] > sr[best]) best = c;
        double total = 0;
        for (size_t c = 0; c < classes; c++) total += std::exp(sr[c] - sr[best]);
        for (size_t c = 0; c < classes; c++) score[r * classes + c] = static_cast<float>(std::exp(sr[c] - sr[best]) / total);
        predicted_label[r] = static_cast<float>(best);
        break;
      }
      default:
        RequireFloat32Score(r, sr[0]);
        score[r] = static_cast<float>(sr[0]);
        if (predicted_label) predicted_label[r] = static_cast<float>(sr[0]);
    }
  }
}

}  // namespace linear
}  // namespace boundless
