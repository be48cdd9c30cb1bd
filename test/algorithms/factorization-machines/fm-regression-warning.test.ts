// A factorization-machine regressor no better than its labels' mean says so after the first pass.
// Labels far from 0 were the case found (labels near 10^6: progressive RMSE 10^6, exit 0, no word):
// the bias starts near 0 and moves a learning rate a step. The warning needs the labels' moments,
// which the state keeps as progressive_labels (Σw, Σw·y, Σw·y²): added on every backend once a row,
// summed by merges, zero (no warning) in a state written before them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Random, createBackend, denseBatch, factorizationMachines as fm, parseHyperparameters, type Backend, type Batch,
} from '../../../lib/index.js';
import { trainingWarnings } from '../../fixtures/training-warnings.js';

/** The warnings but the one about few optimizer steps (these files are a few batches: fm-steps-warning.test.ts tests it). */
const besidesSteps = (warnings: string[]) => warnings.filter((w) => !w.includes('optimizer step'));

const dim = 4;

/** y = offset + 3·x0 − 2·x1 + x2·x3 + noise, rows weighted 1, 2, 1, 2, …; 8 batches of 250 rows. */
function regressionBatches(seed: number, offset: number): Batch[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: 8 }, () => {
    const rows = 250;
    const x = new Float32Array(rows * dim), y = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < dim; j++) x[r * dim + j] = random.nextGaussian();
      y[r] = offset + 3 * x[r * dim] - 2 * x[r * dim + 1] + x[r * dim + 2] * x[r * dim + 3] + 0.1 * random.nextGaussian();
    }
    return denseBatch(x, dim, y, Float32Array.from({ length: rows }, (_, r) => 1 + (r % 2)));
  });
}

describe('factorization machines: a regressor no better than the labels\' mean', function () {
  let backend: Backend;
  before(async () => { backend = await createBackend('cpu'); });

  const fresh = () => fm.createState(parseHyperparameters('factorization-machines', fm.hyperparameters, { predictor_type: 'regressor', num_factors: 2 }),
    { featureDim: dim, labelSize: 1 }, backend);

  it('keeps the labels\' weighted moments, once a row, and merges add them', async () => {
    const batches = regressionBatches(3, 5);
    const state = fresh();
    for (const b of batches) await fm.update(state, b, backend);
    let w = 0, sum = 0, squares = 0;
    for (const b of batches) {
      for (let r = 0; r < b.rows; r++) {
        const weight = b.weights![r], y = b.labels![r];
        w += weight; sum += weight * y; squares += weight * y * y;
      }
    }
    const moments = Array.from(state.tensors.progressive_labels.data as Float64Array);
    assert.deepEqual(moments, [w, sum, squares]);
    const merged = fm.merge!([state, state]);
    assert.deepEqual(Array.from(merged.tensors.progressive_labels.data as Float64Array), moments.map((m) => 2 * m));
  });

  it('warns after the first pass on labels near 10^6, with their mean and what to do; not on the same labels near 0', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'boundless-fm-labels-'));
    try {
      const warningsAt = async (offset: number) => {
        const rows = regressionBatches(7, offset).flatMap((b) => Array.from({ length: b.rows }, (_, r) =>
          [b.labels![r], ...Array.from((b as Extract<Batch, { kind: 'dense' }>).values.subarray(r * dim, (r + 1) * dim))].join(',')));
        const path = join(directory, `labels-${offset}.csv`);
        await writeFile(path, rows.join('\n') + '\n');
        return besidesSteps(await trainingWarnings(fm, { predictor_type: 'regressor', num_factors: 2 }, { train: path, epochs: 1, backend: 'cpu' }));
      };
      assert.deepEqual(await warningsAt(0), []);
      const far = await warningsAt(1e6);
      assert.equal(far.length, 1, far.join('\n'));
      assert.match(far[0], /^factorization-machines: the best model's progressive mean squared error, 1\.000e\+12, is more than twice the variance of the training labels \([0-9.]+\): predicting their mean, 1\.00000e\+6, would do better\. Factorization machines centre neither the labels nor the features, .*set bias_init_method=constant with bias_init_value near it\), and centre and scale the features$/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('says what constant labels need (all 5: set bias_init_value), and nothing for labels all 0 predicted near 0 (it said "centre the labels")', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'boundless-fm-constant-'));
    try {
      const warningsOf = async (label: number) => {
        const path = join(directory, `constant-${label}.csv`);
        await writeFile(path, Array.from({ length: 400 }, (_, r) => `${label},${(r % 7) / 7},${(r % 5) / 5}`).join('\n') + '\n');
        return (await trainingWarnings(fm, { predictor_type: 'regressor', num_factors: 2, mini_batch_size: 50 }, { train: path, epochs: 1, backend: 'cpu' }))
          .filter((w) => w.includes('labels'));
      };
      assert.deepEqual(await warningsOf(0), []);
      const five = await warningsOf(500);
      assert.equal(five.length, 1, five.join('\n'));
      assert.match(five[0], /^factorization-machines: the training labels are all 500\.000, and the best model's progressive mean squared error is [0-9.e+]+: .*set bias_init_method=constant with bias_init_value=500\.000, or give rows whose labels vary$/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('says nothing for a state without the moments (written before them)', async () => {
    const state = fresh();
    for (const b of regressionBatches(3, 1e6)) await fm.update(state, b, backend);
    (state.tensors.progressive_labels.data as Float64Array).fill(0);
    assert.deepEqual(besidesSteps(fm.dataWarnings!(state)), []);
  });

  it('says when the first pass was one batch: the models were compared untrained (progressive metrics of untrained models)', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'boundless-fm-one-batch-'));
    try {
      const batch = regressionBatches(5, 0)[0];
      const rows = Array.from({ length: batch.rows }, (_, r) =>
        [batch.labels![r], ...Array.from((batch as Extract<Batch, { kind: 'dense' }>).values.subarray(r * dim, (r + 1) * dim))].join(','));
      const path = join(directory, 'one-batch.csv');
      await writeFile(path, rows.join('\n') + '\n');
      const one = await trainingWarnings(fm, { predictor_type: 'regressor', num_factors: 2 }, { train: path, epochs: 1, backend: 'cpu' });
      assert.equal(one.length, 2, one.join('\n'));
      assert.match(one[0], /^factorization-machines: the first pass was one batch \(250 rows, mini_batch_size 1000\): progressive validation scores each batch before the models learn from it, so the 3 models were compared untrained/);
      assert.match(one[1], /^factorization-machines: this run makes 1 optimizer step \(mini_batch_size 1000\), too few/);
      assert.deepEqual(besidesSteps(await trainingWarnings(fm, { predictor_type: 'regressor', num_factors: 2, mini_batch_size: 50 }, { train: path, epochs: 1, backend: 'cpu' })), []);
      assert.deepEqual(besidesSteps(await trainingWarnings(fm, { predictor_type: 'regressor', num_factors: 2, num_models: 1 }, { train: path, epochs: 1, backend: 'cpu' })), []);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
