// One timing of k-means' finalize (the K → k reduction: k-means++ and Lloyd's trials on the held
// centres) in its own process, so BOUNDLESS_NUM_THREADS is its own. Prints one JSON object.
// argv[2]: JSON { k, factor, dim, rows, repeats }
import { createHash } from 'node:crypto';
import { Random, createBackend, denseBatch, kmeans, loadCoreAddon, parseHyperparameters } from '../lib/index.js';
import { reductionTrials } from '../lib/algorithms/kmeans/settings.js';

const { k, factor, dim, rows, repeats } = JSON.parse(process.argv[2]) as { k: number; factor: number; dim: number; rows: number; repeats: number };
const backend = await createBackend('cpu');
const hp = parseHyperparameters('kmeans', kmeans.hyperparameters, { k, extra_center_factor: factor, seed: 1 });
const state = kmeans.createState(hp, { featureDim: dim, labelSize: 0 }, backend);
// Rows around 4k random centres: the K streaming centres end up spread over all of them. Fewer
// rows than the refined model waits for (50 per streaming centre), so finalize reduces.
const random = Random.fromSeed(7);
const truth = Float32Array.from({ length: 4 * k * dim }, () => 10 * random.nextGaussian());
const x = new Float32Array(rows * dim);
for (let r = 0; r < rows; r++) {
  const c = Math.floor(random.nextFloat() * 4 * k);
  for (let j = 0; j < dim; j++) x[r * dim + j] = truth[c * dim + j] + random.nextGaussian();
}
for (let r = 0; r < rows; r += 1000) await kmeans.update(state, denseBatch(x.slice(r * dim, Math.min(rows, r + 1000) * dim), dim), backend);
const held = (state.tensors.counters.data as Float64Array)[1];
if ((state.tensors.model_counters.data as Float64Array)[0] > 0) throw new Error('kmeans-finalize: the refined model started; use fewer rows');
const times: number[] = [];
let digest = '';
for (let run = 0; run < repeats; run++) {
  const t0 = performance.now();
  const model = await kmeans.finalize(state, backend);
  times.push((performance.now() - t0) / 1000);
  digest = createHash('sha256').update(new Uint8Array(model.centers.buffer, model.centers.byteOffset, model.centers.byteLength)).digest('hex').slice(0, 16);
}
console.log(JSON.stringify({
  threads: loadCoreAddon().runtimeInfo().threads, held, trials: reductionTrials(hp, held, k, dim),
  seconds: times.sort((a, b) => a - b)[Math.floor(times.length / 2)], centers: digest,
}));
