// Non-file byte sources: stdin ('-'), any Node Readable, and any sync or
// async iterable of Buffers, Uint8Arrays or strings (a socket, a child
// process's stdout, a generator). They cannot seek; they are one file.
// gzip is recognised by its first bytes and decompressed.
import type { Readable } from 'node:stream';
import { gunzip, isGzip } from './gzip.js';
import type { ByteChunk, ByteSource } from './types.js';

type ChunkLike = Uint8Array | string;

function toBytes(chunk: ChunkLike, description: string): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(`${description}: chunks must be Buffers, Uint8Arrays or strings, got ${(chunk as object)?.constructor?.name ?? typeof chunk}`);
}

async function* bytesOf(input: Readable | AsyncIterable<ChunkLike> | Iterable<ChunkLike>, description: string): AsyncIterable<Uint8Array> {
  for await (const chunk of input as AsyncIterable<ChunkLike>) yield toBytes(chunk, description);
}

/** The stream as it comes, or decompressed when its first bytes are gzip's magic. */
async function* maybeGunzip(chunks: AsyncIterable<Uint8Array>, description: string): AsyncIterable<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  // Peek until two bytes are known (a chunk may hold one byte).
  const head: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < 2) {
      const step = await iterator.next();
      if (step.done) break;
      head.push(step.value);
      length += step.value.length;
    }
  } catch (error) {
    await iterator.return?.();
    throw error;
  }
  async function* replay() {
    try {
      yield* head;
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) yield step.value;
    } finally {
      await iterator.return?.();
    }
  }
  const joined = head.length === 1 ? head[0] : Buffer.concat(head);
  if (isGzip(joined)) yield* gunzip(replay(), description);
  else yield* replay();
}

export function streamSource(
  input: Readable | AsyncIterable<ChunkLike> | Iterable<ChunkLike>, description = 'stream',
): ByteSource {
  let used = false;
  return {
    kind: 'bytes',
    description,
    seekable: false,
    async *chunks(start): AsyncIterable<ByteChunk> {
      if (start && (start.byteOffset > 0 || start.fileIndex > 0)) {
        throw new Error(`${description}: a stream cannot seek to a checkpoint position; resume needs a file source`);
      }
      if (used) throw new Error(`${description}: a stream can be read once (epochs need a file source)`);
      used = true;
      let first = true;
      for await (const data of maybeGunzip(bytesOf(input, description), description)) {
        yield { data, fileIndex: 0, name: description, fileStart: first, baseOffset: 0 };
        first = false;
      }
      if (first) yield { data: new Uint8Array(0), fileIndex: 0, name: description, fileStart: true, baseOffset: 0 };
    },
  };
}

export function stdinSource(): ByteSource {
  return streamSource(process.stdin, 'stdin');
}
