// Cluster jobs through Redis on loopback (lib/distributed/cluster/):
//   1. Per-round overhead for states of about 1, 10 and 100 MB: two members upload a linear
//      learner state each, one closes the round (downloads both, merges onto the stored round,
//      commits), both download the merge — the production code (JobStore, tryCloseRound,
//      MergedStateCache) timed part by part; bytes moved are Redis's own counters
//      (INFO stats total_net_input_bytes + total_net_output_bytes) per round.
//   2. Weak scaling: 1, 2 and 4 member processes (`boundless train --cluster`), each with the same
//      rows (the file grows with the members), against one plain process on the 1-member file.
//   3. A projection for 10 and 100 machines from the measured per-round costs (see projection()).
// A redis-server is started on a free loopback port (Debian's redis-server must be installed).
// Which build: BOUNDLESS_CLI (default this checkout's dist/cli/main.js; `npm run build:ts` first).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import '../lib/algorithms/builtin.js';
import { getAlgorithm } from '../lib/algorithms/registry.js';
import { parseHyperparameters } from '../lib/algorithms/hyperparameters.js';
import { stateToBytes } from '../lib/algorithms/persistence.js';
import type { State } from '../lib/algorithms/types.js';
import { resolveBackend } from '../lib/backends/select.js';
import { connectRedis } from '../lib/distributed/cluster/connection.js';
import { JobStore } from '../lib/distributed/cluster/job-store.js';
import { MergedStateCache, tryCloseRound } from '../lib/distributed/cluster/round-closer.js';
import { RedisServer } from '../test/fixtures/redis-server.js';
import { classification } from '../test/fixtures/classification-csv.js';

const cli = process.env.BOUNDLESS_CLI ?? resolve(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'cli', 'main.js');

export interface RoundRow {
  stateMB: number;
  uploadMs: number;
  closeMs: number;
  downloadMs: number;
  roundMs: number;
  bytesPerRound: number;
}

export interface ScalingRow {
  members: number | 'plain';
  records: number;
  seconds: number;
  recordsPerSecond: number;
  rounds: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function netBytes(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  const read = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)![1]);
  return read('total_net_input_bytes') + read('total_net_output_bytes');
}

/** A linear learner state of about `megabytes` MB (its size grows with feature_dim). */
async function stateOfSize(megabytes: number): Promise<State> {
  const algorithm = getAlgorithm('linear-learner');
  const backend = await resolveBackend('cpu');
  const hp = parseHyperparameters('linear-learner', algorithm.hyperparameters, { predictor_type: 'binary_classifier' } as never);
  const sizeAt = (featureDim: number) => stateToBytes(algorithm.createState(hp as never, { featureDim, labelSize: 1, sparse: true }, backend) as State).length;
  const [small, large] = [sizeAt(1000), sizeAt(2000)];
  const featureDim = Math.max(1, Math.round(1000 + ((megabytes * 1e6 - small) * 1000) / (large - small)));
  const state = algorithm.createState(hp as never, { featureDim, labelSize: 1, sparse: true }, backend) as State;
  state.scalars.examples_seen = 1000;
  return state;
}

/** Rounds of two members on states of `megabytes` MB: each part timed, bytes counted by Redis. */
async function roundCosts(server: RedisServer, megabytes: number, rounds: number): Promise<RoundRow> {
  const algorithm = getAlgorithm('linear-learner');
  const backend = await resolveBackend('cpu');
  const { client } = await connectRedis(server.url);
  const stats = new Redis(server.port);
  try {
    const job = `bench-${megabytes}`;
    const store = new JobStore(client, 'bench:', job, 3600);
    await store.create(JSON.stringify({ bench: true }));
    const members = ['a', 'b'];
    for (const [shard, member] of members.entries()) await store.claim(member, 0, shard, 600_000, true);
    const caches = members.map(() => new MergedStateCache(store, algorithm, backend));
    const state = await stateOfSize(megabytes);
    const settings = { store, member: 'b', algorithm, backend, shards: 2, epochs: 1, roundTimeoutMs: 60_000, leaseMs: 600_000 };
    const parts = { upload: [] as number[], close: [] as number[], download: [] as number[], bytes: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      const before = await netBytes(stats);
      const meta = (await store.meta())!;
      let start = performance.now();
      for (const [shard, member] of members.entries()) {
        state.scalars.examples_seen = 1000 * (round + 2);
        await store.upload({ member, sequence: round + 1, baseRound: meta.round, epoch: 0, shard, position: null, done: false,
          records: 1000, batches: 1, bytes: 0, badRecords: {} }, stateToBytes(state), 600_000);
      }
      parts.upload.push((performance.now() - start) / members.length);
      start = performance.now();
      if (!(await tryCloseRound(settings, caches[1]))) throw new Error('bench: the round did not close');
      parts.close.push(performance.now() - start);
      start = performance.now();
      const { meta: latest } = await caches[0].latest();
      await caches[0].copy(latest);
      parts.download.push(performance.now() - start);
      parts.bytes.push((await netBytes(stats)) - before);
    }
    const [upload, close, download] = [median(parts.upload), median(parts.close), median(parts.download)];
    return {
      stateMB: stateToBytes(state).length / 1e6, uploadMs: upload, closeMs: close, downloadMs: download,
      roundMs: upload * members.length + close + download, bytesPerRound: median(parts.bytes),
    };
  } finally {
    client.disconnect();
    stats.disconnect();
  }
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BOUNDLESS_NUM_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d; });
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Weak scaling: `members` processes, each with `rowsPerMember` rows of the file (and one plain process on the 1-member file). */
async function weakScaling(server: RedisServer, directory: string, rowsPerMember: number): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  const hp = ['--hp', 'predictor_type=binary_classifier', '--epochs', '1'];
  const fileFor = (members: number) => {
    const path = join(directory, `train-${members}.csv`);
    writeFileSync(path, classification(members, rowsPerMember * members));
    return path;
  };
  const one = fileFor(1);
  let start = performance.now();
  const plain = await run(['train', 'linear-learner', '--train', one, ...hp, '--model-dir', join(directory, 'plain')]);
  if (plain.code !== 0) throw new Error(`bench: plain run failed: ${plain.stderr}`);
  let seconds = (performance.now() - start) / 1000;
  rows.push({ members: 'plain', records: rowsPerMember, seconds, recordsPerSecond: rowsPerMember / seconds, rounds: 0 });
  for (const members of [1, 2, 4]) {
    const file = members === 1 ? one : fileFor(members);
    const job = `weak-${members}`;
    start = performance.now();
    const results = await Promise.all(Array.from({ length: members }, (_, m) => run(['train', 'linear-learner', '--train', file, ...hp,
      '--cluster', server.url, '--job', job, '--shard-size', '1M', '--model-dir', join(directory, `${job}-${m}`)])));
    seconds = (performance.now() - start) / 1000;
    for (const result of results) if (result.code !== 0) throw new Error(`bench: member failed: ${result.stderr}`);
    const status = spawnSync(process.execPath, [cli, 'job', 'status', '--cluster', server.url, '--job', job], { encoding: 'utf8' });
    const report = JSON.parse(status.stdout) as { records: number; round: number };
    rows.push({ members, records: report.records, seconds, recordsPerSecond: report.records / seconds, rounds: report.round });
  }
  return rows;
}

/**
 * The fraction of a member's time spent in rounds at N machines: a round moves about (3N + 1)·S
 * bytes through Redis (N uploads in, N out to the closer, the merge in, N − 1 copies out), so at
 * bandwidth B its transfer takes (3N + 1)·S / B; the closer's merge grows with N (the measured
 * close time less its transfers, times N / 2); computing between rounds takes the measured time
 * of `syncBatches` batches. Loopback hides the network: the projection adds it.
 */
export function projection(round: RoundRow, batchSeconds: number, machines: number, gigabitsPerSecond: number, syncBatches = 8) {
  const bytesPerSecond = (gigabitsPerSecond * 1e9) / 8;
  const state = round.stateMB * 1e6;
  const transfer = ((3 * machines + 1) * state) / bytesPerSecond;
  const mergeSeconds = (round.closeMs / 1000) * (machines / 2);
  const roundSeconds = transfer + mergeSeconds + (round.uploadMs + round.downloadMs) / 1000;
  const compute = syncBatches * batchSeconds;
  return { roundSeconds, fractionInRounds: roundSeconds / (roundSeconds + compute) };
}

export async function runCluster(): Promise<{ rounds: RoundRow[]; scaling: ScalingRow[]; projections: string[]; notes: string[] }> {
  const server = await RedisServer.start();
  const directory = mkdtempSync(join(tmpdir(), 'boundless-bench-cluster-'));
  try {
    const rounds: RoundRow[] = [];
    for (const megabytes of [1, 10, 100]) rounds.push(await roundCosts(server, megabytes, megabytes >= 100 ? 3 : 7));
    const rowsPerMember = Number(process.env.BOUNDLESS_BENCH_ROWS ?? 200_000);
    const scaling = await weakScaling(server, directory, rowsPerMember);
    const plain = scaling[0];
    const batchSeconds = 1000 / plain.recordsPerSecond;
    const projections: string[] = [];
    for (const round of rounds) {
      for (const machines of [10, 100]) {
        for (const gbit of [1, 10]) {
          for (const sync of [8, 64]) {
            const p = projection(round, batchSeconds, machines, gbit, sync);
            projections.push(`| ${round.stateMB.toFixed(1)} | ${machines} | ${gbit} | ${sync} | ${p.roundSeconds.toFixed(3)} | ${(100 * p.fractionInRounds).toFixed(0)}% |`);
          }
        }
      }
    }
    return {
      rounds, scaling, projections, notes: [
        `Weak scaling: ${rowsPerMember} rows of 8 features per member, linear learner (binary, 32 models), 1 epoch, one thread per process, --shard-size 1M, default --sync-every (8 batches).`,
        `The projection takes one batch of 1000 rows as ${(batchSeconds * 1000).toFixed(1)} ms (the plain run's rate), the dense 8-feature model's; a wide model trains slower per batch, which lowers the fraction.`,
      ],
    };
  } finally {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

export function clusterMarkdown(result: Awaited<ReturnType<typeof runCluster>>): string {
  const rounds = ['| state (MB) | upload (ms, each) | close (ms) | download (ms) | round (ms) | bytes per round (MB) |', '|---|---|---|---|---|---|',
    ...result.rounds.map((r) => `| ${r.stateMB.toFixed(1)} | ${r.uploadMs.toFixed(1)} | ${r.closeMs.toFixed(1)} | ${r.downloadMs.toFixed(1)} | ${r.roundMs.toFixed(1)} | ${(r.bytesPerRound / 1e6).toFixed(1)} |`)];
  const scaling = ['| members | records | seconds | records/s | rounds |', '|---|---|---|---|---|',
    ...result.scaling.map((r) => `| ${r.members} | ${r.records} | ${r.seconds.toFixed(2)} | ${Math.round(r.recordsPerSecond)} | ${r.rounds} |`)];
  const projection = ['| state (MB) | machines | network (Gbit/s) | sync every (batches) | round (s) | time in rounds |', '|---|---|---|---|---|---|', ...result.projections];
  return ['Per-round overhead (2 members, loopback)', '', ...rounds, '', 'Weak scaling (member processes on this machine)', '', ...scaling, '',
    'Projection', '', ...projection, '', ...result.notes.map((n) => `- ${n}`)].join('\n');
}
