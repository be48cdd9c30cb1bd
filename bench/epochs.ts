// Training for several epochs from a file: the epoch cache (lib/train/epoch-cache.ts) against
// reading and parsing the file every epoch (--epoch-cache 0), whole `boundless train` processes
// at the machine's thread budget, beside scikit-learn's SGDClassifier, which loads the data into
// memory once and runs its epochs there. The data is the threads benchmark's (400k × 64 dense
// CSV, 400k sparse libsvm rows over 100k features). BOUNDLESS_BENCH_REPEATS runs per cell (median; default 3).
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, threadsDataFiles, timeProcess, warm } from './threads.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = process.env.BOUNDLESS_CLI ?? join(root, 'dist', 'cli', 'main.js');
const repeats = Number(process.env.BOUNDLESS_BENCH_REPEATS ?? 3);

export interface EpochsRow {
  data: string; job: string; implementation: string; epochs: number;
  /** Wall time of the whole process (start-up, reading, training, writing). */
  seconds: number;
  maxRssMB: number;
  /** Epochs the run served from memory (ours), from its final JSON. */
  epochsFromCache?: number;
  /** Training log loss of the final model, as the implementation reports it. */
  trainLogLoss?: number;
}

interface Subject { data: string; path: string; format: 'csv' | 'libsvm'; featureDim: number }

function ours(subject: Subject, job: string, epochs: number, hp: string[], cache: boolean, scratch: string): EpochsRow {
  const args = [cli, 'train', job, '--train', subject.path, '--format', subject.format, '--epochs', String(epochs), '--model-dir', scratch,
    ...(subject.format === 'libsvm' ? ['--feature-dim', String(subject.featureDim)] : []), ...hp.flatMap((h) => ['--hp', h]),
    ...(cache ? [] : ['--epoch-cache', '0'])];
  const runs = Array.from({ length: repeats }, () => {
    warm(subject.path);
    return timeProcess(args, availableParallelism());
  });
  const summary = JSON.parse(runs[0].stdout.trim().split('\n').pop()!) as { metrics: { train: Record<string, number>; epochCache?: { train: { epochsFromCache: number } } } };
  return {
    data: subject.data, job, implementation: cache ? 'boundless (epoch cache, the default)' : 'boundless --epoch-cache 0 (parses every epoch)', epochs,
    seconds: median(runs.map((r) => r.seconds)), maxRssMB: Math.max(...runs.map((r) => r.maxRssMB)),
    epochsFromCache: summary.metrics.epochCache?.train.epochsFromCache ?? 0,
    trainLogLoss: summary.metrics.train.progressive_objective_loss,
  };
}

function sklearn(subject: Subject, epochs: number): EpochsRow {
  const script = join(root, 'bench', 'peers', 'epochs_sklearn.py');
  const runs = Array.from({ length: repeats }, () => {
    warm(subject.path);
    const start = performance.now();
    const result = spawnSync('/usr/bin/time', ['-f', '%M', '/usr/bin/python3', script, subject.path, subject.format, String(subject.featureDim), String(epochs)],
      { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(availableParallelism()) } });
    if (result.status !== 0) throw new Error(`sklearn peer failed: ${result.stderr.slice(-2000)}`);
    return { seconds: (performance.now() - start) / 1000, rss: Number(result.stderr.trim().split('\n').pop()) / 1024, out: JSON.parse(result.stdout.trim()) };
  });
  return {
    data: subject.data, job: 'linear-learner', implementation: `scikit-learn SGDClassifier (max_iter=${epochs}, tol=None; loaded into memory)`, epochs,
    seconds: median(runs.map((r) => r.seconds)), maxRssMB: Math.max(...runs.map((r) => r.rss)), trainLogLoss: runs[0].out.train_log_loss,
  };
}

export async function runEpochs(): Promise<{ rows: EpochsRow[]; notes: string[] }> {
  const files = await threadsDataFiles();
  const subjects: Subject[] = [
    { data: 'dense CSV 400k × 64', path: files.dense, format: 'csv', featureDim: 64 },
    { data: 'sparse libsvm 400k × 100k (30 nnz)', path: files.sparse, format: 'libsvm', featureDim: files.sparseDim },
  ];
  const scratch = mkdtempSync(join(tmpdir(), 'boundless-epochs-'));
  const rows: EpochsRow[] = [];
  try {
    for (const subject of subjects) {
      // The linear learner with its defaults: 15 epochs, SageMaker's; no validation channel, so all 15 run.
      for (const cache of [true, false]) rows.push(ours(subject, 'linear-learner', 15, ['predictor_type=binary_classifier'], cache, scratch));
      rows.push(sklearn(subject, 15));
      if (subject.format === 'libsvm') {
        for (const cache of [true, false]) {
          rows.push(ours(subject, 'factorization-machines', 5, ['predictor_type=binary_classifier', 'num_factors=8', 'num_models=1'], cache, scratch));
        }
      }
      for (const row of rows.filter((r) => r.data === subject.data)) process.stderr.write(`${row.data} · ${row.implementation} · ${row.job}: ${row.seconds.toFixed(2)} s\n`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    rows,
    notes: [
      `Whole processes at the machine's thread budget (${availableParallelism()} threads), wall time including start-up and model writing; median of ${repeats}; inputs in the page cache.`,
      'The linear learner runs its defaults (15 epochs, its default models and scaling); scikit-learn the same epochs and standard scaling (fit on the first 10,000 rows, as ours), one model.',
      'Log loss: ours is the progressive (each batch scored before it is trained on) objective loss of the selected model over the last epoch; scikit-learn\'s is the final model on the training set.',
    ],
  };
}

export function epochsTable(rows: EpochsRow[]): string {
  const out = ['| data | job | implementation | epochs | s | × boundless | from memory | train log loss | peak RSS MB |', '|---|---|---|---:|---:|---:|---:|---:|---:|'];
  for (const row of rows) {
    const ourRow = rows.find((r) => r.data === row.data && r.job === row.job && r.implementation.startsWith('boundless (epoch cache'))!;
    out.push(`| ${row.data} | ${row.job} | ${row.implementation} | ${row.epochs} | ${row.seconds.toFixed(2)} | ${(row.seconds / ourRow.seconds).toFixed(2)}× | ` +
      `${row.epochsFromCache ?? ''} | ${row.trainLogLoss?.toFixed(4) ?? ''} | ${row.maxRssMB.toFixed(0)} |`);
  }
  return out.join('\n');
}
