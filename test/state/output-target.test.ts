// Where an output is written: the end of its chain of symbolic links (a dangling link's target is
// created, the link kept), and errors that name the path the user gave, not the temporary file
// written beside it. A dangling link was replaced by a regular file and a link loop overwritten.
import assert from 'node:assert/strict';
import { chmod, lstat, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOutput } from '../../lib/io/output-file.js';
import { outputFailure, writeFileAtomic } from '../../lib/state/atomic-write.js';

async function writeThrough(path: string, text: string): Promise<void> {
  const output = await openOutput(path);
  output.stream.write(text);
  await output.commit();
}

describe('output targets', () => {
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-output-target-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('writes the file a dangling link names and keeps the link, relative or absolute, through a chain', async () => {
    const link = join(directory, 'link.jsonl');
    await symlink('target.jsonl', link);
    await writeThrough(link, 'a\n');
    assert.ok((await lstat(link)).isSymbolicLink());
    assert.equal(await readlink(link), 'target.jsonl');
    assert.equal(await readFile(join(directory, 'target.jsonl'), 'utf8'), 'a\n');
    const chain = join(directory, 'chain.bin');
    await symlink(join(directory, 'middle.bin'), chain);
    await symlink('end.bin', join(directory, 'middle.bin'));
    await writeFileAtomic(chain, [Buffer.from('b')]);
    assert.ok((await lstat(chain)).isSymbolicLink());
    assert.ok((await lstat(join(directory, 'middle.bin'))).isSymbolicLink());
    assert.equal(await readFile(join(directory, 'end.bin'), 'utf8'), 'b');
  });

  it('refuses a loop of links and a path ending in /, before anything is written', async () => {
    await symlink('loop2', join(directory, 'loop1'));
    await symlink('loop1', join(directory, 'loop2'));
    const loop = join(directory, 'loop1');
    await assert.rejects(openOutput(loop), { message: `${loop}: too many levels of symbolic links (a loop of links), expected a file to write` });
    await assert.rejects(writeFileAtomic(loop, []), { message: `${loop}: too many levels of symbolic links (a loop of links), expected a file to write` });
    assert.ok((await lstat(loop)).isSymbolicLink());
    const slash = join(directory, 'new.jsonl') + '/';
    await assert.rejects(openOutput(slash), { message: `${slash}: ends in '/', which names a directory; expected a file to write` });
  });

  it('keeps the permissions of a file it replaces (a 600 file became 644, readable by all)', async () => {
    for (const [name, write] of [['stream.jsonl', (p: string) => writeThrough(p, 'new\n')], ['atomic.bin', (p: string) => writeFileAtomic(p, [Buffer.from('new')])]] as const) {
      const path = join(directory, name);
      await writeFile(path, 'old');
      await chmod(path, 0o600);
      await write(path);
      assert.equal((await stat(path)).mode & 0o777, 0o600, name);
      assert.match(await readFile(path, 'utf8'), /^new/);
    }
    const fresh = join(directory, 'fresh.bin');
    await writeFileAtomic(fresh, [Buffer.from('x')]);
    assert.equal((await stat(fresh)).mode & 0o022, 0, 'a new file is not group- or world-writable');
  });

  it('names the output, not the temporary file, when the directory refuses it', () => {
    const error = Object.assign(new Error("EACCES: permission denied, open '/data/.out.csv.123.tmp'"), { code: 'EACCES', syscall: 'open' });
    assert.equal(outputFailure(error, 'out.csv', '/data'), error);
    assert.equal(error.message, 'out.csv: cannot write it: permission denied (the directory /data or the file is not writable by this user) (EACCES)');
    const readOnly = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    assert.equal((outputFailure(readOnly, 'out.csv', '/mnt') as Error).message, 'out.csv: cannot write it: the file system of /mnt is read-only (EROFS)');
  });
});
