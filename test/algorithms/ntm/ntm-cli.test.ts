// The topic model from the command line: --vocab, the topic log, `boundless topics`, evaluate and
// predict, and the errors a user meets first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../../lib/package-root.js';
import { corpusTopics, corpusVocabulary, topicBatches, topicOfWord } from '../../fixtures/topic-corpus.js';

function boundless(...args: string[]) {
  const result = spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function libsvm(seed: number, batches: number): string {
  return topicBatches(seed, batches).flatMap((b) => Array.from({ length: b.rows }, (_, r) => {
    const entries = [];
    for (let e = b.indptr[r]; e < b.indptr[r + 1]; e++) entries.push(`${b.indices[e] + 1}:${b.values[e]}`);
    return `0 ${entries.join(' ')}`;
  })).join('\n') + '\n';
}

describe('ntm command line', () => {
  let directory: string;
  let train: string, test: string, vocab: string, model: string;
  const words = Array.from({ length: corpusVocabulary }, (_, i) => `topic${topicOfWord(i)}word${i}`);
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'boundless-ntm-cli-'));
    [train, test, vocab] = [join(directory, 'train.svm'), join(directory, 'test.svm'), join(directory, 'vocab.txt')];
    await writeFile(train, libsvm(21, 20));
    await writeFile(test, libsvm(22, 2));
    await writeFile(vocab, '\ufeff' + words.join('\n') + '\n');
    const trained = boundless('train', 'ntm', '--train', train, '--test', test, '--format', 'libsvm', '--vocab', vocab,
      '--hp', `num_topics=${corpusTopics}`, '--epochs', '6', '--model-dir', join(directory, 'model'));
    assert.equal(trained.code, 0, trained.stderr);
    model = join(directory, 'model');
    const summary = JSON.parse(trained.stdout);
    assert.ok(summary.metrics.test.perplexity > 0 && summary.metrics.test.npmi > 0);
    // The topic log: a header and one line per topic, words from the vocabulary.
    assert.match(trained.stderr, /Topics from epoch:final \(num_topics:4\) \[npmi 0\.\d{3}, tu [01]\.\d{3}\] \(NPMI over 128 documents of .*test\.svm; with fewer than 1,000 documents, pairs never seen together \(NPMI −1\) weigh heavily\)\n(\[npmi -?\d\.\d{3}\] (topic\dword\d+ ?){10}\n){4}/);
  });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('topics prints each topic\'s top words (from the vocabulary --vocab gave train) as JSON', () => {
    const { code, stdout, stderr } = boundless('topics', '--model', model, '--top', '3');
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.num_topics, corpusTopics);
    for (const t of result.topics) {
      assert.equal(t.words.length, 3);
      assert.deepEqual(t.words, t.ids.map((i: number) => words[i]));
    }
  });

  it('evaluate prints total_loss, perplexity, npmi and tu; predict writes topic_weights lines', () => {
    const evaluated = boundless('evaluate', '--model', model, '--test', test, '--format', 'libsvm');
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const metrics = JSON.parse(evaluated.stdout);
    for (const key of ['total_loss', 'perplexity', 'npmi', 'tu']) assert.equal(typeof metrics[key], 'number', key);
    assert.equal(metrics.records, 128);
    const predicted = boundless('predict', '--model', model, '--input', test, '--format', 'libsvm');
    assert.equal(predicted.code, 0, predicted.stderr);
    const lines = predicted.stdout.trim().split('\n');
    assert.equal(lines.length, 128);
    const first = JSON.parse(lines[0]);
    assert.equal(first.topic_weights.length, corpusTopics);
  });

  it('continues a model with its own vocabulary: another one (two words swapped) is refused, the same one or none is taken', async () => {
    const swapped = join(directory, 'swapped.txt');
    await writeFile(swapped, [words[1], words[0], ...words.slice(2)].join('\n') + '\n');
    const more = (vocabulary: string[], dir: string) => boundless('train', 'ntm', '--train', train, '--format', 'libsvm', '--initial-model', model,
      ...vocabulary, '--epochs', '1', '--model-dir', join(directory, dir));
    const refused = more(['--vocab', swapped], 'swapped-model');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^boundless: train: the vocabulary \(--vocab; vocabulary in train\(\)'s options\) is not the one .*model\/state\.safetensors was trained with: word 0 \(line 1 of a --vocab file\) is "topic\dword1", where .*state\.safetensors has "topic\dword0"; give that vocabulary, or none \(the state keeps its own\)$/m);
    for (const [vocabulary, dir] of [[['--vocab', vocab], 'same-vocab'], [[], 'no-vocab']] as const) {
      const r = more([...vocabulary], dir);
      assert.equal(r.code, 0, r.stderr);
      const topics = JSON.parse(boundless('topics', '--model', join(directory, dir)).stdout) as { topics: { words: string[] }[] };
      assert.ok(topics.topics.every((t) => t.words.every((w) => words.includes(w))));
    }
  });

  it('refuses a vocabulary with an empty line, of the wrong length, or given to another algorithm; topics of a non-ntm model', async () => {
    const narrow = join(directory, 'narrow.csv');
    await writeFile(narrow, '1,2,3\n');
    assert.match(boundless('train', 'ntm', '--train', narrow, '--label-size', '0', '--vocab', vocab, '--hp', 'num_topics=2').stderr,
      new RegExp(`narrow\\.csv, line 1: expected ${corpusVocabulary} columns, found 3 \\(the width from the ${corpusVocabulary} words of --vocab .*vocab\\.txt: one word per feature\\)`));
    // A test channel of empty documents is refused before training (its evaluation failed after the whole run).
    const emptyDocs = join(directory, 'empty-docs.svm');
    await writeFile(emptyDocs, '0\n0\n0\n');
    const noWords = boundless('train', 'ntm', '--train', train, '--test', emptyDocs, '--format', 'libsvm', '--vocab', vocab, '--hp', 'num_topics=2',
      '--model-dir', join(directory, 'empty-docs-model'));
    assert.equal(noWords.code, 1);
    assert.match(noWords.stderr, /^boundless: train: the test channel \(.*empty-docs\.svm\) has 3 records, every one empty \(all its values 0: a document without a word\), which ntm has nothing to measure on\n$/);
    assert.doesNotMatch(noWords.stderr, /epoch/);
    // A word index beyond the vocabulary names the vocabulary as the bound (it blamed a checkpoint that was not there).
    const beyond = join(directory, 'beyond.svm');
    await writeFile(beyond, `0 1:1 ${corpusVocabulary + 5}:1\n`);
    const outside = boundless('train', 'ntm', '--train', beyond, '--format', 'libsvm', '--vocab', vocab, '--hp', 'num_topics=2');
    assert.match(outside.stderr, new RegExp(`beyond\\.svm, line 1: feature index '${corpusVocabulary + 5}' is outside \\[1, ${corpusVocabulary}\\] ` +
      `\\(feature_dim ${corpusVocabulary}, the ${corpusVocabulary} words of --vocab .*vocab\\.txt: one word per feature\\)`));
    const holed = join(directory, 'holed.txt');
    await writeFile(holed, ['a', '', 'c'].join('\n'));
    let r = boundless('train', 'ntm', '--train', train, '--format', 'libsvm', '--vocab', holed, '--hp', 'num_topics=2');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /train: --vocab .*holed\.txt line 2 is empty \(expected one word per line, in feature order\)/);
    // A word twice named two features alike (topics read "apple, apple").
    const twice = join(directory, 'twice.txt');
    await writeFile(twice, ['apple', 'pear', 'apple'].join('\n'));
    r = boundless('train', 'ntm', '--train', train, '--format', 'libsvm', '--vocab', twice, '--hp', 'num_topics=2');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /train: --vocab .*twice\.txt line 3 repeats line 1's word "apple" \(each word names one feature: one line each\)/);
    // A byte-order mark inside the file (Windows files joined with cat) and blanks around a word became part of the word.
    const joined = join(directory, 'joined.txt');
    await writeFile(joined, 'apple\npear\n\ufeffplum\n');
    r = boundless('train', 'ntm', '--train', train, '--format', 'libsvm', '--vocab', joined, '--hp', 'num_topics=2');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /train: --vocab .*joined\.txt line 3 holds a byte-order mark \(U\+FEFF\), as files joined with cat after a Windows tool wrote them do/);
    const padded = join(directory, 'padded.txt');
    await writeFile(padded, 'apple \npear\n');
    r = boundless('train', 'ntm', '--train', train, '--format', 'libsvm', '--vocab', padded, '--hp', 'num_topics=2');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /train: --vocab .*padded\.txt line 1 is "apple ", with blanks around the word: a word is the whole line, so remove them/);
    const latin1 = join(directory, 'latin1.txt');
    await writeFile(latin1, Buffer.from('caf\xe9\n', 'latin1'));
    r = boundless('train', 'ntm', '--train', train, '--format', 'libsvm', '--vocab', latin1, '--hp', 'num_topics=2');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /train: --vocab .*latin1\.txt: is not UTF-8 \(vocab\.txt is UTF-8, one word per line\)/);
    const short = join(directory, 'short.txt');
    await writeFile(short, words.slice(0, 10).join('\n'));
    r = boundless('train', 'ntm', '--train', train, '--format', 'libsvm', '--feature-dim', String(corpusVocabulary), '--vocab', short, '--hp', 'num_topics=2', '--epochs', '1', '--model-dir', join(directory, 'short'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the vocabulary \(--vocab; vocabulary in train\(\)'s options\) has 10 words but the data has 40 features \(--feature-dim, or the rows' width\); it needs one word per feature, in feature order/);
    // A negative count is a bad record with its file and line; --on-bad-record skip skips it.
    const negative = join(directory, 'negative.svm');
    await writeFile(negative, '0 1:2 3:1\n0 2:-1 4:1\n0 1:1 5:2\n');
    r = boundless('train', 'ntm', '--train', negative, '--format', 'libsvm', '--feature-dim', '5', '--hp', 'num_topics=2', '--epochs', '1', '--model-dir', join(directory, 'negative'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /negative\.svm, line 2: feature 2 is -1, outside \[0, 1e\+09\] \(the values this algorithm takes\)/);
    r = boundless('train', 'ntm', '--train', negative, '--format', 'libsvm', '--feature-dim', '5', '--hp', 'num_topics=2', '--epochs', '1', '--on-bad-record', 'skip', '--model-dir', join(directory, 'negative'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).metrics.records, 2);
    r = boundless('train', 'linear-learner', '--train', train, '--format', 'libsvm', '--feature-dim', '40', '--vocab', vocab, '--hp', 'predictor_type=regressor');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /train: --vocab is for topic models \(ntm\); linear-learner takes no vocabulary/);
    const ll = boundless('train', 'linear-learner', '--train', train, '--format', 'libsvm', '--feature-dim', '40', '--hp', 'predictor_type=regressor', '--epochs', '1', '--model-dir', join(directory, 'll'));
    assert.equal(ll.code, 0, ll.stderr);
    r = boundless('topics', '--model', join(directory, 'll'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /topics: .*is a linear-learner model; topics come from ntm models/);
  });
});

describe('ntm on raw text (--format text)', () => {
  let directory: string;
  // Four topics of eight words each ("river", "court", …); documents mostly from one topic.
  const vocabulary = [
    ['river', 'boat', 'fish', 'bridge', 'water', 'bank', 'shore', 'stream'],
    ['court', 'judge', 'jury', 'trial', 'verdict', 'lawyer', 'appeal', 'witness'],
    ['piano', 'violin', 'concert', 'melody', 'orchestra', 'singer', 'rhythm', 'chorus'],
    ['planet', 'orbit', 'comet', 'galaxy', 'telescope', 'asteroid', 'nebula', 'eclipse'],
  ];
  const topicOf = new Map(vocabulary.flatMap((words, t) => words.map((w) => [w, t] as const)));
  function documents(seed: number, count: number): string {
    let x = seed;
    const next = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    return Array.from({ length: count }, () => {
      const main = Math.floor(next() * 4);
      const words = Array.from({ length: 30 }, () => vocabulary[next() < 0.8 ? main : Math.floor(next() * 4)][Math.floor(next() * 8)]);
      // Stop words and case are the tokeniser's to remove and fold.
      return JSON.stringify({ text: `The ${words.join(' and the ')}.`.toUpperCase(), id: 1 });
    }).join('\n') + '\n';
  }
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-ntm-text-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('trains from JSON Lines text with two workers, names topics by their buckets\' words, predicts raw text', async () => {
    const train = join(directory, 'train.jsonl');
    await writeFile(train, documents(7, 2000));
    const model = join(directory, 'model');
    const trained = boundless('train', 'ntm', '--train', train, '--format', 'text', '--hp', 'feature_dim=997', '--hp', 'num_topics=4',
      '--epochs', '8', '--workers', '2', '--model-dir', model);
    assert.equal(trained.code, 0, trained.stderr);
    // The training NPMI and the topic log's are over the same reservoir and the same topics (unnamed buckets left out of both).
    const logged = /Topics from epoch:final \(num_topics:4\) \[npmi (-?\d\.\d{3}), tu (\d\.\d{3})\]/.exec(trained.stderr);
    assert.ok(logged, trained.stderr);
    const trainMetrics = JSON.parse(trained.stdout).metrics.train;
    assert.equal(trainMetrics.npmi.toFixed(3), logged[1]);
    assert.equal(trainMetrics.tu.toFixed(3), logged[2]);
    const { topics } = JSON.parse(boundless('topics', '--model', model, '--top', '4').stdout);
    const found = topics.map((t: { words: string[] }) => {
      // 32 words in 997 buckets: each bucket's top word is the word, in lower case, stop words gone.
      const owners = new Set(t.words.map((w) => topicOf.get(w.split('|')[0])));
      assert.equal(owners.size, 1, `a topic's top words ${t.words} come from one true topic`);
      return [...owners][0];
    });
    assert.equal(new Set(found).size, 4, `every true topic found: ${found}`);
    const predicted = boundless('predict', '--model', model, '--input', train, '--format', 'text');
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.equal(predicted.stdout.trim().split('\n').length, 2000);
    const refused = boundless('train', 'ntm', '--train', train, '--format', 'text', '--hp', 'feature_dim=997', '--hp', 'num_topics=4', '--vocab', train);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /train: --vocab names the columns of a bag of words; --format text hashes words into buckets/);
  });
});
