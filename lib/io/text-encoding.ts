// Text that is not UTF-8, told by its byte-order mark: UTF-16 (Windows' "Unicode" text, PowerShell's
// Out-File) and UTF-32. Read as UTF-8, such a file's first field was "not a number; the record holds
// NUL bytes, as binary files do: a recordIO-protobuf file needs --format recordio", a JSON line
// "not a JSON object", a series line "invalid UTF-8".
import { DataError } from './read-options.js';

/**
 * Throws a DataError naming the encoding when a file's first bytes are a UTF-16 or UTF-32
 * byte-order mark; `path`, a plain file's, goes into the iconv command it advises.
 */
export function refuseUtf16Or32(name: string, head: Uint8Array, path?: string): void {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  const mark = starts(0xff, 0xfe, 0, 0) ? { encoding: 'UTF-32', order: 'FF FE 00 00' } : starts(0, 0, 0xfe, 0xff) ? { encoding: 'UTF-32', order: '00 00 FE FF' }
    : starts(0xff, 0xfe) ? { encoding: 'UTF-16', order: 'FF FE' } : starts(0xfe, 0xff) ? { encoding: 'UTF-16', order: 'FE FF' } : undefined;
  if (!mark) return;
  const { encoding, order } = mark;
  // The command only for a plain file: a gzip file's bytes, stdin or an iterable have no name iconv can read.
  const how = path !== undefined ? `, e.g. iconv -f ${encoding} -t UTF-8 ${path} > utf8.txt`
    : ` (its text, decompressed if it was gzip, through iconv -f ${encoding} -t UTF-8)`;
  throw new DataError(`${name}: starts with a ${encoding} byte-order mark (${order}): it is ${encoding} text, and Boundless reads UTF-8; ` +
    `convert it first${how}`);
}
