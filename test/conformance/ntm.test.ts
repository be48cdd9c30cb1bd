// The neural topic model through the shared conformance suite.
import assert from 'node:assert/strict';
import { denseBatch, ntm, type Backend, type Batch } from '../../lib/index.js';
import { corpusVocabulary, topicBatches } from '../fixtures/topic-corpus.js';
import { describeConformance } from './suite.js';

async function perplexity(model: Parameters<typeof ntm.createEvaluator>[0], batches: Batch[]): Promise<number> {
  const evaluator = ntm.createEvaluator(model);
  for (const batch of batches) await evaluator.add(batch);
  return evaluator.result().perplexity;
}

describeConformance({
  algorithm: ntm,
  hyperparameters: { num_topics: 4, mini_batch_size: 64, seed: 5, optimizer: 'adam', learning_rate: 0.01 },
  schema: { featureDim: corpusVocabulary, labelSize: 0 },
  batches: (seed, count) => topicBatches(seed, count),
  invalidHyperparameters: [
    { input: { num_topics: 1 }, message: /'num_topics' got 1, expected an integer in \[2, 1000\]/ },
    { input: { optimizer: 'lbfgs' }, message: /'optimizer' got "lbfgs", expected one of sgd, adam, adagrad, rmsprop, adadelta/ },
    { input: { encoder_layers_activation: 'gelu' }, message: /'encoder_layers_activation' got "gelu", expected one of sigmoid, tanh, relu, softplus/ },
    { input: { encoder_layers: '100,x' }, message: /ntm: hyperparameter 'encoder_layers' got "100,x", expected a comma-separated list of widths such as "100,100" \(brackets allowed\), or 'auto'/ },
    { input: { sub_sample: 0 }, message: /'sub_sample' got 0, expected a number in \(0, 1\]/ },
    { input: { num_topics: undefined }, message: /'num_topics' is required/ },
  ],
  invalidBatches: [
    { name: 'a batch of the wrong width', batch: denseBatch(new Float32Array(6), 3), message: /ntm batch 0: has 3 features per row, expected 40 \(feature_dim\)/ },
    {
      name: 'a negative word count',
      batch: { kind: 'sparse', rows: 2, cols: corpusVocabulary, indptr: Int32Array.of(0, 1, 2), indices: Uint32Array.of(3, 5), values: Float32Array.of(2, -1) },
      message: /ntm batch 0: row 1 has a word count of -1\.0+; a document is a bag of word counts from 0 to 1e9/,
    },
    {
      name: 'a non-finite count',
      batch: { kind: 'sparse', rows: 1, cols: corpusVocabulary, indptr: Int32Array.of(0, 1), indices: Uint32Array.of(3), values: Float32Array.of(NaN) },
      message: /ntm batch 0: .*row 0.*not finite|ntm batch 0: .*NaN/,
    },
  ],
  backendTolerance: 1e-4,
  async checkMerge(merged, _shards, whole, backend: Backend) {
    const test = topicBatches(4321, 4);
    const untrained = ntm.createState(merged.hyperparameters, merged.schema, backend);
    const score = async (state: typeof merged) => perplexity(await ntm.finalize(state, backend), test);
    const [mergedP, untrainedP] = [await score(merged), await score(untrained)];
    // Shards trained apart from one initialisation: their topics need not line up (topic k of one may be
    // topic j of the other), so an average keeps only part of what each learned — still better than
    // nothing. Merge rounds, where workers part for a few steps, are checked in test/algorithms/ntm.test.ts.
    assert.ok(mergedP < 0.99 * untrainedP, `merged ${mergedP} vs untrained ${untrainedP}`);
    assert.ok(Number.isFinite(await score(whole)));
  },
});
