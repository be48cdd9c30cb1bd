// The path every byte of training data takes, as stages:
//   open the source → parse ahead (parse-bytes.ts or parse-records.ts, on a
//   producer task, into pooled batches through a bounded queue) → hand each
//   batch to the consumer and take it back when the next is asked for →
//   optionally shuffle through a buffer of batches.
// Parsing runs on libuv threads, so it overlaps with training; the consumer
// gets each batch with the source position after it, and tells the source
// through commit() when a stored state holds it. Memory is the pool, fixed
// by mini_batch_size (or batchValues) and prefetch.
import { BatchPool } from '../data/batch-pool.js';
import { shuffleBatches } from '../data/shuffle-buffer.js';
import { ConsumerGone, type BatchStream, type Producer, type ReadBatch, type ReadStats } from './batch-stream.js';
import { BoundedQueue } from './bounded-queue.js';
import { withFileLine } from './file-line-numbers.js';
import { produceFromBytes } from './parse-bytes.js';
import { produceFromRecords } from './parse-records.js';
import {
  batchRowsOf, DataError, declaredFeatureDim, isSparseFormat, textWordBytesPerEntry, validateReadOptions, type FormatName, type ReadOptions,
} from './read-options.js';
import { readSeriesBatches } from './read-series-batches.js';
import { stopError } from './stop-error.js';
import { isRedisUrl } from './redis/redis-url.js';
import { openSource, type SourceInput } from './sources/open-source.js';
import type { Source, SourcePosition } from './sources/types.js';

/** Batches from a source. Iterate once; each batch is valid until the next is requested. */
export function readBatches(input: SourceInput, options: ReadOptions): BatchStream {
  // Without options it failed with `Cannot read properties of undefined (reading 'format')`.
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`readBatches: options are required ({ miniBatchSize, format, … }), got ${String(options)}`);
  }
  const format: FormatName = options.format ?? 'csv';
  validateReadOptions(options, format);
  if (format === 'series') return readSeriesBatches(input, options);
  if (options.header && isRedisUrl(input)) {
    throw new RangeError('readBatches: header: a Redis stream\'s entries hold records only (several members read one stream, so there is no first line to skip)');
  }
  const stats: ReadStats = { records: 0, bytes: 0, batches: 0, badRecords: {} };
  let pool: BatchPool | undefined;
  let source: Source | undefined;
  const stream: BatchStream = {
    stats,
    featureDim: declaredFeatureDim(format, options),
    sparse: isSparseFormat(format, options),
    totalBytes: undefined,
    seekable: undefined,
    poolBytes: () => pool?.bytes ?? 0,
    commit: async (upTo) => { await source?.commit?.(upTo); },
    close: async () => { await source?.close?.(); },
    [Symbol.asyncIterator]: () => {
      const batches = parseAhead(input, options, format, stream, (made) => { pool = made; }, (opened) => { source = opened; });
      return options.shuffleBuffer ? shuffled(batches, () => pool!, options) : batches;
    },
  };
  return stream;
}

/** `promise`, or an AbortError as soon as `signal` fires (the promise is left to settle by itself). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  // Observed before any early exit: a queue the producer failed (with this same abort) hands back an
  // already rejected take, and leaving it unobserved was an unhandled rejection (exit 1, not 130).
  promise.catch(() => undefined);
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new DOMException('training was aborted', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort!));
}

/**
 * Runs the producer (open the source, parse into pooled batches) ahead of the consumer, at most
 * `prefetch` batches ahead. Each batch returns to the pool when the consumer asks for the next.
 */
/**
 * Values one dense batch may hold: 2³¹ − 1 (8 GiB of float32, already more than a pool of such
 * batches could take; V8 refuses typed arrays past 2³² − 1 elements).
 */
const maxTypedArrayLength = 2 ** 31 - 1;

/**
 * The most rows to advise for a batch of `perRow` values a row: an algorithm may round a batch up to
 * whole optimizer steps (the linear learner's mini_batch_size, up to 1,024 rows), so past 2,048 rows
 * the advice leaves 1,024 rows for that rounding.
 */
function adviseRows(perRow: number): number {
  const most = Math.max(1, Math.floor(maxTypedArrayLength / perRow));
  return most > 2048 ? most - 1024 : most;
}

async function* parseAhead(input: SourceInput, options: ReadOptions, format: FormatName, stream: BatchStream,
  onPool: (pool: BatchPool) => void, onSource: (source: Source) => void): AsyncGenerator<ReadBatch> {
  const queue = new BoundedQueue<ReadBatch>(options.prefetch ?? 2);
  let pool: BatchPool | undefined;
  const producer: Producer = {
    options, format, queue, stats: stream.stats, featureDim: stream.featureDim,
    makePool: (featureDim) => {
      stream.featureDim = featureDim;
      const nnzCapacity = options.nnzPerBatch ?? Math.max(65536, options.miniBatchSize * 128);
      const rows = batchRowsOf(options, featureDim, stream.sparse);
      // A dense batch is rows × features floats: past what one typed array holds, say what to lower
      // (Node's own words were `Invalid typed array length: 10649595904`).
      if (!stream.sparse && rows * featureDim > maxTypedArrayLength) {
        throw new DataError(`a batch of ${rows} rows × ${featureDim} features is ${rows * featureDim} values, more than one array holds (${maxTypedArrayLength}): ` +
          `lower --mini-batch-size (miniBatchSize in the API) to at most ${adviseRows(featureDim)}`);
      }
      // A sparse batch holds 128 entries a row unless nnzPerBatch says otherwise: the same limit (Node's words: `Invalid typed array length: 12800000000`).
      if (stream.sparse && nnzCapacity > maxTypedArrayLength) {
        throw new DataError(`a sparse batch of ${rows} rows holds ${nnzCapacity} entries (${options.nnzPerBatch !== undefined ? 'nnzPerBatch' : '128 a row'}), ` +
          `more than one array holds (${maxTypedArrayLength}): lower --mini-batch-size (miniBatchSize in the API) to at most ${adviseRows(128)}` +
          `${options.nnzPerBatch !== undefined ? ', or nnzPerBatch' : ''}`);
      }
      const buffers = (options.prefetch ?? 2) + 2;
      try {
        pool = new BatchPool({
          sparse: stream.sparse, rows, cols: featureDim, labelSize: format === 'text' ? 0 : options.labelSize ?? 1,
          nnzCapacity, ...(format === 'text' ? { wordBytes: nnzCapacity * textWordBytesPerEntry } : {}),
        }, buffers);
      } catch (error) {
        // Node's own words were `Array buffer allocation failed`: say how much, and what to lower.
        if (!(error instanceof RangeError) || !/allocation failed/i.test(error.message)) throw error;
        const values = stream.sparse ? nnzCapacity : rows * featureDim;
        throw new DataError(`the reader's ${buffers} batch buffers of ${rows} rows (${stream.sparse ? `${nnzCapacity} non-zeros` : `× ${featureDim} features`}) ` +
          `need about ${(buffers * values * (stream.sparse ? 8 : 4) / 2 ** 30).toFixed(1)} GiB, which this process could not allocate: ` +
          'lower --mini-batch-size (miniBatchSize in the API)');
      }
      onPool(pool);
      return pool;
    },
  };
  const produced = produce(input, producer, stream, onSource)
    .then(() => queue.close(), async (error) => (error instanceof ConsumerGone ? queue.close() : queue.fail(await withFileLine(error))));
  let previous: ReadBatch | undefined;
  try {
    for (;;) {
      // A stop while the producer waits for input (a quiet Redis stream) ends the wait, not only the next batch.
      const next = await untilAborted(queue.take(), options.signal);
      if (previous) pool!.release(previous);
      previous = undefined;
      if (next.done) break;
      options.signal?.throwIfAborted();
      previous = next.value;
      yield next.value;
    }
  } catch (error) {
    // A stop is an AbortError whatever the signal's reason (AbortSignal.timeout's TimeoutError, a
    // service's abort(new Error('SIGTERM'))), kept as its cause: the trainer writes its checkpoint on
    // an AbortError, and a TimeoutError from a stream's pending read skipped it.
    if (options.signal?.aborted) throw stopError(options.signal);
    throw error;
  } finally {
    if (previous) pool?.release(previous);
    queue.close();
    await produced;
  }
}

/** Opens the source, says on the stream what it is (sparse, size), and runs the matching parse stage. */
async function produce(input: SourceInput, producer: Producer, stream: BatchStream, onSource: (source: Source) => void): Promise<void> {
  const { options, format, stats } = producer;
  const source = await openSource(input, {
    ...options.files, redis: options.redis,
    redisSettings: {
      format, onBadRecord: options.onBadRecord ?? 'error',
      countSkipped: (reason) => { stats.badRecords[reason] = (stats.badRecords[reason] ?? 0) + 1; },
      signal: options.signal,
    },
  });
  onSource(source);
  stream.seekable = source.seekable;
  stream.sparse = source.kind === 'bytes' && isSparseFormat(producer.format, producer.options);
  if (source.kind === 'records') {
    // Records arrive as values, not CSV text: there are no columns to read past.
    if (options.ignoreColumns?.length) throw new RangeError('readBatches: ignoreColumns is for CSV text; records given as arrays or objects are read as they are (leave those values out of them)');
    return produceFromRecords(producer, source);
  }
  stream.totalBytes = source.totalBytes;
  return produceFromBytes(producer, source);
}

/**
 * Shuffles rows through a buffer of batches. Each shuffled batch carries the position of the
 * newest input batch read, so a resumed shuffled run skips the rows that were still buffered.
 */
async function* shuffled(input: AsyncGenerator<ReadBatch>, pool: () => BatchPool, options: ReadOptions):
  AsyncGenerator<ReadBatch> {
  let latest: SourcePosition = options.start ?? { fileIndex: 0, byteOffset: 0, records: 0 };
  async function* tracked() {
    for await (const batch of input) {
      latest = batch.position;
      yield batch;
    }
  }
  const batches = tracked();
  // The pool's shape is known once the first batch is out.
  const first = await batches.next();
  if (first.done) return;
  async function* replay() {
    yield first.value!;
    yield* batches;
  }
  for await (const batch of shuffleBatches(replay(), pool().shape, { capacity: options.shuffleBuffer!, seed: options.seed })) {
    yield Object.assign(batch, { position: { ...latest } });
  }
}
