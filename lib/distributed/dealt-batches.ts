// A stream (stdin, a socket, an iterable) cannot be split by bytes: the
// coordinating thread parses it and deals its batches round-robin, batch i
// to worker i mod N (strictly, when rounds are counted in batches: every
// worker then gets the same batches every run, and reaches each round after
// as many batches as the others; with timed rounds, to the next worker with
// room, so that a worker waiting in a round never holds the others up). Each batch crosses the port as a copy of its rows (the
// pool's buffers go back to the pool), and each worker holds at most
// `credit` batches it has not trained on yet: a fast stream waits for the
// workers instead of filling memory.
import type { Batch, BatchWords } from '../data/batch.js';
import type { ReadBatch, ReadStats } from '../io/batch-stream.js';
import type { SourcePosition } from '../io/sources/types.js';

/** One dealt batch as it crosses a port: arrays cut to its rows, and the row width and layout. */
export interface DealtBatch {
  batch: Batch & { position: SourcePosition };
  featureDim: number;
  sparse: boolean;
  /** The stream's CSV header names, once read: the worker's state keeps them for the model's checks. */
  featureNames?: ReadStats['featureNames'];
}

/** Batches a worker may hold untrained (the one it trains on included). */
export const dealtCredit = 2;

/** The batch's rows in arrays of their own, and the buffers to transfer. */
export function packBatch(batch: ReadBatch): { dealt: Batch & { position: SourcePosition }; transfer: ArrayBuffer[] } {
  const labels = batch.labels?.slice(0, batch.rows);
  const weights = batch.weights?.slice(0, batch.rows);
  const common = { rows: batch.rows, cols: batch.cols, position: { ...batch.position }, ...(labels ? { labels } : {}), ...(weights ? { weights } : {}) };
  const dealt: Batch & { position: SourcePosition } = batch.kind === 'dense'
    ? { kind: 'dense', ...common, values: batch.values.slice(0, batch.rows * batch.cols) }
    : {
      kind: 'sparse', ...common, indptr: batch.indptr.slice(0, batch.rows + 1),
      indices: batch.indices.slice(0, batch.indptr[batch.rows]), values: batch.values.slice(0, batch.indptr[batch.rows]),
      ...(batch.words ? { words: packWords(batch.words, batch.indptr[batch.rows]) } : {}),
    };
  const words = dealt.kind === 'sparse' && dealt.words ? [dealt.words.offsets, dealt.words.bytes] : [];
  const arrays = [dealt.values, dealt.labels, dealt.weights, ...(dealt.kind === 'sparse' ? [dealt.indptr, dealt.indices] : []), ...words];
  return { dealt, transfer: arrays.flatMap((a) => (a ? [a.buffer as ArrayBuffer] : [])) };
}

/** A text batch's bucket words, cut to its nnz entries. */
function packWords(words: BatchWords, nnz: number): BatchWords {
  return { offsets: words.offsets.slice(0, nnz + 1), bytes: words.bytes.slice(0, words.offsets[nnz]) };
}

/** The coordinator's side: deals a stream's batches round-robin, within each worker's credit. */
export class BatchDealer {
  private readonly credit: number[];
  private readonly waiting: ((() => void) | undefined)[];
  private stopped = false;

  constructor(private readonly count: number, private readonly post: (worker: number, message: unknown, transfer: ArrayBuffer[]) => void) {
    this.credit = new Array(count).fill(dealtCredit);
    this.waiting = new Array(count).fill(undefined);
  }

  /** A worker has trained on a batch it was dealt. */
  taken(worker: number): void {
    this.credit[worker]++;
    const wake = this.waiting[worker];
    this.waiting[worker] = undefined;
    wake?.();
  }

  /** Stops dealing (the pass ended or failed); a deal waiting for credit returns. */
  stop(): void {
    this.stopped = true;
    for (let worker = 0; worker < this.count; worker++) this.taken(worker);
  }

  /**
   * Deals every batch of `stream` (`strict`: in turn, else to the next worker with room), then tells
   * every worker the stream has ended. A stop (the stream's AbortError) ends it so too: a worker
   * waiting on a quiet stream for its next batch would never reach the stop's round, and the rows
   * dealt since the last round were lost with the run; they are trained, merged and checkpointed.
   */
  async deal(stream: AsyncIterable<ReadBatch> & { featureDim: number | undefined; sparse: boolean; stats?: ReadStats }, strict: boolean): Promise<void> {
    let next = 0;
    try {
      for await (const batch of stream) {
        const worker = strict ? next : await this.nextWithRoom(next);
        next = (worker + 1) % this.count;
        while (this.credit[worker] === 0 && !this.stopped) await new Promise<void>((resolve) => { this.waiting[worker] = resolve; });
        if (this.stopped) return;
        this.credit[worker]--;
        const { dealt, transfer } = packBatch(batch);
        const names = stream.stats?.featureNames;
        this.post(worker, { type: 'batch', dealt: { batch: dealt, featureDim: stream.featureDim!, sparse: stream.sparse, ...(names ? { featureNames: names } : {}) } satisfies DealtBatch }, transfer);
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError' || this.stopped) throw error;
    }
    for (let worker = 0; worker < this.count; worker++) this.post(worker, { type: 'end' }, []);
  }

  /** The first worker from `from` on (in turn) with room for a batch, waiting for any to make room. */
  private async nextWithRoom(from: number): Promise<number> {
    for (;;) {
      for (let k = 0; k < this.count; k++) {
        const worker = (from + k) % this.count;
        if (this.credit[worker] > 0 || this.stopped) return worker;
      }
      await new Promise<void>((resolve) => {
        const wake = () => { this.waiting.fill(undefined); resolve(); };
        this.waiting.fill(wake);
      });
    }
  }
}

/** A worker's side: the batches dealt to it, as the share trainer reads a stream; `taken` returns credit as it asks for the next. */
export class DealtBatches implements AsyncIterable<ReadBatch> {
  readonly stats: ReadStats = { records: 0, bytes: 0, batches: 0, badRecords: {} };
  featureDim: number | undefined;
  sparse = false;
  private readonly queue: (DealtBatch | null)[] = [];
  private wake: (() => void) | undefined;

  constructor(private readonly taken: () => void) {}

  /** A dealt batch, or null: the stream has ended. */
  push(item: DealtBatch | null): void {
    this.queue.push(item);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ReadBatch> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((resolve) => { this.wake = resolve; });
      const item = this.queue.shift()!;
      if (item === null) return;
      this.featureDim = item.featureDim;
      this.sparse = item.sparse;
      if (item.featureNames) this.stats.featureNames ??= item.featureNames;
      this.stats.batches++;
      this.stats.records += item.batch.rows;
      try {
        yield Object.assign(item.batch, { slot: -1 }) as ReadBatch;
      } finally {
        this.taken();
      }
    }
  }
}
