// A plain file's rest read and parsed by the parser's own thread (native/io/file_stager.h): the
// same batches, positions, byte counts and errors as the same bytes fed chunk by chunk (a stream),
// from a resumed position and in a worker's share too; a consumer that leaves, a stop signal and
// a read that fails end it without a thread or token left behind. Runs in this process's pool,
// which must have 2 threads or more for the parallel parser (and so the stager) to run at all.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadCoreAddon } from '../../lib/backends/native-addon.js';
import type { NativeParserOptions } from '../../lib/backends/native-addon.js';
import { readBatches } from '../../lib/io/read-batches.js';
import type { ReadOptions } from '../../lib/io/read-options.js';
import type { SourceInput } from '../../lib/io/sources/open-source.js';
import type { SourcePosition } from '../../lib/io/sources/types.js';
import { Random } from '../../lib/random.js';

interface Copied { values: number[]; labels: number[]; indptr?: number[]; indices?: number[]; position: SourcePosition }

/** Every batch copied out (the pool reuses its buffers), with the stream's final byte and record counts. */
async function collect(input: SourceInput, options: ReadOptions): Promise<{ batches: Copied[]; bytes: number; records: number }> {
  const stream = readBatches(input, options);
  const batches: Copied[] = [];
  for await (const batch of stream) {
    const used = batch.kind === 'sparse' ? batch.indptr[batch.rows] : batch.rows * batch.cols;
    batches.push({
      values: Array.from(batch.values.subarray(0, used)), labels: Array.from(batch.labels!.subarray(0, batch.rows)),
      ...(batch.kind === 'sparse' ? { indptr: Array.from(batch.indptr.subarray(0, batch.rows + 1)), indices: Array.from(batch.indices.subarray(0, used)) } : {}),
      position: { ...batch.position },
    });
  }
  return { batches, bytes: stream.stats.bytes, records: stream.stats.records };
}

/** The bytes as a stream in 1 MiB chunks: read by the chunk-by-chunk path, never by the stager. */
const asStream = (bytes: Buffer) => Readable.from((function* () {
  for (let at = 0; at < bytes.length; at += 1 << 20) yield bytes.subarray(at, at + (1 << 20));
})());

const random = Random.fromSeed(20261206);

/** About `bytes` of CSV with a header, CRLF here and there, blank lines and quoted fields. */
function csv(bytes: number): Buffer {
  const lines = ['label,a,b,c,d'];
  for (let i = 0, size = 0; size < bytes; i++) {
    const fields = [String(i % 2), ...Array.from({ length: 4 }, () => (random.nextFloat() * 100 - 50).toFixed(3))];
    if (i % 89 === 4) fields[2] = `"${fields[2]}"`;
    let line = fields.join(',');
    if (i % 37 === 3) line += '\r';
    if (i % 101 === 7) lines.push('');
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

function libsvm(bytes: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, size = 0; size < bytes; i++) {
    const indices = [...new Set(Array.from({ length: 1 + (i % 9) }, () => 1 + Math.floor(random.nextFloat() * 1000)))].sort((a, b) => a - b);
    const line = `${i % 2} ${indices.map((j) => `${j}:${(random.nextFloat() * 4).toFixed(2)}`).join(' ')}`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

describe('reading a file on the parser\'s own thread (file stager)', () => {
  let directory: string;
  before(function () {
    if (loadCoreAddon().runtimeInfo().threads < 2) {
      throw new Error('the native pool has 1 thread here: run with BOUNDLESS_NUM_THREADS=2 or more to test the file stager');
    }
    directory = mkdtempSync(join(tmpdir(), 'boundless-stager-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));
  // A pool thread gives its token back just after the last chunk of a loop it ran is counted done, so
  // on a busy machine one may still be held for a moment after the call returned: a leak is one
  // still held a second later.
  afterEach(async () => {
    for (let waited = 0; loadCoreAddon().runtimeInfo().tokensHeld > 0 && waited < 1000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(loadCoreAddon().runtimeInfo().tokensHeld, 0, 'no token left held');
  });

  it('CSV of 13 MB (a header, CRLF, blank lines, quotes): the batches, positions and byte count of the same bytes read as a stream', async () => {
    const bytes = csv(13_000_000);
    const path = join(directory, 'dense.csv');
    writeFileSync(path, bytes);
    const options: ReadOptions = { format: 'csv', header: true, miniBatchSize: 997 };
    const file = await collect(path, options);
    const stream = await collect(asStream(bytes), options);
    assert.ok(file.batches.length > 200, `${file.batches.length} batches`);
    assert.equal(file.records, stream.records);
    assert.equal(file.bytes, bytes.length, 'every byte counted');
    assert.deepEqual(file.batches.map((b) => b.values), stream.batches.map((b) => b.values));
    assert.deepEqual(file.batches.map((b) => b.labels), stream.batches.map((b) => b.labels));
    // The stream is one "file" too: its positions are the same byte offsets.
    assert.deepEqual(file.batches.map((b) => [b.position.byteOffset, b.position.records]), stream.batches.map((b) => [b.position.byteOffset, b.position.records]));
    assert.equal(file.batches.at(-1)!.position.byteOffset, bytes.length);
  });

  it('libsvm resumed from a batch\'s position, and in two workers\' shares: the rows of the whole read, in order', async () => {
    const bytes = libsvm(11_000_000);
    const path = join(directory, 'sparse.libsvm');
    writeFileSync(path, bytes);
    const options: ReadOptions = { format: 'libsvm', featureDim: 1000, miniBatchSize: 1000 };
    const whole = await collect(path, options);
    assert.deepEqual(whole.batches, (await collect(asStream(bytes), options)).batches);
    // Resumed at a batch past the first wave: the batches after it, at the same positions.
    const at = Math.floor(whole.batches.length * 0.6);
    const resumed = await collect(path, { ...options, start: whole.batches[at].position });
    assert.deepEqual(resumed.batches, whole.batches.slice(at + 1));
    assert.equal(resumed.bytes, bytes.length - whole.batches[at].position.byteOffset);
    // Two shares cut at a line start: together, every row once (positions stay absolute).
    const shares = await Promise.all([0, 1].map((index) => collect(path, { ...options, files: { split: { index, count: 2 } } })));
    const rows = (batches: Copied[]) => batches.flatMap((b) => b.indptr!.slice(1).map((end, r) => [b.labels[r], ...b.indices!.slice(b.indptr![r], end), ...b.values.slice(b.indptr![r], end)].join(' ')));
    assert.deepEqual([...rows(shares[0].batches), ...rows(shares[1].batches)], rows(whole.batches));
    assert.equal(shares[0].bytes + shares[1].bytes, bytes.length);
  });

  it('a bad record deep in the file: the stream\'s error, at the same line, after the rows before it', async () => {
    const lines = csv(9_000_000).toString().split('\n');
    const bad = 150_000;
    lines[bad] = '1,2,three,4,5';
    const bytes = Buffer.from(lines.join('\n'));
    const path = join(directory, 'bad.csv');
    writeFileSync(path, bytes);
    const options: ReadOptions = { format: 'csv', header: true, miniBatchSize: 1000 };
    const failure = async (input: SourceInput) => {
      let rows = 0;
      try {
        for await (const batch of readBatches(input, options)) rows += batch.rows;
      } catch (error) {
        return { rows, message: (error as Error).message };
      }
      assert.fail('no error');
    };
    const file = await failure(path), stream = await failure(asStream(bytes));
    assert.equal(file.message, `${path}, line ${bad + 1}: column 3 'three' is not a number`);
    assert.equal(file.message.slice(path.length), stream.message.slice(stream.message.indexOf(', line')));
    assert.equal(file.rows, stream.rows);
  });

  it('a record over maxRecordBytes that starts where the parser\'s own thread takes over: the record\'s error, every time', async () => {
    // 4,096 lines of 64 bytes fill the first chunk (256 KiB) exactly: the long record opens the first window.
    const line = '1,' + '2,'.repeat(30) + '2\n';
    const path = join(directory, 'long-at-window.csv');
    writeFileSync(path, Buffer.concat([Buffer.from(line.repeat(4096)), Buffer.alloc(5_000_000, '3'), Buffer.from('\n' + line)]));
    for (let run = 0; run < 6; run++) {
      await assert.rejects(collect(path, { format: 'csv', miniBatchSize: 1000 }),
        { message: `${path}, line 4097: record is longer than 1048576 bytes (raise --max-record-bytes, maxRecordBytes in the API)` });
    }
  });

  it('a consumer that leaves, and a stop signal, end the read mid-file; the next read gives every row', async () => {
    const path = join(directory, 'leave.csv');
    const bytes = csv(12_000_000);
    writeFileSync(path, bytes);
    const options: ReadOptions = { format: 'csv', header: true, miniBatchSize: 1000 };
    let seen = 0;
    for await (const batch of readBatches(path, options)) if ((seen += batch.rows) > 300_000) break;
    const controller = new AbortController();
    await assert.rejects(async () => {
      let rows = 0;
      for await (const batch of readBatches(path, { ...options, signal: controller.signal })) if ((rows += batch.rows) > 250_000) controller.abort();
    }, { name: 'AbortError' });
    const records = bytes.toString().split('\n').filter((line) => line.replace('\r', '') !== '').length - 1;
    assert.equal((await collect(path, options)).records, records);
  });

  it('a file truncated by another process while it is read: an error naming the file and the byte, not a crash (SIGBUS)', async () => {
    const path = join(directory, 'truncated.libsvm');
    writeFileSync(path, libsvm(20_000_000));
    const iterator = readBatches(path, { format: 'libsvm', featureDim: 1000, miniBatchSize: 1000 })[Symbol.asyncIterator]();
    let rows = (await iterator.next()).value!.rows;
    // The reader runs ahead until both waves are full and the next window is mapped (about 12 MB in):
    // cut the file inside that window, whose pages are then gone.
    await new Promise((resolve) => setTimeout(resolve, 400));
    truncateSync(path, 10_000_000);
    const error = await (async () => {
      try {
        for (let step = await iterator.next(); !step.done; step = await iterator.next()) rows += step.value.rows;
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    // A window mapped before the cut reads its lost pages as zeros and says so; one the reader
    // reaches after it finds the new end, whose last line is cut, or (on a busy machine, once the
    // cut is there before the read gets to it) a read that ends short of the size the file had,
    // which is said first.
    const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(error?.message ?? 'no error', new RegExp(`^${escaped}(, byte \\d+: the file was truncated \\(by another process\\?\\) while it was read: nothing from here on is read` +
      `|, line \\d+: .* \\(the last line, which has no newline after it: was the input cut short\\?\\)` +
      `|: the read ended at byte 10000000, before byte \\d+, where the file's data ended when the read began \\(the file holds 10000000 bytes now\\): .*)$`));
    assert.ok(rows > 0 && rows < 250_000, `${rows} rows handed over before the error`);
  });

  it('a file cut at a line before the reader reaches it: an error naming the sizes, not a shorter training set (1 and 2 threads)', function () {
    this.timeout(60_000);
    const bytes = libsvm(20_000_000);
    const cut = bytes.indexOf(0x0a, 18_000_000) + 1;  // a line boundary past the windows mapped when the reader pauses
    const library = fileURLToPath(new URL('../../lib/index.ts', import.meta.url));
    const script = `
      import { readBatches } from ${JSON.stringify(library)};
      import { truncateSync } from 'node:fs';
      const path = process.argv[1];
      const iterator = readBatches(path, { format: 'libsvm', featureDim: 1000, miniBatchSize: 1000 })[Symbol.asyncIterator]();
      await iterator.next();
      await new Promise((resolve) => setTimeout(resolve, 400));
      truncateSync(path, ${cut});
      try {
        while (!(await iterator.next()).done);
        console.log('no error');
      } catch (error) {
        console.log(error.message);
      }`;
    for (const threads of [1, 2]) {
      const path = join(directory, `cut-${threads}.libsvm`);
      writeFileSync(path, bytes);
      const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path],
        { encoding: 'utf8', env: { ...process.env, BOUNDLESS_NUM_THREADS: String(threads) } });
      assert.equal(run.status, 0, run.stderr);
      assert.equal(run.stdout.trim(), `${path}: the read ended at byte ${cut}, before byte ${bytes.length}, where the file's data ended when the read began ` +
        `(the file holds ${cut} bytes now): was it truncated or replaced while it was being read? (its rows would be missing from the run)`, `${threads} threads`);
    }
  });

  it('a window mapped before the file is cut: its lost pages read as zeros and the wave is an error, at the window\'s first byte', async () => {
    const path = join(directory, 'cut.libsvm');
    writeFileSync(path, libsvm(16_000_000));
    const parser = new (loadCoreAddon().StreamParser)({ format: 'libsvm', featureDim: 1000 } as NativeParserOptions);
    const rows = 1000, nnz = 20_000;
    const target = () => parser.setTarget(new Float32Array(nnz), new Float32Array(rows), null, new Int32Array(rows + 1), new Uint32Array(nnz), rows, nnz);
    target();
    parser.stageFile(path, 0, Number.MAX_VALUE);
    try {
      // Nothing is handed over yet: the stager fills both waves ([0, 4 MiB) and [4, 8 MiB)), maps
      // the next window [8, 12 MiB) and waits for a free wave. The file is then cut inside that window.
      assert.equal((await parser.staged()).ready, true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      truncateSync(path, 10_000_000);
      let handed = 0, error: string | undefined;
      while (error === undefined) {
        const result = parser.drainSync();
        error = result.error;
        if (result.full) {
          handed += result.rows;
          target();
        } else if (error === undefined && !(await parser.staged()).ready) {
          break;
        }
      }
      assert.equal(error, `byte ${8 << 20}: the file was truncated (by another process?) while it was read: nothing from here on is read`);
      assert.ok(handed > 100_000, `${handed} rows of the two waves before it handed over`);
    } finally {
      parser.endStaging();
    }
  });

  it('the native calls: a path that cannot be read is an error naming it; feeding while staging and ending no staging are refused', async () => {
    const parser = new (loadCoreAddon().StreamParser)({ format: 'csv', featureDim: 2 } as NativeParserOptions);
    parser.setTarget(new Float32Array(20), new Float32Array(10), null, null, null, 10, 0);
    const missing = join(directory, 'missing.csv');
    parser.stageFile(missing, 0, Number.MAX_VALUE);
    assert.throws(() => parser.feedSync(Buffer.from('1,2,3\n')), /StreamParser\.feedSync: a feed is still running/);
    const progress = await parser.staged();
    assert.deepEqual(progress, { ready: false, done: true, bytes: 0, error: `${missing}: No such file or directory` });
    assert.equal(parser.endStaging(), 0);
    assert.throws(() => parser.endStaging(), /StreamParser\.endStaging: no file is being staged/);
    assert.throws(() => parser.stageFile(missing, -1, 0), /StreamParser\.stageFile: from must be a byte offset/);
  });
});
