// DeepAR's JSON Lines: one time series per line, {"start": "2024-01-01
// 00:00:00", "target": [1.5, null, "NaN", 2], "cat": [0, 3],
// "dynamic_feat": [[...], ...]}. Gaps in the target (null or "NaN") become
// NaN; dynamic features must cover the target and have no gaps. Series are
// long and few, so they are parsed here with JSON.parse, one line at a
// time, with the line bounded by maxRecordBytes.
import { isUtf8 } from 'node:buffer';
import { openSource, type SourceInput } from '../sources/open-source.js';
import { DataError } from '../read-options.js';
import type { FileSourceOptions } from '../sources/files.js';
import type { ByteSource, SourcePosition } from '../sources/types.js';
import { parseStart, type SeriesRecord } from '../../data/series.js';
import { refuseUtf16Or32 } from '../text-encoding.js';

export type { SeriesRecord } from '../../data/series.js';

export interface SeriesOptions {
  maxRecordBytes?: number;
  onBadRecord?: 'error' | 'skip';
  /** When given, every record must have exactly this many categorical features. */
  numCat?: number;
  /** When given, every record must have exactly this many dynamic features. */
  numDynamicFeat?: number;
  files?: FileSourceOptions;
  /** Where to start: a position a checkpoint stored (after a whole line). */
  start?: SourcePosition;
  /** A forecaster's own rules for a record (length, gaps, frequency): why it is bad, or undefined. */
  check?(record: SeriesRecord): string | undefined;
}

/**
 * Why a line is not JSON: the parser's message, and where the line holds a bare NaN (Python's
 * json.dumps writes float('nan') so, and JSON has no such value) what a missing value is written as.
 */
export function jsonError(text: string, error: unknown): string {
  const bareNaN = /[[,:]\s*NaN\s*[,\]}]/.test(text)
    ? '; a missing value is null or "NaN" in quotes, not a bare NaN (Python\'s json.dumps writes float(\'nan\') so: write None)' : '';
  return `not valid JSON (${(error as Error).message})${bareNaN}`;
}

/** Validates one parsed line; returns the record or why it is bad. */
export function toSeriesRecord(value: unknown, options: SeriesOptions, source: string, line: number): SeriesRecord | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const object = value as Record<string, unknown>;
  if ('instances' in object && !('target' in object)) return 'is an endpoint request ({"instances": …}); requests are for predict, and train and evaluate read one series a line';
  const startTime = parseStart(object.start);
  if (typeof startTime === 'string') return startTime;
  if (!Array.isArray(object.target) || object.target.length === 0) return '"target" must be a non-empty array';
  const target = new Float32Array(object.target.length);
  for (let i = 0; i < object.target.length; i++) {
    const v = object.target[i];
    if (v === null || v === 'NaN' || v === 'nan') target[i] = NaN;
    else if (typeof v === 'number' && Number.isFinite(Math.fround(v))) target[i] = v;
    else if (typeof v === 'number') return `"target"[${i}] is ${v}, beyond float32's range (±3.4e38)`;
    else return `"target"[${i}] is ${JSON.stringify(v)}; expected a number, null or "NaN"`;
  }
  let cat = new Int32Array(0);
  if (object.cat !== undefined) {
    const values = Array.isArray(object.cat) ? object.cat : [object.cat];
    if (!values.every((c) => Number.isSafeInteger(c) && (c as number) >= 0 && (c as number) < 2 ** 31)) {
      return `"cat" ${JSON.stringify(object.cat).slice(0, 60)} must hold non-negative integers`;
    }
    cat = Int32Array.from(values as number[]);
  }
  if (options.numCat !== undefined && cat.length !== options.numCat) return `has ${cat.length} "cat" values, expected ${options.numCat}`;
  const dynamicFeat: Float32Array[] = [];
  if (object.dynamic_feat !== undefined) {
    if (!Array.isArray(object.dynamic_feat)) return '"dynamic_feat" must be an array of arrays';
    for (let f = 0; f < object.dynamic_feat.length; f++) {
      const series = object.dynamic_feat[f];
      if (!Array.isArray(series)) return `"dynamic_feat"[${f}] is not an array`;
      if (series.length < target.length) return `"dynamic_feat"[${f}] has ${series.length} values, fewer than the target's ${target.length}`;
      const values = new Float32Array(series.length);
      for (let i = 0; i < series.length; i++) {
        if (typeof series[i] !== 'number' || !Number.isFinite(Math.fround(series[i]))) {
          return `"dynamic_feat"[${f}][${i}] is ${JSON.stringify(series[i])}; dynamic features cannot have gaps`;
        }
        values[i] = series[i];
      }
      dynamicFeat.push(values);
    }
  }
  if (options.numDynamicFeat !== undefined && dynamicFeat.length !== options.numDynamicFeat) {
    return `has ${dynamicFeat.length} "dynamic_feat" series, expected ${options.numDynamicFeat}`;
  }
  return { start: object.start as string, startTime, target, cat, dynamicFeat, source, line };
}

/** A series with the source position after its line (what a checkpoint stores to resume after it). */
export type PositionedSeries = SeriesRecord & { position: SourcePosition };

/** What a series read reports as it goes: the source once open, the bytes read. */
export interface SeriesReadHooks {
  onSource?(source: ByteSource): void;
  onBytes?(bytes: number): void;
}

/** One line of a JSON Lines source: its text (BOM and blanks trimmed), where it is, the position after it. */
export interface JsonLine {
  text: string;
  /** The line's bytes are not UTF-8 (its text then holds U+FFFD where they were). */
  invalidUtf8?: true;
  name: string;
  line: number;
  /** Bytes from the previous line's end through this line's newline. */
  bytes: number;
  fileIndex: number;
  /** Byte offset after the line in its file. */
  byteOffset: number;
}

/** The lines of a byte source (files, gzip, stdin), each bounded by maxRecordBytes; blank lines are skipped. */
export async function* readJsonLines(input: SourceInput, options: Pick<SeriesOptions, 'maxRecordBytes' | 'files' | 'start'> = {},
  onSource?: (source: ByteSource) => void): AsyncGenerator<JsonLine> {
  const source = await openSource(input, options.files);
  if (source.kind !== 'bytes') {
    throw new TypeError('series are read as JSON Lines text (a file, a stream, Buffers), not as objects: ' +
      "give an array of them as [Buffer.from(series.map((s) => JSON.stringify(s)).join('\\n'))]");
  }
  onSource?.(source);
  const limit = options.maxRecordBytes ?? 64 << 20;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 1;
  let name = source.description;
  let fileIndex = options.start?.fileIndex ?? 0;
  let offset = options.start?.byteOffset ?? 0;
  const take = (bytes: Buffer, consumed: number): JsonLine => {
    if (bytes.length > limit) throw new DataError(`${name}, line ${line}: record is longer than ${limit} bytes (raise --max-record-bytes, maxRecordBytes in the API)`);
    offset += consumed;
    const invalid = !isUtf8(bytes);
    return { text: bytes.toString('utf8').replace(/^\uFEFF/, '').trim(), ...(invalid ? { invalidUtf8: true as const } : {}), name, line: line++,
      bytes: consumed, fileIndex, byteOffset: offset };
  };
  for await (const chunk of source.chunks(options.start)) {
    if (chunk.fileStart) {
      if (pendingBytes > 0) yield take(Buffer.concat(pending), pendingBytes);
      pending = [];
      pendingBytes = 0;
      // A resumed file starts at a line boundary, but its line numbers are not known: count from there.
      line = 1;
      name = chunk.name;
      fileIndex = chunk.fileIndex;
      offset = chunk.baseOffset;
      if (offset === 0) refuseUtf16Or32(name, chunk.data, chunk.path);
    }
    let data = Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.length);
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10)) {
      const piece = data.subarray(0, newline);
      yield take(pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece, pendingBytes + newline + 1);
      pending = [];
      pendingBytes = 0;
      data = data.subarray(newline + 1);
    }
    if (data.length > 0) {
      pendingBytes += data.length;
      if (pendingBytes > limit) throw new DataError(`${name}, line ${line}: record is longer than ${limit} bytes (raise --max-record-bytes, maxRecordBytes in the API)`);
      pending.push(Buffer.from(data));
    }
  }
  if (pendingBytes > 0) yield take(Buffer.concat(pending), pendingBytes);
}

/**
 * The series of a JSON Lines source, one at a time, each with its position. Bad lines stop the
 * read or are counted (skipped.count, and skipped.reasons.bad_series).
 */
export async function* readSeries(input: SourceInput, options: SeriesOptions = {},
  skipped: { count: number; reasons?: Record<string, number> } = { count: 0 }, hooks: SeriesReadHooks = {}): AsyncGenerator<PositionedSeries> {
  let records = options.start?.records ?? 0;
  for await (const line of readJsonLines(input, options, hooks.onSource)) {
    hooks.onBytes?.(line.bytes);
    if (line.text === '') continue;
    let result: SeriesRecord | string;
    try {
      // Bytes that are not UTF-8 became U+FFFD in a key or a value without a word (a "cat" string, a start).
      if (line.invalidUtf8) result = 'invalid UTF-8 (JSON Lines are UTF-8 text)';
      else result = toSeriesRecord(JSON.parse(line.text), options, line.name, line.line);
    } catch (error) {
      result = jsonError(line.text, error);
    }
    if (typeof result !== 'string') result = options.check?.(result) ?? result;
    if (typeof result !== 'string') {
      yield { ...result, position: { fileIndex: line.fileIndex, byteOffset: line.byteOffset, records: ++records } };
      continue;
    }
    if (options.onBadRecord !== 'skip') throw new DataError(`${line.name}, line ${line.line}: ${result}`);
    skipped.count++;
    if (skipped.reasons) skipped.reasons.bad_series = (skipped.reasons.bad_series ?? 0) + 1;
  }
}
