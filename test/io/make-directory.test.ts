// makeDirectory: mkdir -p that returns for every path. Node 20's recursive mkdir never returns for
// a path under /proc (the child fails with ENOENT, the parent exists, and it tries again).
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirectory } from '../../lib/io/make-directory.js';

describe('makeDirectory', () => {
  let root: string;
  before(async () => { root = await mkdtemp(join(tmpdir(), 'boundless-mkdir-')); });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  it('makes every missing level, and an existing directory is fine', async () => {
    const deep = join(root, 'a', 'b', 'c');
    await makeDirectory(deep);
    await makeDirectory(deep);
    assert.ok((await stat(deep)).isDirectory());
  });

  it('a level that cannot be made is an error naming it, at once (under /proc, and under a file)', async () => {
    const started = Date.now();
    await assert.rejects(makeDirectory('/proc/boundless-x/y'),
      { message: "cannot make the directory /proc/boundless-x (for /proc/boundless-x/y): ENOENT: no such file or directory, mkdir '/proc/boundless-x'" });
    assert.ok(Date.now() - started < 5000);
    await writeFile(join(root, 'file'), 'x');
    await assert.rejects(makeDirectory(join(root, 'file', 'd')), /^Error: cannot make the directory .*\/file \(for .*\/file\/d\): it exists and is not a directory$/);
  });
});
