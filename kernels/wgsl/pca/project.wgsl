// PCA projection: out[r × components + m] = Σ_j (x_j − mean_j) · v[m][j], in
// f32, about the mean (accurate however far the data are from the origin; a
// sparse row is walked beside the columns, so its indices must strictly
// increase), with its error estimate (common/rows.wgsl): a projection float32
// cannot give to 1e-4 of max(|value|, 1) is flagged (FLAG_INEXACT) for cpu.
//! include common/rows

struct Params {
  head: RowHeader,
  components: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(4) var<uniform> params: Params;

// Model words: rows[components × cols] (v transposed), then mean[cols].
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let r = row_of(group, lane);
  if (r >= params.head.rows) {
    return;
  }
  let cols = params.head.cols;
  if (!within_loop_limit(r, plus(row_length(r), times(params.components, plus(cols, 1u)))) || !check_row(r, true)) {
    return;
  }
  let mean = params.components * cols;
  for (var m = 0u; m < params.components; m = m + 1u) {
    let base = m * cols;
    var t = tracked(0.0);
    var k = row_begin(r);
    let e = row_end(r);
    for (var j = 0u; j < cols; j = j + 1u) {
      var x = 0.0;
      if (params.head.sparse == 0u) {
        x = dense_value(r, j);
      } else {
        x = walk_value(j, &k, e);
      }
      let d = x - model_f32(mean + j);
      t = add_rounding(add_product(t, d, model_f32(base + j)), d * model_f32(base + j));  // and the rounding of x − mean
    }
    if (!accurate(r, t.sum, error_of(t))) {
      return;
    }
    out[r * params.components + m] = bitcast<u32>(t.sum);
  }
}
