// Generated benchmark data, written once into bench/data/ (ignored by git)
// and reused: dense CSV of floats, sparse libsvm, VW text and recordIO.
// Deterministic, so every run measures the same bytes.
import { createWriteStream, existsSync, statSync, mkdirSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Random } from '../lib/random.js';
import { encodeRecord, frameRecord } from '../lib/io/formats/recordio-protobuf.js';

export const denseColumns = 40;
export const sparseDim = 1 << 22;
export const sparseNonZeros = 30;

/** One chunk of text rows (or recordIO frames) from row `start`; dense CSV has `columns` features after the label. */
export function denseCsvRows(random: Random, rows: number, columns = denseColumns): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells = [random.nextFloat() < 0.5 ? '0' : '1'];
    for (let c = 0; c < columns; c++) cells.push((random.nextGaussian() * 10).toFixed(5));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

function sparseRow(random: Random): { label: number; indices: number[]; values: number[] } {
  const indices = Array.from({ length: sparseNonZeros }, () => random.nextUint32() % sparseDim).sort((a, b) => a - b);
  const values = indices.map(() => Math.round(random.nextFloat() * 1000) / 1000);
  return { label: random.nextFloat() < 0.3 ? 1 : -1, indices, values };
}

function libsvmRows(random: Random, rows: number): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = sparseRow(random);
    lines.push(`${row.label} ${row.indices.map((j, k) => `${j + 1}:${row.values[k]}`).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

function vwRows(random: Random, rows: number): string {
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const features = Array.from({ length: sparseNonZeros }, () => `f${random.nextUint32() % 1000000}:${(random.nextFloat() * 10).toFixed(3)}`);
    lines.push(`${random.nextFloat() < 0.3 ? 1 : -1} |user ${features.slice(0, 10).join(' ')} |ad ${features.slice(10).join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

function recordioRows(random: Random, rows: number): Buffer {
  const frames: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) {
    const values = Array.from({ length: denseColumns }, () => random.nextGaussian() * 10);
    frames.push(frameRecord(encodeRecord({ values }, random.nextFloat() < 0.5 ? 0 : 1)));
  }
  return Buffer.concat(frames);
}

export type BenchFormat = 'csv' | 'libsvm' | 'vw' | 'recordio';

const generators: Record<BenchFormat, (random: Random, rows: number) => string | Buffer> = {
  csv: denseCsvRows, libsvm: libsvmRows, vw: vwRows, recordio: recordioRows,
};

/** The path of a generated file of at least `bytes`, creating it when missing. */
export async function benchFile(directory: string, format: BenchFormat, bytes: number): Promise<string> {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${format}-${Math.round(bytes / 1e6)}MB.${format === 'recordio' ? 'rec' : format}`);
  if (existsSync(path) && statSync(path).size >= bytes) return path;
  const temporary = `${path}.partial`;
  const out = createWriteStream(temporary);
  const random = Random.fromSeed(42);
  let written = 0;
  while (written < bytes) {
    const chunk = generators[format](random, 2000);
    written += Buffer.byteLength(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(temporary, path);
  return path;
}
