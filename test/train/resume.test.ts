// Resuming from checkpoints: the resumed run reports what the uninterrupted one does, a run that
// ended is not trained further, and a checkpoint is refused with other data, too few epochs or
// other step sizes (each would end with a silently wrong model).
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { linearLearner, train, type ProgressEvent, type TrainOptions } from '../../lib/index.js';
import { leastSquares } from '../fixtures/least-squares.js';
import { dim, regressionCsv, writeTrainerFiles } from '../fixtures/trainer-files.js';


const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// With a step this large the validation error stops falling after a few epochs and wobbles: early stopping ends the run.
const wobbly = { feature_dim: dim, num_models: 1, learning_rate: 0.9, seed: 5 };
const data = { miniBatchSize: 25 };

describe('trainer: resume', function () {
  this.timeout(120_000);
  let root: string;
  let trainPath: string;
  let validationPath: string;
  let morePath: string;
  before(async () => {
    ({ root, trainPath, validationPath, morePath } = await writeTrainerFiles('boundless-resume-'));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  const stopping = (directory: string): TrainOptions => ({
    train: trainPath, validation: validationPath, epochs: 20, data, earlyStopping: { patience: 2, tolerance: 0 },
    checkpoint: { directory, everyBatches: 7 },
  });

  /** A run stopped (as by Ctrl-C) after `batches` batches, with its checkpoints in `directory`. */
  async function interrupted(options: TrainOptions, batches: number, hp: Record<string, unknown> = wobbly): Promise<void> {
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(train(leastSquares, hp, {
      ...options, signal: controller.signal, onProgress: (e) => { if (e.phase === 'batch' && ++seen === batches) controller.abort(); },
    }), { name: 'AbortError' });
  }

  // How the run ran, not what it trained: its time, kernel calls and what the epoch cache served.
  const summary = (metrics: Record<string, unknown>) => ({ ...metrics, seconds: 0, kernels: {}, epochCache: undefined });

  it('resumed after the best epoch, reports the best epoch\'s validation metrics, as the uninterrupted run does', async () => {
    const uninterrupted = await train(leastSquares, wobbly, stopping(join(root, 'whole')));
    const best = uninterrupted.metrics.bestEpoch!;
    assert.equal(uninterrupted.metrics.stoppedEarly, true);
    assert.equal(uninterrupted.metrics.epochs, best + 2);
    const directory = join(root, 'after-best');
    // 20 batches an epoch: stop in the middle of the last epoch, after one that did not improve.
    await interrupted(stopping(directory), (best + 1) * 20 + 10);
    const resumed = await train(leastSquares, wobbly, { ...stopping(directory), resume: true });
    assert.deepEqual(summary(resumed.metrics), summary(uninterrupted.metrics));
    assert.deepEqual(Array.from(resumed.model.data().tensors.weights.data as Float32Array),
      Array.from(uninterrupted.model.data().tensors.weights.data as Float32Array));
  });

  it('a run that stopped early has ended: resuming it trains nothing, keeps its checkpoints and reports the same', async () => {
    const directory = join(root, 'ended');
    const first = await train(leastSquares, wobbly, stopping(directory));
    const before = await Promise.all((await readdir(directory)).sort().map(async (name) => [name, (await stat(join(directory, name))).mtimeMs]));
    const events: ProgressEvent[] = [];
    const again = await train(leastSquares, wobbly, { ...stopping(directory), resume: true, onProgress: (e) => events.push(e) });
    assert.deepEqual(events.map((e) => e.phase), ['resume'], 'no batch, epoch or checkpoint');
    assert.match(events[0].message!, /^resumed from .*checkpoint-\d+\.safetensors: \d+ records trained, \d+ epochs done$/);
    assert.deepEqual(summary(again.metrics), summary(first.metrics));
    const after = await Promise.all((await readdir(directory)).sort().map(async (name) => [name, (await stat(join(directory, name))).mtimeMs]));
    assert.deepEqual(after, before);
    // A larger patience reopens it: early stopping is the trainer's to change.
    const longer = await train(leastSquares, wobbly, { ...stopping(directory), earlyStopping: { patience: 3, tolerance: 0 }, epochs: first.metrics.epochs + 1, resume: true });
    assert.equal(longer.metrics.epochs, first.metrics.epochs + 1);
  });

  it('refuses, before saying it resumed, a checkpoint written mid-epoch when the training channel is a stream', async () => {
    const directory = join(root, 'stream');
    const streamOptions = (): TrainOptions => ({ train: createReadStream(trainPath), epochs: 1, data, checkpoint: { directory, everyBatches: 7 } });
    await interrupted(streamOptions(), 10);
    const events: ProgressEvent[] = [];
    // It said `resumed from …` and then failed: `a stream cannot seek to a checkpoint position`.
    await assert.rejects(train(leastSquares, wobbly, { ...streamOptions(), resume: true, onProgress: (e) => events.push(e) }),
      /^DataError: train: .*checkpoint-\d+\.safetensors was written 250 records into epoch 1, and the training channel \(a stream\) cannot be read from there: continue from it on the rows not yet trained with --initial-state .*checkpoint-\d+\.safetensors \(initialState in the API\) and without --resume, or train from the start without --resume/);
    assert.deepEqual(events.map((e) => e.phase), []);
  });

  it('refuses fewer epochs than the checkpoint has done, or than the pass it is in', async () => {
    const directory = join(root, 'epochs');
    const options: TrainOptions = { train: trainPath, epochs: 4, data, checkpoint: { directory, everyBatches: 7 } };
    await interrupted(options, 50);
    const newest = (await readdir(directory)).filter((f) => f.startsWith('checkpoint-')).sort().pop()!;
    // 49 batches trained (the newest checkpoint): two epochs done, in the middle of the third.
    await assert.rejects(train(leastSquares, wobbly, { ...options, epochs: 2, resume: true }), new RegExp(`^HyperparameterError: ${escape(
      `train: the checkpoint resumed (${join(directory, newest)}) is in the middle of epoch 3 (2 done): epochs must be at least 3 to finish that pass, ` +
      'got 2 (--epochs, or the epochs hyperparameter)')}$`));
    const finished = await train(leastSquares, wobbly, { ...options, epochs: 3, resume: true });
    assert.equal(finished.metrics.epochs, 3);
    assert.equal(finished.metrics.records, 1500);
    const last = (await readdir(directory)).filter((f) => f.startsWith('checkpoint-')).sort().pop()!;
    await assert.rejects(train(leastSquares, wobbly, { ...options, epochs: 2, resume: true }), new RegExp(`^HyperparameterError: ${escape(
      `train: the checkpoint resumed (${join(directory, last)}) has 3 epochs done: epochs must be at least 3, got 2 (--epochs, or the epochs hyperparameter)`)}$`));
  });

  it('refuses other training files (name or size), and takes the same files moved elsewhere', async () => {
    const directory = join(root, 'input');
    const options: TrainOptions = { train: trainPath, epochs: 2, data, checkpoint: { directory, everyBatches: 7 } };
    await interrupted(options, 30);
    const newest = join(directory, (await readdir(directory)).filter((f) => f.startsWith('checkpoint-')).sort().pop()!);
    const refused = (what: string) => new RegExp(`^Error: ${escape(`train: the checkpoint resumed (${newest}) is of other training data: ${what}; ` +
      'resume with the files it was taken on (same names and sizes; they may have moved), or train from scratch in a new --checkpoint-dir')}$`);
    const size = (await stat(trainPath)).size;
    await assert.rejects(train(leastSquares, wobbly, { ...options, train: morePath, resume: true }),
      refused(`it was taken on ${trainPath} (${size} bytes), and this run reads ${morePath} (${(await stat(morePath)).size} bytes) in its place (another name)`));
    const grown = join(root, 'grown', 'train.csv');
    await mkdir(join(root, 'grown'));
    await writeFile(grown, regressionCsv(1, 500) + regressionCsv(4, 10));
    await assert.rejects(train(leastSquares, wobbly, { ...options, train: grown, resume: true }),
      refused(`it was taken on ${trainPath} (${size} bytes), and this run reads ${grown} (${(await stat(grown)).size} bytes) in its place (another size)`));
    await assert.rejects(train(leastSquares, wobbly, { ...options, train: [trainPath, morePath], resume: true }),
      refused(`it was taken on 1 file (${trainPath} (${size} bytes)), this run reads 2 (${trainPath} (${size} bytes), ${morePath} (${(await stat(morePath)).size} bytes))`));
    const uninterrupted = await train(leastSquares, wobbly, { train: trainPath, epochs: 2, data });
    const moved = join(root, 'moved', 'train.csv');
    await mkdir(join(root, 'moved'));
    await copyFile(trainPath, moved);
    const resumed = await train(leastSquares, wobbly, { ...options, train: moved, resume: true });
    assert.deepEqual(Array.from(resumed.state.tensors.weights.data as Float32Array), Array.from(uninterrupted.state.tensors.weights.data as Float32Array));
  });

  it('refuses another validation channel, or none after one (the best epoch so far was chosen on it), and takes the same one', async () => {
    const directory = join(root, 'validation');
    const options: TrainOptions = { train: trainPath, validation: validationPath, epochs: 3, data, checkpoint: { directory, everyBatches: 7 } };
    await interrupted(options, 30);
    const newest = join(directory, (await readdir(directory)).filter((f) => f.startsWith('checkpoint-')).sort().pop()!);
    const refused = (what: string) => new RegExp(`^Error: ${escape(`train: the checkpoint resumed (${newest}) is of another validation channel: ${what}; ` +
      'its best epoch so far was chosen on that channel: resume with the same --validation, or train from scratch in a new --checkpoint-dir')}$`);
    const [validationSize, moreSize] = [(await stat(validationPath)).size, (await stat(morePath)).size];
    await assert.rejects(train(leastSquares, wobbly, { ...options, validation: morePath, resume: true }),
      refused(`it validated on ${validationPath} (${validationSize} bytes), and this run validates on ${morePath} (${moreSize} bytes) in its place (another name)`));
    await assert.rejects(train(leastSquares, wobbly, { ...options, validation: undefined, resume: true }),
      refused(`its run validated on ${validationPath} (${validationSize} bytes), and this one has no validation channel`));
    const plainDirectory = join(root, 'no-validation');
    await interrupted({ ...options, validation: undefined, checkpoint: { directory: plainDirectory, everyBatches: 7 } }, 30);
    await assert.rejects(train(leastSquares, wobbly, { ...options, checkpoint: { directory: plainDirectory }, resume: true }),
      /is of another validation channel: its run had no validation channel, and this one validates on .* \(resume without --validation\); /);
    const resumed = await train(leastSquares, wobbly, { ...options, resume: true });
    const uninterrupted = await train(leastSquares, wobbly, { train: trainPath, validation: validationPath, epochs: 3, data });
    assert.deepEqual(resumed.metrics.validation, uninterrupted.metrics.validation);
  });

  it('mini_batch_size is the state\'s: a different one is refused, and one not given is the state\'s (resumed = uninterrupted)', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `${i % 2},${((i * 7) % 13) / 13 + (i % 2)},${((i * 5) % 11) / 11}`).join('\n') + '\n';
    const path = join(root, 'binary.csv');
    await writeFile(path, rows);
    const hp = { predictor_type: 'binary_classifier', num_models: 2, seed: 1 };
    const first = await train(linearLearner, hp, { train: path, epochs: 1 });
    const expected = /^HyperparameterError: train: the initial state was made with mini_batch_size="auto", but mini_batch_size=64 was given: a state continues with the hyperparameters it was made with/;
    await assert.rejects(train(linearLearner, { ...hp, mini_batch_size: 64 }, { train: path, initialState: first.state }), expected);
    const directory = join(root, 'steps');
    const options: TrainOptions = { train: path, epochs: 2, data: { miniBatchSize: 100 }, checkpoint: { directory, everyBatches: 3 } };
    const uninterrupted = await train(linearLearner, { ...hp, mini_batch_size: 50 }, { train: path, epochs: 2, data: { miniBatchSize: 100 } });
    const controller = new AbortController();
    let seen = 0;
    await assert.rejects(train(linearLearner, { ...hp, mini_batch_size: 50 }, {
      ...options, signal: controller.signal, onProgress: (e) => { if (e.phase === 'batch' && ++seen === 14) controller.abort(); },
    }), { name: 'AbortError' });
    await assert.rejects(train(linearLearner, { ...hp, mini_batch_size: 64 }, { ...options, resume: true }),
      /^HyperparameterError: train: the checkpoint resumed \(.*\) was made with mini_batch_size=50, but mini_batch_size=64 was given/);
    const resumed = await train(linearLearner, hp, { ...options, resume: true });
    for (const [name, tensor] of Object.entries(uninterrupted.state.tensors)) {
      assert.deepEqual(Array.from(resumed.state.tensors[name].data as ArrayLike<number>), Array.from(tensor.data as ArrayLike<number>), name);
    }
  });

  it('says when there is no checkpoint to resume from, and trains from the start', async () => {
    for (const directory of [join(root, 'none'), join(root, 'empty')]) {
      if (directory.endsWith('empty')) await mkdir(directory);
      const warnings: string[] = [];
      const result = await train(leastSquares, wobbly, { train: trainPath, data, resume: true, checkpoint: { directory },
        onProgress: (e) => { if (e.phase === 'warning') warnings.push(e.message!); } });
      assert.deepEqual(warnings, [`resume: no checkpoint in ${directory} to resume from: training from the start`]);
      assert.equal(result.metrics.records, 500);
    }
  });

  it('rejects a checkpoint directory that is a file, and epochs that are not a number, clearly', async () => {
    await assert.rejects(train(leastSquares, wobbly, { train: trainPath, data, checkpoint: { directory: trainPath, everyBatches: 2 } }),
      new RegExp(`^Error: ${escape(`checkpoint directory ${trainPath} exists and is not a directory: give --checkpoint-dir (checkpoint.directory) ` +
        'a directory, or a path that does not exist yet (it is made)')}$`));
    await assert.rejects(train(leastSquares, wobbly, { train: trainPath, epochs: '3' as unknown as number }),
      /^RangeError: train: epochs must be a positive integer, got "3"$/);
  });
});
