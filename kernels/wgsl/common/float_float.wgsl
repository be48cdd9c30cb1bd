// Float-float arithmetic: a value as an f32 pair hi + lo (about 44 bits), added
// to with Knuth's TwoSum and renormalized, so a long sum keeps what f32 rounds
// away, and multiplied with Dekker's exact products. The including shader's `params` has a `zero: u32` that the host sets to
// 0: opaque() ORs it into a value's bits, so that the shader compiler cannot see
// through the steps below. They are zero in real arithmetic, and compilers that
// reassociate floats (Mesa's llvmpipe does) otherwise fold the compensation
// away: WGSL has no way to mark an operation exact.

fn opaque(x: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(x) | params.zero);
}

// (hi, lo) + p.
fn add_term(s: vec2<f32>, p: f32) -> vec2<f32> {
  let hi = opaque(s.x + p);
  let back = opaque(hi - s.x);
  let err = opaque(s.x - opaque(hi - back)) + opaque(p - back);
  let lo = opaque(s.y + err);
  let renorm = opaque(hi + lo);
  return vec2<f32>(renorm, lo - opaque(renorm - hi));
}

// (hi, lo) + (hi', lo').
fn add_pair(s: vec2<f32>, t: vec2<f32>) -> vec2<f32> {
  let u = add_term(s, t.x);
  return add_term(u, t.y);
}

// a + b exactly, as (sum, its rounding error) (Knuth's TwoSum).
fn two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = opaque(a + b);
  let back = opaque(s - a);
  return vec2<f32>(s, opaque(a - opaque(s - back)) + opaque(b - back));
}

// a as two halves of at most 12 significant bits each (Veltkamp's split): their products are exact.
fn split(a: f32) -> vec2<f32> {
  let c = opaque(4097.0 * a);
  let hi = opaque(c - opaque(c - a));
  return vec2<f32>(hi, opaque(a - hi));
}

// a·b exactly, as (product, its rounding error) (Dekker's TwoProduct, without fused multiply-add:
// WGSL does not promise its fma is fused).
fn two_product(a: f32, b: f32) -> vec2<f32> {
  let p = opaque(a * b);
  let x = split(a);
  let y = split(b);
  let e = opaque(opaque(opaque(opaque(x.x * y.x) - p) + opaque(x.x * y.y)) + opaque(x.y * y.x)) + opaque(x.y * y.y);
  return vec2<f32>(p, opaque(e));
}

// (hi, lo) × (hi', lo'), to about 44 bits.
fn mul_pair(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let p = two_product(a.x, b.x);
  let lo = opaque(p.y + opaque(opaque(a.x * b.y) + opaque(a.y * b.x)));
  let hi = opaque(p.x + lo);
  return vec2<f32>(hi, opaque(lo - opaque(hi - p.x)));
}

// log(1 + x) for x > −1 to about f32's precision (WGSL has no log1p). WGSL promises log only within
// 2^−21 absolute for arguments in [0.5, 2], which is all of log(1 + x) for |x| below 1e-6 (real GPUs use
// that latitude): the atanh series 2s·(1 + s²/3 + …), s = x/(2 + x), |s| ≤ 1/3, for x in [−0.5, 1] (its
// first omitted term under 1e-8 of the sum), log(1 + x) outside, where log is accurate to a few ulp.
fn log1p_f(x: f32) -> f32 {
  if (x > 1.0 || x < -0.5) {
    return log(1.0 + x);
  }
  let s = x / (2.0 + x);
  let s2 = s * s;
  return 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0 + s2 * (1.0 / 13.0)))))));
}
