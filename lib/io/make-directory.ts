// mkdir -p without Node's recursive mkdir, which never returns for a path
// under /proc: mkdir("/proc/x") fails with ENOENT, its parent exists, and
// Node's loop tries the child again, forever, on a thread that ignores
// SIGTERM (Node 20). Here each missing level is made once, and a level that
// cannot be made is an error naming it.
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { outputTarget } from '../state/atomic-write.js';

/** Makes `path` and its missing parents; an existing directory is fine. Throws naming the level that failed. */
export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  for (let at = resolve(path); ; at = dirname(at)) {
    if (await isDirectory(at)) break;
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        if (await isDirectory(level)) continue;
        throw new Error(`cannot make the directory ${level}${level === resolve(path) ? '' : ` (for ${path})`}: it exists and is not a directory`);
      }
      throw new Error(`cannot make the directory ${level}${level === resolve(path) ? '' : ` (for ${path})`}: ${(error as Error).message}`);
    }
  }
}

/** Probe files made so far by this process (each call's name is its own). */
let probes = 0;

/**
 * Makes `path` as makeDirectory does and proves a file can be created in it (one is made and
 * removed): a directory the process may not write in (another user's, a read-only mount, /proc)
 * then fails before a run trains rather than when it saves what it trained. `role` names the
 * option in the message (e.g. "--model-dir").
 */
export async function makeWritableDirectory(path: string, role: string, files: readonly string[] = []): Promise<void> {
  try {
    await makeDirectory(path);
  } catch (error) {
    throw new Error(`${role}: ${(error as Error).message}`);
  }
  await probeDirectory(path, `${role} ${path}:`, 'it');
  // The files the run will write there (`files`), as they will be written: a directory or a link
  // loop in their place, or a link to a directory this process may not write in, failed after the
  // whole run, and could leave a new model beside the old state.
  for (const name of files) {
    const file = join(path, name);
    let target;
    try {
      target = await outputTarget(file);
    } catch (error) {
      throw new Error(`${role}: ${(error as Error).message}`);
    }
    if (!target.direct && resolve(dirname(target.path)) !== resolve(path)) await probeDirectory(dirname(target.path), `${role}: ${file} links to ${target.path}, and`, 'its directory');
  }
}

/** Proves a file can be created in `directory` (one is made and removed); the message is `${subject} cannot create a file in ${where} (…)`. */
async function probeDirectory(directory: string, subject: string, where: string): Promise<void> {
  // Named per call, not per process: two runs of one process started together on one directory
  // collided on the name (EEXIST, said as a directory this process may not write in).
  const probe = join(directory, `.boundless-write-test-${process.pid}-${++probes}`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (error) {
    throw new Error(`${subject} cannot create a file in ${where} (${(error as Error).message}); give a directory this process may write in`);
  }
  await unlink(probe).catch(() => {});
}

/** Whether `path` is a directory; false when nothing is there. Other errors (a file in the way) surface at mkdir. */
async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
