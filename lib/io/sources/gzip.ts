// gzip, recognised by its magic bytes (1f 8b) rather than by a file name:
// stdin, a pipe, or a file without the .gz suffix decompress the same way.
// A corrupt or truncated stream is an error naming the input.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** Whether bytes begin a gzip stream (RFC 1952 ID1 ID2). */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** The decompressed bytes of a gzip stream, in chunks of at most `chunkBytes`. */
export async function* gunzip(compressed: AsyncIterable<Uint8Array>, name: string, chunkBytes = 1 << 20): AsyncIterable<Uint8Array> {
  const source = Readable.from(compressed, { objectMode: false });
  const inflate = createGunzip({ chunkSize: Math.min(chunkBytes, 1 << 20) });
  source.on('error', (error) => inflate.destroy(error));
  source.pipe(inflate);
  try {
    for await (const chunk of inflate as AsyncIterable<Buffer>) yield chunk;
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;  // a stop, not a fault of the data
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${name}: ${code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' ? 'corrupt or truncated gzip data' : (error as Error).message}`);
  } finally {
    // Both ends, so that an early stop by the consumer closes the input too.
    inflate.destroy();
    source.destroy();
  }
}
