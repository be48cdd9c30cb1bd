// The proximal step's closed form over k missed steps, in f32: the float64 code of
// native/algorithms/linear_learner/linear_learner_shrink.h (ShrinkSteps, Phi) and
// linear_learner.cc (ShrinkWithSum, AverageAt), whose derivation is there. A weight
// that misses k steps owes k of m ← m·a − τ (|w| = m, a = 1 − lr·wd, τ = lr·l1); every
// quantity is written in t = −log a through φ(x) = (e^−x − 1 + x)/x², which has no
// cancellation, so f32 keeps about its own precision of the weight.

// A model's constants at a step's rate (from the host, in float64 then rounded).
struct Proximal {
  decay: f32,
  t: f32,
  phi_t: f32,
  g: f32,
  threshold: f32,
}

// φ(x) for x ≥ 0, with e^−x = `power`: its series below 0.5, the direct form above.
fn phi(x: f32, power: f32) -> f32 {
  if (x < 0.5) {
    var series = 1.0 / 479001600.0;
    series = series * -x + 1.0 / 39916800.0;
    series = series * -x + 1.0 / 3628800.0;
    series = series * -x + 1.0 / 362880.0;
    series = series * -x + 1.0 / 40320.0;
    series = series * -x + 1.0 / 5040.0;
    series = series * -x + 1.0 / 720.0;
    series = series * -x + 1.0 / 120.0;
    series = series * -x + 1.0 / 24.0;
    series = series * -x + 1.0 / 6.0;
    return series * -x + 1.0 / 2.0;
  }
  return (power - 1.0 + x) / (x * x);
}

// k ≥ 1 steps from m₀ > 0, ignoring the floor at 0: (m_k, Σᵢ₌₁..ₖ mᵢ).
fn shrink_steps(m0: f32, p: Proximal, k: f32, power: f32) -> vec2<f32> {
  let x = k * p.t;
  let phi_x = phi(x, power);
  let ak = select(power, 1.0 - x + x * x * phi_x, x < 0.5);
  let inverse_g = 1.0 / p.g;
  let geometric = k * (1.0 - x * phi_x) * inverse_g;
  let ramp = k * (1.0 - (1.0 + p.t) * p.phi_t + p.decay * k * phi_x) * (inverse_g * inverse_g);
  return vec2<f32>(m0 * ak - p.threshold * geometric, m0 * p.decay * geometric - p.threshold * ramp);
}

// k steps of w ← soft(w·a, τ): (the weight after them, Σ of the k iterates).
fn shrink_with_sum(w: f32, p: Proximal, k: f32) -> vec2<f32> {
  if (k <= 0.0 || w == 0.0) {
    return vec2<f32>(w, 0.0);
  }
  if (p.decay <= 0.0) {
    return vec2<f32>(0.0, 0.0);
  }
  if (p.t == 0.0 && p.threshold == 0.0) {
    return vec2<f32>(w, k * w);
  }
  let m0 = abs(w);
  let steps = shrink_steps(m0, p, k, exp(-k * p.t));
  var total = steps.y;
  if (steps.x <= 0.0) {
    // The iterates still positive: i < log1p(m₀·(1 − a)/τ)/t.
    var positive = ceil(m0 / p.threshold) - 1.0;
    if (p.t != 0.0) {
      positive = ceil(log1p_f(m0 * p.t * p.g / p.threshold) / p.t) - 1.0;
    }
    positive = min(k, max(0.0, positive));
    total = 0.0;
    if (positive > 0.0) {
      total = shrink_steps(m0, p, positive, exp(-positive * p.t)).y;
    }
  }
  total = max(0.0, total);
  let magnitude = select(0.0, steps.x, steps.x > 0.0);
  return vec2<f32>(select(magnitude, -magnitude, w < 0.0), select(total, -total, w < 0.0));
}

// The average a of a weight w last updated at step `last`, brought to step `to`: the mean of the iterates after
// `start` (−1: averaging has not begun: the latest iterate). shrunk: shrink_with_sum's over the missed steps.
fn average_caught_up(a: f32, w: f32, shrunk: vec2<f32>, last: i32, to: i32, start: i32, p: Proximal, inverse_count: f32) -> f32 {
  if (start < 0 || to <= start) {
    return shrunk.x;
  }
  let counted = f32(max(0, last - start));
  let skipped = max(0, start - last);
  var sum = a * counted + shrunk.y;
  if (skipped > 0) {
    sum = sum - shrink_with_sum(w, p, f32(skipped)).y;
  }
  return sum * inverse_count;
}
