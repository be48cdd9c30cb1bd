// The predict kernels (lib/backends/row-kernels.ts) on every backend available,
// in the same run: rows/s of one call on a 1000-row batch (what `predict`
// sends), strict, so a GPU backend that fell back to cpu fails instead of
// timing cpu. On Mesa's llvmpipe (no GPU) webgpu's numbers are a software
// rasterizer's: correctness only. Shapes: Fashion-MNIST-like 784 dense features
// (k-means K=200, PCA 50 components, softmax over 10 classes) and hashed sparse
// rows (2^20 features, 30 non-zeros: a binary linear model; factorization
// machines with 64 factors over 100k features).
import { createBackend, listBackends, runKernel, StrictBackendError, type Backend, type KernelInputs } from '../lib/index.js';
import type { DenseBatch, SparseBatch } from '../lib/data/batch.js';
import type { RowKernelName } from '../lib/backends/row-kernels.js';
import { time } from './timing.js';

export interface RowKernelRow { kernel: RowKernelName; shape: string; backend: string; ms: number; rowsPerSecond: number; declined?: string }

const rows = 1000;

function floats(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

function dense(cols: number): DenseBatch {
  return { kind: 'dense', rows, cols, values: floats(rows * cols, cols) };
}

function sparse(cols: number, nnz: number): SparseBatch {
  const indptr = Int32Array.from({ length: rows + 1 }, (_, r) => r * nnz);
  const indices = new Uint32Array(rows * nnz);
  for (let r = 0; r < rows; r++) {
    // nnz sorted, distinct indices spread over the width.
    for (let k = 0; k < nnz; k++) indices[r * nnz + k] = Math.floor((k * cols) / nnz) + ((r * 7919 + k * 104729) % Math.floor(cols / nnz));
  }
  return { kind: 'sparse', rows, cols, indptr, indices, values: floats(rows * nnz, nnz) };
}

interface Case { kernel: RowKernelName; shape: string; make: () => KernelInputs[RowKernelName] }

const cases: Case[] = [
  { kernel: 'kmeansAssign', shape: 'dense 784, K=200', make: () => ({
    centers: floats(200 * 784, 1), count: 200, dim: 784, batch: dense(784), nearest: new Int32Array(rows), distance2: new Float64Array(rows) }) },
  { kernel: 'pcaProject', shape: 'dense 784, 50 components', make: () => ({
    model: { rows: floats(50 * 784, 2), mean: floats(784, 3) }, dim: 784, components: 50, batch: dense(784), out: new Float32Array(rows * 50) }) },
  { kernel: 'linearLearnerPredict', shape: 'dense 784, softmax over 10', make: () => ({
    model: { loss: 2, dim: 784, classes: 10, threshold: 0, weights: floats(784 * 10, 4), bias: floats(10, 5) }, batch: dense(784),
    outputs: { score: new Float32Array(rows * 10), predictedLabel: new Float32Array(rows) } }) },
  { kernel: 'linearLearnerPredict', shape: 'sparse 2^20, 30 nnz, binary', make: () => ({
    model: { loss: 0, dim: 1 << 20, classes: 1, threshold: 0, weights: floats(1 << 20, 6), bias: floats(1, 7) }, batch: sparse(1 << 20, 30),
    outputs: { score: new Float32Array(rows), predictedLabel: new Float32Array(rows) } }) },
  { kernel: 'fmPredict', shape: 'sparse 100k, 30 nnz, k=64', make: () => ({
    model: { dim: 100_000, k: 64, bias: 0.1, logistic: true, linear: floats(100_000, 8), factors: floats(100_000 * 64, 9) }, batch: sparse(100_000, 30),
    score: new Float32Array(rows), label: new Float32Array(rows) }) },
];

async function measure(backend: Backend, c: Case): Promise<RowKernelRow> {
  const inputs = c.make();
  const previous = process.env.BOUNDLESS_STRICT_BACKEND;
  process.env.BOUNDLESS_STRICT_BACKEND = '1';
  try {
    const { medianMs } = await time(() => runKernel(backend, c.kernel, inputs as never), 800, 2);
    return { kernel: c.kernel, shape: c.shape, backend: backend.name, ms: medianMs, rowsPerSecond: rows / (medianMs / 1000) };
  } catch (error) {
    // A call the backend declines (llvmpipe's loop limit, say) is reported, not timed on cpu.
    if (!(error instanceof StrictBackendError)) throw error;
    return { kernel: c.kernel, shape: c.shape, backend: backend.name, ms: NaN, rowsPerSecond: NaN, declined: error.declined.message };
  } finally {
    if (previous === undefined) delete process.env.BOUNDLESS_STRICT_BACKEND;
    else process.env.BOUNDLESS_STRICT_BACKEND = previous;
  }
}

export async function runRowKernels(): Promise<{ rows: RowKernelRow[]; notes: string[] }> {
  const reports = (await listBackends()).filter((r) => r.available);
  const results: RowKernelRow[] = [];
  const notes: string[] = [];
  for (const report of reports) {
    const backend = await createBackend(report.name);
    try {
      for (const c of cases) {
        const result = await measure(backend, c);
        results.push(result);
        process.stderr.write(`${c.kernel} · ${c.shape} · ${report.name}: ${result.declined ? `declined (${result.declined})` : `${result.ms.toFixed(3)} ms`}\n`);
      }
      notes.push(`${report.name}: ${report.reason}`);
    } finally {
      await backend.dispose();
    }
  }
  notes.push('One call on a 1000-row batch, median over at least 3 runs after 2 warm-ups, BOUNDLESS_STRICT_BACKEND=1 (a GPU backend that fell back would fail).');
  return { rows: results, notes };
}

export function rowKernelsTable(rows: RowKernelRow[]): string {
  const cpu = new Map(rows.filter((r) => r.backend === 'cpu').map((r) => [`${r.kernel} ${r.shape}`, r.ms]));
  return [
    '| kernel | shape | backend | ms per 1000 rows | rows/s | × cpu |',
    '|---|---|---|---:|---:|---:|',
    ...rows.map((r) => {
      if (r.declined) return `| ${r.kernel} | ${r.shape} | ${r.backend} | declined: ${r.declined} | | |`;
      const ratio = (cpu.get(`${r.kernel} ${r.shape}`) ?? NaN) / r.ms;
      return `| ${r.kernel} | ${r.shape} | ${r.backend} | ${r.ms.toFixed(3)} | ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} | ${ratio.toFixed(2)}× |`;
    }),
  ].join('\n');
}
