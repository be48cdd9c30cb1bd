// The linear learner on sparse rows: a step's work is per touched feature (the regularization a
// feature missed while absent caught up when it returns, then its optimizer step and average).
// Speed-ups of that path must leave the results as they were, to the byte, on 1 and 2 threads and
// on the baseline and AVX2 builds.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { packageRoot } from '../../../lib/package-root.js';
import { loadCoreAddon } from '../../../lib/index.js';

// sha256 of the states and models below, with BOUNDLESS_NUM_THREADS=1 and 2 alike: pinned on
// 2026-12-07 with the per-feature step loops, before one model's sparse steps ran in loops across
// the step's features. The AVX2 build fuses multiply-adds that the baseline rounds twice, so each
// build has its own.
const previous = {
  avx2: {
    oneModel: 'd23f706303b25239d2bc62e7384bb4390d5a56f82067ce499f608bcd0e9312b2',
    oneModelRegularized: '57f03dc59ed0a57e10d0a3523054de15334b4c93134502c1d450bd2115f59b1b',
    oneModelAdam: 'feb57622cdb1f98297bebaeb889da508aadf1959aec1a037da00ad6dde9302c0',
    oneModelMomentum: 'f24e4bdf1862c877abfac6e6a08f4f368b5d9e255baa30fc9033895f0c7fc348',
    oneModelRegressor: '293513d015d529b838186dc25ec3463dae292476ae29c635ae807bd3af3a8d2e',
    oneModelNoAverage: 'c8c296640d14d61daff005d26e6e58de0924500c2167b920e9871401a5fc736a',
    threeModels: '9f9b98a6dbe3e0fe4276858aa8d91064b7c922a2e9951ceac0c7a77c07191419',
  },
  baseline: {
    oneModel: 'e4a21e704a0fad1808fba56abad8d7c206772646a203b8776bd2efdf67d4ebda',
    oneModelRegularized: '60a056ea9a225f371c566e24ae1540da0eb5f316e3dee02482060cbc7cb01a1f',
    oneModelAdam: '155362d1c132a22e29e9ec6a62ad9fc737be094e8b329be5af303c7f14346099',
    oneModelMomentum: '5fab0070c658722ccd9d9915ad7efb6d367eae0547f72a32a0a123a9d496c670',
    oneModelRegressor: 'a3f770fe111faff594c4009f179cf8107de3c18de1791ef60375d2d727ec9723',
    oneModelNoAverage: '920404712d7b2dea5b5ecddcf441966c8c0112ff8fc2703f7635ef9567a2297a',
    threeModels: '7d5426e344c3ccbc4b9e81a04acaa55f9eeaf73110edff1dfb274261d750e9af',
  },
};

const fingerprint = `  import { createHash } from 'node:crypto';
  import { createBackend, linearLearner as ll, loadCoreAddon, parseHyperparameters, Random } from './lib/index.js';
  const backend = await createBackend('cpu');
  const out = {};
  // Sparse rows over 3000 features, popular and rare ones (features sit out 0, 1 or many steps).
  function sparseBatch(random, rows, dim, regression) {
    const indptr = new Int32Array(rows + 1), indices = [], values = [], labels = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const chosen = new Set();
      for (let e = 0; e < 12; e++) chosen.add(Math.floor((random.nextFloat() ** 2) * dim));
      let z = 0;
      for (const j of [...chosen].sort((a, b) => a - b)) { const x = j % 5 === 0 ? 1 : 1 + random.nextGaussian() * 0.5; indices.push(j); values.push(x); z += (j % 7 - 3) * x * 0.1; }
      labels[r] = regression ? 3 + z + random.nextGaussian() * 0.1 : (z + random.nextGaussian() * 0.3 > 0 ? 1 : 0);
      indptr[r + 1] = indices.length;
    }
    return { kind: 'sparse', rows, cols: dim, indptr, indices: Uint32Array.from(indices), values: Float32Array.from(values), labels };
  }
  // The scaler's sample ends within the run, so the average starts part-way (and features that
  // sat out from before it catch up across its start).
  const base = { predictor_type: 'binary_classifier', num_models: 1, num_point_for_scaler: 700, seed: 5 };
  const cases = {
    oneModel: base,
    oneModelRegularized: { ...base, wd: 0.002, l1: 0.001 },
    oneModelAdam: { ...base, optimizer: 'adam', l1: 0.0005 },
    oneModelMomentum: { ...base, optimizer: 'sgd', momentum: 0.5, wd: 0.001 },
    oneModelRegressor: { ...base, predictor_type: 'regressor' },
    oneModelNoAverage: { ...base, average: false, optimizer: 'rmsprop' },
    threeModels: { ...base, num_models: 3 },
  };
  for (const [name, hp] of Object.entries(cases)) {
    const hash = createHash('sha256');
    const add = (a) => hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const random = Random.fromSeed(31);
    const state = ll.createState(parseHyperparameters('linear-learner', ll.hyperparameters, hp), { featureDim: 3000, labelSize: 1, sparse: true }, backend);
    for (let b = 0; b < 30; b++) {
      const batch = sparseBatch(random, b % 3 === 1 ? 100 : 128, 3000, hp.predictor_type === 'regressor');
      if (b % 4 === 2) batch.weights = Float32Array.from({ length: batch.rows }, (_, r) => 0.5 + (r % 3));
      await ll.update(state, batch, backend);
    }
    // The pass sums (pass_*, last_pass_*, second_pass_*) came after these fingerprints, all zero in one pass, and so did a
    // regressor's label order (its rises and falls) and the counts of rows the scaler's sample misjudged (scaler_drift, a
    // diagnostic the training does not read): every tensor but those.
    const later = (n) => /^(pass|last_pass|second_pass)_/.test(n) || n === 'scaler_drift' || (hp.predictor_type === 'regressor' && n === 'progressive_label_order');
    for (const [n, t] of Object.entries(state.tensors)) if (!later(n)) add(t.data);
    const m = (await ll.finalize(state, backend)).data();
    for (const t of Object.values(m.tensors)) add(t.data);
    hash.update(JSON.stringify(m.scalars));
    out[name] = hash.digest('hex');
  }
  console.log(JSON.stringify({ threads: loadCoreAddon().runtimeInfo().threads, ...out }));
`;

function run(threads: number, isa: 'baseline' | 'avx2'): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', fingerprint], {
    cwd: packageRoot, env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads), BOUNDLESS_CPU_ISA: isa }, encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('the linear learner on sparse rows', function () {
  this.timeout(120_000);

  it('gives the previous implementation\'s states and models to the byte on the baseline build, on 1 and 2 threads', () => {
    assert.deepEqual(run(1, 'baseline'), { threads: 1, ...previous.baseline });
    assert.deepEqual(run(2, 'baseline'), { threads: 2, ...previous.baseline });
  });

  it('and on the AVX2 build, on 1 and 2 threads', function () {
    if (process.arch !== 'x64' || !loadCoreAddon().runtimeInfo().cpuSupportsAvx2Fma) this.skip();
    assert.deepEqual(run(1, 'avx2'), { threads: 1, ...previous.avx2 });
    assert.deepEqual(run(2, 'avx2'), { threads: 2, ...previous.avx2 });
  });
});
