// One run of our k-means for the benchmark, in its own process. Prints one JSON object.
// argv[2]: JSON { train, score: raw float32 file to score, hyperparameters, inMemory?, repeats? }
import { readFileSync } from 'node:fs';
import { createBackend, denseBatch, kmeans, parseHyperparameters, readBatches, train, type Batch, type KmeansModel } from '../lib/index.js';
import { fashionDim } from './kmeans-data.js';

const config = JSON.parse(process.argv[2]) as {
  train: string; score: string; hyperparameters: Record<string, unknown>; inMemory?: boolean; repeats?: number;
};
const data = { format: 'csv' as const, featureDim: fashionDim, labelSize: 0 as const };
let seconds: number;
let model!: KmeansModel;
if (config.inMemory) {
  const batches: Batch[] = [];
  const miniBatchSize = Number(config.hyperparameters.mini_batch_size ?? 5000);
  for await (const b of readBatches(config.train, { ...data, miniBatchSize })) {
    batches.push(denseBatch((b as { values: Float32Array }).values.slice(0, b.rows * fashionDim), fashionDim));
  }
  const backend = await createBackend('cpu');
  const hp = parseHyperparameters('kmeans', kmeans.hyperparameters, config.hyperparameters);
  const runs: number[] = [];
  for (let run = 0; run < (config.repeats ?? 1); run++) {
    const t0 = performance.now();
    const state = kmeans.createState(hp, { featureDim: fashionDim, labelSize: 0 }, backend);
    for (const batch of batches) await kmeans.update(state, batch, backend);
    model = await kmeans.finalize(state, backend);
    runs.push((performance.now() - t0) / 1000);
  }
  seconds = runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
} else {
  const t0 = performance.now();
  model = (await train(kmeans, config.hyperparameters, { train: config.train, data, epochs: 1, backend: 'cpu' })).model;
  seconds = (performance.now() - t0) / 1000;
}
// Inertia (sum of squared distances) on the scored points, as scikit-learn reports it.
const raw = readFileSync(config.score);
const points = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const { distance2 } = await model.assign(denseBatch(points, fashionDim));
let inertia = 0;
for (const d of distance2) inertia += d;
console.log(JSON.stringify({ seconds, inertia, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
