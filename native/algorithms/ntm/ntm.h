// The neural topic model's kernel: a variational autoencoder of the NVDM family
// (Miao et al. 2016) with a logistic-normal topic layer and a topic-word decoder
// with a background word bias, as ProdLDA (Srivastava & Sutton 2017) and SAGE
// (Eisenstein et al. 2011):
//   encoder   h = act(…act(x·W₀ + b₀)…)          x: a document's word counts
//   posterior μ = h·W_μᵀ + b_μ,  log σ² = h·W_σᵀ + b_σ            [topics]
//   sample    z = μ + σ·ε,  θ = softmax(z)                         [topics]
//   decoder   log p(w | θ) = log softmax(θ·β + b)_w               β: [topics × vocabulary]
//   loss      −Σ_w x_w log p(w | θ) + KL(q(z|x) ‖ N(0, σ₀²))      (the negative ELBO)
// σ₀² is the Laplace approximation of a symmetric Dirichlet prior in the softmax
// basis (Srivastava & Sutton 2017, eq. 3 with α = 1: σ₀² = 1 − 1/K).
// One call trains on a batch: forward, backward, and one optimizer step over every
// parameter; evaluation uses the posterior mean (z = μ), so it is deterministic.
// All parameters live in one flat float32 array laid out by Layout; the state is
// that array, the optimizer's moments, batch norm's running moments and counters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "nn/activation.h"
#include "nn/optimizer.h"
#include "runtime/batch_view.h"

namespace boundless {
namespace ntm {

struct Settings {
  size_t vocabulary = 0;              // V, feature_dim
  size_t topics = 0;                  // K
  std::vector<size_t> hidden;         // encoder widths, first to last
  nn::Activation activation = nn::Activation::kSoftplus;
  bool batch_norm = false;            // batch norm after each encoder layer's product
  bool posterior_batch_norm = true;   // batch norm of μ and log σ² (with a learned scale and shift), as ProdLDA's without them
  bool decoder_batch_norm = true;     // batch norm (no affine part) of the decoder's logits, as ProdLDA
  nn::OptimizerSettings optimizer;
  float prior_variance = 1.0f;        // σ₀²
  float sub_sample = 1.0f;            // fraction of documents trained on (a seeded draw per document read)
  uint64_t seed = 0;
};

// Where each parameter block starts in the flat array (entries, not bytes).
struct Layout {
  std::vector<size_t> weight, bias, gamma, beta;  // per encoder layer (gamma/beta with batch norm)
  size_t mu_weight = 0, mu_bias = 0, log_var_weight = 0, log_var_bias = 0;
  size_t posterior_gamma = 0, posterior_beta = 0;  // affine part of the posterior's batch norm: μ's K, then log σ²'s K
  size_t topic_word = 0, background = 0;
  size_t parameters = 0;
  std::vector<size_t> running_mean, running_var;  // in the running-moments array
  size_t posterior_running = 0;  // μ's mean and variance, then log σ²'s: 4 × topics
  size_t decoder_running = 0;    // the logits' mean and variance: 2 × vocabulary
  size_t running = 0;
};

Layout MakeLayout(const Settings& s);

// Counters (Float64): optimizer steps taken, rows trained on.
enum Counter : size_t { kStep = 0, kRows = 1, kCounterCount = 2 };

// Metric sums (Float64, weighted by rows' weights): negative ELBO, its reconstruction and KL
// parts, words, documents.
enum Metric : size_t { kLoss = 0, kReconstruction = 1, kKl = 2, kWords = 3, kDocuments = 4, kMetricCount = 5 };

struct State {
  float* parameters = nullptr;
  float* moment1 = nullptr;  // as the optimizer needs (nn::MomentArrays)
  float* moment2 = nullptr;
  float* running = nullptr;  // batch norm's running moments (Layout::running entries)
  double* counters = nullptr;
  // A uniform sample of the documents read (Vitter's algorithm R over the rows counter), for topic
  // coherence when there is no validation or test channel: [documents × width] word ids, −1 padded,
  // a document's first `width` words. Null: no sampling (after the first pass).
  int32_t* reservoir = nullptr;
  size_t reservoir_documents = 0, reservoir_width = 0;
};

// One optimizer step on the batch (rows with zero weight, or not drawn by sub_sample, count for
// nothing but the rows counter); adds the trained rows' sampled negative ELBO to metrics when not null.
void Train(const Settings& s, const State& state, const BatchView& batch, double* metrics);

// Adds the batch's negative ELBO at the posterior mean to metrics; changes nothing else.
void Evaluate(const Settings& s, const State& state, const BatchView& batch, double* metrics);

// topic_weights [rows × topics] = softmax(μ) per document.
void TopicWeights(const Settings& s, const State& state, const BatchView& batch, float* topic_weights);

}  // namespace ntm
}  // namespace boundless
