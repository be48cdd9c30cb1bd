// Atomic file replacement: write a temporary file in the same directory,
// fsync it, rename it over the target, fsync the directory. A crash at any
// instant leaves either the old file or the new one, never a torn one.
// Devices, FIFOs and the process's own descriptors are written directly
// (they cannot be replaced); symlinks to files are followed, so the link
// keeps pointing at the file it named.
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes every part at the handle's position. */
async function writeParts(handle: FileHandle, parts: Iterable<Uint8Array>): Promise<void> {
  for (const part of parts) {
    let written = 0;
    while (written < part.byteLength) {
      const { bytesWritten } = await handle.write(part, written, part.byteLength - written);
      written += bytesWritten;
    }
  }
}

export interface OutputTarget {
  /** Write this path in place: a device, FIFO or socket, or a path under /dev or /proc. */
  direct: boolean;
  /** Where to write: for a file, its real location (symlinks followed). */
  path: string;
}

/**
 * How `path` is to be written. Paths under /dev and /proc (/dev/stdout is a link to the process's
 * descriptor 1, which may be the shell's redirect into a regular file), devices, FIFOs and sockets
 * are written directly: renaming over them would replace them. A regular file, or a new one, is
 * replaced atomically at its real location. Errors name the path: a directory, a missing parent.
 */
export async function outputTarget(path: string): Promise<OutputTarget> {
  if (/^\/(dev|proc)\//.test(resolve(path))) return { direct: true, path };
  const found = await stat(path).catch(() => undefined);
  if (found?.isDirectory()) throw new Error(`${path}: is a directory, expected a file to write`);
  if (found && !found.isFile()) return { direct: true, path };
  const real = found ? await realpath(path) : path;
  const parent = await stat(dirname(real)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new Error(`${path}: cannot write it: the directory ${dirname(real)} does not exist`);
  return { direct: false, path: real };
}

/** Replaces the file at `path` atomically, or writes it in place when it is a device (see outputTarget). */
export async function writeFileAtomic(path: string, parts: Iterable<Uint8Array>): Promise<void> {
  const target = await outputTarget(path);
  if (target.direct) {
    const handle = await open(path, 'w');
    try {
      await writeParts(handle, parts);
    } finally {
      await handle.close();
    }
    return;
  }
  const directory = dirname(target.path);
  const temporary = join(directory, `.${basename(target.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o644);
  let renamed = false;
  try {
    await writeParts(handle, parts);
    await handle.sync();
    await handle.close();
    await rename(temporary, target.path);
    renamed = true;
    await syncDirectory(directory);
  } finally {
    if (!renamed) {
      await handle.close().catch(() => {});
      await unlink(temporary).catch(() => {});
    }
  }
}

async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename itself durable. Some platforms cannot open or fsync a
  // directory (Windows); the rename is still atomic there.
  let handle;
  try {
    handle = await open(directory, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}
