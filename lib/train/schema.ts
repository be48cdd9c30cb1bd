// What the data looks like when a state is made from its first batch (the algorithm contract's
// DataSchema): the width, the label size, sparse rows, whether the features are hashed words
// of raw text (the `text` format's batches carry each entry's word), which a topic model names, a
// CSV label column other than the first and the CSV columns read past (evaluate and predict read
// the model's by default).
import type { DataSchema } from '../algorithms/types.js';
import type { Batch } from '../data/batch.js';
import type { ReadOptions } from '../io/read-options.js';
import { seriesSchema } from '../algorithms/deepar/index.js';

/** The read options that place a CSV record's columns. */
export type ColumnLayout = Pick<ReadOptions, 'labelSize' | 'labelColumn' | 'ignoreColumns'>;

/** `featureNames`: a CSV header's feature columns (the stream's stats.featureNames), which evaluate and predict then check. */
export function schemaOf(featureDim: number, labelSize: number, sparse: boolean, first: Batch, layout: ColumnLayout = {},
  featureNames?: readonly string[]): DataSchema {
  if (first.kind === 'series') return seriesSchema(first);
  const hashedWords = first.kind === 'sparse' && first.words !== undefined;
  const { labelColumn } = layout;
  const ignored = unlabelledPositions(layout);
  // A supervised model's label column when not the first; an unsupervised model trained on rows
  // with a label keeps its column whatever it is (evaluate then reads rows with a label).
  const column = labelSize > 0 ? (labelColumn !== undefined && labelColumn > 0 ? labelColumn : undefined)
    : layout.labelSize === 1 ? labelColumn ?? 0 : undefined;
  return {
    featureDim, labelSize, sparse, ...(hashedWords ? { hashedWords: true } : {}),
    ...(column !== undefined ? { labelColumn: column } : {}),
    // [] is kept when given: the columns named as row names (X, id) were data, in evaluate and predict too.
    ...(layout.ignoreColumns !== undefined ? { ignoreColumns: ignored } : {}),
    ...(featureNames && featureNames.length === featureDim ? { featureNames: [...featureNames] } : {}),
  };
}

/**
 * The columns read past as positions among a record's columns other than the label's (a model
 * stores them so: evaluate reads files with the label, predict usually without), in order.
 */
export function unlabelledPositions(layout: ColumnLayout): number[] {
  const label = layout.labelSize === 0 ? undefined : layout.labelColumn ?? 0;
  return [...(layout.ignoreColumns ?? [])].sort((a, b) => a - b).map((c) => (label !== undefined && c > label ? c - 1 : c));
}

/** unlabelledPositions' inverse: the positions in records whose label sits at `labelColumn` (undefined: no label). */
export function recordPositions(unlabelled: readonly number[], labelColumn: number | undefined): number[] {
  return unlabelled.map((c) => (labelColumn !== undefined && c >= labelColumn ? c + 1 : c));
}

/**
 * The label's column in records whose ignored columns are `ignored` (0-based), for a model whose
 * label sat at `label` among its own ignored ones (`model`, positions among the non-label
 * columns): the column with as many read columns before it.
 */
export function movedLabelColumn(label: number, model: readonly number[], ignored: readonly number[]): number {
  const read = label - recordPositions(model, label).filter((c) => c < label).length;
  for (let column = 0, seen = 0; ; column++) {
    if (ignored.includes(column)) continue;
    if (seen === read) return column;
    seen++;
  }
}
