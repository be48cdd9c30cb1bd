// Atomic file replacement: write a temporary file in the same directory,
// fsync it, rename it over the target, fsync the directory. A crash at any
// instant leaves either the old file or the new one, never a torn one.
// Devices and FIFOs are written directly (they cannot be replaced).
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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

/**
 * Replaces the file at `path` atomically. A path that exists and is not a regular file (a
 * device such as /dev/stdout, a FIFO) is written directly: renaming over it would replace it.
 */
export async function writeFileAtomic(path: string, parts: Iterable<Uint8Array>): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing && !existing.isFile() && !existing.isDirectory()) {
    const handle = await open(path, 'w');
    try {
      await writeParts(handle, parts);
    } finally {
      await handle.close();
    }
    return;
  }
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temporary, 'wx', 0o644);
  let renamed = false;
  try {
    await writeParts(handle, parts);
    await handle.sync();
    await handle.close();
    await rename(temporary, path);
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
