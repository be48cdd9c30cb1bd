// Factorization machines against linear peers on 3,000,000 flights (bench/fm-data.ts), same run,
// one core each, from six one-hot fields: is the flight 15+ minutes late (log loss, AUC), and
// how late is it (minutes, RMSE). Reports quality after one pass and after more, the time
// (training alone, data in memory) and the throughput in non-zeros per second at k = 64.
import { fileURLToPath } from 'node:url';
import { runJson } from './subprocess.js';
import { fmFlightsData } from './fm-data.js';
import { runRatings, type RatingsSet } from './fm-ratings.js';

export interface FmRow {
  task: 'binary' | 'regression'; implementation: string; seconds: number;
  logLoss?: number; auc?: number; rmse?: number; nonZerosPerSecond?: number; peakRssMb?: number; note?: string;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const json = (command: string, args: string[]) => runJson(command, args);

type Quality = { logLoss?: number; auc?: number; rmse?: number };
type Run = { epochs: ({ seconds: number } & Quality)[]; nonZerosPerSecond: number; peakRssMb: number };

export interface FmResults { rows: FmRow[]; notes: string[]; ratings: RatingsSet[]; ratingsNotes: string[]; flightsFrom?: string }

/**
 * The ratings sets (bench/fm-ratings.ts), then the flights tables. BOUNDLESS_BENCH_FM_SKIP_FLIGHTS=1
 * runs InstEval alone and carries the flights rows over from `previous` (the last results file),
 * saying so in the report.
 */
export async function runFactorizationMachines(previous?: { rows: FmRow[]; notes: string[]; machine?: { date?: string } }): Promise<FmResults> {
  const ratings = await runRatings(3);
  if (process.env.BOUNDLESS_BENCH_FM_SKIP_FLIGHTS === '1' && previous) {
    return { rows: previous.rows, notes: previous.notes, ratings: ratings.sets, ratingsNotes: ratings.notes, flightsFrom: previous.machine?.date ?? 'an earlier run' };
  }
  return { ...(await runFlights()), ratings: ratings.sets, ratingsNotes: ratings.notes };
}

async function runFlights(): Promise<{ rows: FmRow[]; notes: string[] }> {
  const files = await fmFlightsData();
  let version = '';
  const ours = (task: FmRow['task'], algorithm: 'fm' | 'linear-learner', hyperparameters: Record<string, unknown>, epochs: number) => {
    const [train, test] = task === 'binary' ? [files.train, files.test] : [files.delayTrain, files.delayTest];
    return json(process.execPath, ['--import', 'tsx', `${here}fm-ours.ts`, JSON.stringify({ train, test, featureDim: files.featureDim, algorithm, hyperparameters, epochs })]) as unknown as Run;
  };
  const quality = (q: Quality): Quality => (q.rmse !== undefined ? { rmse: q.rmse } : { logLoss: q.logLoss, auc: q.auc });
  const rows: FmRow[] = [];
  const tasks = [
    { task: 'binary' as const, predictor: 'binary_classifier', lr: { bias_lr: 0.05, linear_lr: 0.05, factors_lr: 0.05 } },
    { task: 'regression' as const, predictor: 'regressor', lr: { bias_lr: 0.5, linear_lr: 0.5, factors_lr: 0.2 } },
  ];
  for (const { task, predictor, lr } of tasks) {
    const settings = { predictor_type: predictor, num_factors: 64, mini_batch_size: 1000, optimizer: 'adagrad', ...lr, factors_init_sigma: 0.01 };
    const rates = `adagrad, lr ${lr.bias_lr}/${lr.linear_lr}/${lr.factors_lr}, batches of 1,000`;
    const fm = ours(task, 'fm', settings, 5);
    fm.epochs.forEach((e, i) => rows.push({
      task, implementation: `boundless factorization machine, k = 64, ${i + 1} pass${i ? 'es' : ''}`, seconds: e.seconds, ...quality(e),
      ...(i === 0 ? { nonZerosPerSecond: fm.nonZerosPerSecond, peakRssMb: fm.peakRssMb, note: rates } : {}),
    }));
    if (task === 'binary') {
      const grid = ours(task, 'fm', { ...settings, num_models: 4 }, 1);
      rows.push({
        task, implementation: 'boundless factorization machines, 4 models in one pass (k = 64, 32, 128, 64)', seconds: grid.epochs[0].seconds, ...quality(grid.epochs[0]),
        nonZerosPerSecond: grid.nonZerosPerSecond, peakRssMb: grid.peakRssMb, note: 'learning rates spread 0.1–10×; the model chosen by progressive validation',
      });
    }
    const linear = ours(task, 'linear-learner', { predictor_type: predictor, num_models: 1, mini_batch_size: 1000, optimizer: 'adam', learning_rate: 0.01, wd: 0, l1: 0 }, 1);
    rows.push({ task, implementation: 'boundless linear learner, one pass', seconds: linear.epochs[0].seconds, ...quality(linear.epochs[0]), nonZerosPerSecond: linear.nonZerosPerSecond, note: 'adam, lr 0.01' });
    const [train, test] = task === 'binary' ? [files.train, files.test] : [files.delayTrain, files.delayTest];
    const sklearn = json('/usr/bin/python3', [`${here}peers/fm_sklearn.py`, train, test, String(files.featureDim), String(files.fields.origin + files.fields.destination), task]);
    rows.push(...(sklearn.rows as Omit<FmRow, 'task'>[]).map((r) => ({ task, ...r })));
    version = String(sklearn.sklearn);
  }
  return {
    rows,
    notes: [
      `Data: ${files.trainRows.toLocaleString('en-US')} training and ${files.testRows.toLocaleString('en-US')} test flights (vega-datasets flights-3m, January–June 2001), six one-hot fields (${Object.entries(files.fields).map(([k, v]) => `${k} ${v}`).join(', ')}; ${files.featureDim} columns), shuffled with a fixed seed. 20.9% of flights are late; predicting that rate for every flight gives log loss 0.512.`,
      `scikit-learn ${version}. Binary: LogisticRegression and SGDClassifier (the classification forms of Ridge and SGDRegressor); regression: Ridge and SGDRegressor themselves, on the delay in minutes clipped to [−60, 180].`,
      'Times are training alone with the data in memory (parsing excluded for every implementation), one core each (BOUNDLESS_NUM_THREADS=1, OMP/OpenBLAS 1 thread).',
    ],
  };
}
