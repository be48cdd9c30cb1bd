// Row names in a CSV file: R's write.csv and write.table (row.names = TRUE)
// and pandas' to_csv (index = True), all their defaults, write each row's
// name or number as a first column, under an empty header cell (write.csv,
// to_csv; "Unnamed: 0" once pandas reads such a file and writes it again) or
// under no cell at all (write.table: the header is a cell short). Read as
// data, that column becomes a feature or the label — k-means then clusters on
// the row number and PCA's first component is the row order — with nothing
// to say anything went wrong. So such a header over values that number the
// rows (distinct whole numbers: 1, 2, 3; 0, 1, 2; what filtering, slicing or
// shuffling left of them) or name them (text) is an error that says how to
// read past the column (ignoreColumns, --ignore-columns 1).
import type { ReadOptions } from '../read-options.js';

/** Records looked at past the header. */
const recordsLooked = 20;

/** A CSV line's fields, a quoted field whole (a row name such as "Smith, John" holds the delimiter). */
export function csvFields(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    let end = line.indexOf(delimiter, at);
    const opening = line.slice(at).search(/\S/);
    if (opening >= 0 && line[at + opening] === '"') {
      // To the closing quote ("" inside is one quote), then to the delimiter after it.
      let close = at + opening + 1;
      for (;;) {
        close = line.indexOf('"', close);
        if (close < 0 || line[close + 1] !== '"') break;
        close += 2;
      }
      if (close >= 0) end = line.indexOf(delimiter, close + 1);
    }
    fields.push(end < 0 ? line.slice(at) : line.slice(at, end));
    if (end < 0) return fields;
    at = end + delimiter.length;
  }
}

/** A CSV field as the native parser reads it: blanks trimmed, one pair of enclosing double quotes taken off. */
function unquoted(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).replace(/""/g, '"') : trimmed;
}

/** How the first fields name the rows, or undefined when they may be data. */
function rowNaming(values: string[]): string | undefined {
  if (values.length >= 3 && values.every((v) => /^[0-9]+$/.test(v)) && new Set(values.map(Number)).size === values.length) {
    const first = Number(values[0]);
    const counted = (first === 0 || first === 1) && values.every((v, i) => Number(v) === first + i);
    return `${counted ? 'count' : 'number'} the rows (${values.slice(0, 3).join(', ')}, …)`;
  }
  if (values.length >= 1 && values.every((v) => v !== '' && !Number.isFinite(Number(v)))) return `name the rows (${JSON.stringify(values[0])}, …)`;
  return undefined;
}

/**
 * The error to raise when `header` (the file's header line, `headerLine` its line number) and
 * `records` (lines after it) hold a row-names column; undefined when they do not, or when the
 * first column is read past already.
 */
export function rowNamesError(name: string, header: string, headerLine: number, records: string[],
  options: Pick<ReadOptions, 'delimiter' | 'labelSize' | 'labelColumn' | 'ignoreColumns'>): string | undefined {
  if (options.ignoreColumns?.includes(0) || records.length === 0) return undefined;
  const delimiter = options.delimiter ?? ',';
  const names = csvFields(header, delimiter);
  const rows = records.slice(0, recordsLooked).map((line) => csvFields(line, delimiter));
  const first = unquoted(names[0]);
  const unnamed = first === '' || first === 'Unnamed: 0';
  // write.table: every record a field longer than the header.
  const short = rows.every((fields) => fields.length === names.length + 1);
  if (!unnamed && !short) return undefined;
  const naming = rowNaming(rows.map((fields) => unquoted(fields[0])));
  if (!naming) return undefined;
  const where = short ? `the header names ${names.length} column${names.length === 1 ? '' : 's'} and the records hold ${names.length + 1}, and their first column's values`
    : `the header names no first column${first === '' ? '' : ` ("${first}", as pandas names an index it read)`}, and its values`;
  const labelFirst = options.labelSize !== 0 && (options.labelColumn ?? 0) === 0;
  const label = labelFirst ? ", and name the label's column with --label-column N (the first is the label by default; labelColumn in the API)" : '';
  const writer = short ? 'write.table(…, row.names = FALSE)' : 'write.csv(…, row.names = FALSE); to_csv(…, index = False)';
  return `${name}, line ${headerLine}: ${where} ${naming}: row names, which R's ${short ? 'write.table writes' : "write.csv and pandas' to_csv write"} ` +
    `by default, not data. Read past them with --ignore-columns 1 (ignoreColumns: [0] in the API)${label}, or write the file without them ` +
    `(${writer}); a first column that is data needs a name in the header`;
}
