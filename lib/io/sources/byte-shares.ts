// One file cut into byte ranges for data-parallel workers. Range i of n
// starts at the first line start at or after i·size/n (the byte after a
// newline), so every line — every record of a text format — falls in
// exactly one range, whole. Range i ends where range i + 1 starts, so the
// ranges tile the file with no gap and no overlap.
import { open, type FileHandle } from 'node:fs/promises';
import { fileError, fileShrankError } from './file-errors.js';

/** Bytes [start, end) of a file. */
export interface ByteRange {
  start: number;
  end: number;
}

const probeBytes = 1 << 16;

/** The first line start at or after `offset`: offset itself when the byte before it is a newline, else the byte after the next newline; `size` when none follows. */
async function lineStartFrom(handle: FileHandle, path: string, offset: number, size: number): Promise<number> {
  if (offset <= 0) return 0;
  const buffer = Buffer.allocUnsafe(probeBytes);
  for (let position = offset - 1; position < size;) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(probeBytes, size - position), position);
    // The file ends before the size it was listed with: cut or replaced since (a share past its end would read nothing).
    if (bytesRead === 0) throw fileShrankError(path, position, size);
    const newline = buffer.subarray(0, bytesRead).indexOf(0x0a);
    if (newline >= 0) return position + newline + 1;
    position += bytesRead;
  }
  return size;
}

/**
 * The line start after the file's first line that holds more than blanks (a CSV header, after any
 * blank lines and a byte-order mark): no cut falls before it, so the first range holds it. Cut
 * inside blank lines before a header, a later range took the header for a row.
 */
async function afterFirstLine(handle: FileHandle, path: string, size: number): Promise<number> {
  const buffer = Buffer.allocUnsafe(probeBytes);
  let content = false;
  for (let position = 0; position < size;) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(probeBytes, size - position), position);
    if (bytesRead === 0) throw fileShrankError(path, position, size);
    for (let i = 0; i < bytesRead; i++) {
      const byte = buffer[i];
      if (byte === 0x0a) {
        if (content) return position + i + 1;
      } else if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && !(position + i < 3 && (byte === 0xef || byte === 0xbb || byte === 0xbf))) {
        content = true;
      }
    }
    position += bytesRead;
  }
  return size;
}

/**
 * Range `index` of `count` of the file at `path`, cut at line starts (see above), none before the end
 * of its first line. `size`: the file's size as listed when the read began (every worker cuts the
 * same bytes, whatever the file holds now; a file shorter now ends a read short, which is an error).
 */
export async function lineShare(path: string, index: number, count: number, size: number): Promise<ByteRange> {
  if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`share ${index} of ${count}: expected 0 <= index < count`);
  }
  const handle = await open(path, 'r').catch((error: unknown) => { throw fileError(path, error); });
  try {
    const first = count > 1 ? await afterFirstLine(handle, path, size) : 0;
    const cut = async (i: number) => (i === 0 ? 0 : i === count ? size : Math.max(first, await lineStartFrom(handle, path, Math.floor((i * size) / count), size)));
    return { start: await cut(index), end: await cut(index + 1) };
  } finally {
    await handle.close();
  }
}
