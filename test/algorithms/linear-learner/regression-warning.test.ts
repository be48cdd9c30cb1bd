// A linear-learner regressor whose models diverged says so after the first pass. Found
// by trying the product: optimizer=sgd with one model on sparse rows of 20 scaled non-zeros took
// steps too large for them, and the model diverged (progressive MSE 1.3e9 on labels of variance
// 6.7) with exit 0 and no word. The default optimizer (adagrad, steps scaled by the rows' norms)
// learns the same rows.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random, linearLearner } from '../../../lib/index.js';
import { trainingWarnings } from '../../fixtures/training-warnings.js';

/** y = 3 + Σ 0.3·w_j·x_j over 20 of 1000 features (x in [0, 2)), as libsvm lines. */
function sparseRegression(rows: number): string {
  const random = Random.fromSeed(11);
  const w = Array.from({ length: 1000 }, () => random.nextFloat() * 2 - 1);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const chosen = new Set<number>();
    while (chosen.size < 20) chosen.add(1 + Math.floor(random.nextFloat() * 1000));
    let y = 3;
    const pairs = [...chosen].sort((a, b) => a - b).map((j) => {
      const x = random.nextFloat() * 2;
      y += 0.3 * w[j - 1] * x;
      return `${j}:${x.toFixed(3)}`;
    });
    lines.push(`${y.toFixed(4)} ${pairs.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

describe('linear learner: a regressor whose models diverged', function () {
  this.timeout(60_000);

  it('warns after the first pass when the steps were too large (sgd, one model, sparse rows), and not with the default optimizer', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'boundless-ll-regression-'));
    try {
      const path = join(directory, 'rows.svm');
      await writeFile(path, sparseRegression(20_000));
      const options = { train: path, epochs: 1, backend: 'cpu' as const, data: { format: 'libsvm' as const, featureDim: 1000 } };
      const base = { predictor_type: 'regressor', num_models: 1 };
      assert.deepEqual(await trainingWarnings(linearLearner, base, options), []);
      const sgd = await trainingWarnings(linearLearner, { ...base, optimizer: 'sgd' }, options);
      assert.equal(sgd.length, 1, sgd.join('\n'));
      assert.match(sgd[0], /^linear-learner: the best model's progressive mean squared error, [0-9.]+e\+\d+, is over 100 times the variance of the training labels \(0\.\d+, in the scaler's first 10,000 rows\): the models diverged, their steps too large for these rows\. Lower learning_rate, or train with optimizer adagrad \(the default; this run's is sgd\), whose steps are scaled by the rows' norms$/);
      // A smaller rate learns them, and says nothing.
      assert.deepEqual(await trainingWarnings(linearLearner, { ...base, optimizer: 'sgd', learning_rate: 0.001 }, options), []);
      // Labels that drift over a stream in time order spread wider than the scaler's first rows: a
      // model that tracks them is not a diverged one (twice the sample's variance warned here).
      const trend = join(directory, 'trend.csv');
      await writeFile(trend, Array.from({ length: 50_000 }, (_, t) => `${(0.001 * t + 3 * Math.sin(t)).toFixed(3)},${t % 7},${Math.cos(t).toFixed(3)}`).join('\n') + '\n');
      assert.deepEqual(await trainingWarnings(linearLearner, base, { train: trend, epochs: 1, backend: 'cpu' }), []);
      // Without an intercept, labels near 10^6 over features near 0: no learning rate helps (the advice was to lower it).
      const far = join(directory, 'far.csv');
      const random = Random.fromSeed(4);
      await writeFile(far, Array.from({ length: 3000 }, () => {
        const x = [random.nextGaussian(), random.nextGaussian()];
        return `${(1e6 + 3 * x[0] - 2 * x[1]).toFixed(3)},${x.map((v) => v.toFixed(4)).join(',')}`;
      }).join('\n') + '\n');
      const noBias = await trainingWarnings(linearLearner, { ...base, use_bias: false }, { train: far, epochs: 1, backend: 'cpu' });
      assert.equal(noBias.length, 1, noBias.join('\n'));
      assert.match(noBias[0], /which average 1\.00000e\+6: with use_bias=false the models have no intercept, .* Train with use_bias=true \(the default\), or subtract the labels' mean$/);
      assert.deepEqual(await trainingWarnings(linearLearner, base, { train: far, epochs: 1, backend: 'cpu' }), []);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
