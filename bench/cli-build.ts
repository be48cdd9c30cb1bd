// Which build of the CLI a benchmark ran: its path, the checkout's commit, and whether lib/ or
// native/ had changes not committed (so a table can say what it measured).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';

export interface CliBuild { path: string; commit?: string; dirty?: boolean }

export function cliBuild(cli: string): CliBuild {
  let commit: string | undefined;
  let dirty: boolean | undefined;
  try {
    const root = join(dirname(cli), '..', '..');
    commit = execFileSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'lib', 'native'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
  } catch { /* not a git checkout */ }
  return { path: cli, commit, dirty };
}
