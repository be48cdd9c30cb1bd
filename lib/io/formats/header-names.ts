// The feature columns a CSV header names, and their check against the names rows must have.
// Rows are read by position, so a file whose columns come in another order than the model's
// (or the first training file's) was read with every feature in the wrong place and scored
// with exit 0: mtcars with cyl and disp swapped gave an mse of 8,962 against 5.37 (a user test).
// A model trained on files with a header keeps their feature names (schema.featureNames), and
// evaluate and predict compare a file's header with them, as scikit-learn compares
// feature_names_in_.
import { csvFields, unquoted } from './row-names.js';

export interface NameLayout {
  delimiter?: string;
  /** 0 or 1 (default 1): whether a column is the label. */
  labelSize?: number;
  labelColumn?: number;
  ignoreColumns?: readonly number[];
}

/** The names of a header's feature columns: every column's, but the label's and those read past. */
export function featureNamesOf(header: string, layout: NameLayout): string[] {
  const fields = csvFields(header.replace(/^[ \t\r]+|[ \t\r]+$/g, ''), layout.delimiter ?? ',').map(unquoted);
  const label = layout.labelSize === 0 ? -1 : layout.labelColumn ?? 0;
  const ignored = new Set(layout.ignoreColumns ?? []);
  return fields.filter((_, column) => column !== label && !ignored.has(column));
}

/**
 * Why `names` (a file's header) are not `expected` (what the rows must have), or undefined when
 * they are the same, or not as many (the width checks say that, with their hints; `counted`: say
 * it here, where no width is given to check). `owner` says whose names those are: "the model",
 * or the stream's first file.
 */
export function featureNamesError(names: readonly string[], expected: readonly string[], owner: string, counted = false): string | undefined {
  if (names.length === expected.length && names.every((name, i) => name === expected[i])) return undefined;
  // Wide headers (20,000 names) made a message of hundreds of kilobytes: the first 20 are said, then the count.
  const list = (values: readonly string[]) => values.slice(0, 20).map((v) => `'${v}'`).join(', ') +
    (values.length > 20 ? `, … (${values.length} in all)` : '');
  const whose = owner === 'the model' ? "the model's" : `those of ${owner}`;
  if (names.length !== expected.length) {
    return counted ? `its header names ${names.length} feature column${names.length === 1 ? '' : 's'} (${list(names)}), and ${whose} are ${expected.length} (${list(expected)})` : undefined;
  }
  const at = names.findIndex((name, i) => name !== expected[i]);
  const same = [...names].sort().join('\0') === [...expected].sort().join('\0');
  return `its feature columns are not ${whose}${same ? ', in another order' : ''}: feature ${at + 1} is '${names[at]}' where ${owner} has ` +
    `'${expected[at]}' (${whose}, in order: ${list(expected)}). Rows are read by position: write the columns in that order` +
    (same ? '' : ', or train a model on these columns');
}
