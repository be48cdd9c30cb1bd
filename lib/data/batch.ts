import type { SeriesRecord } from './series.js';

// Mini-batches as every algorithm receives them. Dense rows are row-major
// Float32Array; sparse rows are CSR. Arrays may be longer than the batch
// (buffers from a pool sized for mini_batch_size): `rows` is the truth.

export interface DenseBatch {
  kind: 'dense';
  rows: number;
  cols: number;
  /** At least rows × cols, row-major. */
  values: Float32Array;
  /** At least rows × labelSize (labelSize is 1 for supervised algorithms). */
  labels?: Float32Array;
  /** Per-row importance weights; absent means 1. */
  weights?: Float32Array;
}

/**
 * The words that name a sparse batch's entries (the `text` format): entry k's (aligned with
 * `indices` and `values`) is the UTF-8 `bytes[offsets[k] .. offsets[k + 1])`, the most frequent
 * word of bucket `indices[k]` in that row's document (ties: the first seen), at most 32 bytes.
 */
export interface BatchWords {
  /** At least nnz + 1 entries, ascending; offsets[0] is 0. */
  offsets: Uint32Array;
  /** At least offsets[nnz] bytes. */
  bytes: Uint8Array;
}

export interface SparseBatch {
  kind: 'sparse';
  rows: number;
  cols: number;
  /** rows + 1 entries; row r holds entries indptr[r] .. indptr[r+1]. */
  indptr: Int32Array;
  indices: Uint32Array;
  values: Float32Array;
  labels?: Float32Array;
  weights?: Float32Array;
  /** The `text` format's bucket words; other formats leave it undefined. */
  words?: BatchWords;
}

/**
 * Whole time series (DeepAR's JSON Lines records): `rows` series, `cols` dynamic features per
 * step. Read with --format series; only algorithms that forecast take them.
 */
export interface SeriesBatch {
  kind: 'series';
  rows: number;
  cols: number;
  series: SeriesRecord[];
  labels?: undefined;
  weights?: undefined;
}

export type Batch = DenseBatch | SparseBatch | SeriesBatch;

/** Batches of rows: what every algorithm but a forecaster takes. */
export type RowBatch = DenseBatch | SparseBatch;

export class BatchError extends Error {
  override name = 'BatchError';
}

/** What a wrong argument is, for a message: null, an array, a Float64Array, `object` for other objects, or its type. */
export function kindOfArgument(value: unknown, object = 'an object'): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? object : typeof value;
}

/**
 * Throws a TypeError unless `value` is a batch of rows (a model's predict given rows as arrays of
 * numbers said "linearLearnerPredict: batch.rows must be a non-negative integer").
 */
export function requireRowBatch(where: string, value: unknown): asserts value is RowBatch {
  const batch = value as Partial<RowBatch> | null | undefined;
  if ((batch?.kind === 'dense' || batch?.kind === 'sparse') && Number.isSafeInteger(batch.rows)) return;
  const got = ArrayBuffer.isView(value) ? `${kindOfArgument(value)} (the values alone: denseBatch(values, cols) adds the width)`
    : kindOfArgument(value, 'an object that is none');
  throw new TypeError(`${where}: expected a batch of rows ({ kind: 'dense', rows, cols, values: Float32Array }; denseBatch(values, cols) makes one, ` +
    `readBatches reads them from files), got ${got}`);
}

/** A dense batch over whole arrays (tests, examples, in-memory data). */
export function denseBatch(values: Float32Array, cols: number, labels?: Float32Array, weights?: Float32Array): DenseBatch {
  if (cols <= 0 || values.length % cols !== 0) {
    throw new BatchError(`dense batch: ${values.length} values do not split into rows of ${cols}`);
  }
  return { kind: 'dense', rows: values.length / cols, cols, values, labels, weights };
}

/**
 * Checks a batch against the width the model expects and finds non-finite values.
 * `where` names the batch in messages (e.g. "batch 12"); `labelSize` 0 means unsupervised.
 */
export function validateBatch(batch: Batch, expectedCols: number, labelSize: number, where: string): void {
  const fail = (why: string): never => { throw new BatchError(`${where}: ${why}`); };
  if (batch.kind === 'series') throw new BatchError(`${where}: is a batch of time series (--format series); this algorithm takes rows of features`);
  if (!Number.isSafeInteger(batch.rows) || batch.rows < 0) fail(`rows must be a non-negative integer, got ${batch.rows}`);
  if (batch.cols !== expectedCols) fail(`has ${batch.cols} features per row, expected ${expectedCols} (feature_dim)`);
  if (batch.kind === 'dense') {
    if (batch.values.length < batch.rows * batch.cols) {
      fail(`values has ${batch.values.length} entries, expected at least ${batch.rows * batch.cols}`);
    }
    const n = batch.rows * batch.cols;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(batch.values[i])) {
        fail(`row ${Math.floor(i / batch.cols)}, feature ${i % batch.cols} is ${batch.values[i]}; features must be finite`);
      }
    }
  } else {
    if (batch.indptr.length < batch.rows + 1) fail(`indptr has ${batch.indptr.length} entries, expected ${batch.rows + 1}`);
    if (batch.indptr[0] !== 0) fail(`indptr[0] is ${batch.indptr[0]}, expected 0`);
    for (let r = 0; r < batch.rows; r++) {
      const begin = batch.indptr[r];
      const end = batch.indptr[r + 1];
      if (end < begin || end > batch.indices.length || end > batch.values.length) {
        fail(`row ${r} spans entries ${begin}..${end}, outside the ${Math.min(batch.indices.length, batch.values.length)} stored`);
      }
      for (let k = begin; k < end; k++) {
        if (batch.indices[k] >= batch.cols) fail(`row ${r} has feature index ${batch.indices[k]}, expected < ${batch.cols}`);
        if (!Number.isFinite(batch.values[k])) fail(`row ${r}, feature ${batch.indices[k]} is ${batch.values[k]}; features must be finite`);
      }
    }
    if (batch.words) validateWords(batch.words, batch.indptr[batch.rows], fail);
  }
  if (labelSize > 0) {
    if (!batch.labels) return fail('has no labels; this algorithm is supervised');
    if (batch.labels.length < batch.rows * labelSize) {
      fail(`labels has ${batch.labels.length} entries, expected at least ${batch.rows * labelSize}`);
    }
    for (let i = 0; i < batch.rows * labelSize; i++) {
      if (!Number.isFinite(batch.labels[i])) fail(`row ${Math.floor(i / labelSize)} has label ${batch.labels[i]}; labels must be finite`);
    }
  }
  if (batch.weights) {
    if (batch.weights.length < batch.rows) fail(`weights has ${batch.weights.length} entries, expected at least ${batch.rows}`);
    for (let r = 0; r < batch.rows; r++) {
      if (!(batch.weights[r] >= 0) || !Number.isFinite(batch.weights[r])) {
        fail(`row ${r} has weight ${batch.weights[r]}; weights must be finite and non-negative`);
      }
    }
  }
}

function validateWords(words: BatchWords, nnz: number, fail: (why: string) => never): void {
  if (words.offsets.length < nnz + 1) fail(`words.offsets has ${words.offsets.length} entries, expected at least ${nnz + 1}`);
  if (words.offsets[0] !== 0) fail(`words.offsets[0] is ${words.offsets[0]}, expected 0`);
  for (let k = 0; k < nnz; k++) {
    if (words.offsets[k + 1] < words.offsets[k]) fail(`words.offsets decreases at entry ${k}`);
  }
  if (words.offsets[nnz] > words.bytes.length) fail(`words.offsets ends at ${words.offsets[nnz]}, past the ${words.bytes.length} bytes of words.bytes`);
}
