// ml.js ml-kmeans (Lloyd's in JavaScript, k-means++). argv: points.f32 dim k maxIterations.
import { readFileSync } from 'node:fs';
import { kmeans } from 'ml-kmeans';

const [path, dim, k, maxIterations] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const raw = readFileSync(path);
const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const rows = values.length / dim;
const points = Array.from({ length: rows }, (_, r) => Array.from(values.subarray(r * dim, (r + 1) * dim)));
const t0 = performance.now();
const result = kmeans(points, k, { initialization: 'kmeans++', maxIterations, seed: 0 });
const seconds = (performance.now() - t0) / 1000;
let inertia = 0;
for (let r = 0; r < rows; r++) {
  const c = result.centroids[result.clusters[r]];
  for (let j = 0; j < dim; j++) inertia += (points[r][j] - c[j]) ** 2;
}
console.log(JSON.stringify({ seconds, inertia, iterations: result.iterations, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
