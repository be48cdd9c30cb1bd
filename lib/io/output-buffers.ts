// Reused byte buffers for writers that encode a batch at a time into a
// Writable. A buffer handed to write() is the stream's until the write's
// callback fires, so there are two: one encodes while the other is written.
// Each grows (doubling) only when a batch needs more than it holds, so memory
// stays at two of the largest batch's encodings, however much is written.
import type { Writable } from 'node:stream';

export class OutputBuffers {
  private readonly buffers: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
  private readonly pending: (Promise<void> | undefined)[] = [undefined, undefined];
  private next = 0;

  /**
   * The next buffer, at least `bytes` long, once the stream has finished with its last write.
   * Rejects with that write's error (EPIPE when stdout's reader is gone).
   */
  async take(bytes: number): Promise<{ slot: number; buffer: Uint8Array }> {
    const slot = this.next;
    this.next = 1 - slot;
    const previous = this.pending[slot];
    this.pending[slot] = undefined;
    await previous;
    if (this.buffers[slot].length < bytes) this.buffers[slot] = new Uint8Array(Math.max(bytes, 2 * this.buffers[slot].length));
    return { slot, buffer: this.buffers[slot] };
  }

  /**
   * Writes buffer[0, length) of `slot`. The backpressure is the ring itself: the stream never
   * holds more than these two buffers, and take() waits for the older one's write, so a slow
   * reader holds the writer back while a fast one lets encoding overlap writing. (Waiting for
   * 'drain' instead would serialize them: a batch's bytes are always above the highWaterMark.)
   */
  write(out: Writable, slot: number, length: number): void {
    const bytes = this.buffers[slot];
    let done!: (error?: Error | null) => void;
    const written = new Promise<void>((resolve, reject) => { done = (error) => error ? reject(error) : resolve(); });
    written.catch(() => {});  // not unhandled meanwhile: take() or settle() awaits it and throws its error
    this.pending[slot] = written;
    out.write(Buffer.from(bytes.buffer, bytes.byteOffset, length), (error) => done(error));
  }

  /** Waits for both buffers' writes: after this, the stream holds none of them. */
  async settle(): Promise<void> {
    const pending = this.pending.splice(0, 2, undefined, undefined);
    await Promise.all(pending);
  }
}
