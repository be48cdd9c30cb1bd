// One run of our factorization machine (or linear learner) for the benchmark, in its own process.
// Batches are parsed beforehand and kept in memory (as a numpy array is for scikit-learn); the
// time is training alone. After every epoch the model is scored on the test set. Prints one JSON
// object: per epoch { seconds (cumulative), logLoss and auc (binary) or rmse (regression) },
// non-zeros per second, peak RSS.
// argv[2]: JSON { train, test, featureDim, algorithm: 'fm' | 'linear-learner', hyperparameters, epochs }
import { createBackend, factorizationMachines, linearLearner, parseHyperparameters, readBatches, type Batch } from '../lib/index.js';
import { exactAuc } from './auc.js';

const config = JSON.parse(process.argv[2]) as {
  train: string; test: string; featureDim: number; algorithm: 'fm' | 'linear-learner'; hyperparameters: Record<string, unknown>; epochs: number;
};
const data = { format: 'libsvm' as const, featureDim: config.featureDim };

function copy(batch: Batch): Batch {
  if (batch.kind !== 'sparse') throw new Error('expected sparse batches');
  const nnz = batch.indptr[batch.rows];
  return { ...batch, indptr: batch.indptr.slice(0, batch.rows + 1), indices: batch.indices.slice(0, nnz), values: batch.values.slice(0, nnz), labels: batch.labels!.slice(0, batch.rows) };
}

async function load(path: string, miniBatchSize: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of readBatches(path, { ...data, miniBatchSize })) batches.push(copy(batch));
  return batches;
}

const miniBatchSize = Number(config.hyperparameters.mini_batch_size ?? 1000);
const trainBatches = await load(config.train, miniBatchSize);
const testBatches = await load(config.test, 10_000);
const nonZeros = trainBatches.reduce((n, b) => n + (b.kind === 'sparse' ? b.indptr[b.rows] : 0), 0);
const backend = await createBackend('cpu');
const algorithm = (config.algorithm === 'fm' ? factorizationMachines : linearLearner) as unknown as typeof factorizationMachines;
const hp = parseHyperparameters(algorithm.name, algorithm.hyperparameters, config.hyperparameters);
const state = algorithm.createState(hp as never, { featureDim: config.featureDim, labelSize: 1, sparse: true }, backend);

const regression = config.hyperparameters.predictor_type === 'regressor';

async function score(): Promise<{ logLoss: number; auc: number } | { rmse: number }> {
  // The state's own choice: progressive validation picks among several models.
  const model = await algorithm.finalize(state, backend);
  const scores: number[] = [];
  const labels: number[] = [];
  let loss = 0;
  if (regression) {
    let squares = 0, rows = 0;
    for (const batch of testBatches) {
      const { score: s } = await model.predict(batch);
      for (let r = 0; r < batch.rows; r++) squares += (Number(s[r]) - batch.labels![r]) ** 2;
      rows += batch.rows;
    }
    return { rmse: Math.sqrt(squares / rows) };
  }
  for (const batch of testBatches) {
    const { score: s } = await model.predict(batch);
    for (let r = 0; r < batch.rows; r++) {
      const p = Math.min(1 - 1e-7, Math.max(1e-7, Number(s[r])));
      const y = batch.labels![r];
      loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
      scores.push(p);
      labels.push(y);
    }
  }
  return { logLoss: loss / labels.length, auc: exactAuc(scores, labels) };
}

const epochs: ({ seconds: number } & Awaited<ReturnType<typeof score>>)[] = [];
let seconds = 0;
for (let epoch = 0; epoch < config.epochs; epoch++) {
  const t0 = performance.now();
  for (const batch of trainBatches) await algorithm.update(state, batch, backend);
  seconds += (performance.now() - t0) / 1000;
  epochs.push({ seconds, ...(await score()) });
}
console.log(JSON.stringify({ epochs, nonZeros, nonZerosPerSecond: nonZeros / epochs[0].seconds, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
