import { train, readBatches } from './lib/index.js';
import './lib/algorithms/builtin.js';
import { getAlgorithm } from './lib/algorithms/registry.js';
import { exactAuc } from './bench/auc.js';
const [name, workersArg, syncArg] = process.argv.slice(2);
const data = { format: 'libsvm' as const, featureDim: 5991 };
const hp: Record<string, unknown> = name === 'fm' ? { predictor_type: 'binary_classifier', num_factors: 8 } : { predictor_type: 'binary_classifier', num_models: 32 };
const t = performance.now();
const r = await train(getAlgorithm(name === 'fm' ? 'factorization-machines' : 'linear-learner'), hp, { train: '/tmp/ww/fl-train.svm', test: '/tmp/ww/fl-test.svm', data, epochs: 1, workers: Number(workersArg), syncEvery: syncArg ? { batches: Number(syncArg) } : undefined });
const secs = (performance.now() - t) / 1000;
const scores: number[] = []; const labels: number[] = [];
for await (const b of readBatches('/tmp/ww/fl-test.svm', { ...data, miniBatchSize: 10000 })) {
  const p = await r.model.predict(b); const s = (p.score ?? Object.values(p)[0]) as Float32Array;
  for (let i = 0; i < b.rows; i++) { scores.push(s[i]); labels.push(b.labels![i]); }
}
console.log(name, 'workers', workersArg, 'sync', syncArg, 'auc', exactAuc(scores, labels).toFixed(5), JSON.stringify(r.metrics.test).slice(0, 200), 'secs', secs.toFixed(1));
