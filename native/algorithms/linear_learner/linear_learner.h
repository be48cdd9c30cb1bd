// Linear learner kernels: M models trained on one mini-batch in one call.
//
// Layout: weights are feature-major, [dim][models][classes], so one feature of
// a sparse row touches one contiguous block of models × classes floats. That
// is what makes 32 models cost a few times one model rather than 32 times on
// hashed, million-wide data: the cache misses are per feature, not per model.
//
// Regularization (L2 as decay, L1 as soft thresholding) is applied as a
// proximal step after the optimizer's step, with the plain learning rate.
// Features absent from a batch are not touched: when a feature reappears,
// the steps it missed are applied in closed form (lazy updates), so a batch
// costs O(non-zeros × models × classes), never O(dim).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/batch_view.h"

namespace boundless {
namespace linear {

enum class Loss : int {
  kLogistic = 0, kHinge, kSoftmax, kSquared, kAbsolute,
  kEpsSquared, kEpsAbsolute, kQuantile, kHuber,
};
enum class Optimizer : int { kSgd = 0, kAdam, kRmsprop, kAdagrad };
// How a model's positive-class weight is formed from positive_weight[m].
enum class PositiveWeighting : int {
  kFixed = 0,     // w₊ = positive_weight[m]
  kBalanced = 1,  // w₊ = positive_weight[m] · negatives / positives (scaler sample)
  kAuto = 2,      // w₊ = (negatives / positives) ^ positive_weight[m] (a grid between 1 and balanced)
};

inline bool IsClassification(Loss loss) { return loss == Loss::kLogistic || loss == Loss::kHinge || loss == Loss::kSoftmax; }

struct Settings {
  Loss loss = Loss::kLogistic;
  Optimizer optimizer = Optimizer::kAdam;
  size_t dim = 0, models = 1, classes = 1;
  float margin = 1, quantile = 0.5f, insensitivity = 0.01f, huber_delta = 1;
  float beta1 = 0.9f, beta2 = 0.999f, momentum = 0, epsilon = 1e-8f;
  bool use_bias = true;
  float bias_lr_mult = 10, bias_wd_mult = 0;
  bool use_lr_scheduler = false;
  double lr_scheduler_step = 100, lr_scheduler_factor = 0.99, lr_scheduler_minimum = 1e-5;
  // Every model's rate × this in this call: the per-pass schedule (passScale in settings.ts).
  double rate_scale = 1;
  // Scaling: statistics come from the first scaler_points rows, refined batch
  // by batch while they arrive and frozen after.
  double scaler_points = 0;
  bool normalize_data = false, unbias_data = false, normalize_label = false, unbias_label = false;
  PositiveWeighting positive_weighting = PositiveWeighting::kFixed;
  bool balance_multiclass = false;
  size_t histogram_bins = 0;  // binary: per-model score histograms (calibration)
  // Rows per optimizer step: a batch of more rows takes several steps, in row order (0: one step
  // per batch). Small steps suit one pass; they cost no JavaScript, the batch is handed over once.
  size_t step_rows = 0;
  // Features scaled by 1 / the root mean square of their non-zero values (about the shift) rather
  // than 1 / their standard deviation: a rare indicator keeps the scale of its non-zero value
  // instead of being inflated by 1/√p. Needs State::feature_nonzero.
  bool scale_by_nonzero = false;
  // Adagrad's rate divided by the mean squared norm of the scaled rows (State::input_norm), as
  // Vowpal Wabbit's normalized updates: a first step then moves a row's score by about the
  // learning rate, whether the rows have 6 non-zeros or 800. The bias, the feature that is always 1, too.
  bool normalize_lr = false;
};

// Counters in State::counters.
enum Counter : int {
  kStep = 0, kRows, kScalerRows, kLabelSum, kLabelSumSq, kCounterCount,
};

// The arrays of a state (owned by JS typed arrays). Optional ones are null.
struct State {
  float* weights = nullptr;        // dim × width
  float* bias = nullptr;           // width
  float* moment1 = nullptr;        // dim × width: sgd momentum, adam first moment
  float* moment2 = nullptr;        // dim × width: adam/rmsprop/adagrad second moment
  float* bias_moment1 = nullptr;   // width
  float* bias_moment2 = nullptr;   // width
  int32_t* last_step = nullptr;    // dim: the step each feature's weights are up to date with
  const float* learning_rate = nullptr;  // models
  const float* wd = nullptr;             // models
  const float* l1 = nullptr;             // models
  const float* positive_weight = nullptr;  // models (binary)
  double* counters = nullptr;      // kCounterCount
  double* class_counts = nullptr;  // binary: 2, multiclass: classes (rows of each, whole training stream)
  double* feature_sum = nullptr;   // dim (scaler): Σ(x − origin) over the scaler sample
  double* feature_sumsq = nullptr; // dim (scaler): Σ(x − origin)²
  // dim + 1: the scaler sample's first dense row and first label. Sums about a point in the data
  // keep the variance of features far from 0 (Σx²/n − mean² loses it); 0 for sparse rows and in
  // states from before it (their sums are about 0, which this reads the same).
  double* scaler_origin = nullptr;
  float* feature_shift = nullptr;  // dim: x' = (x − shift) · scale
  float* feature_scale = nullptr;  // dim
  float* label_transform = nullptr;  // 2: y' = (y − shift) · scale
  float* class_weight = nullptr;   // classes (balance_multiclass) or null
  double* feature_nonzero = nullptr;  // dim (scaler): rows of the sample where the feature is non-zero
  // 3 (scaler): the sample's non-zero entries, its Σx², and the mean squared norm of its rows
  // after the scaler, the bias's 1 included (what normalize_lr divides by; 0 until the first row).
  double* input_norm = nullptr;
  // Iterate averaging (Polyak–Ruppert): the mean of the weights after each step, for the models
  // with averaged[m] = 1 (their output and their scores are the average; their steps use the
  // plain weights). Lazy like the weights: up to date at last_step[j].
  float* average = nullptr;        // dim × width, or null when no model averages
  float* bias_average = nullptr;   // width
  const float* averaged = nullptr; // models: 1 averages, 0 not
  // 1: the step after which iterates are averaged, plus 1 (0: not yet). Averaging begins once the
  // scaler's sample is complete: iterates under a scaler still moving are in other units. Until
  // then the average is the latest iterate.
  double* average_start = nullptr;
};

// Which weights CatchUp writes: the plain iterate, the average, or each model's output (its
// average when it averages, else its iterate).
enum class WeightsKind : int { kPlain = 0, kAverage = 1, kOutput = 2 };

using BatchView = boundless::BatchView;

// Metrics accumulated by Update (progressive validation: scored before the
// step) and by Evaluate. Losses and errors are on the original label scale.
struct Metrics {
  double* loss_sum = nullptr;       // models
  double* weight_sum = nullptr;     // 1: Σ row weights
  // For a significance test of each model against model 0 (the user's settings): Σ w·(loss_m − loss_0)²
  // per model and Σ w² (the effective number of rows). Optional.
  double* loss_difference_sq = nullptr;  // models
  double* weight_sq_sum = nullptr;       // 1
  double* histogram = nullptr;      // models × 2 × bins: [negatives | positives] by score
  size_t histogram_bins = 0;
  // Bins uniform in sign(s)·log(1 + |s|) over ±kLogHistogramRange instead of uniform in s over
  // ±kHistogramRange: ranks only (ROC AUC), kept apart where scores saturate (|s| > 16).
  bool histogram_log_scale = false;
  double* correct = nullptr;        // models: top-1 correct (classification; binary at score ≥ 0)
  double* confusion = nullptr;      // models × 4 (binary): tp, fp, tn, fn at score ≥ threshold
  double threshold = 0;
  double* squared_error = nullptr;  // models (regression)
  double* absolute_error = nullptr; // models (regression)
  double* topk_correct = nullptr;   // models (multiclass)
  double* dcg = nullptr;            // models (multiclass): Σ 1 / log2(1 + rank of the true class)
  size_t top_k = 0;
  double* class_true_positive = nullptr;   // models × classes (multiclass)
  double* class_predicted = nullptr;       // models × classes
  double* class_actual = nullptr;          // models × classes
};

// Scores live in [−kHistogramRange, kHistogramRange] for calibration histograms.
constexpr double kHistogramRange = 16.0;
constexpr double kLogHistogramRange = 14.0;  // log(1 + 1.2e6)
inline size_t HistogramBin(double score, size_t bins, bool log_scale = false) {
  double unit = log_scale
      ? (std::copysign(std::log1p(std::fabs(score)), score) + kLogHistogramRange) / (2 * kLogHistogramRange)
      : (score + kHistogramRange) / (2 * kHistogramRange);
  if (!(unit > 0)) return 0;  // also NaN
  // Compared before the cast: a score past about 3e17 (unit · bins past 2^64) cast to size_t is
  // undefined behaviour, and gave bin 0 (the lowest) rather than the highest.
  double position = unit * static_cast<double>(bins);
  if (!(position < static_cast<double>(bins))) return bins - 1;
  return static_cast<size_t>(position);
}

// Fills weights with the initial distribution (uniform ±scale or normal σ), deterministic in seed.
void InitializeWeights(float* weights, size_t count, bool normal, float scale, uint64_t seed);

// One training step of every model on the batch. Validates the batch first
// (throws std::invalid_argument naming the row and what was expected).
void Update(const Settings& settings, State& state, const BatchView& batch, Metrics& progressive);

// Scores the batch with every model of the state (or a model), accumulating metrics; no training.
void Evaluate(const Settings& settings, const State& state, const BatchView& batch, Metrics& metrics);

// Brings every feature's weights up to the current step (the lazy
// regularization it is owed), writing into weights_out (dim × width) and,
// when bias_out is not null, the matching bias into bias_out (width).
void CatchUp(const Settings& settings, const State& state, WeightsKind kind, float* weights_out, float* bias_out);

// Brings every feature's weights and average up to the current step in place (the catch-up a
// returning feature gets in training, for all at once) and marks them current: what CatchUp
// computes then reads the arrays as they are. A data-parallel worker does this before it
// uploads to a merge round, on its own core, so the coordinator's merge has nothing to catch up.
void CatchUpInPlace(const Settings& settings, State& state);

// The classes a state counts (class_counts): every class for softmax, else 2 (label 1 and the rest).
size_t CountedClasses(const Settings& settings);

// Each step's rows per counted class, as Update counts them (out: steps × CountedClasses, zeroed
// here): what a GPU backend's host plans the steps' positive weights from, off the event loop.
void CountStepClasses(const Settings& settings, const BatchView& batch, double* out);

// A finalized model's outputs: score (probability, class probabilities or
// value) and predicted label. weights: dim × classes, plain (scaler folded in).
// With an origin (a model trained with centring), score = bias + Σ (x − origin)·w,
// in float64: data far from 0 keeps its digits.
struct PredictInputs {
  Loss loss;
  size_t dim, classes;
  const float* weights;
  const float* bias;       // classes; at the origin when there is one
  const float* origin;     // dim, or null (0)
  double label_origin;     // a regressor's: added to its score
  double threshold;        // binary: on the raw score
};
void Predict(const PredictInputs& model, const BatchView& batch, float* score, float* predicted_label);

// Checks a batch before any state is touched.
void ValidateBatch(const Settings& settings, const BatchView& batch, bool need_labels);

}  // namespace linear
}  // namespace boundless
