// Atomic file replacement: write a temporary file in the same directory,
// fsync it, rename it over the target, fsync the directory. A crash at any
// instant leaves either the old file or the new one, never a torn one.
// Devices, FIFOs and the process's own descriptors are written directly
// (they cannot be replaced); symlinks to files are followed, so the link
// keeps pointing at the file it named.
import { lstat, open, readlink, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
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
  /** The file replaced, if one is there: its replacement keeps its permissions and owner. */
  replaced?: { mode: number; uid: number; gid: number };
}

/**
 * How `path` is to be written. Paths under /dev and /proc (/dev/stdout is a link to the process's
 * descriptor 1, which may be the shell's redirect into a regular file), devices, FIFOs and sockets
 * are written directly: renaming over them would replace them. A regular file, or a new one, is
 * replaced atomically at the end of its chain of symbolic links (a link whose file does not exist
 * yet names the file to create, as open(2) would create it). Errors name the path: a directory, a
 * missing parent, a link loop.
 */
export async function outputTarget(path: string): Promise<OutputTarget> {
  if (/^\/(dev|proc)\//.test(resolve(path))) return { direct: true, path };
  if (path.endsWith('/')) throw new Error(`${path}: ends in '/', which names a directory; expected a file to write`);
  const real = await linkTarget(path);
  const found = await stat(real).catch(() => undefined);
  if (found?.isDirectory()) throw new Error(`${path}: is a directory, expected a file to write`);
  if (found && !found.isFile()) return { direct: true, path };
  const parent = await stat(dirname(real)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new Error(`${path}: cannot write it: the directory ${dirname(real)} does not exist`);
  return { direct: false, path: real, ...(found ? { replaced: { mode: found.mode & 0o7777, uid: found.uid, gid: found.gid } } : {}) };
}

/**
 * Gives the temporary file the permissions and owner of the file it replaces (a 600 file had
 * become 644 when replaced, readable by all); the owner where this process may set it (root).
 */
export async function keepPermissions(handle: FileHandle, target: OutputTarget): Promise<void> {
  if (!target.replaced) return;
  const { mode, uid, gid } = target.replaced;
  await handle.chmod(mode);
  if (process.getuid?.() === 0) await handle.chown(uid, gid).catch(() => {});
}

/** Links followed at most, as Linux's open(2) follows them (ELOOP past 40). */
const maxLinks = 40;

/**
 * Where `path`'s chain of symbolic links ends (the path itself when it is no link). A dangling
 * link was replaced by a regular file, and the file it named never written.
 */
async function linkTarget(path: string): Promise<string> {
  let current = resolve(path);
  for (let hops = 0; hops <= maxLinks; hops++) {
    const info = await lstat(current).catch(() => undefined);
    if (!info?.isSymbolicLink()) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw new Error(`${path}: too many levels of symbolic links (a loop of links), expected a file to write`);
}

/**
 * A failure to create the temporary file beside the output, or to rename it over the output, in
 * words that name the output (`out.csv: cannot write it: …`) rather than the temporary's name.
 */
export function outputFailure(error: unknown, path: string, directory: string): unknown {
  const e = error as NodeJS.ErrnoException | undefined;
  if (!(e instanceof Error) || !e.code || e.message.startsWith(`${path}: `)) return error;
  const why: Record<string, string> = {
    EACCES: `permission denied (the directory ${directory} or the file is not writable by this user)`,
    EPERM: `operation not permitted (the file or the directory ${directory} is protected from this user)`,
    EROFS: `the file system of ${directory} is read-only`,
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: `${directory} is not a directory`,
    EISDIR: 'is a directory',
  };
  if (why[e.code]) e.message = `${path}: cannot write it: ${why[e.code]} (${e.code})`;
  return error;
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
  const handle = await open(temporary, 'wx', 0o644).catch((error) => { throw outputFailure(error, path, directory); });
  let renamed = false;
  try {
    await keepPermissions(handle, target);
    // A full disk fails here, mid-write: said as the path's failure ("ENOSPC: no space left on device, write" named nothing).
    await writeParts(handle, parts).catch((error) => { throw outputFailure(error, path, directory); });
    await handle.sync().catch((error) => { throw outputFailure(error, path, directory); });
    await handle.close();
    await rename(temporary, target.path).catch((error) => { throw outputFailure(error, path, directory); });
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
