// Cluster jobs through Redis on loopback (lib/distributed/cluster/):
//   1. Per-round overhead for states of about 1, 10 and 100 MB: two members upload a linear
//      learner state each (filled as training leaves it, in the rounds' sparse form), one closes
//      the round (downloads both, merges onto the stored round, commits), both download the
//      merge — the production code (JobStore, tryCloseRound,
//      MergedStateCache) timed part by part; bytes moved are Redis's own counters
//      (INFO stats total_net_input_bytes + total_net_output_bytes) per round.
//   2. Weak scaling on real rows: 1, 2 and 4 member processes (`boundless train --cluster`, default
//      settings), each with the same rows (the flights training file repeated: the job grows with
//      the members), against one plain process on the 1-member file; and the held-out AUC of a
//      2-member job against one process on the same rows (the merge tolerance).
//   3. A projection for 10 and 100 machines from the measured per-round costs (see projection()).
// A redis-server is started on a free loopback port (Debian's redis-server must be installed).
// Which build: BOUNDLESS_CLI (default this checkout's dist/cli/main.js; `npm run build:ts` first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
import { MergedStateCache, roundBytes, tryCloseRound } from '../lib/distributed/cluster/round-closer.js';
import { Random } from '../lib/random.js';
import { RedisServer } from '../test/fixtures/redis-server.js';
import { realFlights, type RealSet } from './linear-learner-real-data.js';
import { dataDir } from './linear-learner-data.js';

const cli = process.env.BOUNDLESS_CLI ?? resolve(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'cli', 'main.js');

export interface RoundRow {
  stateMB: number;
  /** What a round stores of it (roundBytes: mostly-zero tensors as their non-zero elements). */
  sentMB: number;
  uploadMs: number;
  closeMs: number;
  downloadMs: number;
  roundMs: number;
  bytesPerRound: number;
}

export interface ScalingRow {
  members: number | 'plain';
  /** Copies of the flights training file in the job. */
  copies: number;
  /** --sync-every of a cluster job. */
  sync?: string;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  rounds: number;
  /** Held-out ROC AUC of the model (member 0's; every member writes the same). */
  auc: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function netBytes(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  const read = (name: string) => Number(new RegExp(`${name}:(\\d+)`).exec(info)![1]);
  return read('total_net_input_bytes') + read('total_net_output_bytes');
}

/**
 * A state's tensors filled as training leaves them, so that the round's sparse form (roundBytes) is
 * as large as a real one: learned arrays dense, score histograms 40% non-zero (the flights state's
 * share), validation sums zero (no validation channel).
 */
function fillAsTrained(state: State): void {
  const random = Random.fromSeed(7);
  for (const [name, t] of Object.entries(state.tensors)) {
    if (name.startsWith('validation_') || !(t.data instanceof Float32Array || t.data instanceof Float64Array)) continue;
    const share = name.endsWith('_histogram') ? 0.4 : 1;
    for (let i = 0; i < t.data.length; i++) if (random.nextFloat() < share) t.data[i] = random.nextFloat() + 0.5;
  }
}

/** A linear learner state of about `megabytes` MB (its size grows with feature_dim), filled as training leaves it. */
async function stateOfSize(megabytes: number): Promise<State> {
  const algorithm = getAlgorithm('linear-learner');
  const backend = await resolveBackend('cpu');
  const hp = parseHyperparameters('linear-learner', algorithm.hyperparameters, { predictor_type: 'binary_classifier' } as never);
  const sizeAt = (featureDim: number) => stateToBytes(algorithm.createState(hp as never, { featureDim, labelSize: 1, sparse: true }, backend) as State).length;
  const [small, large] = [sizeAt(1000), sizeAt(2000)];
  const featureDim = Math.max(1, Math.round(1000 + ((megabytes * 1e6 - small) * 1000) / (large - small)));
  const state = algorithm.createState(hp as never, { featureDim, labelSize: 1, sparse: true }, backend) as State;
  fillAsTrained(state);
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
          records: 1000, batches: 1, bytes: 0, badRecords: {} }, roundBytes(state), 600_000);
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
      stateMB: stateToBytes(state).length / 1e6, sentMB: roundBytes(state).length / 1e6, uploadMs: upload, closeMs: close, downloadMs: download,
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

/** `copies` copies of the flights training file end to end (a longer stream of the same real rows), made once. */
function repeated(set: RealSet, copies: number): string {
  const path = join(dataDir, `cluster-flights-x${copies}.svm`);
  if (!existsSync(path)) {
    const rows = readFileSync(set.train);
    writeFileSync(`${path}.partial`, Buffer.concat(Array.from({ length: copies }, () => rows)));
    renameSync(`${path}.partial`, path);
  }
  return path;
}

/** Held-out ROC AUC of a model directory on the flights test file (the CLI's evaluate). */
function testAuc(set: RealSet, model: string): number {
  const result = spawnSync(process.execPath, [cli, 'evaluate', '--model', model, '--test', set.test, '--format', 'libsvm',
    '--feature-dim', String(set.featureDim)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`bench: evaluate failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as { roc_auc_score: number }).roc_auc_score;
}

/**
 * One job on the flights rows (`copies` copies of the training file), as a plain process or as
 * `members` member processes of a cluster job (default settings unless `sync` is given: --sync-every 128, 64 MiB
 * shards), one thread each.
 */
async function scalingRun(server: RedisServer, set: RealSet, directory: string, copies: number, members: number | 'plain', sync?: string): Promise<ScalingRow> {
  const file = repeated(set, copies);
  const data = ['--train', file, '--format', 'libsvm', '--feature-dim', String(set.featureDim), '--epochs', '1', '--hp', 'predictor_type=binary_classifier'];
  const job = `scaling-${copies}-${members}-${Date.now()}`;
  const count = members === 'plain' ? 1 : members;
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: count }, (_, m) => run(['train', 'linear-learner', ...data,
    ...(members === 'plain' ? [] : ['--cluster', server.url, '--job', job]), ...(sync ? ['--sync-every', sync] : []), '--model-dir', join(directory, `${job}-${m}`)])));
  const seconds = (performance.now() - start) / 1000;
  for (const result of results) if (result.code !== 0) throw new Error(`bench: ${members} failed: ${result.stderr}`);
  let records = set.trainRows * copies;
  let rounds = 0;
  if (members !== 'plain') {
    const status = spawnSync(process.execPath, [cli, 'job', 'status', '--cluster', server.url, '--job', job], { encoding: 'utf8' });
    const report = JSON.parse(status.stdout) as { records: number; round: number };
    if (report.records !== records) throw new Error(`bench: the job counted ${report.records} records of ${records}`);
    ({ records, round: rounds } = report);
  }
  return { members, copies, sync: members === 'plain' ? undefined : sync ?? '128 (default)', records, seconds, recordsPerSecond: records / seconds, rounds, auc: testAuc(set, join(directory, `${job}-0`)) };
}

/**
 * Weak scaling: each member has the same rows (2 copies of the flights training file, 4.8M rows),
 * so the job grows with the members; against one plain process on the 1-member file. Then the
 * quality of a 2-member job against one process on the same 2.4M rows (the merge tolerance).
 */
async function scaling(server: RedisServer, directory: string): Promise<{ weak: ScalingRow[]; quality: ScalingRow[] }> {
  const set = await realFlights();
  const perMember = 2;
  const weak = [await scalingRun(server, set, directory, perMember, 'plain')];
  for (const members of [1, 2, 4]) weak.push(await scalingRun(server, set, directory, perMember * members, members));
  const quality = [await scalingRun(server, set, directory, 1, 'plain')];
  for (const sync of ['8', '32', undefined, 'auto']) quality.push(await scalingRun(server, set, directory, 1, 2, sync));
  return { weak, quality };
}

/**
 * The share of a member's time spent in rounds at N machines. A round moves about (3N + 1)·S bytes (S: the state as a round stores it)
 * through Redis (N uploads in, N out to the closer, the merge in, N − 1 copies out), so at
 * bandwidth B its transfer takes (3N + 1)·S / B; the closer's merge grows with N (the measured
 * close time less its transfers, times N / 2). A member trains `intervalSeconds` between rounds
 * (`--sync-every 128`: 128 of its batches; auto: 9 × a round, at least 1 s). Loopback hides the
 * network: the projection adds it.
 */
export function projection(round: RoundRow, machines: number, gigabitsPerSecond: number, intervalSeconds: (roundSeconds: number) => number) {
  const bytesPerSecond = (gigabitsPerSecond * 1e9) / 8;
  const state = round.sentMB * 1e6;
  const transfer = ((3 * machines + 1) * state) / bytesPerSecond;
  const mergeSeconds = (round.closeMs / 1000) * (machines / 2);
  const roundSeconds = transfer + mergeSeconds + (round.uploadMs + round.downloadMs) / 1000;
  const interval = intervalSeconds(roundSeconds);
  const lost = roundSeconds / (interval + roundSeconds);
  return { roundSeconds, interval, fractionInRounds: lost, speedup: machines * (1 - lost) };
}

export interface ClusterResult { rounds: RoundRow[]; weak: ScalingRow[]; quality: ScalingRow[]; projections: string[]; notes: string[] }

export async function runCluster(): Promise<ClusterResult> {
  const server = await RedisServer.start();
  const directory = mkdtempSync(join(tmpdir(), 'boundless-bench-cluster-'));
  try {
    const rounds: RoundRow[] = [];
    for (const megabytes of [1, 10, 100]) rounds.push(await roundCosts(server, megabytes, megabytes >= 100 ? 3 : 7));
    const { weak, quality } = await scaling(server, directory);
    // 128 batches of 1,024 rows at the plain process's rate.
    const batchesSeconds = (128 * 1024) / weak[0].recordsPerSecond;
    const policies: [string, (round: number) => number][] = [['128', () => batchesSeconds], ['auto', (round) => Math.max(1, 9 * round)]];
    const projections: string[] = [];
    for (const round of rounds) {
      for (const machines of [10, 100]) {
        for (const gbit of [1, 10]) {
          for (const [name, interval] of policies) {
            const p = projection(round, machines, gbit, interval);
            projections.push(`| ${round.stateMB.toFixed(1)} | ${machines} | ${gbit} | ${name} | ${p.roundSeconds.toFixed(3)} | ${p.interval.toFixed(2)} | ${(100 * p.fractionInRounds).toFixed(0)}% | ${p.speedup.toFixed(1)}× |`);
          }
        }
      }
    }
    return {
      rounds, weak, quality, projections, notes: [
        'Data: the flights rows of the real-data linear-learner benchmark (vega-datasets flights-3m, BSD-3-Clause; one-hot libsvm, 5,991 features, 6 non-zeros a row), its training file repeated end to end to make longer streams; test AUC on its held-out last 20% by time.',
        'Every run: `boundless train linear-learner --hp predictor_type=binary_classifier --epochs 1`, defaults otherwise (32 models; a 4.7 MB state); members add `--cluster --job` (defaults: --sync-every 128, 64 MiB shards; the quality table also tries other --sync-every); one thread per process (BOUNDLESS_NUM_THREADS=1), so 2 members use both cores and 4 share them. Two plain processes run side by side on this VM each take about 1.5× as long as one alone: its 2 vCPUs give about 1.33× the throughput of one, the ceiling for 2 members here.',
        'Weak scaling: 2 copies (4.8M rows) per member; the plain process trains the 1-member file. Wall time of the whole job (every member process from start to exit).',
        `Projection: a member trains 128 batches between rounds (${batchesSeconds.toFixed(2)} s at the plain rate) or, under auto, 9 × a round (at least 1 s); speed-up = machines × the share of time not in rounds. The round's transfer is (3N + 1) × the state at the given bandwidth; the closer's merge grows as N / 2 × the measured close.`,
      ],
    };
  } finally {
    await server.close();
    rmSync(directory, { recursive: true, force: true });
  }
}

export function clusterMarkdown(result: ClusterResult): string {
  const rounds = ['| state (MB) | as sent (MB) | upload (ms, each) | close (ms) | download (ms) | round (ms) | bytes per round (MB) |', '|---|---|---|---|---|---|---|',
    ...result.rounds.map((r) => `| ${r.stateMB.toFixed(1)} | ${r.sentMB.toFixed(1)} | ${r.uploadMs.toFixed(1)} | ${r.closeMs.toFixed(1)} | ${r.downloadMs.toFixed(1)} | ${r.roundMs.toFixed(1)} | ${(r.bytesPerRound / 1e6).toFixed(1)} |`)];
  const plain = result.weak[0];
  const weak = ['| run | records | seconds | records/s | × plain | rounds |', '|---|---:|---:|---:|---:|---:|',
    ...result.weak.map((r) => `| ${r.members === 'plain' ? 'one plain process' : `${r.members} member${r.members === 1 ? '' : 's'}`} | ${r.records.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${Math.round(r.recordsPerSecond).toLocaleString('en-US')} | ${(r.recordsPerSecond / plain.recordsPerSecond).toFixed(2)}× | ${r.rounds} |`)];
  const [one] = result.quality;
  const quality = ['| run | --sync-every | seconds | × plain time | test AUC | Δ AUC | rounds |', '|---|---|---:|---:|---:|---:|---:|',
    ...result.quality.map((r) => `| ${r.members === 'plain' ? 'one plain process' : `${r.members} members`} | ${r.sync ?? ''} | ${r.seconds.toFixed(2)} | ${(r.seconds / one.seconds).toFixed(2)} | ${r.auc.toFixed(4)} | ${(r.auc - one.auc >= 0 ? '+' : '')}${(r.auc - one.auc).toFixed(4)} | ${r.rounds} |`)];
  const projection = ['| state (MB) | machines | network (Gbit/s) | --sync-every | round (s) | between rounds (s) | time in rounds | speed-up |', '|---|---|---|---|---|---|---|---|', ...result.projections];
  return ['Per-round overhead (2 members, loopback)', '', ...rounds, '',
    'Weak scaling on real rows (member processes on this machine; 2 cores)', '', ...weak, '',
    'Quality: one job on the 2.4M flights training rows (merge tolerance: AUC within 0.005 of one process)', '', ...quality, '',
    'Projection for more machines', '', ...projection, '', ...result.notes.map((n) => `- ${n}`)].join('\n');
}
