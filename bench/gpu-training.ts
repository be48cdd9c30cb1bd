// Training kernels that keep their state on a GPU (README "Training on the GPU,
// state on the device"), on every backend available, in the same run: PCA's
// regular-mode moments and randomized sketch, and k-means' streaming update
// (k = 10, K = 100 centres, the refined model started part-way), batch after
// batch of 1000 dense rows, then one settle (the read-back) — rows/s of the
// whole, strict, so a GPU backend that fell back to cpu fails instead of timing
// cpu. Each backend's settled sums or centres are compared with cpu's (largest
// difference over the largest entry). On a software adapter (Mesa's llvmpipe, no GPU) only the smallest
// shape runs: it is a CPU emulating a GPU, for correctness, not speed.
import { createBackend, kmeans, listBackends, parseHyperparameters, runKernel, settleState, StrictBackendError, type Backend } from '../lib/index.js';
import type { DenseBatch } from '../lib/data/batch.js';

export interface GpuTrainingRow { kernel: string; shape: string; backend: string; seconds: number; rowsPerSecond: number; difference: number; declined?: string }

const rowsPerBatch = 1000;

function floats(length: number, seed: number, offset: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return offset + state / 2 ** 31 - 1;
  });
}

interface Shape { kernel: 'pcaAccumulate' | 'pcaRandomizedAccumulate' | 'kmeansUpdate'; dim: number; ell: number; batches: number; software: boolean }

const shapes: Shape[] = [
  { kernel: 'pcaAccumulate', dim: 64, ell: 0, batches: 20, software: true },
  { kernel: 'pcaAccumulate', dim: 784, ell: 0, batches: 50, software: false },
  { kernel: 'pcaRandomizedAccumulate', dim: 64, ell: 10, batches: 20, software: true },
  { kernel: 'pcaRandomizedAccumulate', dim: 784, ell: 60, batches: 50, software: false },
  { kernel: 'kmeansUpdate', dim: 64, ell: 0, batches: 20, software: true },
  { kernel: 'kmeansUpdate', dim: 784, ell: 0, batches: 50, software: false },
];

const describe = (s: Shape) => `dense ${s.dim}${s.ell ? `, ℓ=${s.ell}` : ''}${s.kernel === 'kmeansUpdate' ? ', k=10 (K=100)' : ''}, ${s.batches} batches of ${rowsPerBatch}`;

/** Fresh sums, and the call that adds one batch to them. */
function setUp(s: Shape, backend: Backend, origin: Float64Array) {
  const common = { count: new Float64Array(1), sum: new Float64Array(s.dim), origin };
  const omega = Float64Array.from({ length: s.dim * s.ell }, (_, i) => (((i * 2654435761) >>> 0) % 2 === 0 ? 1 : -1));
  if (s.kernel === 'kmeansUpdate') {
    // The refined model starts at 50 rows per streaming centre (5,000 rows): most batches refine it.
    const hp = parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 10, seed: 1 });
    const state = kmeans.createState(hp, { featureDim: s.dim, labelSize: 0 }, backend);
    const centres = state.tensors.centers.data as Float32Array;
    return { key: centres, get values() { return Float64Array.from(centres); }, add: (batch: DenseBatch) => kmeans.update(state, batch, backend) };
  }
  if (s.kernel === 'pcaAccumulate') {
    const moments = { ...common, cross: new Float64Array(s.dim * s.dim) };
    return { key: moments.cross, values: moments.cross, add: (batch: DenseBatch) => runKernel(backend, 'pcaAccumulate', { moments, dim: s.dim, batch }) };
  }
  const sketch = { ...common, squares: new Float64Array(1), y: new Float64Array(s.dim * s.ell) };
  return { key: sketch.y, values: sketch.y, add: (batch: DenseBatch) => runKernel(backend, 'pcaRandomizedAccumulate', { sketch, omega, dim: s.dim, ell: s.ell, batch }) };
}

async function measure(backend: Backend, s: Shape, batches: DenseBatch[], reference?: Float64Array): Promise<GpuTrainingRow & { values: Float64Array }> {
  const origin = Float64Array.from(batches[0].values.subarray(0, s.dim));
  const run = setUp(s, backend, origin);
  const started = performance.now();
  for (const batch of batches) await run.add(batch);
  await settleState({ tensors: { held: { data: run.key } } });
  const seconds = (performance.now() - started) / 1000;
  const values = run.values;
  let difference = 0;
  if (reference) {
    const scale = Math.max(...Array.from(reference, Math.abs));
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
      const batches = Array.from({ length: s.batches }, (_, b): DenseBatch => ({ kind: 'dense', rows: rowsPerBatch, cols: s.dim, values: floats(rowsPerBatch * s.dim, b + 1, 100) }));
      // k-means gets ten clusters 4 apart (row r in cluster r·7 mod 10), so that its centres have something to find.
      if (s.kernel === 'kmeansUpdate') for (const batch of batches) batch.values.forEach((v, i) => { batch.values[i] = v + 4 * ((Math.floor(i / s.dim) * 7) % 10); });
      let reference: Float64Array | undefined;
      for (const backend of backends) {
        if (backend.details.software === true && !s.software) continue;
        try {
          const { values, ...row } = await measure(backend, s, batches, reference);
          if (backend.name === 'cpu') reference = values;
          rows.push(row);
          process.stderr.write(`${s.kernel} · ${describe(s)} · ${backend.name}: ${row.seconds.toFixed(3)} s\n`);
        } catch (error) {
          if (!(error instanceof StrictBackendError)) throw error;
          rows.push({ kernel: s.kernel, shape: describe(s), backend: backend.name, seconds: NaN, rowsPerSecond: NaN, difference: NaN, declined: error.declined.message });
        }
      }
    }
    for (const report of reports) notes.push(`${report.name}: ${report.reason}`);
  } finally {
    for (const backend of backends) await backend.dispose();
    if (previous === undefined) delete process.env.BOUNDLESS_STRICT_BACKEND;
    else process.env.BOUNDLESS_STRICT_BACKEND = previous;
  }
  notes.push('Whole runs: every batch enqueued, then one settle (the read-back); cpu first, its sums the reference. BOUNDLESS_STRICT_BACKEND=1.');
  notes.push('Data: uniform in [99, 101) per feature (PCA: products about the first row, as a state takes them); k-means: plus 4 × one of ten cluster indices.');
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
