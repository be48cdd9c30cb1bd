// Data for the DeepAR benchmark (bench/deepar.ts), made once into bench/data/deepar/<set>/
// (git-ignored), and the small example that ships with the package (examples/data/unemployment/,
// its README from bench/deepar-example.ts).
// Run: `npx tsx bench/deepar-data.ts` (add `--force` to rebuild).
//
// The series are real (bench/deepar-sources.ts says where each set comes from and its licence).
// Each set is written as SageMaker DeepAR JSON Lines, one series a line:
// {"start": "YYYY-MM-DD HH:MM:SS", "target": [numbers, null where missing], "cat": [series index]}
// and split the way SageMaker recommends (deepar.md, "evaluation protocol"):
//  - train.json: each series without its last prediction_length points; test.json: the whole
//    series (the metrics are over those last prediction_length points);
//  - rolling/<k>/ for k = 1 … 3: test = each series with its last (k − 1) × prediction_length
//    points cut off, train = that test without its last prediction_length points (rolling/1 is
//    the single split again, kept so every origin has a folder);
//  - meta.json: name, source, licence, time_freq, prediction_length, context_length
//    (2 × prediction_length), series, points (values in test.json, nulls included), seasonality
//    (the period seasonal naive repeats), and the recipe, lengths and missing count.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleDir, exampleName, exampleReadme } from './deepar-example.js';
import { chicagoL, coloradoTmax, flightsHourly, unemployment, type RawSeries, type RawSet } from './deepar-sources.js';
import { dataDir, writeLines } from './linear-learner-data.js';

export const recipeVersion = 'v1';
export const rollingOrigins = 3;
export const deeparDir = join(dataDir, 'deepar');

export interface DeeparMeta {
  name: string; source: string; licence: string; time_freq: string; prediction_length: number; context_length: number;
  series: number; points: number; seasonality: number;
  recipe: string; missing: number; length: { min: number; max: number }; start: string; end: string;
  rolling_origins: number; series_names: string[]; version: string;
}

/** A set on disk: its folder and meta.json. */
export interface DeeparSet extends DeeparMeta { dir: string }

/** One evaluation origin: the folder holding its train.json and test.json. */
export interface DeeparSplit { origin: 'single' | `rolling ${number}`; dir: string }

/** The sets of the benchmark, smallest first; `unemployment` is also the README example. */
const builders: Record<string, () => RawSet | Promise<RawSet>> = {
  unemployment, 'colorado-tmax': coloradoTmax, 'chicago-l': chicagoL, 'flights-hourly': flightsHourly,
};
export const setNames = Object.keys(builders);

const pad = (n: number) => String(n).padStart(2, '0');
/** SageMaker's start format, "YYYY-MM-DD HH:MM:SS", from a UTC date. */
export const startString = (d: Date) =>
  `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** The date of a series' point `index` (calendar months for M, fixed steps otherwise). */
export function pointDate(start: Date, index: number, freq: string): Date {
  if (freq === 'M') return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + index, start.getUTCDate()));
  const step = freq === 'H' ? 3_600_000 : 86_400_000;
  return new Date(start.getTime() + index * step);
}

export const jsonLine = (s: RawSeries, cat: number, length = s.target.length) =>
  JSON.stringify({ start: startString(s.start), target: s.target.slice(0, length), cat: [cat] }) + '\n';

/** train.json and test.json of the origin `cut` points before each series' end. */
export async function writeSplit(dir: string, series: RawSeries[], predictionLength: number, cut: number): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await writeLines(join(dir, 'test.json'), series.map((s, i) => jsonLine(s, i, s.target.length - cut)));
  await writeLines(join(dir, 'train.json'), series.map((s, i) => jsonLine(s, i, s.target.length - cut - predictionLength)));
}

function describe(raw: RawSet): DeeparMeta {
  const lengths = raw.series.map((s) => s.target.length);
  const longest = raw.series[lengths.indexOf(Math.max(...lengths))];
  return {
    name: raw.name, source: raw.source, licence: raw.licence, time_freq: raw.timeFreq,
    prediction_length: raw.predictionLength, context_length: 2 * raw.predictionLength,
    series: raw.series.length, points: lengths.reduce((a, b) => a + b, 0), seasonality: raw.seasonality,
    recipe: raw.recipe, missing: raw.series.reduce((n, s) => n + s.target.filter((v) => v === null).length, 0),
    length: { min: Math.min(...lengths), max: Math.max(...lengths) },
    start: startString(raw.series[0].start), end: startString(pointDate(longest.start, longest.target.length - 1, raw.timeFreq)),
    rolling_origins: rollingOrigins, series_names: raw.series.map((s) => s.name), version: recipeVersion,
  };
}

function cached(name: string): DeeparSet | undefined {
  const dir = join(deeparDir, name);
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) return undefined;
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as DeeparMeta;
  const complete = splits({ ...meta, dir }).every((s) => existsSync(join(s.dir, 'train.json')) && existsSync(join(s.dir, 'test.json')));
  return meta.version === recipeVersion && complete ? { ...meta, dir } : undefined;
}

/** Every origin of a set: the single split first, then the rolling ones. */
export function splits(set: DeeparSet): DeeparSplit[] {
  return [{ origin: 'single', dir: set.dir },
    ...Array.from({ length: set.rolling_origins }, (_, i) => ({ origin: `rolling ${i + 1}` as const, dir: join(set.dir, 'rolling', String(i + 1)) }))];
}

/** The raw series of one set (read again from the cached sources). */
export async function rawSet(name: string): Promise<RawSet> {
  const build = builders[name];
  if (!build) throw new Error(`unknown DeepAR data set '${name}'; known: ${setNames.join(', ')}`);
  return await build();
}

export async function deeparSet(name: string, force = false): Promise<DeeparSet> {
  const hit = force ? undefined : cached(name);
  if (hit) return hit;
  const raw = await rawSet(name);
  const P = raw.predictionLength;
  const shortest = Math.min(...raw.series.map((s) => s.target.length));
  if (shortest <= (rollingOrigins + 1) * P) throw new Error(`${name}: a series of ${shortest} points is too short for ${rollingOrigins} rolling origins of ${P}`);
  const dir = join(deeparDir, name);
  rmSync(dir, { recursive: true, force: true });
  const meta = describe(raw);
  for (const split of splits({ ...meta, dir })) {
    const k = split.origin === 'single' ? 1 : Number(split.origin.split(' ')[1]);
    await writeSplit(split.dir, raw.series, P, (k - 1) * P);
  }
  writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return { ...meta, dir };
}

/** The sets named (default: all), built where missing. */
export async function deeparSets(names = setNames, force = false): Promise<DeeparSet[]> {
  const out: DeeparSet[] = [];
  for (const name of names) out.push(await deeparSet(name, force));
  return out;
}

/** examples/data/unemployment/: the smallest set's single split and its README (git-tracked). */
export async function exampleSet(): Promise<Record<string, unknown>> {
  const raw = await rawSet(exampleName);
  await writeSplit(exampleDir, raw.series, raw.predictionLength, 0);
  writeFileSync(join(exampleDir, 'README.md'), exampleReadme(raw));
  const bytes = readdirSync(exampleDir).reduce((s, f) => s + statSync(join(exampleDir, f)).size, 0);
  return { dir: exampleDir, series: raw.series.length, points: raw.series[0].target.length, predictionLength: raw.predictionLength, totalBytes: bytes };
}

if (process.argv[1] && process.argv[1].endsWith('deepar-data.ts')) {
  const force = process.argv.includes('--force');
  for (const set of await deeparSets(setNames, force)) {
    process.stdout.write(`${set.name} (${set.dir}): ${set.series} series of ${set.length.min}–${set.length.max} points (${set.time_freq}, ${set.start} … ${set.end}), ${set.missing} missing; prediction_length ${set.prediction_length}\n`);
  }
  process.stdout.write(`example: ${JSON.stringify(await exampleSet())}\n`);
}
