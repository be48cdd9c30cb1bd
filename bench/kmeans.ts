// K-means against its peers on Fashion-MNIST's 60,000 training images (784 pixels scaled to
// [0, 1], the same float32 values for everyone), k = 10 and 100, in the same run: our whole
// `boundless train` command (one pass, default hyperparameters) and the same training in
// process; scikit-learn KMeans(init='k-means++', n_init=1) to convergence (the quality
// reference), MiniBatchKMeans one pass and to convergence; ml.js ml-kmeans. One core for
// everyone (BOUNDLESS_NUM_THREADS=1, one BLAS/OpenMP thread). Timings are medians of
// `repeats` runs (the peers' runs use random_state 0, 1, 2, …, and their inertia is the median
// too); inertia is the sum of squared distances of all 60,000 points to their nearest centre.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oneCore, runJson } from './subprocess.js';
import { fashionDim, fashionTrainData } from './kmeans-data.js';

export interface KmeansRun { seconds: number; inertia: number; seed?: number; iterations?: number }
export interface KmeansRow {
  k: number; implementation: string; seconds: number; inertia: number; peakRssMb?: number; note?: string; runs?: KmeansRun[];
}

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '..', 'dist', 'cli', 'main.js');
const repeats = 3;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const ours = (config: Record<string, unknown>) =>
  runJson(process.execPath, ['--import', 'tsx', `${here}kmeans-ours.ts`, JSON.stringify(config)]) as { seconds: number; inertia: number; peakRssMb: number };

/**
 * One whole `boundless train kmeans` run on `train` (a file or a directory of files; one core),
 * timed from outside, with its peak RSS; inertia on `test` from `boundless evaluate` (msd × rows).
 */
export function cliRun(train: string, test: string, k: number, command = cli): KmeansRun & { peakRssMb?: number; progressiveModelMsd?: number } {
  const dir = mkdtempSync(join(tmpdir(), 'boundless-bench-kmeans-'));
  try {
    const timing = join(dir, 'time.txt');
    const line = [process.execPath, command, 'train', 'kmeans', '--train', train, '--hp', `k=${k}`, '--model-dir', join(dir, 'model')];
    const timed = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-o', timing, '-f', '%M', ...line] : line;
    const t0 = performance.now();
    const run = spawnSync(timed[0], timed.slice(1), { env: oneCore, encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = (performance.now() - t0) / 1000;
    if (run.status !== 0) throw new Error(`boundless train failed: ${run.stderr.slice(-2000)}`);
    const trained = JSON.parse(run.stdout.trim().split('\n').pop()!) as { metrics: { train: Record<string, number> } };
    const evaluated = spawnSync(process.execPath, [command, 'evaluate', '--model', join(dir, 'model', 'model.safetensors'), '--test', test], { env: oneCore, encoding: 'utf8' });
    if (evaluated.status !== 0) throw new Error(`boundless evaluate failed: ${evaluated.stderr.slice(-2000)}`);
    const { msd, records } = JSON.parse(evaluated.stdout) as { msd: number; records: number };
    return {
      seconds, inertia: msd * records,
      ...(existsSync(timing) ? { peakRssMb: Number(readFileSync(timing, 'utf8').trim().split('\n').pop()) / 1024 } : {}),
      progressiveModelMsd: trained.metrics.train.progressive_model_msd,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runKmeans(): Promise<{ rows: KmeansRow[]; notes: string[] }> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: npm run build:ts first (the benchmark times the compiled command)`);
  const files = fashionTrainData();
  const rows: KmeansRow[] = [];
  const notes: string[] = [];
  for (const k of [10, 100]) {
    const add = (implementation: string, r: { seconds: number; inertia: number; peakRssMb?: number; runs?: KmeansRun[] }, note?: string) =>
      rows.push({ k, implementation, seconds: r.seconds, inertia: r.inertia, ...(r.peakRssMb ? { peakRssMb: r.peakRssMb } : {}), ...(note ? { note } : {}), ...(r.runs ? { runs: r.runs } : {}) });

    const cliRuns = Array.from({ length: repeats }, () => cliRun(files.csv, files.csv, k));
    if (cliRuns.some((r) => r.inertia !== cliRuns[0].inertia)) throw new Error('boundless train: runs with the same seed gave different models');
    add('boundless train (the command: parse the CSV, one pass, write the model)', {
      seconds: median(cliRuns.map((r) => r.seconds)), inertia: cliRuns[0].inertia, peakRssMb: median(cliRuns.map((r) => r.peakRssMb ?? 0)),
      runs: cliRuns.map(({ seconds, inertia }) => ({ seconds, inertia })),
    }, `default hyperparameters (k=${k}); median of ${repeats}; inertia from boundless evaluate (msd × 60,000)`);
    add('boundless (training only, rows in memory)', ours({ train: files.csv, score: files.f32, inMemory: true, repeats, hyperparameters: { k } }),
      `the same training without parsing; median of ${repeats}`);
    add('boundless train, 10× the data (a directory of 10 copies of the CSV)', cliRun(files.tenfold, files.csv, k),
      'memory check: peak RSS as for one copy; inertia on the 60,000');

    const sklearn = runJson('/usr/bin/python3', [`${here}peers/kmeans_sklearn.py`, files.f32, String(fashionDim), String(k), '5000', String(repeats)]) as
      { peers: Record<string, KmeansRun[]>; sklearn: string; numpy: string };
    const peer = (name: string, implementation: string, note: string) => {
      const runs = sklearn.peers[name];
      const inertias = runs.map((r) => r.inertia);
      add(implementation, { seconds: median(runs.map((r) => r.seconds)), inertia: median(inertias), runs },
        `${note}; median of random_state 0..${repeats - 1} (inertia ${Math.round(Math.min(...inertias)).toLocaleString('en-US')} to ${Math.round(Math.max(...inertias)).toLocaleString('en-US')})`);
    };
    peer('KMeans', "scikit-learn KMeans(init='k-means++', n_init=1)", "Lloyd's to convergence");
    peer('MiniBatchKMeans one pass', 'scikit-learn MiniBatchKMeans, one pass of partial_fit', 'batches of 5,000');
    peer('MiniBatchKMeans.fit', 'scikit-learn MiniBatchKMeans.fit (n_init=1)', 'to its convergence criterion, many passes');
    if (k === 10) notes.push(`scikit-learn ${sklearn.sklearn}, numpy ${sklearn.numpy}; batches of 5,000 for MiniBatchKMeans (SageMaker's mini_batch_size, our default).`);

    const mljs = runJson(process.execPath, ['--import', 'tsx', `${here}peers/kmeans-mljs.ts`, files.f32, String(fashionDim), String(k), '10'], { timeoutSeconds: 150 });
    if (mljs.timedOut) add("ml.js ml-kmeans (Lloyd's in JavaScript, k-means++)", { seconds: 150, inertia: NaN }, 'did not finish 10 iterations in 150 s (stopped)');
    else add("ml.js ml-kmeans (Lloyd's in JavaScript, k-means++)", mljs as never, 'stopped after 10 iterations');
  }
  notes.push('Data: Fashion-MNIST (Zalando Research, MIT License), the 60,000 training images from Debian\'s dataset-fashion-mnist, pixels scaled from 0..255 to [0, 1] (float32) for every implementation.');
  notes.push('Inertia is the sum of squared distances of all 60,000 points to their nearest centre; "inertia ÷ KMeans" divides by the KMeans row\'s (the median of its runs).');
  notes.push("Times are wall-clock on one core of a machine shared with other jobs: medians of 3 runs (one for the 10× and ml.js rows). The boundless train rows time the whole command from outside (Node start, CSV parsing, training, writing model and state), and their peak RSS is the command's (GNU time); the in-memory row's includes the 188 MB of points it scores.");
  return { rows, notes };
}
