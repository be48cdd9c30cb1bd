// What the CLI adds for topic models: --vocab (SageMaker's vocab.txt channel),
// `boundless topics` (each topic's top words as JSON), and the topic log that
// train prints at the end, each topic's words with its NPMI coherence.
import { readFile } from 'node:fs/promises';
import { getAlgorithm } from '../algorithms/registry.js';
import type { Model, State } from '../algorithms/types.js';
import type { NtmModel } from '../algorithms/ntm/model.js';
import { mean, npmiPerTopic, topicUniqueness } from '../algorithms/ntm/coherence.js';
import { addCoherenceBatch, addReservoir, createCoherenceCounts } from '../algorithms/ntm/coherence.js';
import { reservoirWidth } from '../algorithms/ntm/state.js';
import { resolveBackend } from '../backends/select.js';
import { readBatches } from '../io/read-batches.js';
import type { ReadOptions } from '../io/read-options.js';
import { readStoredObject } from '../state/checkpoint.js';
import { modelFromStored } from '../algorithms/persistence.js';
import { integerOption, parseArguments, UsageError, type OptionSpec } from './arguments.js';
import { modelFile } from './model-commands.js';
import { withArticle } from '../algorithms/article.js';
import { vocabularyProblem, type WordProblem } from '../algorithms/ntm/vocabulary-words.js';

/**
 * vocab.txt: UTF-8, one word per line in feature order (SageMaker's format). A byte-order mark and a
 * final newline are allowed; an empty line is an error naming it (it would shift every later word), and
 * so are a word given twice (two features named alike), a byte-order mark after the start and blanks
 * around a word (they became part of it).
 */
export async function readVocabulary(command: string, path: string): Promise<string[]> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(path));
  } catch (error) {
    const why = (error as Error).name === 'TypeError' ? 'is not UTF-8 (vocab.txt is UTF-8, one word per line)' : (error as Error).message;
    throw new Error(`${command}: --vocab ${path}: ${why}`);
  }
  // (TextDecoder has read past a byte-order mark at the start: another after it is a word's.)
  const words = text.split(/\r?\n/);
  if (words.at(-1) === '') words.pop();
  if (words.length === 0) throw new Error(`${command}: --vocab ${path} holds no words (expected one word per line, in feature order)`);
  const problem = vocabularyProblem(words);
  if (problem) throw new Error(`${command}: --vocab ${path} line ${problem.index + 1} ${lineProblem(problem, words, path)}`);
  return words;
}

/** What a --vocab line's problem is, in the words of a file of lines. */
function lineProblem(problem: WordProblem, words: readonly string[], path: string): string {
  const word = JSON.stringify(words[problem.index]);
  switch (problem.kind) {
    case 'empty': return 'is empty (expected one word per line, in feature order)';
    case 'newline': return `is ${word}, with a newline inside`;
    case 'byte-order mark':
      return 'holds a byte-order mark (U+FEFF), as files joined with cat after a Windows tool wrote them do: ' +
        `remove it (sed -i 's/\\xEF\\xBB\\xBF//g' ${path})`;
    case 'blanks': return `is ${word}, with blanks around the word: a word is the whole line, so remove them`;
    case 'repeat': return `repeats line ${problem.first + 1}'s word ${word} (each word names one feature: one line each)`;
  }
}

export const topicsOptions: Record<string, OptionSpec> = {
  model: { value: true, required: true, description: "an ntm model.safetensors, or the directory train's --model-dir wrote" },
  top: { value: true, description: 'words per topic (default 10)' },
};

/** `boundless topics --model M [--top N]`: { topics: [{ topic, words, ids, weights }] }, words ranked by topic_word. */
export async function topicsCommand(argv: string[]): Promise<Record<string, unknown>> {
  const { options } = parseArguments('topics', argv, topicsOptions);
  const top = integerOption('topics', options, 'top') ?? 10;
  if (top < 1) throw new UsageError(`topics: --top must be a positive integer, got ${top}`);
  const path = modelFile('topics', options.model as string);
  const stored = await readStoredObject(path).catch((error: Error) => { throw new Error(`topics: --model ${path}: ${error.message}`); });
  if (stored.algorithm !== 'ntm') throw new UsageError(`topics: ${path} is ${withArticle(stored.algorithm)} model; topics come from ntm models`);
  const model = modelFromStored(stored, getAlgorithm('ntm'), await resolveBackend('cpu'), path) as NtmModel;
  return { model: path, num_topics: model.numTopics, topics: model.topics(top) };
}

/** Reservoir slots filled to the last word: documents that may have been cut. */
function fullSlots(reservoir: Int32Array): number {
  let n = 0;
  for (let d = 0; d * reservoirWidth < reservoir.length; d++) if (reservoir[(d + 1) * reservoirWidth - 1] >= 0) n++;
  return n;
}

/**
 * The lines train prints on stderr at the end, as SageMaker's NTM log does: a header with the mean
 * NPMI and TU, then each topic's words with its NPMI over `reference` (validation, else test).
 */
export async function topicLog(model: Model, state: State<unknown>, reference: string | undefined, readOptions: ReadOptions): Promise<string> {
  const ntmModel = model as NtmModel;
  const topics = ntmModel.topics(10);
  const counts = createCoherenceCounts(topics, ntmModel.featureDim);
  if (reference !== undefined) {
    for await (const batch of readBatches(reference, { ...readOptions, featureDim: ntmModel.featureDim })) await addCoherenceBatch(counts, batch);
  } else {
    addReservoir(counts, state.tensors.reservoir.data as Int32Array, reservoirWidth);
  }
  const cut = reference === undefined ? fullSlots(state.tensors.reservoir.data as Int32Array) : 0;
  const perTopic = npmiPerTopic(counts);
  const fixed = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
  const documents = counts.documents[0];
  const count = documents.toLocaleString('en-US');
  const source = `${reference !== undefined ? `${count} documents of ${reference}` : `a sample of ${count} training documents`}` +
    // A pair of top words absent from every reference document counts −1: with few documents, many pairs are.
    (documents < 1000 ? '; with fewer than 1,000 documents, pairs never seen together (NPMI −1) weigh heavily' : '') +
    // The reservoir keeps a document's first 64 distinct words: longer documents lose co-occurrences.
    (cut > 0 ? `; ${cut} of them ${cut === 1 ? 'has' : 'have'} ${reservoirWidth} or more distinct words, of which the first ${reservoirWidth} were kept: NPMI reads low, give --validation` : '');
  const header = `Topics from epoch:final (num_topics:${ntmModel.numTopics}) [npmi ${fixed(mean(perTopic))}, tu ${fixed(topicUniqueness(topics))}] (NPMI over ${source})`;
  // A hashed bucket is named by its top words ("tax|taxes"); the log shows the first.
  const lines = topics.map((t, k) => `[npmi ${fixed(perTopic[k])}] ${t.words.map((w) => w.split('|')[0]).join(' ')}`);
  return [header, ...lines].join('\n') + '\n';
}
