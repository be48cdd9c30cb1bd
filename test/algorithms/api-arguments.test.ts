// What the API says to arguments of the wrong shape, as a JavaScript caller (no type checker)
// passes them: rows as arrays to predict (it said "batch.rows must be a non-negative integer"),
// inverseTransform without its row count ("expected rows × num_components = undefined × 2"), an
// array of text lines where paths go ("no such file or directory (the path … ends with spaces)"),
// and DeepAR series as objects ("readJsonLines: needs a byte source").
import assert from 'node:assert/strict';
import { createBackend, deepar, denseBatch, linearLearner, ntm, pca, train } from '../../lib/index.js';

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
    await assert.rejects(p.model.inverseTransform(projection.subarray(1)), { message: 'pca inverseTransform: projection has 5 values, not a whole number of rows of num_components = 2' });
    await assert.rejects(p.model.predict(batch.values as never), /got a Float32Array \(the values alone: denseBatch\(values, cols\) adds the width\)$/);
  });

  it('the API\'s vocabulary is held to what --vocab is: a CRLF file split at \\n, blanks, a byte-order mark inside (they became words)', async () => {
    const words = ['america', 'people', 'world'];
    const docs = [Buffer.from('0 1:2 2:1\n0 2:3 3:1\n0 1:1 3:2\n')];
    const options = { train: docs, data: { format: 'libsvm' as const, featureDim: 3 } };
    await assert.rejects(train(ntm, { num_topics: 2 }, { ...options, vocabulary: words.map((w) => `${w}\r`) }), {
      message: `train: vocabulary word 0 is "america\\r"; a word is a non-empty string without a newline, a byte-order mark or blanks around it (a CRLF file split at '\\n': split at /\\r?\\n/)`,
    });
    await assert.rejects(train(ntm, { num_topics: 2 }, { ...options, vocabulary: ['america', '\ufeffpeople', 'world'] }), /vocabulary word 1 is "\ufeffpeople"; a word is/);
    const trained = await train(ntm, { num_topics: 2 }, { ...options, vocabulary: words });
    assert.deepEqual(trained.model.topics(3)[0].words.sort(), [...words].sort());
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
