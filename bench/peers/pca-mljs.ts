// ml.js ml-pca (covariance matrix + SVD in JavaScript). argv: points.f32 dim k. Prints one JSON object.
import { readFileSync } from 'node:fs';
import { PCA } from 'ml-pca';

const [path, dim, k] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const raw = readFileSync(path);
const values = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const rows = values.length / dim;
const data = Array.from({ length: rows }, (_, r) => Array.from(values.subarray(r * dim, (r + 1) * dim)));
const t0 = performance.now();
const model = new PCA(data, { method: 'covarianceMatrix', center: true, scale: false });
const seconds = (performance.now() - t0) / 1000;
const eigenvalues = model.getEigenvalues().slice(0, k);
const vectors = model.getEigenvectors(); // d × d, column m = component m
const components: number[] = [];
for (let m = 0; m < k; m++) for (let j = 0; j < dim; j++) components.push(vectors.get(j, m));
console.log(JSON.stringify({ seconds, explained_variance: eigenvalues, components, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
