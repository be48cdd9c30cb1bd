// Every method of an algorithm that takes a state (or a model's data) refuses another algorithm's
// by name: a k-means state given to the linear learner's finalize failed inside with "Cannot read
// properties of undefined (reading 'data')", its update with "hyperparameter 'eval_metrics' got
// undefined", a k-means model's data in its loadModel with "unknown hyperparameter 'k'", and
// train() with hyperparameters and a k-means initialState with "made with predictor_type=undefined".
import assert from 'node:assert/strict';
import { createBackend, denseBatch, kmeans, linearLearner, pca, train } from '../../lib/index.js';

describe('state guard', () => {
  const rows = Array.from({ length: 60 }, (_, i) => [i % 2, Math.sin(i), Math.cos(3 * i), (i % 7) / 7]);

  it('finalize, update, costCurve, loadModel and train refuse another algorithm\'s state, naming both', async () => {
    const backend = await createBackend('cpu');
    const km = await train(kmeans, { k: 2 }, { train: rows.map((r) => r.slice(1)), backend });
    const ll = await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: rows, backend });
    assert.throws(() => linearLearner.finalize(km.state as never, backend),
      { name: 'RangeError', message: "linear-learner finalize: the state holds algorithm 'kmeans', expected 'linear-learner'" });
    assert.throws(() => pca.finalize(km.state as never, backend), { message: "pca finalize: the state holds algorithm 'kmeans', expected 'pca'" });
    await assert.rejects(kmeans.costCurve(ll.state as never, [1]), { message: "kmeans costCurve: the state holds algorithm 'linear-learner', expected 'kmeans'" });
    await assert.rejects(kmeans.update(ll.state as never, denseBatch(Float32Array.of(1, 2, 3), 3), backend),
      { message: "kmeans update: the state holds algorithm 'linear-learner', expected 'kmeans'" });
    assert.throws(() => linearLearner.loadModel(km.model.data() as never, backend),
      { message: "linear-learner loadModel: the model data holds algorithm 'kmeans', expected 'linear-learner'" });
    assert.throws(() => linearLearner.modelMetrics({} as never), { message: 'linear-learner modelMetrics: the state is not a State (it has no algorithm name)' });
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: rows, initialState: km.state as never, backend }),
      { message: "train: the initial state holds algorithm 'kmeans', expected 'linear-learner'" });
    // Its own state passes.
    assert.equal((await linearLearner.finalize(ll.state, backend)).algorithm, 'linear-learner');
  });

  it('a model\'s data must hold finite values, and a linear learner\'s loss must fit its predictor_type (a file edited since: null scores, a segfault)', async () => {
    const backend = await createBackend('cpu');
    const km = await train(kmeans, { k: 2 }, { train: rows.map((r) => r.slice(1)), backend });
    const data = km.model.data();
    const centers = Float32Array.from(data.tensors.centers.data as Float32Array);
    centers[1] = NaN;
    assert.throws(() => kmeans.loadModel({ ...data, tensors: { ...data.tensors, centers: { ...data.tensors.centers, data: centers } } } as never, backend),
      { message: "kmeans: the model's centers[1] is NaN: a trained model holds finite values, so it diverged or the file was damaged; train it again" });
    const ll = await train(linearLearner, { predictor_type: 'regressor' }, { train: rows, backend });
    const regressor = ll.model.data();
    assert.throws(() => linearLearner.loadModel({ ...regressor, scalars: { ...regressor.scalars, loss: 'logistic' } } as never, backend), {
      message: 'linear-learner model: predictor_type regressor (hyperparameter: regressor) with loss logistic is not a model training makes ' +
        '(its losses: squared_loss, absolute_loss, eps_insensitive_squared_loss, eps_insensitive_absolute_loss, quantile_loss, huber_loss): the file was edited or damaged',
    });
    // A binary classifier's threshold is in every model finalize writes: missing, it cut at 0; -1e999 in JSON is -∞.
    const binary = (await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: rows, backend })).model.data();
    const { threshold: _dropped, ...noThreshold } = binary.scalars;
    assert.throws(() => linearLearner.loadModel({ ...binary, scalars: noThreshold } as never, backend),
      { message: 'linear-learner model: threshold is missing: the file was edited or damaged' });
    assert.throws(() => linearLearner.loadModel({ ...binary, scalars: { ...binary.scalars, threshold: -Infinity } } as never, backend),
      { message: "linear-learner: the model's scalar threshold is -Infinity: a trained model's numbers are finite, so the file was damaged or edited; train it again" });
    assert.throws(() => linearLearner.loadModel({ ...regressor, scalars: { ...regressor.scalars, predictor_type: 'binary_classifier' } } as never, backend),
      /predictor_type binary_classifier \(hyperparameter: regressor\) with loss squared_loss is not a model training makes/);
  });
});
