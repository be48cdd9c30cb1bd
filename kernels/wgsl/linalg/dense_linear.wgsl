// out[r * models + m] = bias[m] + sum_c x[r * cols + c] * w[m * cols + c]
// One invocation per output element. Workgroups are laid out in 2D because
// one dimension is capped at 65535 workgroups; the host passes the width.
// Sized for WebGPU's compatibility mode: 4 storage buffers, 64 invocations.

struct Dims {
  rows: u32,
  cols: u32,
  models: u32,
  has_bias: u32,
  groups_x: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> dims: Dims;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let index = (group.y * dims.groups_x + group.x) * 64u + lane;
  if (index >= dims.rows * dims.models) {
    return;
  }
  let r = index / dims.models;
  let m = index % dims.models;
  let x_base = r * dims.cols;
  let w_base = m * dims.cols;
  // Four partial sums, like the cpu baseline, to shorten the dependency chain.
  var s0 = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  var s3 = 0.0;
  var c = 0u;
  loop {
    if (c + 4u > dims.cols) { break; }
    s0 = s0 + x[x_base + c] * w[w_base + c];
    s1 = s1 + x[x_base + c + 1u] * w[w_base + c + 1u];
    s2 = s2 + x[x_base + c + 2u] * w[w_base + c + 2u];
    s3 = s3 + x[x_base + c + 3u] * w[w_base + c + 3u];
    c = c + 4u;
  }
  loop {
    if (c >= dims.cols) { break; }
    s0 = s0 + x[x_base + c] * w[w_base + c];
    c = c + 1u;
  }
  var total = (s0 + s1) + (s2 + s3);
  if (dims.has_bias != 0u) {
    total = total + bias[m];
  }
  out[index] = total;
}
