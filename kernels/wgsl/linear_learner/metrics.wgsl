// The linear learner's metric sums for one row and model, shared by evaluation
// (evaluate.wgsl) and training's progressive validation (train.wgsl), as the cpu
// kernel's AccumulateMetrics adds them (native/algorithms/linear_learner/
// linear_learner.cc): loss, accuracy, the confusion counts at the threshold, the
// score histogram, regression errors on the original label scale, top-k, DCG and
// per-class counts, each as a float-float pair.
//
// The including shader defines: `params` with loss, classes, margin, quantile,
// insensitivity, huber_delta, threshold_hi, threshold_lo, bins, log_scale, top_k
// and labelled; score(r, k) -> vec2<f32> (row r's score of output k, a pair);
// label_transform(k) (the label's shift and scale); at(which) (a sum's word
// offset, NONE when not wanted) and add_to(which, index, value).

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

// Sums by `which` (the order of `at`): loss, weight, correct, confusion, squared error, absolute error, top-k,
// DCG, class true positives, class predicted, class actual, histogram, and in training the squared loss
// differences from model 0 and Σ w².
const SUM_LOSS = 0u;
const SUM_WEIGHT = 1u;
const SUM_LOSS_DIFFERENCE = 12u;
const SUM_WEIGHT_SQ = 13u;

// a > b and a ≥ b for float-float values (renormalized: |lo| ≤ half an ulp of hi).
fn greater(a: vec2<f32>, b: vec2<f32>) -> bool {
  return a.x > b.x || (a.x == b.x && a.y > b.y);
}
fn at_least(a: vec2<f32>, b: vec2<f32>) -> bool {
  return !greater(b, a);
}

// w · v exactly, as a pair.
fn weighted(w: f32, v: f32) -> vec2<f32> {
  return two_product(w, v);
}

// The histogram bin of a score: uniform in s over ±16, or in sign(s)·log(1 + |s|) over ±14.
fn histogram_bin(s: f32) -> u32 {
  var unit: f32;
  if (params.log_scale == 1u) {
    let magnitude = abs(s);
    let l = log1p_f(magnitude);
    unit = (select(l, -l, s < 0.0) + LOG_HISTOGRAM_RANGE) / (2.0 * LOG_HISTOGRAM_RANGE);
  } else {
    unit = (s + HISTOGRAM_RANGE) / (2.0 * HISTOGRAM_RANGE);
  }
  if (!(unit > 0.0)) {
    return 0u;
  }
  return min(u32(unit * f32(params.bins)), params.bins - 1u);
}

// A binary classifier's loss at score z for label y (0 or 1).
fn binary_loss(z: f32, y: f32) -> f32 {
  if (params.loss == LOSS_LOGISTIC) {
    let e = exp(-abs(z));
    return max(z, 0.0) - z * y + log1p_f(e);
  }
  return max(params.margin - (2.0 * y - 1.0) * z, 0.0);
}

// Softmax's loss of model m on row r, whose true class is `true_class`.
fn softmax_loss(m: u32, r: u32, true_class: u32) -> f32 {
  let first = m * params.classes;
  var top = score(r, first);
  var best = 0u;
  for (var c = 1u; c < params.classes; c = c + 1u) {
    let s = score(r, first + c);
    if (greater(s, top)) {
      top = s;
      best = c;
    }
  }
  // Σ e^(s − top) is 1 (the top class) plus the rest: log1p of the rest keeps a confident row's small loss.
  var rest = 0.0;
  for (var c = 0u; c < params.classes; c = c + 1u) {
    if (c != best) {
      let s = score(r, first + c);
      rest = rest + exp((s.x - top.x) + (s.y - top.y));
    }
  }
  let labelled = score(r, first + true_class);
  return log1p_f(rest) + ((top.x - labelled.x) + (top.y - labelled.y));
}

// s / a as a pair (one Newton correction of f32's quotient).
fn divide(s: vec2<f32>, a: f32) -> vec2<f32> {
  let q = s.x / a;
  let p = two_product(q, a);
  let rest = opaque(opaque(s.x - p.x) - p.y) + s.y;
  return add_term(vec2<f32>(q, 0.0), rest / a);
}

// A regressor's residual on the original label scale, d = s/scale + shift − y, kept as a pair until it is small.
fn residual(m: u32, r: u32, y: f32) -> f32 {
  var original = score(r, m);
  if (params.labelled == 1u) {
    original = add_term(divide(original, label_transform(1u)), label_transform(0u));
  }
  let pair = add_term(original, -y);
  return pair.x + pair.y;
}

fn regression_loss(d: f32) -> f32 {
  let a = abs(d);
  if (params.loss == LOSS_SQUARED) {
    return d * d;
  } else if (params.loss == LOSS_ABSOLUTE) {
    return a;
  } else if (params.loss == LOSS_EPS_SQUARED) {
    let e = max(0.0, a - params.insensitivity);
    return e * e;
  } else if (params.loss == LOSS_EPS_ABSOLUTE) {
    return max(0.0, a - params.insensitivity);
  } else if (params.loss == LOSS_QUANTILE) {
    let u = -d;
    return select((params.quantile - 1.0) * u, params.quantile * u, u >= 0.0);
  } else if (a <= params.huber_delta) {
    return 0.5 * d * d;
  }
  return params.huber_delta * (a - 0.5 * params.huber_delta);
}

// The loss the metric sums take for model m on row r (label y): the regressors' on the original label scale.
fn metric_loss(m: u32, r: u32, y: f32) -> f32 {
  if (params.loss == LOSS_LOGISTIC || params.loss == LOSS_HINGE) {
    return binary_loss(score(r, m).x, y);
  } else if (params.loss == LOSS_SOFTMAX) {
    return softmax_loss(m, r, u32(y));
  }
  return regression_loss(residual(m, r, y));
}

fn binary_row(m: u32, r: u32, y: f32, w: f32) -> f32 {
  let s = score(r, m);
  let z = s.x;
  let loss = binary_loss(z, y);
  add_to(SUM_LOSS, m, weighted(w, loss));
  let positive_row = y == 1.0;
  if ((z >= 0.0) == positive_row) {
    add_to(2u, m, vec2<f32>(w, 0.0));
  }
  let positive = at_least(s, vec2<f32>(params.threshold_hi, params.threshold_lo));
  add_to(3u, 4u * m + select(select(2u, 1u, positive), select(3u, 0u, positive), positive_row), vec2<f32>(w, 0.0));
  if (at(11u) != NONE) {
    add_to(11u, (2u * m + select(0u, 1u, positive_row)) * params.bins + histogram_bin(z), vec2<f32>(w, 0.0));
  }
  return loss;
}

fn softmax_row(m: u32, r: u32, y: f32, w: f32) -> f32 {
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
  let loss = softmax_loss(m, r, true_class);
  add_to(SUM_LOSS, m, weighted(w, loss));
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
  return loss;
}

fn regression_row(m: u32, r: u32, y: f32, w: f32) -> f32 {
  let d = residual(m, r, y);
  let loss = regression_loss(d);
  add_to(SUM_LOSS, m, weighted(w, loss));
  add_to(4u, m, weighted(w, d * d));
  add_to(5u, m, weighted(w, abs(d)));
  return loss;
}

// Every sum of model m for row r (label y, weight w); returns the loss it added.
fn add_row_metrics(m: u32, r: u32, y: f32, w: f32) -> f32 {
  if (params.loss == LOSS_LOGISTIC || params.loss == LOSS_HINGE) {
    return binary_row(m, r, y, w);
  } else if (params.loss == LOSS_SOFTMAX) {
    return softmax_row(m, r, y, w);
  }
  return regression_row(m, r, y, w);
}
