// Records cut out of a byte source without parsing them: the lines of a text
// format (CSV, libsvm, VW, JSON Lines) or the frames of recordIO (a
// multi-part record's frames kept together). What `boundless produce` sends
// to a Redis stream, a few records to an entry.
import { DataError, type FormatName } from '../read-options.js';
import type { ByteChunk } from '../sources/types.js';
import { recordioMagic } from './recordio-protobuf.js';

export interface SplitOptions {
  format: FormatName;
  /** Text formats: skip the first line of each file (a CSV header). */
  header?: boolean;
  /** Longest record kept waiting for its end across chunks (default 1 MiB; recordIO 16 MiB). */
  maxRecordBytes?: number;
}

/**
 * The records of a byte source, in order, a chunk's worth at a time (one await per chunk, not
 * per record), each group valid until the next is requested (views into the source's chunk):
 * a record is a text line without its '\n' (or '\r\n'; blank lines are not records), or one
 * whole recordIO record with its frames. Errors (DataError, naming the file): a record longer
 * than maxRecordBytes, recordIO frames without magic, a file ending inside a record.
 */
export async function* splitRecords(chunks: AsyncIterable<ByteChunk>, options: SplitOptions): AsyncGenerator<Uint8Array[]> {
  const recordio = options.format === 'recordio';
  const limit = options.maxRecordBytes ?? (recordio ? 16 << 20 : 1 << 20);
  let carry: Buffer | undefined;
  let name = '';
  let skipHeader = false;
  for await (const chunk of chunks) {
    if (chunk.fileStart) {
      if (carry) yield finishFile(carry, name, recordio);
      carry = undefined;
      name = chunk.name;
      skipHeader = options.header === true && !recordio;
    }
    const data = carry ? Buffer.concat([carry, chunk.data]) : Buffer.from(chunk.data.buffer, chunk.data.byteOffset, chunk.data.length);
    const records: Uint8Array[] = [];
    let start = 0;
    for (;;) {
      const end = recordio ? recordEnd(data, start, name) : lineEnd(data, start);
      if (end < 0) break;
      const record = recordio ? data.subarray(start, end) : trimLine(data.subarray(start, end - 1));
      start = end;
      if (skipHeader) {
        skipHeader = false;
        continue;
      }
      if (record.length > 0) records.push(record);
    }
    if (records.length > 0) yield records;
    if (data.length - start > limit) throw new DataError(`${name}: a record is longer than ${limit} bytes (raise --max-record-bytes)`);
    // The chunk's buffer may be reused for the next one: keep a copy of the unfinished record.
    carry = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
  }
  if (carry) yield finishFile(carry, name, recordio);
}

/** The end of a file: its last line without a newline is a record; recordIO must end at a record's end. */
function finishFile(carry: Buffer, name: string, recordio: boolean): Uint8Array[] {
  if (recordio) throw new DataError(`${name}: the file ends inside a recordIO record (${carry.length} bytes left over)`);
  const record = trimLine(carry);
  return record.length > 0 ? [record] : [];
}

/** The offset after the next '\n' from `start`, or -1. */
function lineEnd(data: Buffer, start: number): number {
  const newline = data.indexOf(0x0a, start);
  return newline < 0 ? -1 : newline + 1;
}

/** A line without a final '\r'; empty when it holds only spaces. */
function trimLine(line: Buffer): Buffer {
  const end = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  let blank = true;
  for (let i = 0; i < end && blank; i++) blank = line[i] === 0x20 || line[i] === 0x09;
  return blank ? line.subarray(0, 0) : line.subarray(0, end);
}

/** The offset after the recordIO record that starts at `start` (all its frames), or -1 when it is not all here. */
function recordEnd(data: Buffer, start: number, name: string): number {
  let offset = start;
  for (;;) {
    if (offset + 8 > data.length) return -1;
    if (data.readUInt32LE(offset) !== recordioMagic) throw new DataError(`${name}: no recordIO frame magic at a record start (is it recordIO?)`);
    const word = data.readUInt32LE(offset + 4);
    const end = offset + 8 + Math.ceil((word & 0x1fffffff) / 4) * 4;
    if (end > data.length) return -1;
    const flag = word >>> 29;
    offset = end;
    if (flag === 0 || flag === 3) return offset;
  }
}
