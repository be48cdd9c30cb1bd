// What defines a cluster job, fixed by its first member: the package version,
// the algorithm and its hyperparameters, how the data is read, the epochs,
// the input (the spec as given, and every file it resolves to with its size,
// so members on other machines read the same bytes), how it is cut into
// shards, and how often members meet. A member started with anything else is
// refused with the first difference named.
import { statSync } from 'node:fs';
import { resolveFiles } from '../../io/sources/files.js';
import type { SyncEvery } from '../sync-policy.js';
import type { ReadOptions } from '../../io/read-options.js';

export interface JobSpec {
  version: string;
  algorithm: string;
  hyperparameters: Record<string, unknown>;
  data: Record<string, unknown>;
  epochs: number;
  /** The input as given (a Redis stream's URL with its password hidden), and its files, or its stream's key. */
  input: { spec: string | string[]; files: { path: string; bytes: number }[]; stream?: string };
  /**
   * Shards the input is cut into (shard i: range i of `shards` of every file, or file i when there
   * are as many files); 0 for a Redis stream, which every member reads through the job's consumer group.
   */
  shards: number;
  /** Members meet every this many batches of each member ({ batches }) or seconds ({ seconds }), or as `auto` says (sync-policy.ts). */
  syncEvery: SyncEvery;
  /** Seconds a round waits for stragglers after its first upload. */
  roundTimeout: number;
  /** Seconds a shard's lease lasts without renewal (a dead member's shard is taken over after it). */
  lease: number;
}

/** Read options that decide what a record is (not the reader's own: prefetch, chunk sizes, signals). */
const dataKeys: (keyof ReadOptions)[] = ['format', 'miniBatchSize', 'batchValues', 'featureDim', 'sparse', 'labelSize', 'labelClasses', 'labelColumn', 'ignoreColumns',
  'header', 'delimiter', 'zeroBased', 'hashBits', 'onBadRecord', 'shuffleBuffer', 'seed', 'nnzPerBatch', 'maxRecordBytes'];

export function dataOfReadOptions(options: ReadOptions): Record<string, unknown> {
  return Object.fromEntries(dataKeys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
}

/** The files of the input spec with their sizes, as this machine sees them. */
export function inputFiles(spec: string | string[]): { path: string; bytes: number }[] {
  const paths = Array.isArray(spec) ? spec.flatMap(resolveFiles) : resolveFiles(spec);
  return paths.map((path) => ({ path, bytes: statSync(path).size }));
}

/**
 * Shards for these files: one per file when there are several, else ranges of about `shardBytes`
 * of the file (text formats are cut at line starts; recordIO and gzip cannot be cut, so one shard per file).
 */
export function shardCount(files: { path: string; bytes: number }[], shardBytes: number, cuttable: boolean): number {
  if (!cuttable || files.length > 1) return files.length;
  return Math.max(1, Math.ceil(files[0].bytes / shardBytes));
}

/** The first difference between the job's spec and this member's, as `name: job has X, this member Y`; undefined when equal. */
export function specDifference(job: JobSpec, mine: JobSpec): string | undefined {
  const found = firstDifference(job as unknown, mine as unknown, '');
  const option = found === undefined ? undefined : optionOfField[found.slice(0, found.indexOf(':'))];
  return option ? `${found} (${option})` : found;
}

/** The command-line option behind a spec field whose name is not the option's. */
const optionOfField: Record<string, string> = {
  shards: 'the shards --shard-size cuts the input into',
  syncEvery: '--sync-every', 'syncEvery.batches': '--sync-every', 'syncEvery.seconds': '--sync-every', 'syncEvery.auto': '--sync-every',
  roundTimeout: '--round-timeout', lease: '--lease', epochs: '--epochs',
};

function firstDifference(a: unknown, b: unknown, path: string): string | undefined {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a as object), ...Object.keys(b as object)])].sort();
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key],
        Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
      if (found) return found;
    }
    return undefined;
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  return `${path}: the job has ${JSON.stringify(a) ?? 'none'}, this member ${JSON.stringify(b) ?? 'none'}`;
}
