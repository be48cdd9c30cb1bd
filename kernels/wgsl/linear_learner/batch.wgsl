// A linear-learner batch as the host writes it (lib/backends/webgpu-linear-learner*.ts): labels[rows],
// weights[rows] (when weighted), then at values_at dense values [rows × dim] or CSR (indptr[rows + 1],
// indices[nnz], value bits[nnz]). The including shader defines `batch` (u32 words) and `params` with
// rows, weighted, values_at, nnz and dim.

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
fn entry_index(e: u32) -> u32 {
  return batch[params.values_at + params.rows + 1u + e];
}
fn entry_value(e: u32) -> f32 {
  return bitcast<f32>(batch[params.values_at + params.rows + 1u + params.nnz + e]);
}
fn dense_value(r: u32, j: u32) -> f32 {
  return bitcast<f32>(batch[params.values_at + r * params.dim + j]);
}
