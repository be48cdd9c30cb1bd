// Linear learner evaluation (lib/backends/webgpu-linear-learner.ts): every
// model of a state (or one finalized model) scores a batch and the metric sums
// are added on the device, in row order, as the cpu kernel's Evaluate adds them
// (native/algorithms/linear_learner/linear_learner.cc AccumulateMetrics).
//   scores   one invocation per (row, output): s = bias + Σ_j x'_j · w[j][output],
//            x' = (x − shift)·scale (dense) or x·scale (sparse) rounded to f32 as
//            cpu rounds it, the products exact and the sum float-float (cpu: float64).
//   metrics  one invocation per model: the rows' loss, correct, confusion at the
//            threshold, score histogram, regression errors on the original label
//            scale, top-k, DCG and per-class counts, as float-float pairs.
//
// batch (read): the rows as linear_learner/batch.wgsl says.
// model (read): weights[dim × width] (feature-major), bias[width], then when
//   scaled shift[dim] and scale[dim], then when labelled the label transform
//   (shift, scale).
// sums (read_write): the metrics' float-float pairs at the offsets `at` gives.
// work (read_write): each (row, output)'s score as a pair.
//! include common/float_float
//! include linear_learner/batch
//! include linear_learner/metrics

struct Params {
  rows: u32,
  dim: u32,
  models: u32,
  classes: u32,
  sparse: u32,
  nnz: u32,
  weighted: u32,
  loss: u32,
  scaled: u32,
  labelled: u32,
  groups_x: u32,
  zero: u32,
  bins: u32,
  log_scale: u32,
  top_k: u32,
  use_bias: u32,
  margin: f32,
  quantile: f32,
  insensitivity: f32,
  huber_delta: f32,
  threshold_hi: f32,
  threshold_lo: f32,
  values_at: u32,
  pad0: u32,
  // Word offsets of the sums (NONE: not wanted): loss, weight, correct, confusion; squared, absolute,
  // top-k, dcg; class true positives, predicted, actual, histogram.
  at: array<vec4<u32>, 3>,
}

@group(0) @binding(0) var<storage, read> batch: array<u32>;
@group(0) @binding(1) var<storage, read> model: array<f32>;
@group(0) @binding(2) var<storage, read_write> sums: array<f32>;
@group(0) @binding(3) var<storage, read_write> work: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn invocation(group: vec3<u32>, lane: u32) -> u32 {
  return (group.y * params.groups_x + group.x) * 64u + lane;
}

fn at(which: u32) -> u32 {
  return params.at[which / 4u][which % 4u];
}

fn width() -> u32 {
  return params.models * params.classes;
}

// ---- model ----
fn shift(j: u32) -> f32 {
  return model[params.dim * width() + width() + j];
}
fn scale(j: u32) -> f32 {
  return model[params.dim * width() + width() + params.dim + j];
}
fn label_transform(k: u32) -> f32 {
  let base = params.dim * width() + width() + select(0u, 2u * params.dim, params.scaled == 1u);
  return model[base + k];
}

// Feature j's value after the scaler, rounded to f32 as cpu's TransformValues rounds it.
fn scaled_value(j: u32, x: f32, dense: bool) -> f32 {
  if (params.scaled == 0u) {
    return x;
  }
  if (dense) {
    return opaque(x - shift(j)) * scale(j);
  }
  return x * scale(j);
}

@compute @workgroup_size(64)
fn scores(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let id = invocation(group, lane);
  let w = width();
  if (id >= params.rows * w) {
    return;
  }
  let r = id / w;
  let k = id % w;
  var s = vec2<f32>(0.0, 0.0);
  if (params.use_bias == 1u) {
    s = vec2<f32>(model[params.dim * w + k], 0.0);
  }
  if (params.sparse == 0u) {
    for (var j = 0u; j < params.dim; j = j + 1u) {
      s = add_pair(s, two_product(scaled_value(j, dense_value(r, j), true), model[j * w + k]));
    }
  } else {
    for (var e = row_begin(r); e < row_begin(r + 1u); e = e + 1u) {
      let j = entry_index(e);
      s = add_pair(s, two_product(scaled_value(j, entry_value(e), false), model[j * w + k]));
    }
  }
  work[2u * id] = s.x;
  work[2u * id + 1u] = s.y;
}

fn score(r: u32, k: u32) -> vec2<f32> {
  let i = 2u * (r * width() + k);
  return vec2<f32>(work[i], work[i + 1u]);
}

fn add_to(which: u32, index: u32, value: vec2<f32>) {
  let base = at(which);
  if (base == NONE) {
    return;
  }
  let i = base + 2u * index;
  let sum = add_pair(vec2<f32>(sums[i], sums[i + 1u]), value);
  sums[i] = sum.x;
  sums[i + 1u] = sum.y;
}

@compute @workgroup_size(64)
fn metrics(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let m = invocation(group, lane);
  if (m >= params.models) {
    return;
  }
  for (var r = 0u; r < params.rows; r = r + 1u) {
    let y = label(r);
    let w = row_weight(r);
    if (m == 0u) {
      add_to(SUM_WEIGHT, 0u, vec2<f32>(w, 0.0));
    }
    add_row_metrics(m, r, y, w);
  }
}
