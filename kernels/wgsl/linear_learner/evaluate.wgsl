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
// batch (read): labels[rows], weights[rows] (when weighted), then dense values
//   [rows × dim] or CSR (indptr[rows + 1], indices[nnz], value bits[nnz]).
// model (read): weights[dim × width] (feature-major), bias[width], then when
//   scaled shift[dim] and scale[dim], then when labelled the label transform
//   (shift, scale).
// sums (read_write): the metrics' float-float pairs at the offsets `at` gives.
// work (read_write): each (row, output)'s score as a pair.
//! include common/float_float

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

const NONE = 0xffffffffu;
const LOSS_LOGISTIC = 0u;
const LOSS_HINGE = 1u;
const LOSS_SOFTMAX = 2u;
const LOSS_SQUARED = 3u;
const LOSS_ABSOLUTE = 4u;
const LOSS_EPS_SQUARED = 5u;
const LOSS_EPS_ABSOLUTE = 6u;
const LOSS_QUANTILE = 7u;
const HISTOGRAM_RANGE = 16.0;
const LOG_HISTOGRAM_RANGE = 14.0;

fn invocation(group: vec3<u32>, lane: u32) -> u32 {
  return (group.y * params.groups_x + group.x) * 64u + lane;
}

fn at(which: u32) -> u32 {
  return params.at[which / 4u][which % 4u];
}

fn width() -> u32 {
  return params.models * params.classes;
}

// ---- batch ----
fn label(r: u32) -> f32 {
  return bitcast<f32>(batch[r]);
}
fn row_weight(r: u32) -> f32 {
  if (params.weighted == 0u) {
    return 1.0;
  }
  return bitcast<f32>(batch[params.rows + r]);
}
fn row_begin(r: u32) -> u32 {
  return batch[params.values_at + r];
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
    let base = params.values_at + r * params.dim;
    for (var j = 0u; j < params.dim; j = j + 1u) {
      let x = bitcast<f32>(batch[base + j]);
      s = add_pair(s, two_product(scaled_value(j, x, true), model[j * w + k]));
    }
  } else {
    let indices = params.values_at + params.rows + 1u;
    for (var e = row_begin(r); e < row_begin(r + 1u); e = e + 1u) {
      let j = batch[indices + e];
      let x = bitcast<f32>(batch[indices + params.nnz + e]);
      s = add_pair(s, two_product(scaled_value(j, x, false), model[j * w + k]));
    }
  }
  work[2u * id] = s.x;
  work[2u * id + 1u] = s.y;
}

fn score(r: u32, k: u32) -> vec2<f32> {
  let i = 2u * (r * width() + k);
  return vec2<f32>(work[i], work[i + 1u]);
}

// a > b and a ≥ b for float-float values (renormalized: |lo| ≤ half an ulp of hi).
fn greater(a: vec2<f32>, b: vec2<f32>) -> bool {
  return a.x > b.x || (a.x == b.x && a.y > b.y);
}
fn at_least(a: vec2<f32>, b: vec2<f32>) -> bool {
  return !greater(b, a);
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

// w · v exactly, as a pair.
fn weighted(w: f32, v: f32) -> vec2<f32> {
  return two_product(w, v);
}

// log(1 + e) for e in [0, 1], to f32's precision (WGSL has no log1p).
fn log1p_unit(e: f32) -> f32 {
  let s = e / (2.0 + e);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0)))));
}

// The histogram bin of a score: uniform in s over ±16, or in sign(s)·log(1 + |s|) over ±14.
fn histogram_bin(s: f32) -> u32 {
  var unit: f32;
  if (params.log_scale == 1u) {
    let magnitude = abs(s);
    var l = log(1.0 + magnitude);
    if (magnitude < 1.0) {
      l = log1p_unit(magnitude);
    }
    unit = (select(l, -l, s < 0.0) + LOG_HISTOGRAM_RANGE) / (2.0 * LOG_HISTOGRAM_RANGE);
  } else {
    unit = (s + HISTOGRAM_RANGE) / (2.0 * HISTOGRAM_RANGE);
  }
  if (!(unit > 0.0)) {
    return 0u;
  }
  return min(u32(unit * f32(params.bins)), params.bins - 1u);
}

fn binary_row(m: u32, r: u32, y: f32, w: f32) {
  let s = score(r, m);
  let z = s.x;
  var loss: f32;
  if (params.loss == LOSS_LOGISTIC) {
    let e = exp(-abs(z));
    loss = max(z, 0.0) - z * y + log1p_unit(e);
  } else {
    let slack = params.margin - (2.0 * y - 1.0) * z;
    loss = max(slack, 0.0);
  }
  add_to(0u, m, weighted(w, loss));
  let positive_row = y == 1.0;
  if ((z >= 0.0) == positive_row) {
    add_to(2u, m, vec2<f32>(w, 0.0));
  }
  let positive = at_least(s, vec2<f32>(params.threshold_hi, params.threshold_lo));
  add_to(3u, 4u * m + select(select(2u, 1u, positive), select(3u, 0u, positive), positive_row), vec2<f32>(w, 0.0));
  if (at(11u) != NONE) {
    add_to(11u, (2u * m + select(0u, 1u, positive_row)) * params.bins + histogram_bin(z), vec2<f32>(w, 0.0));
  }
}

fn softmax_row(m: u32, r: u32, y: f32, w: f32) {
  let first = m * params.classes;
  let true_class = u32(y);
  var best = 0u;
  var top = score(r, first);
  var above = 0u;
  let labelled = score(r, first + true_class);
  for (var c = 0u; c < params.classes; c = c + 1u) {
    let s = score(r, first + c);
    if (greater(s, top)) {
      best = c;
      top = s;
    }
    if (greater(s, labelled)) {
      above = above + 1u;
    }
  }
  var total = 0.0;
  for (var c = 0u; c < params.classes; c = c + 1u) {
    let s = score(r, first + c);
    total = total + exp((s.x - top.x) + (s.y - top.y));
  }
  let loss = log(total) + ((top.x - labelled.x) + (top.y - labelled.y));
  add_to(0u, m, weighted(w, loss));
  if (best == true_class) {
    add_to(2u, m, vec2<f32>(w, 0.0));
    add_to(8u, first + true_class, vec2<f32>(w, 0.0));
  }
  if (above < params.top_k) {
    add_to(6u, m, vec2<f32>(w, 0.0));
  }
  add_to(7u, m, weighted(w, 1.0 / log2(2.0 + f32(above))));
  add_to(9u, first + best, vec2<f32>(w, 0.0));
  add_to(10u, first + true_class, vec2<f32>(w, 0.0));
}

// s / a as a pair (one Newton correction of f32's quotient).
fn divide(s: vec2<f32>, a: f32) -> vec2<f32> {
  let q = s.x / a;
  let p = two_product(q, a);
  let rest = opaque(opaque(s.x - p.x) - p.y) + s.y;
  return add_term(vec2<f32>(q, 0.0), rest / a);
}

fn regression_row(m: u32, r: u32, y: f32, w: f32) {
  // The residual on the original label scale, d = s/scale + shift − y, kept as a pair until it is small.
  var original = score(r, m);
  if (params.labelled == 1u) {
    original = add_term(divide(original, label_transform(1u)), label_transform(0u));
  }
  let pair = add_term(original, -y);
  let d = pair.x + pair.y;
  let a = abs(d);
  var loss: f32;
  if (params.loss == LOSS_SQUARED) {
    loss = d * d;
  } else if (params.loss == LOSS_ABSOLUTE) {
    loss = a;
  } else if (params.loss == LOSS_EPS_SQUARED) {
    let e = max(0.0, a - params.insensitivity);
    loss = e * e;
  } else if (params.loss == LOSS_EPS_ABSOLUTE) {
    loss = max(0.0, a - params.insensitivity);
  } else if (params.loss == LOSS_QUANTILE) {
    let u = -d;
    loss = select((params.quantile - 1.0) * u, params.quantile * u, u >= 0.0);
  } else if (a <= params.huber_delta) {
    loss = 0.5 * d * d;
  } else {
    loss = params.huber_delta * (a - 0.5 * params.huber_delta);
  }
  add_to(0u, m, weighted(w, loss));
  add_to(4u, m, weighted(w, d * d));
  add_to(5u, m, weighted(w, a));
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
      add_to(1u, 0u, vec2<f32>(w, 0.0));
    }
    if (params.loss == LOSS_LOGISTIC || params.loss == LOSS_HINGE) {
      binary_row(m, r, y, w);
    } else if (params.loss == LOSS_SOFTMAX) {
      softmax_row(m, r, y, w);
    } else {
      regression_row(m, r, y, w);
    }
  }
}
