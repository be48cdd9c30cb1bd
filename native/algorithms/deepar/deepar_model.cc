#include "algorithms/deepar/deepar_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>

#include "nn/dense_layer.h"
#include "nn/likelihood.h"
#include "nn/lstm.h"
#include "nn/optimizer.h"
#include "nn/random_normal.h"
#include "runtime/reused.h"
#include "runtime/thread_pool.h"

namespace boundless {
namespace deepar {
namespace {

constexpr uint64_t kKeyStream = 0xde9a1;
constexpr uint64_t kBatchStream = 0xba7c4;

template <class T>
void Fit(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

bool Counts(const ModelShape& m) { return m.network.likelihood == nn::Likelihood::kNegativeBinomial; }

// The last observed value of `z` before position `end` (NaN when there is none).
float LastObserved(const float* z, ptrdiff_t end) {
  for (ptrdiff_t p = end - 1; p >= 0; p--) {
    if (!std::isnan(z[p])) return z[p];
  }
  return std::numeric_limits<float>::quiet_NaN();
}

// ν over the observed values of positions [begin, end) of `z` (positions before 0 are missing).
// A context with none observed is scaled as the lags read it, by the last value observed before
// it (which FillForward carries through): scaled by 1, AirPassengers with its last 24 of 132
// months missing was forecast at 2–3 passengers a month.
float ScaleOf(const ModelShape& m, const float* z, ptrdiff_t begin, ptrdiff_t end) {
  if (!m.scale_inputs) return 1.0f;
  double sum = 0;
  size_t n = 0;
  for (ptrdiff_t p = std::max<ptrdiff_t>(begin, 0); p < end; p++) {
    if (!std::isnan(z[p])) sum += std::fabs(z[p]), n++;
  }
  if (n > 0) return static_cast<float>(1.0 + sum / static_cast<double>(n));
  const float last = LastObserved(z, std::max<ptrdiff_t>(begin, 0));
  return std::isnan(last) ? 1.0f : static_cast<float>(1.0 + std::fabs(last));
}

// A window's values from position `lead` of `v` on (W of them; missing before the series' start).
// A gap at its start takes the last value observed before the window, so that FillForward carries
// what the series last showed into the lags (position 0 is a lag, never a target, when there are lags).
void CopyHistory(const ModelShape& m, const SeriesView& v, ptrdiff_t lead, size_t W, float* out) {
  const ptrdiff_t n = static_cast<ptrdiff_t>(v.length);
  for (size_t j = 0; j < W; j++) {
    const ptrdiff_t p = lead + static_cast<ptrdiff_t>(j);
    out[j] = p >= 0 && p < n ? v.target[p] : std::numeric_limits<float>::quiet_NaN();
  }
  if (m.MaxLag() > 0 && W > 0 && lead > 0 && lead < n && std::isnan(out[0])) out[0] = LastObserved(v.target, lead);
}

// The lagged values the network reads: `history` with each missing value (NaN) replaced by the
// last observed one before it (GluonTS's LastValueImputation); those before any observed value,
// and the positions before the series' start, stay missing (StepInputs reads them as 0). Read as
// 0, a gap in the last steps before the horizon pulled the forecast down: AirPassengers' next
// twelve months fell 10–14% when only its last value was missing. The loss keeps the gaps (it
// reads `history` itself): an imputed value is never a target.
void FillForward(const float* history, size_t n, float* out) {
  float last = std::numeric_limits<float>::quiet_NaN();
  for (size_t i = 0; i < n; i++) {
    if (!std::isnan(history[i])) last = history[i];
    out[i] = last;
  }
}

// The inputs of step t of one window (row b of B): `history` holds the window's History() values
// (MaxLag() before its first step) as FillForward leaves them, `dynamic` its Steps() × D features.
void StepInputs(const ModelShape& m, const float* parameters, const float* history, const float* dynamic, const int32_t* cats,
                double origin, double age, float nu, size_t t, float* x) {
  const size_t j = m.MaxLag() + t;
  for (size_t k = 0; k < m.lags.size(); k++) {
    const float v = history[j - m.lags[k]];
    x[k] = std::isnan(v) ? 0.0f : v / nu;
  }
  TimeFeatures(m.feature_set, m.unit, static_cast<int64_t>(origin) + static_cast<int64_t>(t) * m.multiple, x + m.TimeFeatureOffset());
  const double position = age + static_cast<double>(t);
  x[m.AgeOffset()] = static_cast<float>(std::log10(2.0 + std::max(position, 0.0)));
  x[m.AgeOffset() + 1] = std::log(nu);
  for (size_t d = 0; d < m.dynamic; d++) x[m.DynamicOffset() + d] = dynamic[t * m.dynamic + d];
  const float* table = parameters + m.NetworkParameters();
  float* e = x + m.EmbeddingInputOffset();
  for (size_t k = 0; k < m.cardinality.size(); k++) {
    std::copy_n(table + static_cast<size_t>(cats[k]) * m.embedding, m.embedding, e + k * m.embedding);
    table += m.cardinality[k] * m.embedding;
  }
}

// A min-heap of reservoir slots by key: the slot a heavier window replaces is on top.
struct SlotHeap {
  const double* keys;
  std::vector<uint32_t> slots;
  bool operator()(uint32_t a, uint32_t b) const { return keys[a] > keys[b]; }
  void Rebuild(size_t filled) {
    slots.resize(filled);
    for (size_t i = 0; i < filled; i++) slots[i] = static_cast<uint32_t>(i);
    std::make_heap(slots.begin(), slots.end(), *this);
  }
  uint32_t Top() const { return slots.front(); }
  void Push(uint32_t slot) {
    slots.push_back(slot);
    std::push_heap(slots.begin(), slots.end(), *this);
  }
  void ReplaceTop() {  // after the top slot's key grew
    std::pop_heap(slots.begin(), slots.end(), *this);
    std::push_heap(slots.begin(), slots.end(), *this);
  }
};

void CopyWindow(const ModelShape& m, const SeriesView& v, ptrdiff_t s, float nu, double key, const Reservoir& r, size_t slot) {
  const size_t W = m.History(), T = m.Steps(), D = m.dynamic, K = m.cardinality.size();
  const ptrdiff_t first = s - static_cast<ptrdiff_t>(m.context), lead = first - static_cast<ptrdiff_t>(m.MaxLag());
  CopyHistory(m, v, lead, W, r.targets + slot * W);
  float* dyn = r.dynamic + slot * T * D;
  for (size_t step = 0; step < T; step++) {
    const ptrdiff_t p = first + static_cast<ptrdiff_t>(step);
    for (size_t d = 0; d < D; d++) dyn[step * D + d] = p >= 0 ? v.dynamic[d * v.dynamic_length + p] : 0.0f;
  }
  std::copy_n(v.cats, K, r.cats + slot * K);
  r.origin[slot] = v.start + static_cast<double>(first) * static_cast<double>(m.multiple);
  r.age[slot] = static_cast<double>(first);
  r.scale[slot] = nu;
  r.keys[slot] = key;
}

}  // namespace

size_t ModelShape::EmbeddingParameters() const {
  size_t n = 0;
  for (uint32_t c : cardinality) n += static_cast<size_t>(c) * embedding;
  return n;
}

void OfferSeries(const ModelShape& m, uint64_t seed, Reservoir& r, const SeriesView* series, size_t count) {
  Reused<SlotHeap> heap_scratch;
  SlotHeap& heap = *heap_scratch;
  heap.keys = r.keys;
  size_t filled = static_cast<size_t>(r.counters[0]);
  heap.Rebuild(filled);
  const ptrdiff_t C = static_cast<ptrdiff_t>(m.context), P = static_cast<ptrdiff_t>(m.prediction);
  for (size_t i = 0; i < count; i++) {
    const SeriesView& v = series[i];
    const uint64_t stream = kKeyStream ^ (static_cast<uint64_t>(r.counters[2]) << 8);
    r.counters[2] += 1;
    const ptrdiff_t n = static_cast<ptrdiff_t>(v.length);
    for (ptrdiff_t s = 0; s + P <= n; s++) {
      bool observed = false;
      for (ptrdiff_t p = std::max<ptrdiff_t>(s - C, 0); p < s + P && !observed; p++) observed = !std::isnan(v.target[p]);
      if (!observed) continue;
      const float nu = ScaleOf(m, v.target, s - C, s);
      // A-Res: key u^(1/w), compared as log(u)/w; the largest R keys are a weighted sample.
      const double u = std::max(nn::CounterUniform(seed, stream, static_cast<uint64_t>(s)), 1e-300);
      const double key = std::log(u) / nu;
      r.counters[1] += 1;
      if (filled < r.capacity) {
        CopyWindow(m, v, s, nu, key, r, filled);
        heap.Push(static_cast<uint32_t>(filled++));
      } else if (key > r.keys[heap.Top()]) {
        CopyWindow(m, v, s, nu, key, r, heap.Top());
        heap.ReplaceTop();
      }
    }
  }
  r.counters[0] = static_cast<double>(filled);
}

namespace {

// Rows of one gradient chunk: a step's batch is split into chunks of this many windows whose
// gradients run in parallel and add up in a fixed order, so a result does not depend on the threads.
constexpr size_t kChunkRows = 32;

struct ChunkScratch {
  std::vector<float> inputs, targets, weights, scales, input_gradient, gradient, lagged;
  double loss = 0, weight = 0;
};

// The loss and gradient of rows [b0, b1) of the step's windows (`slots`) into `c`: the gradient of
// their mean loss (network and embedding tables), their Σ weight · NLL and Σ weight.
void ChunkGradient(const ModelShape& m, const Reservoir& r, const float* parameters, const uint32_t* slots, size_t b0, size_t b1,
                   uint64_t stream, ChunkScratch& c) {
  const size_t T = m.Steps(), B = b1 - b0, F = m.Features(), K = m.cardinality.size(), E = m.embedding, W = m.History();
  Fit(c.inputs, T * B * F);
  Fit(c.input_gradient, T * B * F);
  Fit(c.targets, T * B);
  Fit(c.weights, T * B);
  Fit(c.scales, T * B);
  Fit(c.gradient, m.Parameters());
  Fit(c.lagged, W);
  const bool counts = Counts(m);
  for (size_t b = 0; b < B; b++) {
    const size_t slot = slots[b0 + b];
    const float nu = r.scale[slot];
    const float* history = r.targets + slot * W;
    FillForward(history, W, c.lagged.data());
    for (size_t t = 0; t < T; t++) {
      StepInputs(m, parameters, c.lagged.data(), r.dynamic + slot * T * m.dynamic, r.cats + slot * K, r.origin[slot], r.age[slot], nu, t,
                 c.inputs.data() + (t * B + b) * F);
      const float y = history[m.MaxLag() + t];
      const bool seen = !std::isnan(y);
      c.targets[t * B + b] = seen ? (counts ? y : y / nu) : 0.0f;
      c.weights[t * B + b] = seen ? 1.0f : 0.0f;
      c.scales[t * B + b] = nu;
    }
  }
  Window w;
  w.steps = T, w.rows = B, w.inputs = c.inputs.data(), w.targets = c.targets.data(), w.weights = c.weights.data();
  w.scales = counts ? c.scales.data() : nullptr;
  w.input_gradient = K ? c.input_gradient.data() : nullptr;
  c.loss = NetworkLoss(m.network, parameters, w, c.gradient.data(), stream);
  c.weight = 0;
  for (size_t i = 0; i < T * B; i++) c.weight += c.weights[i];
  // The embedding rows' gradients: what reached their input columns, over every step.
  float* table_gradient = c.gradient.data() + m.NetworkParameters();
  std::fill(table_gradient, table_gradient + m.EmbeddingParameters(), 0.0f);
  for (size_t b = 0; b < B && K; b++) {
    size_t table = 0;
    for (size_t k = 0; k < K; k++) {
      float* row = table_gradient + table + static_cast<size_t>(r.cats[slots[b0 + b] * K + k]) * E;
      for (size_t t = 0; t < T; t++) {
        const float* dx = c.input_gradient.data() + (t * B + b) * F + m.EmbeddingInputOffset() + k * E;
        for (size_t e = 0; e < E; e++) row[e] += dx[e];
      }
      table += m.cardinality[k] * E;
    }
  }
}

struct RoundScratch {
  std::vector<ChunkScratch> chunks;
  std::vector<uint32_t> slots;
  std::vector<float> gradient;
};

}  // namespace

double TrainRound(const ModelShape& m, uint64_t seed, const Reservoir& r, const TrainArrays& a, size_t batch, size_t count,
                  double* weight) {
  const size_t filled = static_cast<size_t>(r.counters[0]);
  if (filled == 0 || count == 0) return 0;
  const size_t B = batch, parameters = m.Parameters(), chunks = (B + kChunkRows - 1) / kChunkRows;
  Reused<RoundScratch> scratch;
  RoundScratch& sc = *scratch;
  if (sc.chunks.size() < chunks) sc.chunks.resize(chunks);
  Fit(sc.slots, B);
  Fit(sc.gradient, parameters);
  double total = 0;
  for (size_t step = 0; step < count; step++) {
    const uint64_t id = static_cast<uint64_t>(*a.steps);
    for (size_t b = 0; b < B; b++) {
      sc.slots[b] = static_cast<uint32_t>(std::min(filled - 1, static_cast<size_t>(nn::CounterUniform(seed, kBatchStream, id * B + b) * static_cast<double>(filled))));
    }
    ThreadPool::Shared().ParallelFor(chunks, 1, [&](size_t begin, size_t end) {
      SerialScope serial;
      for (size_t c = begin; c < end; c++) {
        ChunkGradient(m, r, a.parameters, sc.slots.data(), c * kChunkRows, std::min(B, (c + 1) * kChunkRows), id * 1024 + c, sc.chunks[c]);
      }
    });
    // The batch's mean loss: each chunk's mean weighted by its share of the observed values.
    double step_weight = 0;
    for (size_t c = 0; c < chunks; c++) step_weight += sc.chunks[c].weight, total += sc.chunks[c].loss;
    *weight += step_weight;
    std::fill(sc.gradient.begin(), sc.gradient.begin() + parameters, 0.0f);
    for (size_t c = 0; c < chunks && step_weight > 0; c++) {
      const float share = static_cast<float>(sc.chunks[c].weight / step_weight);
      const float* g = sc.chunks[c].gradient.data();
      for (size_t i = 0; i < parameters; i++) sc.gradient[i] += share * g[i];
    }
    *a.steps += 1;
    nn::OptimizerStep(m.network.optimizer, a.parameters, sc.gradient.data(), a.moment1, a.moment2, parameters, *a.steps);
  }
  return total;
}

double ModelLoss(const ModelShape& m, const Reservoir& r, const float* parameters, const uint32_t* slots, size_t count,
                 uint64_t step, float* gradient, double* weight) {
  ChunkScratch c;
  ChunkGradient(m, r, parameters, slots, 0, count, step, c);
  if (gradient) std::copy_n(c.gradient.data(), m.Parameters(), gradient);
  *weight = c.weight;
  return c.loss;
}

namespace {

struct ForecastScratch {
  std::vector<float> history, dynamic, inputs, raw, draws, top, scales;
  std::vector<std::vector<float>> h, c, h_next, c_next, tape_gates;
};

// Runs the stacked layers over T steps of B rows from (h, c) (null: zeros), the states of every
// step in h_seq, c_seq; returns the top layer's outputs [T × B × H] (layers above the first add
// their input, as in training: deepar_network.cc).
const float* RunLayers(const ModelShape& m, const float* p, const float* x, size_t T, size_t B, std::vector<std::vector<float>>* h0,
                       std::vector<std::vector<float>>* c0, std::vector<std::vector<float>>& h_seq, std::vector<std::vector<float>>& c_seq,
                       std::vector<std::vector<float>>& gates, std::vector<float>& top) {
  const NetworkLayout l = MakeNetworkLayout(m.network);
  const size_t H = m.network.cells, n = T * B * H;
  const float* below = x;
  size_t in = m.Features();
  Fit(top, n);
  for (size_t k = 0; k < m.network.layers; k++) {
    Fit(h_seq[k], n);
    Fit(c_seq[k], n);
    Fit(gates[k], n * 4);
    nn::LstmForward({T, B, in, H}, {p + l.input[k], p + l.recurrent[k], p + l.bias[k]}, below, h0 ? (*h0)[k].data() : nullptr,
                    c0 ? (*c0)[k].data() : nullptr, {}, {h_seq[k].data(), c_seq[k].data(), gates[k].data()});
    if (k == 0) {
      std::copy_n(h_seq[0].data(), n, top.data());
    } else {
      for (size_t i = 0; i < n; i++) top[i] += h_seq[k][i];  // top held layer k − 1's output: now layer k's
    }
    below = top.data();
    in = H;
  }
  return top.data();
}

}  // namespace

void Forecast(const ModelShape& m, const float* p, const SeriesView& v, size_t paths, uint64_t seed, uint64_t stream, float* out) {
  const size_t C = m.context, P = m.prediction, T = m.Steps(), W = m.History(), F = m.Features(), D = m.dynamic, L = m.network.layers;
  const size_t H = m.network.cells, Pp = nn::LikelihoodParameters(m.network.likelihood);
  const NetworkLayout l = MakeNetworkLayout(m.network);
  Reused<ForecastScratch> scratch;
  ForecastScratch& sc = *scratch;
  for (auto* s : {&sc.h, &sc.c, &sc.h_next, &sc.c_next, &sc.tape_gates}) s->resize(L);
  const ptrdiff_t n = static_cast<ptrdiff_t>(v.length), first = n - static_cast<ptrdiff_t>(C);
  const ptrdiff_t lead = first - static_cast<ptrdiff_t>(m.MaxLag());
  const float nu = ScaleOf(m, v.target, first, n);
  // Every path's own copy of the window: the history, then its samples.
  Fit(sc.history, paths * W);
  CopyHistory(m, v, lead, W, sc.history.data());
  // Only lags read the history here (the horizon's values are samples): its gaps filled in place.
  FillForward(sc.history.data(), m.MaxLag() + C, sc.history.data());
  for (size_t path = 1; path < paths; path++) std::copy_n(sc.history.data(), W, sc.history.data() + path * W);
  Fit(sc.dynamic, T * D);
  for (size_t t = 0; t < T; t++) {
    const ptrdiff_t pos = first + static_cast<ptrdiff_t>(t);
    for (size_t d = 0; d < D; d++) sc.dynamic[t * D + d] = pos >= 0 ? v.dynamic[d * v.dynamic_length + pos] : 0.0f;
  }
  const double origin = v.start + static_cast<double>(first) * static_cast<double>(m.multiple), age = static_cast<double>(first);
  // The context, once: every path starts from the state it leaves.
  Fit(sc.inputs, std::max(C, paths) * F);
  for (size_t t = 0; t < C; t++) StepInputs(m, p, sc.history.data(), sc.dynamic.data(), v.cats, origin, age, nu, t, sc.inputs.data() + t * F);
  RunLayers(m, p, sc.inputs.data(), C, 1, nullptr, nullptr, sc.h_next, sc.c_next, sc.tape_gates, sc.top);
  for (size_t k = 0; k < L; k++) {
    Fit(sc.h[k], paths * H);
    Fit(sc.c[k], paths * H);
    for (size_t path = 0; path < paths; path++) {
      std::copy_n(sc.h_next[k].data() + (C - 1) * H, H, sc.h[k].data() + path * H);
      std::copy_n(sc.c_next[k].data() + (C - 1) * H, H, sc.c[k].data() + path * H);
    }
  }
  Fit(sc.raw, paths * Pp);
  Fit(sc.draws, paths);
  const bool counts = Counts(m);
  // The negative binomial's ν per path, from the scratch like every array here (no allocation per series).
  if (counts) {
    Fit(sc.scales, paths);
    std::fill_n(sc.scales.data(), paths, nu);
  }
  for (size_t t = 0; t < P; t++) {
    for (size_t path = 0; path < paths; path++) {
      StepInputs(m, p, sc.history.data() + path * W, sc.dynamic.data(), v.cats, origin, age, nu, C + t, sc.inputs.data() + path * F);
    }
    const float* top = RunLayers(m, p, sc.inputs.data(), 1, paths, &sc.h, &sc.c, sc.h_next, sc.c_next, sc.tape_gates, sc.top);
    for (size_t k = 0; k < L; k++) std::swap(sc.h[k], sc.h_next[k]), std::swap(sc.c[k], sc.c_next[k]);
    nn::DenseForward({paths, H, Pp, nn::WeightLayout::kInByOut}, top, p + l.projection, p + l.projection_bias, sc.raw.data());
    nn::SampleLikelihood(m.network.likelihood, sc.raw.data(), paths, sc.draws.data(), seed, stream, t * paths * 64,
                         counts ? sc.scales.data() : nullptr);
    for (size_t path = 0; path < paths; path++) {
      const float value = counts ? sc.draws[path] : sc.draws[path] * nu;
      sc.history[path * W + m.MaxLag() + C + t] = value;
      out[path * P + t] = value;
    }
  }
}

}  // namespace deepar
}  // namespace boundless
