// k-means assignment: each row's nearest of `count` centres (ties: the lower
// index) and its squared distance, and with want_all every centre's Euclidean
// distance. Distances are Σ (x_j − c_j)² over all columns, in f32: no
// cancellation however far the data are from the origin (a sparse row is
// walked beside the columns, so its indices must strictly increase), and a sum
// of squares is within cols · 6e-8 of itself; one past float32's range is
// flagged (FLAG_INEXACT) rather than returned as infinity.
//! include common/rows

struct Params {
  head: RowHeader,
  count: u32,
  want_all: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(4) var<uniform> params: Params;

// Output words: nearest[rows] (u32), distance2[rows] (f32 bits), then all[rows × count] (f32 bits).
fn distance2_to(r: u32, c: u32) -> f32 {
  let cols = params.head.cols;
  let base = c * cols;
  var sum = 0.0;
  if (params.head.sparse == 0u) {
    for (var j = 0u; j < cols; j = j + 1u) {
      let d = dense_value(r, j) - model_f32(base + j);
      sum = sum + d * d;
    }
    return sum;
  }
  var k = row_begin(r);
  let e = row_end(r);
  for (var j = 0u; j < cols; j = j + 1u) {
    let d = walk_value(j, &k, e) - model_f32(base + j);
    sum = sum + d * d;
  }
  return sum;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let r = row_of(group, lane);
  let rows = params.head.rows;
  if (r >= rows) {
    return;
  }
  let planned = plus(row_length(r), times(params.count, plus(params.head.cols, 2u)));
  if (!within_loop_limit(r, planned) || !check_row(r, true)) {
    return;
  }
  var best = 0u;
  var best_distance = 0.0;
  for (var c = 0u; c < params.count; c = c + 1u) {
    let d = distance2_to(r, c);
    if (!accurate(r, d, 0.0)) {
      return;
    }
    if (c == 0u || d < best_distance) {
      best = c;
      best_distance = d;
    }
    if (params.want_all != 0u) {
      out[2u * rows + r * params.count + c] = bitcast<u32>(sqrt(d));
    }
  }
  out[r] = best;
  out[rows + r] = bitcast<u32>(best_distance);
}
