// PCA projection: out[r × components + m] = Σ_j (x_j − mean_j) · v[m][j], in
// f32, about the mean (accurate however far the data are from the origin; a
// sparse row is walked beside the columns, so its indices must strictly increase).
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
  if (r >= params.head.rows || !check_row(r, true)) {
    return;
  }
  let cols = params.head.cols;
  let mean = params.components * cols;
  for (var m = 0u; m < params.components; m = m + 1u) {
    let base = m * cols;
    var sum = 0.0;
    if (params.head.sparse == 0u) {
      for (var j = 0u; j < cols; j = j + 1u) {
        sum = sum + (dense_value(r, j) - model_f32(mean + j)) * model_f32(base + j);
      }
    } else {
      var k = row_begin(r);
      let e = row_end(r);
      for (var j = 0u; j < cols; j = j + 1u) {
        sum = sum + (walk_value(j, &k, e) - model_f32(mean + j)) * model_f32(base + j);
      }
    }
    out[r * params.components + m] = bitcast<u32>(sum);
  }
}
