// Float-float sums: a value as an f32 pair hi + lo (about 44 bits), added to
// with Knuth's TwoSum and renormalized, so a long sum keeps what f32 rounds
// away. The including shader's `params` has a `zero: u32` that the host sets to
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
