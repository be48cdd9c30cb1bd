// Redis stream source: records/s through one consumer group with 1 and 2 members, on loopback,
// the producer included (npm run bench -- redis-stream; bench/results/redis-stream.md).
//
// Data (made once into bench/data/): BOUNDLESS_BENCH_REDIS_ROWS (default 500,000) CSV rows of
// a label and 10 features (about 70 bytes a row). A redis-server (Debian's) starts on a free
// loopback port. Each row of the table is one run on a fresh stream: the members start first
// and join the group (they wait on XREADGROUP); then this process writes the file with
// writeStream (100 records an entry, --max-lag 2,000 entries, the end entry last) and the
// clock runs from the first XADD until the last member has read the end and acknowledged
// everything. "parse" members read batches (readBatches, each its own process); "train"
// members are whole `boundless train linear-learner` processes (one model, --epochs 1). The
// reference rows read the same file from disk, and write the stream with nobody reading.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { openSource, Random } from '../lib/index.js';
import { writeRecordGroups } from '../lib/io/redis/stream-writer.js';
import { splitRecords } from '../lib/io/formats/record-splitter.js';
import { RedisServer } from '../test/fixtures/redis-server.js';
import { dataDir, writeLines } from './linear-learner-data.js';

const rows = Number(process.env.BOUNDLESS_BENCH_REDIS_ROWS ?? 500_000);
/** Runs of each row; the table shows the median's. */
const repeats = Number(process.env.BOUNDLESS_BENCH_REPEATS ?? 3);
const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '..', 'dist', 'cli', 'main.js');

export interface RedisStreamRow {
  setup: string;
  /** Seconds of every run (the row is the median's). */
  samples?: number[];
  members: number;
  recordsPerEntry: number | null;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  /** Records each member read. */
  split: number[];
}

async function benchData(): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `redis-stream-${rows}.csv`);
  if (existsSync(path)) return path;
  const random = Random.fromSeed(17);
  function* lines() {
    for (let r = 0; r < rows; r++) {
      const x = Array.from({ length: 10 }, () => random.nextGaussian());
      yield `${x[0] + x[1] - x[2] > 0 ? 1 : 0},${x.map((v) => v.toFixed(4)).join(',')}\n`;
    }
  }
  await writeLines(path, lines());
  return path;
}

/** A child process and what it printed, once it has exited. */
function start(args: string[]): { done: Promise<{ stdout: string; finishedAt: number }> } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-4000); });
  return {
    done: new Promise((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve({ stdout, finishedAt: Date.now() })
      : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`))))),
  };
}

function member(kind: 'parse' | 'train', url: string, name: string) {
  const consumer = `${url}&consumer=${name}`;
  return kind === 'parse'
    ? start(['--import', 'tsx', join(here, 'redis-stream-consumer.ts'), consumer])
    : start([cli, 'train', 'linear-learner', '--train', consumer, '--hp', 'predictor_type=binary_classifier', '--hp', 'num_models=1',
      '--epochs', '1', '--model-dir', join(dataDir, `redis-bench-model-${name}`)]);
}

/** Waits until every member has asked the group for entries (it is then blocked in XREADGROUP). */
async function joined(redis: Redis, key: string, names: string[]): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    const consumers = await redis.call('XINFO', 'CONSUMERS', key, 'boundless').catch(() => []) as string[][];
    if (names.every((n) => consumers.some((c) => c[1] === n))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`members ${names.join(', ')} did not join the group`);
}

/** The first `limit` records of the file, a chunk's worth at a time (as `boundless produce` reads them). */
async function* firstRecords(file: string, limit: number): AsyncGenerator<Uint8Array[]> {
  const source = await openSource(file);
  if (source.kind !== 'bytes') throw new Error('a file is bytes');
  let left = limit;
  for await (const records of splitRecords(source.chunks(), { format: 'csv' })) {
    yield records.slice(0, left);
    left -= records.length;
    if (left <= 0) return;
  }
}

async function produce(url: string, file: string, recordsPerEntry: number, maxLag?: number, limit = rows) {
  return writeRecordGroups(url, undefined, firstRecords(file, limit), { recordsPerEntry, maxLag, end: true });
}

async function groupRun(server: RedisServer, redis: Redis, file: string, kind: 'parse' | 'train', members: number,
  recordsPerEntry: number, key: string, limit = rows): Promise<RedisStreamRow> {
  const url = `${server.url}?stream=${key}`;
  const names = Array.from({ length: members }, (_, m) => `m${m}`);
  const running = names.map((name) => member(kind, url, name));
  await joined(redis, key, names);
  const started = Date.now();
  const written = await produce(url, file, recordsPerEntry, 2000, limit);
  const results = await Promise.all(running.map((r) => r.done));
  const split = results.map(({ stdout }) => {
    const last = JSON.parse(stdout.trim().split('\n').pop()!);
    return kind === 'parse' ? last.records : last.metrics.records;
  });
  const seconds = (Math.max(...results.map((r) => r.finishedAt)) - started) / 1000;
  await redis.del(key);
  return { setup: `${members} member${members > 1 ? 's' : ''}, ${kind}`, members, recordsPerEntry, records: written.records, seconds, recordsPerSecond: written.records / seconds, split };
}

/** The median run of `repeats` (by seconds), with every run's seconds. */
async function median(run: () => Promise<RedisStreamRow>): Promise<RedisStreamRow> {
  const runs: RedisStreamRow[] = [];
  for (let i = 0; i < repeats; i++) runs.push(await run());
  runs.sort((a, b) => a.seconds - b.seconds);
  return { ...runs[Math.floor(runs.length / 2)], samples: runs.map((r) => r.seconds) };
}

export async function runRedisStream(): Promise<{ rows: RedisStreamRow[]; notes: string[] }> {
  const file = await benchData();
  const loadBefore = loadavg()[0];
  const server = await RedisServer.start();
  const redis = new Redis(server.url);
  const out: RedisStreamRow[] = [];
  try {
    out.push(await median(async () => {
      const { stdout } = await start(['--import', 'tsx', join(here, 'redis-stream-consumer.ts'), file]).done;
      const reference = JSON.parse(stdout.trim().split('\n').pop()!);
      return { setup: 'the file from disk, parse (reference)', members: 1, recordsPerEntry: null, records: reference.records, seconds: reference.seconds, recordsPerSecond: reference.records / reference.seconds, split: [reference.records] };
    }));
    out.push(await median(async () => {
      const alone = await produce(`${server.url}?stream=alone`, file, 100);
      await redis.del('alone');
      return { setup: 'producer alone (nobody reading)', members: 0, recordsPerEntry: 100, records: alone.records, seconds: alone.seconds, recordsPerSecond: alone.records / alone.seconds, split: [] };
    }));
    out.push(await median(async () => {
      await produce(`${server.url}?stream=filled`, file, 100);
      const { stdout } = await member('parse', `${server.url}?stream=filled`, 'alone').done;
      const read = JSON.parse(stdout.trim().split('\n').pop()!);
      await redis.del('filled');
      return { setup: '1 member alone, parse (the stream written beforehand)', members: 1, recordsPerEntry: 100, records: read.records, seconds: read.seconds, recordsPerSecond: read.records / read.seconds, split: [read.records] };
    }));
    let run = 0;
    for (const kind of ['parse', 'train'] as const) {
      for (const members of [1, 2]) out.push(await median(() => groupRun(server, redis, file, kind, members, 100, `bench-${run++}`)));
    }
    // One record an entry (every checkpoint between entries: exactly once under requeueing) costs an entry per record.
    out.push(await median(() => groupRun(server, redis, file, 'parse', 1, 1, `bench-${run++}`, Math.ceil(rows / 10))));
  } finally {
    redis.disconnect();
    await server.close();
  }
  return {
    rows: out,
    notes: [
      `${rows.toLocaleString('en-US')} CSV rows (a label and 10 features, ${Math.round(70 * rows / 1e6)} MB or so); redis-server 7.0 on loopback, no persistence.`,
      'Producer: this process, writeStream with 100 records an entry (the last row: 1, on a tenth of the rows), at most 16 XADDs in flight, --max-lag 2,000 entries; members: separate processes started first, at the default thread count.',
      'The two "alone" rows time one side with the other idle: the producer writing with nobody reading, and a member reading a stream written beforehand (its own clock, connecting included).',
      'Records/s: records ÷ the time from the first XADD to the last member\'s exit (train: after writing its model and acknowledging its entries); ' +
        `the median of ${repeats} runs (every run's seconds are in redis-stream.json).`,
      'On this 2-core machine the producer, redis-server and every member share the two cores: a second member adds a process, not a core.',
      `Load average (1 min) ${loadBefore.toFixed(1)} before the runs, ${loadavg()[0].toFixed(1)} after (the machine is shared).`,
    ],
  };
}

export function redisStreamTable(rows: RedisStreamRow[]): string {
  const lines = ['| setup | records per entry | records | seconds | records/s | records per member |', '|---|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    lines.push(`| ${r.setup} | ${r.recordsPerEntry ?? '—'} | ${r.records.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} | ${r.split.map((n) => n.toLocaleString('en-US')).join(' + ')} |`);
  }
  return lines.join('\n');
}
