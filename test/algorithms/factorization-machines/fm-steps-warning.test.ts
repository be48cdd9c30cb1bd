// Factorization machines' defaults (batches of 1,000, one epoch) give a small file a handful of
// optimizer steps: the model is then far from fitted, and the run says so.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, factorizationMachines as fm } from '../../../lib/index.js';
import { trainingWarnings } from '../../fixtures/training-warnings.js';

/** Rows of a 3-feature logistic problem (y ~ Bernoulli(σ(1.5·x0 − 2·x1 + 0.5·x2))). */
function logistic(seed: number, rows: number): string {
  const random = Random.fromSeed(seed);
  return Array.from({ length: rows }, () => {
    const x = [random.nextGaussian(), random.nextGaussian(), random.nextGaussian()];
    const p = 1 / (1 + Math.exp(-(1.5 * x[0] - 2 * x[1] + 0.5 * x[2])));
    return [random.nextFloat() < p ? 1 : 0, ...x.map((v) => v.toFixed(4))].join(',');
  }).join('\n') + '\n';
}

describe('factorization machines: a run of few optimizer steps', function () {
  this.timeout(120_000);
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-fm-steps-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('warns when the run made fewer than 50 steps (2,000 rows at the default mini_batch_size: 2), naming a batch size that gives 50', async () => {
    const path = join(directory, 'small.csv');
    await writeFile(path, logistic(3, 2000));
    const hp = { predictor_type: 'binary_classifier', num_factors: 4, num_models: 1 };
    const warnings = await trainingWarnings(fm, hp, { train: path, epochs: 1, backend: 'cpu' });
    assert.deepEqual(warnings, ['factorization-machines: this run makes 2 optimizer steps (mini_batch_size 1000), ' +
      'too few for the weights and factors to fit (on 3-feature logistic data, held-out accuracy was 0.68 after 2 steps, 0.77 after 10 ' +
      'and 0.80 after 50, where a fitted model gives 0.805): lower mini_batch_size (to 40 or fewer), or train more epochs']);
    // Epochs count: 3 passes of 2 steps are 6 steps, still few; the batch size advised covers all three passes.
    const three = await trainingWarnings(fm, hp, { train: path, epochs: 3, backend: 'cpu' });
    assert.match(three.join('\n'), /this run makes 6 optimizer steps \(mini_batch_size 1000, 3 epochs\), too few .*: lower mini_batch_size \(to 120 or fewer\)/);
    // Two workers, each stepping on its half: 25 steps of 40 rows a worker; the advice halves the batch (it advised the 40 in use).
    const parts = join(directory, 'parts');
    await mkdir(parts, { recursive: true });
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    await writeFile(join(parts, 'a.csv'), lines.slice(0, 1000).join('\n') + '\n');
    await writeFile(join(parts, 'b.csv'), lines.slice(1000).join('\n') + '\n');
    const shared = await trainingWarnings(fm, { ...hp, mini_batch_size: 40 }, { train: [join(parts, 'a.csv'), join(parts, 'b.csv')], epochs: 1, workers: 2, backend: 'cpu' });
    assert.match(shared.join('\n'), /this run makes 25 optimizer steps \(mini_batch_size 40\), too few .*: lower mini_batch_size \(to 20 or fewer\)/);
    // 40 rows a batch make the 50 steps: nothing to say.
    assert.deepEqual(await trainingWarnings(fm, { ...hp, mini_batch_size: 40 }, { train: path, epochs: 1, backend: 'cpu' }), []);
  });

  it('with fewer rows than 50 steps can be cut from, advises more epochs only', async () => {
    const path = join(directory, 'tiny.csv');
    await writeFile(path, logistic(4, 30));
    const warnings = await trainingWarnings(fm, { predictor_type: 'binary_classifier', num_factors: 2, num_models: 1 }, { train: path, epochs: 1, backend: 'cpu' });
    assert.match(warnings.join('\n'), /this run makes 1 optimizer step \(mini_batch_size 1000\), too few .*\): train more epochs$/m);
  });
});
