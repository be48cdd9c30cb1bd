// Where a cuda training batch's time goes, for PCA's moments and randomized sketch at 784
// features (bench gpu-training's slowest cuda rows): the batch check the kernel runs first
// (validateFeatureRows, on a libuv thread), the addon's call alone (the batch packed into the
// page-locked buffer, its copy and the launches enqueued) and the device's work it waits for at the
// read-back, the same call with one-row batches (what a call costs whatever its size), and the
// whole kernel through runKernel — each in ms per batch of 1000 rows, cpu's kernel beside them.
// Needs a GPU: without one (or on the CPU emulation) it says so and measures nothing.
import { createBackend, listBackends, runKernel, settleState } from '../lib/index.js';
import type { CudaBackend } from '../lib/backends/cuda.js';
import { loadCoreAddon } from '../lib/backends/native-addon.js';
import type { DenseBatch } from '../lib/data/batch.js';

export interface GpuOverheadRow { kernel: string; stage: string; msPerBatch: number }

const dim = 784;
const ell = 60;
const rowsPerBatch = 1000;
const batchCount = 50;

function batch(rows: number, seed: number): DenseBatch {
  let state = seed >>> 0;
  const values = Float32Array.from({ length: rows * dim }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return 100 + state / 2 ** 31 - 1;
  });
  return { kind: 'dense', rows, cols: dim, values };
}

async function timed(batches: DenseBatch[], add: (b: DenseBatch) => Promise<void>, finish: () => Promise<void>): Promise<{ enqueue: number; total: number }> {
  const started = performance.now();
  for (const b of batches) await add(b);
  const enqueued = performance.now();
  await finish();
  const done = performance.now();
  return { enqueue: (enqueued - started) / batches.length, total: (done - started) / batches.length };
}

export async function runGpuOverhead(): Promise<{ rows: GpuOverheadRow[]; notes: string[] }> {
  const report = (await listBackends()).find((r) => r.name === 'cuda');
  if (!report?.available || report.details.emulated === true) {
    return { rows: [], notes: [`cuda: ${report?.reason ?? 'not registered'}; nothing measured (this bench needs a GPU)`] };
  }
  const gpu = (await createBackend('cuda')) as CudaBackend;
  const cpu = await createBackend('cpu');
  const rows: GpuOverheadRow[] = [];
  const batches = Array.from({ length: batchCount }, (_, b) => batch(rowsPerBatch, b + 1));
  const tiny = Array.from({ length: batchCount }, (_, b) => batch(1, b + 1));
  const origin = Float64Array.from(batches[0].values.subarray(0, dim));
  const omega = Float64Array.from({ length: dim * ell }, (_, i) => (((i * 2654435761) >>> 0) % 2 === 0 ? 1 : -1));
  const core = loadCoreAddon();
  try {
    const check = await timed(batches, async (b) => { await core.validateFeatureRows(b, dim, 'pcaAccumulate'); }, async () => {});
    for (const kernel of ['pcaAccumulate', 'pcaRandomizedAccumulate'] as const) {
      rows.push({ kernel, stage: 'batch check (validateFeatureRows)', msPerBatch: check.total });
      const addon = async (list: DenseBatch[]) => {
        if (kernel === 'pcaAccumulate') {
          const handle = gpu.addon.pcaMomentsOpen(dim);
          const read = () => gpu.addon.pcaMomentsRead(handle, new Float64Array(1), new Float64Array(dim), new Float64Array(dim * dim));
          await gpu.addon.pcaMomentsAdd(handle, list[0].values, null, origin, list[0].rows);
          await read();  // the first call's set-up (buffers, module loading) is not timed
          const t = await timed(list, (b) => gpu.addon.pcaMomentsAdd(handle, b.values, null, origin, b.rows), read);
          gpu.addon.pcaMomentsClose(handle);
          return t;
        }
        const handle = gpu.addon.pcaSketchOpen(dim, ell, omega, origin);
        const read = () => gpu.addon.pcaSketchRead(handle, new Float64Array(1), new Float64Array(dim), new Float64Array(1), new Float64Array(dim * ell));
        await gpu.addon.pcaSketchAdd(handle, list[0].values, null, list[0].rows);
        await read();
        const t = await timed(list, (b) => gpu.addon.pcaSketchAdd(handle, b.values, null, b.rows), read);
        gpu.addon.pcaSketchClose(handle);
        return t;
      };
      const full = await addon(batches);
      rows.push({ kernel, stage: 'addon calls: enqueued (copy into page-locked memory, launches)', msPerBatch: full.enqueue });
      rows.push({ kernel, stage: 'addon calls: enqueued and read back (the device work)', msPerBatch: full.total });
      rows.push({ kernel, stage: 'addon calls of one row each, read back', msPerBatch: (await addon(tiny)).total });
      for (const backend of [gpu, cpu]) {
        const moments = { count: new Float64Array(1), sum: new Float64Array(dim), origin, cross: new Float64Array(dim * dim) };
        const sketch = { count: new Float64Array(1), sum: new Float64Array(dim), origin, squares: new Float64Array(1), y: new Float64Array(dim * ell) };
        const add = (b: DenseBatch) => (kernel === 'pcaAccumulate'
          ? runKernel(backend, kernel, { moments, dim, batch: b })
          : runKernel(backend, kernel, { sketch, omega, dim, ell, batch: b }));
        await add(batches[0]);
        const key = kernel === 'pcaAccumulate' ? moments.cross : sketch.y;
        await settleState({ tensors: { held: { data: key } } });
        const t = await timed(batches, add, () => settleState({ tensors: { held: { data: key } } }));
        rows.push({ kernel, stage: `runKernel on ${backend.name}, settled`, msPerBatch: t.total });
      }
    }
  } finally {
    await gpu.dispose();
    await cpu.dispose();
  }
  return {
    rows,
    notes: [
      `cuda: ${report.reason}`,
      `${batchCount} batches of ${rowsPerBatch} rows × ${dim} features (uniform in [99, 101)), the same arrays each stage; randomized: ℓ = ${ell}.`,
      'Each stage after one untimed call (buffers grown, kernels loaded). cpu: the core addon at the thread budget.',
    ],
  };
}

export function gpuOverheadTable(rows: GpuOverheadRow[]): string {
  return ['| kernel | stage | ms per batch |', '|---|---|---:|', ...rows.map((r) => `| ${r.kernel} | ${r.stage} | ${r.msPerBatch.toFixed(3)} |`)].join('\n');
}
