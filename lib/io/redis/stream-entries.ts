// The schema of a Redis stream entry that Boundless reads and writes, so that
// producers in any language can feed training:
//
//   data    one or more whole records in the channel's format: text records
//           (CSV, libsvm, VW, JSON Lines) separated by '\n' (a final '\n' is
//           optional), or whole recordIO-protobuf frames. A record never
//           spans two entries.
//   format  optional tag: csv | libsvm | vw | jsonl | recordio. When present
//           it must be the format the consumer reads (--format).
//   end     the end-of-stream entry: a field named `end` (any value) and no
//           `data`. A job's members stop once it has been delivered.
//
// Other fields are ignored (a producer may add its own metadata);
// `requeued-from` marks an entry copied from a dead member's pending entries.
// An entry with neither `data` nor `end`, with both, with a format tag that
// disagrees, or whose recordIO data ends inside a record is malformed.
import { recordioMagic } from '../formats/recordio-protobuf.js';
import type { FormatName } from '../read-options.js';

export const dataField = 'data';
export const formatField = 'format';
export const endField = 'end';
export const requeuedField = 'requeued-from';

/** One entry as read: records to parse, the end of the stream, one that breaks the schema, or one deleted before it was read. */
export type StreamEntry =
  | { kind: 'data'; id: string; data: Buffer }
  | { kind: 'end'; id: string }
  | { kind: 'malformed'; id: string; reason: string }
  | { kind: 'deleted'; id: string };

/** The fields of an entry that holds `data` (records already in `format`). */
export function dataEntryFields(format: FormatName, data: Buffer | string): (string | Buffer)[] {
  return [formatField, format, dataField, data];
}

/** The fields of the end-of-stream entry. */
export function endEntryFields(): string[] {
  return [endField, '1'];
}

/**
 * Decodes one entry of an XREADGROUP or XCLAIM reply read with callBuffer: `[id, [field, value,
 * ...]]`, or `[id, null]` for an entry deleted (XDEL, MAXLEN) after it was delivered.
 */
export function decodeEntry(raw: [Buffer, Buffer[] | null], format: FormatName): StreamEntry {
  const id = raw[0].toString();
  if (raw[1] === null) return { kind: 'deleted', id };
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < raw[1].length; i += 2) fields.set(raw[1][i].toString(), raw[1][i + 1]);
  const data = fields.get(dataField);
  const tag = fields.get(formatField)?.toString();
  if (fields.has(endField)) {
    return data === undefined ? { kind: 'end', id } : { kind: 'malformed', id, reason: `has both '${dataField}' and '${endField}' (an entry holds records or ends the stream)` };
  }
  if (data === undefined) {
    const names = [...fields.keys()];
    return { kind: 'malformed', id, reason: `expected a field '${dataField}' (records) or '${endField}' (end of stream), found ${names.length === 0 ? 'no fields' : `fields ${names.map((n) => `'${n}'`).join(', ')}`}` };
  }
  if (tag !== undefined && tag !== format) {
    return { kind: 'malformed', id, reason: `its format tag is '${tag}', but the stream is read as ${format} (--format ${format})` };
  }
  if (format === 'recordio') {
    const broken = brokenRecordio(data);
    if (broken) return { kind: 'malformed', id, reason: broken };
  }
  return { kind: 'data', id, data };
}

/**
 * Why recordIO data does not hold whole records (null when it does): each frame is a magic
 * number, a length with a 3-bit flag (0 whole, 1 first part, 2 middle, 3 last), the payload
 * padded to 4 bytes; the data must end at a frame's end, outside a multi-part record.
 */
function brokenRecordio(data: Buffer): string | null {
  let offset = 0;
  let inRecord = false;
  while (offset < data.length) {
    if (offset + 8 > data.length) return `its recordIO data ends inside a frame header (byte ${offset} of ${data.length})`;
    if (data.readUInt32LE(offset) !== recordioMagic) return `its recordIO data has no frame magic at byte ${offset} (not recordIO, or a record cut in two)`;
    const word = data.readUInt32LE(offset + 4);
    const flag = word >>> 29;
    const end = offset + 8 + Math.ceil((word & 0x1fffffff) / 4) * 4;
    if (end > data.length) return `its recordIO data ends inside a record (frame at byte ${offset} needs ${end} bytes, the data has ${data.length})`;
    inRecord = flag === 1 || flag === 2;
    offset = end;
  }
  return inRecord ? 'its recordIO data ends inside a multi-part record (a first or middle part without its last)' : null;
}
