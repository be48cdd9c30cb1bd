// Non-file byte sources: stdin ('-'), a path that names a stream (a named
// pipe, /dev/stdin, a process substitution, a device), any Node Readable, and
// any sync or async iterable of Buffers, Uint8Arrays or strings (a socket, a
// child process's stdout, a generator). They cannot seek; they are one file,
// read once. gzip is recognised by its first bytes and decompressed.
//
// A read waiting for bytes ends as soon as its signal fires (an AbortError):
// a stop must not wait for a writer that is quiet or has not come yet. What
// this module opens itself (stdin, a path) is closed then; a Readable or
// iterable given by the caller is left to it.
import { closeSync, constants, createReadStream, open as openCallback, openSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { isatty, ReadStream as TtyReadStream } from 'node:tty';
import { promisify } from 'node:util';
import { gunzip, isGzip } from './gzip.js';
import { readAhead } from './read-ahead.js';
import type { ByteChunk, ByteSource } from './types.js';

type ChunkLike = Uint8Array | string;
type ByteInput = Readable | AsyncIterable<ChunkLike> | Iterable<ChunkLike>;

/** A stream opened for a read: its bytes, and (for what this module opened) how to close it. */
interface Opened {
  input: ByteInput;
  /** Ends the stream, and a read of it in flight; undefined for the caller's own streams (which are not read ahead either). */
  close?: () => void;
}

function toBytes(chunk: ChunkLike, description: string): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(`${description}: chunks must be Buffers, Uint8Arrays or strings, got ${(chunk as object)?.constructor?.name ?? typeof chunk}`);
}

async function* bytesOf(input: ByteInput, description: string): AsyncIterable<Uint8Array> {
  for await (const chunk of input as AsyncIterable<ChunkLike>) yield toBytes(chunk, description);
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new DOMException('training was aborted', 'AbortError');
}

/**
 * `items`, ending with an AbortError as soon as `signal` fires, even while a read is in flight:
 * `close` ends what this module opened, and a caller's stream that does not answer is left to
 * settle by itself.
 */
export async function* untilAborted<T>(items: AsyncIterable<T>, signal: AbortSignal | undefined, close: (() => void) | undefined): AsyncIterable<T> {
  if (!signal) {
    yield* items;
    return;
  }
  signal.throwIfAborted();
  const iterator = items[Symbol.asyncIterator]();
  // Each read is a promise of its own, which the stop rejects while it is pending. (A race of each
  // read with one promise that never settled left a reaction on it per read, each holding what the
  // read gave: a stream's memory grew with its length, 450 MB for 365 MB of stdin; a user test.)
  let rejectPending: ((reason: unknown) => void) | undefined;
  const onAbort = () => {
    close?.();
    rejectPending?.(abortReason(signal));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let reading = false;
  try {
    for (;;) {
      signal.throwIfAborted();
      reading = true;
      const step = await new Promise<IteratorResult<T>>((resolve, reject) => {
        rejectPending = reject;
        iterator.next().then(resolve, reject);
      });
      rejectPending = undefined;
      reading = false;
      if (step.done) return;
      yield step.value;
    }
  } finally {
    rejectPending = undefined;
    signal.removeEventListener('abort', onAbort);
    // A read in flight: an async generator's return would wait for it, so it is not awaited.
    if (reading) void Promise.resolve(iterator.return?.()).catch(() => undefined);
    else await iterator.return?.();
  }
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

/** A source read once, from what `open` gives when the read starts. */
function onceSource(description: string, open: () => Opened | Promise<Opened>, signal: AbortSignal | undefined): ByteSource {
  let used = false;
  let opened: Opened | undefined;
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
      signal?.throwIfAborted();
      opened = await open();
      try {
        let first = true;
        const bytes = maybeGunzip(untilAborted(bytesOf(opened.input, description), signal, opened.close), description);
        // What this module opened (stdin, a pipe) is read ahead while the parser works: a pipe's 64 KiB
        // reads are parsed as chunks of all that came meanwhile. A caller's stream or iterable is
        // read only as far as the batches ahead need (its backpressure may be the caller's flow control).
        for await (const data of opened.close ? readAhead(bytes) : bytes) {
          yield { data, fileIndex: 0, name: description, fileStart: first, baseOffset: 0 };
          first = false;
        }
        if (first) yield { data: new Uint8Array(0), fileIndex: 0, name: description, fileStart: true, baseOffset: 0 };
      } finally {
        opened.close?.();
      }
    },
    async close() {
      opened?.close?.();
    },
  };
}

/** A Readable, or an iterable of Buffers or strings, given by the caller (left open when a read is stopped). */
export function streamSource(input: ByteInput, description = 'stream', signal?: AbortSignal): ByteSource {
  return onceSource(description, () => ({ input }), signal);
}

/** Ends this process's stdin unless it has ended by itself (a later read then finds it empty, as before). */
function closeStdin(): void {
  if (!process.stdin.readableEnded) process.stdin.destroy();
}

/** This process's stdin. */
export function stdinSource(signal?: AbortSignal): ByteSource {
  return onceSource('stdin', () => ({ input: process.stdin, close: closeStdin }), signal);
}

const openFd = promisify(openCallback);

/** The descriptor a path such as /dev/stdin, /dev/fd/N or /proc/self/fd/N names; undefined for other paths. */
function descriptorOf(path: string): number | undefined {
  if (path === '/dev/stdin') return 0;
  const match = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(path);
  return match ? Number(match[1]) : undefined;
}

/**
 * A path that names a stream (a named pipe, /dev/stdin or /dev/fd/N of a pipe, a terminal, a
 * device), opened when the read starts. A pipe is opened without blocking and read as a socket:
 * open(2) of a named pipe waits for a writer, and on a libuv thread nothing wakes that wait, so a
 * stopped process could not even exit; the socket waits in the event loop instead. (A pipe opened
 * so reads no end until a writer has come and gone.) A socket cannot be opened: /dev/stdin or
 * /dev/fd/N of one (a Node parent's 'pipe' is a socket pair) is read from the descriptor itself.
 * A terminal is read as a terminal, anything else as a file is.
 */
export function pathStreamSource(path: string, signal?: AbortSignal): ByteSource {
  return onceSource(path, async () => {
    try {
      const stats = statSync(path);
      const descriptor = stats.isSocket() ? descriptorOf(path) : undefined;
      if (descriptor === 0) return { input: process.stdin, close: closeStdin };
      if (descriptor !== undefined) {
        const socket = new Socket({ fd: descriptor, readable: true, writable: false });
        return { input: socket, close: () => socket.destroy() };
      }
      if (stats.isFIFO()) {
        const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
        let socket: Socket;
        try {
          socket = new Socket({ fd, readable: true, writable: false });
        } catch (error) {
          closeSync(fd);
          throw error;
        }
        return { input: socket, close: () => socket.destroy() };
      }
      const fd = await openFd(path, 'r');
      const stream = isatty(fd) ? new TtyReadStream(fd) : createReadStream(path, { fd });
      return { input: stream, close: () => stream.destroy() };
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`);
    }
  }, signal);
}
