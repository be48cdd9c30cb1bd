// Linear learner predictions from a finalized model (scaler folded in):
// scores s_c = bias_c + Σ_j x_j · w[j][c] in f32, then by loss: logistic
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
}

@group(0) @binding(4) var<uniform> params: Params;

const LOSS_LOGISTIC = 0u;
const LOSS_HINGE = 1u;
const LOSS_SOFTMAX = 2u;

// Model words: weights[cols × classes] (feature-major), then bias[classes].
fn raw_score(r: u32, c: u32) -> f32 {
  let classes = params.classes;
  var sum = model_f32(params.head.cols * classes + c);
  if (params.head.sparse == 0u) {
    for (var j = 0u; j < params.head.cols; j = j + 1u) {
      sum = sum + dense_value(r, j) * model_f32(j * classes + c);
    }
  } else {
    for (var k = row_begin(r); k < row_end(r); k = k + 1u) {
      sum = sum + entry_value(k) * model_f32(entry_index(k) * classes + c);
    }
  }
  return sum;
}

// Output words: score[rows × (classes for softmax, else 1)], then label[rows] (f32 bits).
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let r = row_of(group, lane);
  let rows = params.head.rows;
  if (r >= rows || !check_row(r, false)) {
    return;
  }
  var label = 0.0;
  if (params.loss == LOSS_SOFTMAX) {
    let classes = params.classes;
    var best = 0u;
    var best_score = 0.0;
    for (var c = 0u; c < classes; c = c + 1u) {
      let s = raw_score(r, c);
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
  let s = raw_score(r, 0u);
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
