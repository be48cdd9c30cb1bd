// Merges refuse what they cannot combine, by name: another algorithm's state (it failed deep inside,
// "Cannot read properties of undefined"), and factorization-machine shards trained with other
// hyperparameters (another seed merged at accuracy 0.73 from shards at 0.99, without a word).
import assert from 'node:assert/strict';
import {
  createBackend, denseBatch, factorizationMachines as fm, kmeans, linearLearner, parseHyperparameters, pca, Random, type State,
} from '../../lib/index.js';

describe('merge checks', () => {
  const dim = 4;
  const rows = (seed: number) => {
    const random = Random.fromSeed(seed);
    const x = Float32Array.from({ length: 200 * dim }, () => random.nextGaussian());
    const y = Float32Array.from({ length: 200 }, (_, r) => (x[r * dim] * x[r * dim + 1] > 0 ? 1 : 0));
    return denseBatch(x, dim, y);
  };
  const schema = { featureDim: dim, labelSize: 1 };

  it('refuses factorization-machine shards trained with another seed or learning rate, naming it; epochs may differ', async () => {
    const backend = await createBackend('cpu');
    const shard = async (extra: Record<string, unknown>) => {
      const hp = parseHyperparameters('factorization-machines', fm.hyperparameters, { predictor_type: 'binary_classifier', num_factors: 2, ...extra });
      const state = fm.createState(hp, schema, backend);
      await fm.update(state, rows(1), backend);
      return state;
    };
    const [a, b] = [await shard({}), await shard({ seed: 5 })];
    assert.throws(() => fm.merge([a, b]), { name: 'RangeError', message: 'factorization-machines merge: state 1 was trained with seed=5, state 0 with seed=0: ' +
      'shards merge only when trained with the same hyperparameters (epochs aside)' });
    const faster = await shard({ factors_lr: 0.5 });
    assert.throws(() => fm.merge([a, faster]), /state 1 was trained with factors_lr=0\.5, state 0 with factors_lr=/);
    const longer = await shard({ epochs: 7 });
    assert.doesNotThrow(() => fm.merge([a, longer]));
  });

  it('k-means and linear-learner merges name the hyperparameter or width that differs (they said "other hyperparameters or another feature_dim")', async () => {
    const backend = await createBackend('cpu');
    const km = (k: number, featureDim = dim) => kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k }), { featureDim, labelSize: 0 }, backend);
    assert.throws(() => kmeans.merge([km(4), km(5)]), { name: 'RangeError', message: 'kmeans merge: state 1 was trained with k=5, state 0 with k=4: ' +
      'shards merge only when trained with the same hyperparameters' });
    assert.throws(() => kmeans.merge([km(4), km(4, dim + 1)]), { name: 'RangeError', message: `kmeans merge: state 1 has ${dim + 1} features, state 0 has ${dim}` });
    const ll = (wd: number) => linearLearner.createState(parseHyperparameters('linear-learner', linearLearner.hyperparameters,
      { predictor_type: 'binary_classifier', num_models: 1, wd }), schema, backend);
    assert.throws(() => linearLearner.merge([ll(0), ll(0.5)]), /^RangeError: linear-learner merge: state 1 was trained with wd=0\.5, state 0 with wd=0: shards merge only/);
  });

  it('refuses a state of another algorithm, naming it, in every merge', async () => {
    const backend = await createBackend('cpu');
    const pcaState = pca.createState(parseHyperparameters('pca', pca.hyperparameters, { num_components: 2 }), { featureDim: dim, labelSize: 0 }, backend);
    const kmeansState = kmeans.createState(parseHyperparameters('kmeans', kmeans.hyperparameters, { k: 2 }), { featureDim: dim, labelSize: 0 }, backend);
    const fmState = fm.createState(parseHyperparameters('factorization-machines', fm.hyperparameters, { predictor_type: 'regressor', num_factors: 2 }), schema, backend);
    const llState = linearLearner.createState(parseHyperparameters('linear-learner', linearLearner.hyperparameters, { predictor_type: 'regressor' }), schema, backend);
    const cases: [() => unknown, string][] = [
      [() => pca.merge([pcaState, kmeansState as never]), 'pca merge: state 1 is a kmeans state, and only pca states merge here'],
      [() => pca.merge([kmeansState as never]), 'pca merge: state 0 is a kmeans state, and only pca states merge here'],
      [() => fm.merge([fmState, pcaState as never]), 'factorization-machines merge: state 1 is a pca state, and only factorization-machines states merge here'],
      [() => kmeans.merge([kmeansState, fmState as never]), 'kmeans merge: state 1 is a factorization-machines state, and only kmeans states merge here'],
      [() => linearLearner.merge([llState, fmState as never]), 'linear-learner merge: state 1 is a factorization-machines state, and only linear-learner states merge here'],
      // "an ntm", not "a ntm" (said letter by letter).
      [() => kmeans.merge([kmeansState, { ...kmeansState, algorithm: 'ntm' } as never]), 'kmeans merge: state 1 is an ntm state, and only kmeans states merge here'],
      [() => linearLearner.merge([llState, undefined as unknown as State<never>]), 'linear-learner merge: state 1 is not a state, and only linear-learner states merge here'],
    ];
    for (const [merge, message] of cases) assert.throws(merge, { name: 'RangeError', message });
  });
});
