// Non-file byte sources: stdin ('-'), any Node Readable, and any sync or
// async iterable of Buffers, Uint8Arrays or strings (a socket, a child
// process's stdout, a generator). They cannot seek; they are one file.
import type { Readable } from 'node:stream';
import type { ByteChunk, ByteSource } from './types.js';

type ChunkLike = Uint8Array | string;

function toBytes(chunk: ChunkLike, description: string): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(`${description}: chunks must be Buffers, Uint8Arrays or strings, got ${(chunk as object)?.constructor?.name ?? typeof chunk}`);
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
      for await (const chunk of input as AsyncIterable<ChunkLike>) {
        yield { data: toBytes(chunk, description), fileIndex: 0, name: description, fileStart: first, baseOffset: 0 };
        first = false;
      }
      if (first) yield { data: new Uint8Array(0), fileIndex: 0, name: description, fileStart: true, baseOffset: 0 };
    },
  };
}

export function stdinSource(): ByteSource {
  return streamSource(process.stdin, 'stdin');
}
