// Factorization-machine predictions from a finalized model: ŷ = b + Σ_j w_j x_j
// + ½ Σ_f ((Σ_j v_jf x_j)² − Σ_j (v_jf x_j)²) in f32; score σ(ŷ) for binary
// classifiers (label: score ≥ threshold), ŷ for regressors. With the running
// error bound of every sum: a ŷ float32 cannot give to 1e-4 of max(|ŷ|, 1)
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

// ŷ and its error bound.
fn y_hat(r: u32) -> Tracked {
  let n = row_length(r);
  var linear = tracked(0.0);
  for (var k = 0u; k < n; k = k + 1u) {
    linear = add_product(linear, model_f32(feature_at(r, k)), value_at(r, k));
  }
  var pair = tracked(0.0);
  for (var f = 0u; f < params.factors; f = f + 1u) {
    var sum = tracked(0.0);
    var squares = tracked(0.0);
    for (var k = 0u; k < n; k = k + 1u) {
      let vx = term(feature_at(r, k), value_at(r, k), f);
      sum = add_product(sum, vx, 1.0);
      squares = add_product(squares, vx, vx);
      sum.error = sum.error + UNIT * abs(vx);             // the rounding of v · x
      squares.error = squares.error + 2.0 * UNIT * vx * vx;
    }
    let term_f = sum.sum * sum.sum - squares.sum;
    let term_error = 2.0 * abs(sum.sum) * sum.error + sum.error * sum.error + squares.error + UNIT * (sum.sum * sum.sum + abs(squares.sum));
    pair = Tracked(pair.sum + term_f, pair.error + term_error + UNIT * abs(pair.sum + term_f));
  }
  let z = params.bias + linear.sum + 0.5 * pair.sum;
  return Tracked(z, linear.error + 0.5 * pair.error + UNIT * (abs(z) + abs(linear.sum) + abs(0.5 * pair.sum)));
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
  let t = y_hat(r);
  if (!accurate(r, t.sum, t.error)) {
    return;
  }
  let z = t.sum;
  var score = z;
  if (params.logistic != 0u) {
    score = sigmoid(z);
  }
  out[r] = bitcast<u32>(score);
  if (params.want_label != 0u) {
    out[rows + r] = bitcast<u32>(select(0.0, 1.0, score >= params.threshold));
  }
}
