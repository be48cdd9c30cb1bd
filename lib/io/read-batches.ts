// The path every byte of training data takes: source → native parser →
// pooled batch buffers → the consumer. A producer task parses ahead into a
// bounded queue (parsing runs on libuv threads, so it overlaps with
// training); the consumer gets each batch with the source position after
// it, and the batch goes back to the pool when the consumer asks for the
// next one. Memory is the pool, fixed by mini_batch_size and prefetch.
import { loadCoreAddon, type NativeFeedResult, type NativeStreamParser } from '../backends/native-addon.js';
import { BatchPool, type PooledBatch } from '../data/batch-pool.js';
import { BoundedQueue } from './bounded-queue.js';
import { shuffleBatches } from '../data/shuffle-buffer.js';
import type { ByteChunk, ByteSource, RecordInput, RecordSource, SourcePosition } from './sources/types.js';
import { openSource, type SourceInput } from './sources/open-source.js';
import type { FileSourceOptions } from './sources/files.js';

export type FormatName = 'csv' | 'libsvm' | 'vw' | 'jsonl' | 'recordio';
export const formatNames: readonly FormatName[] = ['csv', 'libsvm', 'vw', 'jsonl', 'recordio'];

export interface ReadOptions {
  format?: FormatName;
  /** Rows per batch. */
  miniBatchSize: number;
  /**
   * Features per row: CSV infers it from the first record when absent; libsvm, JSON Lines and
   * recordIO need it (the index bound for sparse data); VW uses 2^hashBits.
   */
  featureDim?: number;
  /** JSON Lines and recordIO: produce sparse CSR batches (default dense). */
  sparse?: boolean;
  /** 1: each record has a label; 0: unsupervised. */
  labelSize?: 0 | 1;
  /** CSV: the label's column (default 0, the first, as SageMaker). */
  labelColumn?: number;
  /** CSV: skip the first line of each file. */
  header?: boolean;
  /** CSV: one byte (default ','). */
  delimiter?: string;
  /** libsvm: indices start at 0 instead of 1. */
  zeroBased?: boolean;
  /** VW: hash features into 2^hashBits buckets (default 18). */
  hashBits?: number;
  onBadRecord?: 'error' | 'skip';
  /** Longest record, in bytes, that may be split across chunks (default 1 MiB). */
  maxRecordBytes?: number;
  /** Sparse formats: non-zeros one batch holds (default 128 per row). */
  nnzPerBatch?: number;
  /** Batches parsed ahead of the consumer (default 2). */
  prefetch?: number;
  /**
   * Shuffle rows through a buffer of this many batches (SageMaker's shuffle_buffer), seeded by
   * `seed`. A shuffled batch's position is that of the newest input batch in the buffer, so a
   * resumed shuffled run skips the rows that were still buffered.
   */
  shuffleBuffer?: number;
  seed?: number;
  /** Where to start: a position a checkpoint stored. */
  start?: SourcePosition;
  /** For paths: this worker's shard of the files, and the read size. */
  files?: FileSourceOptions;
  signal?: AbortSignal;
}

export type ReadBatch = PooledBatch & { position: SourcePosition };

export interface ReadStats {
  records: number;
  bytes: number;
  batches: number;
  /** Skipped records by reason (with onBadRecord 'skip'); all zero otherwise. */
  badRecords: Record<string, number>;
}

/** A stream of batches; `stats` and `featureDim` are filled in as it runs. */
export interface BatchStream extends AsyncIterable<ReadBatch> {
  readonly stats: ReadStats;
  /** Known once the first batch is out (CSV infers it from the first record). */
  featureDim: number | undefined;
  /** Sparse CSR batches (libsvm, VW) or dense rows (CSV, records); known once the source is open. */
  sparse: boolean;
  /** Memory the stream's buffers hold, fixed once it starts. */
  poolBytes(): number;
  /** Total bytes of the source when known (files), once it is open: for progress and ETA. */
  totalBytes: number | undefined;
}

export class DataError extends Error {
  override name = 'DataError';
}

/** Thrown inside the producer when the consumer has gone; ends it quietly. */
class ConsumerGone extends Error {}

function isSparse(format: FormatName, options: ReadOptions): boolean {
  return format === 'libsvm' || format === 'vw' || ((format === 'jsonl' || format === 'recordio') && options.sparse === true);
}

/** Features per row of a CSV file, from its first record; null while no whole record has arrived. */
function inferCsvWidth(head: Uint8Array, name: string, options: ReadOptions, complete: boolean): number | null {
  const text = Buffer.from(head.buffer, head.byteOffset, head.length).toString('utf8');
  const lines = text.split('\n');
  if (!complete) lines.pop(); // the last piece may be a partial line
  const first = lines.slice(options.header ? 1 : 0).find((line) => line.trim() !== '');
  if (first === undefined) {
    const limit = options.maxRecordBytes ?? 1 << 20;
    if (head.length > limit) throw new DataError(`${name}, line 1: record is longer than ${limit} bytes (max_record_bytes)`);
    if (complete) throw new DataError(`${name}: cannot infer feature_dim: no record found; pass featureDim`);
    return null;
  }
  const columns = first.split(options.delimiter ?? ',').length;
  const width = columns - (options.labelSize === 0 ? 0 : 1);
  if (options.labelSize !== 0 && (options.labelColumn ?? 0) >= columns) {
    throw new DataError(`${name}: labelColumn ${options.labelColumn} is beyond the first record's ${columns} columns`);
  }
  if (width < 1) throw new DataError(`${name}: the first record has no feature columns`);
  return width;
}

function validateOptions(options: ReadOptions, format: FormatName): void {
  const fail = (why: string): never => { throw new RangeError(`readBatches: ${why}`); };
  if (!Number.isSafeInteger(options.miniBatchSize) || options.miniBatchSize < 1) fail(`miniBatchSize must be a positive integer, got ${options.miniBatchSize}`);
  if (options.featureDim !== undefined && (!Number.isSafeInteger(options.featureDim) || options.featureDim < 1)) {
    fail(`featureDim must be a positive integer, got ${options.featureDim}`);
  }
  if (!formatNames.includes(format)) fail(`format must be one of ${formatNames.join(', ')}, got ${JSON.stringify(format)}`);
  if ((format === 'libsvm' || format === 'jsonl' || format === 'recordio') && options.featureDim === undefined) {
    fail(`${format} needs featureDim (the number of features; for sparse data, the index bound)`);
  }
  if (options.hashBits !== undefined && (!Number.isInteger(options.hashBits) || options.hashBits < 1 || options.hashBits > 31)) {
    fail(`hashBits must be an integer in [1, 31], got ${options.hashBits}`);
  }
  if (options.delimiter !== undefined && Buffer.byteLength(options.delimiter) !== 1) fail(`delimiter must be one byte, got ${JSON.stringify(options.delimiter)}`);
  if (options.labelColumn !== undefined && (!Number.isSafeInteger(options.labelColumn) || options.labelColumn < 0 ||
    (options.featureDim !== undefined && options.labelColumn > options.featureDim))) {
    fail(`labelColumn must be an integer in [0, ${options.featureDim ?? 'featureDim'}], got ${options.labelColumn}`);
  }
  if (options.shuffleBuffer !== undefined && (!Number.isSafeInteger(options.shuffleBuffer) || options.shuffleBuffer < 1)) {
    fail(`shuffleBuffer must be a positive integer (batches), got ${options.shuffleBuffer}`);
  }
  if (options.onBadRecord !== undefined && options.onBadRecord !== 'error' && options.onBadRecord !== 'skip') {
    fail(`onBadRecord must be 'error' or 'skip', got ${JSON.stringify(options.onBadRecord)}`);
  }
}

/** Batches from a source. Iterate once; each batch is valid until the next is requested. */
export function readBatches(input: SourceInput, options: ReadOptions): BatchStream {
  const format: FormatName = options.format ?? 'csv';
  validateOptions(options, format);
  let sparse = isSparse(format, options);
  const stats: ReadStats = { records: 0, bytes: 0, batches: 0, badRecords: {} };
  let pool: BatchPool | undefined;
  const stream: BatchStream = {
    stats,
    featureDim: format === 'vw' ? 2 ** (options.hashBits ?? 18) : options.featureDim,
    sparse,
    totalBytes: undefined,
    poolBytes: () => pool?.bytes ?? 0,
    [Symbol.asyncIterator]: () => (options.shuffleBuffer ? shuffled() : iterate()),
  };

  async function* shuffled(): AsyncGenerator<ReadBatch> {
    let latest: SourcePosition = options.start ?? { fileIndex: 0, byteOffset: 0, records: 0 };
    async function* tracked() {
      for await (const batch of iterate()) {
        latest = batch.position;
        yield batch;
      }
    }
    const input = tracked();
    // The pool's shape is known once the first batch is out.
    const first = await input.next();
    if (first.done) return;
    async function* replay() {
      yield first.value!;
      yield* input;
    }
    for await (const batch of shuffleBatches(replay(), pool!.shape, { capacity: options.shuffleBuffer!, seed: options.seed })) {
      yield Object.assign(batch, { position: { ...latest } });
    }
  }

  const makePool = (featureDim: number): BatchPool => {
    stream.featureDim = featureDim;
    pool = new BatchPool({
      sparse, rows: options.miniBatchSize, cols: featureDim, labelSize: options.labelSize ?? 1,
      nnzCapacity: options.nnzPerBatch ?? Math.max(65536, options.miniBatchSize * 128),
    }, (options.prefetch ?? 2) + 2);
    return pool;
  };

  async function* iterate(): AsyncGenerator<ReadBatch> {
    const queue = new BoundedQueue<ReadBatch>(options.prefetch ?? 2);
    const producer = openSource(input, options.files).then((source) => {
      sparse = stream.sparse = source.kind === 'bytes' && isSparse(format, options);
      if (source.kind === 'bytes') stream.totalBytes = source.totalBytes;
      return source.kind === 'bytes' ? produceFromBytes(source, queue) : produceFromRecords(source, queue);
    }).then(() => queue.close(), (error) => (error instanceof ConsumerGone ? queue.close() : queue.fail(error)));
    let previous: ReadBatch | undefined;
    try {
      for (;;) {
        const next = await queue.take();
        if (previous) pool!.release(previous);
        previous = undefined;
        if (next.done) break;
        options.signal?.throwIfAborted();
        previous = next.value;
        yield next.value;
      }
    } finally {
      if (previous) pool?.release(previous);
      queue.close();
      await producer;
    }
  }

  async function produceFromBytes(byteSource: ByteSource, queue: BoundedQueue<ReadBatch>): Promise<void> {
    const upstream = byteSource.chunks(options.start)[Symbol.asyncIterator]();
    // CSV without featureDim: read ahead until the first record is whole, infer its width, replay.
    const head: ByteChunk[] = [];
    let featureDim = format === 'csv' ? options.featureDim : stream.featureDim;
    while (featureDim === undefined) {
      const next = await upstream.next();
      // Sources may reuse a chunk's buffer for the next one: keep copies while reading ahead.
      if (!next.done) head.push({ ...next.value, data: Uint8Array.from(next.value.data) });
      const bytes = Buffer.concat(head.map((c) => c.data));
      featureDim = inferCsvWidth(bytes, head[0]?.name ?? byteSource.description, options, next.done === true) ?? undefined;
    }
    const chunks: AsyncIterator<ByteChunk> = {
      next: () => head.length > 0 ? Promise.resolve({ value: head.shift()!, done: false }) : upstream.next(),
    };
    let step = await chunks.next();
    if (step.done) return;
    const batches = makePool(featureDim);
    const labelSize = options.labelSize ?? 1;
    const parser: NativeStreamParser = new (loadCoreAddon().StreamParser)({
      format, featureDim, delimiter: options.delimiter, header: options.header, zeroBased: options.zeroBased,
      hashBits: options.hashBits, maxRecordBytes: options.maxRecordBytes, skipBad: options.onBadRecord === 'skip',
      labelColumn: labelSize === 0 ? -1 : (options.labelColumn ?? 0), labelsRequired: labelSize > 0,
    });
    let batch = await batches.acquire();
    const target = (b: PooledBatch) => parser.setTarget(b.values, b.labels ?? null, b.weights ?? null,
      b.kind === 'sparse' ? b.indptr : null, b.kind === 'sparse' ? b.indices : null,
      batches.shape.rows, b.kind === 'sparse' ? b.values.length : 0);
    target(batch);
    let current: ByteChunk | undefined;
    let recordsBefore = options.start?.records ?? 0;

    const check = (result: NativeFeedResult): void => {
      if (result.error !== undefined) {
        const where = current!.baseOffset > 0 ? `${current!.name} (resumed at byte ${current!.baseOffset})` : current!.name;
        throw new DataError(`${where}, ${result.error}`);
      }
    };
    const emit = async (result: NativeFeedResult): Promise<void> => {
      batch.rows = result.rows;
      if (batch.kind === 'sparse') batch.indptr[batch.rows] = result.nnz;
      stats.records += result.rows;
      stats.batches++;
      recordsBefore += result.rows;
      const position = { fileIndex: current!.fileIndex, byteOffset: current!.baseOffset + result.committed, records: recordsBefore };
      if (!await queue.push(Object.assign(batch, { position }))) throw new ConsumerGone();
      batch = await batches.acquire();
      target(batch);
    };
    const finishFile = async (): Promise<void> => {
      for (;;) {
        const result = parser.finish();
        check(result);
        if (!result.full) {
          batch.rows = result.rows;
          return;
        }
        await emit(result);
      }
    };

    try {
      await parseAll();
    } finally {
      await upstream.return?.();
    }

    async function parseAll(): Promise<void> {
    for (; !step.done; step = await chunks.next()) {
      options.signal?.throwIfAborted();
      if (queue.isClosed) throw new ConsumerGone();
      const chunk = step.value;
      if (chunk.fileStart) {
        if (current) await finishFile();
        parser.startFile(chunk.baseOffset === 0);
      }
      current = chunk;
      stats.bytes += chunk.data.length;
      let data = chunk.data;
      while (data.length > 0) {
        const result = await parser.feed(data);
        check(result);
        data = data.subarray(result.consumed);
        if (result.full) await emit(result);
        else if (result.consumed === 0) throw new Error('parser made no progress (a bug): please report it');
        else batch.rows = result.rows;
      }
    }
    if (current) await finishFile();
    const last = parser.finish();
    if (last.rows > 0) await emit(last);
    else batches.release(batch);
    for (const [reason, count] of Object.entries(parser.stats().bad)) if (count > 0) stats.badRecords[reason] = count;
    }
  }

  async function produceFromRecords(recordSource: RecordSource, queue: BoundedQueue<ReadBatch>): Promise<void> {
    const labelSize = options.labelSize ?? 1;
    const skip = options.onBadRecord === 'skip';
    let batches: BatchPool | undefined;
    let batch: PooledBatch | undefined;
    let index = options.start?.records ?? 0;
    let taken = index;
    for await (const record of recordSource.records(options.start)) {
      options.signal?.throwIfAborted();
      if (queue.isClosed) throw new ConsumerGone();
      const { features, label, weight } = splitRecord(record, labelSize);
      if (!batches) batches = makePool(options.featureDim ?? features.length);
      if (!batch) batch = await batches.acquire();
      const width = batches.shape.cols;
      const reject = (why: string, reason: string): boolean => {
        if (!skip) throw new DataError(`${recordSource.description}, record ${index}: ${why}`);
        stats.badRecords[reason] = (stats.badRecords[reason] ?? 0) + 1;
        return false;
      };
      const ok = features.length !== width ? reject(`has ${features.length} features, expected ${width}`, 'column_count')
        : labelSize > 0 && !Number.isFinite(label) ? reject(`label ${label} is not a finite number`, label === undefined ? 'missing_label' : 'non_finite')
          : !allFinite(features) ? reject('has a non-finite feature', 'non_finite')
            : true;
      index++;
      taken++;
      if (!ok) continue;
      batch.values.set(features, batch.rows * width);
      if (batch.labels) batch.labels[batch.rows] = label!;
      if (batch.weights) batch.weights[batch.rows] = weight ?? 1;
      batch.rows++;
      stats.records++;
      if (batch.rows === batches.shape.rows) {
        stats.batches++;
        if (!await queue.push(Object.assign(batch, { position: { fileIndex: 0, byteOffset: 0, records: taken } }))) throw new ConsumerGone();
        batch = undefined;
      }
    }
    if (batch && batch.rows > 0) {
      stats.batches++;
      await queue.push(Object.assign(batch, { position: { fileIndex: 0, byteOffset: 0, records: taken } }));
    } else if (batch) {
      batches!.release(batch);
    }
  }

  return stream;
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

function splitRecord(record: RecordInput, labelSize: number): { features: ArrayLike<number>; label?: number; weight?: number } {
  if (ArrayBuffer.isView(record) || Array.isArray(record)) {
    const values = record as ArrayLike<number> & { subarray?: (a: number) => ArrayLike<number>; slice: (a: number) => ArrayLike<number> };
    if (labelSize === 0) return { features: values };
    return { label: Number(values[0]), features: values.subarray ? values.subarray(1) : values.slice(1) };
  }
  if (typeof record === 'object' && record !== null && 'features' in record) {
    return { features: record.features, label: record.label, weight: record.weight };
  }
  throw new DataError(`record ${JSON.stringify(record)?.slice(0, 80)} is neither an array nor {features, label}`);
}
