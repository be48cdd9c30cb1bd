// train() as a member of a cluster job: the job is created by its first
// member (job-spec.ts says what defines it) and joined by the others with the
// same definition; each member trains shards of the input as a PassRunner of
// the trainer (member.ts), and the member that finishes first stores the
// final model and state in Redis, where members that join later, and
// `boundless job fetch`, find them.
import type { HyperparameterInput } from '../../algorithms/hyperparameters.js';
import { modelFromBytes, modelToBytes, stateFromBytes, stateToBytes } from '../../algorithms/persistence.js';
import type { Algorithm, FinalizedModel } from '../../algorithms/types.js';
import { packageVersion } from '../../package-root.js';
import { parallelEpochsProblem, resolveRunSettings } from '../../train/run-settings.js';
import type { TrainOptions, TrainResult } from '../../train/train.js';
import { TrainingRun } from '../../train/training-run.js';
import { defaultClusterSyncEvery, resolveSyncEvery } from '../sync-policy.js';
import { connectRedis, parseRedisUrl } from './connection.js';
import { isRedisUrl, parseRedisStreamUrl } from '../../io/redis/redis-url.js';
import { isStreamPath } from '../../io/sources/files.js';
import { dataOfReadOptions, inputFiles, shardCount, specDifference, type JobSpec } from './job-spec.js';
import { failedJobError, JobStore, type JobMeta } from './job-store.js';
import { ClusterMember } from './member.js';

export interface ClusterOptions {
  /** redis://[USER:PASS@]HOST:PORT[/DB] or rediss://…; any node of a Redis Cluster. */
  url: string;
  /** The job's name: every member started with it trains one model. */
  job: string;
  /** Prefix of every key (default 'boundless:'). */
  prefix?: string;
  /** Seconds the job's keys live after their last write (default 7 days). */
  ttlSeconds?: number;
  /** Bytes per shard of a single input file (default 64 MiB); several files: one shard each. Fixed by the first member. */
  shardBytes?: number;
  /** Seconds a round waits for stragglers after its first upload (default 10). Fixed by the first member. */
  roundTimeout?: number;
  /** Seconds a shard's lease lasts without a heartbeat (default 30): a dead member's shard is taken over after it. */
  lease?: number;
  /** Seconds a lost connection is retried (Redis restarting) before the member fails (default 60). */
  reconnectSeconds?: number;
}

/**
 * The smallest shard: shards of a few rows cost a claim and a round each (1-byte shards of a 96 KB
 * file made 95,805 shards and a job that seemed to hang), and train degenerate states.
 */
export const minShardBytes = 64 << 10;

export const clusterDefaults = { prefix: 'boundless:', ttlSeconds: 7 * 24 * 3600, shardBytes: 64 << 20, roundTimeout: 10, lease: 30 };

/** What a member's result adds: the job as the member left it. */
export interface ClusterTrainResult<A extends Algorithm> extends TrainResult<A> {
  job: { name: string; member: string | null; round: number; records: number; joinedFinished: boolean };
}

/** Options a cluster member cannot take, with why. */
/** What a cluster member cannot do with these options, as a RangeError (the CLI reports it as a usage error). */
export function refuseUnsupported(options: TrainOptions): void {
  const refuse = (what: string, why: string) => { throw new RangeError(`train: ${what} cannot be used with a cluster job: ${why}`); };
  if (options.validation !== undefined) refuse('a validation channel', 'early stopping across members is not built yet; evaluate the fetched model with boundless evaluate');
  if (options.resume || options.checkpoint) refuse('checkpoints', 'the job\'s state lives in Redis; start the same command again to rejoin');
  if (options.initialState !== undefined) refuse('an initial state', 'a job starts from scratch');
  if (options.deterministic) refuse('deterministic', 'rounds close when members arrive, which differs run to run');
  const train = options.train;
  if (isRedisUrl(train)) {
    if ((options.epochs ?? 1) > 1) refuse(`epochs ${options.epochs} on a Redis stream`, 'a stream is read once');
    return;
  }
  const files = (typeof train === 'string' && train !== '-') || (Array.isArray(train) && train.every((t) => typeof t === 'string'));
  if (!files) refuse('stdin or an in-process stream', 'members split files (a list, a directory or a glob)');
  if (typeof train === 'string' && isStreamPath(train)) {
    refuse(`${train}, a stream (a named pipe, /dev/stdin, a process substitution),`, 'members split files (a list, a directory or a glob)');
  }
}

async function jobSpecOf(algorithm: Algorithm, hyperparameters: HyperparameterInput, options: TrainOptions, cluster: ClusterOptions): Promise<JobSpec> {
  const settings = await resolveRunSettings(algorithm, hyperparameters, options);
  // Before the job is made: a job of such epochs could never train.
  const epochsProblem = parallelEpochsProblem(algorithm, settings.epochs);
  if (epochsProblem) throw new RangeError(epochsProblem);
  const stream = isRedisUrl(options.train) ? parseRedisStreamUrl(options.train) : undefined;
  const files = stream ? [] : inputFiles(options.train as string | string[]);
  const cuttable = settings.readOptions.format !== 'recordio' && !files.some((f) => f.path.endsWith('.gz'));
  const shardBytes = cluster.shardBytes ?? clusterDefaults.shardBytes;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < minShardBytes) {
    throw new RangeError(`train: shard size must be an integer of at least ${minShardBytes} bytes, got ${shardBytes}`);
  }
  const positive = (value: number, name: string) => {
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`train: ${name} must be a positive number of seconds, got ${value}`);
    return value;
  };
  return {
    version: packageVersion, algorithm: algorithm.name, hyperparameters: settings.hp, data: dataOfReadOptions(settings.readOptions),
    epochs: stream ? 1 : settings.epochs,
    input: stream ? { spec: stream.display, files, stream: stream.stream } : { spec: options.train as string | string[], files },
    shards: stream ? 0 : shardCount(files, shardBytes, cuttable),
    syncEvery: resolveSyncEvery(options.syncEvery ?? defaultClusterSyncEvery, false),
    roundTimeout: positive(cluster.roundTimeout ?? clusterDefaults.roundTimeout, 'round timeout'),
    lease: leaseSeconds(positive(cluster.lease ?? clusterDefaults.lease, 'lease')),
  };
}

/** ioredis's "Connection is closed." once its reconnect window is spent, as an error that names the server. */
function unreachable(error: Error, cluster: ClusterOptions): Error {
  if (error.message !== 'Connection is closed.') return error;
  return new Error(`--cluster ${parseRedisUrl(cluster.url).display}: Redis is unreachable: the connection was lost and not restored within ` +
    `${cluster.reconnectSeconds ?? 60} s (${error.message})`);
}

/**
 * A lease shorter than a second would expire between the heartbeats that renew it (four a lease,
 * at least 50 ms apart, each a round trip): every shard would be taken over again and again.
 */
function leaseSeconds(value: number): number {
  if (value < 1) throw new RangeError(`train: lease must be at least 1 second (heartbeats renew it four times a lease), got ${value}`);
  return value;
}

/** Creates the job or checks this member against it; errors name the first difference. */
async function joinJob(store: JobStore, spec: JobSpec): Promise<void> {
  const existing = await store.create(JSON.stringify(spec));
  if (existing === undefined) return;
  const job = JSON.parse(existing) as JobSpec;
  const name = store.keys.job;
  if (job.version !== spec.version) {
    throw new Error(`train: job ${name} was started by boundless-ml ${job.version}; this member is ${spec.version}: members of different versions refuse each other`);
  }
  const difference = specDifference(job, spec);
  if (difference) {
    throw new Error(`train: job ${name} is defined differently — ${difference}. Start this member with the job's settings, ` +
      `name another --job, or delete the job (boundless job delete --job ${name}) to start it over`);
  }
}

/** Errors of the data or the model (not of the connection, nor a stop): every member would meet them. */
function failsTheJob(error: Error): boolean {
  return ['DataError', 'DegenerateDataError', 'SafetensorsFormatError', 'HyperparameterError', 'RangeError', 'TypeError'].includes(error.name);
}

/** The final model and state of a finished job, as a member's result. */
async function finishedResult<A extends Algorithm>(store: JobStore, meta: JobMeta, algorithm: A, options: TrainOptions): Promise<ClusterTrainResult<A>> {
  const { backendOf } = await import('../../train/run-settings.js');
  const backend = await backendOf(options.backend);
  const bytes = await store.finalBytes(meta);
  const source = `cluster job ${store.keys.job}`;
  const model = modelFromBytes(bytes.model, algorithm, backend, `${source}: the final model`) as unknown as FinalizedModel<A>;
  const state = stateFromBytes(bytes.state, algorithm, backend, `${source}: the final state`);
  return {
    model, state, metrics: (meta.metrics ?? {}) as unknown as TrainResult<A>['metrics'], commit: async () => undefined,
    job: { name: store.keys.job, member: null, round: meta.round, records: meta.records, joinedFinished: true },
  };
}

/**
 * Trains `algorithm` as one member of cluster job `cluster.job` (see ClusterOptions). Errors: an
 * option a member cannot take (validation, checkpoints, workers, stdin), a job defined differently
 * or by another package version, an unreachable server, a corrupt stored state.
 */
export async function trainOnCluster<A extends Algorithm>(algorithm: A, hyperparameters: HyperparameterInput, options: TrainOptions,
  cluster: ClusterOptions): Promise<ClusterTrainResult<A>> {
  const workers = options.workers ?? 1;
  if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError(`train: workers must be a positive integer, got ${typeof workers === 'number' ? String(workers) : JSON.stringify(workers)}`);
  if (workers > 1) {
    // N members in this process, each claiming its own shards (one connection each): as the command started N times.
    const results = await Promise.all(Array.from({ length: workers }, () => trainOnCluster(algorithm, hyperparameters, { ...options, workers: 1 }, cluster)));
    return results[0];
  }
  refuseUnsupported(options);
  const spec = await jobSpecOf(algorithm, hyperparameters, options, cluster);
  const { client } = await connectRedis(cluster.url, { reconnectSeconds: cluster.reconnectSeconds });
  try {
    const store = new JobStore(client, cluster.prefix ?? clusterDefaults.prefix, cluster.job, cluster.ttlSeconds ?? clusterDefaults.ttlSeconds);
    await joinJob(store, spec);
    const meta = await store.meta();
    if (!meta) throw new Error(`train: job ${cluster.job} has no meta (deleted while joining)`);
    if (meta.status === 'finished') return await finishedResult(store, meta, algorithm, options);
    if (meta.status === 'failed') throw failedJobError(store.keys.job, meta);
    const blocking = client.duplicate();
    blocking.on('error', () => undefined);
    const member = new ClusterMember(store, spec, algorithm, blocking);
    try {
      let result: TrainResult<A>;
      try {
        const run = await TrainingRun.start(algorithm, hyperparameters, { ...options, epochs: spec.epochs }, member);
        while (!run.done) await run.runEpoch();
        result = await run.finish();
      } catch (error) {
        // An error of the data or the model would meet every member: the job says so, and stops.
        if (failsTheJob(error as Error)) await store.fail(member.id, (error as Error).message).catch(() => undefined);
        throw error;
      }
      const after = (await store.meta())!;
      const metrics = { ...result.metrics, records: after.records };
      await store.publishFinal(modelToBytes(result.model), stateToBytes(result.state), metrics as Record<string, unknown>);
      return { ...result, metrics, job: { name: cluster.job, member: member.id, round: after.round, records: after.records, joinedFinished: false } };
    } finally {
      await member.close();
      blocking.disconnect();
    }
  } catch (error) {
    throw unreachable(error as Error, cluster);
  } finally {
    client.disconnect();
  }
}
