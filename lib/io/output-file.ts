// Where a command's output goes when it is a path. A regular file (or one
// that does not exist yet) is written atomically: into a temporary file in
// the same directory, renamed over the path only when everything was
// written, so a failed run leaves no half-written file. Anything else —
// /dev/null, a FIFO, a terminal, another character device — is written to
// directly: renaming over it would replace the device with a plain file.
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';

export interface OutputFile {
  readonly stream: WriteStream;
  /** Ends the stream and, for a regular file, puts it in place. */
  commit(): Promise<void>;
  /** Stops writing and removes what a regular file's temporary holds. */
  abort(): Promise<void>;
}

/** True for a path that exists and is not a regular file (a device, a FIFO, a socket). */
export async function isSpecialFile(path: string): Promise<boolean> {
  const found = await stat(path).catch(() => undefined);
  return found !== undefined && !found.isFile() && !found.isDirectory();
}

async function finish(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  stream.end();
  await once(stream, 'close');
}

export async function openOutput(path: string): Promise<OutputFile> {
  const found = await stat(path).catch(() => undefined);
  if (found?.isDirectory()) throw new Error(`${path}: is a directory, expected a file to write`);
  if (found && !found.isFile()) {
    const stream = createWriteStream(path, { flags: 'w' });
    return { stream, commit: () => finish(stream), abort: async () => { stream.destroy(); } };
  }
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const stream = createWriteStream(temporary, { flags: 'w' });
  return {
    stream,
    commit: async () => {
      await finish(stream);
      await rename(temporary, path);
    },
    abort: async () => {
      stream.destroy();
      if (!stream.closed) await once(stream, 'close').catch(() => {});
      await unlink(temporary).catch(() => {});
    },
  };
}
