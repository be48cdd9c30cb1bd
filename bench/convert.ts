// `boundless convert` throughput: a dense CSV (400k rows × 64 features,
// label first) converted to recordIO-protobuf, file to file and stdin to
// stdout, against parsing the same file alone in the same run (the goal:
// convert at ≥ 0.8× parse-only rows/s); and peak RSS of convert on a
// generated stream on stdin of 1× and 10× the rows (goal: 10× ≤ 1.1× of 1×).
// Each measurement runs in a child process: a clean heap and its own peak RSS.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBatches, writeRows } from '../lib/index.js';
import { Random } from '../lib/random.js';
import { denseCsvRows } from './generate-data.js';

export interface ConvertRow { measurement: string; rows: number; seconds: number; rowsPerSecond: number; maxRssMB: number; ratio?: number }

const dataDir = process.env.BOUNDLESS_BENCH_DATA ?? join(fileURLToPath(new URL('.', import.meta.url)), 'data');
const scriptPath = fileURLToPath(import.meta.url);
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const rows = Number(process.env.BOUNDLESS_BENCH_CONVERT_ROWS ?? 400_000);
const columns = 64;

async function csvFile(): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `convert-${rows}x${columns}.csv`);
  if (existsSync(path)) return path;
  const out = createWriteStream(`${path}.partial`);
  const random = Random.fromSeed(42);
  for (let written = 0; written < rows; written += 2000) {
    if (!out.write(denseCsvRows(random, Math.min(2000, rows - written), columns))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(`${path}.partial`, path);
  return path;
}

/** In the child: parse only, or convert to recordIO (a path, or '-' for stdout). */
async function child(mode: 'parse' | 'convert', input: string, output: string): Promise<void> {
  const start = performance.now();
  const stream = readBatches(input, { format: 'csv', miniBatchSize: 4096 });
  let records = 0;
  if (mode === 'parse') {
    for await (const batch of stream) records += batch.rows;
  } else {
    records = (await writeRows(stream, 'recordio', output === '-' ? process.stdout : output)).records;
  }
  const seconds = (performance.now() - start) / 1000;
  process.stderr.write(`\n@@${JSON.stringify({ seconds, records, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

function measure(command: string): { seconds: number; records: number; maxRssMB: number } {
  const result = execFileSync('bash', ['-c', `${command} 2>&1 >/dev/null | grep '^@@'`], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(result.trim().slice(2));
}

const self = `${process.execPath} --import tsx ${scriptPath} --child`;

/** A generated stream of `count` rows on stdin (the same 20,000-row block repeated): nothing comes from a file. */
function generatedStream(count: number): string {
  const generator = `
    import { Random } from './lib/random.ts';
    import { denseCsvRows } from './bench/generate-data.ts';
    const block = denseCsvRows(Random.fromSeed(7), 20000, ${columns});
    let left = ${count} / 20000;
    function pump() {
      while (left-- > 0) if (!process.stdout.write(block)) return process.stdout.once('drain', pump);
      process.stdout.end();
    }
    pump();`;
  return `${process.execPath} --import tsx --input-type=module -e "${generator.replace(/"/g, '\\"').replace(/\n/g, ' ')}"`;
}

export async function runConvert(): Promise<{ rows: ConvertRow[]; notes: string[] }> {
  const path = await csvFile();
  const target = join(dataDir, 'convert-output.rec');
  const row = (measurement: string, m: { seconds: number; records: number; maxRssMB: number }): ConvertRow =>
    ({ measurement, rows: m.records, seconds: m.seconds, rowsPerSecond: m.records / m.seconds, maxRssMB: m.maxRssMB });
  // Warm the page cache so that both read the file from memory.
  execFileSync('bash', ['-c', `cat ${path} > /dev/null`]);
  const parse = row('parse only (readBatches, csv)', measure(`${self} parse ${path} -`));
  const toFile = row('convert csv → recordio, file → file', measure(`${self} convert ${path} ${target}`));
  const outputBytes = statSync(target).size;
  rmSync(target);
  const parsePiped = row('parse only, stdin (cat file |)', measure(`cat ${path} | ${self} parse - -`));
  const piped = row('convert csv → recordio, stdin → stdout', measure(`cat ${path} | ${self} convert - -`));
  toFile.ratio = toFile.rowsPerSecond / parse.rowsPerSecond;
  piped.ratio = piped.rowsPerSecond / parsePiped.rowsPerSecond;
  const one = row(`convert, generated stream of ${rows} rows on stdin → stdout`, measure(`${generatedStream(rows)} | ${self} convert - -`));
  const ten = row(`convert, generated stream of ${10 * rows} rows on stdin → stdout`, measure(`${generatedStream(10 * rows)} | ${self} convert - -`));
  ten.ratio = ten.maxRssMB / one.maxRssMB;
  const notes = [
    `${rows} rows × ${columns} features, ${(statSync(path).size / 1e6).toFixed(0)} MB of CSV, ${(outputBytes / 1e6).toFixed(0)} MB of recordIO; mini-batches of 4096 rows.`,
    'ratio: rows/s against parse only from the same source (file, or stdin) (goal ≥ 0.8); for the 10× stream, its peak RSS against the 1× stream (goal ≤ 1.1).',
  ];
  return { rows: [parse, toFile, parsePiped, piped, one, ten], notes };
}

export function convertTable(rows: ConvertRow[]): string {
  return ['| measurement | rows | seconds | rows/s | peak RSS MB | ratio |', '|---|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.measurement} | ${r.rows} | ${r.seconds.toFixed(2)} | ${Math.round(r.rowsPerSecond)} | ${r.maxRssMB.toFixed(0)} | ${r.ratio?.toFixed(2) ?? ''} |`)].join('\n');
}

if (process.argv[2] === '--child') await child(process.argv[3] as 'parse' | 'convert', process.argv[4], process.argv[5]);
