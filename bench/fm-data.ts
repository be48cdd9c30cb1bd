// Data for the factorization-machine benchmark, made once into bench/data/ (ignored): the
// 3,000,000 US domestic flights of January–June 2001 in the vega-datasets npm package
// (flights-3m.parquet, BSD-3-Clause; from the US DOT's on-time statistics), read with
// hyparquet. Task, click-style: is the flight 15 or more minutes late? Each row is six
// one-hot features — origin airport, destination airport, hour of departure, day of week,
// day of the year, and distance in log₂ buckets — so what a linear model misses are their
// interactions (one airport's bad day, one route, one airport's evening). Shuffled with a
// fixed seed, split 2,500,000 / 500,000, written as libsvm (1-based indices). The same rows
// are written again with the delay in minutes as the label (clipped to [−60, 180]: a few
// flights hours late would otherwise decide every squared error) for the regression table.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../lib/index.js';
import { dataDir, shuffle, writeLines } from './linear-learner-data.js';

export interface FmFiles {
  train: string; test: string; delayTrain: string; delayTest: string;
  featureDim: number; trainRows: number; testRows: number; fields: Record<string, number>;
}

const trainRows = 2_500_000;

export interface Flight { date: Date; delay: bigint; distance: bigint; origin: string; destination: string }

/** vega-datasets@3.2.1's flights-3m.parquet (BSD-3-Clause), fetched with `npm pack` once into bench/data/, read with hyparquet. */
export async function flights3m(): Promise<Flight[]> {
  mkdirSync(dataDir, { recursive: true });
  const parquet = join(dataDir, 'flights-3m.parquet');
  if (!existsSync(parquet)) {
    if (!existsSync(join(dataDir, 'vega-datasets-3.2.1.tgz'))) execFileSync('npm', ['pack', 'vega-datasets@3.2.1', '--pack-destination', dataDir], { stdio: 'ignore' });
    execFileSync('tar', ['xzf', join(dataDir, 'vega-datasets-3.2.1.tgz'), '-C', dataDir, '--strip-components=2', 'package/data/flights-3m.parquet']);
  }
  const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  return await parquetReadObjects({ file: await asyncBufferFromFile(parquet), compressors }) as Flight[];
}

export async function fmFlightsData(): Promise<FmFiles> {
  const meta = join(dataDir, 'flights3m-meta-v2.json');
  if (existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as FmFiles;
  const records = await flights3m();
  const origins = [...new Set(records.map((r) => r.origin))].sort();
  const destinations = [...new Set(records.map((r) => r.destination))].sort();
  const yearStart = Date.UTC(2001, 0, 1);
  const days = 182;
  const buckets = 13;  // log₂ of the distance in miles: 2^0 .. 2^12
  const fields = { origin: origins.length, destination: destinations.length, hour: 24, weekday: 7, day: days, distance: buckets };
  const offsets: number[] = [];
  let featureDim = 0;
  for (const size of Object.values(fields)) {
    offsets.push(featureDim);
    featureDim += size;
  }
  const originId = new Map(origins.map((o, i) => [o, i]));
  const destinationId = new Map(destinations.map((d, i) => [d, i]));
  const rows = records.map((r) => {
    const day = Math.min(days - 1, Math.floor((r.date.getTime() - yearStart) / 86_400_000));
    const ids = [
      originId.get(r.origin)!, destinationId.get(r.destination)!, r.date.getUTCHours(), r.date.getUTCDay(), day,
      Math.min(buckets - 1, Math.max(0, Math.floor(Math.log2(Math.max(1, Number(r.distance)))))),
    ];
    return { delay: Number(r.delay), features: ids.map((id, f) => `${offsets[f] + id + 1}:1`).join(' ') };
  });
  shuffle(rows, Random.fromSeed(2001));
  const files: FmFiles = {
    train: join(dataDir, 'flights3m-train.svm'), test: join(dataDir, 'flights3m-test.svm'),
    delayTrain: join(dataDir, 'flights3m-delay-train.svm'), delayTest: join(dataDir, 'flights3m-delay-test.svm'),
    featureDim, trainRows, testRows: rows.length - trainRows, fields,
  };
  const late = (r: (typeof rows)[number]) => `${r.delay >= 15 ? 1 : 0} ${r.features}\n`;
  const minutes = (r: (typeof rows)[number]) => `${Math.min(180, Math.max(-60, r.delay))} ${r.features}\n`;
  await writeLines(files.train, rows.slice(0, trainRows).map(late));
  await writeLines(files.test, rows.slice(trainRows).map(late));
  await writeLines(files.delayTrain, rows.slice(0, trainRows).map(minutes));
  await writeLines(files.delayTest, rows.slice(trainRows).map(minutes));
  writeFileSync(meta, JSON.stringify(files));
  return files;
}
