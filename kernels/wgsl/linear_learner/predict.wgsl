// Linear learner predictions from a finalized model (scaler folded in):
// scores s_c = bias_c + Σ_j x_j · w[j][c] in f32 — for dense rows taken about
// an origin o as base_c + Σ_j (x_j − o_j) · w[j][c], base_c = bias_c + o·w_c
// worked out in float64 by the host, so data far from the origin keep their
// digits — with its error estimate (a score float32 cannot give to 1e-4 of
// max(|s|, 1) is flagged for cpu), then by loss: logistic
// σ(s) with label s ≥ threshold; hinge s with the same label; softmax the
// class probabilities (max subtracted first) with label the argmax (ties: the
// lower class); regressors s, label s.
//! include common/rows

struct Params {
  head: RowHeader,
  classes: u32,
  loss: u32,
  threshold: f32,
  want_label: u32,
  about_origin: u32,
  threshold64_lo: u32,  // the threshold as float64 (CUDA's); unused here
  threshold64_hi: u32,
  pad0: u32,
}

@group(0) @binding(4) var<uniform> params: Params;

const LOSS_LOGISTIC = 0u;
const LOSS_HINGE = 1u;
const LOSS_SOFTMAX = 2u;

// Model words: weights[cols × classes] (feature-major), then base[classes] (about_origin: bias + o·w
// rounded to float32, its rounding in the bound; else the bias), then with about_origin o[cols].
fn raw_score(r: u32, c: u32) -> Tracked {
  let classes = params.classes;
  let cols = params.head.cols;
  var t = tracked(model_f32(cols * classes + c));  // its own float32 rounding counted
  if (params.head.sparse == 0u) {
    let origin = cols * classes + classes;
    for (var j = 0u; j < cols; j = j + 1u) {
      var d = dense_value(r, j);
      if (params.about_origin != 0u) {
        d = d - model_f32(origin + j);
        t = add_rounding(t, d * model_f32(j * classes + c));  // the rounding of x − o
      }
      t = add_product(t, d, model_f32(j * classes + c));
    }
  } else {
    for (var k = row_begin(r); k < row_end(r); k = k + 1u) {
      t = add_product(t, entry_value(k), model_f32(entry_index(k) * classes + c));
    }
  }
  return t;
}

// Output words: score[rows × (classes for softmax, else 1)], then label[rows] (f32 bits).
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let r = row_of(group, lane);
  let rows = params.head.rows;
  if (r >= rows) {
    return;
  }
  let n = row_length(r);
  if (!within_loop_limit(r, plus(n, plus(times(params.classes, plus(n, 1u)), times(params.classes, 2u)))) || !check_row(r, false)) {
    return;
  }
  var label = 0.0;
  if (params.loss == LOSS_SOFTMAX) {
    let classes = params.classes;
    var best = 0u;
    var best_score = 0.0;
    for (var c = 0u; c < classes; c = c + 1u) {
      let t = raw_score(r, c);
      if (!accurate(r, t.sum, error_of(t))) {
        return;
      }
      let s = t.sum;
      out[r * classes + c] = bitcast<u32>(s);
      if (c == 0u || s > best_score) {
        best = c;
        best_score = s;
      }
    }
    var total = 0.0;
    for (var c = 0u; c < classes; c = c + 1u) {
      total = total + exp(bitcast<f32>(out[r * classes + c]) - best_score);
    }
    for (var c = 0u; c < classes; c = c + 1u) {
      out[r * classes + c] = bitcast<u32>(exp(bitcast<f32>(out[r * classes + c]) - best_score) / total);
    }
    label = f32(best);
    if (params.want_label != 0u) {
      out[rows * classes + r] = bitcast<u32>(label);
    }
    return;
  }
  let t = raw_score(r, 0u);
  let error = error_of(t);
  if (!accurate(r, t.sum, error)) {
    return;
  }
  let s = t.sum;
  // A label the score's error could flip (cpu compares a float64 score with a float64 threshold) is cpu's.
  let labelled = params.loss == LOSS_LOGISTIC || params.loss == LOSS_HINGE;
  if (labelled && params.want_label != 0u && abs(s - params.threshold) <= error + UNIT * abs(params.threshold)) {
    atomicMin(&flags[FLAG_INEXACT], r);
    return;
  }
  if (params.loss == LOSS_LOGISTIC) {
    out[r] = bitcast<u32>(sigmoid(s));
  } else {
    out[r] = bitcast<u32>(s);
  }
  if (params.loss == LOSS_LOGISTIC || params.loss == LOSS_HINGE) {
    label = select(0.0, 1.0, s >= params.threshold);
  } else {
    label = s;
  }
  if (params.want_label != 0u) {
    out[rows + r] = bitcast<u32>(label);
  }
}
