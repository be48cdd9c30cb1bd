#include "algorithms/deepar/deepar_network.h"

#include <algorithm>
#include <cmath>

#include "nn/dense_layer.h"
#include "nn/lstm.h"
#include "nn/random_normal.h"
#include "runtime/reused.h"

namespace boundless {
namespace deepar {
namespace {

constexpr uint64_t kZoneoutStream = 0x20e0a7;

// Per-call arrays, kept from call to call (runtime/reused.h).
struct Scratch {
  std::vector<std::vector<float>> h, c, gates, y, out, zone_h, zone_c;  // per layer (y: outputs, with zoneout; out: + the skip)
  std::vector<float> raw, raw_gradient, dh, dh_below, weights, gradient;
};

template <class T>
void Fit(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

}  // namespace

NetworkLayout MakeNetworkLayout(const NetworkSettings& s) {
  NetworkLayout l;
  size_t at = 0, in = s.features;
  const size_t G = 4 * s.cells, P = nn::LikelihoodParameters(s.likelihood);
  for (size_t k = 0; k < s.layers; k++) {
    l.input.push_back(at);
    at += in * G;
    l.recurrent.push_back(at);
    at += s.cells * G;
    l.bias.push_back(at);
    at += G;
    in = s.cells;
  }
  l.projection = at;
  at += s.cells * P;
  l.projection_bias = at;
  at += P;
  l.parameters = at;
  return l;
}

double NetworkLoss(const NetworkSettings& s, const float* p, const Window& w, float* gradient, uint64_t step) {
  const NetworkLayout l = MakeNetworkLayout(s);
  const size_t T = w.steps, B = w.rows, H = s.cells, P = nn::LikelihoodParameters(s.likelihood), n = T * B;
  Reused<Scratch> scratch;
  Scratch& sc = *scratch;
  for (auto* v : {&sc.h, &sc.c, &sc.gates, &sc.y, &sc.out, &sc.zone_h, &sc.zone_c}) v->resize(s.layers);
  const bool zoneout = gradient && s.zoneout > 0;
  // Forward: layer by layer over the whole window.
  const float* below = w.inputs;
  size_t in = s.features;
  for (size_t k = 0; k < s.layers; k++) {
    Fit(sc.h[k], n * H);
    Fit(sc.c[k], n * H);
    Fit(sc.gates[k], n * 4 * H);
    nn::LstmZoneout masks;
    if (zoneout) {
      Fit(sc.zone_h[k], n * H);
      Fit(sc.zone_c[k], n * H);
      // Stream (step, layer): a resumed run draws what the uninterrupted one drew.
      for (size_t i = 0; i < n * H; i++) {
        sc.zone_h[k][i] = nn::CounterUniform(s.seed, kZoneoutStream ^ (step * 64 + k), 2 * i) < s.zoneout ? 1.0f : 0.0f;
        sc.zone_c[k][i] = nn::CounterUniform(s.seed, kZoneoutStream ^ (step * 64 + k), 2 * i + 1) < s.zoneout ? 1.0f : 0.0f;
      }
      masks = {sc.zone_h[k].data(), sc.zone_c[k].data()};
      Fit(sc.y[k], n * H);
    }
    float* outputs = zoneout ? sc.y[k].data() : sc.h[k].data();
    nn::LstmForward({T, B, in, H}, {p + l.input[k], p + l.recurrent[k], p + l.bias[k]}, below, nullptr, nullptr, masks,
                    {sc.h[k].data(), sc.c[k].data(), sc.gates[k].data(), zoneout ? outputs : nullptr});
    if (k > 0) {
      // A residual connection around every layer above the first (GluonTS's DeepAR: ResidualCell).
      Fit(sc.out[k], n * H);
      for (size_t i = 0; i < n * H; i++) sc.out[k][i] = outputs[i] + below[i];
      outputs = sc.out[k].data();
    }
    below = outputs;
    in = H;
  }
  Fit(sc.raw, n * P);
  nn::DenseForward({n, H, P, nn::WeightLayout::kInByOut}, below, p + l.projection, p + l.projection_bias, sc.raw.data());
  if (!gradient) return nn::NegativeLogLikelihood(s.likelihood, sc.raw.data(), w.targets, w.weights, n, nullptr, w.scales);
  // Backward: the loss is the mean over the weighted values.
  double total_weight = 0;
  for (size_t i = 0; i < n; i++) total_weight += w.weights[i];
  Fit(sc.raw_gradient, n * P);
  const double loss = nn::NegativeLogLikelihood(s.likelihood, sc.raw.data(), w.targets, w.weights, n, sc.raw_gradient.data(), w.scales);
  std::fill(gradient, gradient + l.parameters, 0.0f);
  if (w.input_gradient) std::fill(w.input_gradient, w.input_gradient + n * s.features, 0.0f);
  if (!(total_weight > 0)) return loss;
  const float scale = static_cast<float>(1.0 / total_weight);
  for (size_t i = 0; i < n * P; i++) sc.raw_gradient[i] *= scale;
  Fit(sc.dh, n * H);
  nn::DenseBackward({n, H, P, nn::WeightLayout::kInByOut}, below, p + l.projection, sc.raw_gradient.data(), sc.dh.data(),
                    gradient + l.projection, gradient + l.projection_bias);
  for (size_t k = s.layers; k-- > 0;) {
    const size_t layer_in = k ? H : s.features;
    // Layer k's input: layer k − 1's output (with its skip when it has one).
    const float* layer_x = k == 0 ? w.inputs : k > 1 ? sc.out[k - 1].data() : (zoneout ? sc.y[0].data() : sc.h[0].data());
    if (k) Fit(sc.dh_below, n * H);
    nn::LstmZoneout masks;
    if (zoneout) masks = {sc.zone_h[k].data(), sc.zone_c[k].data()};
    nn::LstmBackward({T, B, layer_in, H}, {p + l.input[k], p + l.recurrent[k], p + l.bias[k]}, layer_x, nullptr, nullptr, masks,
                     {sc.h[k].data(), sc.c[k].data(), sc.gates[k].data(), zoneout ? sc.y[k].data() : nullptr}, sc.dh.data(),
                     {gradient + l.input[k], gradient + l.recurrent[k], gradient + l.bias[k], k ? sc.dh_below.data() : w.input_gradient, nullptr, nullptr});
    if (k) {
      for (size_t i = 0; i < n * H; i++) sc.dh_below[i] += sc.dh[i];  // the skip
      std::swap(sc.dh, sc.dh_below);
    }
  }
  return loss;
}

double NetworkTrainStep(const NetworkSettings& s, float* parameters, float* moment1, float* moment2, double* steps, const Window& w) {
  const NetworkLayout l = MakeNetworkLayout(s);
  Reused<std::vector<float>> gradient;
  Fit(*gradient, l.parameters);
  const double loss = NetworkLoss(s, parameters, w, gradient->data(), static_cast<uint64_t>(*steps));
  *steps += 1;
  nn::OptimizerStep(s.optimizer, parameters, gradient->data(), moment1, moment2, l.parameters, *steps);
  return loss;
}

}  // namespace deepar
}  // namespace boundless
