import { createHash } from 'node:crypto';
import { createBackend, kmeans, parseHyperparameters, readBatches, stateToBytes, type Batch } from '../lib/index.js';
const path = 'bench/data/threads-dense-400000x64.csv';
const batches: Batch[] = [];
for await (const b of readBatches(path, { format: 'csv', labelSize: 0, miniBatchSize: 1000 })) {
  const d = b as unknown as { values: Float32Array; cols: number; rows: number };
  batches.push({ kind: 'dense', rows: d.rows, cols: d.cols, values: d.values.slice(0, d.rows * d.cols) } as unknown as Batch);
}
const backend = await createBackend('cpu');
const hp = parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 10 });
const times: number[] = [];
let digest = '';
for (let run = 0; run < Number(process.env.RUNS ?? 3); run++) {
  const t0 = performance.now();
  const state = kmeans.createState(hp, { featureDim: batches[0].cols, labelSize: 0 }, backend);
  for (const batch of batches) await kmeans.update(state, batch, backend);
  times.push((performance.now() - t0) / 1000);
  digest = createHash('sha256').update(stateToBytes(state)).digest('hex').slice(0, 16);
}
console.log(JSON.stringify({ min: Math.min(...times), times, digest }));
