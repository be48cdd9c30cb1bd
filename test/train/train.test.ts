import assert from 'node:assert/strict';
import { readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { packageRoot } from '../../lib/package-root.js';
import { linearLearner, readBatches, saveState, tensorsEqual, train, type ProgressEvent, type State } from '../../lib/index.js';
import { leastSquares } from '../fixtures/least-squares.js';
import { dim, weights, writeTrainerFiles } from '../fixtures/trainer-files.js';

const hp = { feature_dim: dim, num_models: 3, learning_rate: 0.1, seed: 5 };
const data = { miniBatchSize: 25 };

function assertSameState(actual: State<unknown>, expected: State<unknown>): void {
  for (const [name, t] of Object.entries(expected.tensors)) assert.ok(tensorsEqual(actual.tensors[name], t), `tensor ${name}`);
  assert.deepEqual(actual.scalars, expected.scalars);
}

describe('trainer', function () {
  this.timeout(120_000);
  let root: string;
  let trainPath: string;
  let validationPath: string;
  let morePath: string;
  before(async () => {
    ({ root, trainPath, validationPath, morePath } = await writeTrainerFiles('boundless-train-'));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  it('trains for several epochs, validates each one and learns the generating weights', async () => {
    const events: ProgressEvent[] = [];
    const result = await train(leastSquares, hp, { train: trainPath, validation: validationPath, test: validationPath, epochs: 3, data, onProgress: (e) => events.push(e) });
    // The final model is the best epoch's, and the test channel (here the validation data) scores it.
    const perEpoch = events.filter((e) => e.phase === 'epoch').map((e) => e.validation!.mse);
    assert.equal(result.metrics.test!.mse, Math.min(...perEpoch));
    assert.equal(result.metrics.bestEpoch, perEpoch.indexOf(Math.min(...perEpoch)) + 1);
    assert.equal(result.metrics.epochs, 3);
    assert.equal(result.metrics.records, 1500);
    assert.ok(result.metrics.validation!.mse < 0.01, `validation mse ${result.metrics.validation!.mse}`);
    // The training metrics are those of the state returned (the best epoch's), as the model is.
    assert.deepEqual(result.metrics.train, leastSquares.progressiveMetrics!(result.state));
    assert.ok(Number.isFinite(result.metrics.train.progressive_mse), `progressive mse ${result.metrics.train.progressive_mse}`);
    const learned = Array.from(result.model.data().tensors.weights.data as Float32Array);
    learned.forEach((w, i) => assert.ok(Math.abs(w - weights[i]) < 0.05, `weight ${i}: ${w}`));
    assert.equal(events.filter((e) => e.phase === 'batch').length, 60);
    assert.deepEqual(events.filter((e) => e.phase === 'epoch').map((e) => e.epoch), [1, 2, 3]);
    assert.ok(events.filter((e) => e.phase === 'epoch').every((e) => typeof e.validation?.mse === 'number'));
    // A file's size is known: the ETA falls to zero by the last batch.
    const etas = events.filter((e) => e.phase === 'batch').map((e) => e.etaSeconds!);
    assert.ok(etas.every((eta) => typeof eta === 'number' && eta >= 0));
    assert.equal(etas[etas.length - 1], 0);
    // Bytes read so far, every epoch's together: from the first batch on (they stayed 0 through the first pass), to three times the file.
    const bytes = events.filter((e) => e.phase === 'batch').map((e) => e.bytes);
    assert.ok(bytes[0] > 0 && bytes.every((b, i) => i === 0 || b >= bytes[i - 1]), `bytes ${bytes.join(' ')}`);
    assert.equal(bytes[bytes.length - 1], 3 * (await stat(trainPath)).size);
    // Those of the rows trained, not of the rows read ahead (the whole 500-row file at the first batch of 25:
    // a slow kernel's ETA read 0, or grew): each batch about 1/20 of the file further.
    const size = (await stat(trainPath)).size;
    const firstPass = bytes.slice(0, 20);
    firstPass.forEach((b, i) => assert.ok(Math.abs(b - ((i + 1) / 20) * size) < 0.02 * size, `batch ${i + 1}: ${b} of ${size} bytes`));
  });

  it('an abort stops at a batch boundary with a checkpoint; resuming equals the uninterrupted run', async () => {
    const uninterrupted = await train(leastSquares, hp, { train: trainPath, epochs: 2, data });
    const directory = join(root, 'abort');
    const controller = new AbortController();
    let batches = 0;
    await assert.rejects(train(leastSquares, hp, {
      train: trainPath, epochs: 2, data, signal: controller.signal, checkpoint: { directory, everyBatches: 7 },
      onProgress: (e) => { if (e.phase === 'batch' && ++batches === 31) controller.abort(); },
    }), { name: 'AbortError' });
    assert.ok((await readdir(directory)).some((f) => f.startsWith('checkpoint-')));
    const resumed = await train(leastSquares, hp, { train: trainPath, epochs: 2, data, resume: true, checkpoint: { directory } });
    assertSameState(resumed.state, uninterrupted.state);
    assert.equal(resumed.metrics.records, 1000);
  });

  it('writes a timed checkpoint while a stream pauses: what was trained is saved before more rows come', async () => {
    const { PassThrough } = await import('node:stream');
    const { regressionCsv } = await import('../fixtures/trainer-files.js');
    const source = new PassThrough();
    const directory = join(root, 'paused');
    const events: ProgressEvent[] = [];
    let sawCheckpoint: () => void = () => undefined;
    const checkpointed = new Promise<void>((resolve) => { sawCheckpoint = resolve; });
    const run = train(leastSquares, hp, {
      train: source, epochs: 1, data, checkpoint: { directory, everySeconds: 0.2 },
      onProgress: (e) => { events.push(e); if (e.phase === 'checkpoint') sawCheckpoint(); },
    });
    try {
      source.write(regressionCsv(11, 100));
      // The writer pauses here: before, no checkpoint came until the next batch did (here: never,
      // so the race's 5 s timer decides).
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = await Promise.race([checkpointed.then(() => 'checkpoint'),
        new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), 5000); })]);
      clearTimeout(timer);
      assert.equal(waited, 'checkpoint');
      const first = events.find((e) => e.phase === 'checkpoint')!;
      assert.equal(first.records, 100);
      assert.equal(events.filter((e) => e.phase === 'checkpoint').length, 1, 'one checkpoint for one lot of batches');
      source.write(regressionCsv(12, 50));
    } finally {
      source.end();
    }
    const result = await run;
    assert.equal(result.metrics.records, 150);
    assert.ok((await readdir(directory)).some((f) => f.startsWith('checkpoint-')));
  });

  it('a timed checkpoint that fails while a stream pauses fails the run then, naming the path (it waited for the writer\'s next rows)', async () => {
    const { PassThrough } = await import('node:stream');
    const { rename, writeFile: write } = await import('node:fs/promises');
    const { regressionCsv } = await import('../fixtures/trainer-files.js');
    const source = new PassThrough();
    const directory = join(root, 'failing-timed');
    let trained: () => void = () => undefined;
    const fourBatches = new Promise<void>((resolve) => { trained = resolve; });
    const run = train(leastSquares, hp, {
      train: source, epochs: 1, data, checkpoint: { directory, everySeconds: 0.5 },
      onProgress: (e) => { if (e.phase === 'batch' && e.records === 100) trained(); },
    });
    run.catch(() => undefined);
    try {
      source.write(regressionCsv(14, 100));
      await fourBatches;
      // The directory is replaced by a file before the timed write comes due, while the writer pauses.
      await rename(directory, `${directory}-moved`);
      await write(directory, 'not a directory');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const outcome = await Promise.race([run.then(() => 'resolved', (error: Error) => error.message),
        new Promise((resolve) => { timer = setTimeout(() => resolve('still waiting after 5 s'), 5000); })]);
      clearTimeout(timer);
      assert.match(String(outcome), new RegExp(`${directory.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*(not a directory|ENOTDIR|EEXIST)`));
    } finally {
      source.end();
    }
  });

  it('a stop with a reason of its own (abort(new Error(...)), AbortSignal.timeout) on a waiting stream writes a checkpoint and rejects with an AbortError', async () => {
    const { PassThrough } = await import('node:stream');
    const { regressionCsv } = await import('../fixtures/trainer-files.js');
    const source = new PassThrough();
    const directory = join(root, 'stopped-stream');
    const controller = new AbortController();
    const events: ProgressEvent[] = [];
    const run = train(leastSquares, hp, {
      train: source, epochs: 1, data, signal: controller.signal, checkpoint: { directory, everyBatches: 1000 },
      onProgress: (e) => {
        events.push(e);
        // The fourth batch is the last whole one: the run then waits on the stream for more rows.
        if (e.phase === 'batch' && e.records === 100) setTimeout(() => controller.abort(new Error('SIGTERM')), 50);
      },
    });
    try {
      source.write(regressionCsv(13, 100));
      await assert.rejects(run, (error: Error & { cause?: Error }) => {
        // It rejected with the reason itself, and wrote nothing: what was trained was lost.
        assert.equal(error.name, 'AbortError');
        assert.equal(error.cause?.message, 'SIGTERM');
        return true;
      });
    } finally {
      source.end();
    }
    const checkpoint = events.find((e) => e.phase === 'checkpoint');
    assert.equal(checkpoint?.records, 100);
    assert.ok((await readdir(directory)).some((f) => f.startsWith('checkpoint-')));
  });

  it('refuses to resume with another shuffle buffer than the checkpoint\'s run (rows were lost without a word)', async () => {
    const directory = join(root, 'abort-shuffled');
    const controller = new AbortController();
    let batches = 0;
    const shuffled = { ...data, shuffleBuffer: 3 };
    await assert.rejects(train(leastSquares, hp, {
      train: trainPath, epochs: 2, data: shuffled, signal: controller.signal, checkpoint: { directory, everyBatches: 7 },
      onProgress: (e) => { if (e.phase === 'batch' && ++batches === 10) controller.abort(); },
    }), { name: 'AbortError' });
    await assert.rejects(train(leastSquares, hp, { train: trainPath, epochs: 2, data, resume: true, checkpoint: { directory } }),
      /^Error: train: the checkpoint resumed \(.*\) was written by a run with --shuffle-buffer 3, and this one has no --shuffle-buffer: a resumed run reads its input as the run it continues did: resume with --shuffle-buffer 3$/);
    const resumed = await train(leastSquares, hp, { train: trainPath, epochs: 2, data: shuffled, resume: true, checkpoint: { directory } });
    assert.ok(resumed.metrics.records > 0);
  });

  it('resumes from an older checkpoint when the newest is damaged, with a warning, and still matches', async () => {
    const uninterrupted = await train(leastSquares, hp, { train: trainPath, epochs: 2, data });
    const directory = join(root, 'damaged');
    const controller = new AbortController();
    let batches = 0;
    await assert.rejects(train(leastSquares, hp, {
      train: trainPath, epochs: 2, data, signal: controller.signal, checkpoint: { directory, everyBatches: 5, keep: 5 },
      onProgress: (e) => { if (e.phase === 'batch' && ++batches === 27) controller.abort(); },
    }), { name: 'AbortError' });
    const newest = (await readdir(directory)).filter((f) => f.startsWith('checkpoint-')).sort().pop()!;
    await truncate(join(directory, newest), 64);
    const warnings: string[] = [];
    const resumed = await train(leastSquares, hp, {
      train: trainPath, epochs: 2, data, resume: true, checkpoint: { directory },
      onProgress: (e) => { if (e.phase === 'warning' || e.phase === 'resume') warnings.push(`${e.phase}: ${e.message!}`); },
    });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], new RegExp(`^warning: skipping damaged checkpoint .*${newest}`));
    // Which checkpoint the run continued from, and how far it was: the one before the damaged one.
    assert.match(warnings[1], /^resume: resumed from .*checkpoint-\d+\.safetensors: \d+ records trained, 1 epoch done, epoch 2 under way$/);
    assertSameState(resumed.state, uninterrupted.state);
  });

  it('trains incrementally: A, then B from A\'s state, equals A followed by B in one run', async () => {
    const first = await train(leastSquares, hp, { train: trainPath, data });
    const path = join(root, 'after-a.safetensors');
    await saveState(path, first.state);
    const continued = await train(leastSquares, hp, { train: morePath, data, initialState: path });
    const together = await train(leastSquares, hp, { train: [trainPath, morePath], data });
    assertSameState(continued.state, together.state);
    assert.equal(continued.state.scalars.examples_seen, 800);
  });

  it('continuing a state on a file of another width is refused at the file\'s first line, named', async () => {
    const { writeFile } = await import('node:fs/promises');
    const [wide, narrow] = [join(root, 'wide.csv'), join(root, 'narrow.csv')];
    await writeFile(wide, Array.from({ length: 60 }, (_, i) => `${i % 2},${i},${i % 7},${i % 3}`).join('\n') + '\n');
    await writeFile(narrow, Array.from({ length: 60 }, (_, i) => `${i % 2},${i},${i % 7}`).join('\n') + '\n');
    const first = await train(linearLearner, { predictor_type: 'binary_classifier' }, { train: wide, epochs: 1 });
    await assert.rejects(train(linearLearner, {}, { train: narrow, epochs: 1, initialState: first.state }),
      new RegExp(`^DataError: ${narrow.replace(/[.]/g, '\\.')}, line 1: expected 4 columns, found 3$`));
  });

  it('stops early when validation stops improving, keeping the best epoch', async () => {
    // With a step this large the validation error stops falling after a few epochs and wobbles.
    const result = await train(leastSquares, { ...hp, learning_rate: 0.9, num_models: 1 }, {
      train: trainPath, validation: validationPath, epochs: 20, data, earlyStopping: { patience: 2, tolerance: 0 },
    });
    assert.equal(result.metrics.stoppedEarly, true);
    assert.ok(result.metrics.epochs < 20);
    assert.equal(result.metrics.epochs, result.metrics.bestEpoch! + 2);
    const lastGood = await train(leastSquares, { ...hp, learning_rate: 0.9, num_models: 1 }, {
      train: trainPath, validation: validationPath, epochs: result.metrics.bestEpoch!, data,
    });
    assert.deepEqual(Array.from(result.model.data().tensors.weights.data as Float32Array), Array.from(lastGood.model.data().tensors.weights.data as Float32Array),
      'the model comes from the best epoch');
  });

  it('keeps timers firing while it trains (the event loop is not blocked)', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = performance.now();
    await train(leastSquares, hp, { train: trainPath, epochs: 4, data });
    clearInterval(timer);
    const elapsed = performance.now() - started;
    assert.ok(ticks >= Math.floor(elapsed / 5 / 4), `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
  });

  it('a loop of small trainings on records holds no state after each one (Node-API finalizers get their turn)', () => {
    // Each training's kernels run inline (5 rows): the loop is microtasks alone, and the native steps
    // holding each state's arrays were freed only once it ended (35 KB a training, found by a user test).
    const script = `
      const { train, linearLearner } = await import(${JSON.stringify(join(packageRoot, 'dist', 'index.js'))});
      const rows = [[0, 1, 2], [1, 2, 3], [0, 0, 1], [1, 5, 5], [0, 2, 1]];
      const hp = { predictor_type: 'binary_classifier', epochs: 1, num_models: 1 };
      for (let i = 1; i <= 600; i++) {
        await train(linearLearner, hp, { train: rows });
        if (i % 100 === 0) globalThis.gc();
      }
      globalThis.gc();
      console.log(process.memoryUsage().arrayBuffers);`;
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    const held = Number(run.stdout.trim());
    assert.ok(held < 8e6, `${(held / 1e6).toFixed(1)} MB of array buffers held after 600 trainings (about 21 MB when none was freed)`);
  });

  it('seed sets the algorithm\'s seed: the same seed gives the same model, another seed another', async () => {
    const { seed: _seed, ...unseeded } = hp as Record<string, unknown>;
    const a = await train(leastSquares, unseeded, { train: trainPath, data, seed: 1 });
    const b = await train(leastSquares, unseeded, { train: trainPath, data, seed: 1 });
    const c = await train(leastSquares, unseeded, { train: trainPath, data, seed: 2 });
    assert.equal(a.state.hyperparameters.seed, 1);
    assertSameState(a.state, b.state);
    assert.notDeepEqual(Array.from(a.state.tensors.weights.data as Float32Array), Array.from(c.state.tensors.weights.data as Float32Array));
    // Without a seed the shuffle buffer draws from seed 0, as the README says: deterministic all the same.
    const shuffled = { train: trainPath, data: { ...data, shuffleBuffer: 4 }, deterministic: true };
    assertSameState((await train(leastSquares, hp, shuffled)).state, (await train(leastSquares, hp, { ...shuffled, data: { ...shuffled.data, seed: 0 } })).state);
    assert.notDeepEqual(Array.from((await train(leastSquares, hp, { ...shuffled, data: { ...shuffled.data, seed: 1 } })).state.tensors.weights.data as Float32Array),
      Array.from((await train(leastSquares, hp, shuffled)).state.tensors.weights.data as Float32Array));
  });

  it('an array of records is read again: every epoch asked for, the same model as the file of those rows', async () => {
    const { readFile } = await import('node:fs/promises');
    const rows = (await readFile(trainPath, 'utf8')).trim().split('\n').map((line) => line.split(',').map(Number));
    const events: ProgressEvent[] = [];
    const fromArray = await train(leastSquares, hp, { train: rows, data, epochs: 3, onProgress: (e) => events.push(e) });
    assert.equal(fromArray.metrics.epochs, 3);
    assert.deepEqual(events.filter((e) => e.phase === 'warning'), []);
    assertSameState(fromArray.state, (await train(leastSquares, hp, { train: trainPath, data, epochs: 3 })).state);
    await assert.rejects(train(leastSquares, hp, { train: [], data }), /^DataError: train: no records in the training channel \(an array of 0 records\)$/);
    await assert.rejects(train(leastSquares, hp, { train: undefined as never, data }), /^TypeError: train: options\.train is required: the training data/);
    await assert.rejects(async () => { for await (const _ of readBatches(undefined as never, { miniBatchSize: 10 })) { /* not reached */ } },
      /source must be a path, "-", a Readable, or an iterable of buffers or records, got undefined/);
  });

  it('a stream (read once) trains one epoch and says so when more were asked for, instead of failing on an empty second read', async () => {
    const { readFile } = await import('node:fs/promises');
    const { Readable } = await import('node:stream');
    const text = await readFile(trainPath);
    const events: ProgressEvent[] = [];
    const streamed = await train(leastSquares, hp, { train: Readable.from([text]), data, epochs: 3, onProgress: (e) => events.push(e) });
    assert.equal(streamed.metrics.epochs, 1);
    const warnings = events.filter((e) => e.phase === 'warning').map((e) => e.message);
    assert.deepEqual(warnings, ['the training channel (a stream) can be read once: trained 1 epoch of the 3 asked for (train from a file for more epochs)']);
    const fromFile = await train(leastSquares, hp, { train: trainPath, data, epochs: 1 });
    assertSameState(streamed.state, fromFile.state);
    const once = await train(leastSquares, hp, { train: Readable.from([text]), data, epochs: 1, onProgress: (e) => events.push(e) });
    assert.equal(once.metrics.epochs, 1);
    assert.equal(events.filter((e) => e.phase === 'warning').length, 1, 'no warning when one epoch was asked for');
    // Nobody asked for the linear learner's 15 epochs: its default, and how to ask for one.
    const defaults: string[] = [];
    await train(linearLearner, { predictor_type: 'regressor', feature_dim: dim }, { train: Readable.from([text]), data,
      onProgress: (e) => { if (e.phase === 'warning') defaults.push(e.message!); } });
    assert.deepEqual(defaults, ['the training channel (a stream) can be read once: trained 1 epoch of linear-learner\'s ' +
      'default 15 (train from a file for more epochs, or ask for one: --epochs 1, epochs: 1 in the API)']);
  });

  it('rejects bad options clearly', async () => {
    await assert.rejects(train(leastSquares, hp, { train: trainPath, epochs: 0 }), /^RangeError: train: epochs must be a positive integer, got 0$/);
    await assert.rejects(train(leastSquares, hp, { train: trainPath, resume: true }), /^Error: train: resume needs checkpoint.directory$/);
    await assert.rejects(train(leastSquares, { ...hp, nope: 1 }, { train: trainPath }), /unknown hyperparameter 'nope'/);
    // Arguments of the wrong kind are said as such, not as "Cannot read properties of undefined".
    await assert.rejects(train(undefined as never, hp, { train: trainPath }), /^TypeError: train: algorithm must be an algorithm of boundless-ml .*, got undefined$/);
    await assert.rejects(train('kmeans' as never, hp, { train: trainPath }), /got the string "kmeans" \(getAlgorithm\(name\) gives the algorithm of a name\)$/);
    await assert.rejects(train(leastSquares, hp, {} as never), /^TypeError: train: options\.train is required: the training data/);
    await assert.rejects(train(leastSquares, hp, { train: 42 as never }), /^TypeError: train: options\.train must be a path, .*, got the number 42$/);
    await assert.rejects(train(leastSquares, hp, { train: trainPath, validation: null as never }), /^TypeError: train: options\.validation must be a path, .*, got null$/);
    await assert.rejects(train(leastSquares, hp, { train: trainPath, onProgress: 'x' as never }), /^TypeError: train: options\.onProgress must be a function/);
    await assert.rejects(train(leastSquares, hp, { train: trainPath, data: { delimiter: 1 as never } }), /delimiter must be one byte, got 1 \(a string/);
    await assert.rejects(train(leastSquares, hp, { train: trainPath, signal: {} as never }), /^TypeError: train: options\.signal must be an AbortSignal/);
    await assert.rejects(train(leastSquares, hp, { train: trainPath, checkpoint: 'ck' as never }),
      /^TypeError: train: options\.checkpoint must be \{ directory, everyBatches\?, everySeconds\?, keep\? \} \(directory a path\), got "ck"$/);
    // A setting given both ways with other values: the option used to win silently.
    const regressor = { predictor_type: 'regressor', feature_dim: dim };
    await assert.rejects(train(linearLearner, { ...regressor, epochs: 2 }, { train: trainPath, epochs: 4 }),
      /^RangeError: train: epochs is given twice, as hyperparameter epochs=2 and options.epochs = 4; give one of them$/);
    await assert.rejects(train(linearLearner, { ...regressor, early_stopping_patience: 3 }, { train: trainPath, earlyStopping: { patience: 5 } }),
      /^RangeError: train: early_stopping_patience is given twice, as hyperparameter early_stopping_patience=3 and options.earlyStopping.patience = 5; give one of them$/);
    await assert.rejects(train(linearLearner, { ...regressor, seed: 1 }, { train: trainPath, seed: 2 }),
      /^RangeError: train: seed is given twice, as hyperparameter seed=1 and options.seed = 2; give one of them$/);
    const agreeing = await train(linearLearner, { ...regressor, epochs: 2 }, { train: trainPath, epochs: 2 });
    assert.equal(agreeing.metrics.epochs, 2);
  });

  it('refuses an option it does not know, saying where a read option goes (a misplaced one was ignored: the run read the file as CSV)', async () => {
    const misplaced = { train: trainPath, format: 'libsvm' } as unknown as Parameters<typeof train>[2];
    await assert.rejects(train(leastSquares, hp, misplaced),
      /^TypeError: train: unknown option 'format' \(how to read the channels: pass it in data, as data: \{ format \}\); known: train, validation, test, data, epochs, /);
    const misspelt = { train: trainPath, epoch: 2 } as unknown as Parameters<typeof train>[2];
    await assert.rejects(train(leastSquares, hp, misspelt), /^TypeError: train: unknown option 'epoch'; known: train, validation, test, data, epochs, /);
    const data = { train: trainPath, data: { formt: 'csv' } } as unknown as Parameters<typeof train>[2];
    await assert.rejects(train(leastSquares, hp, data), /^TypeError: train: data: unknown option 'formt'; known: format, miniBatchSize, /);
    // An option given as undefined is no option (spreads of optional settings make them).
    const spread = await train(leastSquares, hp, { train: trainPath, epochs: 1, validation: undefined });
    assert.equal(spread.metrics.epochs, 1);
    assert.throws(() => readBatches(trainPath, { miniBatchSize: 10, formt: 'csv' } as unknown as Parameters<typeof readBatches>[1]),
      /^TypeError: readBatches: unknown option 'formt'; known: format, miniBatchSize, featureDim, /);
  });
});
