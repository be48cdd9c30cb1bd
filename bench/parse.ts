// Parsing throughput: files of at least 1 GB in each format into batches,
// against the I/O ceiling (cat), the csv-parse npm package and pandas
// read_csv, in the same run; and peak RSS for a 1 GB and a 10 GB stream, to
// show memory does not grow with the data.
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { readBatches } from '../lib/index.js';
import { benchFile, denseColumns, sparseDim, type BenchFormat } from './generate-data.js';

export interface ParseRow { format: string; implementation: string; seconds: number; mbPerSecond: number; recordsPerSecond: number | null; note?: string }

const dataDir = process.env.BOUNDLESS_BENCH_DATA ?? join(fileURLToPath(new URL('.', import.meta.url)), 'data');
const gigabyte = Number(process.env.BOUNDLESS_BENCH_BYTES ?? 1e9);
const scriptPath = fileURLToPath(import.meta.url);

function timeCommand(command: string, args: string[], env?: NodeJS.ProcessEnv): { seconds: number; stdout: string } {
  const start = performance.now();
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: env ?? process.env });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return { seconds: (performance.now() - start) / 1000, stdout: result.stdout };
}

/** Our reader in a child process (a clean heap and its own peak RSS). */
function boundlessParse(path: string, format: BenchFormat): { seconds: number; records: number; maxRssMB: number } {
  const output = execFileSync(process.execPath, ['--import', 'tsx', scriptPath, '--child', path, format], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(output);
}

async function child(path: string, format: BenchFormat): Promise<void> {
  const options = format === 'csv' ? { format } : format === 'recordio' ? { format, featureDim: denseColumns }
    : format === 'libsvm' ? { format, featureDim: sparseDim } : { format, hashBits: 22 };
  const start = performance.now();
  let records = 0;
  let checksum = 0;
  for await (const batch of readBatches(path === '-' ? '-' : path, { miniBatchSize: 4096, ...options } as never)) {
    records += batch.rows;
    checksum += batch.values[0];
  }
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(JSON.stringify({ seconds, records, checksum, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
}

function csvParsePeer(path: string): { seconds: number; records: number } {
  const script = `
    import { createReadStream } from 'node:fs';
    import { parse } from 'csv-parse';
    const start = performance.now();
    let records = 0;
    const row = new Float32Array(${denseColumns + 1});
    for await (const fields of createReadStream(${JSON.stringify(path)}, { highWaterMark: 1 << 20 }).pipe(parse())) {
      for (let i = 0; i < fields.length; i++) row[i] = Number(fields[i]);
      records++;
    }
    console.log(JSON.stringify({ seconds: (performance.now() - start) / 1000, records }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

function pandasPeer(path: string): { seconds: number; records: number; version: string } | undefined {
  const script = `
import time, json, sys
import numpy as np, pandas as pd
start = time.perf_counter()
frame = pd.read_csv(${JSON.stringify(path)}, header=None, dtype=np.float32, engine='c')
print(json.dumps({"seconds": time.perf_counter() - start, "records": len(frame), "version": pd.__version__}))`;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const result = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env, maxBuffer: 1 << 20 });
  return result.status === 0 ? JSON.parse(result.stdout) : undefined;
}

/** Peak RSS of our reader on a generated stream of `bytes` on stdin (no file: memory cannot come from the page cache). */
function streamRss(bytes: number): { seconds: number; records: number; maxRssMB: number } {
  const generator = `
    import { Random } from './lib/random.ts';
    import { denseCsvRows } from './bench/generate-data.ts';
    const random = Random.fromSeed(7);
    let written = 0;
    const block = denseCsvRows(random, 20000);
    const target = ${bytes};
    function pump() {
      while (written < target) {
        written += block.length;
        if (!process.stdout.write(block)) return process.stdout.once('drain', pump);
      }
      process.stdout.end();
    }
    pump();`;
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
  const command = `${process.execPath} --import tsx --input-type=module -e "${generator.replace(/"/g, '\\"').replace(/\n/g, ' ')}" | ${process.execPath} --import tsx ${scriptPath} --child - csv`;
  const output = execFileSync('bash', ['-c', command], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(output);
}

export async function runParse(): Promise<{ rows: ParseRow[]; notes: string[]; memory: Record<string, unknown>[] }> {
  const rows: ParseRow[] = [];
  const notes: string[] = [];
  const row = (format: string, implementation: string, bytes: number, seconds: number, records: number | null, note?: string): ParseRow =>
    ({ format, implementation, seconds, mbPerSecond: bytes / 1e6 / seconds, recordsPerSecond: records === null ? null : records / seconds, ...(note ? { note } : {}) });
  for (const format of ['csv', 'libsvm', 'vw', 'recordio'] as const) {
    process.stderr.write(`  ${format}: generating or reusing ${gigabyte / 1e9} GB ...\n`);
    const path = await benchFile(dataDir, format, gigabyte);
    const bytes = statSync(path).size;
    const cat = timeCommand('bash', ['-c', `cat ${path} > /dev/null`]);
    rows.push(row(format, 'cat > /dev/null (I/O ceiling)', bytes, cat.seconds, null));
    const ours = boundlessParse(path, format);
    rows.push(row(format, 'boundless readBatches (1 core parse)', bytes, ours.seconds, ours.records, `peak RSS ${ours.maxRssMB.toFixed(0)} MB`));
    if (format === 'csv') {
      const peer = csvParsePeer(path);
      rows.push(row(format, 'csv-parse 7 (+ Number())', bytes, peer.seconds, peer.records));
      const pandas = pandasPeer(path);
      if (pandas) rows.push(row(format, `pandas ${pandas.version} read_csv (C engine, float32)`, bytes, pandas.seconds, pandas.records));
      else notes.push('pandas: not importable by /usr/bin/python3 (apt-get install python3-pandas)');
    }
  }
  const memory: Record<string, unknown>[] = [];
  for (const size of [1e9, 10e9]) {
    if (process.env.BOUNDLESS_BENCH_SKIP_10GB && size > 1e9) continue;
    process.stderr.write(`  streaming ${size / 1e9} GB of CSV through stdin ...\n`);
    const result = streamRss(size);
    memory.push({ streamGB: size / 1e9, records: result.records, seconds: result.seconds, peakRssMB: Math.round(result.maxRssMB) });
  }
  return { rows, notes, memory };
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4] as BenchFormat);
}
