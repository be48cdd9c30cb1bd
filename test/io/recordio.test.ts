import assert from 'node:assert/strict';
import { readBatches, type ReadOptions } from '../../lib/index.js';
import { encodeRecord, frameRecord } from '../../lib/io/formats/recordio-protobuf.js';

const magic = [0x0a, 0x23, 0xd7, 0xce];

async function read(bytes: Uint8Array, options: Partial<ReadOptions>, chunk = 1 << 20) {
  function* chunks() {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  const rows: { label?: number; indices?: number[]; values: number[] }[] = [];
  const stream = readBatches(chunks(), { format: 'recordio', miniBatchSize: 2, ...options } as ReadOptions);
  for await (const b of stream) {
    for (let r = 0; r < b.rows; r++) {
      if (b.kind === 'dense') rows.push({ label: b.labels?.[r], values: Array.from(b.values.subarray(r * b.cols, (r + 1) * b.cols)) });
      else rows.push({ label: b.labels?.[r], indices: Array.from(b.indices.subarray(b.indptr[r], b.indptr[r + 1])), values: Array.from(b.values.subarray(b.indptr[r], b.indptr[r + 1])) });
    }
  }
  return { rows, stats: stream.stats };
}

/** Protobuf pieces written out by hand (tag byte, length byte, payload), independent of the writer. */
const ld = (tag: number, payload: number[]) => [tag, payload.length, ...payload];
const str = (s: string) => Array.from(Buffer.from(s));
const f32 = (...values: number[]) => Array.from(Buffer.from(Float32Array.from(values).buffer));
const f64 = (...values: number[]) => Array.from(Buffer.from(Float64Array.from(values).buffer));
const entry = (valueField: number, tensor: number[]) => ld(0x0a, str('values')).concat(ld(0x12, ld(valueField, tensor)));
const frame = (payload: number[]) => {
  const padding = (4 - (payload.length % 4)) % 4;
  return [...magic, payload.length & 0xff, (payload.length >> 8) & 0xff, 0, 0, ...payload, ...new Array(padding).fill(0)];
};

describe('recordIO-protobuf', () => {
  it('writes a dense record byte for byte as the spec lays it out', () => {
    const expected = [
      ...magic, 44, 0, 0, 0,
      0x0a, 22, // Record.features: map entry, 22 bytes
      0x0a, 6, ...str('values'), // key
      0x12, 12, 0x12, 10, // value: Value{float32_tensor (field 2)}
      0x0a, 8, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, // Float32Tensor.values packed: 1.5, -2
      0x12, 18, // Record.label: map entry, 18 bytes
      0x0a, 6, ...str('values'),
      0x12, 8, 0x12, 6, 0x0a, 4, 0x00, 0x00, 0x80, 0x3f, // label 1
    ];
    assert.deepEqual(Array.from(frameRecord(encodeRecord({ values: [1.5, -2] }, 1))), expected);
  });

  it('writes sparse keys as packed varints and the shape as [feature_dim]', () => {
    const payload = Array.from(encodeRecord({ values: [3], keys: [300], featureDim: 1000 }));
    const tensor = [0x0a, 4, ...f32(3), 0x12, 2, 0xac, 0x02, 0x1a, 2, 0xe8, 0x07];
    assert.deepEqual(payload, ld(0x0a, entry(0x12, tensor)));
  });

  it('reads hand-built records: dense, sparse, float64 and int32 tensors, unpacked fields, extra keys', async () => {
    const records = [
      ld(0x0a, entry(0x12, ld(0x0a, f32(1, 2, 3)))).concat(ld(0x12, entry(0x12, ld(0x0a, f32(1))))),
      // sparse with shape; label as float64
      ld(0x0a, entry(0x12, [...ld(0x0a, f32(5)), ...ld(0x12, [2]), ...ld(0x1a, [3])])).concat(ld(0x12, entry(0x1a, ld(0x0a, f64(0))))),
      // float64 features, unpacked (one fixed64 per value: tag 0x09)
      ld(0x0a, entry(0x1a, [0x09, ...f64(0.25), 0x09, ...f64(-1), 0x09, ...f64(4)])).concat(ld(0x12, entry(0x12, ld(0x0a, f32(1))))),
      // int32 features (Value field 7, packed varints; -1 is ten bytes) and a uid (field 3) to skip
      ld(0x0a, entry(0x3a, ld(0x0a, [7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0]))).concat(ld(0x12, entry(0x12, ld(0x0a, f32(0))))).concat(ld(0x1a, str('row-4'))),
    ];
    const bytes = Uint8Array.from(records.flatMap(frame));
    const { rows } = await read(bytes, { featureDim: 3 });
    assert.deepEqual(rows, [
      { label: 1, values: [1, 2, 3] },
      { label: 0, values: [0, 0, 5] },
      { label: 1, values: [0.25, -1, 4] },
      { label: 0, values: [7, -1, 0] },
    ]);
    for (const chunk of [1, 3, 5, 13]) assert.deepEqual((await read(bytes, { featureDim: 3 }, chunk)).rows, rows, `chunks of ${chunk}`);
    const sparse = await read(bytes, { featureDim: 3, sparse: true });
    assert.deepEqual(sparse.rows[1], { label: 0, indices: [2], values: [5] });
    assert.deepEqual(sparse.rows[0], { label: 1, indices: [0, 1, 2], values: [1, 2, 3] });
  });

  it('reassembles a record split over frames (flags 1, 2, 3), restoring the magic between parts', async () => {
    // A writer splits a payload where the magic number occurs in it; a uid holding the magic twice
    // gives such a payload: a + magic + b + magic + c.
    const uid = [...str('x'), ...magic, ...str('y'), ...magic, ...str('z')];
    const payload = [...encodeRecord({ values: [1, 2, 3] }, 1), ...ld(0x1a, uid)];
    const first = payload.findIndex((_, i) => magic.every((m, k) => payload[i + k] === m));
    const second = payload.findIndex((_, i) => i > first && magic.every((m, k) => payload[i + k] === m));
    const a = payload.slice(0, first);
    const b = payload.slice(first + 4, second);
    const c = payload.slice(second + 4);
    const part = (flag: number, bytes: number[]) => {
      const padding = (4 - (bytes.length % 4)) % 4;
      return [...magic, bytes.length & 0xff, 0, 0, flag << 5, ...bytes, ...new Array(padding).fill(0)];
    };
    const next = Array.from(frameRecord(encodeRecord({ values: [4, 5, 6] }, 0)));
    const bytes = Uint8Array.from([...part(1, a), ...part(2, b), ...part(3, c), ...next]);
    for (const chunk of [1, 7, 1 << 20]) {
      assert.deepEqual((await read(bytes, { featureDim: 3 }, chunk)).rows,
        [{ label: 1, values: [1, 2, 3] }, { label: 0, values: [4, 5, 6] }], `chunks of ${chunk}`);
    }
    await assert.rejects(read(Uint8Array.from(part(2, b)), { featureDim: 3 }), /continuation flag 2 without a first part$/);
    await assert.rejects(read(Uint8Array.from(part(1, a)), { featureDim: 3 }), /the stream ends inside a record split over several frames$/);
  });

  it('names the record and the reason for bad input', async () => {
    const good = Array.from(frameRecord(encodeRecord({ values: [1, 2, 3] }, 1)));
    const cases: [number[], RegExp, Partial<ReadOptions>?][] = [
      [[1, 2, 3, 4, 5, 6, 7, 8], /record 1 \(byte 0\): bad RecordIO magic 0x04030201 \(expected 0xced7230a\): not recordIO, or corrupt$/],
      [[...good, ...good.slice(0, 20)], /record 2 \(byte 56\): truncated: the stream ends 20 bytes into a frame$/],
      [Array.from(frameRecord(encodeRecord({ values: [1, 2] }, 1))), /record 1 \(byte 0\): has 2 dense features, expected 3 \(feature_dim\)$/],
      [Array.from(frameRecord(encodeRecord({ values: [1, 2, 3] }))), /record 1 \(byte 0\): no label \(labels are expected: --label-size 0 if the records have none\)$/],
      [Array.from(frameRecord(encodeRecord({ values: [1], keys: [7], featureDim: 3 }, 0))), /key 7 is outside \[0, 3\) \(feature_dim\)$/],
      [Array.from(frameRecord(encodeRecord({ values: [1, NaN, 3] }, 0))), /feature 1 is not finite$/],
      [frame([0x0a, 0x50, 0x01]), /record 1 \(byte 0\): truncated Record message$/],
      [[...magic, 0xff, 0xff, 0xff, 0x1f], /record of 536870911 bytes is longer than 1000 \(raise --max-record-bytes, maxRecordBytes in the API\)$/, { maxRecordBytes: 1000 }],
    ];
    for (const [bytes, message, options] of cases) {
      await assert.rejects(read(Uint8Array.from(bytes), { featureDim: 3, ...options }), message);
    }
  });

  it('skips bad records on request and counts them', async () => {
    const bytes = Uint8Array.from([
      ...frameRecord(encodeRecord({ values: [1, 2, 3] }, 1)),
      ...frameRecord(encodeRecord({ values: [1, 2] }, 1)),
      ...frameRecord(encodeRecord({ values: [4, 5, 6] }, 0)),
    ]);
    const { rows, stats } = await read(bytes, { featureDim: 3, onBadRecord: 'skip' });
    assert.deepEqual(rows.map((r) => r.values[0]), [1, 4]);
    assert.deepEqual(stats.badRecords, { column_count: 1 });
  });
});
