// Factorization-machine predictions from a finalized model: ŷ = b + Σ_j w_j x_j
// + ½ Σ_f ((Σ_j v_jf x_j)² − Σ_j (v_jf x_j)²) in f32; score σ(ŷ) for binary
// classifiers (label: score ≥ threshold), ŷ for regressors. With the error
// estimate of every sum (common/rows.wgsl): a ŷ float32 cannot give to 1e-4 of max(|ŷ|, 1)
// (features far from the origin make the pairwise term cancel) is flagged for cpu.
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

// Row r's k-th visited entry: its feature and value (dense rows visit every column).
fn feature_at(r: u32, k: u32) -> u32 {
  return select(entry_index(row_begin(r) + k), k, params.head.sparse == 0u);
}

fn value_at(r: u32, k: u32) -> f32 {
  if (params.head.sparse == 0u) {
    return dense_value(r, k);
  }
  return entry_value(row_begin(r) + k);
}

// ŷ and its error estimate.
struct Estimate {
  value: f32,
  error: f32,
}

fn y_hat(r: u32) -> Estimate {
  let n = row_length(r);
  var linear = tracked(0.0);
  for (var k = 0u; k < n; k = k + 1u) {
    linear = add_product(linear, model_f32(feature_at(r, k)), value_at(r, k));
  }
  var pair = 0.0;
  var pair_error_squared = 0.0;  // the factors' errors taken as independent, like the roundings
  for (var f = 0u; f < params.factors; f = f + 1u) {
    var sum = tracked(0.0);
    var squares = tracked(0.0);
    for (var k = 0u; k < n; k = k + 1u) {
      let vx = term(feature_at(r, k), value_at(r, k), f);
      sum = add_rounding(add_product(sum, vx, 1.0), vx);  // and the rounding of v · x
      squares = add_rounding(add_product(squares, vx, vx), vx * vx);
    }
    // (S ± eS)² − (Q ± eQ): S² − Q cancels when one feature dominates the row.
    let e_sum = error_of(sum);
    let term_f = sum.sum * sum.sum - squares.sum;
    let term_error = 2.0 * abs(sum.sum) * e_sum + e_sum * e_sum + error_of(squares) + 4.0 * UNIT * (sum.sum * sum.sum + abs(squares.sum));
    pair = pair + term_f;
    pair_error_squared = pair_error_squared + term_error * term_error + (4.0 * UNIT * pair) * (4.0 * UNIT * pair);
  }
  let z = params.bias + linear.sum + 0.5 * pair;
  return Estimate(z, error_of(linear) + 0.5 * sqrt(pair_error_squared) + 4.0 * UNIT * (abs(z) + abs(linear.sum) + abs(0.5 * pair)));
}

// Output words: score[rows], then label[rows] (f32 bits).
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let r = row_of(group, lane);
  let rows = params.head.rows;
  if (r >= rows) {
    return;
  }
  let n = row_length(r);
  if (!within_loop_limit(r, plus(plus(n, n), times(params.factors, plus(n, 1u)))) || !check_row(r, false)) {
    return;
  }
  let estimate = y_hat(r);
  let error = estimate.error;
  if (!accurate(r, estimate.value, error)) {
    return;
  }
  let z = estimate.value;
  var score = z;
  var score_error = error;
  if (params.logistic != 0u) {
    score = sigmoid(z);
    score_error = 0.25 * error + 4.0 * UNIT;  // σ' ≤ 1/4, and σ's own roundings
  }
  // A label the score's error could flip is cpu's.
  if (params.want_label != 0u && abs(score - params.threshold) <= score_error) {
    atomicMin(&flags[FLAG_INEXACT], r);
    return;
  }
  out[r] = bitcast<u32>(score);
  if (params.want_label != 0u) {
    out[rows + r] = bitcast<u32>(select(0.0, 1.0, score >= params.threshold));
  }
}
