// One training run at a time per checkpoint directory. Two runs writing one directory would
// number their checkpoints in one sequence, rotate each other's away, and a --resume would
// continue from whichever was written last — another run's model, with no word said. The lock is
// a file made with O_EXCL holding its owner's pid and host; a run killed with SIGKILL leaves it
// behind, and the next run on the same host takes it over once that pid is gone.
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const lockFileName = '.boundless-lock';

interface Holder { pid: number; host: string; started: string }

/** Whether a process of this host is running (EPERM: it is, under another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function holderOf(path: string): Promise<Holder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<Holder>;
    if (Number.isSafeInteger(parsed.pid) && typeof parsed.host === 'string') return parsed as Holder;
  } catch {
    // Gone since, or written by no run of ours: judged below by its age.
  }
  return undefined;
}

export class CheckpointLock {
  private constructor(readonly path: string) {}

  /**
   * Takes the directory's lock, or throws naming the run that holds it (its pid, host and start).
   * A lock whose process is gone (same host) is taken over; one that cannot be read is taken over
   * when older than a minute (a writer is done with it in microseconds).
   */
  static async acquire(directory: string): Promise<CheckpointLock> {
    const path = join(directory, lockFileName);
    for (let attempt = 0; ; attempt++) {
      try {
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }));
        } finally {
          await handle.close();
        }
        return new CheckpointLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await holderOf(path);
      const stale = holder ? holder.host === hostname() && !running(holder.pid)
        : Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0) > 60_000;
      // Taken over once: a lock made again meanwhile is a run that got there first.
      if (!stale || attempt > 0) throw inUse(directory, path, holder);
      await unlink(path).catch(() => {});
    }
  }

  /** Gives the directory back; a lock already gone (removed by hand) is no error. */
  async release(): Promise<void> {
    await unlink(this.path).catch(() => {});
  }
}

function inUse(directory: string, path: string, holder: Holder | undefined): Error {
  const who = holder ? `process ${holder.pid} on ${holder.host}, since ${holder.started}` : 'another run (its lock file is being written)';
  return new Error(`checkpoint directory ${directory} is in use by ${who}: two runs writing one directory would rotate each other's ` +
    `checkpoints away, and a resume would continue the other's model. Give this run another --checkpoint-dir (checkpoint.directory), ` +
    `or wait for that one; if no run uses it any more (one on another host that was killed), remove ${path}`);
}
