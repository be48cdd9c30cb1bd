// One run of our PCA (any mode) for the benchmark, in its own process. Prints one JSON object:
// seconds, explained variances and components (k × d, rows) for comparison with the peers.
// argv[2]: JSON { train (CSV), points (raw float32, for the training-only run), k, inMemory?, mode?, extra? }
import { readFileSync } from 'node:fs';
import { createBackend, denseBatch, parseHyperparameters, pca, train, type PcaModel } from '../lib/index.js';
import { fashionDim } from './kmeans-data.js';

const config = JSON.parse(process.argv[2]) as { train: string; points: string; k: number; inMemory?: boolean; mode?: string; extra?: number };
const hp = { num_components: config.k, algorithm_mode: config.mode ?? 'regular', extra_components: config.extra ?? -1 };
let seconds: number;
let model: PcaModel;
if (config.inMemory) {
  const raw = readFileSync(config.points);
  const x = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const rows = x.length / fashionDim;
  const backend = await createBackend('cpu');
  const t0 = performance.now();
  const state = pca.createState(parseHyperparameters('pca', pca.hyperparameters, hp), { featureDim: fashionDim, labelSize: 0 }, backend);
  for (let r = 0; r < rows; r += 500) await pca.update(state, denseBatch(x.subarray(r * fashionDim, Math.min(rows, r + 500) * fashionDim), fashionDim), backend);
  model = await pca.finalize(state, backend);
  seconds = (performance.now() - t0) / 1000;
} else {
  const t0 = performance.now();
  model = (await train(pca, hp, { train: config.train, data: { format: 'csv', featureDim: fashionDim }, backend: 'cpu' })).model;
  seconds = (performance.now() - t0) / 1000;
}
const { v, explained_variance: ev } = model.data().tensors;
const k = config.k;
const components = Array.from({ length: k * fashionDim }, (_, i) => (v.data as Float32Array)[(i % fashionDim) * k + Math.floor(i / fashionDim)]);
console.log(JSON.stringify({ seconds, explained_variance: Array.from(ev.data as Float32Array), components, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
