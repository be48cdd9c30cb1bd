// PCA's randomized sketch on the device, first pass: each row of the batch
// projected onto the sketch's ℓ random-sign columns, and its squared norm,
// about the origin o:
//   t[r][c] = Σ_j (x_rj − o_j) Ω[j][c]   (c < ℓ),   t[r][ℓ] = Σ_j (x_rj − o_j)²,
// as float-float pairs (the differences exact, the products by ±1 exact, the
// squares to about 44 bits, the sums compensated). pca/sketch_accumulate.wgsl then adds Y += Σ w (x − o) tᵀ.
// One invocation per (row, column); the loop runs over the features.

struct Params {
  rows: u32,
  cols: u32,
  weighted: u32,
  groups_x: u32,
  first: u32,
  total: u32,
  ell: u32,
  zero: u32,  // 0 (common/float_float.wgsl says why it comes from the host)
}

@group(0) @binding(2) var<storage, read> omega: array<f32>;   // cols × ell, ±1
@group(0) @binding(3) var<storage, read_write> t: array<f32>; // rows × (ell + 1) pairs
@group(0) @binding(4) var<uniform> params: Params;

//! include common/float_float
//! include pca/weighted_rows

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let index = (group.y * params.groups_x + group.x) * 64u + lane;
  let width = params.ell + 1u;
  if (index >= params.rows * width) {
    return;
  }
  let r = index / width;
  let c = index % width;
  var s = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < params.cols; j = j + 1u) {
    let x = centred_pair(r, j);
    // Ω is ±1: its products are the difference or its negation, exactly.
    s = add_pair(s, select(x * omega[j * params.ell + min(c, params.ell - 1u)], mul_pair(x, x), c == params.ell));
  }
  t[2u * index] = s.x;
  t[2u * index + 1u] = s.y;
}
