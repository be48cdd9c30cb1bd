import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { packageRoot } from '../../lib/package-root.js';
import { join } from 'node:path';
import {
  CheckpointDirectory, CheckpointSchedule, createBackend, denseBatch, parseHyperparameters, tensorsEqual,
  type Backend,
} from '../../lib/index.js';
import { leastSquares } from '../fixtures/least-squares.js';

describe('checkpoint directory', () => {
  let root: string;
  let cpu: Backend;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-checkpoints-'));
    cpu = await createBackend('cpu');
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  const trainedState = async (batches: number) => {
    const hp = parseHyperparameters('least-squares', leastSquares.hyperparameters, { feature_dim: 2, num_models: 2, seed: 3 });
    const state = leastSquares.createState(hp, { featureDim: 2, labelSize: 1 }, cpu);
    for (let i = 0; i < batches; i++) {
      await leastSquares.update(state, denseBatch(Float32Array.from([1, i, 2, -i]), 2, Float32Array.from([i, 1])), cpu);
    }
    return state;
  };

  it('writes numbered checkpoints atomically and keeps only the newest K', async () => {
    const directory = new CheckpointDirectory(join(root, 'keep'), 2);
    for (let i = 1; i <= 4; i++) await directory.write(await trainedState(i), { epoch: 0, batches: i });
    assert.deepEqual(await readdir(join(root, 'keep')), ['checkpoint-000003.safetensors', 'checkpoint-000004.safetensors']);
    const resumed = await directory.newestValid(leastSquares, cpu);
    assert.equal(resumed!.sequence, 4);
    const inspected = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), 'inspect', resumed!.path], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(inspected.stdout).training, { epoch: 0, batches: 4 }, 'inspect shows the training progress');
    assert.deepEqual(resumed!.training, { epoch: 0, batches: 4 });
    const expected = await trainedState(4);
    for (const [name, t] of Object.entries(expected.tensors)) assert.ok(tensorsEqual(resumed!.state.tensors[name], t), name);
  });

  it('continues the numbering after a restart', async () => {
    const path = join(root, 'restart');
    await new CheckpointDirectory(path).write(await trainedState(1), { step: 1 });
    const after = await new CheckpointDirectory(path).write(await trainedState(2), { step: 2 });
    assert.equal(after.sequence, 2);
  });

  it('skips a damaged newest checkpoint with a warning and resumes from the older valid one', async () => {
    const path = join(root, 'damaged');
    const directory = new CheckpointDirectory(path, 3);
    await directory.write(await trainedState(1), { batches: 1 });
    const newest = await directory.write(await trainedState(2), { batches: 2 });
    await truncate(newest.path, 100); // a torn file, as a disk error or a copy gone wrong leaves
    const warnings: string[] = [];
    const resumed = await directory.newestValid(leastSquares, cpu, (w) => warnings.push(w));
    assert.equal(resumed!.sequence, 1);
    assert.deepEqual(resumed!.training, { batches: 1 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /^skipping damaged checkpoint .*checkpoint-000002\.safetensors: .*checkpoint-000002\.safetensors: header length \d+ exceeds/);
  });

  it('removes the half-written files a killed writer left behind when resuming', async () => {
    const path = join(root, 'stale');
    const directory = new CheckpointDirectory(path);
    await directory.write(await trainedState(1), {});
    await writeFile(join(path, '.checkpoint-000002.safetensors.4242.deadbeef.tmp'), 'half');
    await writeFile(join(path, 'notes.txt'), 'keep me');
    assert.equal((await directory.newestValid(leastSquares, cpu))!.sequence, 1);
    assert.deepEqual((await readdir(path)).sort(), ['checkpoint-000001.safetensors', 'notes.txt']);
  });

  it('returns nothing (with warnings) when no checkpoint is valid, and nothing for an empty directory', async () => {
    const path = join(root, 'none');
    const directory = new CheckpointDirectory(path);
    assert.equal(await directory.newestValid(leastSquares, cpu), undefined);
    await directory.write(await trainedState(1), {});
    const [only] = await directory.list();
    await writeFile(only.path, 'garbage');
    const warnings: string[] = [];
    assert.equal(await directory.newestValid(leastSquares, cpu, (w) => warnings.push(w)), undefined);
    assert.equal(warnings.length, 1);
  });

  it('schedules by batches and by seconds, whichever comes first', () => {
    let now = 0;
    const byBatches = new CheckpointSchedule(3, undefined, () => now);
    assert.deepEqual([byBatches.afterBatch(), byBatches.afterBatch(), byBatches.afterBatch()], [false, false, true]);
    byBatches.written();
    assert.equal(byBatches.afterBatch(), false);
    const bySeconds = new CheckpointSchedule(undefined, 10, () => now);
    now = 9_000;
    assert.equal(bySeconds.afterBatch(), false);
    now = 10_000;
    assert.equal(bySeconds.afterBatch(), true);
    assert.throws(() => new CheckpointSchedule(0), /checkpoint everyBatches must be positive, got 0/);
    // While a pass waits for its source: how long until the seconds are due, only with batches unsaved.
    bySeconds.written();
    assert.equal(bySeconds.msUntilDue(), undefined);
    now = 12_500;
    bySeconds.afterBatch();
    assert.equal(bySeconds.msUntilDue(), 7_500);
    now = 25_000;
    assert.equal(bySeconds.msUntilDue(), 0);
    assert.equal(byBatches.msUntilDue(), undefined);
    assert.throws(() => new CheckpointDirectory(root, 0), /checkpoints to keep must be a positive integer, got 0/);
  });
});
