// The linear learner trained on the device (lib/backends/webgpu-linear-learner-update.ts):
// a batch is cut into optimizer steps of step_rows rows, in row order, and each
// step is up to five passes over a state that stays in one buffer from batch to
// batch. The math is native/algorithms/linear_learner/linear_learner.cc's Step:
//   catch_up   sparse steps, one invocation per (touched feature, output): the
//              regularization the weight missed while its feature was absent, and
//              its average the iterates of those steps, in closed form (shrink.wgsl).
//   forward    one per (row, output): the iterate's score and the output's (the
//              average's for averaging models), float-float sums of exact products.
//   gradients  one per model: the rows in order, the progressive metric sums
//              (recency-weighted, metrics.wgsl) and each row's loss gradient.
//   weights    one per (touched feature or, dense, every feature; output): the
//              gradient summed over the step's rows, the optimizer's step, the
//              proximal step, the average.
//   bias       one per output, the same for the bias.
// Where cpu sums in float64 (scores, sparse gradients, metric sums) this sums
// float-float pairs; cpu's float32 steps are float32 here too. Per-step constants
// (each model's rate, proximal constants and positive weight) come from the host,
// which computes them in float64 as cpu does.
//
// batch (read): the rows as linear_learner/batch.wgsl says; then for sparse batches the step index (native/algorithms/linear_learner/linear_learner_step_index.h): step starts
//   [steps + 1], features[T], starts[T + 1], (entry, row in step)[nnz]; then the step table:
//   per step and model MODEL_WORDS f32 (lr, decay, threshold, t, φ(t), g, positive weight,
//   bias lr, bias decay).
// state (read_write, u32 words; floats through load_f/store_f): weights [dim × W], then
//   at their offsets the average, first and second moments [dim × W], bias, bias average,
//   bias moments [W], last_step [dim] (i32), the scaler's shift and scale [dim], the label
//   transform [2], class weights [classes], averaged [models] and the metric sums (pairs).
// work (read_write): the step's iterate scores and output scores as pairs [S × W × 2 each],
//   then the gradients [S × W].
//! include common/float_float
//! include linear_learner/batch
//! include linear_learner/metrics
//! include linear_learner/shrink

struct Params {
  dim: u32,
  models: u32,
  classes: u32,
  sparse: u32,
  nnz: u32,
  weighted: u32,
  loss: u32,
  scaled: u32,
  labelled: u32,
  zero: u32,
  bins: u32,
  log_scale: u32,
  top_k: u32,
  use_bias: u32,
  optimizer: u32,  // StepKind: 0 sgd, 1 momentum, 2 adam, 3 rmsprop, 4 adagrad
  averaging: u32,  // the state keeps an average
  margin: f32,
  quantile: f32,
  insensitivity: f32,
  huber_delta: f32,
  threshold_hi: f32,
  threshold_lo: f32,
  beta1: f32,
  beta2: f32,
  momentum: f32,
  epsilon: f32,
  values_at: u32,
  index_at: u32,
  steps: u32,      // steps in the index (sparse)
  touched: u32,    // T: slots in the index
  class_weighted: u32,
  work_scores: u32, // S × W: where the output scores and the gradients start in work (×2, ×4)
  average_at: u32,
  m1_at: u32,
  m2_at: u32,
  bias_at: u32,
  bias_average_at: u32,
  bias_m1_at: u32,
  bias_m2_at: u32,
  last_step_at: u32,
  shift_at: u32,
  scale_at: u32,
  label_at: u32,
  class_weight_at: u32,
  averaged_at: u32,
  sums_at: u32,
  rows: u32,       // the batch's rows
  pad0: u32,
  // Word offsets of the sums within the sums (NONE: not wanted), in metrics.wgsl's order.
  at: array<vec4<u32>, 4>,
}

// One optimizer step's constants.
struct Step {
  row_begin: u32,
  rows: u32,
  touched_begin: u32,
  touched: u32,
  t: u32,            // the step's number (1-based)
  table_at: u32,     // this step's model table in the batch buffer
  start: i32,        // the step after which iterates are averaged (−1: not yet)
  catch_inverse: f32, // 1 / (t − 1 − start) where t − 1 > start, else 0
  average_inverse: f32, // 1 / (t − start), rounded to f32 as cpu rounds it
  c1: f32,           // Adam's corrections 1 − βᵗ for the weights (f32, as cpu) and the bias
  c2: f32,
  bias_c1: f32,
  bias_c2: f32,
  recency_hi: f32,   // the progressive sums' row weight: rows seen before the step + 1, as a pair
  recency_lo: f32,
  groups_catch_up: u32,
  groups_forward: u32,
  groups_gradients: u32,
  groups_weights: u32,
  groups_bias: u32,
}

@group(0) @binding(0) var<storage, read> batch: array<u32>;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;
@group(0) @binding(2) var<storage, read_write> work: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<uniform> step: Step;

const MODEL_WORDS = 9u;
const STEP_SGD = 0u;
const STEP_MOMENTUM = 1u;
const STEP_ADAM = 2u;
const STEP_RMSPROP = 3u;

fn load_f(at: u32) -> f32 {
  return bitcast<f32>(state[at]);
}
fn store_f(at: u32, value: f32) {
  state[at] = bitcast<u32>(value);
}

fn invocation(group: vec3<u32>, lane: u32, groups_x: u32) -> u32 {
  return (group.y * groups_x + group.x) * 64u + lane;
}

fn width() -> u32 {
  return params.models * params.classes;
}

fn at(which: u32) -> u32 {
  return params.at[which / 4u][which % 4u];
}

fn add_to(which: u32, index: u32, value: vec2<f32>) {
  let base = at(which);
  if (base == NONE) {
    return;
  }
  let i = params.sums_at + base + 2u * index;
  let sum = add_pair(vec2<f32>(load_f(i), load_f(i + 1u)), value);
  store_f(i, sum.x);
  store_f(i + 1u, sum.y);
}

// ---- the step's model table ----
fn model_value(m: u32, which: u32) -> f32 {
  return bitcast<f32>(batch[step.table_at + m * MODEL_WORDS + which]);
}
fn proximal_of(m: u32) -> Proximal {
  return Proximal(model_value(m, 1u), model_value(m, 3u), model_value(m, 4u), model_value(m, 5u), model_value(m, 2u));
}

// ---- state ----
fn shift(j: u32) -> f32 {
  return load_f(params.shift_at + j);
}
fn scale(j: u32) -> f32 {
  return load_f(params.scale_at + j);
}
fn label_transform(k: u32) -> f32 {
  return load_f(params.label_at + k);
}
fn averaged(m: u32) -> bool {
  return params.averaging == 1u && load_f(params.averaged_at + m) != 0.0;
}

// Feature j's value after the scaler, rounded to f32 as cpu's TransformValues rounds it.
fn scaled_dense(j: u32, x: f32) -> f32 {
  if (params.scaled == 0u) {
    return x;
  }
  return opaque(x - shift(j)) * scale(j);
}
fn scaled_sparse(j: u32, x: f32) -> f32 {
  if (params.scaled == 0u) {
    return x;
  }
  return x * scale(j);
}

// ---- the step index ----
fn slot_feature(slot: u32) -> u32 {
  return batch[params.index_at + params.steps + 1u + slot];
}
fn slot_start(slot: u32) -> u32 {
  return batch[params.index_at + params.steps + 1u + params.touched + slot];
}
fn entries_at() -> u32 {
  return params.index_at + params.steps + 1u + 2u * params.touched + 1u;
}

// ---- work ----
fn iterate(r: u32, k: u32) -> vec2<f32> {
  let i = 2u * (r * width() + k);
  return vec2<f32>(work[i], work[i + 1u]);
}
// What metrics.wgsl scores: each model's output (its average when it averages).
fn score(r: u32, k: u32) -> vec2<f32> {
  let i = 2u * (params.work_scores + r * width() + k);
  return vec2<f32>(work[i], work[i + 1u]);
}
fn gradient_at(r: u32, k: u32) -> u32 {
  return 4u * params.work_scores + r * width() + k;
}

// The missed steps' regularization of the touched features' weights and averages (CatchUpTouched).
@compute @workgroup_size(64)
fn catch_up(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let id = invocation(group, lane, step.groups_catch_up);
  let w = width();
  if (id >= step.touched * w) {
    return;
  }
  let j = slot_feature(step.touched_begin + id / w);
  let k = id % w;
  let last = bitcast<i32>(state[params.last_step_at + j]);
  let missed = i32(step.t) - 1 - last;
  if (missed <= 0) {
    return;
  }
  let p = proximal_of(k / params.classes);
  let weight = load_f(j * w + k);
  let shrunk = shrink_with_sum(weight, p, f32(missed));
  if (params.averaging == 1u) {
    let a = params.average_at + j * w + k;
    store_f(a, average_caught_up(load_f(a), weight, shrunk, last, i32(step.t) - 1, step.start, p, step.catch_inverse));
  }
  store_f(j * w + k, shrunk.x);
}

// Row r's score of output k by the weights at `weights` and the bias at `bias` (NONE: none).
fn row_score(r: u32, k: u32, weights: u32, bias: u32) -> vec2<f32> {
  let w = width();
  var s = vec2<f32>(0.0, 0.0);
  if (params.use_bias == 1u) {
    s = vec2<f32>(load_f(bias + k), 0.0);
  }
  let row = step.row_begin + r;
  if (params.sparse == 0u) {
    for (var j = 0u; j < params.dim; j = j + 1u) {
      s = add_pair(s, two_product(scaled_dense(j, dense_value(row, j)), load_f(weights + j * w + k)));
    }
  } else {
    for (var e = row_begin(row); e < row_begin(row + 1u); e = e + 1u) {
      let j = entry_index(e);
      s = add_pair(s, two_product(scaled_sparse(j, entry_value(e)), load_f(weights + j * w + k)));
    }
  }
  return s;
}

@compute @workgroup_size(64)
fn forward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let id = invocation(group, lane, step.groups_forward);
  let w = width();
  if (id >= step.rows * w) {
    return;
  }
  let r = id / w;
  let k = id % w;
  let s = row_score(r, k, 0u, params.bias_at);
  work[2u * id] = s.x;
  work[2u * id + 1u] = s.y;
  var output = s;
  if (averaged(k / params.classes)) {
    output = row_score(r, k, params.average_at, params.bias_average_at);
  }
  work[2u * (params.work_scores + id)] = output.x;
  work[2u * (params.work_scores + id) + 1u] = output.y;
}

// Loss gradients dL/dscore of model m on row r (label y) at the iterate's scores, times `scale`, into work.
fn write_gradients(m: u32, r: u32, y: f32, scale_by: f32) {
  let first = m * params.classes;
  if (params.loss == LOSS_LOGISTIC) {
    let z = iterate(r, first).x;
    let e = exp(-abs(z));
    let numerator = select(e, 1.0, z >= 0.0);
    work[gradient_at(r, first)] = (numerator * (1.0 / (1.0 + e)) - y) * scale_by;
  } else if (params.loss == LOSS_HINGE) {
    let t = 2.0 * y - 1.0;
    let s = iterate(r, first);
    let slack = add_term(vec2<f32>(-t * s.x, -t * s.y), params.margin);
    work[gradient_at(r, first)] = select(0.0, -t, slack.x + slack.y > 0.0) * scale_by;
  } else if (params.loss == LOSS_SOFTMAX) {
    var top = iterate(r, first);
    for (var c = 1u; c < params.classes; c = c + 1u) {
      let s = iterate(r, first + c);
      if (greater(s, top)) {
        top = s;
      }
    }
    let label_class = u32(y);
    var total = 0.0;
    var others = 0.0;
    for (var c = 0u; c < params.classes; c = c + 1u) {
      let s = iterate(r, first + c);
      let e = exp((s.x - top.x) + (s.y - top.y));
      total = total + e;
      others = others + select(e, 0.0, c == label_class);
      work[gradient_at(r, first + c)] = e;
    }
    // The true class's p − 1 as −(the other classes' share): f32's 1 − p of a confident row would be a
    // multiple of 6e-8 where cpu's (float64) resolves it, and adaptive steps divide by its size.
    for (var c = 0u; c < params.classes; c = c + 1u) {
      let g = select(work[gradient_at(r, first + c)], -others, c == label_class) / total;
      work[gradient_at(r, first + c)] = g * scale_by;
    }
  } else {
    // The residual in training space: the label transformed as the scores are, and ε (in the
    // label's units) with it, as cpu's Step scales it; δ stays in the scaled label's units.
    var goal = y;
    var insensitivity = params.insensitivity;
    if (params.labelled == 1u) {
      goal = (y - label_transform(0u)) * label_transform(1u);
      insensitivity = params.insensitivity * label_transform(1u);
    }
    let pair = add_term(iterate(r, first), -goal);
    let d = pair.x + pair.y;
    let a = abs(d);
    let sign = select(select(0.0, -1.0, d < 0.0), 1.0, d > 0.0);
    var g = 0.0;
    if (params.loss == LOSS_SQUARED) {
      g = 2.0 * d;
    } else if (params.loss == LOSS_ABSOLUTE) {
      g = sign;
    } else if (params.loss == LOSS_EPS_SQUARED) {
      g = 2.0 * max(0.0, a - insensitivity) * sign;
    } else if (params.loss == LOSS_EPS_ABSOLUTE) {
      g = select(0.0, sign, a - insensitivity > 0.0);
    } else if (params.loss == LOSS_QUANTILE) {
      let u = -d;
      g = select(select(0.0, 1.0 - params.quantile, u < 0.0), -params.quantile, u > 0.0);
    } else if (a <= params.huber_delta) {
      g = d;
    } else {
      g = params.huber_delta * sign;
    }
    work[gradient_at(r, first)] = g * scale_by;
  }
}

@compute @workgroup_size(64)
fn gradients(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let m = invocation(group, lane, step.groups_gradients);
  if (m >= params.models) {
    return;
  }
  let recency = vec2<f32>(step.recency_hi, step.recency_lo);
  for (var r = 0u; r < step.rows; r = r + 1u) {
    let row = step.row_begin + r;
    let y = label(row);
    let weight = row_weight(row);
    // The row's weight in the progressive sums: rows seen before the step + 1, times its own.
    let metric = mul_pair(recency, vec2<f32>(weight, 0.0));
    let w = metric.x + metric.y;
    if (m == 0u) {
      add_to(SUM_WEIGHT, 0u, metric);
      add_to(SUM_WEIGHT_SQ, 0u, mul_pair(metric, metric));
    }
    let loss = add_row_metrics(m, r, y, w);
    if (at(SUM_LOSS_DIFFERENCE) != NONE) {
      let d = loss - metric_loss(0u, r, y);
      add_to(SUM_LOSS_DIFFERENCE, m, weighted(w, d * d));
    }
    var scale_by = weight / f32(step.rows);
    if (params.loss == LOSS_LOGISTIC || params.loss == LOSS_HINGE) {
      scale_by = scale_by * select(1.0, model_value(m, 6u), y == 1.0);
    } else if (params.loss == LOSS_SOFTMAX && params.class_weighted == 1u) {
      scale_by = scale_by * load_f(params.class_weight_at + u32(y));
    }
    write_gradients(m, r, y, scale_by);
  }
}

// One optimizer step and the step's proximal step of the parameter at `at` (moments at its offsets), gradient g,
// rate lr, decay and threshold; returns the new value (the caller stores it).
fn apply_step(at: u32, m1_at: u32, m2_at: u32, g: f32, lr: f32, decay: f32, threshold: f32, c1: f32, c2: f32) -> f32 {
  var update = g;
  if (params.optimizer == STEP_MOMENTUM) {
    update = params.momentum * load_f(m1_at) + g;
    store_f(m1_at, update);
  } else if (params.optimizer == STEP_ADAM) {
    let first = params.beta1 * load_f(m1_at) + (1.0 - params.beta1) * g;
    let second = params.beta2 * load_f(m2_at) + (1.0 - params.beta2) * g * g;
    store_f(m1_at, first);
    store_f(m2_at, second);
    update = (first / c1) / (sqrt(second / c2) + params.epsilon);
  } else if (params.optimizer == STEP_RMSPROP) {
    let second = params.beta2 * load_f(m2_at) + (1.0 - params.beta2) * g * g;
    store_f(m2_at, second);
    update = g / (sqrt(second) + params.epsilon);
  } else if (params.optimizer != STEP_SGD) {
    let second = load_f(m2_at) + g * g;
    store_f(m2_at, second);
    update = g / (sqrt(second) + params.epsilon);
  }
  let v = opaque(load_f(at) - lr * update) * decay;
  let magnitude = abs(v) - threshold;
  return select(0.0, select(magnitude, -magnitude, v < 0.0), magnitude > 0.0);
}

// a ← a + (w − a)/(t − start): the running mean of the iterates after step t; a = w before averaging begins.
fn average_step(a_at: u32, w: f32) {
  if (step.start < 0 || i32(step.t) <= step.start) {
    store_f(a_at, w);
    return;
  }
  let a = load_f(a_at);
  store_f(a_at, a + (w - a) * step.average_inverse);
}

// The gradient of weight (j, k) summed over the step's rows; a sparse slot's entries are its own.
fn weight_gradient(slot: u32, j: u32, k: u32) -> f32 {
  var g = vec2<f32>(0.0, 0.0);
  if (params.sparse == 1u) {
    let entries = entries_at();
    for (var i = slot_start(slot); i < slot_start(slot + 1u); i = i + 1u) {
      let e = batch[entries + 2u * i];
      let r = batch[entries + 2u * i + 1u];
      g = add_pair(g, two_product(scaled_sparse(j, entry_value(e)), work[gradient_at(r, k)]));
    }
  } else {
    for (var r = 0u; r < step.rows; r = r + 1u) {
      g = add_pair(g, two_product(scaled_dense(j, dense_value(step.row_begin + r, j)), work[gradient_at(r, k)]));
    }
  }
  return g.x + g.y;
}

@compute @workgroup_size(64)
fn weights(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let id = invocation(group, lane, step.groups_weights);
  let w = width();
  let features = select(params.dim, step.touched, params.sparse == 1u);
  if (id >= features * w) {
    return;
  }
  let slot = step.touched_begin + id / w;
  var j = id / w;
  if (params.sparse == 1u) {
    j = slot_feature(slot);
  }
  let k = id % w;
  let m = k / params.classes;
  let g = weight_gradient(slot, j, k);
  let at = j * w + k;
  let value = apply_step(at, params.m1_at + at, params.m2_at + at, g, model_value(m, 0u), model_value(m, 1u), model_value(m, 2u), step.c1, step.c2);
  store_f(at, value);
  if (params.averaging == 1u) {
    average_step(params.average_at + at, value);
  }
  if (k == 0u) {
    state[params.last_step_at + j] = step.t;
  }
}

@compute @workgroup_size(64)
fn bias(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let k = invocation(group, lane, step.groups_bias);
  if (k >= width()) {
    return;
  }
  let m = k / params.classes;
  var g = vec2<f32>(0.0, 0.0);
  for (var r = 0u; r < step.rows; r = r + 1u) {
    g = add_term(g, work[gradient_at(r, k)]);
  }
  let at = params.bias_at + k;
  let value = apply_step(at, params.bias_m1_at + k, params.bias_m2_at + k, g.x + g.y, model_value(m, 7u), 1.0, 0.0, step.bias_c1, step.bias_c2);
  store_f(at, value * model_value(m, 8u));
  if (params.averaging == 1u) {
    average_step(params.bias_average_at + k, value * model_value(m, 8u));
  }
}
