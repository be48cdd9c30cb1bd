// denseLinear (out = X·Wᵀ + b, the scoring step of M linear models) on every
// backend we have, against peers in the same run: a plain JavaScript loop,
// tfjs (wasm and cpu backends) and numpy (OpenBLAS sgemm) where installed.
// Variants of our cpu backend (baseline ISA, one thread) run in child
// processes because the ISA and pool size are fixed at load.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createBackend, listBackends, type Backend } from '../lib/index.js';
import { time } from './timing.js';

export interface Shape { name: string; rows: number; cols: number; models: number }

export const shapes: Shape[] = [
  { name: '32 models, 256 features', rows: 4096, cols: 256, models: 32 },
  { name: '1 model, 64 features', rows: 100_000, cols: 64, models: 1 },
  { name: '8 models, 4096 features', rows: 1024, cols: 4096, models: 8 },
];

export interface Row { shape: string; implementation: string; ms: number; gflops: number; note?: string }

function inputs(shape: Shape) {
  const x = Float32Array.from({ length: shape.rows * shape.cols }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const w = Float32Array.from({ length: shape.models * shape.cols }, (_, i) => ((i * 40503) % 1000) / 1000 - 0.5);
  const bias = Float32Array.from({ length: shape.models }, (_, i) => i / 10);
  return { x, w, bias, ...shape };
}

const flops = (s: Shape) => 2 * s.rows * s.cols * s.models;
const row = (shape: Shape, implementation: string, ms: number, note?: string): Row =>
  ({ shape: shape.name, implementation, ms, gflops: flops(shape) / ms / 1e6, ...(note ? { note } : {}) });

async function ours(backend: Backend, label: string, shape: Shape, note?: string): Promise<Row> {
  const data = inputs(shape);
  const out = new Float32Array(shape.rows * shape.models);
  const { medianMs } = await time(() => backend.run('denseLinear', { ...data, out }));
  return row(shape, label, medianMs, note);
}

function plainJs(shape: Shape): Promise<Row> {
  const { x, w, bias, rows, cols, models } = inputs(shape);
  const out = new Float32Array(rows * models);
  return time(() => {
    for (let r = 0; r < rows; r++) {
      for (let m = 0; m < models; m++) {
        let sum = bias[m];
        for (let c = 0; c < cols; c++) sum += x[r * cols + c] * w[m * cols + c];
        out[r * models + m] = sum;
      }
    }
  }, 400, 1).then(({ medianMs }) => row(shape, 'plain JavaScript loop', medianMs));
}

async function tfjs(shape: Shape, backendName: 'wasm' | 'cpu'): Promise<Row | undefined> {
  let tf: typeof import('@tensorflow/tfjs-core');
  try {
    tf = await import('@tensorflow/tfjs-core');
    if (backendName === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    else await import('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend(backendName);
    await tf.ready();
  } catch {
    return undefined;
  }
  const { x, w, bias, rows, cols, models } = inputs(shape);
  const tx = tf.tensor2d(x, [rows, cols]);
  const tw = tf.tensor2d(w, [models, cols]);
  const tb = tf.tensor1d(bias);
  const { medianMs } = await time(async () => {
    const result = tf.tidy(() => tf.add(tf.matMul(tx, tw, false, true), tb));
    await result.data();
    result.dispose();
  });
  tf.dispose([tx, tw, tb]);
  return row(shape, `tfjs ${backendName} (matMul + add)`, medianMs);
}

function numpy(shape: Shape): Row | { missing: string } {
  const script = `
import time, numpy as np, json, sys
rows, cols, models = ${shape.rows}, ${shape.cols}, ${shape.models}
x = (np.arange(rows*cols, dtype=np.int64) * 2654435761 % 1000 / 1000 - 0.5).astype(np.float32).reshape(rows, cols)
w = (np.arange(models*cols, dtype=np.int64) * 40503 % 1000 / 1000 - 0.5).astype(np.float32).reshape(models, cols)
b = (np.arange(models) / 10).astype(np.float32)
for _ in range(2): x @ w.T + b
samples = []
start = time.perf_counter()
while len(samples) < 3 or (time.perf_counter() - start < 0.6 and len(samples) < 200):
    t0 = time.perf_counter(); x @ w.T + b; samples.append((time.perf_counter() - t0) * 1000)
samples.sort()
# Which BLAS numpy really called: Debian's numpy falls back to the reference BLAS without OpenBLAS.
blas = ','.join(sorted({line.split('/')[-1].strip() for line in open('/proc/self/maps') if 'blas' in line}))
print(json.dumps({"ms": samples[len(samples)//2], "version": np.__version__, "blas": blas}))`;
  // OPENBLAS_CORETYPE pins old kernels on some machines here; unset both for a fair peer.
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const result = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env });
  if (result.status !== 0) return { missing: 'numpy not importable by /usr/bin/python3 (apt-get install python3-numpy)' };
  const parsed = JSON.parse(result.stdout) as { ms: number; version: string; blas: string };
  return row(shape, `numpy ${parsed.version} (x @ w.T + b)`, parsed.ms, parsed.blas ? `BLAS: ${parsed.blas}` : undefined);
}

/** Our cpu backend in a child process with the given environment (ISA, threads). */
function cpuVariant(env: Record<string, string>): Row[] {
  const output = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--cpu-only'],
    { env: { ...process.env, ...env }, encoding: 'utf8' });
  return JSON.parse(output) as Row[];
}

async function cpuOnly(): Promise<Row[]> {
  const cpu = await createBackend('cpu');
  const info = cpu.details as { isa: string; threads: number };
  const rows: Row[] = [];
  for (const shape of shapes) rows.push(await ours(cpu, `boundless cpu (${info.isa}, ${info.threads} threads)`, shape));
  return rows;
}

export async function runDenseLinear(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  const rows: Row[] = [...await cpuOnly()];
  // The variants run in child processes through tsx; the GPU bundle has no tsx (BOUNDLESS_BENCH_VARIANTS=0).
  if (process.env.BOUNDLESS_BENCH_VARIANTS !== '0') {
    rows.push(...cpuVariant({ BOUNDLESS_NUM_THREADS: '1' }));
    rows.push(...cpuVariant({ BOUNDLESS_NUM_THREADS: '1', BOUNDLESS_CPU_ISA: 'baseline' }));
  } else {
    notes.push('single-thread and baseline-ISA cpu variants not run (BOUNDLESS_BENCH_VARIANTS=0)');
  }
  for (const report of await listBackends()) {
    if (report.name === 'cpu') continue;
    if (!report.available) {
      notes.push(`${report.name}: unavailable (${report.reason})`);
      continue;
    }
    const backend = await createBackend(report.name);
    const software = report.details.software === true;
    for (const shape of shapes) {
      // A software rasterizer runs the WGSL for correctness only; one small shape shows its scale.
      if (software && shape !== shapes[0]) continue;
      rows.push(await ours(backend, `boundless ${report.name}`, shape,
        software ? `software adapter ${String(report.details.device)}: correctness path, not a speed claim` : String(report.reason)));
    }
    await backend.dispose();
  }
  for (const shape of shapes) {
    rows.push(await plainJs(shape));
    for (const name of ['wasm', 'cpu'] as const) {
      const result = await tfjs(shape, name);
      if (result) rows.push(result);
      else if (shape === shapes[0]) notes.push(`tfjs ${name}: not installed`);
    }
    const result = numpy(shape);
    if ('missing' in result) {
      if (shape === shapes[0]) notes.push(result.missing);
    } else {
      rows.push(result);
    }
  }
  return { rows, notes };
}

if (process.argv.includes('--cpu-only')) {
  process.stdout.write(JSON.stringify(await cpuOnly()));
}
