// A bounded shuffle for streams: SageMaker's algorithms expect shuffled
// data, and a stream cannot be shuffled globally. The buffer holds
// `capacity` batches of rows copied from the input and emits batches of
// rows drawn uniformly at random from everything it holds, refilling as it
// goes. Memory: capacity + 3 batch buffers at most, allocated as batches
// arrive (a buffer larger than the stream costs what the stream holds). The
// generator is seeded.
// A resumed run starts with an empty buffer: with shuffling, resume is not
// bit-identical to an uninterrupted run.
import { Random } from '../random.js';
import { BatchPool, type PooledBatch, type PoolShape } from './batch-pool.js';
import type { Batch, BatchWords } from './batch.js';

export interface ShuffleOptions {
  /** Batches held (SageMaker-style shuffle_buffer). */
  capacity: number;
  seed?: number;
}

function copyBatch(source: Batch, target: PooledBatch): void {
  target.rows = source.rows;
  if (source.kind === 'dense' && target.kind === 'dense') {
    target.values.set(source.values.subarray(0, source.rows * source.cols));
  } else if (source.kind === 'sparse' && target.kind === 'sparse') {
    const nnz = source.indptr[source.rows];
    target.indptr.set(source.indptr.subarray(0, source.rows + 1));
    target.indices.set(source.indices.subarray(0, nnz));
    target.values.set(source.values.subarray(0, nnz));
    if (source.words && target.words) {
      target.words.offsets.set(source.words.offsets.subarray(0, nnz + 1));
      target.words.bytes.set(source.words.bytes.subarray(0, source.words.offsets[nnz]));
    }
  }
  if (source.labels && target.labels) target.labels.set(source.labels.subarray(0, source.rows));
  if (target.weights) {
    if (source.weights) target.weights.set(source.weights.subarray(0, source.rows));
    else target.weights.fill(1, 0, source.rows);
  }
}

/** The words of source entries begin..end after target entry `start`'s; false when they do not fit. */
function appendWords(source: BatchWords, begin: number, end: number, target: BatchWords, start: number): boolean {
  const from = source.offsets[begin];
  const base = target.offsets[start];
  if (base + source.offsets[end] - from > target.bytes.length) return false;
  target.bytes.set(source.bytes.subarray(from, source.offsets[end]), base);
  for (let k = begin; k < end; k++) target.offsets[start + k - begin + 1] = base + source.offsets[k + 1] - from;
  return true;
}

/** Appends row r of `source` to `target`; false when a sparse target has no room for its entries (or their words). */
function appendRow(source: PooledBatch, r: number, target: PooledBatch): boolean {
  const at = target.rows;
  if (source.kind === 'dense' && target.kind === 'dense') {
    const cols = source.cols;
    target.values.set(source.values.subarray(r * cols, (r + 1) * cols), at * cols);
  } else if (source.kind === 'sparse' && target.kind === 'sparse') {
    const begin = source.indptr[r];
    const end = source.indptr[r + 1];
    const start = target.indptr[at];
    if (start + (end - begin) > target.indices.length) return false;
    if (source.words && target.words && !appendWords(source.words, begin, end, target.words, start)) return false;
    target.indices.set(source.indices.subarray(begin, end), start);
    target.values.set(source.values.subarray(begin, end), start);
    target.indptr[at + 1] = start + (end - begin);
  }
  if (source.labels && target.labels) target.labels[at] = source.labels[r];
  if (source.weights && target.weights) target.weights[at] = source.weights[r];
  target.rows = at + 1;
  return true;
}

/**
 * Shuffles a batch stream. Each output batch is valid until the next is requested, like the
 * input's. `shape` must describe the input's batches.
 */
export async function* shuffleBatches<B extends Batch>(input: AsyncIterable<B>, shape: PoolShape,
  options: ShuffleOptions): AsyncGenerator<PooledBatch> {
  const { capacity } = options;
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`shuffle_buffer must be a positive integer, got ${capacity}`);
  const random = Random.fromSeed(options.seed ?? 0);
  const resident = new BatchPool(shape, capacity + 1, { lazy: true });
  const output = new BatchPool(shape, 2);
  // Every resident row as (buffer, row), grown as rows arrive; rows still to emit per buffer.
  let rowBuffer = new Int32Array(shape.rows);
  let rowIndex = new Int32Array(shape.rows);
  const remaining: number[] = [];
  const held: (PooledBatch | undefined)[] = [];
  let available = 0;
  let heldBatches = 0;
  let previous: PooledBatch | undefined;

  const take = async (batch: B) => {
    const copy = await resident.acquire();
    copyBatch(batch, copy);
    held[copy.slot] = copy;
    remaining[copy.slot] = copy.rows;
    heldBatches++;
    if (available + copy.rows > rowBuffer.length) {
      const grown = Math.max(2 * rowBuffer.length, available + copy.rows);
      const buffers = new Int32Array(grown);
      buffers.set(rowBuffer.subarray(0, available));
      const indices = new Int32Array(grown);
      indices.set(rowIndex.subarray(0, available));
      [rowBuffer, rowIndex] = [buffers, indices];
    }
    for (let r = 0; r < copy.rows; r++) {
      rowBuffer[available] = copy.slot;
      rowIndex[available] = r;
      available++;
    }
  };

  const emit = async function* (): AsyncGenerator<PooledBatch> {
    const out = await output.acquire();
    if (out.kind === 'sparse') out.indptr[0] = 0;
    while (out.rows < shape.rows && available > 0) {
      const pick = random.nextUint32() % available;
      const slot = rowBuffer[pick];
      const batch = held[slot]!;
      if (!appendRow(batch, rowIndex[pick], out)) break;
      available--;
      rowBuffer[pick] = rowBuffer[available];
      rowIndex[pick] = rowIndex[available];
      if (--remaining[slot] === 0) {
        held[slot] = undefined;
        heldBatches--;
        resident.release(batch);
      }
    }
    if (previous) output.release(previous);
    previous = out;
    yield out;
  };

  for await (const batch of input) {
    await take(batch);
    // One batch out per batch in once warm; more while every resident buffer is taken,
    // so the next input batch always finds a free one.
    if (heldBatches >= capacity) {
      do yield* emit(); while (heldBatches > capacity);
    }
  }
  while (available > 0) yield* emit();
  if (previous) output.release(previous);
}
