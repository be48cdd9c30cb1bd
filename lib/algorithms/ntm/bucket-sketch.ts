// Names for the hash buckets of the `text` format. Words are hashed into
// feature_dim buckets, so a topic's top buckets need words to be read: each
// bucket keeps a Space-Saving summary (native/io/bucket_sketch.h) of the
// words that named it in the documents seen, in fixed memory (feature_dim ×
// slots words of at most 32 bytes), as tensors that live in a state and so
// checkpoint, resume and merge with it. No vocabulary pass is needed.
import { loadCoreAddon, type NativeBucketSketch } from '../../backends/native-addon.js';
import type { Batch } from '../../data/batch.js';
import { dtypeOf, tensor, type Tensor } from '../../state/tensor.js';

/** Bytes a kept word may have (the text format's longest word); shorter ones are zero-padded. */
export const bucketWordBytes = 32;
/** Words kept per bucket by default. */
export const defaultBucketSlots = 4;

/** The tensors' names in a state. */
export const bucketSketchTensorNames = ['bucket_words', 'bucket_counts', 'bucket_errors'] as const;

interface SketchView {
  featureDim: number;
  slots: number;
  arrays: NativeBucketSketch;
}

/**
 * A new, empty sketch: `bucket_words` U8 [featureDim, slots, 32] (UTF-8, zero-padded),
 * `bucket_counts` F64 [featureDim, slots] (each word's count, an over-estimate; 0: an empty
 * slot) and `bucket_errors` F64 [featureDim, slots] (how much of the count may be other words':
 * the true count lies in [count − error, count]). Memory: featureDim × slots × 48 bytes.
 * RangeError for a featureDim or slots that is not a positive integer.
 */
export function createBucketSketch(featureDim: number, slots: number = defaultBucketSlots): Record<string, Tensor> {
  for (const [name, value] of [['featureDim', featureDim], ['slots', slots]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`createBucketSketch: ${name} must be a positive integer, got ${value}`);
  }
  return {
    bucket_words: tensor(new Uint8Array(featureDim * slots * bucketWordBytes), [featureDim, slots, bucketWordBytes]),
    bucket_counts: tensor(new Float64Array(featureDim * slots), [featureDim, slots]),
    bucket_errors: tensor(new Float64Array(featureDim * slots), [featureDim, slots]),
  };
}

/** The sketch in `tensors` (other tensors are ignored), its shapes and dtypes checked. */
function sketchView(tensors: Record<string, Tensor>, where: string): SketchView {
  const [words, counts, errors] = bucketSketchTensorNames.map((name) => {
    const found = tensors[name];
    if (!found) throw new TypeError(`${where}: no ${name} tensor (createBucketSketch makes them)`);
    return found;
  });
  const [featureDim, slots] = counts.shape;
  const expect = (t: Tensor, name: string, dtype: string, shape: number[]) => {
    if (dtypeOf(t) !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new TypeError(`${where}: ${name} is ${dtypeOf(t)} [${t.shape.join(', ')}], expected ${dtype} [${shape.join(', ')}]`);
    }
  };
  expect(counts, 'bucket_counts', 'F64', [featureDim, slots]);
  expect(errors, 'bucket_errors', 'F64', [featureDim, slots]);
  expect(words, 'bucket_words', 'U8', [featureDim, slots, bucketWordBytes]);
  return {
    featureDim, slots,
    arrays: { words: words.data as Uint8Array, counts: counts.data as Float64Array, errors: errors.data as Float64Array },
  };
}

/**
 * Adds a text batch's words: each entry's count (its `values`) to the word that names it
 * (`batch.words`) in its bucket (`indices`). (A bucket two words share in one document is
 * credited to that document's more frequent one; row weights are not applied.) Off the event loop for a large batch, inline for a
 * small one. A dense batch, or a sparse one without words (formats other than text), changes
 * nothing. Rejects (before changing anything) for a bucket ≥ featureDim, a negative or
 * non-finite count, or a word over 32 bytes.
 */
export async function updateBucketSketch(tensors: Record<string, Tensor>, batch: Batch): Promise<void> {
  const { featureDim, slots, arrays } = sketchView(tensors, 'updateBucketSketch');
  if (batch.kind !== 'sparse' || !batch.words || batch.rows === 0) return;
  await loadCoreAddon().bucketSketchUpdate(arrays, featureDim, slots, batch);
}

/**
 * Merges sketches of disjoint streams into `target` (in place): equal words' counts and errors
 * are added, a sketch lacking a word adds its least count when its bucket is full (the most
 * that word can have had there), and the `slots` largest counts are kept. The guarantees of
 * one pass hold over the union; the result does not depend on the sources' order. TypeError
 * when a source's shape differs from target's.
 */
export function mergeBucketSketches(target: Record<string, Tensor>, sources: Record<string, Tensor>[]): void {
  const into = sketchView(target, 'mergeBucketSketches');
  const from = sources.map((source, i) => {
    const view = sketchView(source, `mergeBucketSketches: source ${i}`);
    if (view.featureDim !== into.featureDim || view.slots !== into.slots) {
      throw new TypeError(`mergeBucketSketches: source ${i} is [${view.featureDim}, ${view.slots}], target [${into.featureDim}, ${into.slots}] (featureDim, slots)`);
    }
    return view.arrays;
  });
  if (from.length > 0) loadCoreAddon().bucketSketchMerge(into.arrays, from, into.featureDim, into.slots);
}

const utf8 = new TextDecoder('utf-8');

/**
 * Every bucket's name: its top `maxWords` words by count (ties: the smaller error, then the
 * bytes), joined with '|', e.g. "game|team|season"; '' for a bucket no word reached. featureDim
 * must be the sketch's (RangeError otherwise: names from another feature space would mislead).
 */
export function bucketNames(tensors: Record<string, Tensor>, featureDim: number, maxWords = 3): string[] {
  const { featureDim: dim, slots, arrays } = sketchView(tensors, 'bucketNames');
  if (featureDim !== dim) throw new RangeError(`bucketNames: featureDim is ${featureDim}, the sketch's is ${dim}`);
  if (!Number.isSafeInteger(maxWords) || maxWords < 1) throw new RangeError(`bucketNames: maxWords must be a positive integer, got ${maxWords}`);
  const names = new Array<string>(dim);
  const order: number[] = [];
  for (let bucket = 0; bucket < dim; bucket++) {
    order.length = 0;
    for (let s = bucket * slots; s < (bucket + 1) * slots; s++) if (arrays.counts[s] > 0) order.push(s);
    order.sort((a, b) => arrays.counts[b] - arrays.counts[a] || arrays.errors[a] - arrays.errors[b] ||
      Buffer.compare(wordBytes(arrays.words, a), wordBytes(arrays.words, b)));
    names[bucket] = order.slice(0, maxWords).map((s) => utf8.decode(wordBytes(arrays.words, s))).join('|');
  }
  return names;
}

/** Slot s's word without its zero padding. */
function wordBytes(words: Uint8Array, slot: number): Uint8Array {
  const cell = words.subarray(slot * bucketWordBytes, (slot + 1) * bucketWordBytes);
  const end = cell.indexOf(0);
  return end < 0 ? cell : cell.subarray(0, end);
}
