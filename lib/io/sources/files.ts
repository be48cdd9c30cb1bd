// Files as a byte source: one path (plain or gzip, told by its magic bytes), a directory (every file
// in it, sorted), or a glob ('data/part-*.csv'). Several files can be
// sharded across workers by index, as SageMaker's ShardedByS3Key does; data-parallel
// workers split them (byte-shares.ts): whole files dealt out, or one file cut at line starts.
// A path that names a stream (a named pipe, /dev/stdin, <(…)) is read once, as a stream.
import { existsSync, lstatSync, statSync, readdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileError, fileShrankError } from './file-errors.js';
import { gunzip, isGzip } from './gzip.js';
import { pathStreamSource } from './streams.js';
import { lineShare, type ByteRange } from './byte-shares.js';
import type { ByteChunk, ByteSource, SourcePosition } from './types.js';

export interface FileSourceOptions {
  /** This worker's shard (0-based) and the number of shards: files i with i % count === index. */
  shard?: { index: number; count: number };
  /**
   * Worker `index` of `count` data-parallel workers reads its share: when there are at least `count`
   * files they are dealt out as `shard` does; otherwise every file is cut into `count` byte ranges
   * at line starts (text formats only: a line is a record) and the worker reads range `index` of each.
   * Positions stay absolute (file index among the worker's files, byte offset in the file).
   */
  split?: { index: number; count: number };
  /** Read size; larger chunks mean fewer parser calls. */
  chunkBytes?: number;
  /**
   * The files to read and their sizes, as the trainer listed them at the start of a pass (the
   * path, directory or glob given is then not listed again): every data-parallel worker reads the
   * same files and cuts them at the same bytes, and a file truncated, replaced or removed since
   * the list was made is an error, not a pass over less data.
   */
  listed?: { path: string; bytes: number }[];
  /**
   * The file whose header gave ReadOptions.featureNames, when they are a training file's rather
   * than a model's: data-parallel workers check every share against the first file's names (each
   * reads only its own files), and a mismatch names that file.
   */
  namesFrom?: string;
}

/**
 * Whether a path names a stream rather than a file or directory: a named pipe, /dev/stdin or a
 * process substitution (/dev/fd/N) of a pipe, a terminal, a device. A stream is read once, in
 * order, by one reader: it cannot be cut into shares or seek, and workers must not open it
 * (each would take bytes from the others, and one waiting to open a pipe cannot be stopped).
 */
export function isStreamPath(spec: string): boolean {
  const stats = statOrError(spec);
  return stats !== undefined && !stats.isFile() && !stats.isDirectory();
}

/** A path's stat (undefined when nothing is there); any other failure is an error that says what it means. */
function statOrError(path: string) {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch (error) {
    throw fileError(path, error);
  }
}

/** What a pattern that matched nothing would match with leading dots allowed: the shell's rule, said. */
function hiddenMatches(directory: string, pattern: string, names: string[]): string {
  const anyName = globToRegExp(pattern, true);
  const hidden = names.filter((name) => name.startsWith('.') && anyName.test(name)).sort();
  if (hidden.length === 0) return '';
  // `*.csv` → `.*.csv`: the same names, leading dots included. Other patterns get the rule alone.
  const dotted = pattern.startsWith('*') ? `: ${join(directory, `.${pattern.replace(/\*+/g, '*')}`)} names them` : '';
  return ` (${hidden.length === 1 ? `${hidden[0]} is a dot file` : `${hidden.length} dot files, such as ${hidden[0]}, are there`}: ` +
    `as in the shell, * and ? do not match a name's leading dot; a pattern that starts with '.' does${dotted})`;
}

/** A shell glob's file-name pattern: `*` and `?` within the name; as in the shell, they do not match a leading dot. */
function globToRegExp(pattern: string, leadingDot = pattern.startsWith('.')): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(leadingDot ? `^${escaped}$` : `^(?!\\.)${escaped}$`);
}

/** A listed entry's stat; a symbolic link whose target is gone is an error naming it, not Node's bare ENOENT. */
function statOf(file: string, spec: string) {
  const stats = statOrError(file);
  if (!stats) throw new Error(`${spec}: ${file} is a symbolic link whose target does not exist (or was removed while ${spec} was listed)`);
  return stats;
}

/**
 * The entries listed for `spec` (a directory's, or a glob's matches), each checked: a subdirectory
 * or anything else that is not a file (a named pipe, a socket, a device) is an error naming it,
 * since its data would otherwise be missing from the run without a word.
 */
function listedFiles(spec: string, entries: string[], what: string): string[] {
  for (const entry of entries) {
    const stats = statOf(entry, spec);
    if (stats.isDirectory()) {
      throw new Error(`${spec}: ${what} a subdirectory, ${entry}, whose files would not be read (a directory's own files are, ` +
        'not its subdirectories\'): move them into it, or give the subdirectory as an input of its own');
    }
    if (!stats.isFile()) {
      throw new Error(`${spec}: ${what} ${entry}, which is not a file but a stream or device (a named pipe, a socket): ` +
        'a stream can be read only alone, once, from its start: give it as an input of its own');
    }
  }
  return entries;
}

/** The files a path, directory or glob names, sorted; an error when there are none. */
export function resolveFiles(spec: string): string[] {
  if (/[*?]/.test(basename(spec))) {
    const directory = dirname(spec);
    if (/[*?]/.test(directory)) throw new Error(`${spec}: wildcards are supported in the file name only`);
    if (!statOrError(directory)) throw new Error(`${spec}: directory ${directory} does not exist`);
    const pattern = globToRegExp(basename(spec));
    const names = listDirectory(directory);
    const files = listedFiles(spec, names.filter((f) => pattern.test(f)).sort().map((f) => join(directory, f)), 'matches');
    if (files.length === 0) throw new Error(`${spec}: no file matches${hiddenMatches(directory, basename(spec), names)}`);
    return files;
  }
  if (spec === '') throw new Error('an input path is empty: give a file, a directory or a glob');
  const stats = statOrError(spec);
  if (!stats) throw new Error(missingMessage(spec));
  if (!stats.isFile() && !stats.isDirectory()) {
    throw new Error(`${spec}: not a file but a stream (a named pipe, /dev/stdin, a process substitution, a device): ` +
      'it can be read only alone, once, from its start');
  }
  if (stats.isDirectory()) {
    const entries = listDirectory(spec).filter((f) => !f.startsWith('.')).sort().map((f) => join(spec, f));
    const files = listedFiles(spec, entries, 'holds');
    if (files.length === 0) {
      const hidden = listDirectory(spec).some((f) => f.startsWith('.'));
      throw new Error(`${spec}: the directory holds no files${hidden ? ` (names starting with "." are passed over: the glob ${join(spec, '.*')} names them)` : ''}`);
    }
    return files;
  }
  return [spec];
}

/**
 * Why a path names nothing: a symbolic link whose target is gone, a wildcard where only a file name
 * may hold one, or a glob's brackets (only * and ? are supported), else no such file or directory.
 */
function missingMessage(spec: string): string {
  // An array of text lines given where paths go (train({ train: ['1,0.5\n', …] })) is not a path.
  if (spec.includes('\n')) {
    return `${JSON.stringify(spec.slice(0, 40))} holds a newline, so it names no file: strings, and arrays of them, are file paths; ` +
      'pass text as Buffers (Buffer.from(text)) or from a generator';
  }
  if (lstatSync(spec, { throwIfNoEntry: false })?.isSymbolicLink()) return `${spec}: a symbolic link whose target does not exist`;
  if (/[*?]/.test(dirname(spec))) return `${spec}: wildcards are supported in the file name only`;
  if (/\[[^\]]*\]/.test(basename(spec))) return `${spec}: no such file or directory (a glob takes * and ? only, not [...])`;
  // Spaces at either end (a pasted path, a blank option): quoted, and named, since the message alone read "boundless:  : no such file".
  if (spec.trim() !== spec) {
    const trimmed = spec.trim();
    const there = trimmed !== '' && existsSync(trimmed) ? `; ${JSON.stringify(trimmed)} exists` : '';
    return `${JSON.stringify(spec)}: no such file or directory (the path ${trimmed === '' ? 'is only spaces' : 'starts or ends with spaces'}${there})`;
  }
  return `${spec}: no such file or directory`;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch (error) {
    throw fileError(file, error);
  }
}

function listDirectory(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch (error) {
    throw fileError(directory, error);
  }
}

/** The files of `spec`; `signal` ends a wait for bytes when the path names a stream (see isStreamPath), read as one. */
export function fileSource(spec: string | string[], options: FileSourceOptions = {}, signal?: AbortSignal): ByteSource {
  // A named pipe, /dev/stdin, a process substitution (<(…)): read once, in order, as a stream.
  if (typeof spec === 'string' && isStreamPath(spec)) return pathStreamSource(spec, signal);
  let files = options.listed ? options.listed.map((f) => f.path) : Array.isArray(spec) ? spec.flatMap(resolveFiles) : resolveFiles(spec);
  const listedBytes = options.listed ? new Map(options.listed.map((f) => [f.path, f.bytes])) : undefined;
  if (options.shard) {
    const { index, count } = options.shard;
    if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
      throw new RangeError(`shard index ${index} of ${count}: expected 0 <= index < count`);
    }
    files = files.filter((_, i) => i % count === index);
  }
  const split = options.split && files.length < options.split.count ? options.split : undefined;
  if (options.split && !split) files = files.filter((_, i) => i % options.split!.count === options.split!.index);
  // 4 MiB: the parallel parser waits for its slowest segment once per block (1 MiB blocks: 5–10% slower at two threads).
  const chunkBytes = options.chunkBytes ?? 4 << 20;
  // Each file's size when the source was made: a read that ends short of it (the file truncated or
  // replaced since, this epoch or an earlier one) is an error, not a shorter training set.
  const sizes = files.map((f) => listedBytes?.get(f) ?? sizeOf(f));
  const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
  return {
    kind: 'bytes',
    description: files.length === 1 ? files[0] : `${files.length} files (${files[0]}, ...)`,
    seekable: true,
    totalBytes,
    async *chunks(start?: SourcePosition): AsyncIterable<ByteChunk> {
      for (let fileIndex = start?.fileIndex ?? 0; fileIndex < files.length; fileIndex++) {
        const name = files[fileIndex];
        const resumed = start && fileIndex === start.fileIndex ? start.byteOffset : 0;
        const range = split ? await lineShare(name, split.index, split.count, sizes[fileIndex]) : undefined;
        const offset = range ? Math.max(resumed, range.start) : resumed;
        yield* readFile(name, fileIndex, offset, chunkBytes, sizes[fileIndex], range);
      }
    },
  };
}

/** Bytes of a plain file's first chunk (the rest comes in chunks of chunkBytes). */
const firstChunkBytes = 256 << 10;

export { fileShrankError } from './file-errors.js';

async function* readFile(name: string, fileIndex: number, offset: number, chunkBytes: number, size: number, range?: ByteRange): AsyncIterable<ByteChunk> {
  const handle = await open(name, 'r').catch((error: unknown) => { throw fileError(name, error); });
  try {
    const head = new Uint8Array(2);
    await handle.read(head, 0, 2, 0);
    if (range && isGzip(head)) {
      throw new Error('a gzip file cannot be split among workers (it cannot be read from the middle): give at least as many files as workers');
    }
    const end = range?.end ?? Infinity;
    const gzip = isGzip(head);
    // A plain file's first chunk is short: it is what the header checks and the row width need,
    // and the rest may be read by the parser itself (ByteChunk.rest), which starts it sooner.
    const firstBytes = Math.min(chunkBytes, firstChunkBytes);
    const expected = Math.min(end, size);
    const bytes = gzip ? gunzipped(handle, name, offset, chunkBytes) : plain(handle, name, offset, firstBytes, chunkBytes, end, expected);
    let first = true;
    for await (const data of bytes) {
      // Once the rest is taken, this file ends here.
      let taken = false, later = false;
      const rest = first && !gzip && data.length === firstBytes
        ? { path: name, from: offset + data.length, to: end, expected, share: Number.isFinite(end), take: () => (taken = !later) } : undefined;
      yield { data, fileIndex, name, fileStart: first, baseOffset: offset, ...(gzip ? {} : { path: name }), ...(rest ? { rest } : {}) };
      first = false;
      if (taken) break;
      later = true;
    }
    if (first) yield { data: new Uint8Array(0), fileIndex, name, fileStart: true, baseOffset: offset };
  } catch (error) {
    const message = (error as Error).message;
    throw message.startsWith(`${name}: `) ? error : new Error(`${name}: ${message}`);
  } finally {
    await handle.close();
  }
}

/**
 * A plain file from `offset`, in two reused buffers: the next chunk is read (on a libuv thread)
 * while the consumer parses the current one, so reading overlaps parsing. The consumer is done
 * with a chunk when it asks for the next, and the read ahead goes into the other buffer. (Fresh
 * buffers per chunk, as a read stream makes them, cost page faults on every chunk.)
 */
async function* plain(handle: FileHandle, name: string, offset: number, firstBytes: number, chunkBytes: number, end: number,
  expected: number): AsyncIterable<Uint8Array> {
  const buffers = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
  let position = offset;
  let which = 0;
  const read = (into: Buffer, bytes = chunkBytes) => (position < end ? handle.read(into, 0, Math.min(bytes, end - position), position) : Promise.resolve({ bytesRead: 0 }));
  let pending: Promise<{ bytesRead: number }> | undefined = read(buffers[0], firstBytes);
  try {
    for (let chunk = 0; ; chunk++) {
      const { bytesRead } = await pending!;
      pending = undefined;
      if (bytesRead === 0) {
        if (position < expected) throw fileShrankError(name, position, expected, Number.isFinite(end));
        return;
      }
      position += bytesRead;
      const current = buffers[which];
      which ^= 1;
      // Not ahead of the first chunk: its rest may be read by the parser instead.
      if (chunk > 0) pending = read(buffers[which]);
      yield current.subarray(0, bytesRead);
      pending ??= read(buffers[which]);
    }
  } finally {
    // A consumer that leaves early: the read ahead ends before the file closes, its error unseen.
    await pending?.catch(() => undefined);
  }
}

/** A gzip file's decompressed bytes from `offset`: gzip cannot seek, so decompress from the start and drop what comes before. */
async function* gunzipped(handle: FileHandle, name: string, offset: number, chunkBytes: number): AsyncIterable<Uint8Array> {
  async function* compressed() {
    for (let position = 0; ;) {
      // Fresh buffers: the decompressor may hold on to a chunk it was given.
      const buffer = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }
  let toSkip = offset;
  for await (const chunk of gunzip(compressed(), name, chunkBytes)) {
    const skip = Math.min(toSkip, chunk.length);
    toSkip -= skip;
    if (skip < chunk.length) yield chunk.subarray(skip);
  }
}
