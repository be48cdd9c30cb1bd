// Factorization-machine predictions from a finalized model: ŷ = b + Σ_j w_j x_j
// + ½ Σ_f ((Σ_j v_jf x_j)² − Σ_j (v_jf x_j)²) in f32; score σ(ŷ) for binary
// classifiers (label: score ≥ threshold), ŷ for regressors.
//! include common/rows

struct Params {
  head: RowHeader,
  factors: u32,
  logistic: u32,
  threshold: f32,
  bias: f32,
  want_label: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(4) var<uniform> params: Params;

// Model words: linear[cols], then factors[cols × k] (feature-major).
fn term(i: u32, x: f32, f: u32) -> f32 {
  return model_f32(params.head.cols + i * params.factors + f) * x;
}

fn y_hat(r: u32) -> f32 {
  var linear = 0.0;
  var pair = 0.0;
  let dense = params.head.sparse == 0u;
  if (dense) {
    for (var j = 0u; j < params.head.cols; j = j + 1u) {
      linear = linear + model_f32(j) * dense_value(r, j);
    }
  } else {
    for (var k = row_begin(r); k < row_end(r); k = k + 1u) {
      linear = linear + model_f32(entry_index(k)) * entry_value(k);
    }
  }
  for (var f = 0u; f < params.factors; f = f + 1u) {
    var sum = 0.0;
    var squares = 0.0;
    if (dense) {
      for (var j = 0u; j < params.head.cols; j = j + 1u) {
        let vx = term(j, dense_value(r, j), f);
        sum = sum + vx;
        squares = squares + vx * vx;
      }
    } else {
      for (var k = row_begin(r); k < row_end(r); k = k + 1u) {
        let vx = term(entry_index(k), entry_value(k), f);
        sum = sum + vx;
        squares = squares + vx * vx;
      }
    }
    pair = pair + sum * sum - squares;
  }
  return params.bias + linear + 0.5 * pair;
}

// Output words: score[rows], then label[rows] (f32 bits).
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let r = row_of(group, lane);
  let rows = params.head.rows;
  if (r >= rows || !check_row(r, false)) {
    return;
  }
  let z = y_hat(r);
  var score = z;
  if (params.logistic != 0u) {
    score = sigmoid(z);
  }
  out[r] = bitcast<u32>(score);
  if (params.want_label != 0u) {
    out[rows + r] = bitcast<u32>(select(0.0, 1.0, score >= params.threshold));
  }
}
