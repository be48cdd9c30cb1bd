// Row names in a CSV file: R's write.csv (row.names = TRUE) and pandas'
// to_csv (index = True), both their defaults, write each row's name or number
// as a first column whose header cell is empty. Read as data, that column
// becomes a feature or the label — k-means then clusters on the row number and
// PCA's first component is the row order — with nothing to say anything went
// wrong. So a header with an unnamed first column over values that count the
// rows (1, 2, 3, … or 0, 1, 2, …) or name them (text) is an error that says
// how to read past it (ignoreColumns, --ignore-columns 1).

/** Records looked at past the header: enough that a real column counting 1, 2, 3 is not taken for row numbers by chance. */
const recordsLooked = 20;

/** A CSV field as the native parser reads it: blanks trimmed, one pair of enclosing double quotes taken off. */
function unquoted(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

/** Whether the first fields count the rows from 0 or 1 (at least two of them). */
function countsRows(values: string[]): boolean {
  if (values.length < 2 || !values.every((v) => /^[0-9]+$/.test(v))) return false;
  const first = Number(values[0]);
  return (first === 0 || first === 1) && values.every((v, i) => Number(v) === first + i);
}

/** Whether every first field is text (not a number): names, as R's row names of mtcars are. */
function namesRows(values: string[]): boolean {
  return values.length >= 1 && values.every((v) => v !== '' && !Number.isFinite(Number(v)));
}

/**
 * The error to raise when `header` (the file's header line, `headerLine` its line number) and
 * `records` (lines after it) hold a row-names column; undefined when they do not, or when the
 * first column is read past already (`ignoresFirst`).
 */
export function rowNamesError(name: string, header: string, headerLine: number, records: string[], delimiter: string,
  ignoresFirst: boolean): string | undefined {
  if (ignoresFirst || unquoted(header.split(delimiter)[0]) !== '') return undefined;
  const values = records.slice(0, recordsLooked).map((line) => unquoted(line.split(delimiter)[0]));
  const counted = countsRows(values);
  if (!counted && !namesRows(values)) return undefined;
  const what = counted ? `count the rows (${values.slice(0, 3).join(', ')}, …)` : `name the rows (${JSON.stringify(values[0])}, …)`;
  return `${name}, line ${headerLine}: the header names no first column, and its values ${what}: row names, which R's write.csv ` +
    "and pandas' to_csv write by default, not data. Read past them with --ignore-columns 1 (ignoreColumns: [0] in the API), " +
    'or write the file without them (write.csv(…, row.names = FALSE); to_csv(…, index = False))';
}
