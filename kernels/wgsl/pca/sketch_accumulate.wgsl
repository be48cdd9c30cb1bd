// PCA's randomized sketch on the device, second pass: with t from
// pca/sketch_project.wgsl, a batch adds into float-float accumulators
//   y[j][c]  += Σ_r w_r (x_rj − o_j) t[r][c],
//   sum[j]   += Σ_r w_r (x_rj − o_j)   (the host adds o_j·Σw when it reads them),
//   count    += Σ_r w_r,
//   squares  += Σ_r w_r t[r][ℓ]   (Σ w‖x − o‖²).
// As for the regular mode's moments (pca/accumulate.wgsl), the accumulators hold
// only what was added since the host last read them; every term is
// float-float, the sums over rows compensated. One invocation per output, one
// loop over the rows for every kind of output (llvmpipe counts a SIMD group's
// loops together).
//
// acc: (hi, lo) pairs — y (cols × ell), then sum[cols], then count, then squares.

//! include common/float_float
//! include pca/weighted_rows

@group(0) @binding(2) var<storage, read> t: array<f32>;        // rows × (ell + 1) pairs
@group(0) @binding(3) var<storage, read_write> acc: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// ℓ, the sketch's columns (the parameter block's `size`).
fn ell() -> u32 { return params.size; }

fn projected(r: u32, c: u32) -> vec2<f32> {
  let at = 2u * (r * (ell() + 1u) + c);
  return vec2<f32>(t[at], t[at + 1u]);
}

// The term row r adds to output o, as a pair.
fn term(o: u32, r: u32) -> vec2<f32> {
  let sketch = params.cols * ell();
  let w = vec2<f32>(weight(r), 0.0);
  if (o < sketch) {
    return mul_pair(mul_pair(centred_pair(r, o / ell()), projected(r, o % ell())), w);
  }
  if (o < sketch + params.cols) {
    return mul_pair(centred_pair(r, o - sketch), w);
  }
  if (o == sketch + params.cols) {
    return w;
  }
  return mul_pair(projected(r, ell()), w);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let o = (group.y * params.groups_x + group.x) * 64u + lane;
  if (o >= params.cols * ell() + params.cols + 2u) {
    return;
  }
  var s = vec2<f32>(0.0, 0.0);
  for (var r = 0u; r < params.rows; r = r + 1u) {
    s = add_pair(s, term(o, r));
  }
  let total = add_pair(vec2<f32>(acc[2u * o], acc[2u * o + 1u]), s);
  acc[2u * o] = total.x;
  acc[2u * o + 1u] = total.y;
}
