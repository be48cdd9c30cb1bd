// What PCA's device kernels share (lib/backends/webgpu-pca.ts uploads it): their
// parameter block, and the rows — batch: the batch's dense rows (total × cols
// f32); aux: its weights[total] (when weighted), then the origin o as f32
// hi[cols] and lo[cols]. Each kernel declares `var<uniform> params: Params`.

// The parameter block every PCA device kernel reads (lib/backends/webgpu-pca.ts writes it).
struct Params {
  rows: u32,     // rows this dispatch reads: [first, first + rows)
  cols: u32,
  weighted: u32,
  groups_x: u32,
  first: u32,
  total: u32,    // rows in the batch buffer
  size: u32,     // the kernel's own: d(d + 1)/2 entries (accumulate) or ℓ (the sketch)
  zero: u32,     // 0 (common/float_float.wgsl says why it comes from the host)
}

@group(0) @binding(0) var<storage, read> batch: array<f32>;
@group(0) @binding(1) var<storage, read> aux: array<f32>;

fn weight(r: u32) -> f32 {
  if (params.weighted == 0u) {
    return 1.0;
  }
  return aux[params.first + r];
}

// x_rj − o_j, with o = hi + lo: for x near o the first difference is exact.
fn centred(r: u32, j: u32) -> f32 {
  let o = select(0u, params.total, params.weighted != 0u);
  let x = batch[(params.first + r) * params.cols + j];
  return (x - aux[o + j]) - aux[o + params.cols + j];
}

// x_rj − o_j exactly, as a pair (for rows far from o, where the f32 difference would round).
fn centred_pair(r: u32, j: u32) -> vec2<f32> {
  let o = select(0u, params.total, params.weighted != 0u);
  let x = batch[(params.first + r) * params.cols + j];
  return add_term(two_sum(x, -aux[o + j]), -aux[o + params.cols + j]);
}
