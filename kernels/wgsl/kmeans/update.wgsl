// Streaming k-means on the device (lib/backends/webgpu-kmeans.ts runs these
// passes in order, one command buffer per batch): the refined model's Lloyd
// steps, then the streaming centres' assignment, decay, move to the weighted
// mean and reseeding — native/algorithms/kmeans/kmeans.cc's Update for a batch
// that neither seeds centres nor tries a candidate reduction (those run on cpu).
// The state stays here between batches; the host reads it when it is settled.
//
// Distances are float-float Σ(x_j − c_j)² (exact differences and squares, a
// compensated sum; cpu: float64), weights, their decay and the cost sums are
// float-float pairs (common/float_float.wgsl), and a centre moves by a
// compensated sum of differences, rounded about once as cpu's is.
//
// Buffers (four bindings, the most WebGPU's compatibility mode allows):
//   batch: rows × dim values, then the rows' weights (when weighted);
//   state: centres K × dim | weights K pairs | model centres k × dim | model
//          weights k pairs | prior model centres k × dim | prior weights k pairs |
//          5 counter pairs (cost sum and weight, the model's cost sum and weight,
//          the model's rows) | u32 words: reseeds, changed, stop, 0;
//   work:  distances rows × max(K, k) pairs | nearest rows (u32) | d2 rows |
//          received max(K, k) pairs.
// Each pass indexes its invocations as (group.y · 65535 + group.x) · 64 + lane.

struct Params {
  rows: u32,
  dim: u32,
  centers: u32,   // K, the streaming centres
  model_k: u32,   // k, the model's
  centre_set: u32, // 0: this pass works on the streaming centres, 1: on the model's
  iteration: u32, // the model's Lloyd step (0, 1, 2); later steps stop once the assignment repeats
  weighted: u32,
  zero: u32,      // 0 (common/float_float.wgsl says why it comes from the host)
  keep: f32,      // the decay of old weight for this batch (1: none), as hi + keep_lo (float64's value)
  limit: u32,     // reseeds at most per batch
  keep_lo: f32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read> batch: array<f32>;
@group(0) @binding(1) var<storage, read_write> state: array<f32>;
@group(0) @binding(2) var<storage, read_write> work: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

//! include common/float_float

const COST_SUM = 0u;
const COST_WEIGHT = 1u;
const MODEL_COST_SUM = 2u;
const MODEL_COST_WEIGHT = 3u;
const MODEL_ROWS = 4u;
const FLAG_RESEEDS = 0u;
const FLAG_CHANGED = 1u;
const FLAG_STOP = 2u;

fn weights_at() -> u32 { return params.centers * params.dim; }
fn model_centres_at() -> u32 { return weights_at() + 2u * params.centers; }
fn model_weights_at() -> u32 { return model_centres_at() + params.model_k * params.dim; }
fn prior_centres_at() -> u32 { return model_weights_at() + 2u * params.model_k; }
fn prior_weights_at() -> u32 { return prior_centres_at() + params.model_k * params.dim; }
fn counters_at() -> u32 { return prior_weights_at() + 2u * params.model_k; }
fn flags_at() -> u32 { return counters_at() + 10u; }

fn widest() -> u32 { return max(params.centers, params.model_k); }
fn nearest_at() -> u32 { return 2u * params.rows * widest(); }
fn d2_at() -> u32 { return nearest_at() + params.rows; }
fn received_at() -> u32 { return d2_at() + params.rows; }

fn set_count() -> u32 { return select(params.centers, params.model_k, params.centre_set == 1u); }
fn set_centres() -> u32 { return select(0u, model_centres_at(), params.centre_set == 1u); }

fn index(group: vec3<u32>, lane: u32) -> u32 { return (group.y * 65535u + group.x) * 64u + lane; }

fn value(r: u32, j: u32) -> f32 { return batch[r * params.dim + j]; }

fn weight(r: u32) -> f32 {
  if (params.weighted == 0u) {
    return 1.0;
  }
  return batch[params.rows * params.dim + r];
}

fn state_pair(at: u32) -> vec2<f32> { return vec2<f32>(state[at], state[at + 1u]); }
fn set_state_pair(at: u32, v: vec2<f32>) {
  state[at] = v.x;
  state[at + 1u] = v.y;
}
fn flag(i: u32) -> u32 { return bitcast<u32>(state[flags_at() + i]); }
fn set_flag(i: u32, v: u32) { state[flags_at() + i] = bitcast<f32>(v); }
fn nearest_of(r: u32) -> u32 { return bitcast<u32>(work[nearest_at() + r]); }

// A later Lloyd step of the model after the assignment repeated: nothing to do.
fn skipped() -> bool { return params.centre_set == 1u && params.iteration > 0u && flag(FLAG_STOP) != 0u; }

// A weight × the batch's decay, both pairs (the decay compounds over every batch: float32's
// rounding of it would grow into the weights).
fn decayed(v: vec2<f32>) -> vec2<f32> { return mul_pair(v, vec2<f32>(params.keep, params.keep_lo)); }

// The squared distance of row r to centre c of the pass's set, for every (r, c), as a pair: the
// differences and their squares exact, the sum compensated (about 44 bits, where cpu's float64
// has 53): two centres whose distances differ by more than ~1e-13 are told apart.
@compute @workgroup_size(64)
fn distances(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let t = index(group, lane);
  let count = set_count();
  if (t >= params.rows * count || skipped()) {
    return;
  }
  let r = t / count;
  let base = set_centres() + (t % count) * params.dim;
  var s = vec2<f32>(0.0, 0.0);
  for (var j = 0u; j < params.dim; j = j + 1u) {
    let d = two_sum(value(r, j), -state[base + j]);
    s = add_pair(s, mul_pair(d, d));
  }
  let at = 2u * (r * widest() + t % count);
  work[at] = s.x;
  work[at + 1u] = s.y;
}

fn distance(r: u32, c: u32) -> vec2<f32> {
  let at = 2u * (r * widest() + c);
  return vec2<f32>(work[at], work[at + 1u]);
}

// a < b for pairs (hi, then lo).
fn less(a: vec2<f32>, b: vec2<f32>) -> bool { return a.x < b.x || (a.x == b.x && a.y < b.y); }

// Each row's nearest centre (the lowest index among equals) and its distance; a later model
// step notes whether any row changed centre.
@compute @workgroup_size(64)
fn nearest(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let r = index(group, lane);
  if (r >= params.rows || skipped()) {
    return;
  }
  let count = set_count();
  var best = 0u;
  var least = distance(r, 0u);
  for (var c = 1u; c < count; c = c + 1u) {
    let d = distance(r, c);
    if (less(d, least)) {
      least = d;
      best = c;
    }
  }
  if (params.centre_set == 1u && params.iteration > 0u && nearest_of(r) != best) {
    set_flag(FLAG_CHANGED, 1u);
  }
  work[nearest_at() + r] = bitcast<f32>(best);
  work[d2_at() + r] = least.x + least.y;
}

// The batch's weighted cost to its nearest centres (before they move) and its weight; the
// model also counts the batch's weight as its rows. One invocation.
@compute @workgroup_size(1)
fn cost() {
  var total = vec2<f32>(0.0, 0.0);
  var weights = vec2<f32>(0.0, 0.0);
  for (var r = 0u; r < params.rows; r = r + 1u) {
    total = add_term(total, weight(r) * work[d2_at() + r]);
    weights = add_term(weights, weight(r));
  }
  let at = counters_at();
  if (params.centre_set == 0u) {
    set_state_pair(at + 2u * COST_SUM, add_pair(state_pair(at + 2u * COST_SUM), total));
    set_state_pair(at + 2u * COST_WEIGHT, add_pair(state_pair(at + 2u * COST_WEIGHT), weights));
  } else {
    set_state_pair(at + 2u * MODEL_COST_SUM, add_pair(state_pair(at + 2u * MODEL_COST_SUM), total));
    set_state_pair(at + 2u * MODEL_COST_WEIGHT, add_pair(state_pair(at + 2u * MODEL_COST_WEIGHT), weights));
    set_state_pair(at + 2u * MODEL_ROWS, add_pair(state_pair(at + 2u * MODEL_ROWS), weights));
  }
}

// The model before this batch's Lloyd steps: its centres, and its weights decayed. Clears the
// steps' flags.
@compute @workgroup_size(64)
fn prior(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let t = index(group, lane);
  let cells = params.model_k * params.dim;
  if (t < cells) {
    state[prior_centres_at() + t] = state[model_centres_at() + t];
  } else if (t < cells + params.model_k) {
    let c = t - cells;
    set_state_pair(prior_weights_at() + 2u * c, decayed(state_pair(model_weights_at() + 2u * c)));
    if (c == 0u) {
      set_flag(FLAG_CHANGED, 0u);
      set_flag(FLAG_STOP, 0u);
    }
  }
}

// Ends the model's steps once an assignment repeats (the same assignment gives the same means).
@compute @workgroup_size(1)
fn stop_check() {
  if (flag(FLAG_CHANGED) == 0u) {
    set_flag(FLAG_STOP, 1u);
  }
  set_flag(FLAG_CHANGED, 0u);
}

// Centre c's coordinate j moves to (n·prior + Σw·x)/(n + m) over the rows nearest to it
// (m = Σw; a centre that took nothing keeps its prior), computed as prior + Σw(x − prior)/(n + m):
// the differences are exact for rows near the centre, so however far the data sit from the
// origin the move is rounded about once, as cpu's float64 result is. j = 0 also records m.
@compute @workgroup_size(64)
fn move_centres(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let t = index(group, lane);
  let count = set_count();
  if (t >= count * params.dim || skipped()) {
    return;
  }
  let c = t / params.dim;
  let j = t % params.dim;
  var start = state[set_centres() + t];
  var n = state_pair(weights_at() + 2u * c);
  if (params.centre_set == 1u) {
    start = state[prior_centres_at() + t];
    n = state_pair(prior_weights_at() + 2u * c);
  }
  var shift = vec2<f32>(0.0, 0.0);
  var mass = vec2<f32>(0.0, 0.0);
  for (var r = 0u; r < params.rows; r = r + 1u) {
    if (nearest_of(r) == c) {
      shift = add_term(shift, weight(r) * (value(r, j) - start));
      mass = add_term(mass, weight(r));
    }
  }
  var moved = start;
  if (mass.x != 0.0 || mass.y != 0.0) {
    let denominator = add_pair(n, mass);
    moved = start + (shift.x + shift.y) / (denominator.x + denominator.y);
  }
  state[set_centres() + t] = moved;
  if (j == 0u) {
    work[received_at() + 2u * c] = mass.x;
    work[received_at() + 2u * c + 1u] = mass.y;
  }
}

fn received(c: u32) -> vec2<f32> { return vec2<f32>(work[received_at() + 2u * c], work[received_at() + 2u * c + 1u]); }

// The model's weights: prior (decayed) plus what its last step received.
@compute @workgroup_size(64)
fn model_weights(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let c = index(group, lane);
  if (c >= params.model_k) {
    return;
  }
  set_state_pair(model_weights_at() + 2u * c, add_pair(state_pair(prior_weights_at() + 2u * c), received(c)));
}

// Old points' weight decays: the streaming centres' weights × keep.
@compute @workgroup_size(64)
fn decay(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let c = index(group, lane);
  if (c >= params.centers) {
    return;
  }
  set_state_pair(weights_at() + 2u * c, decayed(state_pair(weights_at() + 2u * c)));
}

// The streaming centres' weights gain what they received.
@compute @workgroup_size(64)
fn add_received(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let c = index(group, lane);
  if (c >= params.centers) {
    return;
  }
  let m = received(c);
  if (m.x != 0.0 || m.y != 0.0) {
    set_state_pair(weights_at() + 2u * c, add_pair(state_pair(weights_at() + 2u * c), m));
  }
}

fn streaming_weight(c: u32) -> f32 {
  let w = state_pair(weights_at() + 2u * c);
  return w.x + w.y;
}

// Reseeding (kmeans.cc): a centre that took nothing from this batch and holds under 1% of its
// fair share of the weight moves onto the batch's row farthest from its centre — at most
// `limit` of them, lightest first (ties: lower index), onto rows in order of distance (ties:
// lower row), rows at distance 0 never. One invocation.
@compute @workgroup_size(1)
fn reseed() {
  var total = vec2<f32>(0.0, 0.0);
  for (var c = 0u; c < params.centers; c = c + 1u) {
    total = add_pair(total, state_pair(weights_at() + 2u * c));
  }
  let floor = (total.x + total.y) / (100.0 * f32(params.centers));
  var last_weight = -1.0;
  var last_centre = 0xffffffffu;
  var last_d2 = 0.0;
  var last_row = 0xffffffffu;
  for (var p = 0u; p < params.limit; p = p + 1u) {
    // The next lightest dying centre after the last one taken.
    var pick = 0xffffffffu;
    var pick_weight = 0.0;
    for (var c = 0u; c < params.centers; c = c + 1u) {
      let m = received(c);
      let w = streaming_weight(c);
      let after = w > last_weight || (w == last_weight && (last_centre == 0xffffffffu || c > last_centre));
      if (m.x == 0.0 && m.y == 0.0 && w < floor && after && (pick == 0xffffffffu || w < pick_weight)) {
        pick = c;
        pick_weight = w;
      }
    }
    if (pick == 0xffffffffu) {
      break;
    }
    // The next farthest row after the last one taken.
    var row = 0xffffffffu;
    var row_d2 = 0.0;
    for (var r = 0u; r < params.rows; r = r + 1u) {
      let d = work[d2_at() + r];
      let after = last_row == 0xffffffffu || d < last_d2 || (d == last_d2 && r > last_row);
      if (d > 0.0 && after && (row == 0xffffffffu || d > row_d2)) {
        row = r;
        row_d2 = d;
      }
    }
    if (row == 0xffffffffu) {
      break;
    }
    for (var j = 0u; j < params.dim; j = j + 1u) {
      state[pick * params.dim + j] = value(row, j);
    }
    set_state_pair(weights_at() + 2u * pick, vec2<f32>(weight(row), 0.0));
    work[received_at() + 2u * pick] = -1.0;  // taken: not dying again in this pass (received is not read after it)
    set_flag(FLAG_RESEEDS, flag(FLAG_RESEEDS) + 1u);
    last_weight = pick_weight;
    last_centre = pick;
    last_d2 = row_d2;
    last_row = row;
  }
}
