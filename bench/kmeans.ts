// K-means against its peers on Fashion-MNIST (70,000 × 784), k = 10 and 100,
// same run: scikit-learn KMeans (the quality reference), MiniBatchKMeans (one
// pass, and converged), ml.js ml-kmeans. Inertia on all 70,000 points for
// everyone. One core for training (BOUNDLESS_NUM_THREADS=1, one BLAS thread).
import { fileURLToPath } from 'node:url';
import { runJson } from './subprocess.js';
import { fashionData, fashionDim } from './kmeans-data.js';

export interface KmeansRow { k: number; implementation: string; seconds: number; inertia: number; peakRssMb?: number; note?: string }

const here = fileURLToPath(new URL('.', import.meta.url));
const json = (command: string, args: string[]) => runJson(command, args);

const ours = (config: Record<string, unknown>) =>
  json(process.execPath, ['--import', 'tsx', `${here}kmeans-ours.ts`, JSON.stringify(config)]) as { seconds: number; inertia: number; peakRssMb: number };

export async function runKmeans(): Promise<{ rows: KmeansRow[]; notes: string[] }> {
  const files = fashionData();
  const rows: KmeansRow[] = [];
  const notes: string[] = [];
  for (const k of [10, 100]) {
    const hp = { k, seed: 1 };
    const add = (implementation: string, r: { seconds: number; inertia: number; peakRssMb?: number }, note?: string) =>
      rows.push({ k, implementation, seconds: r.seconds, inertia: r.inertia, ...(r.peakRssMb ? { peakRssMb: r.peakRssMb } : {}), ...(note ? { note } : {}) });
    add('boundless (training only)', ours({ train: files.csv, score: files.f32, inMemory: true, repeats: 3, hyperparameters: hp }), 'one pass, defaults; median of 3');
    add('boundless (from the CSV file)', ours({ train: files.csv, score: files.f32, hyperparameters: hp }), 'parse + train + reduce');
    add('boundless, 10× the data (from 10 copies of the CSV)', ours({ train: files.tenfold, score: files.f32, hyperparameters: hp }), 'memory check: compare peak RSS');
    const sklearn = json('/usr/bin/python3', [`${here}peers/kmeans_sklearn.py`, files.f32, String(fashionDim), String(k), '5000']);
    for (const r of sklearn.rows as { implementation: string; seconds: number; inertia: number }[]) add(r.implementation, r);
    if (k === 10) notes.push(`scikit-learn ${sklearn.sklearn}, batches of 5,000 for MiniBatchKMeans (SageMaker's mini_batch_size).`);
    add('ml.js ml-kmeans (Lloyd\'s in JavaScript, k-means++)', json(process.execPath, ['--import', 'tsx', `${here}peers/kmeans-mljs.ts`, files.f32, String(fashionDim), String(k), '10']) as never, 'stopped after 10 iterations');
  }
  notes.push('Inertia is the sum of squared distances of all 70,000 points to their nearest centre, computed the same way for every row.');
  return { rows, notes };
}
