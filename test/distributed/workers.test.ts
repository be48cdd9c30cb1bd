// Data-parallel workers (lib/distributed/): shares of a file cut at line
// starts, every record counted exactly once whatever the rounds, merged
// models within the merge tolerance of one worker, reproducible bytes with
// `deterministic`, and clear errors for what workers cannot do.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBatches, stateToBytes, train, type State } from '../../lib/index.js';
import '../../lib/algorithms/builtin.js';
import { getAlgorithm } from '../../lib/algorithms/registry.js';
import { lineShare } from '../../lib/io/sources/byte-shares.js';
import { parseHyperparameters } from '../../lib/algorithms/hyperparameters.js';
import { resolveBackend } from '../../lib/backends/select.js';
import { classification } from '../fixtures/classification-csv.js';
import { feedFifo, makeFifo, quietWriter, releaseReaders, writeAll } from '../fixtures/named-pipe.js';
import { closeSync, statSync } from 'node:fs';

/** `promise`, or a failure after `ms` (a run that waits forever would otherwise hold the test to its timeout). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const f64 = (state: State, name: string) => Array.from(state.tensors[name].data as Float64Array);

function assertClose(actual: number[], expected: number[], relative: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => {
    assert.ok(Math.abs(v - expected[i]) <= relative * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${v} vs ${expected[i]}`);
  });
}

describe('data-parallel workers', function () {
  this.timeout(300_000);
  let root: string;
  let data: string;
  let validation: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-workers-'));
    data = join(root, 'train.csv');
    validation = join(root, 'validation.csv');
    await writeFile(data, classification(5, 30000));
    await writeFile(validation, classification(6, 5000));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  it('never cuts a share before the end of a file\'s first line with content: a header after 300,000 blank lines stays in the first share', async () => {
    const late = join(root, 'late-header.csv');
    const rows = Array.from({ length: 100 }, (_, r) => `${r % 2},${r},${2 * r}`).join('\n') + '\n';
    await writeFile(late, '\ufeff' + '\r\n'.repeat(150_000) + ' \n'.repeat(150_000) + 'y,a,b\n' + rows);
    const header = (await readFile(late)).indexOf('y,a,b\n') + 6;
    for (const count of [2, 3]) {
      const ranges = await Promise.all(Array.from({ length: count }, (_, i) => lineShare(late, i, count, statSync(late).size)));
      for (let i = 1; i < count; i++) assert.ok(ranges[i].start >= header, `share ${i} of ${count} starts at ${ranges[i].start}, before the header's end (${header})`);
      let records = 0;
      for (let i = 0; i < count; i++) {
        for await (const batch of readBatches(late, { miniBatchSize: 1000, header: true, files: { split: { index: i, count } } })) records += batch.rows;
      }
      assert.equal(records, 100, `${count} shares`);
    }
  });

  it('cuts a file into shares at line starts that tile it, and the shares read every record once', async () => {
    const bytes = await readFile(data);
    for (const count of [2, 3, 7]) {
      const ranges = await Promise.all(Array.from({ length: count }, (_, i) => lineShare(data, i, count, bytes.length)));
      assert.equal(ranges[0].start, 0);
      assert.equal(ranges[count - 1].end, bytes.length);
      for (let i = 0; i < count; i++) {
        if (i > 0) assert.equal(ranges[i].start, ranges[i - 1].end, `share ${i} of ${count} starts where ${i - 1} ends`);
        assert.ok(ranges[i].start === 0 || bytes[ranges[i].start - 1] === 0x0a, `share ${i} of ${count} starts a line`);
      }
      let records = 0;
      let labelSum = 0;
      for (let i = 0; i < count; i++) {
        for await (const batch of readBatches(data, { miniBatchSize: 1000, files: { split: { index: i, count } } })) {
          records += batch.rows;
          for (let r = 0; r < batch.rows; r++) labelSum += batch.labels![r];
        }
      }
      assert.equal(records, 30000, `${count} shares`);
      assert.equal(labelSum, bytes.toString().split('\n').filter((l) => l.startsWith('1,')).length);
    }
  });

  it('a share that starts mid-file names the file\'s own line in errors (plain files), its byte offset where lines cannot be counted', async () => {
    const bad = join(root, 'bad.csv');
    const lines = classification(8, 5000).split('\n');
    lines[4500] = '1,2,x,4,5,6,7,8,9';
    await writeFile(bad, lines.join('\n'));
    const range = await lineShare(bad, 1, 2, statSync(bad).size);
    assert.ok(range.start > 0);
    await assert.rejects(train(getAlgorithm('linear-learner'), { predictor_type: 'binary_classifier' }, { train: bad, workers: 2 }),
      (error: Error) => error.name === 'DataError' && error.message.startsWith(`${bad}, line 4501: column 3 'x' is not a number`));
    // The rebasing itself: a relative line in a read from byte N, and a file gone since (the relative message stays).
    const { midFileError, withFileLine } = await import('../../lib/io/file-line-numbers.js');
    const line = 4501 - lines.join('\n').slice(0, range.start).split('\n').length + 1;
    const relative = midFileError(bad, bad, range.start, `line ${line}: column 3 'x' is not a number`);
    assert.equal(relative.message, `${bad} (read from byte ${range.start}; lines counted from there), line ${line}: column 3 'x' is not a number`);
    assert.equal(((await withFileLine(relative)) as Error).message, `${bad}, line 4501: column 3 'x' is not a number`);
    const gone = midFileError(bad, join(root, 'gone.csv'), range.start, `line ${line}: x`);
    assert.equal(await withFileLine(gone), gone);
  });

  it('refuses to cut a file into shares of a few rows (a degenerate state each), naming how many workers it can take', async () => {
    const small = join(root, 'small.csv');
    await writeFile(small, classification(9, 3));
    await assert.rejects(train(getAlgorithm('linear-learner'), { predictor_type: 'binary_classifier' }, { train: small, workers: 3 }),
      new RegExp(`^Error: train: ${small.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} holds \\d+ bytes, too few to cut into 3 shares of at least 64 KiB: use --workers 1 \\(one worker\\), or give at least 3 files$`));
  });

  it('a small file among fewer files than workers: the advice counts the files, which are dealt whole to as many workers', async () => {
    const dir = join(root, 'mixed');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.csv'), classification(10, 20000));
    await writeFile(join(dir, 'b.csv'), classification(11, 3));
    await assert.rejects(train(getAlgorithm('linear-learner'), { predictor_type: 'binary_classifier' }, { train: dir, workers: 3 }),
      /holds \d+ bytes, too few to cut into 3 shares of at least 64 KiB: use --workers 2 or fewer \(each file to one worker\), or give at least 3 files$/);
    const two = await train(getAlgorithm('linear-learner'), { predictor_type: 'binary_classifier' }, { train: dir, workers: 2, epochs: 1 });
    assert.equal(two.metrics.records, 20003);
  });

  it('checks every file\'s header, and the validation channel\'s, against the first file\'s names, as one process does', async () => {
    // Each worker reads only its own files: a second file of other columns (dealt to the other
    // worker) and a validation file of other columns were trained on and scored without a word.
    const dir = join(root, 'headed');
    await mkdir(dir, { recursive: true });
    const rows = (seed: number) => classification(seed, 3000);
    const width = rows(12).split('\n')[0].split(',').length - 1;
    const header = (prefix: string) => ['y', ...Array.from({ length: width }, (_, i) => `${prefix}${i + 1}`)].join(',') + '\n';
    await writeFile(join(dir, 'a.csv'), header('f') + rows(12));
    await writeFile(join(dir, 'b.csv'), header('g') + rows(13));
    const hp = { predictor_type: 'binary_classifier' };
    const data = { header: true };
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, { train: dir, workers: 2, epochs: 1, data }),
      new RegExp(`b\\.csv, line 1: its feature columns are not those of .*a\\.csv: feature 1 is 'g1' where .*a\\.csv has 'f1'`));
    await writeFile(join(dir, 'b.csv'), header('f') + rows(13));
    const otherValidation = join(root, 'headed-validation.csv');
    await writeFile(otherValidation, header('g') + rows(14));
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, { train: dir, validation: otherValidation, workers: 2, epochs: 1, data }),
      /headed-validation\.csv, line 1: its feature columns are not those of .*a\.csv: feature 1 is 'g1'/);
    const trained = await train(getAlgorithm('linear-learner'), hp, { train: dir, workers: 2, epochs: 1, data });
    assert.equal(trained.metrics.records, 6000);
    assert.deepEqual(trained.model.data().schema.featureNames, Array.from({ length: width }, (_, i) => `f${i + 1}`));
  });

  it('keeps a stream\'s header names with workers, and checks the validation channel against them', async () => {
    // Dealt batches carried no names: the model had none, and a validation file of swapped columns was scored.
    const width = classification(16, 10).split('\n')[0].split(',').length - 1;
    const names = Array.from({ length: width }, (_, i) => `f${i + 1}`);
    const text = ['y', ...names].join(',') + '\n' + classification(16, 3000);
    const swapped = join(root, 'swapped-validation.csv');
    await writeFile(swapped, ['y', ...[...names].reverse()].join(',') + '\n' + classification(17, 300));
    const stream = () => (async function* () { yield Buffer.from(text); })();
    const hp = { predictor_type: 'binary_classifier' };
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, { train: stream(), validation: swapped, workers: 2, epochs: 1, data: { header: true } }),
      /swapped-validation\.csv, line 1: its feature columns are not the model's, in another order/);
    const trained = await train(getAlgorithm('linear-learner'), hp, { train: stream(), workers: 2, epochs: 1, data: { header: true } });
    assert.deepEqual(trained.model.data().schema.featureNames, names);
  });

  // Every worker count and round length counts each record once: the sums equal one worker's.
  for (const workers of [2, 3]) {
    it(`PCA with ${workers} workers: the row count and the sums equal one worker's`, async () => {
      const hp = { num_components: 3 };
      const data0 = { labelSize: 0 as const, labelColumn: 0 };
      const one = (await train(getAlgorithm('pca'), hp, { train: data, data: data0 })).state as State;
      const many = (await train(getAlgorithm('pca'), hp, { train: data, data: data0, workers, syncEvery: { batches: 3 } })).state as State;
      assert.deepEqual(f64(many, 'count'), f64(one, 'count'));
      assert.equal(many.scalars.examples_seen, 30000);
      assertClose(f64(many, 'sum'), f64(one, 'sum'), 1e-9, 'sum');
      const move = (s: State) => f64(s, 'cross');
      assertClose(move(many).slice(0, 3), move(one).slice(0, 3), 1e-6, 'cross (about each state\'s origin; compared where origins agree)');
    });

    it(`k-means with ${workers} workers: the centres' total weight is the rows`, async () => {
      const state = (await train(getAlgorithm('kmeans'), { k: 4 }, { train: data, data: { labelSize: 0, labelColumn: 0 }, workers, syncEvery: { batches: 2 } })).state as State;
      const total = f64(state, 'center_weights').reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 30000) < 1e-6, `total weight ${total}`);
      assert.equal(state.scalars.examples_seen, 30000);
    });

    it(`k-means with ${workers} workers refuses a second epoch, which would count every row again without refining (it gave one pass's model, weights doubled)`, async () => {
      const options = { train: data, data: { labelSize: 0 as const, labelColumn: 0 }, workers, syncEvery: { batches: 2 } };
      const message = /^train: kmeans takes one epoch with data-parallel workers or cluster members, got 2: each merge round starts every member from a fresh state and merges the states exactly, so another pass would count every row again rather than refine the first pass's model; train one epoch, or several epochs in one process without workers$/;
      await assert.rejects(train(getAlgorithm('kmeans'), { k: 4 }, { ...options, epochs: 2 }), (e: Error) => e instanceof RangeError && message.test(e.message));
      await assert.rejects(train(getAlgorithm('kmeans'), { k: 4, epochs: 2 }, options), (e: Error) => e instanceof RangeError && message.test(e.message));
      // One process refines its centres in the second pass: allowed.
      const single = await train(getAlgorithm('kmeans'), { k: 4 }, { train: data, data: options.data, epochs: 2 });
      assert.equal((single.state as State).scalars.examples_seen, 60000);
    });

    it(`linear learner with ${workers} workers: row and class counts equal one worker's; quality within the merge tolerance`, async () => {
      const hp = { predictor_type: 'binary_classifier', num_models: 4 };
      const one = await train(getAlgorithm('linear-learner'), hp, { train: data, validation, epochs: 1 });
      const many = await train(getAlgorithm('linear-learner'), hp, { train: data, validation, epochs: 1, workers, syncEvery: { batches: 4 } });
      const [a, b] = [one.state as State, many.state as State];
      assert.equal(b.scalars.examples_seen, 30000);
      assert.deepEqual(f64(b, 'class_counts'), f64(a, 'class_counts'));
      // (Progressive sums weigh row t by t, its place in the stream, which interleaving changes: not compared.)
      const counters = (s: State) => f64(s, 'counters');
      assert.equal(counters(b)[1], counters(a)[1], 'rows trained');
      assert.ok(many.metrics.validation!.binary_classification_accuracy >= one.metrics.validation!.binary_classification_accuracy - 0.005,
        `accuracy ${many.metrics.validation!.binary_classification_accuracy} vs ${one.metrics.validation!.binary_classification_accuracy}`);
      assert.ok(many.metrics.validation!.objective_loss <= one.metrics.validation!.objective_loss * 1.005 + 1e-3,
        `loss ${many.metrics.validation!.objective_loss} vs ${one.metrics.validation!.objective_loss}`);
    });

    it(`factorization machines with ${workers} workers: rows and progressive sums equal one worker's; quality within the merge tolerance`, async () => {
      // Steps of 100 rows: 300 a pass, enough for workers that average (N times fewer steps per row) to converge as one does.
      const hp = { predictor_type: 'binary_classifier', num_factors: 4, mini_batch_size: 100 };
      const one = await train(getAlgorithm('factorization-machines'), hp, { train: data, validation, epochs: 1 });
      const many = await train(getAlgorithm('factorization-machines'), hp, { train: data, validation, epochs: 1, workers, syncEvery: { batches: 2 } });
      const [a, b] = [one.state as State, many.state as State];
      assert.equal(b.scalars.examples_seen, 30000);
      assert.deepEqual(f64(b, 'counters').slice(1), f64(a, 'counters').slice(1), 'rows trained');
      assertClose(f64(b, 'progressive_weight'), f64(a, 'progressive_weight'), 0, 'progressive weight');
      const loss = (r: typeof one) => r.metrics.validation!.binary_classification_cross_entropy;
      assert.ok(loss(many) <= loss(one) * 1.005, `cross-entropy ${loss(many)} vs ${loss(one)}`);
    });
  }

  it("metrics.kernels counts every worker's kernel calls: one per batch read, and the validation's", async () => {
    const hp = { num_components: 2 };
    // (PCA has no validation metrics: a validation channel is refused, where it was read by nothing.)
    const options = { train: data, data: { labelSize: 0 as const, labelColumn: 0, miniBatchSize: 1000 } };
    const one = await train(getAlgorithm('pca'), hp, options);
    const two = await train(getAlgorithm('pca'), hp, { ...options, workers: 2, syncEvery: { batches: 4 } });
    assert.deepEqual(one.metrics.kernels, { pcaAccumulate: { backend: 'cpu', calls: 30, fallbacks: 0 } });
    // Each worker's share ends in a short batch of its own: 30 or 31 batches in all.
    const calls = two.metrics.kernels.pcaAccumulate!.calls;
    assert.ok(calls === 30 || calls === 31, `pcaAccumulate calls ${calls}`);
    assert.deepEqual(two.metrics.kernels, { pcaAccumulate: { backend: 'cpu', calls, fallbacks: 0 } });
    const ll = await train(getAlgorithm('linear-learner'), { predictor_type: 'binary_classifier', num_models: 2 },
      { train: data, validation, epochs: 1, workers: 2, data: { miniBatchSize: 1000 } });
    const update = ll.metrics.kernels.linearLearnerUpdate!;
    assert.ok(update.calls === 30 || update.calls === 31, `linearLearnerUpdate calls ${update.calls}`);
    assert.deepEqual(ll.metrics.kernels.linearLearnerEvaluate, { backend: 'cpu', calls: 5, fallbacks: 0 }, 'the 5 validation batches, scored once');
  });

  it('without syncEvery, linear-learner workers meet every 32 batches and factorization machines every 8 (Algorithm.roundBatches)', async () => {
    const rounds = async (name: string, hp: Record<string, unknown>, syncEvery?: { batches: number }) => {
      let count = 0;
      await train(getAlgorithm(name), hp, {
        // Deterministic, so that the counts are those of the batches and not also of a timer or a stop.
        train: data, epochs: 1, workers: 2, data: { miniBatchSize: 100 }, deterministic: true, ...(syncEvery ? { syncEvery } : {}),
        onProgress: (event) => { if (event.phase === 'batch') count++; },
      });
      return count;
    };
    const ll = { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 20 };
    const fm = { predictor_type: 'binary_classifier', num_factors: 4, num_models: 1, feature_dim: 8, mini_batch_size: 100 };
    const llDefault = await rounds('linear-learner', ll);
    assert.equal(llDefault, await rounds('linear-learner', ll, { batches: 32 }));
    assert.ok(llDefault < await rounds('linear-learner', ll, { batches: 16 }), 'the linear learner met as often as every 16 batches');
    assert.equal(await rounds('factorization-machines', fm), await rounds('factorization-machines', fm, { batches: 8 }));
  });

  it('rounds every N seconds count every record once too', async () => {
    const hp = { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 20 };
    let rounds = 0;
    const state = (await train(getAlgorithm('linear-learner'), hp, {
      train: data, epochs: 2, workers: 2, syncEvery: { seconds: 0.001 }, onProgress: (event) => { if (event.phase === 'batch') rounds++; },
    })).state as State;
    assert.ok(rounds > 4, `${rounds} rounds: the timer called too few to test`);
    assert.equal(state.scalars.examples_seen, 60000);
    const one = (await train(getAlgorithm('linear-learner'), hp, { train: data, epochs: 2 })).state as State;
    assert.deepEqual(f64(state, 'class_counts'), f64(one, 'class_counts'));
  });

  it('an abort stops every worker at a round with a checkpoint; resuming trains every record once', async () => {
    const directory = join(root, 'abort-checkpoints');
    const hp = { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 50 };
    const controller = new AbortController();
    let rounds = 0;
    const options = { train: data, epochs: 2, workers: 2, syncEvery: { batches: 2 }, checkpoint: { directory, everyBatches: 1000 } };
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, {
      ...options, signal: controller.signal, onProgress: (event) => { if (event.phase === 'batch' && ++rounds === 5) controller.abort(); },
    }), (error: Error) => error.name === 'AbortError');
    assert.ok((await readdir(directory)).some((name) => name.startsWith('checkpoint-')), 'the abort wrote a checkpoint');
    // Another round schedule would merge at other batches: refused, naming the one to use.
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, { ...options, syncEvery: { batches: 4 }, resume: true }),
      { message: 'train: the checkpoint resumed was written by workers merging every 2b in the middle of an epoch: resume with --sync-every 2b ' +
        '(this run merges every 4b, which would merge at other batches and end with another model)' });
    // The checkpoint holds the 5 rounds trained (5 × 2 workers × 2 batches of 1050 rows): the resumed run goes on from there.
    let first: number | undefined;
    let resumedAt: number | undefined;
    const resumed = await train(getAlgorithm('linear-learner'), hp, { ...options, resume: true, onProgress: (event) => {
      if (event.phase === 'resume') resumedAt = event.records;
      else first ??= event.records;
    } });
    assert.equal(resumedAt, 21000, 'the resume event gives the records the checkpoint holds');
    assert.ok(first! > 21000 && first! <= 21000 + 4 * 1050, `first event after resuming: ${first} records`);
    assert.equal((resumed.state as State).scalars.examples_seen, 60000);
    assert.equal(resumed.metrics.records, 60000);
    const one = (await train(getAlgorithm('linear-learner'), hp, { train: data, epochs: 2 })).state as State;
    assert.deepEqual(f64(resumed.state as State, 'class_counts'), f64(one, 'class_counts'));
  });

  it('deterministic: a run stopped (Ctrl-C) and resumed ends with the uninterrupted run\'s bytes (the stop waits for the scheduled round)', async () => {
    const directory = join(root, 'abort-deterministic');
    const hp = { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 50 };
    const options = { train: data, epochs: 2, workers: 2, syncEvery: { batches: 8 }, deterministic: true, seed: 3 };
    const whole = stateToBytes((await train(getAlgorithm('linear-learner'), hp, options)).state as State);
    const controller = new AbortController();
    let batches = 0;
    // Stop mid-round: workers that stopped at their next batch merged there, and the resumed run's rounds fell elsewhere
    // (a different model in 3 of 3 runs before the fix).
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, {
      ...options, checkpoint: { directory, everyBatches: 1000 }, signal: controller.signal,
      // The abort comes while the workers train the next round (as a Ctrl-C does), not inside the round's own event.
      onProgress: (event) => { if (event.phase === 'batch' && (batches = event.batches) >= 16) setTimeout(() => controller.abort(), 3); },
    }), (error: Error) => error.name === 'AbortError');
    const resumed = await train(getAlgorithm('linear-learner'), hp, { ...options, checkpoint: { directory, everyBatches: 1000 }, resume: true });
    assert.ok(batches >= 16);
    assert.ok(Buffer.compare(Buffer.from(stateToBytes(resumed.state as State)), Buffer.from(whole)) === 0, 'the resumed model differs from the uninterrupted one');
  });

  it('deterministic: the same bytes run to run', async () => {
    const run = async () => stateToBytes((await train(getAlgorithm('factorization-machines'), { predictor_type: 'binary_classifier', num_factors: 4 },
      { train: data, workers: 3, syncEvery: { batches: 2 }, deterministic: true, seed: 4 })).state as State);
    const [first, second] = [await run(), await run()];
    assert.ok(Buffer.compare(Buffer.from(first), Buffer.from(second)) === 0);
  });

  it('deals a stream\'s batches round-robin: every record once, and the same bytes run to run', async () => {
    const text = await readFile(data);
    const chunks = () => (function* () { for (let i = 0; i < text.length; i += 65536) yield text.subarray(i, i + 65536); })();
    const hp = { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 50 };
    const run = async () => (await train(getAlgorithm('linear-learner'), hp,
      { train: chunks(), workers: 3, syncEvery: { batches: 3 }, deterministic: true, seed: 1 })).state as State;
    const [first, second] = [await run(), await run()];
    assert.equal(first.scalars.examples_seen, 30000);
    const one = (await train(getAlgorithm('linear-learner'), hp, { train: data, epochs: 1 })).state as State;
    assert.deepEqual(f64(first, 'class_counts'), f64(one, 'class_counts'));
    assert.ok(Buffer.compare(Buffer.from(stateToBytes(first)), Buffer.from(stateToBytes(second))) === 0);
    const timed = (await train(getAlgorithm('pca'), { num_components: 2 },
      { train: chunks(), data: { labelSize: 0 }, workers: 2, syncEvery: { seconds: 0.01 } })).state as State;
    assert.deepEqual(f64(timed, 'count'), [30000]);
  });

  it('a named pipe is a stream: this thread reads it once and deals its batches, every record once', async () => {
    // Workers opened the pipe each (and the coordinator too, to probe the row width): each read a part of the bytes, or waited forever.
    const fifo = makeFifo(join(root, 'train.pipe'));
    try {
      feedFifo(fifo, data);
      const hp = { predictor_type: 'binary_classifier', num_models: 2, mini_batch_size: 50 };
      const warnings: string[] = [];
      const result = await within(train(getAlgorithm('linear-learner'), hp, {
        train: fifo, workers: 3, epochs: 2, syncEvery: { batches: 3 }, deterministic: true, seed: 1,
        onProgress: (event) => { if (event.phase === 'warning') warnings.push(event.message!); },
      }), 120_000, 'workers on a named pipe');
      const state = result.state as State;
      assert.equal(result.metrics.records, 30000);
      assert.equal(state.scalars.examples_seen, 30000);
      const one = (await train(getAlgorithm('linear-learner'), hp, { train: data, epochs: 1 })).state as State;
      assert.deepEqual(f64(state, 'class_counts'), f64(one, 'class_counts'));
      assert.equal(result.metrics.epochs, 1);
      assert.deepEqual(warnings, [`the training channel (${fifo}) is a stream, which can be read once: trained 1 epoch of the 2 asked for (train from a file for more epochs)`]);
    } finally {
      releaseReaders(fifo);
    }
  });

  it('a stop ends a run with workers that waits on a named pipe\'s quiet writer', async () => {
    const fifo = makeFifo(join(root, 'quiet.pipe'));
    let writer: number | undefined;
    try {
      const controller = new AbortController();
      const run = train(getAlgorithm('linear-learner'), { predictor_type: 'binary_classifier' }, { train: fifo, workers: 2, signal: controller.signal });
      run.catch(() => undefined);
      writer = await quietWriter(fifo);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await within(assert.rejects(run, { name: 'AbortError' }), 20_000, 'a stopped run');
    } finally {
      if (writer !== undefined) closeSync(writer);
      releaseReaders(fifo);
    }
  });

  it('a stop on a quiet stream trains, merges and checkpoints every whole batch dealt (those since the last round were lost)', async () => {
    /** The records the checkpoint written at a stop holds, after a writer sent `rows` rows and went quiet. */
    const stopped = async (workers: number, rows: number): Promise<number | undefined> => {
      const fifo = makeFifo(join(root, `paused-${workers}.pipe`));
      let writer: number | undefined;
      try {
        const controller = new AbortController();
        let saved: number | undefined;
        const run = train(getAlgorithm('linear-learner'), { predictor_type: 'binary_classifier', mini_batch_size: 100 }, {
          train: fifo, workers, signal: controller.signal, checkpoint: { directory: join(root, `paused-checkpoints-${workers}`) },
          onProgress: (event) => { if (event.phase === 'checkpoint') saved = event.records; },
        });
        run.catch(() => undefined);
        writer = await quietWriter(fifo);
        await writeAll(writer, Buffer.from(classification(15, rows)));
        // Time for the workers to start and take every batch (a stop drops batches read but not
        // yet dealt, as one process drops those read ahead).
        await new Promise((resolve) => setTimeout(resolve, 3000));
        controller.abort();
        await within(assert.rejects(run, { name: 'AbortError' }), 20_000, 'a stopped run');
        return saved;
      } finally {
        if (writer !== undefined) closeSync(writer);
        releaseReaders(fifo);
      }
    };
    // A few of the stream's read batches, fewer per worker than the first round's 32 batches: two
    // workers saved nothing at all; now they save what one process saves, every whole read batch.
    const one = await stopped(1, 6050);
    assert.ok(one !== undefined && one >= 5000 && one <= 6050, `one process saved ${one} records`);
    assert.equal(await stopped(2, 6050), one);
  });

  it('refuses to resume one worker\'s mid-epoch checkpoint with workers before saying it resumed', async () => {
    const directory = join(root, 'one-worker-checkpoints');
    const hp = { predictor_type: 'binary_classifier', mini_batch_size: 500 };
    const controller = new AbortController();
    let batches = 0;
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, {
      train: data, epochs: 1, signal: controller.signal, checkpoint: { directory, everyBatches: 1000 },
      onProgress: (event) => { if (event.phase === 'batch' && ++batches === 5) controller.abort(); },
    }), (error: Error) => error.name === 'AbortError');
    const phases: string[] = [];
    await assert.rejects(train(getAlgorithm('linear-learner'), hp, {
      train: data, epochs: 1, workers: 2, checkpoint: { directory, everyBatches: 1000 }, resume: true, onProgress: (event) => phases.push(event.phase),
    }), { message: 'train: the checkpoint resumed was written by one worker in the middle of an epoch: resume it with one worker (--workers 1)' });
    assert.deepEqual(phases.filter((phase) => phase === 'resume'), [], 'no "resumed from" before the refusal');
  });

  it('mergeRound writes into a spare state exactly what it would allocate', async () => {
    const backend = await resolveBackend('cpu');
    for (const [name, hpIn] of [['linear-learner', { predictor_type: 'binary_classifier', num_models: 3 }], ['factorization-machines', { predictor_type: 'binary_classifier', num_factors: 2 }]] as const) {
      const algorithm = getAlgorithm(name);
      const hp = parseHyperparameters(name, algorithm.hyperparameters, hpIn);
      const schema = { featureDim: 8, labelSize: 1, sparse: false };
      const base = algorithm.createState(hp as never, schema, backend);
      // The spare is a state that has trained too (as an old merge has): whatever the merge leaves unwritten would show.
      const [first, second, spare] = await Promise.all([0, 1, 2].map(async (seed) => {
        const state = algorithm.createState(hp as never, schema, backend);
        for await (const batch of readBatches([Buffer.from(classification(20 + seed, 500))], { miniBatchSize: 100 })) await algorithm.update(state as never, batch, backend);
        return state;
      }));
      // Two uploads, and one (the other workers done with their shares: an empty part file, the end of an epoch).
      for (const trained of [[first, second], [first]]) {
        const allocated = algorithm.mergeRound!(base as never, trained as never[]);
        const written = algorithm.mergeRound!(base as never, trained as never[], spare as never);
        assert.equal(written, spare);
        assert.ok(Buffer.compare(Buffer.from(stateToBytes(allocated as State)), Buffer.from(stateToBytes(written as State))) === 0, `${name}, ${trained.length} uploads`);
      }
    }
  });

  it('refuses what workers cannot do, before reading', async () => {
    const ll = getAlgorithm('linear-learner');
    const hp = { predictor_type: 'binary_classifier' };
    await assert.rejects(train(ll, hp, { train: data, workers: 2, syncEvery: { seconds: 1 }, deterministic: true }), /deterministic training merges every N batches/);
    await assert.rejects(train(ll, hp, { train: data, workers: 0 }), /workers must be a positive integer, got 0/);
    await assert.rejects(train(ll, hp, { train: data, workers: NaN }), /workers must be a positive integer, got NaN$/);
    await assert.rejects(train(ll, hp, { train: data, workers: Infinity }), /workers must be a positive integer, got Infinity$/);
    await assert.rejects(train(ll, hp, { train: data, workers: 2, syncEvery: { batches: 0 } }), /syncEvery.batches must be a positive integer, got 0/);
    await assert.rejects(train(ll, hp, { train: data, workers: 2, syncEvery: { seconds: 3e6 } }), /^RangeError: train: syncEvery.seconds must be at most 2147483 \(24\.8 days\), got 3000000$/);
    await assert.rejects(train(ll, hp, { train: data, workers: 2, data: { format: 'recordio' } }), /recordIO cannot be cut at record boundaries/);
    await assert.rejects(train(ll, hp, { train: data, workers: 2, syncEvery: 4 as never }), /syncEvery must be \{ batches: N \}, \{ seconds: N \} or \{ auto: true \}, got 4/);
    await assert.rejects(train(ll, hp, { train: data, syncEvery: { batches: 4 } }),
      /^RangeError: train: syncEvery sets how often workers merge their states; one worker \(workers 1, the default\) has nothing to merge/);
    await assert.rejects(train(ll, hp, { train: data, workers: 2, syncEvery: { auto: true } }), /syncEvery auto is for cluster jobs \(--cluster\); workers of one process merge every N batches or N seconds/);
    await assert.rejects(train(ll, hp, { train: data, workers: 2, syncEvery: { batches: 2, seconds: 1 } as never }), /syncEvery must be .*got \{"batches":2,"seconds":1\}/);
    await assert.rejects(train(ll, hp, { train: data, workers: '2' as never }), /workers must be a positive integer, got "2"/);
    await assert.rejects(train(ll, hp, { train: data, workers: 100_000 }), /workers 100000 is more than \d+ \(4 per core/);
  });
});
