// One run of our linear learner for the benchmark, in its own process (so the
// thread count and peak memory are its own). Prints one JSON object.
// argv[2]: JSON { train, test, format, featureDim, hyperparameters, inMemory? }
import { linearLearner, readBatches, train, type RowBatch } from '../lib/index.js';
import { exactAuc } from './auc.js';

const config = JSON.parse(process.argv[2]) as {
  train: string; test: string; format: 'csv' | 'libsvm'; featureDim: number; hyperparameters: Record<string, unknown>; inMemory?: boolean;
  /** Runs of the training-only measurement; the median is reported (small data is noisy here). */
  repeats?: number;
};
const data = { format: config.format, featureDim: config.featureDim };

function copy(batch: RowBatch): RowBatch {
  if (batch.kind === 'dense') {
    return { ...batch, values: batch.values.slice(0, batch.rows * batch.cols), labels: batch.labels!.slice(0, batch.rows) };
  }
  const nnz = batch.indptr[batch.rows];
  return { ...batch, indptr: batch.indptr.slice(0, batch.rows + 1), indices: batch.indices.slice(0, nnz), values: batch.values.slice(0, nnz), labels: batch.labels!.slice(0, batch.rows) };
}

let seconds: number;
let model!: Awaited<ReturnType<typeof train>>['model'];
if (config.inMemory) {
  // Training alone: batches parsed beforehand and kept in memory, as a numpy array is for sklearn.
  const batches: RowBatch[] = [];
  const miniBatchSize = Number(config.hyperparameters.mini_batch_size ?? 1000);
  for await (const batch of readBatches(config.train, { ...data, miniBatchSize })) batches.push(copy(batch));
  const { createBackend, parseHyperparameters } = await import('../lib/index.js');
  const backend = await createBackend('cpu');
  const hp = parseHyperparameters('linear-learner', linearLearner.hyperparameters, config.hyperparameters);
  const runs: number[] = [];
  for (let run = 0; run < (config.repeats ?? 1); run++) {
    const t0 = performance.now();
    const state = linearLearner.createState(hp, { featureDim: config.featureDim, labelSize: 1, sparse: batches[0].kind === 'sparse' }, backend);
    for (const batch of batches) await linearLearner.update(state, batch, backend);
    model = await linearLearner.finalize(state, backend);
    runs.push((performance.now() - t0) / 1000);
  }
  seconds = runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
} else {
  const t0 = performance.now();
  const result = await train(linearLearner, config.hyperparameters, { train: config.train, data, epochs: 1, backend: 'cpu' });
  seconds = (performance.now() - t0) / 1000;
  model = result.model;
}
const scores: number[] = [];
const labels: number[] = [];
for await (const batch of readBatches(config.test, { ...data, miniBatchSize: 10_000 })) {
  const { score } = await model.predict(batch);
  for (let r = 0; r < batch.rows; r++) {
    scores.push(Number(score[r]));
    labels.push(batch.labels![r]);
  }
}
console.log(JSON.stringify({
  seconds, auc: exactAuc(scores, labels), selected: model.data().scalars.selected_model,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
}));
