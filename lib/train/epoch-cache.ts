// A file channel's parsed batches, kept in memory after one whole pass, so that
// later epochs train from them instead of reading and parsing the file again
// (VW keeps a cache file for its later passes; SageMaker's File mode copies the
// data once onto local disk). Parsing is most of an epoch's work for the
// linear learner, whose default is 15 epochs.
//
// Memory stays bounded by a setting, not by the data: the cache holds at most
// `budgetBytes` (TrainOptions.epochCacheBytes, default 512 MiB). A channel
// that needs more is dropped at the batch that overflows and is read from its
// file every epoch, as without a cache; metrics.epochCache says which happened.
//
// Replayed batches are copies of what the reader delivered — rows, labels,
// weights, positions — in the order delivered, shuffled or not (the shuffle
// buffer's seed is the same every epoch, so a re-read gives that order too): a
// run trains on the same batches with the cache as without it, to the byte, and
// its checkpoints hold the same positions, so a crash in a cached epoch resumes
// from the file.
import { loadCoreAddon } from '../backends/native-addon.js';
import { markKept, releaseKeptBatches } from '../data/kept-batches.js';
import type { ReadBatch } from '../io/batch-stream.js';

/** The default budget: 512 MiB, about 2M rows of 64 float32 features with their labels and weights. */
export const defaultEpochCacheBytes = 512 * 2 ** 20;

/** What metrics.epochCache reports of a channel's cache (absent when the run had one epoch). */
export interface EpochCacheReport {
  /** Epochs (or validation passes) served from memory instead of the file. */
  epochsFromCache: number;
  /**
   * Bytes of memory the cache holds (or held, before the run ended): its buffers, which the budget bounds — the
   * batches' arrays and the unused ends of the buffers they are carved from. 0 when the channel was not cached.
   */
  bytes: number;
  /** Batches it holds (0 when the channel was not cached). */
  batches: number;
  /** Why the channel was read from its file every epoch, when it was (too large, a stream, workers, off). */
  notCached?: string;
}

/** What the trainer reads of a pass besides its batches (a BatchStream's fields, or the cache's copy of them). */
export interface PassSource extends AsyncIterable<ReadBatch> {
  readonly stats: { bytes: number; badRecords: Record<string, number> };
  readonly totalBytes: number | undefined;
  readonly seekable: boolean | undefined;
}

// Cached arrays are carved out of chunks, 64 KiB at first and doubling to 8 MiB: 400 batches of a
// large file make a few dozen allocations, not 1,600 (each typed array its own pages to fault in),
// and a small file does not take 8 MiB. An array of a quarter of the largest chunk or more gets a
// buffer of its own, of its size: carved out of chunks, wide rows (a 1,300-feature batch is 5 MiB)
// left a chunk's end unused at almost every batch, a third of what the budget bought.
const firstChunkBytes = 64 * 2 ** 10;
const largestChunkBytes = 8 * 2 ** 20;
const ownBufferBytes = largestChunkBytes / 4;

/** A size in the reason a channel is not cached: MiB to one decimal from 1 MiB up, bytes below. */
export function describeBytes(bytes: number): string {
  if (bytes < 2 ** 20) return `${bytes} bytes`;
  return `${(bytes / 2 ** 20).toFixed(bytes % 2 ** 20 === 0 ? 0 : 1)} MiB`;
}

/** Typed arrays carved out of large ArrayBuffers, counted against a budget. */
class Arena {
  private chunk: ArrayBuffer | undefined;
  private used = 0;
  /** Bytes of every buffer allocated: what the budget bounds, and what the report gives. */
  allocated = 0;

  constructor(private readonly budget: number) {}

  /** An array for a copy of `source` (not yet written), or undefined when it would take the arena past its budget. */
  place<T extends Float32Array | Int32Array | Uint32Array | Uint8Array>(source: T): T | undefined {
    const size = source.byteLength;
    const ctor = source.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => T;
    if (size >= ownBufferBytes) {
      if (this.allocated + size > this.budget) return undefined;
      this.allocated += size;
      return new ctor(new ArrayBuffer(size), 0, source.length);
    }
    const offset = Math.ceil(this.used / 8) * 8;
    if (!this.chunk || offset + size > this.chunk.byteLength) {
      const grown = Math.min(largestChunkBytes, Math.max(firstChunkBytes, 2 * (this.chunk?.byteLength ?? 0), size));
      const next = Math.min(grown, this.budget - this.allocated);
      if (next < size) return undefined;
      this.chunk = new ArrayBuffer(next);
      this.allocated += next;
      this.used = 0;
      return this.place(source);
    }
    this.used = offset + size;
    return new ctor(this.chunk, offset, source.length);
  }
}

/** A batch's copy being made: its arrays in the arena, and what goes into each (copyArrays' arguments). */
interface PlannedCopy {
  batch: ReadBatch;
  sources: ArrayBufferView[];
  targets: ArrayBufferView[];
  rebase: boolean[];
}

/** Places the arrays of copies in the arena and lists what each copies. */
class CopyPlan {
  readonly sources: ArrayBufferView[] = [];
  readonly targets: ArrayBufferView[] = [];
  readonly rebase: boolean[] = [];
  fits = true;

  constructor(private readonly arena: Arena) {}

  /** A place for `source`'s copy (rebased: less its first element, so it starts at 0); undefined once anything did not fit. */
  add<T extends Float32Array | Int32Array | Uint32Array | Uint8Array>(source: T, rebase = false): T | undefined {
    const target = this.fits ? this.arena.place(source) : undefined;
    if (!target) {
      this.fits = false;
      return undefined;
    }
    this.sources.push(source);
    this.targets.push(target);
    this.rebase.push(rebase);
    return target;
  }
}

/**
 * Places a copy of a batch's filled part in the arena (exact lengths; a sparse batch's entries start
 * at 0) and lists the copies to make; undefined when it does not fit. The copying itself is
 * copyArrays' (a libuv thread): work proportional to the data stays off the event loop.
 */
function planBatchCopy(batch: ReadBatch, arena: Arena): PlannedCopy | undefined {
  const { rows } = batch;
  const plan = new CopyPlan(arena);
  const done = (copy: ReadBatch): PlannedCopy | undefined => (plan.fits ? { batch: copy, ...plan } : undefined);
  // Pools hold one label per row when they hold labels (labelSize 1).
  const labels = batch.labels ? plan.add(batch.labels.subarray(0, rows)) : undefined;
  const weights = batch.weights ? plan.add(batch.weights.subarray(0, rows)) : undefined;
  const position = structuredClone(batch.position);
  if (batch.kind === 'dense') {
    const values = plan.add(batch.values.subarray(0, rows * batch.cols));
    return done({ kind: 'dense', slot: -1, rows, cols: batch.cols, values: values!, labels, weights, position });
  }
  const first = batch.indptr[0];
  const end = batch.indptr[rows];
  const indptr = plan.add(batch.indptr.subarray(0, rows + 1), true);
  const indices = plan.add(batch.indices.subarray(first, end));
  const values = plan.add(batch.values.subarray(first, end));
  let words: { offsets: Uint32Array; bytes: Uint8Array } | undefined;
  if (batch.words) {
    const offsets = plan.add(batch.words.offsets.subarray(first, end + 1), true);
    const bytes = plan.add(batch.words.bytes.subarray(batch.words.offsets[first], batch.words.offsets[end]));
    words = offsets && bytes ? { offsets, bytes } : undefined;
  }
  return done({ kind: 'sparse', slot: -1, rows, cols: batch.cols, indptr: indptr!, indices: indices!, values: values!, labels, weights,
    ...(words ? { words } : {}), position });
}

interface CachedBatch {
  batch: ReadBatch;
  /** The reader's bytes-read counter when it delivered the batch (progress events replay it). */
  bytesRead: number;
}

/**
 * One channel's cache: `record` copies the batches of a pass from the channel's start as they go
 * by; once that pass ends, `replay` serves later passes from memory.
 */
export class EpochCache {
  private arena: Arena;
  private kept: CachedBatch[] = [];
  private pass: { bytes: number; badRecords: Record<string, number>; totalBytes: number | undefined } | undefined;
  private served = 0;
  private why: string | undefined;
  /** What the cache holds (kept for the report once released; 0 once dropped). */
  private held = { bytes: 0, batches: 0 };
  /** The channel turned out to be a stream, read once: the run has one epoch. */
  private readOnce = false;
  private released = false;
  /** The kept batches' ids (kept-batches.ts), first..last; a GPU backend may hold their arrays on the device. */
  private ids = { first: 0, last: -1 };

  /**
   * `budgetBytes` 0 turns the cache off (`off` says why in the report). `budgetWords` names the budget in
   * the report's reason (default: epochCacheBytes and its size).
   */
  constructor(private readonly budgetBytes: number, private readonly channel: string, off?: string,
    private readonly budgetWords = `epochCacheBytes (${describeBytes(budgetBytes)})`) {
    this.arena = new Arena(budgetBytes);
    if (budgetBytes === 0) this.why = off ?? 'epochCacheBytes is 0';
    else if (off) this.why = off;
  }

  /** Whether a whole pass is in memory. */
  get complete(): boolean {
    return this.pass !== undefined;
  }

  /** Whether the channel was a stream (stdin, a pipe, Redis), which the run reads once. */
  get isStream(): boolean {
    return this.readOnce;
  }

  /** Whether a pass read from the file should be recorded. */
  get recording(): boolean {
    return this.why === undefined && this.pass === undefined && !this.released;
  }

  report(): EpochCacheReport {
    return { epochsFromCache: this.served, ...this.held, ...(this.why ? { notCached: this.why } : {}) };
  }

  /** Drops what is held and stops recording, saying why (the run reads the file every epoch). */
  drop(why: string): void {
    this.why ??= why;
    this.letGo();
    this.held = { bytes: 0, batches: 0 };
    this.kept = [];
    this.pass = undefined;
    this.arena = new Arena(0);
  }

  /** Frees the batches (the run has no epoch left to read), keeping the report. */
  release(): void {
    this.released = true;
    this.letGo();
    this.kept = [];
    this.pass = undefined;
    this.arena = new Arena(0);
  }

  /**
   * The batches of `stream` (a pass from the channel's start), copied as they go by. A batch's copy
   * is made on a libuv thread while the consumer trains on it (neither writes it: an algorithm may
   * not change its batch), and is finished before the reader is asked for the next batch, which
   * may reuse the batch's buffers.
   */
  async *record(stream: PassSource): AsyncGenerator<ReadBatch> {
    const kept: CachedBatch[] = [];
    this.kept = kept;
    for await (const batch of stream) {
      // Read once (stdin, a pipe, Redis): the trainer stops after this pass, so there is nothing to serve.
      if (stream.seekable === false) this.readOnce = true;
      if (stream.seekable === false && this.recording) this.drop(`the ${this.channel} channel is a stream, read once`);
      const copying = this.recording && this.kept === kept ? this.keep(batch, stream.stats.bytes, kept) : undefined;
      try {
        yield batch;
      } finally {
        await copying;
      }
    }
    if (!this.recording || this.kept !== kept) return;
    this.pass = { bytes: stream.stats.bytes, badRecords: { ...stream.stats.badRecords }, totalBytes: stream.totalBytes };
  }

  /** Starts the copy of a batch into the arena (its promise), or drops the cache when it cannot hold the batch. */
  private keep(batch: ReadBatch, bytesRead: number, kept: CachedBatch[]): Promise<void> | undefined {
    if ((batch as { kind: string }).kind === 'series') {
      this.drop(`the ${this.channel} channel holds series, which are read from the file every epoch`);
      return undefined;
    }
    const plan = planBatchCopy(batch, this.arena);
    if (!plan) {
      this.drop(`the ${this.channel} channel's batches need more than ${this.budgetWords}; it is read from the file every epoch`);
      return undefined;
    }
    const id = markKept(plan.batch);
    if (this.ids.last < this.ids.first) this.ids.first = id;
    this.ids.last = id;
    kept.push({ batch: plan.batch, bytesRead });
    this.held = { bytes: this.arena.allocated, batches: kept.length };
    return loadCoreAddon().copyArrays(plan.sources, plan.targets, plan.rebase);
  }

  /** The kept batches' device copies (a GPU backend's) are freed: the batches are going. */
  private letGo(): void {
    releaseKeptBatches(this.ids.first, this.ids.last);
    this.ids = { first: 0, last: -1 };
  }

  /** A pass from memory, as a reader of the file would deliver it; undefined while no whole pass is in. */
  replay(): PassSource | undefined {
    const pass = this.pass;
    if (!pass) return undefined;
    const kept = this.kept;
    const stats = { bytes: 0, badRecords: pass.badRecords };
    this.served++;
    return {
      stats, totalBytes: pass.totalBytes, seekable: true,
      async *[Symbol.asyncIterator]() {
        for (const { batch, bytesRead } of kept) {
          stats.bytes = bytesRead;
          yield batch;
        }
        stats.bytes = pass.bytes;
      },
    };
  }
}
