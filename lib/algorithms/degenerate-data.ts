// Data that cannot give the model asked for — a classifier trained on one
// class — is an error that says what was seen, never a model that quietly
// predicts the same thing for every row (scikit-learn's classifiers refuse
// such data too). Judged on the whole training stream at finalize: the
// first batches of a sorted stream may well hold one class.

export class DegenerateDataError extends Error {
  override name = 'DegenerateDataError';
}

/**
 * Throws unless at least two classes were seen. `counts[c]` is the rows (or weight) of class c;
 * `label(c)` names class c as the data writes it.
 */
export function requireTwoClasses(algorithm: string, predictor: string, counts: ArrayLike<number>,
  label: (c: number) => string = String): void {
  const seen: number[] = [];
  for (let c = 0; c < counts.length; c++) if (counts[c] > 0) seen.push(c);
  if (seen.length >= 2) return;
  const what = seen.length === 0 ? 'no rows'
    : `only rows of class ${label(seen[0])} (${counts[seen[0]].toLocaleString('en-US')} of them)`;
  throw new DegenerateDataError(`${algorithm}: the training data held ${what}; a ${predictor} needs at least two ` +
    'classes to tell apart. Check the label column (--label-size, --label-column; labelColumn in the API) and that the stream was not cut short');
}

/**
 * Throws unless the rows an evaluator took weigh something in total: its metrics are weighted
 * means over them, and a mean over no weight is not a number (an accuracy of 0 or a null loss
 * would be read as a result). `weight` is the rows' total weight.
 */
export function requireEvaluatedWeight(algorithm: string, weight: number): void {
  if (weight > 0) return;
  throw new DegenerateDataError(`${algorithm} evaluate: the rows evaluated weigh 0 in total (no rows, or every row's weight is 0), ` +
    'and the metrics are means weighted by them: give rows of positive weight');
}

/**
 * Throws when training rows were read but weigh 0 in total: every row's weight 0 trains nothing,
 * and the model would be its initial state (the linear learner's zero weights, k-means' first rows
 * as centres), not a model of the data. `rows` is how many were read, `weight` their total weight.
 */
export function requireTrainingWeight(algorithm: string, rows: number, weight: number): void {
  if (!(rows > 0) || weight > 0) return;
  throw new DegenerateDataError(`${algorithm}: the training data's ${rows.toLocaleString('en-US')} rows weigh 0 in total ` +
    "(every row's weight is 0), so there was nothing to learn from: give rows of positive weight");
}

/**
 * Throws when the validation rows weigh 0 in total: every metric of them is 0/0, and choosing the
 * model or stopping early on NaN would pass for a decision. `weight` is their total weight.
 */
export function requireValidationWeight(algorithm: string, weight: number): void {
  if (weight > 0) return;
  throw new DegenerateDataError(`${algorithm}: the validation rows weigh 0 in total (every row's weight is 0): choosing the model ` +
    'and stopping early need validation rows of positive weight. Check the validation channel\'s weights, or leave validation out');
}
