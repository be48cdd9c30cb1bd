// A fixed pool of preallocated batch buffers. The pipeline fills a buffer,
// hands it to training, and gets it back when training is done with it;
// acquire() waits while every buffer is in use, which is the backpressure
// that keeps memory flat however fast the source is.
import type { DenseBatch, SparseBatch } from './batch.js';

export interface PoolShape {
  sparse: boolean;
  /** Rows per batch (mini_batch_size). */
  rows: number;
  /** Dense: features per row. Sparse: the feature-index bound. */
  cols: number;
  /** Sparse: non-zeros one batch can hold. */
  nnzCapacity?: number;
  /**
   * Sparse: bytes of bucket words one batch holds (`words`, the text format's); absent: no words.
   * A batch is full when either runs out.
   */
  wordBytes?: number;
  /** Label values per row (0 or 1). */
  labelSize: number;
}

/** A batch from the pool: its arrays have capacity for a full batch; `rows` says how much is filled. */
export type PooledBatch = (DenseBatch | SparseBatch) & { readonly slot: number };

function allocate(shape: PoolShape, slot: number): PooledBatch {
  const labels = shape.labelSize > 0 ? new Float32Array(shape.rows * shape.labelSize) : undefined;
  const weights = new Float32Array(shape.rows);
  if (shape.sparse) {
    const nnz = shape.nnzCapacity ?? shape.rows * 128;
    const words = shape.wordBytes !== undefined ? { offsets: new Uint32Array(nnz + 1), bytes: new Uint8Array(shape.wordBytes) } : undefined;
    return {
      kind: 'sparse', slot, rows: 0, cols: shape.cols,
      indptr: new Int32Array(shape.rows + 1), indices: new Uint32Array(nnz), values: new Float32Array(nnz),
      labels, weights, ...(words ? { words } : {}),
    };
  }
  return { kind: 'dense', slot, rows: 0, cols: shape.cols, values: new Float32Array(shape.rows * shape.cols), labels, weights };
}

export class BatchPool {
  private readonly free: PooledBatch[] = [];
  private readonly waiting: ((batch: PooledBatch) => void)[] = [];
  private readonly inUse: boolean[] = [];
  private readonly allocated: PooledBatch[] = [];

  /**
   * `size` buffers of `shape`, allocated at once; with `lazy`, one at a time as acquire finds none
   * free (a shuffle buffer of more batches than the stream holds then costs what the stream holds).
   */
  constructor(readonly shape: PoolShape, readonly size: number, options: { lazy?: boolean } = {}) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`batch pool size must be a positive integer, got ${size}`);
    if (!Number.isSafeInteger(shape.rows) || shape.rows < 1) throw new RangeError(`mini_batch_size must be a positive integer, got ${shape.rows}`);
    if (!options.lazy) while (this.allocated.length < size) this.grow();
  }

  /** The buffers allocated so far (all `size` of them unless lazy). */
  get batches(): readonly PooledBatch[] {
    return this.allocated;
  }

  private grow(): void {
    const batch = allocate(this.shape, this.allocated.length);
    this.allocated.push(batch);
    this.inUse.push(false);
    this.free.push(batch);
  }

  /** Bytes held by all buffers allocated: fixed at construction unless lazy. */
  get bytes(): number {
    return this.batches.reduce((sum, b) => sum + b.values.byteLength + (b.labels?.byteLength ?? 0) +
      (b.weights?.byteLength ?? 0) + (b.kind === 'sparse' ? b.indptr.byteLength + b.indices.byteLength : 0) +
      (b.kind === 'sparse' && b.words ? b.words.offsets.byteLength + b.words.bytes.byteLength : 0), 0);
  }

  get available(): number {
    return this.free.length;
  }

  /** A free buffer, emptied; waits while none is free. */
  async acquire(): Promise<PooledBatch> {
    if (this.free.length === 0 && this.allocated.length < this.size) this.grow();
    const batch = this.free.pop() ?? await new Promise<PooledBatch>((resolve) => this.waiting.push(resolve));
    this.inUse[batch.slot] = true;
    batch.rows = 0;
    if (batch.kind === 'sparse') {
      batch.indptr[0] = 0;
      if (batch.words) batch.words.offsets[0] = 0;
    }
    return batch;
  }

  release(batch: PooledBatch): void {
    if (this.batches[batch.slot] !== batch) throw new Error('batch pool: released a batch that is not from this pool');
    if (!this.inUse[batch.slot]) throw new Error(`batch pool: batch ${batch.slot} released twice`);
    this.inUse[batch.slot] = false;
    const waiter = this.waiting.shift();
    if (waiter) waiter(batch);
    else this.free.push(batch);
  }
}
