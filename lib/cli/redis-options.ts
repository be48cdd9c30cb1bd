// Command-line options for Redis streams: train's --job (the consumer group;
// cluster mode uses the same name for its job) and --idle-timeout, and the
// rule that only `train` reads a Redis stream (the other commands would leave
// its entries delivered and never acknowledged).
import { isRedisUrl, parseRedisStreamUrl, redactRedisUrl, refuseOtherUrl } from '../io/redis/redis-url.js';
import type { RedisStreamOptions } from '../io/sources/redis-stream.js';
import { UsageError, type OptionSpec, type ParsedArguments } from './arguments.js';

export const redisTrainOptions: Record<string, OptionSpec> = {
  job: { value: true, placeholder: 'NAME', description: "the job's name: the cluster job to create or join (--cluster), and the consumer group a redis:// training stream is read through (default boundless)" },
  'idle-timeout': {
    value: true, placeholder: 'SECONDS',
    description: 'a redis:// training stream ends when no entry has arrived for this long (default: wait for its end-of-stream entry)',
  },
};

/** A positive number of seconds, or undefined when absent. */
export function secondsOption(command: string, options: ParsedArguments['options'], name: string): number | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || !/^\d+(\.\d+)?$/.test(raw) || !(value > 0)) {
    throw new UsageError(`${command}: --${name} must be a positive number of seconds, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A URL given on the command line, checked before anything runs: a malformed one is a usage error (status 2). */
export function checkUrlArgument(command: string, option: string, value: string, redisOnly: boolean): void {
  try {
    if (redisOnly || isRedisUrl(value)) parseRedisStreamUrl(value);
    else refuseOtherUrl(value);
  } catch (error) {
    throw new UsageError(`${command}: --${option} ${(error as Error).message}`);
  }
}

/** --job and --idle-timeout as readBatches' `redis` option; --idle-timeout needs a redis:// input. */
export function redisOptionsFrom(command: string, options: ParsedArguments['options'], input: string): RedisStreamOptions {
  checkUrlArgument(command, 'train', input, false);
  const idleTimeout = secondsOption(command, options, 'idle-timeout');
  if (idleTimeout !== undefined && !isRedisUrl(input)) {
    throw new UsageError(`${command}: --idle-timeout applies to a redis:// training stream, and --train is ${JSON.stringify(input)}`);
  }
  if (isRedisUrl(input) && options.header === true) {
    throw new UsageError(`${command}: --header: a Redis stream's entries hold records only (a job's members share one stream: no first line to skip)`);
  }
  const job = options.job as string | undefined;
  if (job === '') throw new UsageError(`${command}: --job must not be empty`);
  if (job !== undefined && options.cluster === undefined && !isRedisUrl(input)) {
    throw new UsageError(`${command}: --job names a cluster job (with --cluster redis://HOST:PORT) or a Redis stream's consumer group (with --train redis://…?stream=KEY); --train is ${JSON.stringify(input)}`);
  }
  return { ...(job !== undefined ? { group: job } : {}), ...(idleTimeout !== undefined ? { idleTimeout } : {}) };
}

/** Commands other than train read files and stdin only. */
export function refuseRedisInput(command: string, option: string, value: unknown): void {
  if (!isRedisUrl(value)) return;
  throw new UsageError(`${command}: --${option} ${redactRedisUrl(value)}: only train reads a Redis stream (it acknowledges the entries ` +
    'once a stored state holds them); give a file, or \'-\' for stdin');
}
