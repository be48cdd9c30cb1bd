// Options objects checked for names they do not know. A misspelt or misplaced option
// (`{ formt: 'csv' }`, or train's `{ format: 'libsvm' }` outside `data`) was ignored, and the run
// went on with the default: a CSV parse of libsvm text, failing on a line far from the mistake.

/**
 * Throws a TypeError naming the first key of `given` (own, enumerable, not undefined) that
 * `known` lacks, with the known names; `hint(key)` may add where such an option belongs.
 */
export function rejectUnknownOptions(where: string, given: object | undefined, known: Readonly<Record<string, unknown>>,
  hint?: (key: string) => string | undefined): void {
  if (given === undefined || given === null) return;
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || Object.hasOwn(known, key)) continue;
    const where_ = hint?.(key);
    throw new TypeError(`${where}: unknown option '${key}'${where_ ? ` (${where_})` : ''}; known: ${Object.keys(known).join(', ')}`);
  }
}
