import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { fileSource, readBatches, recordSource, type ReadOptions, type SourceInput } from '../../lib/index.js';
import { packageRoot } from '../../lib/package-root.js';
import { fileErrorMessage } from '../../lib/io/sources/file-errors.js';
import { feedFifo, makeFifo, quietWriter, releaseReaders, writeAll } from '../fixtures/named-pipe.js';

/** `promise`, or a failure after `ms` (a read that does not stop would otherwise hold the test to its timeout). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** [label, ...features] of every row. */
async function rowsOf(input: SourceInput, options: Partial<ReadOptions> = {}): Promise<number[][]> {
  const rows: number[][] = [];
  for await (const batch of readBatches(input, { miniBatchSize: 3, format: 'csv', ...options })) {
    if (batch.kind !== 'dense') throw new Error('expected dense');
    for (let r = 0; r < batch.rows; r++) rows.push([batch.labels![r], ...batch.values.subarray(r * batch.cols, (r + 1) * batch.cols)]);
  }
  return rows;
}

const csv = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `${(from + i) % 2},${from + i},${(from + i) * 0.5}`).join('\n') + '\n';

describe('sources', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'boundless-sources-'));
    await mkdir(join(directory, 'parts'));
    await writeFile(join(directory, 'parts', 'part-0.csv'), csv(0, 4));
    await writeFile(join(directory, 'parts', 'part-1.csv'), csv(4, 4));
    await writeFile(join(directory, 'parts', 'part-2.csv.gz'), gzipSync(csv(8, 4)));
    await writeFile(join(directory, 'parts', 'notes.txt'), 'not data');
    await writeFile(join(directory, 'single.csv'), csv(0, 10));
  });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('a directory holding a symbolic link to nothing or a subdirectory, and a record wider than a batch: errors that name them and say what to do', async () => {
    await mkdir(join(directory, 'dangling'));
    await writeFile(join(directory, 'dangling', 'a.csv'), csv(0, 3));
    await symlink(join(directory, 'dangling', 'gone.csv'), join(directory, 'dangling', 'b.csv'));
    await assert.rejects(async () => { for await (const batch of readBatches(join(directory, 'dangling'), { format: 'csv', miniBatchSize: 10 })) void batch; }, { message: `${join(directory, 'dangling')}: ${join(directory, 'dangling', 'b.csv')} ` +
      `is a symbolic link whose target does not exist (or was removed while ${join(directory, 'dangling')} was listed)` });
    await mkdir(join(directory, 'nested', 'sub'), { recursive: true });
    await writeFile(join(directory, 'nested', 'a.csv'), csv(0, 3));
    await writeFile(join(directory, 'nested', 'sub', 'b.csv'), csv(3, 3));
    await assert.rejects(async () => { for await (const batch of readBatches(join(directory, 'nested'), { format: 'csv', miniBatchSize: 10 })) void batch; }, {
      message: `${join(directory, 'nested')}: holds a subdirectory, ${join(directory, 'nested', 'sub')}, whose files would not be read ` +
        "(a directory's own files are, not its subdirectories'): move them into it, or give the subdirectory as an input of its own" });
    const wide = join(directory, 'wide.svm');
    await writeFile(wide, `1 ${Array.from({ length: 70_000 }, (_, i) => `${i + 1}:1`).join(' ')}\n`);
    await assert.rejects(async () => { for await (const batch of readBatches(wide, { format: 'libsvm', featureDim: 70_000, miniBatchSize: 100 })) void batch; },
      { message: `${wide}, line 1: more non-zeros than a whole batch holds (65536); a batch holds 128 entries per row of --mini-batch-size (at least 65,536): ` +
        'raise --mini-batch-size (miniBatchSize, or nnzPerBatch, in the API)' });
  });

  it('a glob: a matching subdirectory or named pipe is an error naming it; `*` skips dot files as the shell does; a symbolic link loop and a path through a file say what they are', async () => {
    const globbed = join(directory, 'globbed');
    await mkdir(join(globbed, 'sub'), { recursive: true });
    await writeFile(join(globbed, 'a.csv'), csv(0, 3));
    await writeFile(join(globbed, '.hidden.csv'), csv(10, 2));
    await writeFile(join(globbed, 'sub', 'b.csv'), csv(3, 3));
    // `*.csv` passes over the subdirectory (no match) and the dot file; `.*.csv` names the dot file.
    assert.deepEqual((await rowsOf(join(globbed, '*.csv'))).map((r) => r[1]), [0, 1, 2]);
    assert.deepEqual((await rowsOf(join(globbed, '.*.csv'))).map((r) => r[1]), [10, 11]);
    await assert.rejects(rowsOf(join(globbed, '*')), {
      message: `${join(globbed, '*')}: matches a subdirectory, ${join(globbed, 'sub')}, whose files would not be read ` +
        "(a directory's own files are, not its subdirectories'): move them into it, or give the subdirectory as an input of its own" });
    await rm(join(globbed, 'sub'), { recursive: true });
    makeFifo(join(globbed, 'pipe.csv'));
    await assert.rejects(rowsOf(join(globbed, '*.csv')), {
      message: `${join(globbed, '*.csv')}: matches ${join(globbed, 'pipe.csv')}, which is not a file but a stream or device (a named pipe, a socket): ` +
        'a stream can be read only alone, once, from its start: give it as an input of its own' });
    await rm(join(globbed, 'pipe.csv'));
    await symlink('loop-b.csv', join(globbed, 'loop-a.csv'));
    await symlink('loop-a.csv', join(globbed, 'loop-b.csv'));
    const loopMessage = (path: string) => `${path}: a symbolic link that leads back to itself (a loop of links): it names no file (ELOOP)`;
    await assert.rejects(rowsOf(join(globbed, 'loop-a.csv')), { message: loopMessage(join(globbed, 'loop-a.csv')) });
    await assert.rejects(rowsOf(join(globbed, '*.csv')), { message: loopMessage(join(globbed, 'loop-a.csv')) });
    await assert.rejects(rowsOf(join(globbed, 'a.csv', 'x.csv')),
      { message: `${join(globbed, 'a.csv', 'x.csv')}: a part of the path before its last is not a directory (ENOTDIR)` });
    // Paths that name nothing say why when they can.
    await symlink('gone.csv', join(globbed, 'dangling.csv'));
    await assert.rejects(rowsOf(join(globbed, 'dangling.csv')), { message: `${join(globbed, 'dangling.csv')}: a symbolic link whose target does not exist` });
    await assert.rejects(rowsOf(join(directory, '*', 'a.csv')), { message: `${join(directory, '*', 'a.csv')}: wildcards are supported in the file name only` });
    await assert.rejects(rowsOf(join(globbed, 'part-[12].csv')),
      { message: `${join(globbed, 'part-[12].csv')}: no such file or directory (a glob takes * and ? only, not [...])` });
    await assert.rejects(rowsOf(''), { message: 'an input path is empty: give a file, a directory or a glob' });
    // Spaces at either end: the path quoted, and the file without them named when it exists.
    await assert.rejects(rowsOf(' '), { message: '" ": no such file or directory (the path is only spaces)' });
    await assert.rejects(rowsOf(`${join(globbed, 'a.csv')} `),
      { message: `${JSON.stringify(`${join(globbed, 'a.csv')} `)}: no such file or directory (the path starts or ends with spaces; ${JSON.stringify(join(globbed, 'a.csv'))} exists)` });
    const dots = join(directory, 'only-dot-files');
    await mkdir(dots);
    await writeFile(join(dots, '.a.csv'), csv(0, 2));
    await assert.rejects(rowsOf(dots), { message: `${dots}: the directory holds no files (names starting with "." are passed over: the glob ${join(dots, '.*')} names them)` });
    // A glob that matches only dot files says so, and how to name them.
    const rule = "as in the shell, * and ? do not match a name's leading dot; a pattern that starts with '.' does";
    await assert.rejects(rowsOf(join(dots, '*.csv')), { message: `${join(dots, '*.csv')}: no file matches (.a.csv is a dot file: ${rule}: ${join(dots, '.*.csv')} names them)` });
    await writeFile(join(dots, '.b.csv'), csv(0, 2));
    await assert.rejects(rowsOf(join(dots, '*')), { message: `${join(dots, '*')}: no file matches (2 dot files, such as .a.csv, are there: ${rule}: ${join(dots, '.*')} names them)` });
    await assert.rejects(rowsOf(join(dots, '**')), { message: `${join(dots, '**')}: no file matches (2 dot files, such as .a.csv, are there: ${rule}: ${join(dots, '.*')} names them)` });
    await assert.rejects(rowsOf(join(dots, '?a.csv')), { message: `${join(dots, '?a.csv')}: no file matches (.a.csv is a dot file: ${rule})` });
    await assert.rejects(rowsOf(join(dots, '*.tsv')), { message: `${join(dots, '*.tsv')}: no file matches` });
    assert.equal((await rowsOf(join(dots, '.*.csv'))).length, 4);
  });

  it('files listed with their sizes (a pass\'s start): read as listed; one truncated or removed since is an error naming it, a worker\'s share cut at the listed size', async () => {
    const listedDir = join(directory, 'listed');
    await mkdir(listedDir, { recursive: true });
    const a = join(listedDir, 'a.csv'), b = join(listedDir, 'b.csv');
    const text = csv(0, 2000);
    await writeFile(a, text);
    await writeFile(b, text);
    const listed = [{ path: a, bytes: text.length }, { path: b, bytes: text.length }];
    // Read as listed, not listed again: a file added to the directory since is not read.
    await writeFile(join(listedDir, 'c.csv'), text);
    assert.equal((await rowsOf(listedDir, { miniBatchSize: 500, files: { listed } })).length, 4000);
    const cut = text.indexOf('\n', 20_000) + 1;
    execFileSync('truncate', ['-s', String(cut), b]);
    await assert.rejects(rowsOf(listedDir, { miniBatchSize: 500, files: { listed } }), {
      message: `${b}: the read ended at byte ${cut}, before byte ${text.length}, where the file's data ended when the read began (the file holds ${cut} bytes now): ` +
        'was it truncated or replaced while it was being read? (its rows would be missing from the run)' });
    // Two workers cut their shares at the listed size: the second one's read ends short of its share.
    const shares = async () => { for (let i = 0; i < 2; i++) await rowsOf(b, { miniBatchSize: 500, files: { listed: [listed[1]], split: { index: i, count: 2 } } }); };
    await assert.rejects(shares(), (error: Error) => /the read ended at byte \d+, before byte \d+, where this worker's share of the file ended when the read began/.test(error.message));
    // Cut below where the second share starts: that worker finds the file ends before the listed size (it read nothing, silently, before).
    execFileSync('truncate', ['-s', '1000', b]);
    await assert.rejects(rowsOf(b, { miniBatchSize: 500, files: { listed: [listed[1]], split: { index: 1, count: 2 } } }),
      (error: Error) => error.message.startsWith(`${b}: the read ended at byte `) && error.message.includes(`, before byte ${text.length}, where the file's data ended when the read began (the file holds 1000 bytes now)`));
    await rm(b);
    await assert.rejects(rowsOf(listedDir, { miniBatchSize: 500, files: { listed } }), { message: `${b}: no such file or directory (ENOENT)` });
  });

  it('file-system errors in words: permission denied (untestable by root here, so by its code), and an unknown code keeps Node\'s message', () => {
    const errno = (code: string, message: string) => Object.assign(new Error(message), { code });
    assert.equal(fileErrorMessage('data/a.csv', errno('EACCES', "EACCES: permission denied, open 'data/a.csv'")),
      'data/a.csv: permission denied: this process may not read it (or may not search a directory on its path) (EACCES)');
    assert.equal(fileErrorMessage('data/a.csv', errno('EXDEV', 'EXDEV: cross-device link not permitted')), 'data/a.csv: EXDEV: cross-device link not permitted');
  });

  it('a decimal below float64\'s range without an exponent (0.000…1, 350 zeros) reads as 0, as 1e-400 does; 400 nines overflow', async () => {
    const tiny = `0.${'0'.repeat(350)}1`;
    const path = join(directory, 'tiny.csv');
    await writeFile(path, `1,${tiny},2\n1,-${tiny},3\n1,1e-400,4\n`);
    const values: number[] = [];
    for await (const batch of readBatches(path, { format: 'csv', miniBatchSize: 10 })) values.push(...batch.values.subarray(0, batch.rows * 2));
    assert.deepEqual(values, [0, 2, -0, 3, 0, 4]);
    await writeFile(path, `1,${'9'.repeat(400)},2\n`);
    await assert.rejects(async () => { for await (const batch of readBatches(path, { format: 'csv', miniBatchSize: 10 })) void batch; },
      { message: `${path}, line 1: column 2 '9999999999999999999999999999999999999999...' overflows float32` });
  });

  it('reads a file path', async () => {
    const rows = await rowsOf(join(directory, 'single.csv'));
    assert.equal(rows.length, 10);
    assert.deepEqual(rows[9], [1, 9, 4.5]);
  });

  it('reads a glob of plain and gzip files in sorted order', async () => {
    const rows = await rowsOf(join(directory, 'parts', 'part-*'));
    assert.deepEqual(rows.map((r) => r[1]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('shards files across workers by index, like ShardedByS3Key', async () => {
    const pattern = join(directory, 'parts', 'part-*');
    const shard0 = await rowsOf(pattern, { files: { shard: { index: 0, count: 2 } } });
    const shard1 = await rowsOf(pattern, { files: { shard: { index: 1, count: 2 } } });
    assert.deepEqual(shard0.map((r) => r[1]), [0, 1, 2, 3, 8, 9, 10, 11]);
    assert.deepEqual(shard1.map((r) => r[1]), [4, 5, 6, 7]);
  });

  it('reads every file of a directory and names a missing path clearly', async () => {
    await assert.rejects(rowsOf(join(directory, 'parts')), /notes\.txt, line 1: label \(column 1\) 'not data' is not a number; the first line looks like a header: pass --header \(header: true in the API\) to skip it$/);
    await assert.rejects(rowsOf(join(directory, 'nope.csv')), /nope\.csv: no such file or directory$/);
    await assert.rejects(rowsOf(join(directory, 'parts', 'zzz-*')), /zzz-\*: no file matches$/);
  });

  it('says a gzip file is corrupt', async () => {
    const path = join(directory, 'broken.csv.gz');
    await writeFile(path, gzipSync(csv(0, 50)).subarray(0, 30));
    await assert.rejects(rowsOf(path), /broken\.csv\.gz: corrupt or truncated gzip data|unexpected end of file/);
  });

  it('reads a Node Readable, an async generator of Buffers and a sync iterable of strings', async () => {
    const expected = await rowsOf(join(directory, 'single.csv'));
    assert.deepEqual(await rowsOf(Readable.from([Buffer.from(csv(0, 5)), Buffer.from(csv(5, 5))])), expected);
    async function* generate() {
      for (let i = 0; i < 10; i++) yield Buffer.from(csv(i, 1));
    }
    assert.deepEqual(await rowsOf(generate()), expected);
    assert.deepEqual(await rowsOf(new Set([csv(0, 3), csv(3, 7)]).values()), expected);
  });

  it('reads records (arrays or {features, label}) from any iterable', async () => {
    const arrays = await rowsOf([[1, 2, 3], Float32Array.from([0, 4, 5])] as never);
    assert.deepEqual(arrays, [[1, 2, 3], [0, 4, 5]]);
    async function* objects() {
      yield { features: [1, 2], label: 1 };
      yield { features: [3, 4], label: 0, weight: 2 };
    }
    assert.deepEqual(await rowsOf(objects()), [[1, 1, 2], [0, 3, 4]]);
    await assert.rejects(rowsOf([[1, 2, 3], [1, 2]] as never), /^DataError: array, record 1: has 1 features, expected 2$/);
    await assert.rejects(rowsOf(recordSource([{ features: [1, NaN], label: 0 }], 'cursor')), /cursor, record 0: feature 1 is NaN; features must be finite$/);
    // Text where numbers belong (a CSV library that left fields as strings) is said as such.
    await assert.rejects(rowsOf([['1', '2.5', '3']] as never), /^DataError: array, record 0: label is the string "1", expected a number$/);
    await assert.rejects(rowsOf([[1, '2.5', 3]] as never), /^DataError: array, record 0: feature 0 is the string "2\.5", expected a number$/);
  });

  it('a record\'s weight and a value that is no record are bad records named by their place; skip skips them', async () => {
    const records = (bad: unknown) => [{ features: [1, 2], label: 1 }, bad, { features: [3, 4], label: 0, weight: 2 }];
    // A negative weight stopped the run later, in the kernel ("batch 1: row 476"), and skip did not skip it.
    await assert.rejects(rowsOf(records({ features: [5, 6], label: 1, weight: -1 }) as never),
      /^DataError: array, record 1: weight -1 is negative, expected a finite number ≥ 0$/);
    await assert.rejects(rowsOf(records({ features: [5, 6], label: 1, weight: NaN }) as never),
      /^DataError: array, record 1: weight is NaN, expected a finite number ≥ 0$/);
    // It read "record 5 is neither …" for the value 5 at record 1.
    await assert.rejects(rowsOf(records(5) as never), /^DataError: array, record 1: the number 5 is neither an array nor \{features, label\}$/);
    await assert.rejects(rowsOf(records(null) as never), /^DataError: array, record 1: null is neither an array nor \{features, label\}$/);
    // A misspelled weight trained every row at weight 1 without a word; a sparse features object said "has undefined features".
    await assert.rejects(rowsOf(records({ features: '56', label: 1 }) as never),
      /^DataError: array, record 1: features is the string "56", expected an array of numbers/);
    await assert.rejects(rowsOf(records({ features: [5, 6], label: 1, wieght: 0 }) as never),
      /^DataError: array, record 1: has "wieght" beside its features: a record object holds features, label and weight only$/);
    await assert.rejects(rowsOf(records({ features: { keys: [0], values: [1], shape: [2] }, label: 1 }) as never),
      /^DataError: array, record 1: features is the value \{"keys":\[0\],"values":\[1\],"shape":\[2\]\}, expected an array of numbers \(dense: sparse rows come as libsvm, JSON Lines or recordIO files, or as batches\)$/);
    for (const [bad, reason] of [[{ features: [5, 6], label: 1, weight: -1 }, 'unparsable_number'], [{ features: [5, 6], label: 1, weight: Infinity }, 'non_finite'], [5, 'syntax']] as const) {
      const stream = readBatches(records(bad) as never, { miniBatchSize: 3, onBadRecord: 'skip' });
      const rows: number[][] = [];
      for await (const batch of stream) {
        if (batch.kind !== 'dense') throw new Error('expected dense');
        for (let r = 0; r < batch.rows; r++) rows.push([batch.labels![r], batch.weights?.[r] ?? 1, ...batch.values.subarray(r * 2, (r + 1) * 2)]);
      }
      assert.deepEqual(rows, [[1, 1, 1, 2], [0, 2, 3, 4]]);
      assert.deepEqual(stream.stats.badRecords, { [reason]: 1 });
    }
  });

  it('records take the commonest width of their first 20 (a bad first record set it), and values past float32 are bad records', async () => {
    const good = Array.from({ length: 30 }, (_, i) => [i % 2, i, i * 0.5]);
    // The first record alone set the width: every good record after it was "of another width".
    await assert.rejects(rowsOf([[1], ...good] as never), /^DataError: array, record 0: has 0 features, expected 2$/);
    await assert.rejects(rowsOf([[1, 2, 3, 4], ...good] as never), /^DataError: array, record 0: has 3 features, expected 2$/);
    const stream = readBatches([[1, 2, 3, 4], ...good] as never, { miniBatchSize: 8, onBadRecord: 'skip' });
    let rows = 0;
    for await (const batch of stream) rows += batch.rows;
    assert.equal(rows, 30);
    assert.deepEqual(stream.stats.badRecords, { column_count: 1 });
    // A record's arrays are copied while the width is read: an iterator that reuses one array gives each record its own values.
    function* reused() {
      const row = new Float32Array(3);
      for (let i = 0; i < 5; i++) {
        row.set([i % 2, i, 10 * i]);
        yield row;
      }
    }
    assert.deepEqual(await rowsOf(reused() as never), [[0, 0, 0], [1, 1, 10], [0, 2, 20], [1, 3, 30], [0, 4, 40]]);
    // Past float32's range each became ±Infinity in the batch (a weight of 1e39 failed in the kernel as "weight Infinity").
    await assert.rejects(rowsOf([{ features: [1, 2], label: 1, weight: 1e39 }] as never), /^DataError: array, record 0: weight 1e\+39 is beyond float32's range \(±3\.4e38\)$/);
    await assert.rejects(rowsOf([[1, 2, 1e39]] as never), /^DataError: array, record 0: feature 1 is 1e\+39, beyond float32's range \(±3\.4e38\)$/);
    await assert.rejects(rowsOf([[-1e39, 2, 3]] as never), /^DataError: array, record 0: label -1e\+39 is beyond float32's range \(±3\.4e38\)$/);
  });

  it('an iterator left before its end is closed (a cursor lets its connection go): a break, a bad record, a stop', async () => {
    const closed: string[] = [];
    const cursor = (name: string, badAt = -1) => (async function* () {
      try {
        for (let i = 0; i < 10_000; i++) yield i === badAt ? [0, 'x', 1] : [i % 2, i, i * 0.5];
      } finally {
        closed.push(name);
      }
    })();
    for await (const batch of readBatches(cursor('break') as never, { miniBatchSize: 3 })) if (batch.rows > 0) break;
    await assert.rejects(rowsOf(cursor('bad record', 50) as never), /iterable, record 50: feature 0 is the string "x"/);
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects((async () => {
      for await (const batch of readBatches(cursor('stop') as never, { miniBatchSize: 3, signal: controller.signal })) if ((seen += batch.rows) > 30) controller.abort();
    })(), { name: 'AbortError' });
    // A run that reads its iterator to the end closes it itself (the generator's own finally).
    await rowsOf(cursor('end') as never);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(closed.sort(), ['bad record', 'break', 'end', 'stop']);
  });

  it('a stop reaches a cursor at once: before its first record (an empty cursor), and while it waits for a later one', async () => {
    // A cursor whose next() settles only when told: return() is what a database driver closes it by.
    const cursor = (records: number[][]) => {
      const log: string[] = [];
      let i = 0;
      const iterator: AsyncIterator<number[]> & AsyncIterable<number[]> = {
        [Symbol.asyncIterator]() { return this; },
        next: () => (i < records.length ? Promise.resolve({ done: false, value: records[i++] }) : new Promise(() => {})),
        return: async () => { log.push('return'); return { done: true, value: undefined }; },
      };
      return { iterator, log };
    };
    // Empty: the stop was ignored until a first record came (train() never returned).
    const empty = cursor([]);
    await within(assert.rejects(rowsOf(empty.iterator as never, { signal: AbortSignal.timeout(100) }), { name: 'AbortError' }), 5000, 'the stop of an empty cursor');
    assert.deepEqual(empty.log, ['return']);
    // Waiting for its fourth record: return() was called only once that record came.
    const stalled = cursor([[0, 1, 2], [1, 2, 3], [0, 3, 4]]);
    await within(assert.rejects(rowsOf(stalled.iterator as never, { signal: AbortSignal.timeout(100) }), { name: 'AbortError' }), 5000, 'the stop of a waiting cursor');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(stalled.log, ['return']);
  });

  it('an object-mode Readable of records (pg-query-stream, a MongoDB cursor stream) is read as records; of strings, as text', async () => {
    const arrays = await rowsOf(Readable.from([[1, 2, 3], [0, 4, 5]]));
    assert.deepEqual(arrays, [[1, 2, 3], [0, 4, 5]]);
    assert.deepEqual(await rowsOf(Readable.from([{ features: [2, 3], label: 1 }])), [[1, 2, 3]]);
    // It was refused: "stream: chunks must be Buffers, Uint8Arrays or strings, got Array".
    assert.deepEqual(await rowsOf(Readable.from(['1,2,3\n0,4', ',5\n'])), [[1, 2, 3], [0, 4, 5]]);
    await assert.rejects(rowsOf(Readable.from([[1, 2, 3], [1, 2]])), /^DataError: stream, record 1: has 1 features, expected 2$/);
  });

  it('a stop with any reason is an AbortError whose cause is the reason (AbortSignal.timeout\'s TimeoutError), while a stream waits', async () => {
    async function* stalled() {
      yield [0, 1, 2];
      await new Promise(() => {});  // never settles
    }
    const timeout = AbortSignal.timeout(100);
    await within(assert.rejects(rowsOf(stalled(), { signal: timeout }), (error: Error & { cause?: Error }) => {
      assert.equal(error.name, 'AbortError');
      assert.equal(error.cause?.name, 'TimeoutError');
      return true;
    }), 5000, 'the stop');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGTERM')), 100);
    await within(assert.rejects(rowsOf(stalled(), { signal: controller.signal }), (error: Error & { cause?: Error }) => {
      assert.equal(error.name, 'AbortError');
      assert.equal(error.cause?.message, 'SIGTERM');
      return true;
    }), 5000, 'the stop');
  });

  it('a stop ends the wait for a record iterable that has stalled (a cursor waiting on its database)', async () => {
    async function* stalled() {
      yield [0, 1, 2];
      yield [1, 2, 3];
      await new Promise(() => {});  // never settles
    }
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    await within(assert.rejects(rowsOf(stalled(), { signal: controller.signal }), { name: 'AbortError' }), 5000, 'the stop');
    assert.ok(performance.now() - started < 4000);
  });

  it("streams an ephemeral source: a child process's stdout", async () => {
    const child = spawn(process.execPath, ['-e', `for (let i = 0; i < 1000; i++) process.stdout.write(i % 2 + ',' + i + ',' + i / 2 + '\\n')`]);
    const rows = await rowsOf(child.stdout, { miniBatchSize: 64 });
    assert.equal(rows.length, 1000);
    assert.deepEqual(rows[999], [1, 999, 499.5]);
  });

  it("reads stdin when the source is '-'", () => {
    const script = `
      import { readBatches } from './lib/index.ts';
      let rows = 0, sum = 0;
      for await (const b of readBatches('-', { miniBatchSize: 2 })) { rows += b.rows; for (let r = 0; r < b.rows; r++) sum += b.values[r * b.cols]; }
      console.log(JSON.stringify({ rows, sum }));`;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: packageRoot, input: csv(0, 7), encoding: 'utf8' });
    assert.deepEqual(JSON.parse(output), { rows: 7, sum: 21 });
  });

  it('resumes from a stored position with exactly the records that were not yet consumed', async () => {
    const pattern = join(directory, 'parts', 'part-*');
    const all: { position: unknown; first: number }[] = [];
    for await (const batch of readBatches(pattern, { miniBatchSize: 3 })) all.push({ position: { ...batch.position }, first: batch.values[0] });
    const everything = await rowsOf(pattern);
    for (let k = 0; k < all.length - 1; k++) {
      const rest = await rowsOf(fileSource(pattern), { start: all[k].position as never });
      assert.deepEqual(rest, everything.slice((k + 1) * 3), `resume after batch ${k}`);
    }
    // A stored position inside a gzip file and a header-bearing file both resume exactly.
    const withHeader = join(directory, 'header.csv');
    await writeFile(withHeader, 'label,a,b\n' + csv(0, 7));
    const batches = [];
    for await (const batch of readBatches(withHeader, { miniBatchSize: 3, header: true })) batches.push({ ...batch.position });
    assert.deepEqual(await rowsOf(withHeader, { header: true, start: batches[0] }), (await rowsOf(withHeader, { header: true })).slice(3));
  });

  describe('a path that names a stream (a named pipe)', () => {
    const fifos: string[] = [];
    const fifo = (name: string) => {
      const path = makeFifo(join(directory, name));
      fifos.push(path);
      return path;
    };
    // A reader a failed test left waiting would hold the process at its exit.
    after(() => { for (const path of fifos) releaseReaders(path); });

    it('is read once, as a stream, waiting for its writer to come', async () => {
      const path = fifo('later.pipe');
      const stream = readBatches(path, { miniBatchSize: 4 });
      const rows: number[] = [];
      const reading = (async () => { for await (const batch of stream) for (let r = 0; r < batch.rows; r++) rows.push(batch.values[r * batch.cols]); })();
      // The reader holds the pipe open and waits (no end of stream before a writer has come).
      const writer = await quietWriter(path);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.deepEqual(rows, []);
      closeSync(writer);
      await within(reading, 10_000, 'a read after its writer left');
      assert.deepEqual(rows, []);
      assert.equal(stream.seekable, false);
      const fed = fifo('fed.pipe');
      feedFifo(fed, join(directory, 'single.csv'));
      assert.deepEqual(await within(rowsOf(fed), 30_000, 'a read of a fed pipe'), await rowsOf(join(directory, 'single.csv')));
    });

    it('hands over every whole batch of a writer that wrote and went quiet, without waiting for its next bytes', async () => {
      // The batches parsed ahead from a pipe's last read went out only with its next read: a
      // producer that paused left thousands of its rows untrained (and lost at a Ctrl-C).
      const path = fifo('paused.pipe');
      const rows: number[] = [];
      const stream = readBatches(path, { format: 'libsvm', featureDim: 8, miniBatchSize: 1000 });
      const reading = (async () => { for await (const batch of stream) for (let r = 0; r < batch.rows; r++) rows.push(batch.labels![r]); })();
      const writer = await quietWriter(path);
      let open = true;
      try {
        await writeAll(writer, Buffer.from(Array.from({ length: 100_050 }, (_, i) => `${i} 1:${i % 7} 3:0.5 8:${i}\n`).join('')));
        for (const deadline = Date.now() + 5000; rows.length < 100_000 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 20));
        // Every whole batch, and not the 50 rows of the batch the writer has not finished.
        assert.equal(rows.length, 100_000);
        assert.deepEqual(rows.slice(-2), [99_998, 99_999]);
        closeSync(writer);
        open = false;
        await within(reading, 10_000, 'the read after its writer left');
        assert.equal(rows.length, 100_050);
      } finally {
        if (open) closeSync(writer);
      }
    });

    it('a stop ends the wait for its writer, and for a quiet writer\'s next bytes', async () => {
      for (const writes of [false, true]) {
        const path = fifo(`stop-${writes}.pipe`);
        const controller = new AbortController();
        const reading = rowsOf(path, { signal: controller.signal });
        reading.catch(() => undefined);
        const writer = writes ? await quietWriter(path) : undefined;
        await new Promise((resolve) => setTimeout(resolve, 200));
        controller.abort();
        await within(assert.rejects(reading, { name: 'AbortError' }), 10_000, `a stopped read (writer: ${writes})`);
        if (writer !== undefined) closeSync(writer);
      }
    });

    it('cannot be one of several inputs: a clear error', async () => {
      const path = fifo('listed.pipe');
      await assert.rejects(rowsOf([join(directory, 'single.csv'), path]), /listed\.pipe: not a file but a stream \(a named pipe, \/dev\/stdin, a process substitution, a device\): it can be read only alone/);
    });
  });

  it('a stream cannot seek: resuming one is a clear error', async () => {
    await assert.rejects(rowsOf(Readable.from([Buffer.from(csv(0, 3))]), { start: { fileIndex: 0, byteOffset: 10, records: 1 } }),
      /stream: a stream cannot seek to a checkpoint position; resume needs a file source/);
  });
});

describe('examples', () => {
  it('examples/stream-from-a-process.ts streams a child process into batches and statistics', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'examples/stream-from-a-process.ts', '20000'], { cwd: packageRoot, encoding: 'utf8' });
    const summary = JSON.parse(output);
    assert.equal(summary.records, 20000);
    assert.equal(summary.batches, Math.ceil(20000 / 1024));
    assert.deepEqual(summary.min, [40, 0, 0]);
    assert.deepEqual(summary.max, [60, 6, 1]);
    assert.ok(Math.abs(summary.mean[1] - 3) < 0.01, `mean count ${summary.mean[1]}`);
    assert.ok(Math.abs(summary.mean[2] - 1 / 3) < 0.001, `mean flag ${summary.mean[2]}`);
  });
});
