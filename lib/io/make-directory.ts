// mkdir -p without Node's recursive mkdir, which never returns for a path
// under /proc: mkdir("/proc/x") fails with ENOENT, its parent exists, and
// Node's loop tries the child again, forever, on a thread that ignores
// SIGTERM (Node 20). Here each missing level is made once, and a level that
// cannot be made is an error naming it.
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

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

/** Whether `path` is a directory; false when nothing is there. Other errors (a file in the way) surface at mkdir. */
async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
