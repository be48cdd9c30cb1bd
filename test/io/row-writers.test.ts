import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { loadCoreAddon, readBatches, writeRows, type RowBatch, type OutputFormat, type ReadOptions } from '../../lib/index.js';
import { float32ToString } from '../../lib/io/formats/float32-text.js';
import { encodeRecord, frameRecord } from '../../lib/io/formats/recordio-protobuf.js';
import { outputFormats } from '../../lib/io/formats/row-writers.js';
import { Random } from '../../lib/random.js';

// The JavaScript row writer the native one replaced (lib/io/formats/row-writers.ts formatRow
// and lib/cli/model-commands.ts predictionLines before the change), kept here as the
// reference the native bytes must equal.
const reference = {
  entries(batch: RowBatch, r: number): { indices: ArrayLike<number> | null; values: Float32Array } {
    if (batch.kind === 'dense') return { indices: null, values: batch.values.subarray(r * batch.cols, (r + 1) * batch.cols) };
    return { indices: batch.indices.subarray(batch.indptr[r], batch.indptr[r + 1]), values: batch.values.subarray(batch.indptr[r], batch.indptr[r + 1]) };
  },
  denseRow(batch: RowBatch, r: number): Float32Array {
    const { indices, values } = reference.entries(batch, r);
    if (!indices) return values;
    const row = new Float32Array(batch.cols);
    for (let k = 0; k < values.length; k++) row[indices[k]] += values[k];
    return row;
  },
  row(batch: RowBatch, r: number, to: OutputFormat): string | Uint8Array {
    const label = batch.labels?.[r];
    const { indices, values } = reference.entries(batch, r);
    switch (to) {
      case 'csv': {
        const cells = Array.from(reference.denseRow(batch, r), float32ToString);
        if (label !== undefined) cells.unshift(float32ToString(label));
        return cells.join(',') + '\n';
      }
      case 'libsvm': {
        // LIBSVM and liblinear read ascending, unique indices: a repeated index is written once, summed.
        const parts = [float32ToString(label ?? 0)];
        if (indices === null) {
          for (let k = 0; k < values.length; k++) if (values[k] !== 0) parts.push(`${k + 1}:${float32ToString(values[k])}`);
        } else {
          const sums = new Map<number, number>();
          for (let k = 0; k < values.length; k++) {
            const sum = sums.get(indices[k]);
            sums.set(indices[k], sum === undefined ? values[k] : Math.fround(sum + values[k]));
          }
          for (const index of [...sums.keys()].sort((a, b) => a - b)) parts.push(`${index + 1}:${float32ToString(sums.get(index)!)}`);
        }
        return parts.join(' ') + '\n';
      }
      case 'jsonl': {
        const body = indices === null ? `"features":[${Array.from(values, float32ToString).join(',')}]`
          : `"features":{"keys":[${Array.from(indices).join(',')}],"values":[${Array.from(values, float32ToString).join(',')}],"shape":[${batch.cols}]}`;
        const weight = batch.weights?.[r];
        return `{${body}${label !== undefined ? `,"label":${float32ToString(label)}` : ''}` +
          `${weight !== undefined && weight !== 1 ? `,"weight":${float32ToString(weight)}` : ''}}\n`;
      }
      case 'recordio':
        return frameRecord(encodeRecord(indices === null ? { values } : { values, keys: indices, featureDim: batch.cols }, label));
    }
  },
  batch(batch: RowBatch, to: OutputFormat): Buffer {
    const parts = Array.from({ length: batch.rows }, (_, r) => reference.row(batch, r, to));
    return typeof parts[0] === 'string' ? Buffer.from(parts.join('')) : Buffer.concat(parts as Uint8Array[]);
  },
  predictionLines(predictions: Record<string, ArrayLike<number>>, rows: number): string {
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) {
      const row: Record<string, number | number[]> = {};
      for (const [name, values] of Object.entries(predictions)) {
        const width = values.length / rows;
        row[name] = width === 1 ? Number(values[r]) : Array.from({ length: width }, (_, i) => Number(values[r * width + i]));
      }
      lines.push(JSON.stringify(row));
    }
    return lines.join('\n') + '\n';
  },
};

const addon = loadCoreAddon();

async function encode(batch: RowBatch, to: OutputFormat): Promise<Buffer> {
  const out = new Uint8Array(addon.rowBytesBound(to, batch));
  const length = await addon.encodeRows(to, batch, out);
  return Buffer.from(out.subarray(0, length));
}

// Values a writer must get right: subnormals, the extremes, -0, integers (small and past 2^53),
// 0.1, exact ties of the shortest digits (1.00390625), powers of two, non-finite values.
const specials = [1e-45, -1e-45, 1.4e-44, 1.1754942e-38, 1.1754944e-38, 3.4028235e38, -3.4028235e38, -0, 0, 1, -7, 16777216, 1e20,
  1e21, 2 ** 70, 0.1, -0.1, 1 / 3, 1.00390625, 1e-7, 1e-6, 123456.789, 2 ** -20, 0.5, 2 ** -126, 9007199254740992, NaN, Infinity, -Infinity];

function randomValue(random: Random): number {
  const pick = random.nextFloat();
  if (pick < 0.15) return specials[Math.floor(random.nextFloat() * specials.length)];
  if (pick < 0.3) return Math.round((random.nextFloat() - 0.5) * 200);
  if (pick < 0.4) return 0;
  if (pick < 0.5) {
    const bits = new Uint32Array([Math.floor(random.nextFloat() * 2 ** 32)]);
    const value = new Float32Array(bits.buffer)[0];
    // A NaN's payload survives or not depending on how V8 compiled the JavaScript writer's
    // setFloat32 (interpreted: canonical; optimized: kept), so the reference has no fixed bytes
    // for it; the native writer always writes the canonical NaN.
    return Number.isNaN(value) ? NaN : value;
  }
  return (random.nextFloat() - 0.5) * 10 ** Math.floor(random.nextFloat() * 12 - 6);
}

function randomBatch(random: Random, sparse: boolean, rows: number, cols: number, labels: boolean, weights: boolean): RowBatch {
  const labelArray = labels ? Float32Array.from({ length: rows }, () => randomValue(random)) : undefined;
  const weightArray = weights ? Float32Array.from({ length: rows }, () => random.nextFloat() < 0.5 ? 1 : randomValue(random)) : undefined;
  if (!sparse) return { kind: 'dense', rows, cols, values: Float32Array.from({ length: rows * cols }, () => randomValue(random)), labels: labelArray, weights: weightArray };
  const indptr = new Int32Array(rows + 1);
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    const count = Math.floor(random.nextFloat() * Math.min(cols, 8) * 1.5);  // may repeat an index: CSV adds them up
    for (let k = 0; k < count; k++) indices.push(Math.floor(random.nextFloat() * cols));
    indptr[r + 1] = indices.length;
  }
  return { kind: 'sparse', rows, cols, indptr, indices: Uint32Array.from(indices), values: Float32Array.from(indices, () => randomValue(random)),
    labels: labelArray, weights: weightArray };
}

describe('native row writers', () => {
  for (const to of outputFormats) {
    it(`${to}: byte-identical to the JavaScript writer on random dense and sparse batches, with and without labels and weights`, async () => {
      const random = Random.fromSeed(outputFormats.indexOf(to) + 11);
      for (let trial = 0; trial < 24; trial++) {
        const sparse = trial % 2 === 1;
        // Sizes both sides of the encoder's inline/thread-pool and block boundaries.
        const rows = trial < 20 ? 1 + Math.floor(random.nextFloat() * 40) : 3000 + trial;
        const batch = randomBatch(random, sparse, rows, 1 + Math.floor(random.nextFloat() * 30), trial % 3 !== 2, trial % 4 < 2);
        const native = await encode(batch, to);
        const expected = reference.batch(batch, to);
        assert.ok(native.equals(expected), `${to} trial ${trial} (${batch.kind}, ${rows} rows): first difference at byte ${native.findIndex((b, i) => b !== expected[i])}`);
      }
    });
  }

  it('writes every special value as float32ToString does, and a batch that starts mid-array (indptr[0] > 0)', async () => {
    const values = Float32Array.from(specials);
    const dense: RowBatch = { kind: 'dense', rows: values.length, cols: 1, values, labels: Float32Array.from(values).reverse() };
    assert.equal((await encode(dense, 'csv')).toString(), reference.batch(dense, 'csv').toString());
    assert.ok((await encode(dense, 'csv')).toString().startsWith('-Infinity,1e-45\nInfinity,-1e-45\nNaN,1.4e-44\n9007199254740992,1.1754942e-38\n'));
    assert.ok((await encode(dense, 'csv')).toString().includes('\n0.5,3.4028235e+38\n9.536743e-7,-3.4028235e+38\n123456.79,-0\n0.000001,0\n1e-7,1\n1.0039063,-7\n'));
    const shifted: RowBatch = { kind: 'sparse', rows: 2, cols: 5, indptr: Int32Array.of(2, 3, 5), indices: Uint32Array.of(9, 9, 4, 0, 2),
      values: Float32Array.of(9, 9, 1.00390625, -0, 0.1) };
    for (const to of outputFormats) assert.ok((await encode(shifted, to)).equals(reference.batch(shifted, to)), to);
    assert.equal((await encode(shifted, 'libsvm')).toString(), '0 5:1.0039063\n0 1:-0 3:0.1\n');
  });

  it('refuses malformed batches and short buffers with messages that name the problem', async () => {
    const bad = (indptr: number[], indices: number[]): RowBatch => ({ kind: 'sparse', rows: 2, cols: 3, indptr: Int32Array.from(indptr),
      indices: Uint32Array.from(indices), values: new Float32Array(indices.length) });
    const big = new Uint8Array(1 << 16);
    await assert.rejects(addon.encodeRows('csv', bad([0, 1, 2], [0, 3]), big), /^Error: batch row 1: feature index 3 is outside \[0, 3\) \(cols\)$/);
    await assert.rejects(addon.encodeRows('recordio', bad([0, 2, 1], [0, 1]), big), /^Error: batch.indptr decreases at row 1 \(2 then 1\)$/);
    assert.throws(() => addon.rowBytesBound('csv', bad([-1, 0, 1], [0, 1])), /^TypeError: rowBytesBound: batch.indptr starts below zero$/);
    const dense: RowBatch = { kind: 'dense', rows: 2, cols: 2, values: new Float32Array(4) };
    assert.throws(() => addon.encodeRows('csv', dense, new Uint8Array(addon.rowBytesBound('csv', dense) - 1)),
      /^TypeError: encodeRows: arguments.out has length \d+, expected at least \d+$/);
    assert.throws(() => addon.encodeRows('tsv' as never, dense, big), /^TypeError: encodeRows: argument format must be csv, libsvm, jsonl or recordio$/);
  });

  it('round-trips: every format written by convert reads back as the same rows, labels and (JSON Lines) weights', async () => {
    const random = Random.fromSeed(5);
    const finite = () => { let v; do v = randomValue(random); while (!Number.isFinite(v)); return v; };
    const rows = 500, cols = 7;
    const values = Float32Array.from({ length: rows * cols }, finite);
    const labels = Float32Array.from({ length: rows }, (_, r) => r % 2);
    const weights = Float32Array.from({ length: rows }, (_, r) => r % 3 === 0 ? 2.5 : 1);
    const batches: RowBatch[] = [0, 1].map((half) => ({ kind: 'dense', rows: rows / 2, cols, values: values.subarray(half * rows / 2 * cols, (half + 1) * rows / 2 * cols),
      labels: labels.subarray(half * rows / 2), weights: weights.subarray(half * rows / 2) }));
    async function* source() { yield* batches; }
    const dir = await mkdtemp(join(tmpdir(), 'boundless-writers-'));
    try {
      for (const to of outputFormats) {
        const path = join(dir, `rows.${to}`);
        const summary = await writeRows(source(), to, path);
        assert.deepEqual(summary.records, rows);
        assert.equal(summary.bytes, (await readFile(path)).length);
        assert.equal(summary.droppedWeights, to === 'jsonl' ? 0 : Math.ceil(rows / 3), to);
        const back = { values: new Float32Array(rows * cols), labels: new Float32Array(rows), weights: new Float32Array(rows).fill(1) };
        let row = 0;
        for await (const batch of readBatches(path, { format: to, featureDim: cols, miniBatchSize: 64 } as ReadOptions)) {
          for (let r = 0; r < batch.rows; r++, row++) {
            const { indices, values: v } = reference.entries(batch, r);
            for (let k = 0; k < v.length; k++) back.values[row * cols + (indices ? indices[k] : k)] = v[k];
            back.labels[row] = batch.labels![r];
            if (batch.weights) back.weights[row] = batch.weights[r];
          }
        }
        assert.equal(row, rows, to);
        // Object.is: every format keeps -0 bit for bit (text writes it "-0", as float32ToString does),
        // except that libsvm, writing a dense row, leaves out its zeros, -0 among them.
        for (let i = 0; i < rows * cols; i++) {
          const expected = to === 'libsvm' && values[i] === 0 ? 0 : values[i];
          assert.ok(Object.is(back.values[i], expected), `${to} value ${i}: ${Object.is(back.values[i], -0) ? '-0' : back.values[i]} vs ${Object.is(expected, -0) ? '-0' : expected}`);
        }
        assert.deepEqual(back.labels, labels, to);
        if (to === 'jsonl') assert.deepEqual(back.weights, weights);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes to a slow Writable through two reused buffers: every byte in order, the writer held back by drain', async () => {
    const random = Random.fromSeed(8);
    const batches = Array.from({ length: 12 }, () => randomBatch(random, false, 400, 16, true, false));
    const out = new PassThrough({ highWaterMark: 1024 });
    const received: Buffer[] = [];
    let reading = true;
    (async () => { for await (const chunk of out) { received.push(Buffer.from(chunk)); await new Promise((r) => setTimeout(r, 1)); } reading = false; })();
    async function* source() { yield* batches; }
    const summary = await writeRows(source(), 'csv', out);
    out.end();
    while (reading) await new Promise((r) => setTimeout(r, 5));
    const expected = Buffer.concat(batches.map((b) => reference.batch(b, 'csv')));
    assert.equal(summary.bytes, expected.length);
    assert.ok(Buffer.concat(received).equals(expected));
  });

  it("a failing output stream's error is writeRows's rejection (no unhandled rejection, no hang)", async () => {
    const random = Random.fromSeed(9);
    const batches = Array.from({ length: 6 }, () => randomBatch(random, false, 100, 4, true, false));
    let writes = 0;
    const out = new Writable({ write(_chunk, _encoding, done) { done(++writes === 2 ? new Error('disk full') : null); } });
    out.on('error', () => {});
    async function* source() { yield* batches; }
    await assert.rejects(writeRows(source(), 'libsvm', out), /^Error: disk full$/);
  });

  it('prediction lines: byte-identical to JSON.stringify of each row, for float32, float64 and int32 outputs of one or several values', async () => {
    const random = Random.fromSeed(3);
    for (const rows of [1, 7, 2500]) {
      const predictions = {
        score: Float32Array.from({ length: rows }, () => randomValue(random)),
        predicted_label: Int32Array.from({ length: rows }, () => Math.floor(random.nextFloat() * 2 ** 32) - 2 ** 31),
        projection: Float32Array.from({ length: rows * 3 }, () => randomValue(random)),
        distances: Float64Array.from({ length: rows * 2 }, () => randomValue(random) / 3),
        'a "quoted"\nname': Uint32Array.from({ length: rows }, (_, r) => r * 7919),
      };
      const outputs = Object.entries(predictions).map(([name, values]) => ({ key: JSON.stringify(name), values, width: values.length / rows }));
      const out = new Uint8Array(addon.predictionLinesBound(outputs, rows));
      const length = await addon.encodePredictionLines(outputs, rows, out);
      assert.equal(Buffer.from(out.subarray(0, length)).toString(), reference.predictionLines(predictions, rows), `${rows} rows`);
    }
  });
});
