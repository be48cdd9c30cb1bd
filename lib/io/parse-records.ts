// The record stage of readBatches: records from an iterable (arrays, typed
// arrays or {features, label, weight} objects) checked and copied into
// pooled dense batches. A record source's position is the count of records
// taken, skipped ones included, so a resumed read continues after them.
import type { BatchPool, PooledBatch } from '../data/batch-pool.js';
import { ConsumerGone, deliver, type Producer } from './batch-stream.js';
import { DataError } from './read-options.js';
import type { RecordInput, RecordSource } from './sources/types.js';

interface SplitRecord {
  features: ArrayLike<number>;
  label?: number;
  weight?: number;
  /** A record object's keys besides features, label and weight (a misspelled `wieght` trained as weight 1). */
  otherKeys?: string[];
}

const recordKeys = new Set(['features', 'label', 'weight']);

/** Copies a record source into batches for the producer's queue. */
export async function produceFromRecords(producer: Producer, source: RecordSource): Promise<void> {
  const { options, stats } = producer;
  const labelSize = options.labelSize ?? 1;
  let pool: BatchPool | undefined;
  let batch: PooledBatch | undefined;
  let index = options.start?.records ?? 0;
  const { width, records } = await withWidth(source.records(options.start), labelSize, options.featureDim);
  for await (const input of records) {
    options.signal?.throwIfAborted();
    if (producer.queue.isClosed) throw new ConsumerGone();
    const record = splitRecord(input, labelSize);
    // A value that is no record names its place, as any bad record does, and skip skips it (it read
    // `record 5 is neither …` for the value 5, and stopped a skipping run).
    if (!record) {
      if (options.onBadRecord !== 'skip') throw new DataError(`${source.description}, record ${index}: ${notARecord(input)}`);
      index++;
      stats.badRecords.syntax = (stats.badRecords.syntax ?? 0) + 1;
      continue;
    }
    pool ??= producer.makePool(width ?? (typeof record.features?.length === 'number' ? record.features.length : 0));
    batch ??= await pool.acquire();
    const problem = recordProblem(record, pool.shape.cols, labelSize, options.labelClasses ?? 0, options.featureRange);
    index++;
    if (problem) {
      if (options.onBadRecord !== 'skip') throw new DataError(`${source.description}, record ${index - 1}: ${problem.why}`);
      stats.badRecords[problem.reason] = (stats.badRecords[problem.reason] ?? 0) + 1;
      continue;
    }
    appendRow(batch, record, pool.shape.cols);
    stats.records++;
    if (batch.rows === pool.shape.rows) {
      await deliver(producer, batch, { fileIndex: 0, byteOffset: 0, records: index });
      batch = undefined;
    }
  }
  if (batch && batch.rows > 0) await deliver(producer, batch, { fileIndex: 0, byteOffset: 0, records: index });
  else if (batch) pool!.release(batch);
}

/** Records whose width the first ones set, as a CSV's first 20 records do. */
const widthRecords = 20;

/**
 * The records' width (featureDim when given, else the commonest among the first widthRecords
 * records, the first of equal counts; a record of no features counts only if all are such), and the
 * records with those first ones put back, copied (an iterator may reuse its arrays). The first
 * record alone set it: a bad one ([1]) made every good record after it "of another width", or,
 * skipped, a state of 0 features that failed inside a kernel.
 */
async function withWidth(input: AsyncIterable<RecordInput>, labelSize: number, featureDim: number | undefined):
  Promise<{ width: number | undefined; records: AsyncIterable<RecordInput> }> {
  const iterator = input[Symbol.asyncIterator]();
  const head: RecordInput[] = [];
  let ended = false;
  try {
    while (featureDim === undefined && head.length < widthRecords) {
      const step = await iterator.next();
      if (step.done) {
        ended = true;
        break;
      }
      head.push(copyRecord(step.value));
    }
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  const counts = new Map<number, number>();
  for (const record of head) {
    const split = splitRecord(record, labelSize);
    if (split && typeof split.features !== 'string' && split.features?.length > 0) counts.set(split.features.length, (counts.get(split.features.length) ?? 0) + 1);
  }
  let width = featureDim;
  for (const [w, n] of counts) if (width === undefined || n > counts.get(width)!) width = w;
  async function* records(): AsyncGenerator<RecordInput> {
    let done = ended;
    try {
      yield* head;
      while (!done) {
        const step = await iterator.next();
        if (step.done) {
          done = true;
          return;
        }
        yield step.value;
      }
    } finally {
      if (!done) await iterator.return?.();
    }
  }
  return { width, records: records() };
}

/** A record as it is now: its features copied (an iterator may hand the same array again). */
function copyRecord(record: RecordInput): RecordInput {
  if (ArrayBuffer.isView(record)) return (record as unknown as Float32Array).slice() as unknown as RecordInput;
  if (Array.isArray(record)) return record.slice() as RecordInput;
  if (typeof record === 'object' && record !== null && 'features' in record) {
    const features = record.features as ArrayLike<number> & { slice?: () => ArrayLike<number> };
    // Features that are no array (a sparse {keys, values} object) are kept as given, for the record's error to say.
    if (typeof features?.length !== 'number' || typeof features === 'string') return record;
    return { ...record, features: typeof features.slice === 'function' ? features.slice() : Array.from(features) } as RecordInput;
  }
  return record;
}

/** Why a record cannot go into a batch of this width (with the bad-record counter's name), or nothing. */
function recordProblem(record: SplitRecord, width: number, labelSize: number, classes: number,
  range?: { min: number; max: number }): { why: string; reason: string } | undefined {
  const { features, label } = record;
  if (record.otherKeys) {
    return { why: `has ${record.otherKeys.map((k) => JSON.stringify(k)).join(', ')} beside its features: a record object holds features, label and weight only`, reason: 'syntax' };
  }
  if (typeof features?.length !== 'number' || typeof features === 'string') {
    return { why: `features is ${describeValue(features)}, expected an array of numbers (dense: sparse rows come as libsvm, JSON Lines or recordIO files, or as batches)`, reason: 'syntax' };
  }
  if (features.length !== width) return { why: `has ${features.length} features, expected ${width}`, reason: 'column_count' };
  if (labelSize > 0 && typeof label !== 'number' && label !== undefined) {
    return { why: `label is ${describe(label)}, expected a number`, reason: 'non_finite' };
  }
  if (labelSize > 0 && !Number.isFinite(label)) {
    return { why: `label ${label} is not a finite number`, reason: label === undefined ? 'missing_label' : 'non_finite' };
  }
  if (labelSize > 0 && classes > 0 && !(Number.isInteger(label) && label! >= 0 && label! < classes)) {
    const what = classes === 2 ? 'is not 0 or 1 (a binary classifier\'s labels)' : `is not a class in 0..${classes - 1} (num_classes ${classes})`;
    return { why: `label ${label} ${what}`, reason: 'label_out_of_range' };
  }
  // A weight is checked here, as a file's is where it is read: a bad one stopped the run later, in the
  // kernel, named by batch and row, and skip did not skip it.
  const { weight } = record;
  if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight))) {
    return { why: `weight is ${typeof weight === 'number' ? weight : describe(weight)}, expected a finite number ≥ 0`, reason: 'non_finite' };
  }
  if (weight !== undefined && weight < 0) return { why: `weight ${weight} is negative, expected a finite number ≥ 0`, reason: 'unparsable_number' };
  // Batches hold float32: a value past its range became ±Infinity there (weight 1e39 failed in the kernel as "weight Infinity").
  if (weight !== undefined && !fitsFloat32(weight)) return { why: `weight ${weight} is beyond float32's range (±3.4e38)`, reason: 'non_finite' };
  if (labelSize > 0 && !fitsFloat32(label!)) return { why: `label ${label} is beyond float32's range (±3.4e38)`, reason: 'non_finite' };
  const at = firstUnfit(features);
  if (at >= 0) {
    // Which feature, and what it is: a string ("12.3" from a CSV library that left fields as text) is not a number that overflowed.
    const value = (features as ArrayLike<unknown>)[at];
    if (typeof value !== 'number') return { why: `feature ${at} is ${describe(value)}, expected a number`, reason: 'non_finite' };
    return Number.isFinite(value)
      ? { why: `feature ${at} is ${value}, beyond float32's range (±3.4e38)`, reason: 'non_finite' }
      : { why: `feature ${at} is ${value}; features must be finite`, reason: 'non_finite' };
  }
  if (range) {
    for (let i = 0; i < features.length; i++) {
      if (features[i] < range.min || features[i] > range.max) {
        return { why: `feature ${i} is ${features[i]}, outside [${range.min}, ${range.max}] (the values this algorithm takes)`, reason: 'feature_out_of_range' };
      }
    }
  }
  return undefined;
}

/** A value that is not a number, as a message says it. */
function describe(value: unknown): string {
  return typeof value === 'string' ? `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}` : value === null ? 'null'
    : value === undefined ? 'undefined' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function appendRow(batch: PooledBatch, record: SplitRecord, width: number): void {
  batch.values.set(record.features, batch.rows * width);
  if (batch.labels) batch.labels[batch.rows] = record.label!;
  if (batch.weights) batch.weights[batch.rows] = record.weight ?? 1;
  batch.rows++;
}

/** Whether a finite number stays finite as float32 (what batches hold). */
function fitsFloat32(value: number): boolean {
  return Number.isFinite(Math.fround(value));
}

/**
 * The first value that is not a number float32 holds (a string, NaN, ±∞, or past ±3.4e38: batches
 * hold float32, where those became ±∞), or −1. One pass: records are read in JavaScript.
 */
function firstUnfit(values: ArrayLike<unknown>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) return i;
  }
  return -1;
}

/** Why a value is no record. */
function notARecord(value: unknown): string {
  return `${describeValue(value)} is neither an array nor {features, label}`;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  const json = typeof value === 'object' ? JSON.stringify(value)?.slice(0, 80) : undefined;
  return json !== undefined ? `the value ${json}` : typeof value === 'string' ? describe(value) : `the ${typeof value} ${String(value)}`;
}

/** A record's features, label and weight; undefined for a value that is no record. */
function splitRecord(record: RecordInput, labelSize: number): SplitRecord | undefined {
  if (ArrayBuffer.isView(record) || Array.isArray(record)) {
    const values = record as ArrayLike<number> & { subarray?: (a: number) => ArrayLike<number>; slice: (a: number) => ArrayLike<number> };
    if (labelSize === 0) return { features: values };
    // The label as given: a string is said as one, not turned into a number here and taken.
    return { label: values[0], features: values.subarray ? values.subarray(1) : values.slice(1) };
  }
  if (typeof record === 'object' && record !== null && 'features' in record) {
    const otherKeys = Object.keys(record).filter((key) => !recordKeys.has(key));
    return { features: record.features, label: record.label, weight: record.weight, ...(otherKeys.length > 0 ? { otherKeys } : {}) };
  }
  return undefined;
}
