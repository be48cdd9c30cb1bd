#include "nn/lstm.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "nn/dense_layer.h"
#include "nn/fast_exp.h"

namespace boundless {
namespace nn {
namespace {

// Through ExpNonPositive (no libm call; relative error ~2e-7): σ(v) = 1/(1 + e^−v) for v ≥ 0,
// e^v/(1 + e^v) below; tanh(v) = sign(v)·(1 − e^−2|v|)/(1 + e^−2|v|).
float Sigmoid(float v) {
  const float e = ExpNonPositive(-std::fabs(v)), s = 1.0f / (1.0f + e);
  return v >= 0 ? s : e * s;
}

float Tanh(float v) {
  const float e = ExpNonPositive(-2.0f * std::fabs(v)), t = (1.0f - e) / (1.0f + e);
  return std::copysign(t, v);
}

}  // namespace

void LstmForward(const LstmShape& s, const LstmWeights& w, const float* x, const float* h0, const float* c0,
                 const LstmZoneout& zoneout, const LstmTape& tape) {
  if ((zoneout.h || zoneout.c) && !tape.y) throw std::invalid_argument("LstmForward: zoneout needs tape.y, the outputs");
  const size_t B = s.rows, H = s.hidden, G = 4 * H;
  std::vector<float> recurrent(B * G), zeros(B * H, 0.0f);
  for (size_t t = 0; t < s.steps; t++) {
    const float* h_prev = t ? tape.h + (t - 1) * B * H : (h0 ? h0 : zeros.data());
    const float* c_prev = t ? tape.c + (t - 1) * B * H : (c0 ? c0 : zeros.data());
    float* z = tape.gates + t * B * G;
    DenseForward({B, s.inputs, G, WeightLayout::kInByOut}, x + t * B * s.inputs, w.input, w.bias, z);
    DenseForward({B, H, G, WeightLayout::kInByOut}, h_prev, w.recurrent, nullptr, recurrent.data());
    float* h = tape.h + t * B * H;
    float* c = tape.c + t * B * H;
    for (size_t r = 0; r < B; r++) {
      float* zr = z + r * G;
      const float* rr = recurrent.data() + r * G;
      for (size_t j = 0; j < H; j++) {
        const float i = Sigmoid(zr[j] + rr[j]), f = Sigmoid(zr[H + j] + rr[H + j]);
        const float g = Tanh(zr[2 * H + j] + rr[2 * H + j]), o = Sigmoid(zr[3 * H + j] + rr[3 * H + j]);
        zr[j] = i;
        zr[H + j] = f;
        zr[2 * H + j] = g;
        zr[3 * H + j] = o;
        const size_t k = r * H + j;
        const float cell = f * c_prev[k] + i * g, out = o * Tanh(cell);
        const size_t m = t * B * H + k;
        c[k] = zoneout.c && zoneout.c[m] != 0.0f ? c_prev[k] : cell;
        h[k] = zoneout.h && zoneout.h[m] != 0.0f ? h_prev[k] : out;
        if (tape.y) tape.y[m] = out;
      }
    }
  }
}

void LstmBackward(const LstmShape& s, const LstmWeights& w, const float* x, const float* h0, const float* c0,
                  const LstmZoneout& zoneout, const LstmTape& tape, const float* dh_out, const LstmGradients& g) {
  const size_t B = s.rows, H = s.hidden, G = 4 * H;
  std::vector<float> dh_next(B * H, 0.0f), dc_next(B * H, 0.0f), dz(B * G), dh_prev(B * H), zeros(B * H, 0.0f), dx_step;
  if (g.x) dx_step.resize(B * s.inputs);
  for (size_t t = s.steps; t-- > 0;) {
    const float* h_prev = t ? tape.h + (t - 1) * B * H : (h0 ? h0 : zeros.data());
    const float* c_prev = t ? tape.c + (t - 1) * B * H : (c0 ? c0 : zeros.data());
    const float* gates = tape.gates + t * B * G;
    for (size_t r = 0; r < B; r++) {
      for (size_t j = 0; j < H; j++) {
        const size_t k = r * H + j, m = t * B * H + k;
        const float* gr = gates + r * G;
        const float i = gr[j], f = gr[H + j], gg = gr[2 * H + j], o = gr[3 * H + j];
        float dc_carried = dc_next[k];
        // Zoneout: a kept state passes the gradient it got from the next step to the previous
        // step; the fresh output gets the loss's own gradient, and the next step's when not kept.
        const bool keep_h = zoneout.h && zoneout.h[m] != 0.0f, keep_c = zoneout.c && zoneout.c[m] != 0.0f;
        const float dh_new = dh_out[m] + (keep_h ? 0.0f : dh_next[k]);
        const float cell = f * c_prev[k] + i * gg, tc = Tanh(cell);
        float dc = dh_new * o * (1 - tc * tc) + (keep_c ? 0.0f : dc_carried);
        const float d_o = dh_new * tc;
        float* dzr = dz.data() + r * G;
        dzr[j] = dc * gg * i * (1 - i);
        dzr[H + j] = dc * c_prev[k] * f * (1 - f);
        dzr[2 * H + j] = dc * i * (1 - gg * gg);
        dzr[3 * H + j] = d_o * o * (1 - o);
        dc_next[k] = dc * f + (keep_c ? dc_carried : 0.0f);
        dh_prev[k] = keep_h ? dh_next[k] : 0.0f;
      }
    }
    DenseBackward({B, s.inputs, G, WeightLayout::kInByOut}, x + t * B * s.inputs, w.input, dz.data(),
                  g.x ? dx_step.data() : nullptr, g.input, g.bias);
    if (g.x) std::copy(dx_step.begin(), dx_step.end(), g.x + t * B * s.inputs);
    // ∂L/∂h_{t−1} through the recurrent product, plus what zoneout passed straight through.
    DenseBackward({B, H, G, WeightLayout::kInByOut}, h_prev, w.recurrent, dz.data(), dh_next.data(), g.recurrent, nullptr);
    for (size_t k = 0; k < B * H; k++) dh_next[k] += dh_prev[k];
  }
  if (g.h0) std::copy(dh_next.begin(), dh_next.end(), g.h0);
  if (g.c0) std::copy(dc_next.begin(), dc_next.end(), g.c0);
}

}  // namespace nn
}  // namespace boundless
