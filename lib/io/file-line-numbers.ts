// A parse error in a read that began mid-file (a worker's share of one large file, a run resumed
// from a checkpoint) counts lines from where the read began: `data.csv (read from byte 1013287;
// lines counted from there), line 166: …`, which left the user to work out the line. For a plain
// file the lines before that byte are counted once the error is known (the error path only), and
// the message names the file's own line: `data.csv, line 1665: …`.
import { createReadStream } from 'node:fs';
import { DataError } from './read-options.js';

/** Where a relative line number came from: the file, the byte its read began at, and the parser's `line N: …`. */
interface LineBase {
  path: string;
  name: string;
  offset: number;
  error: string;
}

const lineBases = new WeakMap<Error, LineBase>();

/** A DataError for `error` (the parser's `line N: …`) in a read of `name` that began at byte `offset` of the plain file `path`. */
export function midFileError(name: string, path: string, offset: number, error: string): DataError {
  const made = new DataError(`${name} (read from byte ${offset}; lines counted from there), ${error}`);
  if (/^line \d+:/.test(error)) lineBases.set(made, { path, name, offset, error });
  return made;
}

/** Newlines in the file's first `bytes` bytes, read in 4 MiB chunks (the event loop is free between them). */
async function newlinesBefore(path: string, bytes: number): Promise<number> {
  let count = 0;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1, highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count++;
  }
  return count;
}

/**
 * `error` with the file's own line number, where it is a midFileError; otherwise `error` itself.
 * A file that cannot be read again (removed since) keeps the relative message.
 */
export async function withFileLine(error: unknown): Promise<unknown> {
  const base = error instanceof Error ? lineBases.get(error) : undefined;
  if (!base) return error;
  try {
    const before = await newlinesBefore(base.path, base.offset);
    const [, relative, rest] = /^line (\d+):([\s\S]*)$/.exec(base.error)!;
    return new DataError(`${base.name}, line ${before + Number(relative)}:${rest}`);
  } catch {
    return error;
  }
}
