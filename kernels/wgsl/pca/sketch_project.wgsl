// PCA's randomized sketch on the device, first pass: each row of the batch
// projected onto the sketch's ℓ random-sign columns, and its squared norm,
// about the origin o:
//   t[r][c] = Σ_j (x_rj − o_j) Ω[j][c]   (c < ℓ),   t[r][ℓ] = Σ_j (x_rj − o_j)²,
// as float-float pairs (the differences exact, the products by ±1 exact, the
// squares to about 44 bits, the sums compensated). pca/sketch_accumulate.wgsl then adds Y += Σ w (x − o) tᵀ.
// One invocation per (row, column); the loop runs over the features.

//! include common/float_float
//! include pca/weighted_rows

@group(0) @binding(2) var<storage, read> omega: array<f32>;   // cols × ell, ±1
@group(0) @binding(3) var<storage, read_write> t: array<f32>; // rows × (ell + 1) pairs
@group(0) @binding(4) var<uniform> params: Params;

// ℓ, the sketch's columns (the parameter block's `size`).
fn ell() -> u32 { return params.size; }

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let index = (group.y * params.groups_x + group.x) * 64u + lane;
  let width = ell() + 1u;
  if (index >= params.rows * width) {
    return;
  }
  let r = index / width;
  let c = index % width;
  var s = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < params.cols; j = j + 1u) {
    let x = centred_pair(r, j);
    // Ω is ±1: its products are the difference or its negation, exactly.
    s = add_pair(s, select(x * omega[j * ell() + min(c, ell() - 1u)], mul_pair(x, x), c == ell()));
  }
  t[2u * index] = s.x;
  t[2u * index + 1u] = s.y;
}
