// What the stages of readBatches share: the stream the consumer sees, and
// the producer's side of it — the options, the counters, the queue towards
// the consumer and the pool the batches come from.
import type { BatchPool, PooledBatch } from '../data/batch-pool.js';
import type { BoundedQueue } from './bounded-queue.js';
import type { FormatName, ReadOptions } from './read-options.js';
import type { SourcePosition } from './sources/types.js';

export type ReadBatch = PooledBatch & { position: SourcePosition };

export interface ReadStats {
  records: number;
  bytes: number;
  batches: number;
  /** Skipped records by reason (with onBadRecord 'skip'); all zero otherwise. */
  badRecords: Record<string, number>;
  /** Blank lines (and libsvm comment lines) of text input read past, no records, once the stream has ended; undefined for other input. */
  blankLines?: number;
  /** CSV with a header: the names of the first file's feature columns, and that file (every later file's must be the same). */
  featureNames?: { names: string[]; file: string };
}

/** An input that is told when a stored state holds what it delivered (what a trainer sees of a BatchStream after a pass). */
export interface CommittableInput {
  /**
   * Tells the source that a stored state (a checkpoint, a saved model) holds the input up to
   * `upTo`: a batch's position, or 'end' once the stream has been read to its end. A Redis
   * stream acknowledges the entries (XACK); files and other streams have nothing to do.
   */
  commit(upTo: SourcePosition | 'end'): Promise<void>;
  /** Releases what the source holds after reading (a Redis stream's connection and heartbeat); commit still works after. */
  close(): Promise<void>;
}

/** A stream of batches; `stats` and `featureDim` are filled in as it runs. */
export interface BatchStream extends AsyncIterable<ReadBatch>, CommittableInput {
  readonly stats: ReadStats;
  /** Known once the first batch is out (CSV infers it from the first record). */
  featureDim: number | undefined;
  /** Sparse CSR batches (libsvm, VW) or dense rows (CSV, records); known once the source is open. */
  sparse: boolean;
  /** Memory the stream's buffers hold, fixed once it starts. */
  poolBytes(): number;
  /** Total bytes of the source when known (files), once it is open: for progress and ETA. */
  totalBytes: number | undefined;
  /** Whether the source can be read again or from a position (files), once it is open; streams cannot. */
  seekable: boolean | undefined;
}

/** A producer stage's view of one read: it fills batches from the pool and pushes them to the queue. */
export interface Producer {
  readonly options: ReadOptions;
  readonly format: FormatName;
  readonly stats: ReadStats;
  readonly queue: BoundedQueue<ReadBatch>;
  /** Features per row known before reading (VW's hashed space, or featureDim). */
  readonly featureDim: number | undefined;
  /** The pool, made once the row width is known; sparse or dense as the source decided. */
  makePool(featureDim: number): BatchPool;
}

/** Thrown inside a producer when the consumer has gone; ends it quietly. */
export class ConsumerGone extends Error {}

/** Hands a filled batch to the consumer; throws ConsumerGone when the consumer has left. */
export async function deliver(producer: Producer, batch: PooledBatch, position: SourcePosition): Promise<void> {
  producer.stats.batches++;
  if (!await producer.queue.push(Object.assign(batch, { position }))) throw new ConsumerGone();
}
