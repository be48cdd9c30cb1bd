// DeepAR against two classical forecasters on real multi-series data (bench/deepar-data.ts:
// Chicago 'L' ridership, hourly departures at 30 US airports, Colorado monthly temperatures, US
// unemployment by industry), scored with SageMaker DeepAR's own test metrics (ND, weighted
// quantile loss, RMSE over the last prediction_length points of every test series).
//
// Each set is scored at SageMaker's single split (train = each series minus its last
// prediction_length points, test = the whole series) and at 3 rolling origins (the test ends cut
// back by 0, 1 and 2 × prediction_length), the rolling numbers averaged over the origins. The
// first rolling origin is the single split itself: its numbers are reused, not run twice.
//
// Ours: `boundless train deepar` on each origin's train.json (time_freq, prediction_length,
// context_length = 2 × prediction_length, epochs 20, seed 1), whole process timed (start-up,
// parsing, training, writing the model), then `boundless evaluate` on its test.json (seed 1).
// Peers (bench/peers/deepar_peers.py, one Python process an origin): seasonal naive and ETS,
// timed inside Python (fitting and forecasting every series).
//
// `npm run bench -- deepar` runs all of it; when this boundless has no `train deepar` yet (the
// CLI answers "unknown algorithm 'deepar'") our rows say "not built" and the peers still run.
// `npm run bench -- deepar-peers` runs the peers alone. Which boundless: BOUNDLESS_CLI (default:
// this checkout's dist/cli/main.js). BOUNDLESS_BENCH_DEEPAR_SETS picks sets (e.g.
// unemployment,chicago-l). One thread for everyone: BOUNDLESS_NUM_THREADS=1, OMP/OPENBLAS/MKL = 1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliBuild, type CliBuild } from './cli-build.js';
import { deeparSets, setNames, splits, type DeeparSet, type DeeparSplit } from './deepar-data.js';
import { oneCore } from './subprocess.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = resolve(here, '..');
const cli = resolve(process.env.BOUNDLESS_CLI ?? join(repoRoot, 'dist', 'cli', 'main.js'));
const python = '/usr/bin/python3';
const peerScript = join(here, 'peers', 'deepar_peers.py');
const env = { ...oneCore, MKL_NUM_THREADS: '1' };
const epochs = 20;
const seed = 1;
const shown = (path: string) => relative(repoRoot, path) || path;

export const quantiles = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const metricNames = ['RMSE', 'ND', 'mean_wQuantileLoss', ...quantiles.map((q) => `wQuantileLoss[${q}]`)];

export type Method = 'boundless' | 'seasonal-naive' | 'ets';
export type Metrics = Record<string, number>;

/** One method on one origin: its metrics and seconds (ours: the train process; peers: fit + forecast). */
export interface Scored { origin: DeeparSplit['origin'] | 'mean'; metrics: Metrics; seconds: number }

export interface DeeparRow {
  set: string;
  method: Method;
  implementation: string;
  /** The single split. */
  single?: Scored;
  /** Every rolling origin, and their mean. */
  rolling?: Scored[];
  rollingMean?: Scored;
  /** Why there are no numbers (ours before `train deepar` exists). */
  notBuilt?: string;
  command?: string;
  extra?: Record<string, unknown>;
}

export interface DeeparResult {
  rows: DeeparRow[];
  sets: Omit<DeeparSet, 'series_names'>[];
  notes: string[];
  cli?: CliBuild;
  peersOnly: boolean;
  benchSeconds: number;
}

interface Run { status: number | null; stdout: string; stderr: string; seconds: number }

function run(command: string, args: string[]): Run {
  const t0 = performance.now();
  const r = spawnSync(command, args, { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', seconds: (performance.now() - t0) / 1000 };
}

function must(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status})\n${r.stderr.slice(-3000)}`);
  return r;
}

const jsonLines = (text: string) => text.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** The metrics of one JSON object, at its top level or under `metrics`; every name must be a number. */
function metricsOf(out: Record<string, unknown>, what: string): Metrics {
  const source = (typeof out.RMSE === 'number' ? out : out.metrics ?? {}) as Record<string, unknown>;
  const missing = metricNames.filter((k) => typeof source[k] !== 'number');
  if (missing.length) throw new Error(`${what} did not report ${missing.join(', ')} (it printed ${JSON.stringify(out).slice(0, 500)})`);
  return Object.fromEntries(metricNames.map((k) => [k, source[k] as number]));
}

function mean(scored: Scored[]): Scored {
  const metrics = Object.fromEntries(metricNames.map((k) => [k, scored.reduce((s, x) => s + x.metrics[k], 0) / scored.length]));
  return { origin: 'mean', metrics, seconds: scored.reduce((s, x) => s + x.seconds, 0) / scored.length };
}

// ------------------------------------------------------------------------------------------
// The peers

const peerArgs = (set: DeeparSet, split: DeeparSplit) =>
  [peerScript, '--data', split.dir, '--prediction-length', String(set.prediction_length), '--seasonality', String(set.seasonality)];

/** Both peers on one origin: method → its JSON object. */
function peersOn(set: DeeparSet, split: DeeparSplit): Map<string, Record<string, unknown>> {
  process.stderr.write(`  ${set.name}, ${split.origin}: seasonal naive and ETS\n`);
  const r = must(run(python, peerArgs(set, split)), `python3 ${shown(peerScript)} on ${shown(split.dir)}`);
  return new Map(jsonLines(r.stdout).map((o) => [o.method as string, o]));
}

function peerRows(set: DeeparSet, byOrigin: Map<string, Map<string, Record<string, unknown>>>): DeeparRow[] {
  return (['seasonal-naive', 'ets'] as const).map((method) => {
    const scored = (origin: DeeparSplit['origin']): Scored => {
      const out = byOrigin.get(origin)!.get(method)!;
      return { origin, metrics: metricsOf(out, `${method} on ${set.name} ${origin}`), seconds: out.seconds as number };
    };
    const single = byOrigin.get('single')!.get(method)!;
    const rolling = [...byOrigin.keys()].filter((o) => o !== 'single').map((o) => scored(o as DeeparSplit['origin']));
    const { implementation, models, not_converged: notConverged, median_params: medianParams } = single;
    return {
      set: set.name, method, implementation: implementation as string, single: scored('single'), rolling, rollingMean: mean(rolling),
      command: `OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 /usr/bin/python3 ${peerArgs(set, splits(set)[0]).map(shown).join(' ')}`,
      extra: { ...(models ? { models, notConverged, medianParams } : {}), python: single.python, numpy: single.numpy },
    };
  });
}

// ------------------------------------------------------------------------------------------
// Ours

const trainArgs = (set: DeeparSet, train: string, modelDir: string, runEpochs = epochs) =>
  ['train', 'deepar', '--train', train, '--hp', `time_freq=${set.time_freq}`, '--hp', `prediction_length=${set.prediction_length}`,
    '--hp', `context_length=${set.context_length}`, '--hp', `epochs=${runEpochs}`, '--seed', String(seed), '--model-dir', modelDir];

/** Before anything is timed: is there a `boundless train deepar`? undefined if so, else why not. */
function probe(set: DeeparSet): string | undefined {
  if (!existsSync(cli)) throw new Error(`no boundless CLI at ${cli}: build it (npm run build:ts) or point BOUNDLESS_CLI at a dist/cli/main.js; \`npm run bench -- deepar-peers\` runs the peers alone`);
  const dir = mkdtempSync(join(tmpdir(), 'deepar-bench-probe-'));
  try {
    const r = run(process.execPath, [cli, ...trainArgs(set, join(set.dir, 'train.json'), dir, 1)]);
    if (r.status === 0) return undefined;
    if (/unknown algorithm 'deepar'/.test(r.stderr)) return `not built: this boundless (${cli}) has no \`train deepar\` yet`;
    throw new Error(`boundless train deepar failed on ${set.name} before any timing (exit ${r.status})\n${r.stderr.slice(-3000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function oursOn(set: DeeparSet, split: DeeparSplit, work: string): Scored {
  process.stderr.write(`  ${set.name}, ${split.origin}: boundless train deepar\n`);
  const dir = join(work, `${set.name}-${split.origin.replace(' ', '-')}`);
  const train = must(run(process.execPath, [cli, ...trainArgs(set, join(split.dir, 'train.json'), dir)]), `boundless train deepar on ${shown(split.dir)}`);
  const args = [cli, 'evaluate', '--model', join(dir, 'model.safetensors'), '--test', join(split.dir, 'test.json'), '--seed', String(seed)];
  const evaluated = jsonLines(must(run(process.execPath, args), `boundless evaluate on ${shown(split.dir)}`).stdout).pop() ?? {};
  rmSync(dir, { recursive: true, force: true });
  return { origin: split.origin, metrics: metricsOf(evaluated, `boundless evaluate on ${set.name} ${split.origin}`), seconds: train.seconds };
}

function ourRow(set: DeeparSet, notBuilt: string | undefined): DeeparRow {
  const row: DeeparRow = {
    set: set.name, method: 'boundless', implementation: 'boundless train deepar',
    command: `BOUNDLESS_NUM_THREADS=1 boundless ${trainArgs(set, shown(join(set.dir, 'train.json')), 'DIR').join(' ')}; boundless evaluate --model DIR/model.safetensors --test ${shown(join(set.dir, 'test.json'))} --seed ${seed}`,
  };
  if (notBuilt) return { ...row, notBuilt };
  const work = mkdtempSync(join(tmpdir(), 'deepar-bench-'));
  try {
    const [single, ...others] = splits(set).filter((s) => s.origin !== 'rolling 1');
    const first = oursOn(set, single, work);
    const rolling = [{ ...first, origin: 'rolling 1' as const }, ...others.map((s) => oursOn(set, s, work))];
    return { ...row, single: first, rolling, rollingMean: mean(rolling) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------

function chosenSets(): string[] {
  const picked = process.env.BOUNDLESS_BENCH_DEEPAR_SETS?.split(',').map((s) => s.trim()).filter(Boolean);
  return picked?.length ? picked : setNames;
}

function peersFor(set: DeeparSet): DeeparRow[] {
  const byOrigin = new Map<string, Map<string, Record<string, unknown>>>();
  const [single, first, ...others] = splits(set);
  byOrigin.set('single', peersOn(set, single));
  byOrigin.set(first.origin, byOrigin.get('single')!);  // rolling 1 is the single split
  for (const split of others) byOrigin.set(split.origin, peersOn(set, split));
  return peerRows(set, byOrigin);
}

export async function runDeepar(options: { peersOnly?: boolean } = {}): Promise<DeeparResult> {
  const peersOnly = options.peersOnly === true;
  const started = performance.now();
  const loadBefore = loadavg()[0];
  process.stderr.write('  data sets (once, into bench/data/deepar) ...\n');
  const sets = await deeparSets(chosenSets());
  const notBuilt = peersOnly ? undefined : probe(sets[0]);
  const rows: DeeparRow[] = [];
  for (const set of sets) {
    if (!peersOnly) rows.push(ourRow(set, notBuilt));
    rows.push(...peersFor(set));
  }
  const ets = rows.find((r) => r.method === 'ets');
  const notes = [
    `Metrics as SageMaker DeepAR reports them (test:RMSE, test:mean_wQuantileLoss, ND), over every (series, step) of the last prediction_length points of all test series together, missing true values left out: RMSE = √mean (y − mean forecast)²; ND = Σ|y − median forecast| / Σ|y|; wQuantileLoss[τ] = 2 Σ [τ·max(y − q_τ, 0) + (1 − τ)·max(q_τ − y, 0)] / Σ|y|, mean_wQuantileLoss = its mean over τ = 0.1 … 0.9 (each τ is in the JSON).`,
    `Origins: "single" is SageMaker's recommended split (train = each series minus its last prediction_length points, test = the whole series); "3 origins" is the mean over 3 rolling origins whose test series end 0, 1 and 2 × prediction_length points before the data's end (the first is the single split, not rerun). Each origin is trained and scored on its own.`,
    `${peersOnly ? '' : `Ours: whole \`boundless train deepar\` processes (node start-up, parsing, training, writing the model), wall time, one run an origin, epochs ${epochs}, seed ${seed}, context_length = 2 × prediction_length, every other hyperparameter at its default; scored by \`boundless evaluate --seed ${seed}\`. `}Peers (bench/peers/deepar_peers.py): seconds = fitting and forecasting every series inside Python (interpreter start-up, imports, reading the files and numba's compilation excluded).`,
    'Seasonal naive: the point forecast (mean and median) repeats the last season; its quantiles add the empirical quantiles of the same rule\'s in-sample errors k seasons ahead (k = ⌈step / season⌉), centred on their median — so its wQuantileLoss[0.5] is its ND. (Without them, as GluonTS\'s seasonal naive, every quantile is the point forecast and mean_wQuantileLoss = ND.)',
    `ETS: ETS(A,Ad,A) — additive errors, damped additive trend, additive seasonality — per series (ETS(A,Ad,N) if the history holds fewer than 2 seasons), maximum likelihood with estimated initial states, the usual bounds (0 < β < α < 1, 0 < γ < 1 − α, 0.8 ≤ φ ≤ 0.98), Gaussian quantiles from the exact h-step variance. Implementation: ${ets?.implementation ?? '—'}. statsmodels is the intended peer (\`apt-get install python3-statsmodels\`; the script uses it when it imports); without it the script fits the same model itself (scipy L-BFGS-B on the innovations recursion).`,
    'Missing values (colorado-tmax has some) stay null in the files our DeepAR reads; the peers see each history linearly interpolated.',
    ...(notBuilt ? [`Ours: ${notBuilt}; its rows are empty until \`train deepar\` lands (the probe trains 1 epoch on ${sets[0].name} and looks for "unknown algorithm 'deepar'").`] : []),
    `Machine load (1-minute load average) was ${loadBefore.toFixed(2)} at the start and ${loadavg()[0].toFixed(2)} at the end, on ${cpus().length} cores shared with other work: times move by ±20–50% between runs here.`,
  ];
  const cliInfo = peersOnly ? undefined : cliBuild(cli);
  if (cliInfo) notes.splice(2, 0, `boundless: ${cliInfo.path}${cliInfo.commit ? ` (commit ${cliInfo.commit.slice(0, 10)}${cliInfo.dirty ? ', lib/ or native/ modified' : ''})` : ''}.`);
  return {
    rows, sets: sets.map(({ series_names: _names, ...meta }) => meta), notes, ...(cliInfo ? { cli: cliInfo } : {}),
    peersOnly, benchSeconds: (performance.now() - started) / 1000,
  };
}

// ------------------------------------------------------------------------------------------
// Markdown

const f = (v: number | undefined, digits: number) => (v === undefined ? '' : v.toFixed(digits));
/** RMSE in the data's own units: 3 significant digits at least. */
const rmse = (v: number) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));

function setsTable(sets: DeeparResult['sets']): string[] {
  const out = ['| data set | frequency | series | points a series | missing | prediction_length | context_length | season |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const s of sets) {
    const length = s.length.min === s.length.max ? s.length.min.toLocaleString('en-US') : `${s.length.min.toLocaleString('en-US')}–${s.length.max.toLocaleString('en-US')}`;
    out.push(`| ${s.name} | ${s.time_freq} (${s.start.slice(0, 10)} … ${s.end.slice(0, 10)}) | ${s.series} | ${length} | ${s.missing} | ${s.prediction_length} | ${s.context_length} | ${s.seasonality} |`);
  }
  return out;
}

function resultsTable(rows: DeeparRow[]): string[] {
  const out = ['| data set | method | ND | mean wQL | RMSE | seconds | ND, 3 origins | mean wQL, 3 origins | RMSE, 3 origins | seconds, 3 origins |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    if (r.notBuilt) {
      out.push(`| ${r.set} | ${r.method} | not built | | | | | | | |`);
      continue;
    }
    const cells = (s: Scored) => [f(s.metrics.ND, 4), f(s.metrics.mean_wQuantileLoss, 4), rmse(s.metrics.RMSE), f(s.seconds, 2)];
    out.push(`| ${r.set} | ${r.method} | ${[...cells(r.single!), ...cells(r.rollingMean!)].join(' | ')} |`);
  }
  return out;
}

export function deeparMarkdown(result: DeeparResult): string {
  const sources = result.sets.map((s) => `- **${s.name}**: ${s.source}. Licence: ${s.licence}. Made: ${s.recipe}.`);
  return [
    `Forecasting ${result.sets.length} real multi-series data sets (lower is better everywhere).${result.peersOnly ? ' Peers only: `boundless train deepar` is not in this run.' : ''}`, '',
    ...setsTable(result.sets), '',
    ...resultsTable(result.rows), '',
    'Seconds: ours = the whole `boundless train deepar` process; the peers = fitting and forecasting inside Python.', '',
    'Commands (single split; the rolling origins use rolling/<k>/ under the same folder):', '',
    ...[...new Set(result.rows.map((r) => r.command))].filter(Boolean).map((c) => `    ${c}`), '',
    '## Data', '', ...sources, '',
    '## Notes', '', ...result.notes.map((n) => `- ${n}`), '', `Bench time: ${result.benchSeconds.toFixed(0)} s.`,
  ].join('\n');
}
