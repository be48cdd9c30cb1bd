// One entry point for "where the data comes from": a path, directory or
// glob; '-' for stdin; a redis:// URL (a Redis stream); a Node Readable; an
// iterable of Buffers or strings; an iterable of records; or a source
// already built.
import { Readable } from 'node:stream';
import { stopError } from '../stop-error.js';
import { fileSource, type FileSourceOptions } from './files.js';
import { recordSource } from './records.js';
import { isRedisUrl, refuseOtherUrl } from '../redis/redis-url.js';
import { RedisStreamSource, type RedisSourceSettings, type RedisStreamOptions } from './redis-stream.js';
import { stdinSource, streamSource } from './streams.js';
import type { RecordInput, Source } from './types.js';

export type SourceInput =
  | string | string[] | Source | Readable
  | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>
  | AsyncIterable<RecordInput> | Iterable<RecordInput>;

function isSource(value: unknown): value is Source {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { kind?: unknown; chunks?: unknown; records?: unknown };
  return (candidate.kind === 'bytes' && typeof candidate.chunks === 'function') ||
    (candidate.kind === 'records' && typeof candidate.records === 'function');
}

const isBytes = (item: unknown) => item instanceof Uint8Array || typeof item === 'string';

export interface OpenSourceOptions extends FileSourceOptions {
  /** redis:// inputs: the group, this member's name, the idle timeout. */
  redis?: RedisStreamOptions;
  /** redis:// inputs: the format entries hold, and what a malformed entry does (default csv, an error). */
  redisSettings?: RedisSourceSettings;
  /** Ends a stream's wait for bytes (stdin, a named pipe, a Readable, an iterable) with an AbortError; default: redisSettings.signal. */
  signal?: AbortSignal;
}

/**
 * A source from what the user gave. A generic iterable is read as bytes when its first item is
 * a Buffer, Uint8Array or string and as records otherwise; the first item is peeked and replayed.
 */
export async function openSource(input: SourceInput, options: OpenSourceOptions = {}): Promise<Source> {
  // A stop ends a stream's wait for bytes (readBatches passes its signal with the Redis settings).
  const signal = options.signal ?? options.redisSettings?.signal;
  if (input === undefined || input === null) {
    throw new TypeError(`source must be a path, "-", a Readable, or an iterable of buffers or records, got ${String(input)}`);
  }
  if (input === '-') return stdinSource(signal);
  if (isRedisUrl(input)) {
    return new RedisStreamSource(input, options.redis ?? {},
      options.redisSettings ?? { format: 'csv', onBadRecord: 'error', countSkipped: () => undefined });
  }
  const { redis: _redis, redisSettings: _settings, signal: _signal, ...files } = options;
  if (typeof input === 'string') {
    refuseOtherUrl(input);
    return fileSource(input, files, signal);
  }
  // An array of strings is a list of paths; text chunks come as Buffers or from a generator.
  if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) {
    const text = (input as string[]).find((item) => item.includes('\n'));
    if (text !== undefined) {
      throw new TypeError(`an array of strings is a list of file paths, and ${JSON.stringify(text.slice(0, 40))} holds a newline: ` +
        'pass text as Buffers (Buffer.from(text)) or from a generator');
    }
    return fileSource(input as string[], files, signal);
  }
  if (isSource(input)) return input;
  // An object-mode Readable (pg-query-stream, a mongodb cursor's stream(), knex's stream()) yields
  // values: read as any iterable is, records or byte chunks by its first value.
  if (input instanceof Readable && !input.readableObjectMode) return streamSource(input, 'stream', signal);
  // An array of records is read as it is, and can be read again (epochs, resume); of Buffers or strings, as a stream.
  if (Array.isArray(input) && (input.length === 0 || !isBytes(input[0]))) {
    return recordSource(input as unknown as RecordInput[], 'array', signal);
  }
  const asyncIterable = input as AsyncIterable<unknown>;
  const syncIterable = input as Iterable<unknown>;
  const iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined =
    typeof asyncIterable[Symbol.asyncIterator] === 'function' ? asyncIterable[Symbol.asyncIterator]()
      : typeof syncIterable[Symbol.iterator] === 'function' ? syncIterable[Symbol.iterator]() : undefined;
  if (!iterator) throw new TypeError('source must be a path, "-", a Readable, or an iterable of buffers or records');
  // The first item says bytes or records. Its wait ends with a stop: an empty cursor never gives
  // one, and a stop was ignored there (train() never returned).
  const first = await firstOf(iterator, signal);
  const replay = replayed(iterator, first);
  const description = input instanceof Readable ? 'stream' : 'iterable';
  return !first.done && isBytes(first.value)
    ? streamSource(replay as AsyncIterable<Uint8Array | string>, description, signal)
    : recordSource(replay as AsyncIterable<RecordInput>, description, signal);
}

/** The iterator's first item, or an AbortError (and the iterator told to close) as soon as `signal` fires. */
async function firstOf(iterator: AsyncIterator<unknown> | Iterator<unknown>, signal: AbortSignal | undefined): Promise<IteratorResult<unknown>> {
  if (!signal) return await iterator.next();
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<IteratorResult<unknown>>((resolve, reject) => {
      onAbort = () => {
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
        reject(stopError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      Promise.resolve(iterator.next()).then(resolve, reject);
    });
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * The iterator with its peeked first item put back. Hand-written, not a generator: a generator's
 * return() waits for a next() in flight, so a stop while a cursor waited for rows closed the
 * cursor only when those rows came (6 s later, or never). Here return() reaches the caller's
 * iterator at once; a run left before the end calls it (a break, a stop, a bad record, a failure),
 * as a for-await of it would, so a database cursor lets its connection go.
 */
function replayed(iterator: AsyncIterator<unknown> | Iterator<unknown>, first: IteratorResult<unknown>): AsyncIterable<unknown> {
  let pending: IteratorResult<unknown> | undefined = first;
  let ended = first.done === true;
  const step: AsyncIterator<unknown> = {
    async next() {
      if (pending) {
        const result = pending;
        pending = undefined;
        return result;
      }
      if (ended) return { done: true, value: undefined };
      const result = await iterator.next();
      if (result.done) ended = true;
      return result;
    },
    async return() {
      if (!ended) {
        ended = true;
        pending = undefined;
        await iterator.return?.();
      }
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => step };
}
