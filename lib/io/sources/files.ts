// Files as a byte source: one path (plain or .gz), a directory (every file
// in it, sorted), or a glob ('data/part-*.csv'). Several files can be
// sharded across workers by index, as SageMaker's ShardedByS3Key does.
import { createReadStream, statSync, readdirSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { ByteChunk, ByteSource, SourcePosition } from './types.js';

export interface FileSourceOptions {
  /** This worker's shard (0-based) and the number of shards: files i with i % count === index. */
  shard?: { index: number; count: number };
  /** Read size; larger chunks mean fewer parser calls. */
  chunkBytes?: number;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${escaped}$`);
}

/** The files a path, directory or glob names, sorted; an error when there are none. */
export function resolveFiles(spec: string): string[] {
  if (/[*?]/.test(basename(spec))) {
    const directory = dirname(spec);
    if (/[*?]/.test(directory)) throw new Error(`${spec}: wildcards are supported in the file name only`);
    if (!existsSync(directory)) throw new Error(`${spec}: directory ${directory} does not exist`);
    const pattern = globToRegExp(basename(spec));
    const files = readdirSync(directory).filter((f) => pattern.test(f)).sort().map((f) => join(directory, f))
      .filter((f) => statSync(f).isFile());
    if (files.length === 0) throw new Error(`${spec}: no file matches`);
    return files;
  }
  if (!existsSync(spec)) throw new Error(`${spec}: no such file or directory`);
  if (statSync(spec).isDirectory()) {
    const files = readdirSync(spec).filter((f) => !f.startsWith('.')).sort().map((f) => join(spec, f))
      .filter((f) => statSync(f).isFile());
    if (files.length === 0) throw new Error(`${spec}: the directory holds no files`);
    return files;
  }
  return [spec];
}

export function fileSource(spec: string | string[], options: FileSourceOptions = {}): ByteSource {
  let files = Array.isArray(spec) ? spec.flatMap(resolveFiles) : resolveFiles(spec);
  if (options.shard) {
    const { index, count } = options.shard;
    if (!Number.isSafeInteger(count) || count < 1 || !Number.isSafeInteger(index) || index < 0 || index >= count) {
      throw new RangeError(`shard index ${index} of ${count}: expected 0 <= index < count`);
    }
    files = files.filter((_, i) => i % count === index);
  }
  const chunkBytes = options.chunkBytes ?? 1 << 20;
  const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  return {
    kind: 'bytes',
    description: files.length === 1 ? files[0] : `${files.length} files (${files[0]}, ...)`,
    seekable: true,
    totalBytes,
    async *chunks(start?: SourcePosition): AsyncIterable<ByteChunk> {
      for (let fileIndex = start?.fileIndex ?? 0; fileIndex < files.length; fileIndex++) {
        const name = files[fileIndex];
        const offset = start && fileIndex === start.fileIndex ? start.byteOffset : 0;
        yield* readFile(name, fileIndex, offset, chunkBytes);
      }
    },
  };
}

async function* readFile(name: string, fileIndex: number, offset: number, chunkBytes: number): AsyncIterable<ByteChunk> {
  if (name.endsWith('.gz')) {
    yield* readGzipFile(name, fileIndex, offset, chunkBytes);
    return;
  }
  // One buffer, reused: the consumer is done with a chunk when it asks for the next. Fresh
  // buffers per chunk (what a read stream does) cost page faults on every chunk, and reading
  // ahead into a second buffer made parsing slower here (the copy competes for cache and
  // memory bandwidth; reads from the page cache take ~0.1 s per GB anyway).
  const handle = await open(name, 'r');
  try {
    const buffer = Buffer.allocUnsafeSlow(chunkBytes);
    let position = offset;
    let first = true;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      yield { data: buffer.subarray(0, bytesRead), fileIndex, name, fileStart: first, baseOffset: offset };
      first = false;
    }
    if (first) yield { data: new Uint8Array(0), fileIndex, name, fileStart: true, baseOffset: offset };
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  } finally {
    await handle.close();
  }
}

async function* readGzipFile(name: string, fileIndex: number, offset: number, chunkBytes: number): AsyncIterable<ByteChunk> {
  // A gzip stream cannot seek: decompress from the start and drop bytes up to the offset.
  const raw = createReadStream(name, { highWaterMark: chunkBytes });
  const stream = raw.pipe(createGunzip({ chunkSize: Math.min(chunkBytes, 1 << 20) }));
  raw.on('error', (error) => stream.destroy(error));
  let toSkip = offset;
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let data: Uint8Array = chunk;
      if (toSkip > 0) {
        const skip = Math.min(toSkip, data.length);
        toSkip -= skip;
        data = data.subarray(skip);
        if (data.length === 0) continue;
      }
      yield { data, fileIndex, name, fileStart: first, baseOffset: offset };
      first = false;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${name}: ${code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' ? 'corrupt or truncated gzip data' : (error as Error).message}`);
  }
  if (first) yield { data: new Uint8Array(0), fileIndex, name, fileStart: true, baseOffset: offset };
}
