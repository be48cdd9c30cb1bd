// Training kernels that keep their state on a GPU (README "Training on the GPU,
// state on the device"), on every backend available, in the same run: PCA's
// regular-mode moments, randomized and Frequent Directions sketches, k-means' streaming update
// (k = 10 and 20: K = 100 and 200 centres, the refined model started part-way) and factorization
// machines' step (sparse rows, 30 non-zeros, adam), the linear learner's steps
// (its defaults: adagrad, averaging, steps of 32 rows; many models; sparse and dense rows), batch after
// batch of 1000 rows, then one settle (the read-back) — rows/s of the
// whole, strict, so a GPU backend that fell back to cpu fails instead of timing
// cpu. On cuda each shape runs a second time as an epoch cache's later epoch does,
// from batches kept on the device (no batch uploaded: resident_batches.cuh). Each backend's settled sums or centres are compared with cpu's (largest
// difference over the largest entry). On a software adapter (Mesa's llvmpipe, no GPU) and on the CPU
// emulation of CUDA only the smallest shape runs: a CPU emulating a GPU, for correctness, not speed.
import { createBackend, factorizationMachines, kmeans, linearLearner, listBackends, parseHyperparameters, runKernel, settleState, StrictBackendError, type Backend } from '../lib/index.js';
import type { DenseBatch, SparseBatch } from '../lib/data/batch.js';
import { markKept, releaseKeptBatches } from '../lib/data/kept-batches.js';
import { hasKernel } from '../lib/backends/registry.js';

export interface GpuTrainingRow { kernel: string; shape: string; backend: string; seconds: number; rowsPerSecond: number; difference: number; declined?: string }

const rowsPerBatch = 1000;

function floats(length: number, seed: number, offset: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return offset + state / 2 ** 31 - 1;
  });
}

interface Shape {
  kernel: 'pcaAccumulate' | 'pcaRandomizedAccumulate' | 'pcaFrequentDirectionsAccumulate' | 'kmeansUpdate' | 'fmUpdate' | 'linearLearnerUpdate';
  dim: number;
  ell: number;
  batches: number;
  software: boolean;
  /** Sparse rows (factorization machines always; the linear learner when set). */
  sparse?: boolean;
  /** The linear learner's mini_batch_size, when not its default (auto: 32 rows a step). */
  step?: number;
}

/** Non-zeros per sparse row (factorization machines' shapes). */
const sparseNonzeros = 30;

const shapes: Shape[] = [
  { kernel: 'pcaAccumulate', dim: 64, ell: 0, batches: 20, software: true },
  { kernel: 'pcaAccumulate', dim: 784, ell: 0, batches: 100, software: false },
  { kernel: 'pcaRandomizedAccumulate', dim: 64, ell: 10, batches: 20, software: true },
  { kernel: 'pcaRandomizedAccumulate', dim: 784, ell: 60, batches: 50, software: false },
  // ell: the sketch's ℓ (a shrink every ℓ + 1 rows: 2ℓ × 2ℓ eigenproblems, sequential work).
  { kernel: 'pcaFrequentDirectionsAccumulate', dim: 64, ell: 10, batches: 5, software: true },
  { kernel: 'pcaFrequentDirectionsAccumulate', dim: 784, ell: 60, batches: 10, software: false },
  // ell: k (K = 10·k streaming centres for k ≤ 20, extra_center_factor's auto rule).
  { kernel: 'kmeansUpdate', dim: 64, ell: 10, batches: 20, software: true },
  { kernel: 'kmeansUpdate', dim: 784, ell: 20, batches: 100, software: false },
  // ell: the factors k.
  { kernel: 'fmUpdate', dim: 1 << 16, ell: 8, batches: 20, software: true },
  { kernel: 'fmUpdate', dim: 1 << 20, ell: 64, batches: 50, software: false },
  // ell: the models (a grid of rates and penalties); the first batch refines the scaler on cpu.
  { kernel: 'linearLearnerUpdate', dim: 1 << 16, ell: 4, batches: 20, software: true, sparse: true },
  { kernel: 'linearLearnerUpdate', dim: 64, ell: 4, batches: 20, software: true },
  { kernel: 'linearLearnerUpdate', dim: 1 << 22, ell: 32, batches: 100, software: false, sparse: true },
  { kernel: 'linearLearnerUpdate', dim: 256, ell: 32, batches: 200, software: false },
  // SageMaker's mini_batch_size: one step a batch instead of 31 (a GPU's launches are per step).
  { kernel: 'linearLearnerUpdate', dim: 256, ell: 32, batches: 200, software: false, step: 1000 },
  { kernel: 'linearLearnerUpdate', dim: 784, ell: 32, batches: 50, software: false },
];

const isSparse = (s: Shape) => s.kernel === 'fmUpdate' || s.sparse === true;

const describe = (s: Shape) => (s.kernel === 'linearLearnerUpdate'
  ? `${s.sparse ? `sparse 2^${Math.log2(s.dim)}, ${sparseNonzeros} non-zeros` : `dense ${s.dim}`}, ${s.ell} models, adagrad, ${s.step ? `steps of ${s.step}` : 'steps of 32'}, ${s.batches} batches of ${rowsPerBatch}`
  : s.kernel === 'fmUpdate'
  ? `sparse 2^${Math.log2(s.dim)}, ${sparseNonzeros} non-zeros, k=${s.ell}, adam, ${s.batches} batches of ${rowsPerBatch}`
  : s.kernel === 'kmeansUpdate'
  ? `dense ${s.dim}, k=${s.ell} (K=${10 * s.ell}), ${s.batches} batches of ${rowsPerBatch}`
  : `dense ${s.dim}${s.ell ? `, ℓ=${s.ell}` : ''}, ${s.batches} batches of ${rowsPerBatch}`);

/** Sparse rows for factorization machines: features skewed toward low indices (popular and rare ones), 0/1 labels. */
function sparseBatch(s: Shape, seed: number): SparseBatch {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const indptr = new Int32Array(rowsPerBatch + 1);
  const indices = new Uint32Array(rowsPerBatch * sparseNonzeros);
  const values = new Float32Array(rowsPerBatch * sparseNonzeros);
  const labels = new Float32Array(rowsPerBatch);
  for (let r = 0; r < rowsPerBatch; r++) {
    const row = new Set<number>();
    while (row.size < sparseNonzeros) row.add(Math.floor(next() ** 2 * s.dim));
    let z = 0;
    [...row].sort((a, b) => a - b).forEach((j, k) => {
      indices[r * sparseNonzeros + k] = j;
      values[r * sparseNonzeros + k] = 1;
      z += (j % 7) - 3;
    });
    indptr[r + 1] = (r + 1) * sparseNonzeros;
    labels[r] = z > 0 ? 1 : 0;
  }
  return { kind: 'sparse', rows: rowsPerBatch, cols: s.dim, indptr, indices, values, labels };
}

/** 0/1 labels of dense rows: the sign of Σ ±(x − 100) over the features, alternating signs. */
function denseLabels(batch: DenseBatch, dim: number): Float32Array {
  return Float32Array.from({ length: batch.rows }, (_, r) => {
    let z = 0;
    for (let j = 0; j < dim; j++) z += (j % 2 === 0 ? 1 : -1) * (batch.values[r * dim + j] - 100);
    return z > 0 ? 1 : 0;
  });
}

/** Fresh sums, and the call that adds one batch to them. */
function setUp(s: Shape, backend: Backend, origin: Float64Array) {
  const common = { count: new Float64Array(1), sum: new Float64Array(s.dim), origin };
  const omega = Float64Array.from({ length: s.dim * s.ell }, (_, i) => (((i * 2654435761) >>> 0) % 2 === 0 ? 1 : -1));
  if (s.kernel === 'fmUpdate') {
    const hp = parseHyperparameters('factorization-machines', factorizationMachines.hyperparameters,
      { predictor_type: 'binary_classifier', num_factors: s.ell, num_models: 1, optimizer: 'adam', seed: 1 });
    const state = factorizationMachines.createState(hp, { featureDim: s.dim, labelSize: 1 }, backend);
    const factors = state.tensors.factors.data as Float32Array;
    return { key: state.tensors.bias.data, get values() { return Float64Array.from(factors); }, add: (batch: DenseBatch | SparseBatch) => factorizationMachines.update(state, batch, backend) };
  }
  if (s.kernel === 'linearLearnerUpdate') {
    const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters,
      { predictor_type: 'binary_classifier', num_models: s.ell, num_point_for_scaler: rowsPerBatch, unbias_data: !s.sparse, seed: 1, ...(s.step ? { mini_batch_size: s.step } : {}) });
    const state = linearLearner.createState(hp, { featureDim: s.dim, labelSize: 1 }, backend);
    const weights = state.tensors.weights.data as Float32Array;
    return { key: weights, get values() { return Float64Array.from(weights); }, add: (batch: DenseBatch | SparseBatch) => linearLearner.update(state, batch, backend) };
  }
  if (s.kernel === 'kmeansUpdate') {
    // The refined model starts at 50 rows per streaming centre (5,000 rows at K = 100): most batches refine it.
    const hp = parseHyperparameters('kmeans', kmeans.hyperparameters, { k: s.ell, seed: 1 });
    const state = kmeans.createState(hp, { featureDim: s.dim, labelSize: 0 }, backend);
    const centres = state.tensors.centers.data as Float32Array;
    return { key: centres, get values() { return Float64Array.from(centres); }, add: (batch: DenseBatch | SparseBatch) => kmeans.update(state, batch, backend) };
  }
  if (s.kernel === 'pcaAccumulate') {
    const moments = { ...common, cross: new Float64Array(s.dim * s.dim) };
    return { key: moments.cross, values: moments.cross, add: (batch: DenseBatch | SparseBatch) => runKernel(backend, 'pcaAccumulate', { moments, dim: s.dim, batch }) };
  }
  if (s.kernel === 'pcaFrequentDirectionsAccumulate') {
    const fd = { ...common, squares: new Float64Array(1), rows: new Float64Array(2 * s.ell * s.dim), filled: new Float64Array(1) };
    // The rows are defined up to an orthogonal mix (an eigenvector's sign): backends are compared as BᵀB.
    const gram = () => {
      const out = new Float64Array(s.dim * s.dim);
      for (let r = 0; r < fd.filled[0]; r++) for (let i = 0; i < s.dim; i++) for (let j = 0; j < s.dim; j++) out[i * s.dim + j] += fd.rows[r * s.dim + i] * fd.rows[r * s.dim + j];
      return out;
    };
    return { key: fd.rows, get values() { return gram(); }, add: (batch: DenseBatch | SparseBatch) => runKernel(backend, 'pcaFrequentDirectionsAccumulate', { sketch: fd, dim: s.dim, ell: s.ell, batch }) };
  }
  const sketch = { ...common, squares: new Float64Array(1), y: new Float64Array(s.dim * s.ell) };
  return { key: sketch.y, values: sketch.y, add: (batch: DenseBatch | SparseBatch) => runKernel(backend, 'pcaRandomizedAccumulate', { sketch, omega, dim: s.dim, ell: s.ell, batch }) };
}

/**
 * A cached epoch on cuda: the batches marked as the epoch cache marks them (lib/data/kept-batches.ts), one
 * untimed pass that leaves their arrays on the device (kernels/cuda/runtime/resident_batches.cuh), then the
 * timed pass, which uploads none of them; the copies are freed after.
 */
async function measureKept(backend: Backend, s: Shape, batches: (DenseBatch | SparseBatch)[], reference?: Float64Array): Promise<GpuTrainingRow> {
  const ids = batches.map((batch) => markKept(batch));
  try {
    const origin = batches[0].kind === 'dense' ? Float64Array.from(batches[0].values.subarray(0, s.dim)) : new Float64Array(s.dim);
    const first = setUp(s, backend, origin);
    for (const batch of batches) await first.add(batch);
    await settleState({ tensors: { held: { data: first.key } } });
    const { values: _, ...row } = await measure(backend, s, batches, reference);
    return { ...row, backend: `${backend.name} (batches kept on the device: a cached epoch)` };
  } finally {
    releaseKeptBatches(ids[0], ids[ids.length - 1]);
  }
}

async function measure(backend: Backend, s: Shape, batches: (DenseBatch | SparseBatch)[], reference?: Float64Array): Promise<GpuTrainingRow & { values: Float64Array }> {
  const origin = batches[0].kind === 'dense' ? Float64Array.from(batches[0].values.subarray(0, s.dim)) : new Float64Array(s.dim);
  // One untimed batch on a state of its own first: what a backend does once (a CUDA module loaded at
  // its kernels' first launch, a WGSL pipeline compiled) is not a rate (the 2026-12-04 H200 run had
  // no warm-up: cuda's first shape took 6.4 ms a batch of 64 features, its second 2.6 ms at 784).
  const warm = setUp(s, backend, origin);
  await warm.add(batches[0]);
  await settleState({ tensors: { held: { data: warm.key } } });
  const run = setUp(s, backend, origin);
  const started = performance.now();
  for (const batch of batches) await run.add(batch);
  await settleState({ tensors: { held: { data: run.key } } });
  const seconds = (performance.now() - started) / 1000;
  const values = run.values;
  let difference = 0;
  if (reference) {
    // A loop, not Math.max(...): factor tables have millions of entries.
    let scale = 0;
    for (const v of reference) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < reference.length; i++) difference = Math.max(difference, Math.abs(values[i] - reference[i]) / scale);
  }
  return { kernel: s.kernel, shape: describe(s), backend: backend.name, seconds, rowsPerSecond: (batches.length * rowsPerBatch) / seconds, difference, values };
}

export async function runGpuTraining(): Promise<{ rows: GpuTrainingRow[]; notes: string[] }> {
  // cpu first: its sums are the reference.
  const reports = (await listBackends()).filter((r) => r.available).sort((a, b) => Number(b.name === 'cpu') - Number(a.name === 'cpu'));
  const rows: GpuTrainingRow[] = [];
  const notes: string[] = [];
  const previous = process.env.BOUNDLESS_STRICT_BACKEND;
  process.env.BOUNDLESS_STRICT_BACKEND = '1';
  const backends = await Promise.all(reports.map((r) => createBackend(r.name)));
  try {
    for (const s of shapes) {
      const dense = Array.from({ length: isSparse(s) ? 0 : s.batches }, (_, b): DenseBatch => ({ kind: 'dense', rows: rowsPerBatch, cols: s.dim, values: floats(rowsPerBatch * s.dim, b + 1, 100) }));
      // The linear learner's dense rows get labels from the sign of a fixed direction through their mean.
      if (s.kernel === 'linearLearnerUpdate') for (const batch of dense) batch.labels = denseLabels(batch, s.dim);
      // k-means gets ten clusters 4 apart (row r in cluster r·7 mod 10), so that its centres have something to find.
      if (s.kernel === 'kmeansUpdate') for (const batch of dense) batch.values.forEach((v, i) => { batch.values[i] = v + 4 * ((Math.floor(i / s.dim) * 7) % 10); });
      const batches = isSparse(s) ? Array.from({ length: s.batches }, (_, b) => sparseBatch(s, b + 1)) : dense;
      let reference: Float64Array | undefined;
      for (const backend of backends) {
        if ((backend.details.software === true || backend.details.emulated === true) && !s.software) continue;
        if (backend.name !== 'cpu' && !hasKernel(backend.name, s.kernel)) {
          // runKernel would run cpu's kernel (a counted fallback, allowed even strict): not this backend's time.
          rows.push({ kernel: s.kernel, shape: describe(s), backend: backend.name, seconds: NaN, rowsPerSecond: NaN, difference: NaN, declined: `${backend.name} has no ${s.kernel} (the coverage table: cpu)` });
          continue;
        }
        try {
          const { values, ...row } = await measure(backend, s, batches, reference);
          if (backend.name === 'cpu') reference = values;
          rows.push(row);
          process.stderr.write(`${s.kernel} · ${describe(s)} · ${backend.name}: ${row.seconds.toFixed(3)} s\n`);
          if (backend.name === 'cuda') {
            const kept = await measureKept(backend, s, batches, reference);
            rows.push(kept);
            process.stderr.write(`${s.kernel} · ${describe(s)} · ${kept.backend}: ${kept.seconds.toFixed(3)} s\n`);
          }
        } catch (error) {
          // A declined kernel is a row of the table; so is a GPU backend's failure (the other shapes and
          // backends still run: the lent machine's minutes are few), but cpu's failure is the bench's.
          if (!(error instanceof StrictBackendError) && backend.name === 'cpu') throw error;
          const declined = error instanceof StrictBackendError ? error.declined.message : `failed: ${String(error).split('\n')[0]}`;
          rows.push({ kernel: s.kernel, shape: describe(s), backend: backend.name, seconds: NaN, rowsPerSecond: NaN, difference: NaN, declined });
          process.stderr.write(`${s.kernel} · ${describe(s)} · ${backend.name}: ${declined}\n`);
        }
      }
    }
    for (const report of reports) notes.push(`${report.name}: ${report.reason}`);
  } finally {
    for (const backend of backends) await backend.dispose();
    if (previous === undefined) delete process.env.BOUNDLESS_STRICT_BACKEND;
    else process.env.BOUNDLESS_STRICT_BACKEND = previous;
  }
  notes.push('Whole runs: every batch enqueued, then one settle (the read-back), after one untimed batch on a state of its own; cpu first, its sums the reference. BOUNDLESS_STRICT_BACKEND=1.');
  notes.push('Data: uniform in [99, 101) per feature (PCA: products about the first row, as a state takes them); k-means: plus 4 × one of ten cluster indices; factorization machines and the sparse linear learner: 30 one-valued features a row, index u²·dim for uniform u (popular and rare features), labels from the indices; the factors and the weights compared. The linear learner: binary, its one-pass defaults, num_point_for_scaler 1000 (the first batch refines the scaler on cpu, by design).');
  return { rows, notes };
}

export function gpuTrainingTable(rows: GpuTrainingRow[]): string {
  const cpu = new Map(rows.filter((r) => r.backend === 'cpu').map((r) => [`${r.kernel} ${r.shape}`, r.seconds]));
  return [
    '| kernel | shape | backend | s | rows/s | × cpu | max \\|Δ\\| ÷ max \\|cpu\\| |',
    '|---|---|---|---:|---:|---:|---:|',
    ...rows.map((r) => {
      if (r.declined) return `| ${r.kernel} | ${r.shape} | ${r.backend} | declined: ${r.declined} | | | |`;
      const ratio = (cpu.get(`${r.kernel} ${r.shape}`) ?? NaN) / r.seconds;
      return `| ${r.kernel} | ${r.shape} | ${r.backend} | ${r.seconds.toFixed(3)} | ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} | ${ratio.toFixed(2)}× | ${r.backend === 'cpu' ? '—' : r.difference.toExponential(1)} |`;
    }),
  ].join('\n');
}
