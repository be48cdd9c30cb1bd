// The epoch cache (lib/train/epoch-cache.ts): later epochs train from the batches kept in memory,
// and the run is the same to the byte as one that reads the files every epoch — shuffled or not,
// dense or sparse, with validation, and resumed from a checkpoint taken in a cached epoch. A
// channel larger than the budget, a stream and workers are read every epoch, and the metrics say so.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { truncateSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  factorizationMachines, kmeans, linearLearner, ntm, Random, stateToBytes, train, type Algorithm, type TrainOptions,
} from '../../lib/index.js';
import { dim, regressionCsv, sparseLibsvm } from '../fixtures/trainer-files.js';

/** A state's bytes as a digest: a failing comparison prints two lines, not two encoded states. */
const bytesOf = (state: unknown) => createHash('sha256').update(stateToBytes(state as never)).digest('hex');

describe('trainer: epoch cache', function () {
  this.timeout(120_000);
  let root: string;
  let dense: string;
  let validation: string;
  let sparse: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'boundless-epoch-cache-'));
    [dense, validation, sparse] = [join(root, 'train.csv'), join(root, 'validation.csv'), join(root, 'train.libsvm')];
    await writeFile(dense, regressionCsv(1, 1000));
    await writeFile(validation, regressionCsv(2, 300));
    await writeFile(sparse, sparseLibsvm(3, 1200, 40));
  });
  after(async () => { await rm(root, { recursive: true, force: true }); });

  /** The run with the default cache and with none: the same state bytes and metrics; returns the cached run's report. */
  async function sameWithAndWithout(algorithm: Algorithm, hp: Record<string, unknown>, options: TrainOptions) {
    let firstPass = 0;
    const cached = await train(algorithm, hp, { ...options, onProgress: (e) => { if (e.phase === 'batch' && e.epoch === 0) firstPass++; } });
    const read = await train(algorithm, hp, { ...options, epochCacheBytes: 0 });
    assert.equal(bytesOf(cached.state), bytesOf(read.state));
    const { seconds: _a, kernels: _b, epochCache: report, ...metrics } = cached.metrics;
    const { seconds: _c, kernels: _d, epochCache: off, ...readMetrics } = read.metrics;
    assert.deepEqual(metrics, readMetrics);
    assert.equal(off?.train.epochsFromCache, 0);
    assert.equal(off?.train.notCached, 'epochCacheBytes is 0');
    return { ...report!, firstPass };
  }

  it('linear learner, dense, shuffled, with validation: epochs 2 and 3 come from memory, and the model is the same to the byte', async () => {
    const report = await sameWithAndWithout(linearLearner, { predictor_type: 'regressor', feature_dim: dim, num_models: 4, seed: 3 },
      { train: dense, validation, epochs: 3, data: { miniBatchSize: 50, shuffleBuffer: 4, seed: 9 } });
    assert.equal(report.train.epochsFromCache, 2);
    assert.equal(report.train.batches, report.firstPass);
    assert.equal(report.train.notCached, undefined);
    // 1000 rows × (4 features + label + weight) float32 (24,000 bytes) fit the arena's first buffer, of 64 KiB: what it holds.
    assert.equal(report.train.bytes, 64 * 1024);
    // Validated after each of the 3 epochs: the first pass read, the next two from memory.
    assert.equal(report.validation?.epochsFromCache, 2);
  });

  it('factorization machines and the linear learner on sparse libsvm, k-means on dense rows: the same bytes', async () => {
    const fm = await sameWithAndWithout(factorizationMachines, { predictor_type: 'binary_classifier', feature_dim: 40, num_factors: 4, seed: 1 },
      { train: sparse, epochs: 3, data: { format: 'libsvm', miniBatchSize: 64 } });
    assert.equal(fm.train.epochsFromCache, 2);
    const ll = await sameWithAndWithout(linearLearner, { predictor_type: 'binary_classifier', feature_dim: 40, num_models: 2 },
      { train: sparse, epochs: 2, data: { format: 'libsvm', miniBatchSize: 100 } });
    assert.equal(ll.train.epochsFromCache, 1);
    const km = await sameWithAndWithout(kmeans, { k: 3, feature_dim: dim + 1, seed: 2 }, { train: dense, epochs: 2, data: { labelSize: 0, miniBatchSize: 128 } });
    assert.equal(km.train.epochsFromCache, 1);
  });

  it('ntm on text (sparse batches that carry their words): the same bytes, bucket names included', async () => {
    const random = Random.fromSeed(8);
    const vocabulary = ['river', 'stream', 'data', 'topic', 'model', 'bytes', 'ocean', 'rain', 'cloud', 'storm', 'parser', 'kernel'];
    const documents = Array.from({ length: 400 }, () => JSON.stringify({
      text: Array.from({ length: 12 }, () => vocabulary[Math.floor(random.nextFloat() * vocabulary.length)]).join(' '),
    }));
    const corpus = join(root, 'corpus.jsonl');
    await writeFile(corpus, documents.join('\n') + '\n');
    const report = await sameWithAndWithout(ntm, { num_topics: 3, feature_dim: 64, seed: 2 },
      { train: corpus, epochs: 2, data: { format: 'text', miniBatchSize: 64 } });
    assert.equal(report.train.epochsFromCache, 1);
  });

  it('a channel larger than epochCacheBytes is read every epoch: dropped at the batch that overflows, said in the metrics, same model', async () => {
    const report = await sameWithAndWithout(linearLearner, { predictor_type: 'regressor', feature_dim: dim, num_models: 1 },
      { train: dense, epochs: 2, epochCacheBytes: 4096, data: { miniBatchSize: 50 } });
    // Nothing is held once the cache is dropped.
    assert.deepEqual(report.train, {
      epochsFromCache: 0, bytes: 0, batches: 0,
      notCached: "the training channel's batches need more than epochCacheBytes (4096 bytes); it is read from the file every epoch",
    });
  });

  it('a budget of what the arrays take keeps wide rows (each batch\'s values a buffer of its own); the validation channel gets what is left, and says so', async () => {
    // 3 batches of 1,024 rows × 520 features: each batch's values 2,129,920 bytes (a buffer of their own), the labels
    // (4 KiB a batch) in one 64 KiB buffer: 6,455,296 bytes held.
    const wide = join(root, 'wide.csv');
    const random = Random.fromSeed(12);
    await writeFile(wide, Array.from({ length: 3072 }, () => Array.from({ length: 521 }, () => Math.floor(random.nextFloat() * 10)).join(',')).join('\n') + '\n');
    const held = 3 * 1024 * 520 * 4 + 64 * 1024;
    const options = { train: wide, epochs: 2, data: { miniBatchSize: 1024 } };
    const hp = { predictor_type: 'regressor', num_models: 1 };
    const fits = await train(linearLearner, hp, { ...options, epochCacheBytes: held });
    assert.deepEqual(fits.metrics.epochCache?.train, { epochsFromCache: 1, bytes: held, batches: 3 });
    const short = await train(linearLearner, hp, { ...options, epochCacheBytes: held - 1 });
    assert.equal(short.metrics.epochCache?.train.notCached,
      "the training channel's batches need more than epochCacheBytes (6.2 MiB); it is read from the file every epoch");
    // The validation channel (the same rows) gets the 64 KiB left after the training channel's buffers.
    const both = await train(linearLearner, hp, { ...options, validation: wide, epochCacheBytes: held + 64 * 1024 });
    assert.deepEqual(both.metrics.epochCache?.validation, {
      epochsFromCache: 0, bytes: 0, batches: 0,
      notCached: "the validation channel's batches need more than the 65536 bytes of epochCacheBytes (6.2 MiB) that the training " +
        'channel left; it is read from the file every epoch',
    });
  });

  it('a checkpoint taken in a cached epoch resumes from the file to the uninterrupted run\'s bytes', async () => {
    const hp = { predictor_type: 'regressor', feature_dim: dim, num_models: 2, seed: 4 };
    const options = (directory: string): TrainOptions => ({
      // Not shuffled: a resumed shuffled run skips the rows its buffer held (read-options.ts), cached or not.
      train: dense, epochs: 3, data: { miniBatchSize: 50 }, checkpoint: { directory, everyBatches: 7 },
    });
    const whole = await train(linearLearner, hp, options(join(root, 'whole')));
    const directory = join(root, 'stopped');
    const controller = new AbortController();
    let seen = 0;
    // Stop in the middle of the second epoch, which is served from memory.
    const perEpoch = whole.metrics.epochCache!.train.batches;
    await assert.rejects(train(linearLearner, hp, {
      ...options(directory), signal: controller.signal,
      onProgress: (e) => { if (e.phase === 'batch' && ++seen === perEpoch + Math.floor(perEpoch / 2)) controller.abort(); },
    }), { name: 'AbortError' });
    const resumed = await train(linearLearner, hp, { ...options(directory), resume: true });
    assert.equal(bytesOf(resumed.state), bytesOf(whole.state));
    // The resumed run read the rest of epoch 2 from the file; epoch 3 from the start, the last, is not kept.
    assert.equal(resumed.metrics.epochCache?.train.epochsFromCache, 0);
    assert.equal(whole.metrics.epochCache?.train.epochsFromCache, 2);
  });

  it('one epoch keeps nothing and reports nothing; workers read their shares every epoch, and say so', async () => {
    const one = await train(linearLearner, { predictor_type: 'regressor', feature_dim: dim }, { train: dense, epochs: 1, data: { miniBatchSize: 50 } });
    assert.equal(one.metrics.epochCache, undefined);
    // Shares of at least 64 KiB each.
    const large = join(root, 'large.csv');
    await writeFile(large, regressionCsv(5, 4000));
    const workers = await train(linearLearner, { predictor_type: 'regressor', feature_dim: dim, num_models: 1 },
      { train: large, epochs: 2, workers: 2 });
    assert.equal(workers.metrics.epochCache?.train.notCached, 'data-parallel workers (workers, --cluster) read their shares from the files every epoch');
  });

  it('a stream read once keeps neither channel: the run has one epoch', async () => {
    const { readFile } = await import('node:fs/promises');
    const { Readable } = await import('node:stream');
    const run = await train(linearLearner, { predictor_type: 'regressor', feature_dim: dim, num_models: 1 },
      { train: Readable.from([await readFile(dense)]), validation, epochs: 3, data: { miniBatchSize: 50 } });
    assert.equal(run.metrics.epochs, 1);
    assert.deepEqual(run.metrics.epochCache, {
      train: { epochsFromCache: 0, bytes: 0, batches: 0, notCached: 'the training channel is a stream, read once' },
      validation: { epochsFromCache: 0, bytes: 0, batches: 0, notCached: 'the training channel is a stream, read once: the run has one epoch' },
    });
  });

  it('files truncated between passes read every epoch: an error naming both sizes, not a pass over less data', async () => {
    const path = join(root, 'shrinks.csv');
    const text = regressionCsv(4, 3000);
    await writeFile(path, text);
    const cut = text.indexOf('\n', Math.floor(text.length / 2)) + 1;
    await assert.rejects(train(linearLearner, { predictor_type: 'regressor', num_models: 2 }, {
      train: path, epochs: 3, epochCacheBytes: 0,
      onProgress: (e) => { if (e.phase === 'epoch' && e.epoch === 1) truncateSync(path, cut); },
    }), { name: 'DataError', message: `${path}: the training channel's file holds ${cut} bytes, where it held ${text.length} bytes in the first pass: ` +
      'was it truncated, replaced or removed between passes? (a later pass would read less data)' });
    // Data-parallel workers' passes are checked as well.
    await writeFile(path, text);
    await assert.rejects(train(linearLearner, { predictor_type: 'regressor', num_models: 2 }, {
      train: path, epochs: 3, epochCacheBytes: 0, workers: 2,
      onProgress: (e) => { if (e.phase === 'epoch' && e.epoch === 1) truncateSync(path, cut); },
    }), { name: 'DataError', message: `${path}: the training channel's file holds ${cut} bytes, where it held ${text.length} bytes in the first pass: ` +
      'was it truncated, replaced or removed between passes? (a later pass would read less data)' });
    // The validation channel's, and one file of a directory whose total grew.
    const validation = join(root, 'shrinks-validation.csv');
    await writeFile(path, text);
    await writeFile(validation, text);
    await assert.rejects(train(linearLearner, { predictor_type: 'regressor', num_models: 2 }, {
      train: path, validation, epochs: 3, epochCacheBytes: 0,
      onProgress: (e) => { if (e.phase === 'epoch' && e.epoch === 1) truncateSync(validation, cut); },
    }), { name: 'DataError', message: `${validation}: the validation channel's file holds ${cut} bytes, where it held ${text.length} bytes in the first pass: ` +
      'was it truncated, replaced or removed between passes? (a later pass would read less data)' });
    const directory = join(root, 'shrinks');
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'a.csv'), text);
    await writeFile(join(directory, 'b.csv'), text);
    await assert.rejects(train(linearLearner, { predictor_type: 'regressor', num_models: 2 }, {
      train: directory, epochs: 3, epochCacheBytes: 0,
      onProgress: (e) => {
        if (e.phase !== 'epoch' || e.epoch !== 1) return;
        truncateSync(join(directory, 'b.csv'), cut);
        writeFileSync(join(directory, 'c.csv'), text);
      },
    }), { name: 'DataError', message: `${join(directory, 'b.csv')}: the training channel's file holds ${cut} bytes, where it held ${text.length} bytes in the first pass: ` +
      'was it truncated, replaced or removed between passes? (a later pass would read less data)' });
  });

  it('refuses a budget that is not a whole number of bytes', async () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      await assert.rejects(train(linearLearner, { predictor_type: 'regressor', feature_dim: dim }, { train: dense, epochs: 2, epochCacheBytes: bad }),
        { name: 'RangeError', message: `train: epochCacheBytes must be a whole number of bytes, 0 or more (0: read the files every epoch), got ${bad}` });
    }
  });
});
