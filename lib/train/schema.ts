// What the data looks like when a state is made from its first batch (the algorithm contract's
// DataSchema): the width, the label size, sparse rows, whether the features are hashed words
// of raw text (the `text` format's batches carry each entry's word), which a topic model names, and
// a CSV label column other than the first (evaluate and predict read the model's by default).
import type { DataSchema } from '../algorithms/types.js';
import type { Batch } from '../data/batch.js';
import { seriesSchema } from '../algorithms/deepar/index.js';

export function schemaOf(featureDim: number, labelSize: number, sparse: boolean, first: Batch, labelColumn?: number): DataSchema {
  if (first.kind === 'series') return seriesSchema(first);
  const hashedWords = first.kind === 'sparse' && first.words !== undefined;
  return {
    featureDim, labelSize, sparse, ...(hashedWords ? { hashedWords: true } : {}),
    ...(labelSize > 0 && labelColumn !== undefined && labelColumn > 0 ? { labelColumn } : {}),
  };
}
