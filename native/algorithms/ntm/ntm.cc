#include "algorithms/ntm/ntm.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/batch_norm.h"
#include "nn/dense_layer.h"
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
}

// −Σ_w x_w log p_w of row r of a block whose log-probabilities start at logp.
double RowReconstruction(const BatchView& x, size_t r, const float* logp) {
  double sum = 0;
  if (x.sparse) {
    for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) sum -= static_cast<double>(x.values[e]) * logp[x.indices[e]];
  } else {
    const float* row = x.values + r * x.cols;
    for (size_t v = 0; v < x.cols; v++) {
      if (row[v] != 0.0f) sum -= static_cast<double>(row[v]) * logp[v];
    }
  }
  return sum;
}

// ∂(weight · reconstruction)/∂logits for one row, in place over its log-probabilities:
// weight · (N · p − x).
void RowLogitGradient(const BatchView& x, size_t r, float weight, float words, float* logp, size_t vocabulary) {
  const float scale = weight * words;
  for (size_t v = 0; v < vocabulary; v++) logp[v] = scale * std::exp(logp[v]);
  if (x.sparse) {
    for (int32_t e = x.indptr[r]; e < x.indptr[r + 1]; e++) logp[x.indices[e]] -= weight * x.values[e];
  } else {
    const float* row = x.values + r * x.cols;
    for (size_t v = 0; v < vocabulary; v++) logp[v] -= weight * row[v];
  }
}

// The decoder over blocks of rows: sc.reconstruction[r] for every row and, when gradient is
// not null, the gradients of β and the background bias (added) and ∂L/∂θ (sc.dtheta).
void Decoder(const Settings& s, const Layout& l, const State& st, const BatchView& x, Scratch& sc, float* gradient) {
  const size_t rows = x.rows, V = s.vocabulary, K = s.topics, block = DecoderBlockRows(V);
  const float* p = st.parameters;
  Fit(sc.logits, std::min(block, rows) * V);
  Fit(sc.reconstruction, rows);
  if (gradient) Fit(sc.dtheta, rows * K);
  for (size_t r0 = 0; r0 < rows; r0 += block) {
    const size_t n = std::min(block, rows - r0);
    const DenseShape shape{n, K, V, WeightLayout::kInByOut};
    float* logits = sc.logits.data();
    nn::DenseForward(shape, sc.theta.data() + r0 * K, p + l.topic_word, p + l.background, logits);
    ThreadPool::Shared().ParallelFor(n, std::max<size_t>(1, 8192 / V), [&](size_t begin, size_t end) {
      for (size_t r = begin; r < end; r++) {
        float* logp = logits + r * V;
        nn::LogSoftmaxRows(logp, 1, V, nullptr);
        sc.reconstruction[r0 + r] = RowReconstruction(x, r0 + r, logp);
        if (gradient) RowLogitGradient(x, r0 + r, sc.share[r0 + r], sc.words[r0 + r], logp, V);
      }
    });
    if (gradient) {
      nn::DenseBackward(shape, sc.theta.data() + r0 * K, p + l.topic_word, logits, sc.dtheta.data() + r0 * K,
                        gradient + l.topic_word, gradient + l.background);
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

constexpr uint64_t kSubSampleStream = 0x5ab5a3b1e;

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
  l.topic_word = take(s.topics * s.vocabulary);
  l.background = take(s.vocabulary);
  l.parameters = at;
  l.running = running;
  return l;
}

void Train(const Settings& s, const State& st, const BatchView& x, double* metrics) {
  if (x.rows == 0) return;
  const Layout l = MakeLayout(s);
  Reused<Scratch> scratch;
  Scratch& sc = *scratch;
  const double total = RowWeights(s, x, st.counters[kRows], sc);
  st.counters[kRows] += static_cast<double>(x.rows);
  if (!(total > 0)) return;
  Fit(sc.share, x.rows);
  for (size_t r = 0; r < x.rows; r++) sc.share[r] = static_cast<float>(sc.weight[r] / total);
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
  Decoder(s, l, st, x, sc, g.data());
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
  Decoder(s, l, st, x, sc, nullptr);
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
