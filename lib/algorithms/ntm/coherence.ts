// Topic quality without word embeddings: NPMI coherence of each topic's top words
// over document co-occurrence (Bouma 2009; Lau, Newman & Baldwin 2014 found it the
// measure closest to human judgement), and topic uniqueness (TU, Nan et al. 2019):
// how few topics share each top word. SageMaker's WETC needs GloVe vectors, which
// cannot ship here; NPMI needs only the documents.
import { loadCoreAddon } from '../../backends/native-addon.js';
import type { Batch } from '../../data/batch.js';
import type { Topic } from './model.js';

/** Document counts over a reference set (fixed size: topics × top²). */
export interface CoherenceCounts {
  vocabulary: number;
  top: number;
  /** [topics × top] the word ids counted. */
  words: Int32Array;
  documentFrequency: Float64Array;
  pairFrequency: Float64Array;
  documents: Float64Array;
}

export function createCoherenceCounts(topics: Topic[], vocabulary: number): CoherenceCounts {
  const top = topics[0]?.ids.length ?? 0;
  const words = Int32Array.from(topics.flatMap((t) => t.ids));
  return {
    vocabulary, top, words, documentFrequency: new Float64Array(words.length),
    pairFrequency: new Float64Array(words.length * top), documents: new Float64Array(1),
  };
}

/**
 * Adds the documents of a reservoir ([documents × width] word ids, −1 padded) — fixed-size work,
 * done here rather than natively: at most 4,096 × 64 ids against topics × top words.
 */
export function addReservoir(counts: CoherenceCounts, reservoir: Int32Array, width: number): void {
  const { top, words } = counts;
  if (top === 0) return;
  // present[w]: word w is in the document being counted; listed[j]: the j-th listed word is.
  const present = new Uint8Array(counts.vocabulary);
  const listed = new Uint8Array(words.length);
  for (let d = 0; d * width < reservoir.length; d++) {
    const row = d * width;
    if (reservoir[row] < 0) continue;  // an empty slot (fewer documents read than slots)
    for (let i = 0; i < width && reservoir[row + i] >= 0; i++) present[reservoir[row + i]] = 1;
    for (let j = 0; j < words.length; j++) listed[j] = present[words[j]];
    for (let t = 0; t < words.length / top; t++) {
      for (let i = 0; i < top; i++) {
        if (!listed[t * top + i]) continue;
        counts.documentFrequency[t * top + i]++;
        for (let j = i + 1; j < top; j++) counts.pairFrequency[(t * top + i) * top + j] += listed[t * top + j];
      }
    }
    for (let i = 0; i < width && reservoir[row + i] >= 0; i++) present[reservoir[row + i]] = 0;
    counts.documents[0]++;
  }
}

/** Adds a batch of documents (natively, off the event loop when large). */
export function addCoherenceBatch(counts: CoherenceCounts, batch: Batch): Promise<void> {
  if (counts.top === 0) return Promise.resolve();
  return loadCoreAddon().ntmCooccurrence(counts.vocabulary, counts.words, counts.top, batch, counts.documentFrequency, counts.pairFrequency, counts.documents);
}

/**
 * NPMI of each topic: the mean over its top words' pairs of log(P(i,j) / (P(i)·P(j))) / −log P(i,j),
 * with P the fraction of documents containing the words; −1 for a pair never seen together, 1 for
 * a pair in every document. NaN for every topic when no documents were counted.
 */
export function npmiPerTopic(counts: CoherenceCounts): number[] {
  const { top } = counts;
  const n = counts.documents[0];
  const topics = top === 0 ? 0 : counts.words.length / top;
  return Array.from({ length: topics }, (_, t) => {
    if (!(n > 0)) return NaN;
    let sum = 0, pairs = 0;
    for (let i = 0; i < top; i++) {
      for (let j = i + 1; j < top; j++) {
        const pij = counts.pairFrequency[(t * top + i) * top + j] / n;
        const pi = counts.documentFrequency[t * top + i] / n, pj = counts.documentFrequency[t * top + j] / n;
        sum += pij === 0 ? -1 : pij === 1 ? 1 : Math.log(pij / (pi * pj)) / -Math.log(pij);
        pairs++;
      }
    }
    return pairs > 0 ? sum / pairs : NaN;
  });
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** TU: the mean over topics of the mean over its top words of 1 / (topics whose top words hold the word); 1/K to 1. */
export function topicUniqueness(topics: Topic[]): number {
  const holders = new Map<number, number>();
  for (const t of topics) for (const id of t.ids) holders.set(id, (holders.get(id) ?? 0) + 1);
  return mean(topics.map((t) => mean(t.ids.map((id) => 1 / holders.get(id)!))));
}
