// What a CSV header says about the columns under it, checked before any row
// is read as data (every file of a read, with `header`):
//   - Row names. R's write.csv and write.table (row.names = TRUE) and pandas'
//     to_csv (index = True), all their defaults, write each row's name or
//     number as a first column (pandas: one per index level) under an empty
//     header cell ("Unnamed: 0" once pandas reads such a file and writes it
//     again), or under no cell at all (write.table: the header is a cell
//     short). Read as data, such a column becomes a feature or the label —
//     k-means then clusters on the row number, PCA's first component is the
//     row order — with nothing to say anything went wrong. A feature column
//     without a name is refused; the label's column (often left unnamed) only
//     when its values name the rows (distinct whole numbers, or text).
//     Readers name such a column when they read it: pandas "Unnamed: 0" and
//     readr "...1" (refused as unnamed ones are), R's read.csv "X" (and the
//     identifier names index, level_0, id, row.names): refused when their
//     values count, rise, are quoted as R quotes row names, or are text;
//     --ignore-columns none (ignoreColumns: []) says every column is data.
//   - Without a header: R's write.table(col.names = FALSE) still quotes each
//     row name, and R never quotes a number of data: a column of distinct
//     numbers in quotes is refused (--ignore-columns none: it is data).
//   - A header of another width than the records, or one that splits into
//     one column at the delimiter and several at another (write.csv2's ';').
// Each refusal says how to go on (ignoreColumns, --ignore-columns N; --delimiter).
import type { ReadOptions } from '../read-options.js';

/** Records looked at past the header. */
const recordsLooked = 20;

/** Delimiters a header split into one column may have been written with instead. */
const otherDelimiters = [',', ';', '\t', '|'];

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

/** Whether a (trimmed) field that opens with a double quote has its closing one ("" inside is a quote). */
function closesQuote(field: string): boolean {
  for (let at = 1; at < field.length; at++) {
    if (field[at] !== '"') continue;
    if (field[at + 1] === '"') at++;
    else return true;
  }
  return false;
}

/**
 * The first of a line's fields (csvFields) that opens a quote the line does not close: its column
 * (1-based) and text. Such a field goes on past a line break, which the reader does not support:
 * each record is one line.
 */
export function unclosedQuote(fields: string[]): { column: number; text: string } | undefined {
  const index = fields.findIndex((f) => { const t = f.trim(); return t.startsWith('"') && !closesQuote(t); });
  return index < 0 ? undefined : { column: index + 1, text: fields[index].trim() };
}

/** A CSV field as its text: blanks trimmed, one pair of enclosing double quotes taken off, and blanks inside them. */
export function unquoted(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1).replace(/""/g, '"').trim() : trimmed;
}

/** Whether a field is a number in quotes: R quotes its row names (write.csv, write.table), never numbers of data. */
function quotedNumber(field: string): boolean {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') && /^-?[0-9]+(\.[0-9]+)?$/.test(unquoted(trimmed));
}

/**
 * How a column's fields name the rows, or undefined when they may be data. `strict` (the label's
 * column, often left unnamed): only rows counted from 0 or 1 or rising, R's quoted numbers
 * (bootstrapped rows' "186.1" too), or text — distinct whole numbers in no order may be labels
 * (prices, years). Otherwise any distinct whole numbers (2.0 and -3 included: shuffled rows).
 */
function rowNaming(fields: string[], strict: boolean): string | undefined {
  const values = fields.map(unquoted);
  const shown = values.slice(0, 3).join(', ');
  if (values.length >= 3 && values.every((v) => /^-?[0-9]+(\.0*)?$/.test(v)) && new Set(values.map(Number)).size === values.length) {
    const first = Number(values[0]);
    const counted = (first === 0 || first === 1) && values.every((v, i) => Number(v) === first + i);
    const rising = values.every((v, i) => i === 0 || Number(v) > Number(values[i - 1]));
    if (counted) return `count the rows (${shown}, …)`;
    if (!strict || rising) return `number the rows (${shown}, …)`;
  }
  if (values.length >= 2 && fields.every(quotedNumber) && new Set(values).size === values.length) return `number the rows in quotes, as R writes row names (${shown}, …)`;
  if (values.length >= 1 && values.every((v) => v !== '' && !Number.isFinite(Number(v)))) return `name the rows (${JSON.stringify(values[0])}, …)`;
  return undefined;
}

type HeaderOptions = Pick<ReadOptions, 'delimiter' | 'labelSize' | 'labelColumn' | 'ignoreColumns'>;

/** A header that splits into one column at the delimiter and into as many as the first record at another. */
function delimiterError(where: string, names: string[], header: string, first: string, delimiter: string): string | undefined {
  if (names.length !== 1) return undefined;
  for (const other of otherDelimiters) {
    const count = other === delimiter ? 0 : csvFields(header, other).length;
    // A one-column file whose name holds the other delimiter ("price;usd") is not one. R's
    // write.table writes no header cell over its row names: the records have one field more.
    const fields = csvFields(first, other).length;
    if (count < 2 || (fields !== count && fields !== count + 1)) continue;
    const shown = other === '\t' ? 'tab' : other;
    const csv2 = other === ';' ? " (R's write.csv2 writes ';' between fields and commas in decimals, which are not read as numbers: write.csv writes points)" : '';
    return `${where}: the header is one column split at ${JSON.stringify(delimiter)} and ${count} at ${JSON.stringify(other)}: ` +
      `pass --delimiter '${shown}' (delimiter in the API)${csv2}`;
  }
  return undefined;
}

/** pandas' "Unnamed: N" and readr's "...N": names a reader gives a column it read without one. */
const readerIndexName = /^(Unnamed: [0-9]+|\.\.\.[0-9]+)$/;

/**
 * Names a column of row names or row numbers goes by once read and written again: R's read.csv
 * names an unnamed column "X" ("X.1", … when there are more), pandas' reset_index "index" or
 * "level_0"; and the usual names of row identifiers.
 */
const rowNameNames = /^(X(\.[0-9]+)?|[Ii]ndex|level_0|[Ii][Dd]|row\.?names|row_?id|rownames)$/;

/** How a header cell names a column that may hold row names: the reader that named it, or undefined. */
function readerOf(name: string): string | undefined {
  if (/^Unnamed: [0-9]+$/.test(name)) return 'as pandas names an index it read';
  if (/^\.\.\.[0-9]+$/.test(name)) return "as readr's read_csv names a column it read without a name";
  if (/^X(\.[0-9]+)?$/.test(name)) return "as R's read.csv names a column of row names it read";
  return undefined;
}

/** A column that holds row names or an index (0-based); `named`: under a name of its own (X, id), which may be data. */
interface RowNameColumn { column: number; how: string; named?: boolean }

/** The 0-based columns holding row names or an index, each with how its values say so. */
function rowNameColumns(names: string[], rows: string[][], short: boolean, options: HeaderOptions): RowNameColumn[] {
  const ignored = new Set(options.ignoreColumns ?? []);
  const label = options.labelSize === 0 ? undefined : options.labelColumn ?? 0;
  const found: RowNameColumn[] = [];
  const width = short ? names.length + 1 : names.length;
  for (let column = 0; column < width; column++) {
    if (ignored.has(column)) continue;
    // write.table's row names have no header cell: the others are one to the right of theirs.
    const name = short ? (column === 0 ? '' : unquoted(names[column - 1])) : unquoted(names[column]);
    const pandasIndex = readerIndexName.test(name);
    const fields = rows.map((row) => row[column] ?? '');
    // A column of nothing but empty fields (a trailing delimiter) is the parser's to report.
    if (fields.every((f) => unquoted(f) === '')) continue;
    // The label's column named by the caller is taken as it is.
    const namedLabel = column === label && options.labelColumn !== undefined;
    if (name !== '' && !pandasIndex) {
      // A named column is data unless its values name the rows, and --ignore-columns none says it is data.
      const naming = rowNameNames.test(name) && !namedLabel && options.ignoreColumns?.length !== 0 ? rowNaming(fields, true) : undefined;
      if (naming) found.push({ column, how: `its values ${naming}`, named: true });
      continue;
    }
    const naming = namedLabel && !pandasIndex ? undefined : rowNaming(fields, column === label && !pandasIndex);
    // pandas writes a MultiIndex as leading columns under empty cells: the label's among them too.
    const indexLevel = column === 0 && !short && name === '' && names.length > 1 && unquoted(names[1]) === '';
    if (naming) found.push({ column, how: `its values ${naming}` });
    else if (indexLevel && column === label && !namedLabel) found.push({ column, how: 'the cell after it is unnamed too, as pandas writes the levels of a MultiIndex' });
    else if ((column !== label || pandasIndex) && !(short && column === 0)) {
      found.push({ column, how: pandasIndex ? 'it holds an index' : 'it is a feature\'s column (a feature needs a name; pandas leaves an index, or each level of a MultiIndex, unnamed)' });
    }
  }
  return found;
}

/**
 * The error to raise when `header` (the file's header line, `headerLine` its line number) and
 * `records` (lines after it) say the columns are not what the options read; undefined when they agree.
 */
export function headerError(name: string, header: string, headerLine: number, records: string[], options: HeaderOptions): string | undefined {
  const delimiter = options.delimiter ?? ',';
  const where = `${name}, line ${headerLine}`;
  // As the parser reads a line: blanks at either end are not fields (a trailing tab neither).
  const blanksOff = (line: string) => line.replace(/^[ \t\r]+|[ \t\r]+$/g, '');
  const names = csvFields(blanksOff(header), delimiter);
  const open = unclosedQuote(names);
  if (open) {
    return `${where}: header cell ${open.column} '${open.text.slice(0, 40)}${open.text.length > 40 ? '...' : ''}' opens a quote that the line does not close: ` +
      'a line break inside a quoted field is not supported (a header, like each record, is one line): write the names without line breaks';
  }
  if (records.length === 0) return undefined;
  const rows = records.slice(0, recordsLooked).map((line) => csvFields(blanksOff(line), delimiter));
  // A header ending in a delimiter over records that do not: an empty name for no column.
  if (names.length === rows[0].length + 1 && unquoted(names[names.length - 1]) === '' && rows.every((r) => r.length === names.length - 1)) names.pop();
  const wrongDelimiter = delimiterError(where, names, blanksOff(header), blanksOff(records[0]), delimiter);
  if (wrongDelimiter) return wrongDelimiter;
  const numeric = numericHeaderError(where, names);
  if (numeric) return numeric;
  const recordWidth = rows[0].length;
  const short = rows.every((fields) => fields.length === names.length + 1);
  const found = rowNameColumns(names, rows, short, options);
  if (found.length > 0) return rowNamesMessage(where, found, names, short, options);
  const factors = factorError(where, rows, options, (c) => unquoted(names[short ? c - 1 : c] ?? ''));
  if (factors) return factors;
  if (recordWidth !== names.length && !(short && options.ignoreColumns?.includes(0))) {
    const trailing = recordWidth === names.length + 1 && rows.every((r) => r.length === recordWidth && unquoted(r[recordWidth - 1]) === '')
      ? `: each record ends with the delimiter, an empty last column` : ': is the delimiter right?';
    return `${where}: the header names ${names.length} column${names.length === 1 ? '' : 's'} and the first record holds ${recordWidth} ` +
      `(split at ${JSON.stringify(delimiter)})${trailing} (a header must name every column; --delimiter, delimiter in the API)`;
  }
  return undefined;
}

/**
 * A "header" of numbers without quotes that do not step evenly (pandas' default names 0, 1, 2, …,
 * years or wavelengths do): a row of data, which --header would take as names and not read
 * (predict then wrote one line fewer than its input, each against the wrong row; a user test).
 */
function numericHeaderError(where: string, names: string[]): string | undefined {
  if (!names.every((n) => /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(n))) return undefined;
  const values = names.map(Number);
  if (names.length < 3) {
    // One or two numbers always step evenly: whole numbers written as such (years, pandas' 0 and 1)
    // may name columns; a fraction, a sign, a point or an exponent (1.0, 1e3, numpy's
    // 1.000000000000000000e+00) is a row of data (a 2-column file's first row was taken as names
    // and not read, without a word).
    if (names.every((n) => /^\s*\d+\s*$/.test(n))) return undefined;
  } else {
    const step = values[1] - values[0];
    const even = values.every((v, i) => Math.abs(v - (values[0] + i * step)) <= 1e-9 * Math.max(1, Math.abs(v)));
    if (even && step !== 0) return undefined;
    // pandas' default names of a frame whose columns were reordered or dropped (df[[0, 2, 1]]): distinct small whole numbers.
    const small = values.every((v) => Number.isInteger(v) && v >= 0 && v < 2 * values.length + 2) && new Set(values).size === values.length;
    if (small) return undefined;
  }
  const shown = names.slice(0, 6).map((n) => n.trim()).join(',') + (names.length > 6 ? ',…' : '');
  return `${where}: the header line is numbers (${shown}), as a row of data is: with --header it would be taken as column names and ` +
    'not read. If the file has no header, leave out --header (header: false in the API); a header of numbers must name the columns ' +
    'in even steps (0,1,2,…), by distinct small whole numbers (pandas\' 0,2,1), or in quotes';
}

/** What a found column's header cell says: none, empty, a reader's name for an unnamed column, or a name. */
function cellOf(f: RowNameColumn, names: string[], short: boolean): string {
  if (short && f.column === 0) return 'no header cell (the header is one short of the records)';
  const name = unquoted(names[short ? f.column - 1 : f.column]);
  if (name === '') return 'an unnamed header cell';
  const reader = readerOf(name);
  if (f.named) return `the header cell ${JSON.stringify(name)}${reader ? ` (${reader})` : ''}`;
  return `an unnamed header cell (${JSON.stringify(name)}, ${reader})`;
}

function rowNamesMessage(where: string, found: RowNameColumn[], names: string[], short: boolean, options: HeaderOptions): string {
  const numbers = found.map((f) => f.column + 1);
  const described = found.map((f) => `column ${f.column + 1} has ${cellOf(f, names, short)} and ${f.how}`).join('; ');
  const all = [...new Set([...(options.ignoreColumns ?? []).map((c) => c + 1), ...numbers])].sort((a, b) => a - b);
  const label = options.labelSize === 0 ? undefined : options.labelColumn ?? 0;
  const labelNote = label !== undefined && numbers.includes(label + 1) && options.labelColumn === undefined
    ? ", and name the label's column with --label-column N (the first is the label by default; labelColumn in the API; --label-column 1 if column 1 is labels)" : '';
  const writer = short ? 'write.table(…, row.names = FALSE)' : 'write.csv(…, row.names = FALSE); to_csv(…, index = False)';
  return `${where}: ${described}: row names or an index, which R's write.csv and write.table and pandas' to_csv write by default, not data. ` +
    `Read past ${numbers.length === 1 ? 'it' : 'them'} with --ignore-columns ${all.join(',')} (ignoreColumns: [${all.map((c) => c - 1).join(', ')}] in the API)${labelNote}, ` +
    `or write the file without ${numbers.length === 1 ? 'it' : 'them'} (${writer}); ` +
    (found.every((f) => f.named) ? 'if it is data, say so with --ignore-columns none (ignoreColumns: [])' : 'a column that is data needs a name in the header');
}

/**
 * The error to raise when headerless `records` (the first `line` the first one's number) hold a
 * first column of distinct numbers in quotes beside numbers without, as R's
 * write.table(col.names = FALSE) writes row names;
 * undefined otherwise, and when ignoreColumns says which columns are read (none: all data).
 */
export function headerlessError(name: string, line: number, records: string[], options: HeaderOptions): string | undefined {
  if (records.length < 3 || options.ignoreColumns?.length === 0) return undefined;
  const delimiter = options.delimiter ?? ',';
  const rows = records.map((text) => csvFields(text.replace(/^[ \t\r]+|[ \t\r]+$/g, ''), delimiter));
  const rowNames = headerlessRowNames(name, line, rows, options);
  if (rowNames) return rowNames;
  // Column 1 of quoted numbers is R's row names (said above): a factor is quoted in a later column.
  return factorError(`${name}, line ${line}`, rows, { ...options, ignoreColumns: [...(options.ignoreColumns ?? []), 0] });
}

function headerlessRowNames(name: string, line: number, rows: string[][], options: HeaderOptions): string | undefined {
  const label = options.labelSize === 0 ? undefined : options.labelColumn ?? 0;
  // R writes row names first, and quotes no number of data: a file whose every number is quoted
  // (Python's csv.QUOTE_ALL) says nothing about its first column.
  if (options.ignoreColumns?.includes(0) || (label === 0 && options.labelColumn !== undefined)) return undefined;
  const fields = rows.map((row) => row[0] ?? '');
  if (!fields.every(quotedNumber) || new Set(fields.map(unquoted)).size !== fields.length) return undefined;
  // R's row names are counts, made unique by a suffix (a bootstrap's "186.1"): never negative, and
  // a fraction of a few digits at most. Quoted "-0.829556", "4.676333" are measurements some writer quoted.
  if (!fields.every((field) => /^\d+(\.\d{1,2})?$/.test(unquoted(field)))) return undefined;
  if (!rows.some((row) => row.slice(1).some((field) => field.trim() !== '' && !field.trim().startsWith('"')))) return undefined;
  const all = [...new Set([...(options.ignoreColumns ?? []).map((c) => c + 1), 1])].sort((a, b) => a - b);
  return `${name}, line ${line}: column 1 holds numbers in quotes (${fields.slice(0, 3).map((f) => f.trim()).join(', ')}, …) and the ` +
    "columns after it hold numbers without, as R's write.table(…, col.names = FALSE) writes row names, not data. " +
    `Read past it with --ignore-columns ${all.join(',')} (ignoreColumns: [${all.map((c) => c - 1).join(', ')}] in the API)` +
    `${label === 0 ? ", and name the label's column with --label-column N (the first is the label by default; labelColumn in the API)" : ''}, ` +
    'or write the file without them (row.names = FALSE); if it is data, say so with --ignore-columns none (ignoreColumns: [])';
}

/**
 * Columns whose every field among the first records is a number in quotes, beside columns of
 * numbers without: R's write.csv quotes factors (categories: ChickWeight's Chick and Diet, "1" …
 * "4") and never a measurement, and Python's QUOTE_NONNUMERIC quotes strings. Read as numbers, the
 * categories got an order and spacing they do not have, without a word. The label's column (class
 * labels are categories), columns read past, and files that quote every field are left alone;
 * --ignore-columns none says every column is data. `nameOf(c)`: the header's name of record column c.
 */
/**
 * Quoted numbers as a factor's levels are: whole numbers (ids, group codes) or a few values
 * repeated (doses 0.5, 1, 2). Quoted fractions that mostly differ (8.88342, -0.237747, …) are
 * measurements some writer quoted, and were refused as a factor.
 */
function factorLike(cells: string[]): boolean {
  const values = cells.map((cell) => Number(unquoted(cell)));
  return values.every(Number.isInteger) || new Set(values).size <= cells.length / 2;
}

function factorError(where: string, rows: string[][], options: HeaderOptions, nameOf?: (column: number) => string): string | undefined {
  if (options.ignoreColumns?.length === 0 || rows.length === 0) return undefined;
  const label = options.labelSize === 0 ? undefined : options.labelColumn ?? 0;
  const read = (c: number) => c !== label && !options.ignoreColumns?.includes(c);
  const width = Math.min(...rows.map((r) => r.length));
  const quoted: number[] = [];
  let plain = false;
  for (let c = 0; c < width; c++) {
    if (!read(c)) continue;
    if (rows.every((r) => quotedNumber(r[c])) && factorLike(rows.map((r) => r[c]))) quoted.push(c);
    else if (rows.every((r) => /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(r[c]))) plain = true;
  }
  if (quoted.length === 0 || !plain) return undefined;
  const shown = quoted.map((c) => `column ${c + 1}${nameOf && nameOf(c) !== '' ? ` (${JSON.stringify(nameOf(c))})` : ''}`).join(', ');
  const values = [...new Set(rows.map((r) => r[quoted[0]].trim()))].slice(0, 3).join(', ');
  const all = [...new Set([...(options.ignoreColumns ?? []).map((c) => c + 1), ...quoted.map((c) => c + 1)])].sort((a, b) => a - b);
  return `${where}: ${shown} ${quoted.length === 1 ? 'holds' : 'hold'} numbers in quotes (${values}, …) beside columns of numbers without, ` +
    "as R's write.csv writes a factor (categories, such as ids or groups), not a measurement: read as numbers, categories get an order and " +
    `a spacing they do not have. Read past ${quoted.length === 1 ? 'it' : 'them'} with --ignore-columns ${all.join(',')} (ignoreColumns: ` +
    `[${all.map((c) => c - 1).join(', ')}] in the API), or one-hot encode ${quoted.length === 1 ? 'it' : 'them'}; if the numbers are ` +
    'measurements, write them without quotes, or say every column is data with --ignore-columns none (ignoreColumns: [])';
}
