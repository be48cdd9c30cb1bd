// Factorization machines: M models trained on one mini-batch in one call.
//
//   ŷ = w0 + Σ wᵢxᵢ + Σ_{i<j} ⟨vᵢ, vⱼ⟩ xᵢxⱼ
//     = w0 + Σ wᵢxᵢ + ½ Σ_f [(Σ vᵢf xᵢ)² − Σ vᵢf² xᵢ²]        — O(k · nnz)
//
// Layout is feature-major so a sparse row touches one contiguous block per
// feature for all models: linear [dim][models], factors [dim][Σ k_m] (model
// m's factors at offset[m]). A batch touches only the rows of its features:
// weight decay is applied per step as p ← p·(1 − lr·wd·P), so a feature absent
// for s steps catches up with (1 − lr·wd·P)^s when it returns (lazy
// regularization). P is the optimizer's per-parameter step scale (Decay::kL2:
// 1 for sgd, 1/(√Σg² + ε) for adagrad, 1/(√v̂ + ε) for adam) — the decay is
// then the L2 penalty (wd/2)·‖p‖² on the mean loss seen through the same
// preconditioner as the gradient, so training settles where the gradient of
// the penalised loss is zero: ridge, whatever the optimizer — or 1
// (Decay::kDecoupled, the states written before the change: decoupled decay,
// which adaptive optimizers turn into a shrinkage that grows with training).
// Per-feature gradient sums are taken in row order, so the result does not
// depend on the thread count.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/batch_view.h"

namespace boundless {
namespace fm {

enum class Loss : int { kLogistic = 0, kSquared = 1 };
enum class Optimizer : int { kSgd = 0, kAdagrad = 1, kAdam = 2 };
enum class Decay : int { kDecoupled = 0, kL2 = 1 };

struct ModelSettings {
  size_t factors = 0, offset = 0;
  float bias_lr = 0, linear_lr = 0, factors_lr = 0;
  float bias_wd = 0, linear_wd = 0, factors_wd = 0;
};

struct Settings {
  Loss loss = Loss::kLogistic;
  Optimizer optimizer = Optimizer::kAdagrad;
  Decay decay = Decay::kL2;
  size_t dim = 0;
  std::vector<ModelSettings> models;
  size_t factor_width = 0;  // Σ k_m
  float eps = 1e-8f, beta1 = 0.9f, beta2 = 0.999f;
  float clip_gradient = 0;  // 0: no clipping
  float rescale_grad = 0;   // 0: 1 / Σ batch weights
};

// Counters in State::counters.
enum Counter : int { kStep = 0, kRows, kCounterCount };

struct State {
  float* bias = nullptr;      // models
  float* linear = nullptr;    // dim × models
  float* factors = nullptr;   // dim × factor_width
  // Optimizer moments, same shapes (none for sgd; the second only for adam; adagrad keeps Σg² in the first).
  float* bias_m1 = nullptr;
  float* bias_m2 = nullptr;
  float* linear_m1 = nullptr;
  float* linear_m2 = nullptr;
  float* factors_m1 = nullptr;
  float* factors_m2 = nullptr;
  int32_t* last_step = nullptr;  // dim: the step each feature's parameters are decayed up to
  double* counters = nullptr;    // kCounterCount
};

// Per-model sums over the rows scored: loss, weight, and for binary models the
// confusion counts at score 0.5; for regression the squared error is the loss.
struct Metrics {
  double* loss = nullptr;       // models
  double* weight = nullptr;     // models
  double* confusion = nullptr;  // models × 4: tp, fp, tn, fn (binary), or null
  // 3: Σw, Σw·y, Σw·y² of the rows' labels (once a row, whatever the models), or null: the label's
  // moments, what a regressor's loss is judged against (a model no better than the labels' mean).
  double* labels = nullptr;
};

// One training step of every model (progressive metrics on the rows before the step).
// slot_scratch: dim int32 entries, all −1 (left so), the feature → index map of sparse batches.
void Update(const Settings& settings, State& state, const BatchView& batch, Metrics* metrics, int32_t* slot_scratch);
// Scores the batch with every model, adding to the metrics; no training.
void Evaluate(const Settings& settings, State& state, const BatchView& batch, Metrics& metrics, int32_t* slot_scratch);

// A GPU kernel's view of a batch (lib/backends/webgpu-fm.ts): the rows and labels checked as Update
// checks them (the same errors), *total_weight = Σ row weights, label_sums[0..1] = Σw·y and Σw·y²
// (as Metrics::labels adds them), and for a sparse batch its touched
// features and non-zeros grouped by feature in row order, as 32-bit words: features[touched],
// starts[touched + 1], rows[nnz], the values' float bits[nnz] (out: at least 2·touched + 1 + 2·nnz
// words ≤ 4·nnz + 1, as touched ≤ nnz). Returns touched (0 for a dense batch, which needs no index).
size_t FeatureIndexWords(const Settings& settings, const BatchView& batch, int32_t* slot_scratch, uint32_t* out, double* total_weight,
                         double* label_sums);

// A finalized model: one of the state's models, decay caught up.
struct Model {
  size_t dim = 0, factors = 0;
  float bias = 0;
  const float* linear = nullptr;   // dim
  const float* factors_v = nullptr;  // dim × factors
  bool logistic = false;
  float threshold = 0.5f;  // binary: label = score ≥ threshold
};

// score[r] = ŷ (regression) or σ(ŷ) (binary); label[r] = score ≥ threshold (binary, or null).
void Predict(const Model& model, const BatchView& batch, float* score, float* label);

// Scores user ∪ item for each item row (the user's sums computed once) and returns the
// indices of the top n items by score, best first, with their scores.
void Recommend(const Model& model, const BatchView& user, const BatchView& items, size_t n, int32_t* indices,
               float* scores);

// Brings every feature's parameters up to the current step (before a model is read out).
void CatchUpAll(const Settings& settings, State& state);

}  // namespace fm
}  // namespace boundless
