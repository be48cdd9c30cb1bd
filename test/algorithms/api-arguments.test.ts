// What the API says to arguments of the wrong shape, as a JavaScript caller (no type checker)
// passes them: rows as arrays to predict (it said "batch.rows must be a non-negative integer"),
// inverseTransform without its row count ("expected rows × num_components = undefined × 2"), an
// array of text lines where paths go ("no such file or directory (the path … ends with spaces)"),
// and DeepAR series as objects ("readJsonLines: needs a byte source").
import assert from 'node:assert/strict';
import { createBackend, deepar, denseBatch, linearLearner, pca, train } from '../../lib/index.js';

describe('API arguments of the wrong shape', () => {
  const rows = Array.from({ length: 60 }, (_, i) => [i % 2, Math.sin(i), Math.cos(3 * i), (i % 7) / 7]);

  it('predict names the batch it expected; inverseTransform takes its rows from the projection', async () => {
    const backend = await createBackend('cpu');
    const ll = await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: rows, backend });
    await assert.rejects(ll.model.predict([[1, 2, 3]] as never), {
      name: 'TypeError',
      message: "linear-learner predict: expected a batch of rows ({ kind: 'dense', rows, cols, values: Float32Array }; denseBatch(values, cols) makes one, " +
        'readBatches reads them from files), got an array',
    });
    const p = await train(pca, { num_components: 2 }, { train: rows.map((r) => r.slice(1)), backend });
    const batch = denseBatch(Float32Array.from(rows.slice(0, 3).flatMap((r) => r.slice(1))), 3);
    const projection = (await p.model.predict(batch)).projection;
    assert.deepEqual(await p.model.inverseTransform(projection), await p.model.inverseTransform(projection, 3));
    await assert.rejects(p.model.inverseTransform(projection, batch as never),
      { message: 'pca inverseTransform: rows must be a whole number (or left out: projection.length / num_components), got object' });
  });

  it('an array of text lines is no list of paths, and DeepAR series come as JSON Lines text', async () => {
    await assert.rejects(train(linearLearner, { predictor_type: 'binary_classifier' }, { train: ['1,0.5,2.1\n', '0,1.5,0.3\n'] }), {
      message: '"1,0.5,2.1\\n" holds a newline, so it names no file: strings, and arrays of them, are file paths; pass text as Buffers (Buffer.from(text)) or from a generator',
    });
    const series = [{ start: '2000-01-01 00:00:00', target: Array.from({ length: 40 }, (_, i) => i % 12) }];
    const hp = { time_freq: 'M', prediction_length: 3, context_length: 6, epochs: 1 };
    await assert.rejects(train(deepar, hp, { train: series as never }), {
      message: "series are read as JSON Lines text (a file, a stream, Buffers), not as objects: give an array of them as [Buffer.from(series.map((s) => JSON.stringify(s)).join('\\n'))]",
    });
    const trained = await train(deepar, hp, { train: [Buffer.from(series.map((s) => JSON.stringify(s)).join('\n'))] });
    assert.equal(trained.metrics.records, 1);
  });
});
