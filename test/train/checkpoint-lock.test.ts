// One run per checkpoint directory: a second run is refused while the first holds it, a lock left
// by a killed run of this host is taken over, and every way a run ends gives the directory back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { train, type TrainOptions } from '../../lib/index.js';
import { leastSquares } from '../fixtures/least-squares.js';
import { dim, writeTrainerFiles } from '../fixtures/trainer-files.js';

const hp = { feature_dim: dim, num_models: 1, seed: 5 };
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('trainer: checkpoint directory lock', function () {
  this.timeout(120_000);
  let root: string;
  let trainPath: string;
  before(async () => { ({ root, trainPath } = await writeTrainerFiles('boundless-lock-')); });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  const options = (directory: string): TrainOptions => ({ train: trainPath, epochs: 2, data: { miniBatchSize: 25 }, checkpoint: { directory, everyBatches: 7 } });
  const lockPath = (directory: string) => join(directory, '.boundless-lock');

  it('two runs started at the same moment: one trains, the other is told the directory is in use (not that it cannot write there)', async () => {
    const directory = join(root, 'together');
    const results = await Promise.allSettled([train(leastSquares, hp, options(directory)), train(leastSquares, hp, options(directory))]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    // The lock's holder is named once its lock file is written; a run that finds it still being written says that instead.
    assert.match((refused.reason as Error).message,
      new RegExp(`^checkpoint directory ${escape(directory)} is in use (by process ${process.pid} on |by another run \\(its lock file is being written\\))`));
  });

  it('refuses a second run on a directory another run is writing, naming its pid and host; the first is unharmed', async () => {
    const directory = join(root, 'shared');
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => { entered = resolve; });
    // The first run reads a stream that stops halfway until the second run has been refused.
    const lines = (await readFile(trainPath, 'utf8')).split('\n');
    async function* paused() {
      yield lines.slice(0, 200).join('\n') + '\n';
      entered();
      await held;
      yield lines.slice(200).join('\n');
    }
    const first = train(leastSquares, hp, { ...options(directory), train: paused(), epochs: 1 });
    await inside;
    await assert.rejects(train(leastSquares, hp, options(directory)), {
      message: new RegExp(`^checkpoint directory ${escape(directory)} is in use by process ${process.pid} on ${escape(hostname())}, since \\d{4}-\\d\\d-\\d\\dT[^:]+:\\d\\d:[\\d.]+Z: ` +
        'two runs writing one directory would rotate each other\'s checkpoints away'),
    });
    release();
    const result = await first;
    assert.equal(result.metrics.records, lines.filter(Boolean).length, 'the first run read all its rows');
    assert.ok(!(await readdir(directory)).includes('.boundless-lock'), 'the finished run gave the directory back');
    await train(leastSquares, hp, options(directory));
  });

  it('takes over the lock of a run of this host that is gone (killed), and not one of another host', async () => {
    const directory = join(root, 'stale');
    await train(leastSquares, hp, { ...options(directory), epochs: 1 });
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout.trim());
    await writeFile(lockPath(directory), JSON.stringify({ pid: deadPid, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
    const resumed = await train(leastSquares, hp, { ...options(directory), resume: true });
    assert.equal(resumed.metrics.epochs, 2);
    await writeFile(lockPath(directory), JSON.stringify({ pid: deadPid, host: 'elsewhere.example', started: '2026-01-01T00:00:00.000Z' }));
    await assert.rejects(train(leastSquares, hp, options(directory)), {
      message: new RegExp(`is in use by process ${deadPid} on elsewhere\\.example, since 2026-01-01T00:00:00\\.000Z: .* if no run uses it any more ` +
        `\\(one on another host that was killed\\), remove ${escape(lockPath(directory))}$`),
    });
  });

  it('gives the directory back when the run fails before training or is stopped', async () => {
    const directory = join(root, 'released');
    const empty = join(root, 'empty.csv');
    await writeFile(empty, '');
    await assert.rejects(train(leastSquares, hp, { ...options(directory), validation: empty }), /no records in the validation channel/);
    assert.ok(!(await readdir(directory)).includes('.boundless-lock'));
    const controller = new AbortController();
    await assert.rejects(train(leastSquares, hp, {
      ...options(directory), signal: controller.signal, onProgress: (e) => { if (e.phase === 'batch') controller.abort(); },
    }), { name: 'AbortError' });
    assert.ok(!(await readdir(directory)).includes('.boundless-lock'));
    await train(leastSquares, hp, { ...options(directory), resume: true });
  });
});
