// Factorization machines against linear peers on 3,000,000 flights (bench/fm-data.ts), same run,
// one core each: is the flight 15+ minutes late, from six one-hot fields. Reports test log loss
// and AUC, after one pass and after more epochs, the time (training alone, data in memory) and
// the throughput in non-zeros per second at k = 64.
import { fileURLToPath } from 'node:url';
import { runJson } from './subprocess.js';
import { fmFlightsData } from './fm-data.js';

export interface FmRow { implementation: string; seconds: number; logLoss: number; auc: number; nonZerosPerSecond?: number; peakRssMb?: number; note?: string }

const here = fileURLToPath(new URL('.', import.meta.url));
const json = (command: string, args: string[]) => runJson(command, args);

type Run = { epochs: { seconds: number; logLoss: number; auc: number }[]; nonZerosPerSecond: number; peakRssMb: number };

export async function runFactorizationMachines(): Promise<{ rows: FmRow[]; notes: string[] }> {
  const files = await fmFlightsData();
  const ours = (algorithm: 'fm' | 'linear-learner', hyperparameters: Record<string, unknown>, epochs: number) =>
    json(process.execPath, ['--import', 'tsx', `${here}fm-ours.ts`, JSON.stringify({ train: files.train, test: files.test, featureDim: files.featureDim, algorithm, hyperparameters, epochs })]) as unknown as Run;
  const fmSettings = { predictor_type: 'binary_classifier', num_factors: 64, mini_batch_size: 1000, optimizer: 'adagrad', bias_lr: 0.05, linear_lr: 0.05, factors_lr: 0.05, factors_init_sigma: 0.01 };
  const fm = ours('fm', fmSettings, 5);
  const rows: FmRow[] = fm.epochs.map((e, i) => ({
    implementation: `boundless factorization machine, k = 64, ${i + 1} pass${i ? 'es' : ''}`, seconds: e.seconds, logLoss: e.logLoss, auc: e.auc,
    ...(i === 0 ? { nonZerosPerSecond: fm.nonZerosPerSecond, peakRssMb: fm.peakRssMb, note: 'adagrad, lr 0.05, batches of 1,000' } : {}),
  }));
  const grid = ours('fm', { ...fmSettings, num_models: 4 }, 1);
  rows.push({
    implementation: 'boundless factorization machines, 4 models in one pass (k = 64, 32, 128, 64)', seconds: grid.epochs[0].seconds, logLoss: grid.epochs[0].logLoss, auc: grid.epochs[0].auc,
    nonZerosPerSecond: grid.nonZerosPerSecond, peakRssMb: grid.peakRssMb, note: 'learning rates spread 0.1–10×; the model chosen by progressive validation',
  });
  const linear = ours('linear-learner', { predictor_type: 'binary_classifier', num_models: 1, mini_batch_size: 1000, optimizer: 'adam', learning_rate: 0.01, wd: 0, l1: 0 }, 1);
  rows.push({ implementation: 'boundless linear learner, one pass', seconds: linear.epochs[0].seconds, logLoss: linear.epochs[0].logLoss, auc: linear.epochs[0].auc, nonZerosPerSecond: linear.nonZerosPerSecond, note: 'adam, lr 0.01' });
  const sklearn = json('/usr/bin/python3', [`${here}peers/fm_sklearn.py`, files.train, files.test, String(files.featureDim), String(files.fields.origin + files.fields.destination)]);
  rows.push(...(sklearn.rows as FmRow[]));
  return {
    rows,
    notes: [
      `Data: ${files.trainRows.toLocaleString('en-US')} training and ${files.testRows.toLocaleString('en-US')} test flights (vega-datasets flights-3m, January–June 2001), six one-hot fields (${Object.entries(files.fields).map(([k, v]) => `${k} ${v}`).join(', ')}; ${files.featureDim} columns), shuffled with a fixed seed. 20.9% of flights are late; predicting that rate for every flight gives log loss 0.512.`,
      `scikit-learn ${sklearn.sklearn}. Ridge and SGDRegressor, named as peers for ratings, are the regression forms of LogisticRegression and SGDClassifier; on this binary task log loss decides.`,
      'Times are training alone with the data in memory (parsing excluded for every implementation), one core each (BOUNDLESS_NUM_THREADS=1, OMP/OpenBLAS 1 thread).',
    ],
  };
}
