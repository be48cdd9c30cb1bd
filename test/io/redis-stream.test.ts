// Redis streams as a training input (lib/io/sources/redis-stream.ts) and the
// producer (writeStream), against a real redis-server on loopback: records
// read equal the file's, entries acknowledged only up to what a commit
// covers, a dead member's entries requeued to the living, the end entry and
// the idle timeout, malformed entries and bad URLs with their exact errors.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  encodeRecord, frameRecord, linearLearner, readBatches, Random, stateToBytes, train, writeStream,
  type FormatName, type ReadBatch, type ReadOptions,
} from '../../lib/index.js';
import { parseRedisStreamUrl, redactRedisUrl } from '../../lib/io/redis/redis-url.js';
import { heartbeatKey } from '../../lib/io/redis/dead-members.js';
import { splitRecords } from '../../lib/io/formats/record-splitter.js';
import type { ByteChunk } from '../../lib/index.js';
import { freePort, RedisCluster, RedisServer } from '../fixtures/redis-server.js';

/** Labelled rows of three features, as CSV lines (label 0/1 from a planted linear rule). */
function csvRows(count: number, seed = 5): string[] {
  const random = Random.fromSeed(seed);
  return Array.from({ length: count }, () => {
    const x = [random.nextGaussian(), random.nextGaussian(), random.nextGaussian()];
    const label = x[0] - 0.5 * x[1] + 0.25 * x[2] + 0.3 * random.nextGaussian() > 0 ? 1 : 0;
    return [label, ...x.map((v) => v.toFixed(4))].join(',');
  });
}

/** Every batch's rows as [label, ...features] arrays (copied: batches are reused). */
async function rowsOf(stream: AsyncIterable<ReadBatch>): Promise<number[][]> {
  const rows: number[][] = [];
  for await (const batch of stream) {
    if (batch.kind !== 'dense') throw new Error('dense batches expected');
    for (let r = 0; r < batch.rows; r++) rows.push([batch.labels![r], ...batch.values.subarray(r * batch.cols, (r + 1) * batch.cols)]);
  }
  return rows;
}

describe('Redis stream source and producer', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let redis: Redis;
  let directory: string;
  let streamNumber = 0;
  /** A fresh stream key per test: tests share one server. */
  const nextKey = () => `events-${++streamNumber}`;
  const urlOf = (key: string, query = '') => `${server.url}?stream=${key}${query}`;

  before(async () => {
    server = await RedisServer.start();
    redis = new Redis(server.url);
    directory = await mkdtemp(join(tmpdir(), 'boundless-redis-'));
  });
  after(async () => {
    redis.disconnect();
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  const pendingOn = async (key: string, group = 'boundless') => {
    const summary = await redis.call('XPENDING', key, group) as [number, string | null, string | null, [string, string][] | null];
    return { count: summary[0], lowest: summary[1], byConsumer: Object.fromEntries((summary[3] ?? []).map(([name, n]) => [name, Number(n)])) };
  };
  const entryIds = async (key: string) => (await redis.call('XRANGE', key, '-', '+') as [string, string[]][]).map(([id]) => id);
  /** Bytes of an entry's first `rows` records, newlines included. */
  const entryBytes = async (key: string, id: string, rows: number) => {
    const [[, fields]] = await redis.call('XRANGE', key, id, id) as [string, string[]][];
    return fields[fields.indexOf('data') + 1].split('\n').slice(0, rows).reduce((sum, line) => sum + line.length + 1, 0);
  };

  describe('URLs', () => {
    it('parses host, port, database, credentials and query options; hides the password in messages', () => {
      const address = parseRedisStreamUrl('rediss://reader:s3cr%40t@cache.example:6390/2?stream=clicks&group=g&consumer=c1&count=64&claim-after=2.5');
      assert.deepEqual(address.connection, { host: 'cache.example', port: 6390, db: 2, tls: true, username: 'reader', password: 's3cr@t' });
      assert.deepEqual({ stream: address.stream, group: address.group, consumer: address.consumer, count: address.count, claimAfter: address.claimAfter },
        { stream: 'clicks', group: 'g', consumer: 'c1', count: 64, claimAfter: 2.5 });
      assert.equal(address.display, 'rediss://reader:***@cache.example:6390/2?stream=clicks&group=g&consumer=c1&count=64&claim-after=2.5');
      assert.equal(redactRedisUrl('redis://:pw@h?stream=s'), 'redis://:***@h?stream=s');
      assert.deepEqual(parseRedisStreamUrl('redis://localhost?stream=s').connection, { host: 'localhost', port: 6379, db: 0, tls: false });
    });

    it('rejects a URL without a stream key, of another scheme, with a key in the path or an unknown parameter, naming it', () => {
      const cases: [string, string][] = [
        ['redis://localhost:6379', 'redis://localhost:6379: no stream key: add ?stream=KEY (the stream\'s key, e.g. redis://localhost:6379?stream=events)'],
        ['http://localhost:6379?stream=s', 'http://localhost:6379?stream=s: not a Redis URL: expected redis://HOST:PORT?stream=KEY (or rediss:// for TLS)'],
        ['redis://localhost:6379/events', "redis://localhost:6379/events: the path must be a database number (/0, /1, ...), got '/events'; the stream's key goes in ?stream=KEY"],
        ['redis://u:pw@localhost?stream=s&grup=x', "redis://u:***@localhost?stream=s&grup=x: unknown query parameter 'grup'; known: stream, group, consumer, count, claim-after"],
        ['redis://localhost?stream=s&count=0', 'redis://localhost?stream=s&count=0: count must be a positive integer, got "0"'],
      ];
      for (const [url, message] of cases) assert.throws(() => parseRedisStreamUrl(url), { name: 'RedisUrlError', message }, url);
    });

    it('an unreachable server is one error naming the URL and the reason, at once', async () => {
      const port = await freePort();
      const started = Date.now();
      await assert.rejects(rowsOf(readBatches(`redis://127.0.0.1:${port}?stream=s`, { miniBatchSize: 10 })),
        { message: `redis://127.0.0.1:${port}?stream=s: cannot connect to Redis at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}` });
      assert.ok(Date.now() - started < 5000, 'no retries before the first connection');
      await assert.rejects(writeStream(`redis://127.0.0.1:${port}`, 's', ['1,2']), /cannot connect to Redis at 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    });

    it('another URL scheme as an input is refused, not looked up as a file', async () => {
      await assert.rejects(rowsOf(readBatches('https://example.com/data.csv', { miniBatchSize: 10 })),
        { message: "https://example.com/data.csv: unsupported URL scheme 'https:': an input is a path, '-', or a Redis stream (redis://HOST:PORT?stream=KEY, rediss:// for TLS)" });
    });
  });

  describe('reading', () => {
    it('reads every record of every format as the same file gives it', async () => {
      const rows = csvRows(700);
      const libsvm = rows.map((line) => { const [y, ...x] = line.split(','); return `${y} ${x.map((v, i) => `${i + 1}:${v}`).join(' ')}`; });
      const jsonl = rows.map((line) => { const [y, ...x] = line.split(',').map(Number); return JSON.stringify({ features: x, label: y }); });
      const vw = rows.map((line) => { const [y, ...x] = line.split(','); return `${y === '1' ? 1 : -1} |f ${x.map((v, i) => `${i}:${v}`).join(' ')}`; });
      const recordio = rows.map((line) => { const [y, ...x] = line.split(',').map(Number); return Buffer.from(frameRecord(encodeRecord({ values: x }, y))); });
      const cases: [FormatName, (string | Buffer)[], Partial<ReadOptions>][] = [
        ['csv', rows, {}], ['libsvm', libsvm, { featureDim: 3 }], ['jsonl', jsonl, { featureDim: 3 }], ['vw', vw, { hashBits: 4 }], ['recordio', recordio, {}],
      ];
      for (const [format, records, options] of cases) {
        const key = nextKey();
        const file = join(directory, `rows.${format}`);
        await writeFile(file, format === 'recordio' ? Buffer.concat(records as Buffer[]) : records.join('\n') + '\n');
        const summary = await writeStream(server.url, key, records, { format, recordsPerEntry: 9, end: true });
        assert.deepEqual({ entries: summary.entries, records: summary.records, ended: summary.ended }, { entries: 79, records: 700, ended: true }, format);
        const read = { miniBatchSize: 64, format, ...options, ...(format === 'vw' ? { labelClasses: 2 } : {}) };
        const fromStream = readBatches(urlOf(key), read);
        const streamed = format === 'vw' || format === 'libsvm' ? await sparseRows(fromStream) : await rowsOf(fromStream);
        await fromStream.commit('end');
        const fromFile = readBatches(file, read);
        assert.deepEqual(streamed, format === 'vw' || format === 'libsvm' ? await sparseRows(fromFile) : await rowsOf(fromFile), format);
        assert.equal(streamed.length, 700, format);
        await fromStream.close();
      }
    });

    it('trains the same model from a stream as from the same file, byte for byte, and acknowledges every entry', async () => {
      const rows = csvRows(3000);
      const file = join(directory, 'train.csv');
      await writeFile(file, rows.join('\n') + '\n');
      const key = nextKey();
      await writeStream(server.url, key, rows, { recordsPerEntry: 7, end: true });
      const hp = { predictor_type: 'binary_classifier', num_models: 4 };
      const options = { epochs: 1, deterministic: true, seed: 3 } as const;
      const fromFile = await train(linearLearner, hp, { ...options, train: file });
      const fromStream = await train(linearLearner, hp, { ...options, train: urlOf(key, '&consumer=trainer') });
      assert.deepEqual(Buffer.from(stateToBytes(fromStream.state)), Buffer.from(stateToBytes(fromFile.state)));
      assert.equal(fromStream.metrics.records, 3000);
      // Nothing stored yet: every entry is still pending, until commit().
      assert.equal((await pendingOn(key)).count, 430);
      await fromStream.commit();
      assert.equal((await pendingOn(key)).count, 0);
      await fromFile.commit(); // a file has nothing to acknowledge
    });

    it('a record that breaks the format names the stream, the entry and its line', async () => {
      const key = nextKey();
      await redis.call('XADD', key, '1-1', 'data', '1,0.5,0.25\n0,1,2');
      await redis.call('XADD', key, '1-2', 'data', '1,2,3\n0,4\n1,5,6');
      await redis.call('XADD', key, '1-3', 'end', '1');
      await assert.rejects(rowsOf(readBatches(urlOf(key), { miniBatchSize: 10 })),
        { name: 'DataError', message: `${urlOf(key)}, entry 1-2, line 2: expected 3 columns, found 2` });
    });

    it('malformed entries: the stream, the entry id and what was expected; skipped and counted with onBadRecord skip', async () => {
      const cases: [string[], string][] = [
        [['payload', 'x'], "expected a field 'data' (records) or 'end' (end of stream), found fields 'payload'"],
        [['data', '1,2,3', 'end', '1'], "has both 'data' and 'end' (an entry holds records or ends the stream)"],
        [['format', 'libsvm', 'data', '1 1:2'], "its format tag is 'libsvm', but the stream is read as csv (--format csv)"],
      ];
      for (const [fields, reason] of cases) {
        const key = nextKey();
        await redis.call('XADD', key, '5-1', 'data', '1,2,3');
        await redis.call('XADD', key, '5-2', ...fields);
        await redis.call('XADD', key, '5-3', 'end', '1');
        await assert.rejects(rowsOf(readBatches(urlOf(key), { miniBatchSize: 10 })),
          { name: 'DataError', message: `${urlOf(key)}, entry 5-2: ${reason} (--on-bad-record skip counts such entries and goes on)` });
      }
      const key = nextKey();
      const frame = Buffer.from(frameRecord(encodeRecord({ values: [1, 2] }, 1)));
      await redis.call('XADD', key, '6-1', 'data', frame.subarray(0, frame.length - 4));
      await assert.rejects(rowsOf(readBatches(urlOf(key), { miniBatchSize: 10, format: 'recordio' })),
        { message: `${urlOf(key)}, entry 6-1: its recordIO data ends inside a record (frame at byte 0 needs ${frame.length} bytes, the data has ${frame.length - 4}) (--on-bad-record skip counts such entries and goes on)` });
      // With skip: the good entries are read, the bad one counted, and all of them acknowledged at the end.
      const skipped = nextKey();
      await redis.call('XADD', skipped, '7-1', 'data', '1,2,3');
      await redis.call('XADD', skipped, '7-2', 'payload', 'x');
      await redis.call('XADD', skipped, '7-3', 'data', '0,4,5');
      await redis.call('XADD', skipped, '7-4', 'end', '1');
      const stream = readBatches(urlOf(skipped), { miniBatchSize: 10, onBadRecord: 'skip' });
      assert.deepEqual(await rowsOf(stream), [[1, 2, 3], [0, 4, 5]]);
      assert.deepEqual(stream.stats.badRecords, { malformed_entry: 1 });
      await stream.commit('end');
      await stream.close();
      assert.equal((await pendingOn(skipped)).count, 0);
    });

    it('ends after idleTimeout seconds without an entry, with what had arrived', async () => {
      const key = nextKey();
      await writeStream(server.url, key, csvRows(50), { recordsPerEntry: 10 });
      const started = Date.now();
      const stream = readBatches(urlOf(key), { miniBatchSize: 16, redis: { idleTimeout: 0.4 } });
      assert.equal((await rowsOf(stream)).length, 50);
      await stream.commit('end');
      const waited = Date.now() - started;
      assert.ok(waited >= 400 && waited < 3000, `ended after ${waited} ms`);
      await stream.close();
    });

    it('survives a server restart (AOF): a member waiting on the stream reads on once Redis is back, every record once', async () => {
      const durable = await RedisServer.start({ appendonly: true });
      try {
        const rows = csvRows(600);
        await writeStream(durable.url, 'durable', rows.slice(0, 300), { recordsPerEntry: 10 });
        const stream = readBatches(`${durable.url}?stream=durable`, { miniBatchSize: 50 });
        const reading = rowsOf(stream);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await durable.restart();
        await writeStream(durable.url, 'durable', rows.slice(300), { recordsPerEntry: 10, end: true });
        const read = await reading;
        assert.deepEqual(read, await rowsOf(readBatches(rows.map((r) => Buffer.from(r + '\n')), { miniBatchSize: 50 })));
        await stream.commit('end');
        await stream.close();
      } finally {
        await durable.close();
      }
    });

    it('on a Redis Cluster (found by INFO cluster): the records of the stream, then the end', async function () {
      this.timeout(60_000);
      const cluster = await RedisCluster.start();
      try {
        await writeStream(cluster.url, 'clustered', csvRows(300), { recordsPerEntry: 25, end: true });
        const stream = readBatches(`${cluster.url}?stream=clustered`, { miniBatchSize: 64 });
        assert.deepEqual(await rowsOf(stream), await rowsOf(readBatches(csvRows(300).map((r) => Buffer.from(r + '\n')), { miniBatchSize: 64 })));
        await stream.commit('end');
        await stream.close();
        await assert.rejects(rowsOf(readBatches(`${cluster.url}/1?stream=clustered`, { miniBatchSize: 8 })),
          { message: `${cluster.url}/1?stream=clustered: a Redis Cluster has only database 0, and the URL names /1` });
      } finally {
        await cluster.close();
      }
    });
  });

  describe('acknowledgement', () => {
    it('commit(position) acknowledges the entries the position covers wholly; the one it ends inside stays pending', async () => {
      const key = nextKey();
      await writeStream(server.url, key, csvRows(200), { recordsPerEntry: 10, end: true });
      const ids = await entryIds(key);
      const stream = readBatches(urlOf(key, '&consumer=c&count=5'), { miniBatchSize: 25, prefetch: 1 });
      const iterator = stream[Symbol.asyncIterator]();
      const first = (await iterator.next()).value as ReadBatch;
      // 25 rows: entries 1 and 2 whole, 5 rows of entry 3.
      assert.deepEqual(first.position.entries, { consumer: 'c', through: ids[1], partial: { id: ids[2], bytes: (await entryBytes(key, ids[2], 5)) } });
      // The pipeline reads ahead until its queue is full; once it has settled, the count is stable.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = await pendingOn(key);
      assert.equal(before.lowest, ids[0]);
      assert.ok(before.count >= 5 && before.count % 5 === 0, `${before.count} entries delivered, 5 a read`);
      await stream.commit(first.position);
      assert.deepEqual(await pendingOn(key), { count: before.count - 2, lowest: ids[2], byConsumer: { c: before.count - 2 } },
        'entries 1 and 2 acknowledged; entry 3, covered in part, still pending');
      const second = (await iterator.next()).value as ReadBatch;
      await stream.commit(second.position);
      assert.equal((await pendingOn(key)).lowest, ids[5]); // 50 rows: entries 1-5 whole
      await iterator.return!();
      await stream.close();
    });

    it('a checkpoint acknowledges what it holds; a run resumed from it skips the covered bytes and ends with the uninterrupted model', async () => {
      const rows = csvRows(6000, 8);
      const key = nextKey();
      await writeStream(server.url, key, rows, { recordsPerEntry: 13, end: true });
      const hp = { predictor_type: 'binary_classifier', num_models: 2 };
      const base = { epochs: 1, deterministic: true, seed: 1 } as const;
      const checkpoints = join(directory, 'ckpt-resume');
      const controller = new AbortController();
      let written = 0;
      await assert.rejects(train(linearLearner, hp, {
        ...base, train: urlOf(key, '&consumer=resumer'), checkpoint: { directory: checkpoints, everyBatches: 2 }, signal: controller.signal,
        onProgress: (event) => { if (event.checkpoint && ++written === 2) controller.abort(); },
      }), { name: 'AbortError' });
      // The stop wrote a checkpoint where it was, after 4 batches (the linear learner reads 1,024
      // rows a batch): 4,096 rows hold 315 entries of 13 whole and 1 row of the 316th; 315 were acknowledged.
      const pending = await pendingOn(key);
      assert.equal(pending.lowest, (await entryIds(key))[Math.floor(4 * 1024 / 13)]);
      const resumed = await train(linearLearner, hp, { ...base, train: urlOf(key), checkpoint: { directory: checkpoints }, resume: true });
      await resumed.commit();
      assert.equal((await pendingOn(key)).count, 0);
      const file = join(directory, 'resume.csv');
      await writeFile(file, rows.join('\n') + '\n');
      const reference = await train(linearLearner, hp, { ...base, train: file });
      assert.deepEqual(Buffer.from(stateToBytes(resumed.state)), Buffer.from(stateToBytes(reference.state)));
      assert.equal(resumed.metrics.records, 6000);
    });

    it('a timed checkpoint while the producer pauses acknowledges what the state holds, before more entries come', async () => {
      const rows = csvRows(3000, 9);
      const key = nextKey();
      // 2,048 rows are two whole batches of the linear learner's 1,024; the producer then pauses.
      await writeStream(server.url, key, rows.slice(0, 2048), { recordsPerEntry: 16 });
      let checkpointed: (records: number) => void = () => undefined;
      const firstCheckpoint = new Promise<number>((resolve) => { checkpointed = resolve; });
      const run = train(linearLearner, { predictor_type: 'binary_classifier', num_models: 2 }, {
        epochs: 1, train: urlOf(key), checkpoint: { directory: join(directory, 'ckpt-paused'), everySeconds: 0.3 },
        onProgress: (event) => { if (event.phase === 'checkpoint') checkpointed(event.records); },
      });
      try {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const records = await Promise.race([firstCheckpoint, new Promise((resolve) => { timer = setTimeout(() => resolve('no checkpoint in 10 s'), 10_000); })]);
        clearTimeout(timer);
        // Before, nothing was written (or acknowledged) until the producer's next entry: here never.
        assert.equal(records, 2048);
        // The entries are acknowledged once the checkpoint is on disk, just after its event.
        for (let wait = 0; wait < 100 && (await pendingOn(key)).count > 0; wait++) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal((await pendingOn(key)).count, 0);
      } finally {
        await writeStream(server.url, key, rows.slice(2048), { recordsPerEntry: 16, end: true });
      }
      const result = await run;
      await result.commit();
      assert.equal(result.metrics.records, 3000);
      assert.equal((await pendingOn(key)).count, 0);
    });

    it('with data-parallel workers, the stream is dealt to them and acknowledged once the whole pass is stored', async () => {
      const rows = csvRows(6000, 12);
      const key = nextKey();
      await writeStream(server.url, key, rows, { recordsPerEntry: 20, end: true });
      const checkpoints = join(directory, 'ckpt-workers');
      const atCheckpoints: Promise<{ count: number }>[] = [];
      const result = await train(linearLearner, { predictor_type: 'binary_classifier', num_models: 2 }, {
        train: urlOf(key), epochs: 1, workers: 2, syncEvery: { batches: 1 }, checkpoint: { directory: checkpoints, everyBatches: 1 },
        onProgress: (event) => { if (event.checkpoint) atCheckpoints.push(pendingOn(key)); },
      });
      assert.equal(result.metrics.records, 6000);
      const pending = (await Promise.all(atCheckpoints)).map((p) => p.count);
      assert.ok(pending.length >= 2 && pending[0] > 0, `checkpoints at rounds commit nothing (pending: ${pending.join(', ')})`);
      // The end-of-pass checkpoint committed everything.
      assert.equal((await pendingOn(key)).count, 0);
    });
  });

  describe('members of one group', () => {
    it('two members share the stream (each record read once between them) and both stop at the end entry', async () => {
      const key = nextKey();
      const rows = csvRows(3000);
      const reading = [0, 1].map(async (m) => {
        const stream = readBatches(urlOf(key, `&consumer=m${m}&count=4`), { miniBatchSize: 50, prefetch: 1 });
        const read = await rowsOf(stream);
        await stream.commit('end');
        await stream.close();
        return read;
      });
      await writeStream(server.url, key, rows, { recordsPerEntry: 10, end: true });
      const [a, b] = await Promise.all(reading);
      assert.equal((await pendingOn(key)).count, 0);
      assert.ok(a.length > 0 && b.length > 0, `${a.length} and ${b.length} rows`);
      const labels = (all: number[][]) => all.map((r) => r.join(',')).sort();
      const expected = await rowsOf(readBatches(rows.map((r) => Buffer.from(r + '\n')), { miniBatchSize: 50 }));
      assert.deepEqual(labels([...a, ...b]), labels(expected));
    });

    it('a dead member\'s pending entries (no heartbeat, idle past claim-after) are requeued and read by another, once', async () => {
      const key = nextKey();
      const rows = csvRows(400);
      await writeStream(server.url, key, rows, { recordsPerEntry: 10, end: true });
      // A member that read 12 entries and died: they stay pending on it, and it has no heartbeat.
      await redis.call('XGROUP', 'CREATE', key, 'boundless', '0');
      await redis.call('XREADGROUP', 'GROUP', 'boundless', 'dead', 'COUNT', '12', 'STREAMS', key, '>');
      // A live one with a heartbeat, holding 3 entries: they are its own, not to be taken.
      await redis.call('XREADGROUP', 'GROUP', 'boundless', 'alive', 'COUNT', '3', 'STREAMS', key, '>');
      await redis.set(heartbeatKey(key, 'boundless', 'alive'), '1', 'PX', 60_000);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const stream = readBatches(urlOf(key, '&consumer=survivor&claim-after=0.3'), { miniBatchSize: 64 });
      const read = await rowsOf(stream);
      assert.equal(read.length, 400 - 30, 'every record but the live member\'s, once');
      assert.deepEqual((await pendingOn(key)).byConsumer, { alive: 3, survivor: 37 + 1 + 1 });
      await stream.commit('end');
      await stream.close();
      assert.deepEqual((await pendingOn(key)).byConsumer, { alive: 3 });
      const copies = await redis.call('XRANGE', key, '-', '+') as [string, string[]][];
      assert.equal(copies.filter(([, fields]) => fields.includes('requeued-from')).length, 12);
    });

    it('an entry deleted while pending on this member is an error, or counted with skip', async () => {
      const key = nextKey();
      await writeStream(server.url, key, csvRows(30), { recordsPerEntry: 10 });
      await redis.call('XGROUP', 'CREATE', key, 'boundless', '0');
      await redis.call('XREADGROUP', 'GROUP', 'boundless', 'again', 'COUNT', '2', 'STREAMS', key, '>');
      const [first] = await entryIds(key);
      await redis.call('XDEL', key, first);
      await assert.rejects(rowsOf(readBatches(urlOf(key, '&consumer=again'), { miniBatchSize: 8, redis: { idleTimeout: 0.2 } })),
        { message: `${urlOf(key, '&consumer=again')}, entry ${first}: was deleted from the stream (trimmed by MAXLEN, or XDEL) before it was acknowledged: its records are lost (--on-bad-record skip counts such entries and goes on)` });
      const stream = readBatches(urlOf(key, '&consumer=again'), { miniBatchSize: 8, onBadRecord: 'skip', redis: { idleTimeout: 0.2 } });
      assert.equal((await rowsOf(stream)).length, 20);
      assert.deepEqual(stream.stats.badRecords, { deleted_entry: 1 });
      await stream.close();
    });
  });

  describe('producer', () => {
    it('maxLen trims the stream to about that many entries', async () => {
      const key = nextKey();
      await writeStream(server.url, key, csvRows(5000), { recordsPerEntry: 1, maxLen: 200 });
      const length = Number(await redis.call('XLEN', key));
      assert.ok(length >= 200 && length < 400, `XLEN ${length}`);
    });

    it('maxLag waits while the group has that many entries undelivered, and goes on as a member reads', async () => {
      const key = nextKey();
      const controller = new AbortController();
      const writing = writeStream(server.url, key, csvRows(100), { recordsPerEntry: 2, maxLag: 5, end: true, signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(Number(await redis.call('XLEN', key)), 5, 'stopped at the lag bound');
      const stream = readBatches(urlOf(key, '&count=1'), { miniBatchSize: 4 });
      const reading = rowsOf(stream);
      const summary = await writing;
      assert.deepEqual({ entries: summary.entries, records: summary.records }, { entries: 51, records: 100 });
      assert.equal((await reading).length, 100);
      await stream.close();
    });

    it('splitRecords: lines cut across chunks, CRLF and blank lines, each file\'s header; recordIO records whole, parts together', async () => {
      const chunk = (text: string | Buffer, fileStart = false, name = 'a.csv'): ByteChunk =>
        ({ data: typeof text === 'string' ? Buffer.from(text) : text, fileIndex: 0, name, fileStart, baseOffset: 0 });
      async function* chunks(...list: ByteChunk[]) { yield* list; }
      const collect = async (list: ByteChunk[], header = false, format: FormatName = 'csv') => {
        const out: string[] = [];
        for await (const group of splitRecords(chunks(...list), { format, header })) out.push(...group.map((r) => Buffer.from(r).toString('hex')));
        return out;
      };
      const text = async (list: ByteChunk[], header = false) => (await collect(list, header)).map((hex) => Buffer.from(hex, 'hex').toString());
      assert.deepEqual(await text([chunk('h,x\n1,2\r\n\n  \n3,', true), chunk('4\n5,6'), chunk('h,y\n7,8\n', true, 'b.csv')], true), ['1,2', '3,4', '5,6', '7,8']);
      const whole = Buffer.from(frameRecord(encodeRecord({ values: [1, 2] }, 1)));
      const first = Buffer.from(whole);
      first.writeUInt32LE((1 << 29) | (whole.readUInt32LE(4) & 0x1fffffff), 4);
      const last = Buffer.from(whole);
      last.writeUInt32LE((3 << 29) | (whole.readUInt32LE(4) & 0x1fffffff), 4);
      const bytes = Buffer.concat([whole, first, last, whole]);
      const cut = whole.length + 5;
      assert.deepEqual(await collect([chunk(bytes.subarray(0, cut), true), chunk(bytes.subarray(cut))], false, 'recordio'),
        [whole, Buffer.concat([first, last]), whole].map((b) => b.toString('hex')));
      await assert.rejects(collect([chunk(bytes.subarray(0, cut), true)], false, 'recordio'),
        { name: 'DataError', message: 'a.csv: the file ends inside a recordIO record (5 bytes left over)' });
    });

    it('encodes values as CSV, JSON Lines or recordIO; refuses a record with a newline', async () => {
      const key = nextKey();
      await writeStream(server.url, key, [[1, 0.5, 2], { features: [3, 4], label: 0 }], { format: 'jsonl', recordsPerEntry: 5 });
      const [[, fields]] = await redis.call('XRANGE', key, '-', '+') as [string, string[]][];
      assert.deepEqual(fields, ['format', 'jsonl', 'data', '{"features":[0.5,2],"label":1}\n{"features":[3,4],"label":0}']);
      await assert.rejects(writeStream(server.url, key, ['1,2\n3,4']), { message: 'writeStream: record 0 holds a newline: give one record (one line) per item' });
      await assert.rejects(writeStream(server.url, key, [], { maxLen: 5, maxLag: 5 }), /give maxLen \(trim the oldest entries\) or maxLag/);
    });

    it('checks values before writing them: finite numbers, one width, one labelling; a misspelt option is an error', async () => {
      const key = nextKey();
      const refused: [unknown[], string][] = [
        [[[1, 0.5, 2], [0, NaN, 1]], 'writeStream: record 1: feature 0 is NaN, expected a finite number'],
        [[[1, 0.5, 2], [0, 1]], 'writeStream: record 1 has 1 features, and the first record given as values had 2: the stream\'s rows must have one width'],
        [[{ features: [1, 2], label: Infinity }], 'writeStream: record 0: the label is Infinity, expected a finite number'],
        [[{ features: [1, 2], label: 1, weight: -1 }], 'writeStream: record 0: the weight is -1, expected a finite number ≥ 0'],
        [[{ features: [1, 2], label: 1 }, { features: [1, 2] }], 'writeStream: record 1 has no label, and the first record given as values had one'],
        [[null], 'writeStream: record 0 is null, expected a string, bytes, [label, ...features] or { features, label, weight }'],
      ];
      for (const [records, message] of refused) {
        await assert.rejects(writeStream(server.url, key, records as never, { recordsPerEntry: 1 }), { name: 'TypeError', message });
      }
      // Only the records before the bad one went out (an entry a record here).
      assert.equal(Number(await redis.call('XLEN', key)), 3);
      await assert.rejects(writeStream(server.url, key, ['1,2'], { recordPerEntry: 5 } as never),
        /^TypeError: writeStream: unknown option 'recordPerEntry'; known: format, recordsPerEntry,/);
    });
  });
});

/** Sparse batches' rows as [label, index:value ...] strings. */
async function sparseRows(stream: AsyncIterable<ReadBatch>): Promise<number[][]> {
  const rows: number[][] = [];
  for await (const batch of stream) {
    if (batch.kind !== 'sparse') throw new Error('sparse batches expected');
    for (let r = 0; r < batch.rows; r++) {
      const row = [batch.labels![r]];
      for (let k = batch.indptr[r]; k < batch.indptr[r + 1]; k++) row.push(batch.indices[k], batch.values[k]);
      rows.push(row);
    }
  }
  return rows;
}
