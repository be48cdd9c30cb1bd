// The parallel text parser against the sequential one: for every text format, with bad records,
// headers, byte-order marks, CRLF, blank lines, records split across chunks, waves of more than
// 4 MB and batches that fill by non-zeros, the two hand over the same batches (bytes), at the same
// positions, with the same counts and the same error. Runs in this process's pool, whose size
// must be above 1 for the parallel parser to run at all (checked).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCoreAddon } from '../../lib/backends/native-addon.js';
import type { NativeParserOptions, NativeStreamParser } from '../../lib/backends/native-addon.js';
import { Random } from '../../lib/random.js';

interface Drive {
  batches: { values: Buffer; labels: Buffer; weights: Buffer; indptr?: Buffer; indices?: Buffer; wordOffsets?: Buffer; wordBytes?: Buffer; committed: number; line: number }[];
  error?: string;
  bad: Record<string, number>;
  parseThreads: number;
}

/** Drives a native parser as the reader does (parse-bytes.ts): files in chunks, a batch handed over when full. */
function drive(parallel: boolean, files: Buffer[], options: NativeParserOptions, shape: Shape,
  chunkSize: (file: number, offset: number) => number): Drive {
  const parser: NativeStreamParser = new (loadCoreAddon().StreamParser)({ ...options, parallel } as NativeParserOptions);
  const values = new Float32Array(shape.sparse ? shape.nnz : shape.rows * options.featureDim);
  const labels = new Float32Array(shape.rows);
  const weights = new Float32Array(shape.rows);
  const indptr = new Int32Array(shape.rows + 1);
  const indices = new Uint32Array(shape.nnz);
  const wordOffsets = new Uint32Array(shape.nnz + 1);
  const wordBytes = new Uint8Array(shape.wordBytes ?? 0);
  const target = () => parser.setTarget(values, labels, weights, shape.sparse ? indptr : null, shape.sparse ? indices : null, shape.rows, shape.sparse ? shape.nnz : 0,
    shape.wordBytes !== undefined ? wordOffsets : null, shape.wordBytes !== undefined ? wordBytes : null);
  const batches: Drive['batches'] = [];
  const emit = (result: { rows: number; nnz: number; committed: number; line: number }) => {
    const used = shape.sparse ? result.nnz : result.rows * options.featureDim;
    batches.push({
      values: Buffer.from(values.slice(0, used).buffer), labels: Buffer.from(labels.slice(0, result.rows).buffer),
      weights: Buffer.from(weights.slice(0, result.rows).buffer), committed: result.committed, line: result.line,
      ...(shape.sparse ? { indptr: Buffer.from(indptr.slice(0, result.rows + 1).buffer), indices: Buffer.from(indices.slice(0, result.nnz).buffer) } : {}),
      ...(shape.wordBytes !== undefined
        ? { wordOffsets: Buffer.from(wordOffsets.slice(0, result.nnz + 1).buffer), wordBytes: Buffer.from(wordBytes.slice(0, wordOffsets[result.nnz])) }
        : {}),
    });
    target();
  };
  target();
  const done = (error?: string): Drive => ({ batches, error, bad: parser.stats().bad, parseThreads: parser.stats().parseThreads });
  for (let f = 0; f < files.length; f++) {
    parser.startFile(true);
    for (let offset = 0; offset < files[f].length;) {
      const size = Math.max(1, chunkSize(f, offset));
      let data = files[f].subarray(offset, offset + size);
      offset += data.length;
      while (data.length > 0) {
        const result = parser.feedSync(data);
        if (result.error !== undefined) return done(result.error);
        data = data.subarray(result.consumed);
        if (result.full) emit(result);
        else assert.ok(result.consumed > 0, 'no progress');
      }
    }
    for (;;) {
      const result = parser.finish();
      if (result.error !== undefined) return done(result.error);
      if (!result.full) break;
      emit(result);
    }
  }
  const last = parser.finish();
  if (last.rows > 0) emit(last);
  return done();
}

/** The batches' size; wordBytes: they take a text batch's words (nnz + 1 offsets and these bytes). */
interface Shape { rows: number; nnz: number; sparse: boolean; wordBytes?: number }

function assertSame(files: Buffer[], options: NativeParserOptions, shape: Shape,
  chunkings: Record<string, (file: number, offset: number) => number>): Drive {
  const reference = drive(false, files, options, shape, () => 1 << 30);
  assert.equal(reference.parseThreads, 1);
  for (const [name, chunkSize] of Object.entries(chunkings)) {
    const parallel = drive(true, files, options, shape, chunkSize);
    assert.ok(parallel.parseThreads > 1, `the parallel parser ran (${parallel.parseThreads} threads)`);
    assert.equal(parallel.error, reference.error, `${name}: error`);
    // Blank and comment lines (blank_line) are counted as parsed: after an error, the parallel parser's
    // segments past it have counted theirs, which no reader uses (the stream fails).
    const counted = (drive: Drive) => (drive.error === undefined ? drive.bad : { ...drive.bad, blank_line: 0 });
    assert.deepEqual(counted(parallel), counted(reference), `${name}: bad-record counts`);
    assert.equal(parallel.batches.length, reference.batches.length, `${name}: batches`);
    parallel.batches.forEach((batch, i) => assert.deepEqual(batch, reference.batches[i], `${name}: batch ${i}`));
  }
  return reference;
}

const random = Random.fromSeed(20261130);
const pick = <T>(items: T[]) => items[Math.floor(random.nextFloat() * items.length)];
const number = () => pick(['0', '1', '-2.5', '0.1', '3e-7', '1e30', String(Math.round(random.nextFloat() * 1e6) / 1e3)]);

function chunkings(seed: number): Record<string, (file: number, offset: number) => number> {
  const r = Random.fromSeed(seed);
  return {
    whole: () => 1 << 30,
    '1 MiB': () => 1 << 20,
    '65537 B': () => 65537,
    'random 1..200k': () => 1 + Math.floor(r.nextFloat() * 200_000),
    'random 1..300': () => 1 + Math.floor(r.nextFloat() * 300),
  };
}

/** About `bytes` of CSV: 1 + dim columns, with blank lines, CRLF, spaces and quotes here and there. */
function csv(bytes: number, dim: number, bad?: { every: number; text: string }): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const fields = [String(i % 2), ...Array.from({ length: dim }, number)];
    if (i % 97 === 5) fields[1] = ` "${fields[1]}" `;
    let line = fields.join(',');
    if (i % 41 === 3) line += '\r';
    if (bad && i % bad.every === bad.every - 1) line = bad.text;
    if (i % 53 === 7) lines.push('');
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

function libsvm(bytes: number, dim: number, wide = 0): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const count = wide && i % 500 === 250 ? wide : Math.floor(random.nextFloat() * 12);
    const entries = Array.from({ length: count }, () => `${1 + Math.floor(random.nextFloat() * dim)}:${number()}`);
    let line = `${i % 2} ${entries.join(' ')}`;
    if (i % 61 === 9) line += ' # a comment';
    if (i % 71 === 2) lines.push('# comment line');
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

describe('parallel text parsing', () => {
  before(function () {
    if (loadCoreAddon().runtimeInfo().threads < 2) {
      throw new Error('the native pool has 1 thread here: run with BOUNDLESS_NUM_THREADS=2 or more to test the parallel parser');
    }
  });

  it('CSV: the same batches, positions and counts as one parser, whatever the chunks (BOM, header, CRLF, quotes, blank lines)', () => {
    const body = csv(900_000, 7);
    const file = Buffer.concat([Buffer.from('\uFEFFlabel,a,b,c,d,e,f,g\n'), body]);
    const reference = assertSame([file], { format: 'csv', featureDim: 7, header: true }, { rows: 1000, nnz: 0, sparse: false }, chunkings(1));
    assert.equal(reference.error, undefined);
    assert.ok(reference.batches.length > 10);
  });

  it('CSV whose header comes after blank lines, more than a segment and more than a wave of them: the header skipped, as one parser does', () => {
    for (const blank of [3, 100_000, 2_500_000]) {
      // '\r' and spaces make some of the blank lines longer; a wave is 4 MiB, a segment at least 64 KiB.
      const lines = Array.from({ length: blank }, (_, i) => (i % 7 === 3 ? ' \r' : ''));
      const file = Buffer.concat([Buffer.from('\uFEFF' + lines.join('\n') + '\nlabel,a,b,c\n'), csv(300_000, 3)]);
      const reference = assertSame([file], { format: 'csv', featureDim: 3, header: true }, { rows: 1000, nnz: 0, sparse: false }, chunkings(blank % 5));
      assert.equal(reference.error, undefined, `${blank} blank lines`);
      assert.ok(reference.batches.length > 5);
      // Without the header option its line is the first record, and the error says what it looks like.
      const unnamed = assertSame([file], { format: 'csv', featureDim: 3 }, { rows: 1000, nnz: 0, sparse: false }, { whole: () => 1 << 30 });
      assert.equal(unnamed.error, `line ${blank + 1}: label (column 1) 'label' is not a number; the first non-blank line looks like a header: pass --header (header: true in the API) to skip it`);
    }
  });

  it('CSV over several files, the last record without a newline, batches not a divisor of the rows', () => {
    const files = [csv(300_000, 3), csv(200_000, 3), Buffer.from(csv(150_000, 3).toString().trimEnd())];
    assertSame(files, { format: 'csv', featureDim: 3 }, { rows: 777, nnz: 0, sparse: false }, chunkings(2));
  });

  it('CSV with bad records: the first error with its line, or every one skipped and counted', () => {
    const file = csv(700_000, 4, { every: 3001, text: '1,2,x,4,5' });
    const stopped = assertSame([file], { format: 'csv', featureDim: 4 }, { rows: 500, nnz: 0, sparse: false }, chunkings(3));
    assert.match(stopped.error!, /^line \d+: column 3 'x' is not a number$/);
    const skipped = assertSame([file], { format: 'csv', featureDim: 4, skipBad: true }, { rows: 500, nnz: 0, sparse: false }, chunkings(4));
    assert.ok(skipped.bad.unparsable_number > 5);
    const labels = assertSame([csv(400_000, 4, { every: 2000, text: '3,1,2,3,4' })], { format: 'csv', featureDim: 4, labelClasses: 2, skipBad: true },
      { rows: 500, nnz: 0, sparse: false }, chunkings(5));
    assert.ok(labels.bad.label_out_of_range > 0);
  });

  it('CSV in one chunk of more than a wave (4 MiB): parsed in several waves', () => {
    assertSame([csv(9_000_000, 5)], { format: 'csv', featureDim: 5 }, { rows: 4096, nnz: 0, sparse: false }, { whole: () => 1 << 30, '5 MiB': () => 5 << 20 });
  });

  it('libsvm: comments, batches full by non-zeros, and a record wider than a batch (an error, or skipped)', () => {
    const file = libsvm(800_000, 1000, 300);
    const shape = { rows: 256, nnz: 200, sparse: true };
    const stopped = assertSame([file], { format: 'libsvm', featureDim: 1000 }, shape, chunkings(6));
    assert.match(stopped.error!, /^line \d+: more non-zeros than a whole batch holds \(200\)$/);
    const skipped = assertSame([file], { format: 'libsvm', featureDim: 1000, skipBad: true }, shape, chunkings(7));
    assert.ok(skipped.bad.too_many_features > 0);
    assertSame([libsvm(800_000, 1000)], { format: 'libsvm', featureDim: 1000 }, { rows: 1000, nnz: 4000, sparse: true }, chunkings(8));
  });

  it('VW and JSON Lines (dense and sparse)', () => {
    const vw = Buffer.from(Array.from({ length: 30_000 }, (_, i) => `${i % 2} 2 'tag${i}|user u${i % 50} |item:0.5 i${i % 300} c${i % 7}:2`).join('\n') + '\n');
    assertSame([vw], { format: 'vw', featureDim: 2 ** 18, hashBits: 18 }, { rows: 1000, nnz: 5000, sparse: true }, chunkings(9));
    const json = Buffer.from(Array.from({ length: 20_000 }, (_, i) => i % 3 === 0
      ? `{"features": [${number()}, ${number()}, 0], "label": ${i % 2}, "weight": 2}`
      : `{"label": [${i % 2}], "features": {"keys": [${i % 3}], "values": [${number()}], "shape": [3]}}`).join('\n') + '\n');
    assertSame([json], { format: 'jsonl', featureDim: 3 }, { rows: 999, nnz: 0, sparse: false }, chunkings(10));
    assertSame([json], { format: 'jsonl', featureDim: 3 }, { rows: 999, nnz: 1500, sparse: true }, chunkings(11));
  });

  it('raw text: the same rows and bucket words, batches full by non-zeros or by word bytes, bad records', () => {
    const vocabulary = ['stream', 'Data', "don't", 'naïve', 'Ελληνικά', 'the', 'of', 'x', 'longwordlongwordlongwordlongword', 'q'.repeat(40)];
    const lines = Array.from({ length: 30_000 }, (_, i) => {
      const words = Array.from({ length: Math.floor(random.nextFloat() * 30) }, () => pick(vocabulary) + (random.nextFloat() < 0.3 ? String(i % 7) : ''));
      if (i % 4999 === 17) return '{"text": 12}';
      if (i % 7001 === 3) return '{"title": "no text"}';
      return JSON.stringify({ id: i, text: words.join(pick([' ', ', ', '\n', ' — '])) });
    });
    const file = Buffer.from(lines.join('\n') + '\n');
    const options: NativeParserOptions = { format: 'text', featureDim: 4096, skipBad: true };
    const skipped = assertSame([file], options, { rows: 500, nnz: 3000, sparse: true, wordBytes: 3000 * 16 }, chunkings(14));
    assert.equal(skipped.bad.syntax, lines.filter((line) => !line.includes('"id"')).length);
    // Bytes run out before non-zeros: 10 bytes per entry for words of up to 32.
    assertSame([file], options, { rows: 500, nnz: 3000, sparse: true, wordBytes: 3000 * 10 }, chunkings(15));
    const stopped = assertSame([file], { ...options, skipBad: false }, { rows: 500, nnz: 3000, sparse: true, wordBytes: 3000 * 16 }, chunkings(16));
    assert.equal(stopped.error, 'line 4: no "text"');
    // A document with more words than a batch holds bytes for: an error with its line, or skipped.
    const wide = Buffer.from(lines.filter((line) => line.includes('"id"')).slice(0, 2000).join('\n') + '\n' + JSON.stringify({ text: Array.from({ length: 40 }, (_, i) => 'w'.repeat(20) + 'abcdefghijklmnopqrstuvwxyz'[i % 26] + 'abcdefghijklmnopqrstuvwxyz'[Math.floor(i / 26)]).join(' ') }) + '\n');
    const tooWide = assertSame([wide], options, { rows: 500, nnz: 100, sparse: true, wordBytes: 500 }, chunkings(17));
    assert.equal(tooWide.bad.too_many_features, 1);
    assert.equal(assertSame([wide], { ...options, skipBad: false }, { rows: 500, nnz: 100, sparse: true, wordBytes: 500 }, chunkings(18)).error,
      'line 2001: its words need more bytes than a whole batch holds (500)');
  });

  it('wide dense rows from short records: waves keep their staging within the budget, and still agree', () => {
    const dim = 1 << 20;  // 4 MiB per dense row: 8 rows per wave at most
    const json = Buffer.from(Array.from({ length: 40 }, (_, i) => `{"features": {"keys": [${i * 7}], "values": [${i}], "shape": [${dim}]}, "label": 1}`).join('\n') + '\n');
    assertSame([json], { format: 'jsonl', featureDim: dim }, { rows: 3, nnz: 0, sparse: false }, { whole: () => 1 << 30, '100 B': () => 100 });
  });

  it('a record over maxRecordBytes: the same error at the same line, in the middle and at the end', () => {
    const long = '1,' + '2,'.repeat(3000) + '3';
    const middle = Buffer.from(csv(200_000, 1).toString() + long + '\n' + csv(100_000, 1).toString());
    const options: NativeParserOptions = { format: 'csv', featureDim: 1, maxRecordBytes: 4096, skipBad: true };
    const stopped = assertSame([middle], options, { rows: 100, nnz: 0, sparse: false }, chunkings(12));
    assert.match(stopped.error!, /^line \d+: record is longer than 4096 bytes/);
    const end = Buffer.from(csv(200_000, 1).toString() + long);
    assert.match(assertSame([end], options, { rows: 100, nnz: 0, sparse: false }, chunkings(13)).error!, /record is longer than 4096 bytes/);
  });

  it('end to end: `boundless train` gives the same model bytes with 1 parse thread and with every thread', function () {
    this.timeout(240_000);
    const directory = mkdtempSync(join(tmpdir(), 'boundless-parallel-'));
    try {
      const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
      // Moderate values (the generators' 1e30 is for the parsers; here the kernels must train on it).
      const moderate = (text: Buffer) => Buffer.from(text.toString().replaceAll('1e30', '3.5'));
      writeFileSync(join(directory, 'dense.csv'), moderate(csv(1_500_000, 6)));
      writeFileSync(join(directory, 'sparse.libsvm'), moderate(libsvm(1_200_000, 500)));
      const model = (threads: number, name: string, args: string[]) => {
        const out = join(directory, `${name}-${threads}`);
        const run = spawnSync(process.execPath, [cli, 'train', ...args, '--epochs', '1', '--model-dir', out],
          { encoding: 'utf8', env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) } });
        assert.equal(run.status, 0, `${run.error ?? ''} ${run.signal ?? ''} ${run.stderr}`);
        return readFileSync(join(out, 'model.safetensors'));
      };
      const jobs: [string, string[]][] = [
        ['linear-learner', ['linear-learner', '--train', join(directory, 'dense.csv'), '--hp', 'predictor_type=binary_classifier', '--hp', 'num_models=4']],
        ['kmeans', ['kmeans', '--train', join(directory, 'dense.csv'), '--label-size', '1', '--hp', 'k=3', '--hp', 'seed=5']],
        ['factorization-machines', ['factorization-machines', '--train', join(directory, 'sparse.libsvm'), '--format', 'libsvm', '--feature-dim', '500',
          '--hp', 'predictor_type=binary_classifier', '--hp', 'num_factors=4']],
      ];
      for (const [name, args] of jobs) assert.ok(model(1, name, args).equals(model(3, name, args)), `${name}: model bytes at 1 and 3 threads`);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
