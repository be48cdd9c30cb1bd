// How to read a channel: the options of readBatches, checked in one place
// before anything is opened, and the error a bad record raises.
import type { SeriesRecord } from '../data/series.js';
import type { FileSourceOptions } from './sources/files.js';
import type { RedisStreamOptions } from './sources/redis-stream.js';
import type { SourcePosition } from './sources/types.js';
import { rejectUnknownOptions } from './option-names.js';

export type FormatName = 'csv' | 'libsvm' | 'vw' | 'jsonl' | 'text' | 'recordio' | 'series';
export const formatNames: readonly FormatName[] = ['csv', 'libsvm', 'vw', 'jsonl', 'text', 'recordio', 'series'];

/**
 * Text: bytes of bucket words a batch holds per non-zero it holds (a word is 32 bytes at most,
 * an English one after stop words about 7). A batch whose words run out first is full sooner.
 */
export const textWordBytesPerEntry = 16;

export interface ReadOptions {
  format?: FormatName;
  /** Rows per batch. */
  miniBatchSize: number;
  /**
   * Dense batches: at least this many values (rows × featureDim) per batch, so a batch holds
   * max(miniBatchSize, ⌈batchValues / featureDim⌉) rows, at most maxBatchRows (65,536). For a
   * consumer whose result does not depend on how rows are grouped (PCA's sums and sketches):
   * fewer, larger kernel calls. Sparse batches keep miniBatchSize rows.
   */
  batchValues?: number;
  /**
   * Features per row: CSV and recordIO infer it from the first record when absent (recordIO
   * from its tensor's shape, which must then agree with every record); libsvm and JSON Lines
   * need it (the index bound for sparse data); VW uses 2^hashBits; text needs it (the hash
   * buckets words fall into: a word's bucket is its MurmurHash3 modulo featureDim).
   */
  featureDim?: number;
  /** JSON Lines and recordIO: produce sparse CSR batches (default dense). */
  sparse?: boolean;
  /** 1: each record has a label; 0: unsupervised (text records have none: 0 or absent). */
  labelSize?: 0 | 1;
  /**
   * Classification: labels must be integers in [0, labelClasses) (2: a binary classifier's 0 or
   * 1). A record with another label is a bad record, with its file and line (label_out_of_range).
   */
  labelClasses?: number;
  /**
   * The feature values the consumer takes (a topic model's word counts: 0 to 1e9). A record with
   * a value outside is a bad record, with its file and line (feature_out_of_range).
   */
  featureRange?: { min: number; max: number };
  /** CSV: the label's column (default 0, the first, as SageMaker). */
  labelColumn?: number;
  /**
   * CSV: columns read past, neither features nor the label: 0-based positions in the record, as
   * labelColumn counts them (row names, which R's write.csv and pandas' to_csv write first by
   * default; identifiers). Their fields may hold anything, text included.
   */
  ignoreColumns?: number[];
  /**
   * CSV: the first line of each file is a header, not a row. Every file's feature columns (its
   * columns but the label's and those read past) must have the first file's names in the same
   * order: a DataError otherwise (rows are read by position). The stream's stats.featureNames says them.
   */
  header?: boolean;
  /**
   * CSV with a header: the names the feature columns must have, in order (a model's
   * schema.featureNames, which train keeps from a header); a file whose header names others, or
   * the same in another order, is a DataError naming the first that differs.
   */
  featureNames?: readonly string[];
  /** CSV: one byte (default ','). */
  delimiter?: string;
  /** libsvm: indices start at 0 instead of 1. */
  zeroBased?: boolean;
  /** VW: hash features into 2^hashBits buckets (default 18). */
  hashBits?: number;
  onBadRecord?: 'error' | 'skip';
  /** The series format (DeepAR's JSON Lines, a whole series per record, miniBatchSize series a batch): the forecaster's rules for a record. */
  series?: { check?(record: SeriesRecord): string | undefined };
  /** Longest record, in bytes, that may be split across chunks (default 1 MiB; recordIO 16 MiB). CLI: --max-record-bytes. */
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
  /** For redis:// inputs: the consumer group, this member's name, the idle timeout (lib/io/sources/redis-stream.ts). */
  redis?: RedisStreamOptions;
  signal?: AbortSignal;
}

/** A record that breaks the format or the data's rules, with where it is. */
export class DataError extends Error {
  override name = 'DataError';
}

/** The most rows a batch widened by batchValues holds (a few MiB of pool at most). */
export const maxBatchRows = 65_536;

/** Rows per batch: miniBatchSize, widened for dense batches to batchValues values (see ReadOptions.batchValues). */
export function batchRowsOf(options: ReadOptions, featureDim: number, sparse: boolean): number {
  if (sparse || options.batchValues === undefined) return options.miniBatchSize;
  return Math.max(options.miniBatchSize, Math.min(maxBatchRows, Math.ceil(options.batchValues / featureDim)));
}

/** Whether a byte source in this format gives sparse CSR batches (libsvm, VW, text; JSON Lines and recordIO on request). */
export function isSparseFormat(format: FormatName, options: ReadOptions): boolean {
  return format === 'libsvm' || format === 'vw' || format === 'text' || ((format === 'jsonl' || format === 'recordio') && options.sparse === true);
}

/** Features per row known before reading: VW's hashed space, otherwise featureDim when given. */
export function declaredFeatureDim(format: FormatName, options: ReadOptions): number | undefined {
  return format === 'vw' ? 2 ** (options.hashBits ?? 18) : options.featureDim;
}

/**
 * VW rows have 2^hashBits features (the hashed space): a featureDim other than that would be
 * ignored, so it is refused. `dimName` and `bitsName` are the option names the caller gave them by.
 */
export function vwWidthMismatch(featureDim: number, hashBits: number, dimName: string, bitsName: string): string {
  const bits = Math.log2(featureDim);
  const fix = Number.isInteger(bits) && bits >= 1 && bits <= 31 ? `leave ${dimName} out, or give ${bitsName} ${bits} for ${featureDim} features` : `leave ${dimName} out`;
  return `vw hashes features into 2^${bitsName} buckets (2^${hashBits} = ${2 ** hashBits}), but ${dimName} is ${featureDim}: ${fix}`;
}

/** Every option of ReadOptions, by name (the compiler keeps it complete): unknown names are errors. */
export const readOptionNames: Readonly<Record<keyof ReadOptions, true>> = {
  format: true, miniBatchSize: true, featureDim: true, sparse: true, labelSize: true, labelClasses: true, featureRange: true,
  labelColumn: true, ignoreColumns: true, header: true, featureNames: true, delimiter: true, zeroBased: true, hashBits: true, onBadRecord: true, series: true,
  maxRecordBytes: true, nnzPerBatch: true, batchValues: true, prefetch: true, shuffleBuffer: true, seed: true, start: true, files: true,
  redis: true, signal: true,
};

/** Throws a TypeError naming an option ReadOptions has not, or a RangeError naming the first option that is out of range. */
export function validateReadOptions(options: ReadOptions, format: FormatName): void {
  rejectUnknownOptions('readBatches', options, readOptionNames);
  const fail = (why: string): never => { throw new RangeError(`readBatches: ${why}`); };
  if (!Number.isSafeInteger(options.miniBatchSize) || options.miniBatchSize < 1) fail(`miniBatchSize must be a positive integer, got ${options.miniBatchSize}`);
  if (options.batchValues !== undefined && (!Number.isSafeInteger(options.batchValues) || options.batchValues < 1)) {
    fail(`batchValues must be a positive integer, got ${options.batchValues}`);
  }
  if (options.featureDim !== undefined && (!Number.isSafeInteger(options.featureDim) || options.featureDim < 1)) {
    fail(`featureDim must be a positive integer, got ${options.featureDim}`);
  }
  if (!formatNames.includes(format)) fail(`format must be one of ${formatNames.join(', ')}, got ${JSON.stringify(format)}`);
  if ((format === 'libsvm' || format === 'jsonl') && options.featureDim === undefined) {
    fail(`${format} needs featureDim (the number of features; for sparse data, the index bound)`);
  }
  if (format === 'text' && options.featureDim === undefined) fail('text needs featureDim (the number of hash buckets words fall into)');
  if (format === 'text' && options.labelSize === 1) fail('text records have no label: labelSize must be 0 (text is for unsupervised algorithms)');
  if (options.hashBits !== undefined && (!Number.isInteger(options.hashBits) || options.hashBits < 1 || options.hashBits > 31)) {
    fail(`hashBits must be an integer in [1, 31], got ${options.hashBits}`);
  }
  if (format === 'vw' && options.featureDim !== undefined && options.featureDim !== declaredFeatureDim(format, options)) {
    fail(vwWidthMismatch(options.featureDim, options.hashBits ?? 18, 'featureDim', 'hashBits'));
  }
  if (options.delimiter !== undefined && (typeof options.delimiter !== 'string' || Buffer.byteLength(options.delimiter) !== 1)) {
    fail(`delimiter must be one byte, got ${JSON.stringify(options.delimiter)} (a string such as ',', ';' or '\\t')`);
  }
  if (options.delimiter !== undefined && numberCharacters.includes(options.delimiter)) fail(delimiterInNumbers(options.delimiter));
  const ignored = options.ignoreColumns?.length ?? 0;
  if (options.labelColumn !== undefined && (!Number.isSafeInteger(options.labelColumn) || options.labelColumn < 0 ||
    (options.featureDim !== undefined && options.labelColumn > options.featureDim + ignored))) {
    fail(`labelColumn must be an integer in [0, ${options.featureDim !== undefined ? options.featureDim + ignored : 'featureDim'}], got ${options.labelColumn}`);
  }
  if (options.ignoreColumns !== undefined) validateIgnoreColumns(options, format, fail);
  if (options.header !== undefined && typeof options.header !== 'boolean') fail(`header must be true or false, got ${JSON.stringify(options.header)}`);
  if (options.featureNames !== undefined) {
    if (!Array.isArray(options.featureNames) || !options.featureNames.every((n) => typeof n === 'string')) {
      fail(`featureNames must be an array of strings (a model's schema.featureNames), got ${JSON.stringify(options.featureNames)}`);
    }
    if (format !== 'csv' || options.header !== true) fail('featureNames are checked against a CSV header: give header: true (format csv)');
  }
  if (options.shuffleBuffer !== undefined && (!Number.isSafeInteger(options.shuffleBuffer) || options.shuffleBuffer < 1)) {
    fail(`shuffleBuffer must be a positive integer (batches), got ${typeof options.shuffleBuffer === 'string' ? JSON.stringify(options.shuffleBuffer) : String(options.shuffleBuffer)}`);
  }
  const range = options.featureRange;
  if (range !== undefined && !(typeof range === 'object' && range !== null && range.min <= range.max)) {
    fail(`featureRange must be { min, max } with min ≤ max, got ${JSON.stringify(range)}`);
  }
  if (options.labelClasses !== undefined && (!Number.isSafeInteger(options.labelClasses) || options.labelClasses < 0)) {
    fail(`labelClasses must be a non-negative integer, got ${options.labelClasses}`);
  }
  if (options.onBadRecord !== undefined && options.onBadRecord !== 'error' && options.onBadRecord !== 'skip') {
    fail(`onBadRecord must be 'error' or 'skip', got ${JSON.stringify(options.onBadRecord)}`);
  }
}

/** ignoreColumns: CSV only, distinct column indices, none of them the label's. */
function validateIgnoreColumns(options: ReadOptions, format: FormatName, fail: (why: string) => never): void {
  const columns = options.ignoreColumns;
  if (!Array.isArray(columns) || columns.some((c) => !Number.isSafeInteger(c) || c < 0 || c >= 2 ** 24)) {
    fail(`ignoreColumns must be an array of column indices (integers from 0), got ${JSON.stringify(columns)}`);
  }
  if (format !== 'csv') fail(`ignoreColumns is for CSV (columns by position), not ${format}`);
  const seen = new Set<number>();
  for (const c of columns!) {
    if (seen.has(c)) fail(`ignoreColumns names column ${c} twice`);
    seen.add(c);
  }
  const label = options.labelSize === 0 ? undefined : options.labelColumn ?? 0;
  if (options.featureDim !== undefined) {
    // The records' width is known: a column past it would leave the last real column out instead.
    const width = options.featureDim + (label === undefined ? 0 : 1) + columns!.length;
    const beyond = columns!.find((c) => c >= width);
    if (beyond !== undefined) {
      fail(`ignoreColumns names column ${beyond}, beyond the records' ${width} columns (featureDim ${options.featureDim}${label === undefined ? '' : ', the label'} and ${columns!.length} read past)`);
    }
  }
  if (label !== undefined && seen.has(label)) {
    fail(`ignoreColumns names the label's column (${label}${options.labelColumn === undefined ? ', the first: labelColumn defaults to 0' : ''}); ` +
      'give labelColumn, or labelSize: 0 for records without a label');
  }
}

/** Characters a number can hold: a delimiter among them would split fields inside their numbers ("1.2.3" at '.'). */
export const numberCharacters = '0123456789.eE+-';

export function delimiterInNumbers(delimiter: string): string {
  return `delimiter ${JSON.stringify(delimiter)} can appear inside a number (digits, '.', 'e', 'E', '+', '-'), so fields could not be told apart: use another`;
}
