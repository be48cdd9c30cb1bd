// The neural topic model's behaviour: planted topics found, merge rounds, the
// vocabulary, predictions, early stopping on the training loss, degenerate data.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, ntm, ntmSchema, parseHyperparameters, readBatches, resolveBackend, train, type Backend, type Batch, type NtmModel, type NtmState, type SparseBatch } from '../../../lib/index.js';
import { copyState } from '../../../lib/distributed/state-transfer.js';
import { packageRoot } from '../../../lib/package-root.js';
import { corpusTopics, corpusVocabulary, topicBatches, topicOfWord } from '../../fixtures/topic-corpus.js';

const hp = { num_topics: corpusTopics, seed: 2 };

async function trainEpochs(state: NtmState, batches: Batch[], epochs: number, backend: Backend): Promise<NtmState> {
  for (let e = 0; e < epochs; e++) {
    for (const batch of batches) await ntm.update(state, batch, backend);
    ntm.endPass!(state);
  }
  return state;
}

async function evaluate(model: NtmModel, batches: Batch[]): Promise<Record<string, number>> {
  const evaluator = ntm.createEvaluator(model);
  for (const batch of batches) await evaluator.add(batch);
  return evaluator.result();
}

function libsvm(batches: SparseBatch[]): string {
  const lines: string[] = [];
  for (const b of batches) {
    for (let r = 0; r < b.rows; r++) {
      const entries = [];
      for (let e = b.indptr[r]; e < b.indptr[r + 1]; e++) entries.push(`${b.indices[e] + 1}:${b.values[e]}`);
      lines.push(`0 ${entries.join(' ')}`);
    }
  }
  return lines.join('\n') + '\n';
}

describe('ntm', () => {
  let backend: Backend;
  let directory: string;
  before(async () => {
    backend = await resolveBackend('cpu');
    directory = await mkdtemp(join(tmpdir(), 'boundless-ntm-'));
  });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('finds planted topics: each topic\'s top 5 words come from one true topic, all four found, TU 1, perplexity well below the unigram model\'s', async () => {
    const state = await trainEpochs(ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend), topicBatches(1, 40), 8, backend);
    const model = await ntm.finalize(state, backend);
    const found = model.topics(5).map((t) => {
      const owners = new Set(t.ids.map(topicOfWord));
      assert.equal(owners.size, 1, `topic ${t.topic}'s top words ${t.ids} come from true topics ${[...owners]}`);
      return [...owners][0];
    });
    assert.equal(new Set(found).size, corpusTopics, `true topics found: ${found}`);
    const metrics = await evaluate(model, topicBatches(99, 4));
    assert.equal(metrics.tu, 1);
    // Words are uniform overall, so a unigram model's perplexity is the vocabulary size, 40; the planted
    // model's is about 20.
    assert.ok(metrics.perplexity < 26, `perplexity ${metrics.perplexity}`);
    assert.ok(metrics.npmi > 0.3, `npmi ${metrics.npmi}`);
  });

  it('a merge round of two workers that parted from one state lands within 3% of training on their batches in sequence', async () => {
    const base = await trainEpochs(ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend), topicBatches(3, 20), 1, backend);
    const copy = () => copyState(base) as NtmState;
    const [a, b] = [copy(), copy()];
    const [batchesA, batchesB] = [topicBatches(4, 2), topicBatches(5, 2)];
    for (const batch of batchesA) await ntm.update(a, batch, backend);
    for (const batch of batchesB) await ntm.update(b, batch, backend);
    const merged = ntm.mergeRound!(base, [a, b]);
    const sequential = copy();
    for (const batch of [...batchesA, ...batchesB]) await ntm.update(sequential, batch, backend);
    const test = topicBatches(98, 4);
    const [m, s] = [(await evaluate(await ntm.finalize(merged, backend), test)).perplexity, (await evaluate(await ntm.finalize(sequential, backend), test)).perplexity];
    assert.ok(Math.abs(m / s - 1) < 0.03, `merged ${m} vs sequential ${s}`);
    assert.equal(merged.scalars.examples_seen, Number(base.scalars.examples_seen) + 4 * 64);
  });

  it('names topics with the vocabulary, keeps it in the model file, and refuses one of the wrong length', async () => {
    const path = join(directory, 'train.svm');
    await writeFile(path, libsvm(topicBatches(6, 10)));
    const words = Array.from({ length: corpusVocabulary }, (_, i) => `w${i}t${topicOfWord(i)}`);
    const result = await train(ntm, { ...hp, epochs: 4 }, { train: path, data: { format: 'libsvm', featureDim: corpusVocabulary }, vocabulary: words });
    for (const t of result.model.topics(3)) assert.deepEqual(t.words, t.ids.map((i) => words[i]));
    for (const top of [0, -1, 1.5, NaN]) {
      assert.throws(() => result.model.topics(top), { name: 'RangeError', message: `ntm topics: top must be an integer ≥ 1 (words a topic), got ${top}` });
    }
    const counts = new Float32Array(corpusVocabulary);
    counts[0] = 1e30;
    assert.throws(() => (result.model as NtmModel).predictOne(counts), /ntm predictOne: word counts must be in \[0, 1000000000\], got 1\.0000000150474662e\+30$/);
    await result.model.save(join(directory, 'model.safetensors'));
    const loaded = await loadModel(join(directory, 'model.safetensors'), ntm, backend) as NtmModel;
    assert.deepEqual(loaded.vocabulary, words);
    await assert.rejects(train(ntm, hp, { train: path, data: { format: 'libsvm', featureDim: corpusVocabulary }, vocabulary: words.slice(1) }),
      /train: the vocabulary \(--vocab; vocabulary in train\(\)'s options\) has 39 words but the data has 40 features \(--feature-dim, or the rows' width\); it needs one word per feature, in feature order/);
    await assert.rejects(train(ntm, hp, { train: path, data: { format: 'libsvm', featureDim: corpusVocabulary }, vocabulary: ['a\nb', ...words.slice(1)] }),
      /train: vocabulary word 0 is "a\\nb"; a word is a non-empty string without a newline/);
  });

  it('predicts topic_weights per document (each sums to 1); predictOne gives the same weights', async () => {
    const state = await trainEpochs(ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend), topicBatches(7, 10), 2, backend);
    const model = await ntm.finalize(state, backend);
    const batch = topicBatches(8, 1, 5)[0];
    const { topic_weights: weights } = await model.predict(batch);
    assert.equal(weights.length, 5 * corpusTopics);
    for (let r = 0; r < 5; r++) {
      const row = weights.subarray(r * corpusTopics, (r + 1) * corpusTopics);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      const dense = new Float32Array(corpusVocabulary);
      for (let e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) dense[batch.indices[e]] = batch.values[e];
      const one = model.predictOne(dense).topic_weights;
      for (let k = 0; k < corpusTopics; k++) assert.ok(Math.abs(one[k] - row[k]) < 1e-5, `row ${r} topic ${k}: ${one[k]} vs ${row[k]}`);
    }
  });

  it('dense and sparse batches of the same documents give the same state', async () => {
    const sparse = topicBatches(9, 3);
    const dense = sparse.map((b) => {
      const values = new Float32Array(b.rows * corpusVocabulary);
      for (let r = 0; r < b.rows; r++) for (let e = b.indptr[r]; e < b.indptr[r + 1]; e++) values[r * corpusVocabulary + b.indices[e]] = b.values[e];
      return { kind: 'dense' as const, rows: b.rows, cols: corpusVocabulary, values };
    });
    const [a, b] = [ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend), ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend)];
    await trainEpochs(a, sparse, 1, backend);
    await trainEpochs(b, dense, 1, backend);
    const [pa, pb] = [a.tensors.parameters.data as Float32Array, b.tensors.parameters.data as Float32Array];
    let largest = 0;
    for (let i = 0; i < pa.length; i++) largest = Math.max(largest, Math.abs(pa[i] - pb[i]));
    assert.ok(largest < 1e-5, `largest difference ${largest}`);
  });

  for (const optimizer of ['sgd', 'adam', 'adagrad', 'rmsprop', 'adadelta']) {
    it(`${optimizer}: trains (the training loss falls) with finite weights`, async () => {
      const state = ntm.createState(parse({ ...hp, optimizer, learning_rate: optimizer === 'sgd' ? 0.05 : 0.01 }), { featureDim: corpusVocabulary, labelSize: 0 }, backend);
      await trainEpochs(state, topicBatches(10, 10), 1, backend);
      const first = ntm.progressiveMetrics!(state).total_loss;
      await trainEpochs(state, topicBatches(10, 10), 3, backend);
      const last = ntm.progressiveMetrics!(state).total_loss;
      assert.ok(last < first, `${optimizer}: ${first} → ${last}`);
      assert.ok((state.tensors.parameters.data as Float32Array).every(Number.isFinite));
    });
  }

  it('stops early on the training loss without a validation channel (num_patience_epochs, tolerance)', async () => {
    const path = join(directory, 'early.svm');
    await writeFile(path, libsvm(topicBatches(11, 4)));
    const result = await train(ntm, { ...hp, epochs: 40, num_patience_epochs: 1, tolerance: 0.05 }, { train: path, data: { format: 'libsvm', featureDim: corpusVocabulary } });
    assert.equal(result.metrics.stoppedEarly, true);
    assert.ok(result.metrics.epochs < 40 && result.metrics.epochs >= 2, `epochs ${result.metrics.epochs}`);
    assert.ok(typeof result.metrics.train.npmi === 'number' && typeof result.metrics.train.tu === 'number');
  });

  it('sub_sample trains on about that fraction of the documents each epoch', async () => {
    const state = ntm.createState(parse({ ...hp, sub_sample: 0.25 }), { featureDim: corpusVocabulary, labelSize: 0 }, backend);
    for (const batch of topicBatches(12, 20)) await ntm.update(state, batch, backend);
    const documents = (state.tensors.epoch_sums.data as Float64Array)[4];
    assert.ok(Math.abs(documents / 1280 - 0.25) < 0.05, `trained on ${documents} of 1280`);
    assert.equal(state.scalars.examples_seen, 1280, 'every document read counts in examples_seen');
  });

  it('trains with one document per batch (batch norm then uses its running moments): finite, sane KL', async () => {
    const state = ntm.createState(parse({ ...hp, mini_batch_size: 1 }), { featureDim: corpusVocabulary, labelSize: 0 }, backend);
    const single = topicBatches(13, 1, 200)[0];
    for (let r = 0; r < 200; r++) {
      const [b, e] = [single.indptr[r], single.indptr[r + 1]];
      await ntm.update(state, { kind: 'sparse', rows: 1, cols: corpusVocabulary, indptr: Int32Array.of(0, e - b), indices: single.indices.slice(b, e), values: single.values.slice(b, e) }, backend);
    }
    ntm.endPass!(state);
    const metrics = await evaluate(await ntm.finalize(state, backend), topicBatches(97, 2));
    assert.ok(Number.isFinite(metrics.perplexity) && metrics.kl_divergence >= 0 && metrics.kl_divergence < 100, JSON.stringify(metrics));
  });

  it('refuses to score documents without words, raw text on a vocabulary model, counts above 1e9, and more than 1,000,000 features', async () => {
    const state = await trainEpochs(ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend), topicBatches(14, 4), 1, backend);
    const model = await ntm.finalize(state, backend);
    const empty: SparseBatch = { kind: 'sparse', rows: 2, cols: corpusVocabulary, indptr: new Int32Array(3), indices: new Uint32Array(0), values: new Float32Array(0) };
    const evaluator = ntm.createEvaluator(model);
    await evaluator.add(empty);
    assert.throws(() => evaluator.result(), /ntm evaluate: the 2 documents evaluated hold no words \(every count was 0\): perplexity and NPMI need words/);
    // No documents, or documents of weight 0: no metrics at all (it returned {} and the CLI exited 0).
    assert.throws(() => ntm.createEvaluator(model).result(), /^DegenerateDataError: ntm evaluate: the rows evaluated weigh 0 in total/);
    const weightless = ntm.createEvaluator(model);
    await weightless.add({ ...topicBatches(98, 1)[0], weights: new Float32Array(topicBatches(98, 1)[0].rows) } as SparseBatch);
    assert.throws(() => weightless.result(), /^DegenerateDataError: ntm evaluate: the rows evaluated weigh 0 in total \(no rows, or every row's weight is 0\)/);
    const text: SparseBatch = { kind: 'sparse', rows: 1, cols: corpusVocabulary, indptr: Int32Array.of(0, 1), indices: Uint32Array.of(3), values: Float32Array.of(1),
      words: { offsets: Uint32Array.of(0, 4), bytes: new TextEncoder().encode('word') } };
    await assert.rejects(model.predict(text), /ntm: this model's features are the words of a vocabulary; raw text \(--format text\) would be hashed into unrelated columns/);
    await assert.rejects(ntm.update(state, text, backend), /the state was trained on the columns of a bag of words \(a vocabulary\); raw text/);
    const huge: SparseBatch = { kind: 'sparse', rows: 1, cols: corpusVocabulary, indptr: Int32Array.of(0, 1), indices: Uint32Array.of(3), values: Float32Array.of(1e30) };
    await assert.rejects(ntm.update(state, huge, backend), /row 0 has a word count of 1000000015047466219876688855040\.0+; a document is a bag of word counts from 0 to 1e9/);
    assert.throws(() => ntm.createState(parse(hp), { featureDim: 2_000_000, labelSize: 0 }, backend), /ntm: the data has 2,000,000 features; feature_dim is at most 1,000,000/);
  });

  it('refuses more topics than words, and a corpus of one document', async () => {
    assert.throws(() => ntm.createState(parse({ ...hp, num_topics: 6 }), { featureDim: 5, labelSize: 0 }, backend),
      /^RangeError: ntm: num_topics 6 is more than the 5 words of the vocabulary \(feature_dim\): .*Lower num_topics/);
    const state = ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend);
    const [batch] = topicBatches(19, 1);
    const one: SparseBatch = { kind: 'sparse', rows: 1, cols: corpusVocabulary, indptr: batch.indptr.slice(0, 2),
      indices: batch.indices.slice(0, batch.indptr[1]), values: batch.values.slice(0, batch.indptr[1]) };
    await ntm.update(state, one, backend);
    assert.throws(() => ntm.checkTrainingData!(state), /^DegenerateDataError: ntm: the training data held 1 document; topics are words that occur together across documents/);
    await ntm.update(state, one, backend);
    ntm.checkTrainingData!(state);
  });

  it('says when sub_sample drew no document', async () => {
    const state = ntm.createState(parse({ ...hp, sub_sample: 1e-6 }), { featureDim: corpusVocabulary, labelSize: 0 }, backend);
    for (const batch of topicBatches(15, 2)) await ntm.update(state, batch, backend);
    assert.throws(() => ntm.checkTrainingData!(state), /ntm: sub_sample 0\.000001 drew none of the 128 documents read/);
  });

  it('merges shards\' reservoirs into one sample of both (up to its 4,096 documents)', async () => {
    const [a, b] = [ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend), ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend)];
    for (const batch of topicBatches(16, 2)) await ntm.update(a, batch, backend);
    for (const batch of topicBatches(17, 3)) await ntm.update(b, batch, backend);
    const merged = ntm.merge([a, b]);
    const reservoir = merged.tensors.reservoir.data as Int32Array;
    let filledSlots = 0;
    for (let d = 0; d * 64 < reservoir.length; d++) if (reservoir[d * 64] >= 0) filledSlots++;
    assert.equal(filledSlots, 5 * 64);
  });

  it('a diverged training is an error, not a model whose evaluation is null metrics; evaluate refuses such a model', async () => {
    // sgd at learning_rate 1, and one document of counts 1e5: the loss went NaN from the second pass,
    // the run kept the first (weights near 1e7), exit 0, and evaluate printed null perplexity.
    const sotu = join(packageRoot, 'examples', 'data', 'sotu');
    const file = join(directory, 'diverging.svm');
    await writeFile(file, (await readFile(join(sotu, 'train.svm'), 'utf8')) + '0 1:100000 2:100000 3:5\n');
    const divergingHp = { num_topics: 5, optimizer: 'sgd', learning_rate: 1 };
    await assert.rejects(train(ntm, divergingHp, { train: file, epochs: 3, data: { format: 'libsvm', featureDim: 1000 }, backend: 'cpu' }),
      /^DegenerateDataError: ntm: training diverged: pass \d's total_loss is .* and its perplexity (NaN|Infinity) \(a loss of .* a word, where a uniform guess costs 6\.91\); lower learning_rate \(1\), set clip_gradient \(e\.g\. 10\), or use optimizer adam \(optimizer is sgd\)/);
    // A model whose network diverged (from before training refused one): weights near 1e7, as that run's were.
    const state = ntm.createState(parse({ num_topics: 5 }), { featureDim: 1000, labelSize: 0, sparse: true }, backend);
    for await (const batch of readBatches(join(sotu, 'train.svm'), { format: 'libsvm', featureDim: 1000, labelSize: 1, miniBatchSize: 64 })) await ntm.update(state, batch, backend);
    ntm.endPass!(state);
    const parameters = state.tensors.parameters.data as Float32Array;
    for (let i = 0; i < parameters.length; i++) parameters[i] *= 1e7;
    const model = ntm.finalize(state, backend) as NtmModel;
    const evaluator = ntm.createEvaluator(model);
    for await (const batch of readBatches(join(sotu, 'validation.svm'), { format: 'libsvm', featureDim: 1000, labelSize: 1, miniBatchSize: 64 })) await evaluator.add(batch);
    assert.throws(() => evaluator.result(), /^DegenerateDataError: ntm evaluate: the model's total_loss on these documents is .* its network diverged in training/);
    // A model file whose weights are not finite (damaged, or edited) is refused at load: predict wrote null topic weights, exit 0.
    const data = model.data();
    const damaged = { ...data, tensors: { ...data.tensors, mu_weight: { ...data.tensors.mu_weight, data: Float32Array.from(data.tensors.mu_weight.data as Float32Array, (v, i) => (i === 3 ? NaN : v)) } } };
    assert.throws(() => ntm.loadModel(damaged as never, backend), /^RangeError: ntm: the model's mu_weight\[3\] is NaN: a trained model holds finite values, so it diverged or the file was damaged; train it again$/);
  });

  it('reports a stream of empty documents instead of modelling it', async () => {
    const state = ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend);
    const empty: SparseBatch = { kind: 'sparse', rows: 3, cols: corpusVocabulary, indptr: new Int32Array(4), indices: new Uint32Array(0), values: new Float32Array(0) };
    await ntm.update(state, empty, backend);
    assert.throws(() => ntm.checkTrainingData!(state), /ntm: the training data held 3 documents and no words \(every count was 0\); a topic model needs word counts/);
    // Documents with words, every one of weight 0: their weight is what is missing, not words.
    const weightless = ntm.createState(parse(hp), { featureDim: corpusVocabulary, labelSize: 0 }, backend);
    const [batch] = topicBatches(18, 1);
    await ntm.update(weightless, { ...batch, weights: new Float32Array(batch.rows) }, backend);
    assert.throws(() => ntm.checkTrainingData!(weightless), new RegExp(`^DegenerateDataError: ntm: the training data's ${batch.rows} rows weigh 0 in total \\(every row's weight is 0\\)`));
  });
});

function parse(input: Record<string, unknown>) {
  return parseHyperparameters('ntm', ntmSchema, input);
}
