// Inputs as real tools write them: a UTF-8 byte-order mark (Excel, Windows), gzip without a
// .gz name (a pipe, a renamed file), a header line read without --header, recordIO records
// that carry their own width, and every error path closing its files.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readBatches, type ReadOptions, type SourceInput } from '../../lib/index.js';
import { encodeRecord, frameRecord } from '../../lib/io/formats/recordio-protobuf.js';
import { readJsonLines } from '../../lib/io/formats/deepar-series.js';

const bom = Buffer.from([0xef, 0xbb, 0xbf]);

/** Every row as [label, weight, ...dense features]. */
async function rowsOf(input: SourceInput, options: Partial<ReadOptions>): Promise<number[][]> {
  const rows: number[][] = [];
  for await (const b of readBatches(input, { miniBatchSize: 2, ...options })) {
    for (let r = 0; r < b.rows; r++) {
      const features = new Array<number>(b.cols).fill(0);
      if (b.kind === 'dense') features.splice(0, b.cols, ...b.values.subarray(r * b.cols, (r + 1) * b.cols));
      else for (let e = b.indptr[r]; e < b.indptr[r + 1]; e++) features[b.indices[e]] += b.values[e];
      rows.push([b.labels?.[r] ?? NaN, b.weights?.[r] ?? 1, ...features]);
    }
  }
  return rows;
}

/** The chunks of `bytes` cut at every given offset (a record, or the mark itself, split across chunks). */
function cut(bytes: Buffer, ...at: number[]): Buffer[] {
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((end, i) => bytes.subarray(edges[i], end));
}

describe('encodings and formats real inputs use', () => {
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-encodings-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('UTF-16 text (its byte-order mark) is said to be UTF-16, in every text format: it was "holds NUL bytes … needs --format recordio"', async () => {
    for (const [format, text, order] of [['csv', '1,2,3\n', 'FF FE'], ['libsvm', '1 1:2\n', 'FF FE'], ['jsonl', '{"features":[1],"label":1}\n', 'FE FF']] as const) {
      const path = join(directory, `utf16.${format}`);
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
      await writeFile(path, order === 'FF FE' ? le : Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]));
      await assert.rejects(rowsOf(path, { format, featureDim: format === 'csv' ? undefined : 2 }), {
        name: 'DataError',
        message: `${path}: starts with a UTF-16 byte-order mark (${order}): it is UTF-16 text, and Boundless reads UTF-8; convert it first, e.g. iconv -f UTF-16 -t UTF-8 ${path} > utf8.txt`,
      });
    }
    // Gzip (iconv cannot read the file's bytes), UTF-32, and DeepAR's series (it said "invalid UTF-8").
    const gz = join(directory, 'utf16.csv.gz');
    await writeFile(gz, gzipSync(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('1,2\n', 'utf16le')])));
    await assert.rejects(rowsOf(gz, { format: 'csv' }), { message: `${gz}: starts with a UTF-16 byte-order mark (FF FE): it is UTF-16 text, and Boundless reads UTF-8; convert it first (its text, decompressed if it was gzip, through iconv -f UTF-16 -t UTF-8)` });
    const wide = join(directory, 'utf32.csv');
    await writeFile(wide, Buffer.from([0xff, 0xfe, 0, 0, 0x31, 0, 0, 0, 0x0a, 0, 0, 0]));
    await assert.rejects(rowsOf(wide, { format: 'csv' }), /starts with a UTF-32 byte-order mark \(FF FE 00 00\): it is UTF-32 text/);
    await writeFile(wide, Buffer.from([0, 0, 0xfe, 0xff, 0, 0, 0, 0x31, 0, 0, 0, 0x0a]));
    await assert.rejects(rowsOf(wide, { format: 'csv' }), /starts with a UTF-32 byte-order mark \(00 00 FE FF\): it is UTF-32 text/);
    const series = join(directory, 'series.json');
    await writeFile(series, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"start": "2020-01-01 00:00:00", "target": [1, 2]}\n', 'utf16le')]));
    await assert.rejects(async () => { for await (const line of readJsonLines(series)) void line; }, /series\.json: starts with a UTF-16 byte-order mark \(FF FE\)/);
  });

  describe('a UTF-8 byte-order mark', () => {
    const cases: [string, string, Partial<ReadOptions>, number[][]][] = [
      ['csv', '1,2,3\n0,4,5\n', { format: 'csv' }, [[1, 1, 2, 3], [0, 1, 4, 5]]],
      ['csv with a header', 'a,b,c\n1,2,3\n', { format: 'csv', header: true }, [[1, 1, 2, 3]]],
      ['libsvm', '1 1:2 2:3\n0 2:5\n', { format: 'libsvm', featureDim: 2 }, [[1, 1, 2, 3], [0, 1, 0, 5]]],
      ['vw', '1 2 |a x\n-1 |a x\n', { format: 'vw', hashBits: 2 }, []],
      ['jsonl', '{"features":[2,3],"label":1,"weight":4}\n', { format: 'jsonl', featureDim: 2 }, [[1, 4, 2, 3]]],
    ];
    for (const [name, text, options, expected] of cases) {
      it(`is skipped at the start of ${name}, whole or split across chunks, with the same rows as without it`, async () => {
        const plain = await rowsOf([Buffer.from(text)], options);
        if (expected.length > 0) assert.deepEqual(plain, expected);
        const marked = Buffer.concat([bom, Buffer.from(text)]);
        for (const chunks of [[marked], cut(marked, 1), cut(marked, 2, 5)]) {
          assert.deepEqual(await rowsOf(chunks, options), plain, `${name} in ${chunks.length} chunks`);
        }
      });
    }

    it('is skipped in every file of a multi-file channel, and only at a file\'s start', async () => {
      await writeFile(join(directory, 'bom-1.csv'), Buffer.concat([bom, Buffer.from('1,2\n')]));
      await writeFile(join(directory, 'bom-2.csv'), Buffer.concat([bom, Buffer.from('0,3\n')]));
      assert.deepEqual(await rowsOf(join(directory, 'bom-*.csv'), { format: 'csv' }), [[1, 1, 2], [0, 1, 3]]);
      await writeFile(join(directory, 'bom-inside.csv'), Buffer.concat([Buffer.from('1,2\n'), bom, Buffer.from('0,3\n')]));
      await assert.rejects(rowsOf(join(directory, 'bom-inside.csv'), { format: 'csv' }), /bom-inside\.csv, line 2: label \(column 1\) '\uFEFF0' is not a number/);
    });
  });

  describe('gzip, told by its magic bytes', () => {
    const text = Array.from({ length: 300 }, (_, i) => `${i % 2},${i},${i / 4}`).join('\n') + '\n';
    const expected = text.trim().split('\n').map((line) => { const [y, ...x] = line.split(',').map(Number); return [y, 1, ...x]; });

    it('decompresses a file without the .gz suffix, stdin-like streams and iterables', async () => {
      const path = join(directory, 'compressed.data');
      await writeFile(path, gzipSync(text));
      assert.deepEqual(await rowsOf(path, { format: 'csv' }), expected);
      assert.deepEqual(await rowsOf(Readable.from(cut(gzipSync(text), 1, 7, 100)), { format: 'csv' }), expected);
      assert.deepEqual(await rowsOf(cut(gzipSync(text), 1), { format: 'csv' }), expected);
    });

    it('says a truncated or corrupt stream is so, naming the file or stream', async () => {
      const path = join(directory, 'truncated.data');
      await writeFile(path, gzipSync(text).subarray(0, 200));
      await assert.rejects(rowsOf(path, { format: 'csv' }), new RegExp(`${path.replace(/[.]/g, '\\.')}: corrupt or truncated gzip data$`));
      await assert.rejects(rowsOf(Readable.from([gzipSync(text).subarray(0, 200)]), { format: 'csv' }), /^Error: stream: corrupt or truncated gzip data$/);
      const corrupt = gzipSync(text);
      corrupt[20] ^= 0xff;
      await assert.rejects(rowsOf([corrupt], { format: 'csv' }), /iterable: corrupt or truncated gzip data$/);
    });
  });

  it('a CSV header read without the header option: the error suggests it; a first line of data with a word in it, or numeric, does not', async () => {
    await assert.rejects(rowsOf([Buffer.from('label,height,weight\n1,2,3\n')], { format: 'csv', featureDim: 2 }),
      /^DataError: iterable, line 1: label \(column 1\) 'label' is not a number; the first line looks like a header: pass --header \(header: true in the API\) to skip it$/);
    await assert.rejects(rowsOf([Buffer.from('1,2,x\n')], { format: 'csv', featureDim: 2 }),
      /^DataError: iterable, line 1: column 3 'x' is not a number; CSV fields must be numbers: encode text such as class names as numbers \(0, 1, …\), and fill or drop missing values \(NA\), first; a column that is not data \(names, identifiers\) can be read past: --ignore-columns N \(ignoreColumns in the API\)$/);
    // After a header, the first record is the line after it.
    await assert.rejects(rowsOf([Buffer.from('a,b,c,species\n1,2,3,setosa\n')], { format: 'csv', header: true, labelSize: 0 }),
      /^DataError: iterable, line 2: column 4 'setosa' is not a number; CSV fields must be numbers/);
    // Iris as R writes it, species last: data, not a header (it said 'looks like a header').
    await assert.rejects(rowsOf([Buffer.from('5.1,3.5,1.4,0.2,setosa\n')], { format: 'csv', labelSize: 0 }),
      /^DataError: iterable, line 1: column 5 'setosa' is not a number; CSV fields must be numbers/);
    await assert.rejects(rowsOf([Buffer.from('x,y\n1,2\n')], { format: 'csv', labelSize: 0 }),
      /^DataError: iterable, line 1: column 1 'x' is not a number; the first line looks like a header/);
    await assert.rejects(rowsOf([Buffer.from('1,2,3\n1,2,x\n')], { format: 'csv', featureDim: 2 }),
      /^DataError: iterable, line 2: column 3 'x' is not a number$/);
    await assert.rejects(rowsOf([Buffer.from('1,2,1e\n')], { format: 'csv', featureDim: 2 }),
      /^DataError: iterable, line 1: column 3 '1e' is not a number$/);
    await assert.rejects(rowsOf([Buffer.from('1,2,3\n')], { format: 'csv', delimiter: ';' }),
      /^DataError: iterable: the first record has no feature columns \(1 column split at ";", one of them the label; is the delimiter right\?\)$/);
  });

  it('holds every record to maxRecordBytes, whole in a chunk or split across chunks', async () => {
    const line = '1,' + '2,'.repeat(400) + '3\n';  // 805 bytes
    const text = Buffer.from(line + line);
    for (const chunks of [[text], cut(text, 100), cut(text, 1000)]) {
      await assert.rejects(rowsOf(chunks, { format: 'csv', maxRecordBytes: 500, featureDim: 401 }),
        /^DataError: iterable, line 1: record is longer than 500 bytes \(raise --max-record-bytes, maxRecordBytes in the API\)$/);
      assert.equal((await rowsOf(chunks, { format: 'csv', maxRecordBytes: 900 })).length, 2);
    }
  });

  it('names control bytes in a bad field instead of printing them (a stray \\r would hide the message)', async () => {
    await assert.rejects(rowsOf([Buffer.from('1,2\r3,4\n')], { format: 'csv', featureDim: 1 }), /column 2 '2\\r3' is not a number/);
    await assert.rejects(rowsOf([Buffer.from('1,2\x013\n')], { format: 'csv', featureDim: 1 }), /column 2 '2\\x013' is not a number/);
  });

  it('an array of strings is a list of paths; one holding a newline gets an error that says how to pass text', async () => {
    await assert.rejects(rowsOf(['1,2,3\n', '0,4,5\n'] as never, { format: 'csv' }),
      /^TypeError: an array of strings is a list of file paths, and "1,2,3\\n" holds a newline: pass text as Buffers \(Buffer\.from\(text\)\) or from a generator$/);
  });

  it('a text or recordIO input without any record is a stream of no batches (the caller says what that means)', async () => {
    for (const [text, options] of [['', { format: 'csv' }], ['\n\n', { format: 'csv' }], ['a,b\n', { format: 'csv', header: true }], ['', { format: 'recordio' }]] as const) {
      const stream = readBatches([Buffer.from(text)], { miniBatchSize: 2, ...options });
      let batches = 0;
      for await (const batch of stream) batches += batch ? 1 : 0;
      assert.equal(batches, 0, JSON.stringify(text));
      assert.equal(stream.featureDim, undefined);
    }
  });

  it('labelClasses: a label the consumer cannot take is a bad record with its file and line, in every format, skipped under skip', async () => {
    const inputs: [string, SourceInput, Partial<ReadOptions>, string][] = [
      ['csv', [Buffer.from('1,5\n2,6\n0,7\n')], { format: 'csv' }, 'iterable, line 2'],
      ['libsvm', [Buffer.from('1 1:5\n2 1:6\n0 1:7\n')], { format: 'libsvm', featureDim: 1 }, 'iterable, line 2'],
      ['vw', [Buffer.from('1 |a x\n2 |a x\n0 |a x\n')], { format: 'vw', hashBits: 2 }, 'iterable, line 2'],
      ['jsonl', [Buffer.from('{"features":[5],"label":1}\n{"features":[6],"label":2}\n{"features":[7],"label":0}\n')], { format: 'jsonl', featureDim: 1 }, 'iterable, line 2'],
      ['recordio', [Buffer.concat([1, 2, 0].map((y, i) => frameRecord(encodeRecord({ values: [5 + i] }, y))))], { format: 'recordio' }, 'iterable, record 2 \\(byte \\d+\\)'],
      ['records', [[1, 5], [2, 6], [0, 7]], {}, 'array, record 1'],
    ];
    for (const [name, input, options, where] of inputs) {
      const fresh = () => (name === 'records' ? [[1, 5], [2, 6], [0, 7]] : (input as Buffer[]).map((b) => Buffer.from(b)));
      await assert.rejects(rowsOf(fresh() as SourceInput, { ...options, labelClasses: 2 }),
        new RegExp(`${where}: label 2 is not 0 or 1 \\(a binary classifier's labels\\)$`), name);
      const stream = readBatches(fresh() as SourceInput, { miniBatchSize: 2, ...options, labelClasses: 2, onBadRecord: 'skip' });
      const labels: number[] = [];
      for await (const b of stream) labels.push(...b.labels!.subarray(0, b.rows));
      assert.deepEqual(labels, [1, 0], name);
      assert.deepEqual(stream.stats.badRecords, { label_out_of_range: 1 }, name);
      assert.equal((await rowsOf(fresh() as SourceInput, { ...options, labelClasses: 3 })).length, 3, `${name}: 3 classes take 2`);
    }
    await assert.rejects(rowsOf([Buffer.from('1.5,5\n')], { format: 'csv', labelClasses: 3 }), /line 1: label 1\.5 is not a class in 0\.\.2 \(num_classes 3\)$/);
  });

  it('a binary classifier reads libsvm and VW labels -1/+1 as 0/1 (their conventions); CSV and other class counts stay strict', async () => {
    const labels = async (input: string, options: Partial<ReadOptions>) => {
      const out: number[] = [];
      for await (const b of readBatches([Buffer.from(input)], { miniBatchSize: 8, labelClasses: 2, ...options })) out.push(...b.labels!.subarray(0, b.rows));
      return out;
    };
    assert.deepEqual(await labels('-1 1:5\n+1 1:6\n1 1:7\n0 1:8\n', { format: 'libsvm', featureDim: 1 }), [0, 1, 1, 0]);
    assert.deepEqual(await labels('-1 |a x\n1 |a y\n', { format: 'vw', hashBits: 4 }), [0, 1]);
    // A file converted from libsvm keeps its -1: the error says where -1 is read as 0.
    await assert.rejects(labels('-1,5\n', { format: 'csv' }),
      /line 1: label -1 is not 0 or 1 \(a binary classifier's labels\); -1 is read as 0 from libsvm and VW files only \(their -1\/\+1 classes\): write 0 for -1$/);
    await assert.rejects(labels('-1 1:5\n', { format: 'libsvm', featureDim: 1, labelClasses: 3 }), /line 1: label -1 is not a class in 0\.\.2/);
    assert.deepEqual(await labels('-1 1:5\n', { format: 'libsvm', featureDim: 1, labelClasses: undefined }), [-1]);
  });

  describe('recordIO-protobuf records carry their width', () => {
    const dense = Buffer.concat([frameRecord(encodeRecord({ values: [1, 2, 3] }, 1)), frameRecord(encodeRecord({ values: [4, 5, 6] }, 0))]);
    const sparse = Buffer.concat([frameRecord(encodeRecord({ values: [7], keys: [4], featureDim: 6 }, 1)),
      frameRecord(encodeRecord({ values: [8, 9], keys: [0, 5], featureDim: 6 }, 0))]);

    it('reads dense and sparse records without featureDim, from their tensors, whole or in pieces', async () => {
      for (const chunks of [[dense], cut(dense, 3), cut(dense, 9, 30)]) {
        assert.deepEqual(await rowsOf(chunks, { format: 'recordio' }), [[1, 1, 1, 2, 3], [0, 1, 4, 5, 6]]);
      }
      for (const options of [{ sparse: true }, { sparse: false }]) {
        const stream = readBatches(cut(sparse, 5), { format: 'recordio', miniBatchSize: 2, ...options });
        const rows: number[] = [];
        for await (const b of stream) {
          assert.equal(b.cols, 6);
          assert.equal(b.kind, options.sparse ? 'sparse' : 'dense');
          rows.push(b.rows);
        }
        assert.deepEqual(rows, [2]);
      }
      assert.deepEqual(await rowsOf([sparse], { format: 'recordio', sparse: true }), [[1, 1, 0, 0, 0, 0, 7, 0], [0, 1, 8, 0, 0, 0, 0, 9]]);
    });

    it('still takes featureDim, which must agree with every record', async () => {
      assert.deepEqual(await rowsOf([dense], { format: 'recordio', featureDim: 3 }), [[1, 1, 1, 2, 3], [0, 1, 4, 5, 6]]);
      await assert.rejects(rowsOf([dense], { format: 'recordio', featureDim: 4 }), /iterable, record 1 \(byte 0\): has 3 dense features, expected 4 \(feature_dim\)$/);
      await assert.rejects(rowsOf([sparse], { format: 'recordio', featureDim: 7, sparse: true }), /iterable, record 1 \(byte 0\): has shape \[6\], expected feature_dim 7$/);
      const mixed = Buffer.concat([dense.subarray(0, dense.length / 2), frameRecord(encodeRecord({ values: [1, 2] }, 0))]);
      await assert.rejects(rowsOf([mixed], { format: 'recordio' }), /record 2 \(byte \d+\): has 2 dense features, expected 3 \(feature_dim\)$/);
    });

    it('asks for featureDim when a sparse record has no shape, and names bytes that are not recordIO', async () => {
      const shapeless = frameRecord(encodeRecord({ values: [7], keys: [4] }, 1));
      await assert.rejects(rowsOf([shapeless], { format: 'recordio', sparse: true }), /iterable, record 1: sparse features without a shape: pass --feature-dim \(featureDim in the API\)$/);
      assert.deepEqual(await rowsOf([shapeless], { format: 'recordio', sparse: true, featureDim: 5 }), [[1, 1, 0, 0, 0, 0, 7]]);
      await assert.rejects(rowsOf([Buffer.from('1,2,3\n4,5,6\n')], { format: 'recordio' }), /iterable, not recordIO \(bad magic or frame flag in the first record\)$/);
      await assert.rejects(rowsOf([dense.subarray(0, 10)], { format: 'recordio' }), /iterable: cannot infer feature_dim: no complete record found; pass featureDim$/);
    });
  });

  it('closes its files on every way a read can end: done, an error, the consumer leaving, an abort', async function () {
    if (process.platform !== 'linux') this.skip();
    const open = () => readdirSync('/proc/self/fd').length;
    const good = join(directory, 'good.csv');
    await writeFile(good, Array.from({ length: 100 }, (_, i) => `1,${i}`).join('\n') + '\n');
    const long = join(directory, 'long.csv');
    await writeFile(long, 'x'.repeat(5000));
    const bad = join(directory, 'bad.csv');
    await writeFile(bad, '1,2\n1,oops\n');
    const gz = join(directory, 'good.gz');
    await writeFile(gz, gzipSync(Buffer.alloc(200_000, '1,2\n')));
    const consume = async (path: string, options: Partial<ReadOptions>, stopAfter = Infinity) => {
      let seen = 0;
      for await (const batch of readBatches(path, { miniBatchSize: 2, format: 'csv', ...options })) if (++seen >= stopAfter || !batch) break;
    };
    await consume(gz, {});  // the first reads open what the process keeps (libuv's pool, zlib)
    const before = open();
    await consume(good, {});
    await assert.rejects(consume(long, { maxRecordBytes: 1000 }), /record is longer than 1000 bytes/);
    await assert.rejects(consume(bad, {}), /line 2: column 2 'oops' is not a number/);
    await consume(good, {}, 1);
    await consume(gz, {}, 1);
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(consume(gz, { signal: controller.signal }), /abort/i);
    // Closes finish on libuv threads after the reads settle: wait for them, up to 2 s on a busy machine.
    for (let waited = 0; open() !== before && waited < 2000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(open(), before, 'file descriptors open after the reads');
  });
});
