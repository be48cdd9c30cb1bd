// The command line of cluster jobs: train's --cluster options, and
// `boundless job status|list|delete|fetch`.
import type { ClusterOptions } from '../distributed/cluster/train.js';
import { clusterDefaults, minShardBytes } from '../distributed/cluster/train.js';
import { parseRedisUrl } from '../distributed/cluster/connection.js';
import { checkPrefix, JobKeys } from '../distributed/cluster/job-keys.js';
import { deleteJob, fetchJob, jobStatus, listJobs } from '../distributed/cluster/job-admin.js';
import { parseArguments, UsageError, type OptionSpec, type ParsedArguments } from './arguments.js';
import { secondsOption } from './redis-options.js';

const days = clusterDefaults.ttlSeconds / 86400;

/** The options that make `train` a member of a cluster job (with --job, which redis-options.ts defines: a stream's consumer group too). */
export const clusterTrainOptions: Record<string, OptionSpec> = {
  cluster: { value: true, description: 'redis://[USER:PASS@]HOST:PORT[/DB] (rediss:// for TLS; any node of a Redis Cluster): train as a member of --job' },
  prefix: { value: true, description: `prefix of the job's Redis keys (default ${clusterDefaults.prefix})` },
  'job-ttl': { value: true, description: `seconds the job's keys live after their last write (default ${clusterDefaults.ttlSeconds}, ${days} days)` },
  'shard-size': { value: true, description: `bytes per shard when one file is split among members (default ${clusterDefaults.shardBytes}; K, M, G suffixes)` },
  'round-timeout': { value: true, description: `seconds a merge round waits for stragglers (default ${clusterDefaults.roundTimeout})` },
  lease: { value: true, description: `seconds before a silent member's shard is taken over (default ${clusterDefaults.lease})` },
};

function bytesOption(command: string, options: ParsedArguments['options'], name: string): number | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  const match = typeof raw === 'string' ? /^(\d+)([KMG]?)$/i.exec(raw) : null;
  const value = match ? Number(match[1]) * 1024 ** ' KMG'.indexOf((match[2] || ' ').toUpperCase()) : NaN;
  if (!match || !Number.isSafeInteger(value) || value < 1) {
    throw new UsageError(`${command}: --${name} must be a positive number of bytes (K, M, G suffixes), got ${JSON.stringify(raw)}`);
  }
  if (value < minShardBytes) throw new UsageError(`${command}: --${name} must be at least 64K (${minShardBytes} bytes), got ${JSON.stringify(raw)}`);
  return value;
}

/** A bad URL, job name or prefix is a usage error (status 2), before anything connects. */
function checkClusterArguments(command: string, url: string, job: string | undefined, prefix: string | undefined): void {
  try {
    parseRedisUrl(url);
    if (job !== undefined) new JobKeys(prefix ?? clusterDefaults.prefix, job);
    else if (prefix !== undefined) checkPrefix(prefix);
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/** ClusterOptions from train's options; undefined without --cluster. A cluster option without --cluster is an error. */
export function clusterOptionsFrom(options: ParsedArguments['options']): ClusterOptions | undefined {
  const given = Object.keys(clusterTrainOptions).filter((name) => options[name] !== undefined && name !== 'cluster');
  if (options.cluster === undefined) {
    if (given.length > 0) throw new UsageError(`train: --${given[0]} needs --cluster redis://HOST:PORT`);
    return undefined;
  }
  if (options.job === undefined) throw new UsageError('train: --cluster needs --job NAME (the job to create or join)');
  const lease = secondsOption('train', options, 'lease');
  if (lease !== undefined && lease < 1) throw new UsageError(`train: --lease must be at least 1 second (heartbeats renew it four times a lease), got ${JSON.stringify(options.lease)}`);
  checkClusterArguments('train', options.cluster as string, options.job as string, options.prefix as string | undefined);
  return {
    url: options.cluster as string, job: options.job as string, prefix: options.prefix as string | undefined,
    ttlSeconds: secondsOption('train', options, 'job-ttl'), shardBytes: bytesOption('train', options, 'shard-size'),
    roundTimeout: secondsOption('train', options, 'round-timeout'), lease,
  };
}

export const jobOptions: Record<string, OptionSpec> = {
  cluster: { value: true, required: true, description: 'redis://[USER:PASS@]HOST:PORT[/DB] of the jobs' },
  job: { value: true, description: 'the job (status, delete, fetch)' },
  prefix: { value: true, description: `prefix of the jobs' keys (default ${clusterDefaults.prefix})` },
  'model-dir': { value: true, description: 'fetch: where model.safetensors and state.safetensors go (default .)' },
};

/** `boundless job status|list|delete|fetch`; returns what to print (JSON). */
export async function jobCommand(argv: string[]): Promise<unknown> {
  const actions = ['status', 'list', 'delete', 'fetch'];
  // Without a subcommand, that is what is missing (it said "--cluster is required").
  if (!argv.some((arg) => actions.includes(arg))) {
    throw new UsageError('job: expected a subcommand, one of status, list, delete, fetch (boundless job status --cluster redis://HOST:PORT --job NAME)');
  }
  const { options, positional } = parseArguments('job', argv, jobOptions, Infinity);
  const action = positional[0];
  if (positional.length !== 1 || !actions.includes(action)) {
    throw new UsageError(`job: expected one of status, list, delete, fetch, got ${JSON.stringify(positional.join(' '))}`);
  }
  checkClusterArguments(`job ${action}`, options.cluster as string, options.job as string | undefined, options.prefix as string | undefined);
  const admin = { url: options.cluster as string, prefix: options.prefix as string | undefined };
  if (action === 'list') return listJobs(admin);
  const job = options.job as string | undefined;
  if (job === undefined) throw new UsageError(`job ${action}: --job NAME is required`);
  if (action === 'status') return jobStatus(admin, job);
  if (action === 'delete') return deleteJob(admin, job);
  return fetchJob(admin, job, (options['model-dir'] as string | undefined) ?? '.');
}
