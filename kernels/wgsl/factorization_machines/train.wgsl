// Factorization machines trained on the device (lib/backends/webgpu-fm.ts): one
// batch is four passes over a state that stays in one buffer from batch to batch.
//   catch_up      one invocation per touched feature: the weight decay of the steps
//                 it sat out (lazy regularisation), as the cpu kernel's CatchUp.
//   forward       one per (row, model): ŷ, the loss, dL/dŷ·w and the factor sums
//                 Σ_i v_if x_i of the model's factors, into the work buffer.
//   bias_metrics  one per model: the metric sums (row order, float-float pairs) and
//                 the bias's gradient and optimizer step.
//   update        one per (touched feature, linear weight or factor column): the
//                 gradient summed over the feature's entries in row order, then
//                 the optimizer step and this step's decay.
// The math is native/algorithms/factorization_machines/factorization_machines.cc's:
// where cpu sums in float64 (ŷ, the factor sums, gradients, metrics) this sums
// float-float pairs of exact products; the losses and slopes are f32 of them (the
// tolerance is webgpu-fm.ts's fmStateTolerance).
//
// batch (read): labels[rows], weights[rows] (when weighted), then dense values
//   [rows × dim] or CSR (indptr[rows + 1], indices[nnz], value bits[nnz]), then for
//   sparse batches the feature index: features[touched], starts[touched + 1],
//   rows[nnz], value bits[nnz] (each feature's entries in row order).
// state (read_write), f32 words, P = models + dim·models + dim·width parameters:
//   parameters [bias[models], linear[dim × models], factors[dim × width]], the
//   first moments (P, when blocks ≥ 2), the second (P, when blocks = 3),
//   last_step[dim] (i32 bits), two metric slots of (loss, weight) pairs [models]
//   and confusion pairs [models × 4] each, the models' table [models × 8]
//   (factors, offset as u32; bias, linear, factors lr; bias, linear, factors wd)
//   and each factor column's model [width] (u32).
// work (read_write): the factor sums as pairs [rows × width × 2], the weighted slopes dL/dŷ·w
//   as pairs [rows × models × 2], loss[rows × models], ŷ[rows × models].
//! include common/float_float

struct Params {
  rows: u32,
  dim: u32,
  models: u32,
  width: u32,
  sparse: u32,
  nnz: u32,
  touched: u32,
  weighted: u32,
  logistic: u32,
  optimizer: u32,  // 0 sgd, 1 adagrad, 2 adam
  decoupled: u32,  // 1: decay 1 − lr·wd (states of revision 1); 0: L2 through the step scale
  blocks: u32,     // parameter blocks held: 1 (none), 2 (first moments), 3 (both)
  slot: u32,       // metric slot 0 or 1; 0xffffffff: no metrics
  step: u32,       // the state's step before this batch
  groups_x: u32,
  zero: u32,
  eps: f32,
  beta1: f32,
  beta2: f32,
  clip: f32,       // ≤ 0: none
  rescale: f32,    // the gradient's scale: rescale_grad, or 1 / Σ row weights
  c1: f32,         // Adam's 1 − β₁ᵗ and 1 − β₂ᵗ at this step t = step + 1
  c2: f32,
  catch_c2: f32,   // 1 − β₂^step: the catch-up's second-moment correction
  labels_at: u32,
  values_at: u32,
  index_at: u32,
  training: u32,
}

@group(0) @binding(0) var<storage, read> batch: array<u32>;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;
@group(0) @binding(2) var<storage, read_write> work: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const NONE = 0xffffffffu;

// The state's words are u32 (last_step's integers would be denormal floats, which a GPU may flush):
// its floats are read and written through these.
fn load_f(at: u32) -> f32 {
  return bitcast<f32>(state[at]);
}
fn store_f(at: u32, value: f32) {
  state[at] = bitcast<u32>(value);
}

fn invocation(group: vec3<u32>, lane: u32) -> u32 {
  return (group.y * params.groups_x + group.x) * 64u + lane;
}

// ---- layout ----
fn parameter_count() -> u32 {
  return params.models + params.dim * (params.models + params.width);
}
fn linear_at(i: u32, m: u32) -> u32 {
  return params.models + i * params.models + m;
}
fn factor_at(i: u32, c: u32) -> u32 {
  return params.models + params.dim * params.models + i * params.width + c;
}
fn last_step_at(i: u32) -> u32 {
  return parameter_count() * params.blocks + i;
}
fn metrics_at(slot: u32) -> u32 {
  return parameter_count() * params.blocks + params.dim + slot * 12u * params.models;
}
fn table_at() -> u32 {
  return metrics_at(2u);
}
fn model_factors(m: u32) -> u32 {
  return state[table_at() + m * 8u];
}
fn model_offset(m: u32) -> u32 {
  return state[table_at() + m * 8u + 1u];
}
// kind: 0 bias, 1 linear, 2 factors.
fn model_lr(m: u32, kind: u32) -> f32 {
  return load_f(table_at() + m * 8u + 2u + kind);
}
fn model_wd(m: u32, kind: u32) -> f32 {
  return load_f(table_at() + m * 8u + 5u + kind);
}
fn column_model(c: u32) -> u32 {
  return state[table_at() + params.models * 8u + c];
}

// ---- batch ----
fn label(r: u32) -> f32 {
  return bitcast<f32>(batch[params.labels_at + r]);
}
fn row_weight(r: u32) -> f32 {
  if (params.weighted == 0u) {
    return 1.0;
  }
  return bitcast<f32>(batch[params.labels_at + params.rows + r]);
}
fn dense_value(r: u32, i: u32) -> f32 {
  return bitcast<f32>(batch[params.values_at + r * params.dim + i]);
}
fn row_begin(r: u32) -> u32 {
  return batch[params.values_at + r];
}
fn entry_index(e: u32) -> u32 {
  return batch[params.values_at + params.rows + 1u + e];
}
fn entry_value(e: u32) -> f32 {
  return bitcast<f32>(batch[params.values_at + params.rows + 1u + params.nnz + e]);
}
// The k-th feature a batch touches (every feature of a dense batch).
fn touched_feature(k: u32) -> u32 {
  if (params.sparse == 0u) {
    return k;
  }
  return batch[params.index_at + k];
}
fn feature_start(k: u32) -> u32 {
  return batch[params.index_at + params.touched + k];
}
fn feature_row(e: u32) -> u32 {
  return batch[params.index_at + 2u * params.touched + 1u + e];
}
fn feature_value(e: u32) -> f32 {
  return bitcast<f32>(batch[params.index_at + 2u * params.touched + 1u + params.nnz + e]);
}

// ---- optimizer ----
fn unit_scale() -> bool {
  return params.decoupled == 1u || params.optimizer == 0u || params.blocks == 1u || (params.optimizer == 2u && params.blocks < 3u);
}

// The optimizer's step scale of parameter p (1/(√Σg² + ε) adagrad, 1/(√v̂ + ε) adam; 1 before any
// gradient). A moment below f32's normal range counts as none, as on cpu: GPUs that flush subnormals
// (NVIDIA's Vulkan) read it as 0, llvmpipe does not, and the scale jumps from 1 to about 1/ε there.
fn step_scale(p: u32, c2: f32) -> f32 {
  if (unit_scale()) {
    return 1.0;
  }
  var moment = load_f(parameter_count() + p);
  var second = moment;
  if (params.optimizer == 2u) {
    moment = load_f(2u * parameter_count() + p);
    second = moment / c2;
  }
  return select(1.0, 1.0 / (sqrt(second) + params.eps), moment >= 1.17549435e-38);
}

// One step's decay factor: 1 − lr·wd (decoupled) or 1 − lr·wd·scale clamped to [0, 1].
fn decay_factor(lr: f32, wd: f32, scale: f32) -> f32 {
  if (params.decoupled == 1u) {
    return 1.0 - lr * wd;
  }
  return clamp(1.0 - lr * wd * scale, 0.0, 1.0);
}

// factor^missed (missed ≥ 1), through log1p so that a factor within f32's rounding of 1 keeps its digits.
fn repeated(factor: f32, missed: i32) -> f32 {
  let a = 1.0 - factor;
  if (a == 0.0) {
    return 1.0;
  }
  if (factor <= 0.0) {
    let magnitude = pow(abs(factor), f32(missed));
    return select(magnitude, -magnitude, factor < 0.0 && (missed & 1) == 1);
  }
  return exp(f32(missed) * log1p_f(-a));
}

// One optimizer step of parameter p with gradient g, then this step's decay.
fn apply(p: u32, gradient: f32, lr: f32, wd: f32) {
  var g = gradient;
  if (params.clip > 0.0) {
    g = clamp(g, -params.clip, params.clip);
  }
  let count = parameter_count();
  var value = load_f(p);
  if (params.optimizer == 0u) {
    value = value - lr * g;
  } else if (params.optimizer == 1u) {
    let m1 = load_f(count + p) + g * g;
    store_f(count + p, m1);
    value = value - lr * g / (sqrt(m1) + params.eps);
  } else {
    let m1 = params.beta1 * load_f(count + p) + (1.0 - params.beta1) * g;
    let m2 = params.beta2 * load_f(2u * count + p) + (1.0 - params.beta2) * g * g;
    store_f(count + p, m1);
    store_f(2u * count + p, m2);
    value = value - lr * (m1 / params.c1) / (sqrt(m2 / params.c2) + params.eps);
  }
  if (params.decoupled == 1u) {
    store_f(p, value * (1.0 - lr * wd));
  } else if (wd > 0.0) {
    store_f(p, value * decay_factor(lr, wd, step_scale(p, params.c2)));
  } else {
    store_f(p, value);
  }
}

// ---- passes ----
@compute @workgroup_size(64)
fn catch_up(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let k = invocation(group, lane);
  let features = select(params.dim, params.touched, params.sparse == 1u);
  if (k >= features) {
    return;
  }
  let i = touched_feature(k);
  let missed = i32(params.step) - bitcast<i32>(state[last_step_at(i)]);
  if (missed <= 0) {
    return;
  }
  for (var m = 0u; m < params.models; m = m + 1u) {
    let linear_wd = model_wd(m, 1u);
    if (linear_wd > 0.0) {
      let p = linear_at(i, m);
      store_f(p, load_f(p) * repeated(decay_factor(model_lr(m, 1u), linear_wd, step_scale(p, params.catch_c2)), missed));
    }
    let factors_wd = model_wd(m, 2u);
    if (factors_wd > 0.0) {
      let offset = model_offset(m);
      for (var f = 0u; f < model_factors(m); f = f + 1u) {
        let p = factor_at(i, offset + f);
        store_f(p, load_f(p) * repeated(decay_factor(model_lr(m, 2u), factors_wd, step_scale(p, params.catch_c2)), missed));
      }
    }
  }
  state[last_step_at(i)] = params.step;
}

// Row r's n-th stored entry (dense rows: every column, zeros included; they add nothing).
fn row_length(r: u32) -> u32 {
  if (params.sparse == 0u) {
    return params.dim;
  }
  return row_begin(r + 1u) - row_begin(r);
}
fn row_feature(r: u32, n: u32) -> u32 {
  if (params.sparse == 0u) {
    return n;
  }
  return entry_index(row_begin(r) + n);
}
fn row_value(r: u32, n: u32) -> f32 {
  if (params.sparse == 0u) {
    return dense_value(r, n);
  }
  return entry_value(row_begin(r) + n);
}

// The factor sums and the slopes are pairs (hi, lo).
fn sums_at(r: u32, c: u32) -> u32 {
  return 2u * (r * params.width + c);
}
fn slope_at(r: u32, m: u32) -> u32 {
  return 2u * params.rows * params.width + 2u * (r * params.models + m);
}
// which: 0 the loss, 1 ŷ.
fn per_row_model(which: u32, r: u32, m: u32) -> u32 {
  return 2u * params.rows * (params.width + params.models) + which * params.rows * params.models + r * params.models + m;
}


@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let id = invocation(group, lane);
  if (id >= params.rows * params.models) {
    return;
  }
  let r = id / params.models;
  let m = id % params.models;
  let n = row_length(r);
  // Float-float sums of exact products, as cpu's float64 ones: a feature in the thousands makes
  // (Σ vx)² − Σ (vx)² cancel, and f32 sums lose the pairwise term.
  var linear = vec2<f32>(0.0, 0.0);
  for (var k = 0u; k < n; k = k + 1u) {
    linear = add_pair(linear, two_product(load_f(linear_at(row_feature(r, k), m)), row_value(r, k)));
  }
  var pair = vec2<f32>(0.0, 0.0);
  let offset = model_offset(m);
  for (var f = 0u; f < model_factors(m); f = f + 1u) {
    var sum = vec2<f32>(0.0, 0.0);
    var squares = vec2<f32>(0.0, 0.0);
    for (var k = 0u; k < n; k = k + 1u) {
      let vx = two_product(load_f(factor_at(row_feature(r, k), offset + f)), row_value(r, k));
      sum = add_pair(sum, vx);
      squares = add_pair(squares, mul_pair(vx, vx));
    }
    let at = sums_at(r, offset + f);
    work[at] = sum.x;
    work[at + 1u] = sum.y;
    pair = add_pair(pair, add_pair(mul_pair(sum, sum), -squares));
  }
  let score = add_pair(add_pair(vec2<f32>(load_f(m), 0.0), linear), 0.5 * pair);
  let z = score.x + score.y;
  let y = label(r);
  var loss: f32;
  var slope: vec2<f32>;
  if (params.logistic == 1u) {
    // log(1 + e^z) − y·z, stable for large |z|.
    loss = select(log1p_f(exp(z)), z + log1p_f(exp(-z)), z > 0.0) - y * z;
    // σ(z) − y as a pair: σ(z) = 1 − σ(−z) keeps its digits near 1, so a row saturated the wrong
    // way has slope ±(1 − tiny) and two such rows of a feature leave their tiny difference, as
    // cpu's float64 leaves it (f32 rounded both to ±1 and the gradient to 0; adaptive L2 decay
    // divides by the gradient's size, so the backends then zeroed different weights).
    var sigma = vec2<f32>(1.0 / (1.0 + exp_pair(-score)), 0.0);
    if (z >= 0.0) {
      sigma = add_term(vec2<f32>(1.0, 0.0), -1.0 / (1.0 + exp_pair(score)));
    }
    slope = add_term(sigma, -y);
  } else {
    // The residual from the pair: ŷ near a label far from 0 keeps its digits.
    let residual = add_term(score, -y);
    let d = residual.x + residual.y;
    loss = d * d;
    slope = 2.0 * residual;
  }
  let weighted_slope = scale(slope, row_weight(r));
  let at = slope_at(r, m);
  work[at] = weighted_slope.x;
  work[at + 1u] = weighted_slope.y;
  work[per_row_model(0u, r, m)] = loss;
  work[per_row_model(1u, r, m)] = z;
}

// e^p of a pair: e^hi · (1 + lo), lo being below hi's rounding.
fn exp_pair(p: vec2<f32>) -> f32 {
  return exp(p.x) * (1.0 + p.y);
}

// p · a as a pair.
fn scale(p: vec2<f32>, a: f32) -> vec2<f32> {
  return add_term(two_product(p.x, a), p.y * a);
}

fn slope_of(r: u32, m: u32) -> vec2<f32> {
  let at = slope_at(r, m);
  return vec2<f32>(work[at], work[at + 1u]);
}

fn add_to_pair(at: u32, value: vec2<f32>) {
  let sum = add_pair(vec2<f32>(load_f(at), load_f(at + 1u)), value);
  store_f(at, sum.x);
  store_f(at + 1u, sum.y);
}

@compute @workgroup_size(64)
fn bias_metrics(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let m = invocation(group, lane);
  if (m >= params.models) {
    return;
  }
  var gradient = vec2<f32>(0.0, 0.0);
  var loss = vec2<f32>(0.0, 0.0);
  var weight = vec2<f32>(0.0, 0.0);
  var confusion = array<vec2<f32>, 4>(vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0));
  for (var r = 0u; r < params.rows; r = r + 1u) {
    gradient = add_pair(gradient, slope_of(r, m));
    if (params.slot != NONE) {
      let w = row_weight(r);
      loss = add_pair(loss, two_product(w, work[per_row_model(0u, r, m)]));
      weight = add_term(weight, w);
      if (params.logistic == 1u) {
        let predicted = work[per_row_model(1u, r, m)] >= 0.0;
        let actual = label(r) == 1.0;
        // tp, fp, tn, fn
        let cell = select(select(2u, 3u, actual), select(1u, 0u, actual), predicted);
        confusion[cell] = add_term(confusion[cell], w);
      }
    }
  }
  if (params.slot != NONE) {
    let base = metrics_at(params.slot);
    add_to_pair(base + 2u * m, loss);
    add_to_pair(base + 2u * params.models + 2u * m, weight);
    for (var c = 0u; c < 4u; c = c + 1u) {
      add_to_pair(base + 4u * params.models + 8u * m + 2u * c, confusion[c]);
    }
  }
  if (params.training == 1u) {
    apply(m, (gradient.x + gradient.y) * params.rescale, model_lr(m, 0u), model_wd(m, 0u));
  }
}

@compute @workgroup_size(64)
fn update(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let id = invocation(group, lane);
  let per_feature = params.models + params.width;
  let features = select(params.dim, params.touched, params.sparse == 1u);
  if (id >= features * per_feature) {
    return;
  }
  let k = id / per_feature;
  let j = id % per_feature;
  let i = touched_feature(k);
  let linear = j < params.models;
  var m = j;
  var c = 0u;  // the factor column, when not linear
  // v_ic before this step: every invocation reads and writes only its own parameter.
  var v = 0.0;
  if (!linear) {
    c = j - params.models;
    m = column_model(c);
    v = load_f(factor_at(i, c));
  }
  var gradient = vec2<f32>(0.0, 0.0);
  var begin = 0u;
  var end = params.rows;
  if (params.sparse == 1u) {
    begin = feature_start(k);
    end = feature_start(k + 1u);
  }
  for (var e = begin; e < end; e = e + 1u) {
    var r = e;
    var x: f32;
    if (params.sparse == 1u) {
      r = feature_row(e);
      x = feature_value(e);
    } else {
      x = dense_value(e, i);
      if (x == 0.0) {
        continue;
      }
    }
    let gx = scale(slope_of(r, m), x);
    if (linear) {
      gradient = add_pair(gradient, gx);
    } else {
      // Σ_{j≠i} v_jc x_j: the row's pair less this feature's exact product.
      let at = sums_at(r, c);
      let others = add_pair(vec2<f32>(work[at], work[at + 1u]), -two_product(v, x));
      gradient = add_pair(gradient, scale(gx, others.x + others.y));
    }
  }
  let g = (gradient.x + gradient.y) * params.rescale;
  if (linear) {
    apply(linear_at(i, m), g, model_lr(m, 1u), model_wd(m, 1u));
  } else {
    apply(factor_at(i, c), g, model_lr(m, 2u), model_wd(m, 2u));
  }
  if (j == 0u) {
    state[last_step_at(i)] = params.step + 1u;
  }
}
