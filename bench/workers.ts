// Data-parallel workers on one machine: whole `boundless train` runs of the CLI on one generated
// libsvm file, one worker with BOUNDLESS_NUM_THREADS=1 against `--workers 2` with
// BOUNDLESS_NUM_THREADS=2 (the issue's target: ≥ 1.6× the rows/s), for the linear learner with
// 32 models and for factorization machines, with the held-out quality of both (the merge
// tolerance: AUC within 0.005, log loss within 0.5% of one worker's).
//
// Data (made once into bench/data/, deterministic): 4,000,000 training and 100,000 test rows of
// 10 categorical fields of 50 values each, one-hot (500 features, 10 non-zeros a row); the
// label is drawn from a logistic model of per-value effects plus an interaction of fields 0
// and 1 (what FM can learn and a linear model cannot). Rows/s is the CLI's own records ÷
// seconds (inside the process: parse, train, merges; not Node's start-up), the median of
// BOUNDLESS_BENCH_REPEATS runs (default 3). Which build: BOUNDLESS_CLI (default this checkout's
// dist/cli/main.js; `npm run build:ts` first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel, Random, readBatches } from '../lib/index.js';
import '../lib/algorithms/builtin.js';
import { getAlgorithm } from '../lib/algorithms/registry.js';
import { resolveBackend } from '../lib/backends/select.js';
import { exactAuc } from './auc.js';
import { dataDir, writeLines } from './linear-learner-data.js';
import { realFlights } from './linear-learner-real-data.js';

const fields = 10;
const values = 50;
const featureDim = fields * values;
const trainRows = 4_000_000;
const testRows = 100_000;

/** The planted model: an effect per value, and an interaction of field 0's and field 1's values. */
function plantedModel(random: Random) {
  const effects = Array.from({ length: featureDim }, () => random.nextGaussian() * 0.6);
  const interaction = Array.from({ length: values * values }, () => random.nextGaussian() * 0.8);
  return { effects, interaction };
}

function* rows(count: number, seed: number): Iterable<string> {
  const model = plantedModel(Random.fromSeed(99));
  const random = Random.fromSeed(seed);
  for (let r = 0; r < count; r++) {
    const ids = Array.from({ length: fields }, (_, f) => f * values + (random.nextUint32() % values));
    const z = ids.reduce((sum, id) => sum + model.effects[id], -1) + model.interaction[(ids[0] % values) * values + (ids[1] % values)];
    const label = random.nextFloat() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    yield `${label} ${ids.map((id) => `${id + 1}:1`).join(' ')}\n`;
  }
}

export async function workersData(): Promise<{ train: string; test: string }> {
  mkdirSync(dataDir, { recursive: true });
  const train = join(dataDir, 'workers-train-v2.svm');
  const test = join(dataDir, 'workers-test-v1.svm');
  if (!existsSync(train)) await writeLines(train, rows(trainRows, 1));
  if (!existsSync(test)) await writeLines(test, rows(testRows, 2));
  return { train, test };
}

export interface WorkersRow {
  /** The input: the generated file, or the flights (real data). */
  data: string;
  algorithm: string;
  setting: string;
  workers: number;
  threads: number;
  /** The CLI's records ÷ its own seconds (inside the process: reading, training, merges, writing). */
  rowsPerSecond: number;
  samples: number[];
  /** Records ÷ the whole process's wall time (Node's start-up and module loading included). */
  wholeRowsPerSecond: number;
  auc: number;
  logLoss: number;
}

const cli = process.env.BOUNDLESS_CLI ?? join(fileURLToPath(new URL('.', import.meta.url)), '..', 'dist', 'cli', 'main.js');

/** One whole training run: rows/s as the CLI counts them (records ÷ its seconds) and over the whole process. */
function trainRun(args: string[], workers: number, threads: number, modelDir: string): { inside: number; whole: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [resolve(cli), 'train', ...args, '--workers', String(workers), '--model-dir', modelDir],
    { env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`boundless train ${args.join(' ')} --workers ${workers} failed: ${result.stderr.slice(-2000)}`);
  const wall = (performance.now() - started) / 1000;
  const summary = JSON.parse(result.stdout) as { metrics: { records: number; seconds: number } };
  return { inside: summary.metrics.records / summary.metrics.seconds, whole: summary.metrics.records / wall };
}

/** Exact AUC and mean log loss of a saved model on the test file. */
async function quality(name: string, modelPath: string, test: string, featureDim: number): Promise<{ auc: number; logLoss: number }> {
  const algorithm = getAlgorithm(name);
  const model = await loadModel(modelPath, algorithm, await resolveBackend('cpu'));
  const scores: number[] = [];
  const labels: number[] = [];
  let loss = 0;
  for await (const batch of readBatches(test, { format: 'libsvm', featureDim, miniBatchSize: 10_000 })) {
    const predictions = await model.predict(batch);
    const score = predictions.score as Float32Array;
    for (let r = 0; r < batch.rows; r++) {
      const p = Math.min(1 - 1e-7, Math.max(1e-7, score[r]));
      const y = batch.labels![r];
      loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
      scores.push(score[r]);
      labels.push(y);
    }
  }
  return { auc: exactAuc(scores, labels), logLoss: loss / labels.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** An input file of the benchmark: its training and test files and its width. */
interface WorkersInput {
  data: string;
  train: string;
  test: string;
  featureDim: number;
}

export async function runWorkers(): Promise<{ rows: WorkersRow[]; notes: string[] }> {
  const generated = await workersData();
  const flights = await realFlights();
  const inputs: WorkersInput[] = [
    { data: 'generated', ...generated, featureDim },
    { data: 'flights', train: flights.train, test: flights.test, featureDim: flights.featureDim },
  ];
  const repeats = Number(process.env.BOUNDLESS_BENCH_REPEATS ?? 3);
  const rows: WorkersRow[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'boundless-bench-workers-'));
  try {
    for (const input of inputs) {
      const data = ['--train', input.train, '--format', 'libsvm', '--feature-dim', String(input.featureDim), '--epochs', '1', '--seed', '1'];
      const subjects = [
        { algorithm: 'linear-learner', setting: 'num_models=32', args: ['linear-learner', ...data, '--hp', 'predictor_type=binary_classifier', '--hp', 'num_models=32'] },
        { algorithm: 'factorization-machines', setting: 'num_factors=8, num_models=1', args: ['factorization-machines', ...data, '--hp', 'predictor_type=binary_classifier', '--hp', 'num_factors=8', '--hp', 'num_models=1'] },
      ];
      for (const subject of subjects) {
        // One worker and two alternate run by run, so that a slow spell of the machine hits both.
        const settings = [[1, 1], [2, 2]] as const;
        const samples = settings.map(() => [] as { inside: number; whole: number }[]);
        for (let r = 0; r < repeats; r++) {
          settings.forEach(([workers, threads], i) => samples[i].push(trainRun(subject.args, workers, threads, join(scratch, `${subject.algorithm}-${workers}`))));
        }
        for (const [i, [workers, threads]] of settings.entries()) {
          const { auc, logLoss } = await quality(subject.algorithm, join(scratch, `${subject.algorithm}-${workers}`, 'model.safetensors'), input.test, input.featureDim);
          rows.push({
            data: input.data, algorithm: subject.algorithm, setting: subject.setting, workers, threads, rowsPerSecond: median(samples[i].map((x) => x.inside)),
            samples: samples[i].map((x) => x.inside), wholeRowsPerSecond: median(samples[i].map((x) => x.whole)), auc, logLoss,
          });
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const notes = [
    `generated: one libsvm file of ${trainRows.toLocaleString('en')} rows (${featureDim} one-hot features, 10 non-zeros a row, ${Math.round(statSync(generated.train).size / 1e6)} MB); test: ${testRows.toLocaleString('en')} rows.`,
    `flights: ${flights.title}, ${flights.trainRows.toLocaleString('en')} training rows in time order, the last 20% by time held out (${flights.source}; ${flights.licence}).`,
    'One pass, default --sync-every (the linear learner 32 batches of each worker, factorization machines 8).',
    `Rows/s: the median of ${repeats} whole CLI runs, one worker and two alternating; "inside" is the CLI's records ÷ its seconds (reading, training, merges, writing), "whole process" adds Node's start-up and module loading. Quality: the last run's model.`,
    'Target (issue 16): --workers 2 at BOUNDLESS_NUM_THREADS=2 ≥ 1.6× the rows/s of one worker at BOUNDLESS_NUM_THREADS=1; AUC within 0.005 and log loss within 0.5% of one worker.',
  ];
  return { rows, notes };
}

export function workersTable(rows: WorkersRow[]): string {
  const out = ['| data | algorithm | workers | BOUNDLESS_NUM_THREADS | rows/s inside | × one worker | rows/s whole process | × one worker | test AUC | Δ AUC | test log loss | log loss ÷ one worker |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const one = rows.find((o) => o.data === r.data && o.algorithm === r.algorithm && o.workers === 1)!;
    out.push(`| ${r.data} | ${r.algorithm} (${r.setting}) | ${r.workers} | ${r.threads} | ${Math.round(r.rowsPerSecond).toLocaleString('en')} | ` +
      `${(r.rowsPerSecond / one.rowsPerSecond).toFixed(2)}× | ${Math.round(r.wholeRowsPerSecond).toLocaleString('en')} | ` +
      `${(r.wholeRowsPerSecond / one.wholeRowsPerSecond).toFixed(2)}× | ${r.auc.toFixed(4)} | ${(r.auc - one.auc >= 0 ? '+' : '') + (r.auc - one.auc).toFixed(4)} | ` +
      `${r.logLoss.toFixed(4)} | ${(r.logLoss / one.logLoss).toFixed(4)} |`);
  }
  return out.join('\n');
}
