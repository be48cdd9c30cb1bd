// Every core of one machine: whole processes at BOUNDLESS_NUM_THREADS = 1, 2, … (the thread
// budget), on a 400,000-row × 64-column dense CSV and a 400,000-row sparse libsvm file.
// - parse only: the reader alone (readBatches into the trainer's batches), rows/s;
// - train: `boundless train --epochs 1` end to end (start-up, parsing, kernels, finalize, model writing),
//   for PCA, k-means, factorization machines and the linear learner with one model.
// Reported: parse rows/s at N threads ÷ 1 thread, train at N ÷ 1, and train ÷ parse-only at the
// same threads (how much of a run is not parsing). BOUNDLESS_BENCH_THREADS="1 2 4" picks the
// counts (default: 1 and 2); BOUNDLESS_BENCH_REPEATS the runs per cell (median; default 3);
// BOUNDLESS_BENCH_JOBS="parse pca" a subset of the jobs.
import { closeSync, createWriteStream, existsSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../lib/random.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dataDir = process.env.BOUNDLESS_BENCH_DATA ?? join(root, 'bench', 'data');
const cli = process.env.BOUNDLESS_CLI ?? join(root, 'dist', 'cli', 'main.js');
/** The library beside the CLI (dist/index.js, or the GPU bundle's lib/index.js). */
const library = join(dirname(dirname(cli)), 'index.js');
/** GNU time measures peak RSS; a machine without it (the lent GPU machine) reports RSS as unknown. */
const gnuTime = existsSync('/usr/bin/time');
const threadCounts = (process.env.BOUNDLESS_BENCH_THREADS ?? '1 2').split(/\s+/).filter(Boolean).map(Number);
const repeats = Number(process.env.BOUNDLESS_BENCH_REPEATS ?? 3);
// BOUNDLESS_BENCH_JOBS="parse pca": only the jobs whose names contain one of these words.
const jobFilter = process.env.BOUNDLESS_BENCH_JOBS?.split(/\s+/).filter(Boolean);
const rows = 400_000;
const columns = 64;
const sparseDim = 100_000;

export interface ThreadsRow {
  data: string; job: string; threads: number;
  /** Wall time of the whole process (start-up, parsing, training, writing). */
  seconds: number;
  /** Parse only: the reading loop's own time, without the process's start-up. */
  innerSeconds?: number;
  rowsPerSecond: number; maxRssMB: number;
  /** CPU seconds of the whole process, every thread (user + system), median of the runs. */
  cpuSeconds?: number;
}

async function writeOnce(path: string, make: (random: Random, count: number) => string): Promise<string> {
  if (existsSync(path)) return path;
  mkdirSync(dataDir, { recursive: true });
  const out = createWriteStream(`${path}.partial`);
  const random = Random.fromSeed(16);
  for (let done = 0; done < rows; done += 2000) {
    if (!out.write(make(random, 2000))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${path}.partial`, path);
  return path;
}

/** Label 0/1 from a linear rule plus noise, 64 Gaussian features: something every algorithm can learn. */
function denseRows(random: Random, count: number): string {
  const lines: string[] = [];
  for (let r = 0; r < count; r++) {
    const x = Array.from({ length: columns }, () => random.nextGaussian() * 3 + 10);
    const label = x[0] - x[1] + random.nextGaussian() > 0 ? 1 : 0;
    lines.push(`${label},${x.map((v) => v.toFixed(4)).join(',')}`);
  }
  return lines.join('\n') + '\n';
}

/** 30 non-zeros of 100,000 features, one-hot style (value 1) with a few real values. */
function sparseRows(random: Random, count: number): string {
  const lines: string[] = [];
  for (let r = 0; r < count; r++) {
    const indices = new Set<number>();
    while (indices.size < 30) indices.add(1 + (random.nextUint32() % sparseDim));
    const sorted = [...indices].sort((a, b) => a - b);
    const label = (sorted[0] % 3 === 0) !== random.nextFloat() < 0.1 ? 1 : 0;
    lines.push(`${label} ${sorted.map((j, k) => `${j}:${k < 25 ? 1 : (random.nextFloat() * 2).toFixed(3)}`).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

const parseScript = (path: string, format: string, featureDim: string) => `
  import { readBatches } from ${JSON.stringify(library)};
  const start = performance.now();
  let records = 0;
  for await (const batch of readBatches(${JSON.stringify(path)}, { format: ${JSON.stringify(format)}, ${featureDim} miniBatchSize: 1000 })) records += batch.rows;
  console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, records }));`;

/**
 * Reads a file through once, so that it is in the page cache when a timed run reads it: this VM
 * reclaims idle page cache (DAMON), and a run that found its input evicted timed the disk (parse
 * only, dense CSV: 1.12 s cold against 0.70 s warm).
 */
export function warm(path: string): void {
  const fd = openSync(path, 'r');
  const buffer = Buffer.allocUnsafe(8 << 20);
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0) { /* reading is the point */ }
  } finally {
    closeSync(fd);
  }
}

/** Wall seconds of a whole process (start-up included) and its peak RSS. */
export function timeProcess(args: string[], threads: number): { seconds: number; maxRssMB: number; cpuSeconds: number; stdout: string } {
  const start = performance.now();
  const [command, commandArgs] = gnuTime ? ['/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...args]] : [process.execPath, args];
  const result = spawnSync(command, commandArgs, {
    encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) },
  });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr.slice(-2000)}`);
  const [rss, user, system] = gnuTime ? result.stderr.trim().split('\n').pop()!.split(' ').map(Number) : [NaN, NaN, NaN];
  return { seconds, maxRssMB: rss / 1024, cpuSeconds: user + system, stdout: result.stdout };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Job { name: string; args: (path: string, dir: string) => string[] }

function jobs(format: 'csv' | 'libsvm'): Job[] {
  const data = format === 'csv' ? ['--format', 'csv'] : ['--format', 'libsvm', '--feature-dim', String(sparseDim)];
  const train = (algorithm: string, ...hp: string[]) => (path: string, dir: string) =>
    [cli, 'train', algorithm, '--train', path, ...data, '--epochs', '1', '--model-dir', dir, ...hp.flatMap((h) => ['--hp', h])];
  return [
    { name: 'parse only', args: (path) => ['--input-type=module', '-e', parseScript(path, format, format === 'csv' ? '' : `featureDim: ${sparseDim},`)] },
    ...(format === 'csv' ? [{ name: 'train pca', args: train('pca', 'num_components=8') }] : []),
    { name: 'train kmeans', args: train('kmeans', 'k=10') },
    { name: 'train factorization-machines', args: train('factorization-machines', 'predictor_type=binary_classifier', 'num_factors=8', 'num_models=1') },
    { name: 'train linear-learner (1 model)', args: train('linear-learner', 'predictor_type=binary_classifier', 'num_models=1') },
  ];
}

/** The two generated files (written once into bench/data/): 400k × 64 dense CSV and 400k sparse libsvm over 100k features. */
export async function threadsDataFiles(): Promise<{ dense: string; sparse: string; sparseDim: number; rows: number }> {
  const dense = await writeOnce(join(dataDir, `threads-dense-${rows}x${columns}.csv`), denseRows);
  const sparse = await writeOnce(join(dataDir, `threads-sparse-${rows}.libsvm`), sparseRows);
  return { dense, sparse, sparseDim, rows };
}

export async function runThreads(): Promise<{ rows: ThreadsRow[]; notes: string[] }> {
  const { dense, sparse } = await threadsDataFiles();
  const out: ThreadsRow[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'boundless-threads-'));
  try {
    for (const [label, path, format] of [['dense CSV 400k × 64', dense, 'csv'], ['sparse libsvm 400k × 100k (30 nnz)', sparse, 'libsvm']] as const) {
      for (const job of jobs(format).filter((j) => !jobFilter || j.name === 'parse only' || jobFilter.some((word) => j.name.includes(word)))) {
        for (const threads of threadCounts) {
          const runs = Array.from({ length: repeats }, () => {
            warm(path);
            return timeProcess(job.args(path, scratch), threads);
          });
          const seconds = median(runs.map((r) => r.seconds));
          const inner = job.name === 'parse only' ? median(runs.map((r) => JSON.parse(r.stdout.trim().split('\n').pop()!).seconds)) : undefined;
          out.push({ data: label, job: job.name, threads, seconds, ...(inner !== undefined ? { innerSeconds: inner } : {}),
            rowsPerSecond: rows / (inner ?? seconds), maxRssMB: Math.max(...runs.map((r) => r.maxRssMB)),
            cpuSeconds: median(runs.map((r) => r.cpuSeconds)) });
          process.stderr.write(`${label} · ${job.name} · ${threads} threads: ${seconds.toFixed(2)} s\n`);
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const mb = (path: string) => (statSync(path).size / 1e6).toFixed(0);
  return {
    rows: out,
    notes: [
      `Data generated here (deterministic, bench/data/): ${mb(dense)} MB dense CSV, ${mb(sparse)} MB libsvm.`,
      `Whole processes, wall time including Node start-up and model writing; median of ${repeats}.`,
      'Parse only = readBatches over the file into batches of 1000 rows (what the trainer reads), nothing else.',
      'Each run finds its input in the page cache (the file is read through just before it): disk reads are not timed.',
      ...(gnuTime ? [] : ['Peak RSS unknown: /usr/bin/time is not on this machine.']),
    ],
  };
}

/** Ratios: threads ÷ 1 thread per job, and train ÷ parse-only at the same threads. */
export function threadsMarkdown(rows: ThreadsRow[]): string {
  const counts = [...new Set(rows.map((r) => r.threads))];
  const parsing = rows.filter((r) => r.innerSeconds !== undefined);
  const parseTable = ['Parsing alone (the reading loop, without process start-up):', '',
    `| data | ${counts.map((t) => `${t} thr rows/s`).join(' | ')} | ${counts.slice(1).map((t) => `${t}÷1`).join(' | ')} |`,
    `|---|${counts.map(() => '---:').join('|')}|${counts.slice(1).map(() => '---:').join('|')}|`];
  for (const data of [...new Set(parsing.map((r) => r.data))]) {
    const at = counts.map((t) => parsing.find((r) => r.data === data && r.threads === t)!);
    parseTable.push(`| ${data} | ${at.map((r) => Math.round(r.rowsPerSecond).toLocaleString('en-US')).join(' | ')} | ${at.slice(1).map((r) => `${(r.rowsPerSecond / at[0].rowsPerSecond).toFixed(2)}×`).join(' | ')} |`);
  }
  const head = `| data | job | ${counts.map((t) => `${t} thr s`).join(' | ')} | ${counts.slice(1).map((t) => `${t}÷1 speed-up`).join(' | ')} | ${counts.map((t) => `÷ parse at ${t}`).join(' | ')} | peak RSS MB |`;
  const out = [head, `|---|---|${counts.map(() => '---:').join('|')}|${counts.slice(1).map(() => '---:').join('|')}|${counts.map(() => '---:').join('|')}|---:|`];
  const cell = (data: string, job: string, t: number) => rows.find((r) => r.data === data && r.job === job && r.threads === t)!;
  for (const data of [...new Set(rows.map((r) => r.data))]) {
    for (const job of [...new Set(rows.filter((r) => r.data === data).map((r) => r.job))]) {
      const at = counts.map((t) => cell(data, job, t));
      const parse = counts.map((t) => cell(data, 'parse only', t));
      out.push(`| ${data} | ${job} | ${at.map((r) => r.seconds.toFixed(2)).join(' | ')} | ${at.slice(1).map((r) => `${(at[0].seconds / r.seconds).toFixed(2)}×`).join(' | ')} | ` +
        `${at.map((r, i) => `${(r.seconds / parse[i].seconds).toFixed(2)}`).join(' | ')} | ${Math.max(...at.map((r) => r.maxRssMB)).toFixed(0)} |`);
    }
  }
  return [...parseTable, '', 'Whole processes (wall time, start-up and model writing included):', '', ...out, '', ...cpuTable(rows, counts)].join('\n');
}

/**
 * The CPU each process spent (every thread), and what it bounds: on N cores a job cannot end in
 * less than its CPU seconds ÷ N, so "÷ parse" cannot fall below that over parse-only's wall time.
 */
function cpuTable(rows: ThreadsRow[], counts: number[]): string[] {
  if (rows.some((r) => r.cpuSeconds === undefined || Number.isNaN(r.cpuSeconds))) return [];
  const last = counts[counts.length - 1];
  const out = ['CPU seconds of each whole process (user + system, every thread), and the least "÷ parse" its CPU allows on ' +
    `${last} cores (its CPU at ${last} threads ÷ ${last} ÷ parse-only's wall time at ${last}):`, '',
    `| data | job | ${counts.map((t) => `CPU s at ${t} thr`).join(' | ')} | CPU ÷ parse CPU at 1 | least ÷ parse at ${last} |`,
    `|---|---|${counts.map(() => '---:').join('|')}|---:|---:|`];
  const cell = (data: string, job: string, t: number) => rows.find((r) => r.data === data && r.job === job && r.threads === t)!;
  for (const data of [...new Set(rows.map((r) => r.data))]) {
    for (const job of [...new Set(rows.filter((r) => r.data === data).map((r) => r.job))]) {
      const at = counts.map((t) => cell(data, job, t));
      const parseFirst = cell(data, 'parse only', counts[0]);
      const parseLast = cell(data, 'parse only', last);
      const floor = Math.max(1, at[at.length - 1].cpuSeconds! / last / parseLast.seconds);
      out.push(`| ${data} | ${job} | ${at.map((r) => r.cpuSeconds!.toFixed(2)).join(' | ')} | ${(at[0].cpuSeconds! / parseFirst.cpuSeconds!).toFixed(2)} | ${floor.toFixed(2)} |`);
    }
  }
  return out;
}
