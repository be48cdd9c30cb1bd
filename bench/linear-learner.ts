// Linear learner against its peers, same data, same run (issue: one core
// unless stated). Our runs and the JavaScript peers run in child processes so
// each has its own thread count and peak memory; scikit-learn and liblinear
// are Debian's. AUC is exact (bench/auc.ts) on the held-out rows for everyone.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { oneCore, runJson } from './subprocess.js';
import { exactAuc } from './auc.js';
import { flightsData, flightsFeatures, hashedData, hashedFeatures } from './linear-learner-data.js';

export interface LinearRow {
  dataset: string;
  implementation: string;
  seconds: number;
  auc: number;
  peakRssMb?: number;
  note?: string;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const python = '/usr/bin/python3';
const json = (command: string, args: string[], env = oneCore) => runJson(command, args, { env });

function ours(config: Record<string, unknown>): { seconds: number; auc: number; peakRssMb: number; selected: number } {
  return json(process.execPath, ['--import', 'tsx', `${here}linear-learner-ours.ts`, JSON.stringify(config)]) as never;
}

function liblinear(train: string, test: string): { seconds: number; auc: number } {
  const model = `${train}.liblinear-model`;
  const t0 = performance.now();
  // -s 0: L2-regularized logistic regression (primal, trust region Newton), C = 1, with a bias term.
  execFileSync('liblinear-train', ['-s', '0', '-B', '1', '-q', train, model]);
  const seconds = (performance.now() - t0) / 1000;
  const out = `${model}.predictions`;
  execFileSync('liblinear-predict', ['-b', '1', test, model, out], { stdio: 'ignore' });
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  const positiveColumn = lines[0].split(/\s+/).indexOf('1');
  const scores = lines.slice(1).map((l) => Number(l.split(/\s+/)[positiveColumn]));
  const labels = readFileSync(test, 'utf8').trim().split('\n').map((l) => Number(l.slice(0, l.indexOf(' '))));
  return { seconds, auc: exactAuc(scores, labels) };
}

export async function runLinearLearner(): Promise<{ rows: LinearRow[]; notes: string[] }> {
  const rows: LinearRow[] = [];
  const notes: string[] = [];

  // --- flights: real, dense, 160,000 training rows -------------------------------------------
  const flights = await flightsData();
  const base = { train: flights.trainCsv, test: flights.testCsv, format: 'csv', featureDim: flightsFeatures };
  const binary = { predictor_type: 'binary_classifier', epochs: 1 };
  const tuned = { ...binary, mini_batch_size: 100, optimizer: 'adagrad', learning_rate: 0.05 };
  const add = (implementation: string, r: { seconds: number; auc: number; peakRssMb?: number }, note?: string, dataset = 'flights') =>
    rows.push({ dataset, implementation, seconds: r.seconds, auc: r.auc, ...(r.peakRssMb ? { peakRssMb: r.peakRssMb } : {}), ...(note ? { note } : {}) });

  // The flights runs take tens of milliseconds: training-only rows are the median of 7 runs.
  add('boundless, 1 model (training only)', ours({ ...base, inMemory: true, repeats: 7, hyperparameters: { ...tuned, num_models: 1 } }), 'adagrad 0.05, batch 100');
  add('boundless, 32 models (training only)', ours({ ...base, inMemory: true, repeats: 7, hyperparameters: { ...tuned, num_models: 32, binary_classifier_model_selection_criteria: 'loss_function' } }), 'grid around adagrad 0.05, batch 100; selected by progressive loss');
  add('boundless, 1 model (from the CSV file)', ours({ ...base, hyperparameters: { ...tuned, num_models: 1 } }), 'parse + train, one pass');
  add('boundless, 32 models (from the CSV file)', ours({ ...base, hyperparameters: { ...tuned, num_models: 32, binary_classifier_model_selection_criteria: 'loss_function' } }), 'parse + train, one pass');
  add('boundless, 1 model, SageMaker defaults (training only)', ours({ ...base, inMemory: true, repeats: 7, hyperparameters: { ...binary, num_models: 1 } }), 'adam 0.02, batch 1000');

  const sklearn = json(python, [`${here}peers/linear_sklearn.py`, flights.trainCsv, flights.testCsv, 'csv', String(flightsFeatures), 'sgd,logreg', '7']);
  for (const r of sklearn.rows as { implementation: string; seconds: number; auc: number }[]) add(r.implementation, r, 'numpy arrays in memory, scaled as ours');
  notes.push('On flights, training-only rows of boundless and the SGDClassifier row are medians of 7 runs.');
  notes.push(`scikit-learn ${sklearn.sklearn}: loading the CSV with numpy.loadtxt took ${(sklearn.load_seconds as number).toFixed(2)} s (not counted).`);
  add('liblinear -s 0 (train binary)', liblinear(flights.trainSvm, flights.testSvm), 'to convergence: the quality ceiling');
  add('tfjs 4 (wasm backend), Adam, batch 1000', json(process.execPath, ['--import', 'tsx', `${here}peers/linear-tfjs.ts`, flights.trainCsv, flights.testCsv, String(flightsFeatures)]) as never, 'one epoch');
  add('ml.js ml-logistic-regression', json(process.execPath, ['--import', 'tsx', `${here}peers/linear-mljs.ts`, flights.trainCsv, flights.testCsv, String(flightsFeatures), '20']) as never, '20 full-batch gradient steps (its only mode), learning rate 0.5');

  // --- hashed: generated, sparse, 10M rows in 2^22 buckets -------------------------------------
  const hashed = await hashedData();
  const sparse = { train: hashed.train, test: hashed.test, format: 'libsvm', featureDim: hashedFeatures };
  const hashedHp = { ...binary, mini_batch_size: 1000, normalize_data: false };
  add('boundless, 1 model (training only)', ours({ ...sparse, inMemory: true, hyperparameters: { ...hashedHp, num_models: 1 } }), 'adam defaults, batch 1000', 'hashed');
  add('boundless, 32 models (training only)', ours({ ...sparse, inMemory: true, hyperparameters: { ...hashedHp, num_models: 32, binary_classifier_model_selection_criteria: 'loss_function' } }), 'selected by progressive loss', 'hashed');
  add('boundless, 1 model (from the libsvm file)', ours({ ...sparse, hyperparameters: { ...hashedHp, num_models: 1 } }), 'parse + train, one pass, adam defaults', 'hashed');
  add('boundless, 32 models (from the libsvm file)', ours({ ...sparse, hyperparameters: { ...hashedHp, num_models: 32, binary_classifier_model_selection_criteria: 'loss_function' } }), 'parse + train, one pass', 'hashed');
  // Memory does not follow the rows: the same run on the first tenth of the data.
  const tenth = await hashedData(1_000_000);
  add('boundless, 1 model, 1M rows (memory check)', ours({ ...sparse, train: tenth.train, hyperparameters: { ...hashedHp, num_models: 1 } }), 'a tenth of the rows: compare peak RSS', 'hashed');
  const sklearnSparse = json(python, [`${here}peers/linear_sklearn.py`, hashed.train, hashed.test, 'svm', String(hashedFeatures), 'sgd']);
  for (const r of sklearnSparse.rows as { implementation: string; seconds: number; auc: number }[]) add(r.implementation, r, 'scipy CSR in memory', 'hashed');
  const sgdSparse = (sklearnSparse.rows as { seconds: number }[])[0].seconds;
  notes.push(`scikit-learn: loading the 10M-row libsvm file with load_svmlight_file took ${(sklearnSparse.load_seconds as number).toFixed(1)} s (not counted above; load + one epoch = ${((sklearnSparse.load_seconds as number) + sgdSparse).toFixed(1)} s, to compare with our "from the libsvm file" rows); peak RSS ${Math.round(sklearnSparse.peak_rss_mb as number)} MB.`);
  add('liblinear -s 0 (train binary)', liblinear(hashed.train, hashed.test), 'to convergence, includes reading the file', 'hashed');
  notes.push('tfjs and ml.js are not run on the hashed set: neither has sparse inputs, and a dense 4,194,304-wide batch is not how they would be used.');
  notes.push('"training only" rows time createState → updates → finalize on batches parsed beforehand (as numpy arrays are for scikit-learn); "from the file" rows include native parsing (on the thread budget: at one thread it takes turns with training).');
  return { rows, notes };
}
