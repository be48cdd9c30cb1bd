// PCA's moments on the device (algorithm_mode regular): a batch of dense rows
// adds, into float-float accumulators (an f32 pair hi + lo, about 44 bits),
//   cross[i][j] += Σ_r w_r (x_ri − o_i)(x_rj − o_j)   for j ≤ i (lower triangle),
//   sum[j]      += Σ_r w_r (x_rj − o_j)   (the host adds o_j·Σw when it reads them),
//   count       += Σ_r w_r.
// The accumulators hold what batches added since the host last read them
// (lib/backends/webgpu-pca.ts): the host adds them into its float64 moments and
// clears them, so the device never holds the state's large values and the
// accumulators' 44 bits only need to cover what a few batches add.
// Every term is float-float (common/float_float.wgsl): the differences x − o
// exact, the products w·a·b to about 44 bits, and the sums over rows compensated,
// so a batch's sum carries about 2⁻⁴³·Σ|terms| however far rows lie from o.
//
// One invocation per output: t < T = d(d + 1)/2 is the lower-triangle entry
// (i, j) with t = i(i + 1)/2 + j; then d invocations for the sums; then one for
// the count. A dispatch reads at most 60,000 rows (a software adapter's loop
// limit); pca/weighted_rows.wgsl says how they arrive.
//
// acc: (hi, lo) pairs — cross entries 0..T, then sum 0..d, then count.

//! include common/float_float
//! include pca/weighted_rows

@group(0) @binding(2) var<storage, read_write> acc: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// T = d(d + 1)/2: the lower triangle's entries (the parameter block's `size`).
fn triangle() -> u32 { return params.size; }

fn load(t: u32) -> vec2<f32> {
  return vec2<f32>(acc[2u * t], acc[2u * t + 1u]);
}

fn store(t: u32, v: vec2<f32>) {
  acc[2u * t] = v.x;
  acc[2u * t + 1u] = v.y;
}

// The lower-triangle entry (i, j) of index t = i(i + 1)/2 + j: i from a float square root,
// corrected in integers (f32 rounds large t).
fn entry(t: u32) -> vec2<u32> {
  var i = u32((sqrt(8.0 * f32(t) + 1.0) - 1.0) * 0.5);
  loop {
    if (i == 0u || i * (i + 1u) / 2u <= t) {
      break;
    }
    i = i - 1u;
  }
  loop {
    if ((i + 1u) * (i + 2u) / 2u > t) {
      break;
    }
    i = i + 1u;
  }
  return vec2<u32>(i, t - i * (i + 1u) / 2u);
}

// The term row r adds to output t (a product, a weighted value or the weight), as an exact-enough pair.
fn term(t: u32, ij: vec2<u32>, r: u32) -> vec2<f32> {
  let w = vec2<f32>(weight(r), 0.0);
  if (t < triangle()) {
    return mul_pair(mul_pair(centred_pair(r, ij.x), centred_pair(r, ij.y)), w);
  }
  if (t < triangle() + params.cols) {
    return mul_pair(centred_pair(r, t - triangle()), w);
  }
  return w;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let t = (group.y * params.groups_x + group.x) * 64u + lane;
  if (t > triangle() + params.cols) {
    return;
  }
  var ij = vec2<u32>(0u, 0u);
  if (t < triangle()) {
    ij = entry(t);
  }
  // One loop for every kind of output: Mesa's llvmpipe counts the iterations of a SIMD group's
  // loops together, branches one after another, and stops them at 65,535 silently.
  var s = vec2<f32>(0.0, 0.0);
  for (var r = 0u; r < params.rows; r = r + 1u) {
    s = add_pair(s, term(t, ij, r));
  }
  store(t, add_pair(load(t), s));
}
