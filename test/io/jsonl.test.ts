import assert from 'node:assert/strict';
import { readBatches, type ReadOptions } from '../../lib/index.js';

async function read(text: string | Buffer, options: Partial<ReadOptions>) {
  const rows: { label?: number; weight?: number; indices?: number[]; values: number[] }[] = [];
  const stream = readBatches([Buffer.from(text)], { format: 'jsonl', miniBatchSize: 3, ...options } as ReadOptions);
  for await (const b of stream) {
    for (let r = 0; r < b.rows; r++) {
      if (b.kind === 'dense') rows.push({ label: b.labels?.[r], weight: b.weights?.[r], values: Array.from(b.values.subarray(r * b.cols, (r + 1) * b.cols)) });
      else rows.push({ label: b.labels?.[r], weight: b.weights?.[r], indices: Array.from(b.indices.subarray(b.indptr[r], b.indptr[r + 1])), values: Array.from(b.values.subarray(b.indptr[r], b.indptr[r + 1])) });
    }
  }
  return { rows, stats: stream.stats };
}

describe('JSON Lines', () => {
  it('reads dense and sparse features, labels (number or [number]) and weights, skipping other keys', async () => {
    const text = [
      '{"features": [1.5, -2, 3e1], "label": 1}',
      '{"id": "r2", "meta": {"tags": ["a", "b\\"c"], "ok": true, "n": null}, "features": {"keys": [2], "values": [4], "shape": [3]}, "label": [0], "weight": 2.5}',
      '  {"label": 1, "features": []}',
    ].join('\n');
    const { rows } = await read(text.replace('"features": []', '"features": [0, 0, 0]'), { featureDim: 3 });
    assert.deepEqual(rows, [
      { label: 1, weight: 1, values: [1.5, -2, 30] },
      { label: 0, weight: 2.5, values: [0, 0, 4] },
      { label: 1, weight: 1, values: [0, 0, 0] },
    ]);
    const sparse = await read(text.replace('"features": []', '"features": [0, 0, 0]'), { featureDim: 3, sparse: true });
    assert.deepEqual(sparse.rows.map((r) => r.indices), [[0, 1, 2], [2], []]);
  });

  it('reads an all-zero sparse record (no keys) as a zero row', async () => {
    const text = '{"features": {"keys": [], "values": [], "shape": [3]}, "label": 1}';
    assert.deepEqual((await read(text, { featureDim: 3 })).rows, [{ label: 1, weight: 1, values: [0, 0, 0] }]);
    assert.deepEqual((await read(text, { featureDim: 3, sparse: true })).rows, [{ label: 1, weight: 1, indices: [], values: [] }]);
  });

  it('names the line and the reason for bad records', async () => {
    const cases: [string, RegExp][] = [
      ['{"features": [1, 2], "label": 1}', /line 1: has 2 features, expected 3 \(feature_dim\)$/],
      ['{"features": [1, 2, 3]}', /line 1: no "label" \(labels are expected: --label-size 0 if the records have none\)$/],
      ['{"features": [1, null, 3], "label": 1}', /line 1: features\[1\] is null$/],
      ['{"features": [1, "2", 3], "label": 1}', /line 1: features\[1\] is a string, expected a number$/],
      ['{"features": [1, 2, 3], "label": 1', /line 1: malformed JSON object \(expected ',' or '\}'\)$/],
      ['{"features": [1, 2, 3], "label": 1} x', /line 1: text after the JSON object$/],
      ['{"features": {"keys": [5], "values": [1]}, "label": 1}', /line 1: key 5 is outside \[0, 3\) \(feature_dim\)$/],
      ['{"features": {"keys": [1, 2], "values": [1]}, "label": 1}', /line 1: features has 2 keys but 1 values$/],
      // A shape other than feature_dim: keys in range would otherwise be read as other features.
      ['{"features": {"keys": [0, 2], "values": [1, 2], "shape": [4]}, "label": 1}', /line 1: features\.shape is \[4\], expected \[3\] \(feature_dim\)$/],
      ['{"features": {"keys": [0], "values": [1], "shape": [2]}, "label": 1}', /line 1: features\.shape is \[2\], expected \[3\] \(feature_dim\)$/],
      ['{"features": {"keys": [0], "values": [1], "shape": [3, 1]}, "label": 1}', /line 1: features\.shape is \[3,1\], expected \[3\] \(feature_dim\)$/],
      ['{"name": "caf\u00e9", "features": [1, 2, 3], "label": 1e999}', /line 1: label '1e999' is not a finite float32$/],
      // A key given twice: two "features" arrays were joined into one row, a second "label" won.
      ['{"features": [1], "features": [2, 3], "label": 1}', /line 1: "features" appears twice in the record$/],
      ['{"features": [1, 2, 3], "label": 1, "label": 0}', /line 1: "label" appears twice in the record$/],
      ['{"features": [1, 2, 3], "label": 1, "weight": 1, "weight": 2}', /line 1: "weight" appears twice in the record$/],
      ['{"features": {"keys": [0], "keys": [1], "values": [1]}, "label": 1}', /line 1: "features\.keys" appears twice in the record$/],
    ];
    for (const [text, message] of cases) await assert.rejects(read(text, { featureDim: 3 }), message);
    const badUtf8 = Buffer.concat([Buffer.from('{"name": "'), Buffer.from([0xc3, 0x28]), Buffer.from('", "features": [1, 2, 3], "label": 1}')]);
    await assert.rejects(read(badUtf8, { featureDim: 3 }), /line 1: invalid UTF-8 in a JSON string$/);
    const { stats } = await read(Buffer.concat([badUtf8, Buffer.from('\n{"features": [1, 2, 3], "label": 1}\n')]), { featureDim: 3, onBadRecord: 'skip' });
    assert.deepEqual(stats.badRecords, { invalid_encoding: 1 });
  });

  it('refuses deeply nested values instead of recursing without bound', async () => {
    const deep = `{"x": ${'['.repeat(100)}${']'.repeat(100)}, "features": [1, 2, 3], "label": 1}`;
    await assert.rejects(read(deep, { featureDim: 3 }), /line 1: malformed JSON value$/);
  });
});
