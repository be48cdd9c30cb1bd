// An LSTM layer over a sequence (Hochreiter & Schmidhuber 1997, with the forget
// gate of Gers et al. 2000), forward and backward through time, for DeepAR's
// recurrent network: one native call runs every time step of a batch of windows.
//   z_t = x_t·W_x + h_{t−1}·W_h + b          gates [i, f, g, o], each H wide
//   c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g),  h_t = σ(o)⊙tanh(c_t)
// Zoneout (Krueger et al. 2017; DeepAR's dropout_rate) on the recurrent state, as MXNet's
// ZoneoutCell(zoneout_states) that SageMaker's DeepAR and GluonTS use: where a mask entry is 1
// the unit's state keeps its previous value, h_t = h_{t−1} (and c_t = c_{t−1}), so gradients
// flow through unchanged; the step's output y_t = σ(o)⊙tanh(c̃_t) (c̃_t the new cell value) is
// always the fresh one. At inference the masks are absent and y_t = h_t. Built from dense_layer's
// products (W in the feature-major in × out layout) and element-wise loops.
// Arrays are time-major: x [T × B × I], h and c [T × B × H].
#pragma once

#include <cstddef>

namespace boundless {
namespace nn {

struct LstmShape {
  size_t steps = 0;   // T
  size_t rows = 0;    // B, sequences in the batch
  size_t inputs = 0;  // I
  size_t hidden = 0;  // H
};

struct LstmWeights {
  const float* input = nullptr;      // W_x [I × 4H]
  const float* recurrent = nullptr;  // W_h [H × 4H]
  const float* bias = nullptr;       // b [4H]
};

// What the forward pass keeps for the backward pass (caller-owned).
struct LstmTape {
  float* h = nullptr;      // [T × B × H], the state carried to the next step
  float* c = nullptr;      // [T × B × H]
  float* gates = nullptr;  // [T × B × 4H], after their activations: σ(i), σ(f), tanh(g), σ(o)
  float* y = nullptr;      // [T × B × H], the outputs; needed with zoneout (null: the outputs are h)
};

// Zoneout masks, [T × B × H] each, 1 where the unit keeps its previous value; null: none.
struct LstmZoneout {
  const float* h = nullptr;
  const float* c = nullptr;
};

// Runs the T steps from h0, c0 ([B × H] each; null: zeros), filling the tape.
void LstmForward(const LstmShape& s, const LstmWeights& w, const float* x, const float* h0, const float* c0,
                 const LstmZoneout& zoneout, const LstmTape& tape);

struct LstmGradients {
  float* input = nullptr;      // dW_x += [I × 4H]
  float* recurrent = nullptr;  // dW_h += [H × 4H]
  float* bias = nullptr;       // db += [4H]
  float* x = nullptr;          // dx = [T × B × I] (overwritten; null: not needed)
  float* h0 = nullptr;         // dh0, dc0 = [B × H] (overwritten; null: not needed)
  float* c0 = nullptr;
};

// Given dh = ∂L/∂y_t for every step [T × B × H] (the loss's gradient with respect to the outputs),
// the gradients of the weights (added), the inputs and the initial state, back through time.
void LstmBackward(const LstmShape& s, const LstmWeights& w, const float* x, const float* h0, const float* c0,
                  const LstmZoneout& zoneout, const LstmTape& tape, const float* dh, const LstmGradients& g);

}  // namespace nn
}  // namespace boundless
