// What every row kernel shares (lib/backends/webgpu-dispatch.ts sets it up):
// one invocation per row of a batch, four storage bindings (the most WebGPU's
// compatibility mode allows per stage) and a uniform block that starts with
// RowHeader. Each kernel declares `var<uniform> params` with `head: RowHeader`
// as its first member.
//
// batch: dense, rows × cols f32 bits; sparse (CSR), indptr[rows + 1], then
//   indices[nnz], then the values' f32 bits[nnz].
// model: the kernel's parameters, f32 bits (or u32), laid out by the kernel.
// out:   the kernel's outputs, 32-bit words.
// flags: the lowest row that had a non-finite feature, an index ≥ cols, indices
//   not strictly increasing (where a kernel needs them so), a decreasing or
//   out-of-range indptr, a result float32 cannot give to 1e-4 (its error estimate
//   is larger, or it overflowed), more loop iterations than the adapter
//   runs (max_loop: Mesa's llvmpipe stops a shader's loops after 65,535 in all);
//   0xffffffff where none did. The host turns the first four into the cpu
//   kernel's error and declines the call for the last two.

struct RowHeader {
  rows: u32,
  cols: u32,
  sparse: u32,
  nnz: u32,
  groups_x: u32,
  max_loop: u32,
  pad1: u32,
  pad2: u32,
}

@group(0) @binding(0) var<storage, read> batch: array<u32>;
@group(0) @binding(1) var<storage, read> model: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<storage, read_write> flags: array<atomic<u32>, 6>;

const FLAG_NON_FINITE = 0u;
const FLAG_BAD_INDEX = 1u;
const FLAG_UNSORTED = 2u;
const FLAG_BAD_INDPTR = 3u;
const FLAG_INEXACT = 4u;
const FLAG_LOOP_LIMIT = 5u;

// float32's unit roundoff, and the error a result may carry relative to max(|result|, 1).
const UNIT = 5.9604645e-8;
const ACCURACY = 1e-4;

fn row_of(group: vec3<u32>, lane: u32) -> u32 {
  return (group.y * params.head.groups_x + group.x) * 64u + lane;
}

fn dense_value(r: u32, j: u32) -> f32 {
  return bitcast<f32>(batch[r * params.head.cols + j]);
}

fn row_begin(r: u32) -> u32 {
  return batch[r];
}

fn row_end(r: u32) -> u32 {
  return batch[r + 1u];
}

fn entry_index(e: u32) -> u32 {
  return batch[params.head.rows + 1u + e];
}

fn entry_value(e: u32) -> f32 {
  return bitcast<f32>(batch[params.head.rows + 1u + params.head.nnz + e]);
}

// Column j of sparse row r in a walk over j = 0, 1, … (the row's indices strictly increasing):
// *next is the row's next entry, advanced past column j; end is the row's end.
fn walk_value(j: u32, next: ptr<function, u32>, end: u32) -> f32 {
  if (*next < end && entry_index(*next) == j) {
    let x = entry_value(*next);
    *next = *next + 1u;
    return x;
  }
  return 0.0;
}

fn model_f32(i: u32) -> f32 {
  return bitcast<f32>(model[i]);
}

// On the bits: shader compilers may assume floats are finite and fold a comparison away.
fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

// Checks row r, raising flags; false when the row cannot be computed. `sorted`: the kernel walks
// a sparse row beside the dense columns, so its indices must strictly increase.
fn check_row(r: u32, sorted: bool) -> bool {
  var ok = true;
  if (params.head.sparse == 0u) {
    for (var j = 0u; j < params.head.cols; j = j + 1u) {
      if (!is_finite(dense_value(r, j))) {
        atomicMin(&flags[FLAG_NON_FINITE], r);
        return false;
      }
    }
    return true;
  }
  let b = row_begin(r);
  let e = row_end(r);
  if (e < b || e > params.head.nnz) {
    atomicMin(&flags[FLAG_BAD_INDPTR], r);
    return false;
  }
  for (var k = b; k < e; k = k + 1u) {
    let i = entry_index(k);
    if (i >= params.head.cols) {
      atomicMin(&flags[FLAG_BAD_INDEX], r);
      ok = false;
    }
    if (!is_finite(entry_value(k))) {
      atomicMin(&flags[FLAG_NON_FINITE], r);
      ok = false;
    }
    if (sorted && k > b && i <= entry_index(k - 1u)) {
      atomicMin(&flags[FLAG_UNSORTED], r);
      ok = false;
    }
  }
  return ok;
}

// Entries of row r a kernel visits per pass: its non-zeros (sparse, 0 for a bad indptr) or every column.
fn row_length(r: u32) -> u32 {
  if (params.head.sparse == 0u) {
    return params.head.cols;
  }
  let b = row_begin(r);
  let e = row_end(r);
  return select(0u, e - b, e >= b);
}

// a · b, saturating at the largest u32.
fn times(a: u32, b: u32) -> u32 {
  if (a != 0u && b > 0xffffffffu / a) {
    return 0xffffffffu;
  }
  return a * b;
}

fn plus(a: u32, b: u32) -> u32 {
  return select(0xffffffffu, a + b, a <= 0xffffffffu - b);
}

// Whether row r's loops, `planned` iterations in all, stay within what the adapter runs; raises FLAG_LOOP_LIMIT if not.
fn within_loop_limit(r: u32, planned: u32) -> bool {
  if (planned > params.head.max_loop) {
    atomicMin(&flags[FLAG_LOOP_LIMIT], r);
    return false;
  }
  return true;
}

// A sum accumulated in float32 with the spread of its roundings: each addition and product rounds
// by at most UNIT of its result, and `spread` is the sum of those results' squares. Taken as
// independent, the roundings' total has a standard deviation of at most UNIT·√spread (Higham and
// Mary, "A new approach to probabilistic rounding error analysis", 2019); error() is four of them.
// The worst case, UNIT·Σ|results|, grows with the terms and would refuse ordinary 784-feature rows;
// this one still refuses what cancels — data far from the origin make the partial sums, and so
// the spread, large beside the result.
struct Tracked {
  sum: f32,
  spread: f32,
}

fn tracked(start: f32) -> Tracked {
  return Tracked(start, start * start);
}

fn add_product(t: Tracked, a: f32, b: f32) -> Tracked {
  let product = a * b;
  let sum = t.sum + product;
  return Tracked(sum, t.spread + sum * sum + product * product);
}

// Another rounding of magnitude `size` (a subtraction before a product, say).
fn add_rounding(t: Tracked, size: f32) -> Tracked {
  return Tracked(t.sum, t.spread + size * size);
}

fn error_of(t: Tracked) -> f32 {
  return 4.0 * UNIT * sqrt(t.spread);
}

// Whether a result with this error is accurate to ACCURACY of max(|result|, 1) and finite; raises FLAG_INEXACT if not.
fn accurate(r: u32, value: f32, error: f32) -> bool {
  if (!is_finite(value) || !is_finite(error) || error > ACCURACY * max(abs(value), 1.0)) {
    atomicMin(&flags[FLAG_INEXACT], r);
    return false;
  }
  return true;
}

// σ(z) without overflowing exp.
fn sigmoid(z: f32) -> f32 {
  if (z >= 0.0) {
    return 1.0 / (1.0 + exp(-z));
  }
  let t = exp(z);
  return t / (1.0 + t);
}
