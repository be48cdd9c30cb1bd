#include "algorithms/ntm/ntm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/batch_norm.h"
#include "nn/dense_layer.h"
#include "nn/fast_exp.h"
#include "nn/random_normal.h"
#include "nn/reparameterization.h"
#include "nn/softmax.h"
#include "runtime/reused.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace ntm {
namespace {

using nn::DenseShape;
using nn::WeightLayout;

// Per-batch arrays, kept from call to call (runtime/reused.h): nothing is allocated per batch
// once the first batch of the largest size has been seen.
struct Scratch {
  std::vector<std::vector<float>> hidden, normalized, inv_std, dhidden;
  std::vector<float> mu_normalized, mu_inv_std, log_var_normalized, log_var_inv_std, logit_normalized, logit_inv_std;
  std::vector<float> mu, log_var, eps, theta, dtheta, dmu, dlog_var, dh_log_var, logits, gradient;
  std::vector<float> weight, share, words;  // per row: its weight, its share of the batch's loss, its word count
  std::vector<double> reconstruction;
};

// Rows of the decoder's [rows × vocabulary] logits held at once: ~16 MB of scratch, whatever the vocabulary.
size_t DecoderBlockRows(size_t vocabulary) { return std::max<size_t>(1, (size_t(1) << 22) / std::max<size_t>(1, vocabulary)); }

template <class T>
void Fit(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// Σ of a row's counts (its words), for every row.
void CountWords(const BatchView& x, float* words) {
  for (size_t r = 0; r < x.rows; r++) {
    double n = 0;
    if (x.sparse) {
      for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) n += x.values[e];
    } else {
      for (size_t v = 0; v < x.cols; v++) n += x.values[r * x.cols + v];
    }
    words[r] = static_cast<float>(n);
  }
}

// Encoder and posterior heads: fills sc.hidden (post-activation), sc.mu, sc.log_var.
void EncoderForward(const Settings& s, const Layout& l, const State& st, const BatchView& x, bool training, Scratch& sc) {
  const float* p = st.parameters;
  const size_t rows = x.rows, layers = s.hidden.size();
  sc.hidden.resize(layers);
  sc.normalized.resize(layers);
  sc.inv_std.resize(layers);
  size_t in = s.vocabulary;
  for (size_t i = 0; i < layers; i++) {
    const size_t width = s.hidden[i];
    Fit(sc.hidden[i], rows * width);
    float* h = sc.hidden[i].data();
    if (i > 0) {
      nn::DenseForward({rows, in, width, WeightLayout::kOutByIn}, sc.hidden[i - 1].data(), p + l.weight[i], p + l.bias[i], h);
    } else if (x.sparse) {
      nn::SparseForward(x, width, p + l.weight[0], p + l.bias[0], h);
    } else {
      nn::DenseForward({rows, in, width, WeightLayout::kInByOut}, x.values, p + l.weight[0], p + l.bias[0], h);
    }
    if (s.batch_norm) {
      Fit(sc.normalized[i], rows * width);
      Fit(sc.inv_std[i], width);
      nn::BatchNormForward({rows, width}, h, p + l.gamma[i], p + l.beta[i], st.running + l.running_mean[i],
                           st.running + l.running_var[i], training, sc.normalized[i].data(), sc.inv_std[i].data());
    }
    nn::ActivateInPlace(s.activation, h, rows * width);
    in = width;
  }
  Fit(sc.mu, rows * s.topics);
  Fit(sc.log_var, rows * s.topics);
  const DenseShape head{rows, in, s.topics, WeightLayout::kOutByIn};
  nn::DenseForward(head, sc.hidden.back().data(), p + l.mu_weight, p + l.mu_bias, sc.mu.data());
  nn::DenseForward(head, sc.hidden.back().data(), p + l.log_var_weight, p + l.log_var_bias, sc.log_var.data());
  if (s.posterior_batch_norm) {
    Fit(sc.mu_normalized, rows * s.topics);
    Fit(sc.log_var_normalized, rows * s.topics);
    Fit(sc.mu_inv_std, s.topics);
    Fit(sc.log_var_inv_std, s.topics);
    float* r = st.running + l.posterior_running;
    const nn::BatchNormShape shape{rows, s.topics};
    const float *gamma = p + l.posterior_gamma, *beta = p + l.posterior_beta;
    nn::BatchNormForward(shape, sc.mu.data(), gamma, beta, r, r + s.topics, training, sc.mu_normalized.data(), sc.mu_inv_std.data());
    nn::BatchNormForward(shape, sc.log_var.data(), gamma + s.topics, beta + s.topics, r + 2 * s.topics, r + 3 * s.topics, training,
                         sc.log_var_normalized.data(), sc.log_var_inv_std.data());
  }
}

// Σ of n floats over eight lanes (a fixed order: results repeat), so the adds vectorize.
float LaneSum(const float* a, size_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t l = 0; l < 8; l++) lane[l] += a[i + l];
  }
  for (; i < n; i++) lane[i % 8] += a[i];
  return ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
}

// One row of the decoder: from its logits, −Σ_w x_w log p_w (returned) and, when weight is not
// zero, ∂(weight · that)/∂logits = weight · (N · p − x) in place of the logits. One pass of exp:
// p = e^{logit − max} / Σ, and log p_w = logit_w − logsumexp at the row's words only.
double RowDecoder(const BatchView& x, size_t r, float* logits, size_t V, float weight, float words, bool gradient) {
  float top = logits[0];
  for (size_t v = 1; v < V; v++) top = logits[v] > top ? logits[v] : top;
  double reconstruction = 0;  // −Σ x_w (logit_w − top), completed with + N·log Σ below
  if (x.sparse) {
    for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) reconstruction -= static_cast<double>(x.values[e]) * (logits[x.indices[e]] - top);
  } else {
    const float* row = x.values + r * x.cols;
    for (size_t v = 0; v < V; v++) reconstruction -= static_cast<double>(row[v]) * (logits[v] - top);
  }
  for (size_t v = 0; v < V; v++) logits[v] = nn::ExpNonPositive(logits[v] - top);  // vectorizes: no reduction inside
  const float sum = LaneSum(logits, V);
  reconstruction += static_cast<double>(words) * std::log(static_cast<double>(sum));
  if (!gradient) return reconstruction;
  const float scale = weight * words / sum;
  for (size_t v = 0; v < V; v++) logits[v] *= scale;
  if (x.sparse) {
    for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) logits[x.indices[e]] -= weight * x.values[e];
  } else {
    const float* row = x.values + r * x.cols;
    for (size_t v = 0; v < V; v++) logits[v] -= weight * row[v];
  }
  return reconstruction;
}

// The decoder over blocks of rows: sc.reconstruction[r] for every row and, when gradient is
// not null, the gradients of β and the background bias (added) and ∂L/∂θ (sc.dtheta).
void Decoder(const Settings& s, const Layout& l, const State& st, const BatchView& x, Scratch& sc, float* gradient, bool training) {
  // Batch norm of the logits needs the whole batch's statistics: one block then.
  const size_t rows = x.rows, V = s.vocabulary, K = s.topics, block = s.decoder_batch_norm ? rows : DecoderBlockRows(V);
  const float* p = st.parameters;
  Fit(sc.logits, std::min(block, rows) * V);
  Fit(sc.reconstruction, rows);
  if (gradient) Fit(sc.dtheta, rows * K);
  for (size_t r0 = 0; r0 < rows; r0 += block) {
    const size_t n = std::min(block, rows - r0);
    const DenseShape shape{n, K, V, WeightLayout::kInByOut};
    float* logits = sc.logits.data();
    // The background word bias is added after the normalisation, so it keeps the words' corpus
    // frequencies (normalised logits have mean 0 for every word) and topics are deviations from it.
    const nn::BatchNormShape norm{n, V};
    if (s.decoder_batch_norm) {
      nn::DenseForward(shape, sc.theta.data() + r0 * K, p + l.topic_word, nullptr, logits);
      Fit(sc.logit_normalized, n * V);
      Fit(sc.logit_inv_std, V);
      float* r = st.running + l.decoder_running;
      nn::BatchNormForward(norm, logits, nullptr, p + l.background, r, r + V, training, sc.logit_normalized.data(), sc.logit_inv_std.data());
    } else {
      nn::DenseForward(shape, sc.theta.data() + r0 * K, p + l.topic_word, p + l.background, logits);
    }
    ThreadPool::Shared().ParallelFor(n, std::max<size_t>(1, 8192 / V), [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; r++) {
        sc.reconstruction[r0 + r] = RowDecoder(x, r0 + r, logits + r * V, V, gradient ? sc.share[r0 + r] : 0.0f, sc.words[r0 + r], gradient != nullptr);
      }
    });
    if (gradient) {
      float* background = gradient + l.background;
      if (s.decoder_batch_norm) {
        nn::BatchNormBackward(norm, sc.logit_normalized.data(), sc.logit_inv_std.data(), nullptr, logits, nullptr, background);
        background = nullptr;
      }
      nn::DenseBackward(shape, sc.theta.data() + r0 * K, p + l.topic_word, logits, sc.dtheta.data() + r0 * K,
                        gradient + l.topic_word, background);
    }
  }
}

// KL(N(μ, σ²) ‖ N(0, σ₀²)) of row r, and (when dmu is not null) its gradient times weight.
double RowKl(const Settings& s, const Scratch& sc, size_t r, float weight, float* dmu, float* dlog_var) {
  const double prior = s.prior_variance, log_prior = std::log(prior);
  double kl = 0;
  for (size_t k = 0; k < s.topics; k++) {
    const size_t i = r * s.topics + k;
    const double mu = sc.mu[i], log_var = sc.log_var[i], var = std::exp(log_var);
    kl += 0.5 * (var / prior + mu * mu / prior - 1 + log_prior - log_var);
    if (dmu) {
      dmu[i] = static_cast<float>(weight * mu / prior);
      dlog_var[i] = static_cast<float>(weight * 0.5 * (var / prior - 1));
    }
  }
  return kl;
}

// Back from ∂L/∂μ and ∂L/∂log σ² through the heads and every encoder layer, adding to gradient.
void EncoderBackward(const Settings& s, const Layout& l, const State& st, const BatchView& x, Scratch& sc, float* g) {
  const float* p = st.parameters;
  const size_t rows = x.rows, layers = s.hidden.size(), last = s.hidden.back();
  sc.dhidden.resize(layers);
  for (size_t i = 0; i < layers; i++) Fit(sc.dhidden[i], rows * s.hidden[i]);
  Fit(sc.dh_log_var, rows * last);
  const DenseShape head{rows, last, s.topics, WeightLayout::kOutByIn};
  if (s.posterior_batch_norm) {
    const nn::BatchNormShape shape{rows, s.topics};
    const size_t K = s.topics;
    nn::BatchNormBackward(shape, sc.mu_normalized.data(), sc.mu_inv_std.data(), p + l.posterior_gamma, sc.dmu.data(),
                          g + l.posterior_gamma, g + l.posterior_beta);
    nn::BatchNormBackward(shape, sc.log_var_normalized.data(), sc.log_var_inv_std.data(), p + l.posterior_gamma + K, sc.dlog_var.data(),
                          g + l.posterior_gamma + K, g + l.posterior_beta + K);
  }
  float* dh = sc.dhidden.back().data();
  nn::DenseBackward(head, sc.hidden.back().data(), p + l.mu_weight, sc.dmu.data(), dh, g + l.mu_weight, g + l.mu_bias);
  nn::DenseBackward(head, sc.hidden.back().data(), p + l.log_var_weight, sc.dlog_var.data(), sc.dh_log_var.data(),
                    g + l.log_var_weight, g + l.log_var_bias);
  for (size_t j = 0; j < rows * last; j++) dh[j] += sc.dh_log_var[j];
  for (size_t i = layers; i-- > 0;) {
    const size_t width = s.hidden[i];
    float* d = sc.dhidden[i].data();
    nn::ActivationBackward(s.activation, sc.hidden[i].data(), d, rows * width);
    if (s.batch_norm) {
      nn::BatchNormBackward({rows, width}, sc.normalized[i].data(), sc.inv_std[i].data(), p + l.gamma[i], d,
                            g + l.gamma[i], g + l.beta[i]);
    }
    if (i > 0) {
      nn::DenseBackward({rows, s.hidden[i - 1], width, WeightLayout::kOutByIn}, sc.hidden[i - 1].data(), p + l.weight[i], d,
                        sc.dhidden[i - 1].data(), g + l.weight[i], g + l.bias[i]);
    } else if (x.sparse) {
      nn::SparseBackward(x, width, d, g + l.weight[0], g + l.bias[0]);
    } else {
      nn::DenseBackward({rows, s.vocabulary, width, WeightLayout::kInByOut}, x.values, p + l.weight[0], d, nullptr,
                        g + l.weight[0], g + l.bias[0]);
    }
  }
}

// The background bias before the first step: the log word frequencies of the first batch
// (add-½ smoothing). The decoder then starts at the unigram model, and the topics learn only
// how documents differ from it, instead of first spending steps on the corpus's frequencies.
void InitializeBackground(const BatchView& x, size_t vocabulary, float* background) {
  std::vector<double> counts(vocabulary, 0.5);
  double total = 0.5 * static_cast<double>(vocabulary);
  for (size_t r = 0; r < x.rows; r++) {
    if (x.sparse) {
      for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) counts[x.indices[e]] += x.values[e];
    } else {
      for (size_t v = 0; v < vocabulary; v++) counts[v] += x.values[r * x.cols + v];
    }
  }
  for (double c : counts) total += c - 0.5;
  for (size_t v = 0; v < vocabulary; v++) background[v] = static_cast<float>(std::log(counts[v] / total));
}

constexpr uint64_t kSubSampleStream = 0x5ab5a3b1e;
constexpr uint64_t kReservoirStream = 0x7e5e7401;

// Algorithm R: document n (0-based, of all read) takes slot n while slots remain, then replaces a
// uniformly drawn slot with probability slots / (n + 1).
void SampleDocuments(const Settings& s, const State& st, const BatchView& x, double rows_before) {
  for (size_t r = 0; r < x.rows; r++) {
    const uint64_t n = static_cast<uint64_t>(rows_before) + r;
    uint64_t slot = n;
    if (n >= st.reservoir_documents) {
      slot = static_cast<uint64_t>(nn::CounterUniform(s.seed, kReservoirStream, n) * static_cast<double>(n + 1));
      if (slot >= st.reservoir_documents) continue;
    }
    int32_t* out = st.reservoir + slot * st.reservoir_width;
    size_t filled = 0;
    if (x.sparse) {
      for (int32_t e = x.indptr[r]; e < x.indptr[r + 1] && filled < st.reservoir_width; e++) {
        if (x.values[e] > 0) out[filled++] = static_cast<int32_t>(x.indices[e]);
      }
    } else {
      for (size_t v = 0; v < x.cols && filled < st.reservoir_width; v++) {
        if (x.values[r * x.cols + v] > 0) out[filled++] = static_cast<int32_t>(v);
      }
    }
    std::fill(out + filled, out + st.reservoir_width, -1);
  }
}

// Each row's weight (1 when the batch has none; 0 when sub_sample does not draw it, draw i being
// the i-th row ever read) and word count; returns the weights' sum.
double RowWeights(const Settings& s, const BatchView& x, double rows_before, Scratch& sc) {
  Fit(sc.weight, x.rows);
  Fit(sc.words, x.rows);
  CountWords(x, sc.words.data());
  double total = 0;
  for (size_t r = 0; r < x.rows; r++) {
    float w = x.weights ? x.weights[r] : 1.0f;
    if (s.sub_sample < 1 && nn::CounterUniform(s.seed, kSubSampleStream, static_cast<uint64_t>(rows_before) + r) >= s.sub_sample) w = 0;
    total += (sc.weight[r] = w);
  }
  return total;
}

void AddMetrics(const Settings& s, const BatchView& x, const Scratch& sc, double* metrics) {
  if (!metrics) return;
  for (size_t r = 0; r < x.rows; r++) {
    const double w = sc.weight[r];
    if (w == 0) continue;
    const double kl = RowKl(s, sc, r, 0, nullptr, nullptr);
    metrics[kLoss] += w * (sc.reconstruction[r] + kl);
    metrics[kReconstruction] += w * sc.reconstruction[r];
    metrics[kKl] += w * kl;
    metrics[kWords] += w * sc.words[r];
    metrics[kDocuments] += w;
  }
}

}  // namespace

Layout MakeLayout(const Settings& s) {
  Layout l;
  size_t at = 0, running = 0, in = s.vocabulary;
  auto take = [&](size_t n) { size_t start = at; at += n; return start; };
  for (size_t width : s.hidden) {
    l.weight.push_back(take(in * width));
    l.bias.push_back(take(width));
    if (s.batch_norm) {
      l.gamma.push_back(take(width));
      l.beta.push_back(take(width));
      l.running_mean.push_back(running);
      l.running_var.push_back(running + width);
      running += 2 * width;
    }
    in = width;
  }
  l.mu_weight = take(s.topics * in);
  l.mu_bias = take(s.topics);
  l.log_var_weight = take(s.topics * in);
  l.log_var_bias = take(s.topics);
  if (s.posterior_batch_norm) {
    l.posterior_gamma = take(2 * s.topics);
    l.posterior_beta = take(2 * s.topics);
  }
  l.topic_word = take(s.topics * s.vocabulary);
  l.background = take(s.vocabulary);
  l.parameters = at;
  l.posterior_running = running;
  if (s.posterior_batch_norm) running += 4 * s.topics;
  l.decoder_running = running;
  if (s.decoder_batch_norm) running += 2 * s.vocabulary;
  l.running = running;
  return l;
}

void Train(const Settings& s, const State& st, const BatchView& x, double* metrics) {
  if (x.rows == 0) return;
  const Layout l = MakeLayout(s);
  Reused<Scratch> scratch;
  Scratch& sc = *scratch;
  const double total = RowWeights(s, x, st.counters[kRows], sc);
  if (st.reservoir) SampleDocuments(s, st, x, st.counters[kRows]);
  st.counters[kRows] += static_cast<double>(x.rows);
  if (!(total > 0)) return;
  Fit(sc.share, x.rows);
  for (size_t r = 0; r < x.rows; r++) sc.share[r] = static_cast<float>(sc.weight[r] / total);
  if (st.counters[kStep] == 0) InitializeBackground(x, s.vocabulary, st.parameters + l.background);
  EncoderForward(s, l, st, x, true, sc);
  const size_t n = x.rows * s.topics;
  Fit(sc.eps, n);
  Fit(sc.theta, n);
  // The noise of step t is stream t of the seed: a resumed state draws what the uninterrupted run drew.
  nn::Reparameterize(sc.mu.data(), sc.log_var.data(), sc.eps.data(), sc.theta.data(), n, s.seed,
                     static_cast<uint64_t>(st.counters[kStep]), 0);
  nn::SoftmaxRows(sc.theta.data(), x.rows, s.topics);
  std::vector<float>& g = sc.gradient;
  g.assign(l.parameters, 0.0f);
  Decoder(s, l, st, x, sc, g.data(), true);
  nn::SoftmaxBackward(sc.theta.data(), sc.dtheta.data(), x.rows, s.topics);
  Fit(sc.dmu, n);
  Fit(sc.dlog_var, n);
  for (size_t r = 0; r < x.rows; r++) RowKl(s, sc, r, sc.share[r], sc.dmu.data(), sc.dlog_var.data());
  nn::ReparameterizeBackward(sc.log_var.data(), sc.eps.data(), sc.dtheta.data(), sc.dmu.data(), sc.dlog_var.data(), n);
  EncoderBackward(s, l, st, x, sc, g.data());
  st.counters[kStep] += 1;
  nn::OptimizerStep(s.optimizer, st.parameters, g.data(), st.moment1, st.moment2, l.parameters, st.counters[kStep]);
  AddMetrics(s, x, sc, metrics);
}

void Evaluate(const Settings& s, const State& st, const BatchView& x, double* metrics) {
  if (x.rows == 0) return;
  const Layout l = MakeLayout(s);
  Reused<Scratch> scratch;
  Scratch& sc = *scratch;
  Settings all = s;
  all.sub_sample = 1;  // every document is scored
  RowWeights(all, x, 0, sc);
  EncoderForward(s, l, st, x, false, sc);
  Fit(sc.theta, x.rows * s.topics);
  std::copy(sc.mu.begin(), sc.mu.begin() + x.rows * s.topics, sc.theta.begin());
  nn::SoftmaxRows(sc.theta.data(), x.rows, s.topics);
  Decoder(s, l, st, x, sc, nullptr, false);
  AddMetrics(s, x, sc, metrics);
}

void TopicWeights(const Settings& s, const State& st, const BatchView& x, float* topic_weights) {
  if (x.rows == 0) return;
  const Layout l = MakeLayout(s);
  Reused<Scratch> scratch;
  EncoderForward(s, l, st, x, false, *scratch);
  std::copy(scratch->mu.begin(), scratch->mu.begin() + x.rows * s.topics, topic_weights);
  nn::SoftmaxRows(topic_weights, x.rows, s.topics);
}

}  // namespace ntm
}  // namespace boundless
