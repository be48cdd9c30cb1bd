// tfjs (wasm backend) logistic regression: one epoch of Adam over mini-batches.
// argv: train.csv test.csv features. Prints one JSON object.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { exactAuc } from '../auc.js';
import { loadCsv, standardizer } from './dense-table.js';

const [trainPath, testPath, features] = [process.argv[2], process.argv[3], Number(process.argv[4])];
await tf.setBackend('wasm');
const train = await loadCsv(trainPath, features);
const test = await loadCsv(testPath, features);
const t0 = performance.now();
const scale = standardizer(train);
scale(train);
const w = tf.variable(tf.zeros([features, 1]));
const b = tf.variable(tf.zeros([1]));
const optimizer = tf.train.adam(0.02);
const batchSize = 1000;
for (let start = 0; start < train.rows; start += batchSize) {
  const rows = Math.min(batchSize, train.rows - start);
  const x = tf.tensor2d(train.x.subarray(start * features, (start + rows) * features), [rows, features]);
  const y = tf.tensor2d(train.y.subarray(start, start + rows), [rows, 1]);
  // The logistic gradient written out (tfjs-core's autodiff needs the gradient registry of the
  // full tfjs package, which does not load as ESM here): dL/dz = σ(z) − y, averaged over rows.
  const grads = tf.tidy(() => {
    const error = tf.div(tf.sub(tf.sigmoid(tf.add(tf.matMul(x, w), b)), y), rows);
    return { w: tf.matMul(x, error, true, false), b: tf.sum(error, 0) };
  });
  optimizer.applyGradients([{ name: w.name, tensor: grads.w }, { name: b.name, tensor: grads.b }]);
  grads.w.dispose();
  grads.b.dispose();
  x.dispose();
  y.dispose();
}
const seconds = (performance.now() - t0) / 1000;
scale(test);
const scores = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(test.x, [test.rows, features]), w), b)).dataSync();
console.log(JSON.stringify({ seconds, auc: exactAuc(scores, test.y), peakRssMb: process.resourceUsage().maxRSS / 1024 }));
