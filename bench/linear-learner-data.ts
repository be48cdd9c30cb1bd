// Data for the linear-learner benchmark, made once into bench/data/ (ignored):
//  - flights: 200,000 US domestic flights from the vega-datasets npm package (BSD-3-Clause;
//    the rows come from the US DOT's on-time statistics). Task: arrival delay over 15
//    minutes, from distance and departure time, featurized the same for every peer
//    (distance, log distance, the hour's sine and cosine, one-hot hour). Shuffled with a fixed
//    seed, split 160,000 / 40,000, written as CSV (label first) and libsvm.
//  - hashed: a generated click-style log, rows of 20 hashed indicator features out of a
//    2^22 space (Zipf-distributed ids), labels from a known sparse logistic model. libsvm.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../lib/index.js';

export const dataDir = process.env.BOUNDLESS_BENCH_DATA ?? join(fileURLToPath(new URL('.', import.meta.url)), 'data');
export const flightsFeatures = 28;
export const hashedFeatures = 2 ** 22;

export function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}

function flightsRow(delay: number, distance: number, time: number): number[] {
  const hour = Math.min(23, Math.floor(time));
  const angle = (2 * Math.PI * time) / 24;
  const oneHot = Array.from({ length: 24 }, (_, h) => (h === hour ? 1 : 0));
  return [delay > 15 ? 1 : 0, distance / 1000, Math.log(distance), Math.sin(angle), Math.cos(angle), ...oneHot];
}

export async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path + '.tmp');
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  renameSync(path + '.tmp', path);
}

const toCsv = (row: number[]) => row.map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(7))).join(',') + '\n';
const toSvm = (row: number[]) => `${row[0]} ${row.slice(1).map((v, j) => (v !== 0 ? `${j + 1}:${Number.isInteger(v) ? v : v.toPrecision(7)}` : '')).filter(Boolean).join(' ')}\n`;

export interface FlightsFiles { trainCsv: string; testCsv: string; trainSvm: string; testSvm: string; trainRows: number; testRows: number }

export async function flightsData(): Promise<FlightsFiles> {
  mkdirSync(dataDir, { recursive: true });
  const files = {
    trainCsv: join(dataDir, 'flights-train.csv'), testCsv: join(dataDir, 'flights-test.csv'),
    trainSvm: join(dataDir, 'flights-train.svm'), testSvm: join(dataDir, 'flights-test.svm'), trainRows: 160_000, testRows: 40_000,
  };
  if (existsSync(files.testSvm)) return files;
  const json = join(dataDir, 'flights-200k.json');
  if (!existsSync(json)) {
    execFileSync('npm', ['pack', 'vega-datasets@3.2.1', '--pack-destination', dataDir], { stdio: 'ignore' });
    execFileSync('tar', ['xzf', join(dataDir, 'vega-datasets-3.2.1.tgz'), '-C', dataDir, '--strip-components=2', 'package/data/flights-200k.json']);
  }
  const records = JSON.parse(readFileSync(json, 'utf8')) as { delay: number; distance: number; time: number }[];
  const rows = records.map((r) => flightsRow(r.delay, r.distance, r.time));
  shuffle(rows, Random.fromSeed(2026));
  const train = rows.slice(0, files.trainRows);
  const test = rows.slice(files.trainRows);
  await writeLines(files.trainCsv, train.map(toCsv));
  await writeLines(files.testCsv, test.map(toCsv));
  await writeLines(files.trainSvm, train.map(toSvm));
  await writeLines(files.testSvm, test.map(toSvm));
  return files;
}

export interface HashedFiles { train: string; test: string; trainRows: number; testRows: number }

/** Zipf-like ids (rank ~ 1/u), scattered over the hashed space. */
function* hashedRows(rows: number, seed: number, weights: Float32Array): Generator<string> {
  const random = Random.fromSeed(seed);
  const mask = hashedFeatures - 1;
  let chunk = '';
  for (let r = 0; r < rows; r++) {
    const ids = new Set<number>();
    while (ids.size < 20) {
      const rank = Math.floor(1 / (random.nextFloat() + 1e-7)) + ids.size * 7919;
      ids.add(Math.imul(rank, 2654435761) >>> 0 & mask);
    }
    const sorted = [...ids].sort((a, b) => a - b);
    let score = -1.2;
    for (const id of sorted) score += weights[id];
    const label = random.nextFloat() < 1 / (1 + Math.exp(-score)) ? 1 : 0;
    chunk += `${label} ${sorted.map((id) => `${id + 1}:1`).join(' ')}\n`;
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export async function hashedData(trainRows = 10_000_000): Promise<HashedFiles> {
  mkdirSync(dataDir, { recursive: true });
  const files = { train: join(dataDir, `hashed-${trainRows}.svm`), test: join(dataDir, 'hashed-test.svm'), trainRows, testRows: 200_000 };
  if (existsSync(files.train) && existsSync(files.test)) return files;
  const random = Random.fromSeed(99);
  const weights = new Float32Array(hashedFeatures);
  for (let i = 0; i < weights.length; i++) weights[i] = random.nextFloat() < 0.3 ? random.nextGaussian() * 0.6 : 0;
  await writeLines(files.test, hashedRows(files.testRows, 7, weights));
  await writeLines(files.train, hashedRows(trainRows, 8, weights));
  return files;
}
