// Where a command's output goes when it is a path. A regular file (or one
// that does not exist yet) is written atomically: into a temporary file in
// the same directory, renamed over the path only when everything was
// written, so a failed run leaves no half-written file. Anything else —
// /dev/null, a FIFO, a terminal, another character device — is written to
// directly: renaming over it would replace the device with a plain file
// (state/atomic-write.ts outputTarget decides, for every writer).
import { fstat, type Stats, type WriteStream } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { keepPermissions, outputFailure, outputTarget } from '../state/atomic-write.js';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';

export interface OutputFile {
  readonly stream: WriteStream;
  /** Ends the stream and, for a regular file, puts it in place. */
  commit(): Promise<void>;
  /**
   * Stops writing and removes what a regular file's temporary holds; `error` (what stopped the
   * writer) comes back with the path named when it was this output's write that failed.
   */
  abort(error?: unknown): Promise<unknown>;
}

/** Whether `path` is the file or pipe this process's stdout writes to (/dev/stdout, or the shell's redirect target). */
export async function isStdout(path: string): Promise<boolean> {
  const [found, out] = await Promise.all([stat(path).catch(() => undefined), new Promise<Stats | undefined>((done) => fstat(1, (error, s) => done(error ? undefined : s)))]);
  return found !== undefined && out !== undefined && found.dev === out.dev && found.ino === out.ino;
}

async function finish(stream: WriteStream): Promise<void> {
  if (stream.closed) return;
  stream.end();
  await once(stream, 'close');
}

/**
 * A write error (a FIFO whose reader left: EPIPE; a full disk or /dev/full: ENOSPC) reaches the
 * writer through its write callbacks; the stream's 'error' event, with no listener, was an uncaught
 * exception with Node's stack trace. It is heard here, left to the callbacks, and kept: the
 * commit throws it for a writer that did not look at them.
 */
function heard(stream: WriteStream): { stream: WriteStream; failure: () => unknown } {
  let failure: unknown;
  stream.on('error', (error) => { failure ??= error; });
  return { stream, failure: () => failure };
}

/**
 * Ends the stream, then throws the first write error it met (with the path named), for writers
 * that did not look at their write callbacks: a forecast written to /dev/full ended with status 0.
 */
async function finishChecked(written: ReturnType<typeof heard>, path: string): Promise<void> {
  await finish(written.stream);
  if (written.failure() !== undefined) throw named(written.failure(), path);
}

/**
 * A failed write's error with the output's path in its message (`boundless: out.csv: ENOSPC: …`).
 * EPIPE is left as it is: the CLI ends quietly on it, as when stdout's reader is gone.
 */
function named(error: unknown, path: string): unknown {
  const e = error as NodeJS.ErrnoException | undefined;
  if (e instanceof Error && e.syscall === 'write' && e.code !== 'EPIPE' && !e.message.startsWith(`${path}: `)) e.message = `${path}: ${e.message}`;
  return error;
}

/** Opens `path` for writing a stream of bytes: see outputTarget for which paths are written in place. */
export async function openOutput(path: string): Promise<OutputFile> {
  const target = await outputTarget(path);
  if (target.direct) {
    const written = heard((await open(path, 'w')).createWriteStream());
    const { stream } = written;
    return { stream, commit: () => finishChecked(written, path), abort: async (error) => { stream.destroy(); return named(error, path); } };
  }
  const temporary = join(dirname(target.path), `.${basename(target.path)}.${process.pid}.tmp`);
  // Opened first, so that a path that cannot be written is a rejected promise, not an 'error' event.
  const directory = dirname(target.path);
  const handle = await open(temporary, 'w').catch((error) => { throw outputFailure(error, path, directory); });
  try {
    await keepPermissions(handle, target);
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => {});
    throw error;
  }
  const written = heard(handle.createWriteStream());
  const { stream } = written;
  return {
    stream,
    commit: async () => {
      try {
        await finishChecked(written, path);
        await rename(temporary, target.path).catch((error) => { throw outputFailure(error, path, directory); });
      } catch (error) {
        await unlink(temporary).catch(() => {});
        throw error;
      }
    },
    abort: async (error) => {
      stream.destroy();
      if (!stream.closed) await once(stream, 'close').catch(() => {});
      await unlink(temporary).catch(() => {});
      return named(error, path);
    },
  };
}
