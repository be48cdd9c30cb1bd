import { statSync } from 'node:fs';

// What a failed file-system call on an input means, in words: Node's own messages name the call
// and its errno (`ELOOP: too many symbolic links encountered, stat 'd/a.csv'`), not what is wrong
// with the input or what to do about it.

const meanings: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ELOOP: 'a symbolic link that leads back to itself (a loop of links): it names no file',
  EACCES: 'permission denied: this process may not read it (or may not search a directory on its path)',
  EPERM: 'operation not permitted: this process may not read it',
  ENOTDIR: 'a part of the path before its last is not a directory',
  ENAMETOOLONG: 'the path is longer than the file system allows',
  EISDIR: 'a directory, where a file was expected',
  EMFILE: 'this process has too many files open (raise its limit, ulimit -n)',
  EIO: 'an input/output error from the device that holds it',
};

/** `path: what is wrong (errno)`, for an error thrown by a file-system call on `path`. */
export function fileErrorMessage(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const meaning = code !== undefined ? meanings[code] : undefined;
  return meaning ? `${path}: ${meaning} (${code})` : `${path}: ${(error as Error).message}`;
}

/** The error to throw for `error` from a file-system call on `path` (its message from fileErrorMessage). */
export function fileError(path: string, error: unknown): Error {
  return new Error(fileErrorMessage(path, error));
}

/**
 * The error of a file whose read ended at byte `at`, before `expected`, where its share (or the
 * file) ended when the source was made; says the file's size now when it can be read.
 */
export function fileShrankError(name: string, at: number, expected: number, share = false): Error {
  const now = statSync(name, { throwIfNoEntry: false })?.size;
  return new Error(`${name}: the read ended at byte ${at}, before byte ${expected}, where ${share ? 'this worker\'s share of the file' : 'the file\'s data'} ended when the read began` +
    `${now === undefined ? ' (the file is gone now)' : ` (the file holds ${now} bytes now)`}: ` +
    'was it truncated or replaced while it was being read? (its rows would be missing from the run)');
}
