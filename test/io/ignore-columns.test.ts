// CSV columns read past (ignoreColumns) and the row-names column that R's
// write.csv and pandas' to_csv write by default: refused with the way to read
// past it, never read as data.
import assert from 'node:assert/strict';
import { loadCoreAddon, readBatches, type ReadOptions } from '../../lib/index.js';
import { recordPositions, unlabelledPositions } from '../../lib/train/schema.js';

async function rowsOf(text: string, options: Partial<ReadOptions>, chunkSize = 1 << 20) {
  const bytes = Buffer.from(text);
  function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const stream = readBatches(chunks(), { miniBatchSize: 3, format: 'csv', ...options });
  const rows: { values: number[]; label?: number }[] = [];
  for await (const batch of stream) {
    if (batch.kind !== 'dense') throw new Error('dense batches expected');
    for (let r = 0; r < batch.rows; r++) {
      rows.push({ values: Array.from(batch.values.subarray(r * batch.cols, (r + 1) * batch.cols)), label: batch.labels?.[r] });
    }
  }
  return { rows, featureDim: stream.featureDim };
}

/** faithful's first rows as R's write.csv(faithful) writes them (R's datasets package). */
const rFaithful = '"","eruptions","waiting"\n"1",3.6,79\n"2",1.8,54\n"3",3.333,74\n"4",2.283,62\n';
/** The same as pandas' DataFrame.to_csv writes it (index = True, a RangeIndex from 0). */
const pandasFaithful = ',eruptions,waiting\n0,3.6,79\n1,1.8,54\n2,3.333,74\n3,2.283,62\n';
/** mtcars' first rows as write.csv(mtcars) writes them: the row names are the cars. */
const rMtcars = '"","mpg","cyl","am"\n"Mazda RX4",21,6,1\n"Mazda RX4 Wag",21,6,1\n"Datsun 710",22.8,4,1\n"Hornet 4 Drive",21.4,6,0\n';

describe('CSV columns read past (ignoreColumns)', () => {
  it('reads past the named columns whatever they hold, text included; the label keeps its place', async () => {
    const unlabelled = await rowsOf(rMtcars, { header: true, labelSize: 0, ignoreColumns: [0] });
    assert.equal(unlabelled.featureDim, 3);
    assert.deepEqual(unlabelled.rows.map((r) => r.values), [[21, 6, 1], [21, 6, 1], [22.8, 4, 1].map(Math.fround), [21.4, 6, 0].map(Math.fround)]);
    // The label in the last column (am), the row names read past: features mpg and cyl.
    const labelled = await rowsOf(rMtcars, { header: true, labelColumn: 3, ignoreColumns: [0] });
    assert.equal(labelled.featureDim, 2);
    assert.deepEqual(labelled.rows.map((r) => [r.label, ...r.values]), [[1, 21, 6], [1, 21, 6], [1, Math.fround(22.8), 4], [0, Math.fround(21.4), 6]]);
    // Columns on either side of the label, and the last column.
    const mixed = await rowsOf('a,9,b,1,2,c\nd,8,e,3,4,f\n', { labelColumn: 1, ignoreColumns: [0, 2, 5] });
    assert.deepEqual(mixed.rows, [{ values: [1, 2], label: 9 }, { values: [3, 4], label: 8 }]);
  });

  it('gives the same rows in chunks of any size and on every parse thread as in one piece', async () => {
    const lines = ['"",y,a,b'];
    for (let i = 1; i <= 30_000; i++) lines.push(`"row ${i}",${i % 2},${(i * 0.25).toFixed(2)},${i % 7}`);
    const text = lines.join('\n') + '\n';  // ~700 KB: the parallel parser cuts it into segments
    const whole = await rowsOf(text, { header: true, labelColumn: 1, ignoreColumns: [0] });
    assert.equal(whole.rows.length, 30_000);
    assert.deepEqual(whole.rows[29_999], { values: [7500, 30_000 % 7], label: 0 });
    for (const size of [61, 4096]) assert.deepEqual((await rowsOf(text, { header: true, labelColumn: 1, ignoreColumns: [0] }, size)).rows, whole.rows, `chunks of ${size}`);
  });

  it('counts read-past columns in a record\'s width: a short or long record is an error naming its line', async () => {
    await assert.rejects(rowsOf('x,1,2\ny,3\n', { labelSize: 0, ignoreColumns: [0] }), /^DataError: iterable, line 2: expected 3 columns, found 2$/);
    await assert.rejects(rowsOf('x,1,2\ny,3,4,5\n', { labelSize: 0, ignoreColumns: [0] }), /line 2: expected 3 columns, found 4 \(one more than the features/);
    await assert.rejects(rowsOf('x,1,2\n', { labelSize: 0, ignoreColumns: [3] }),
      /^DataError: iterable: a column to read past \(column 4: ignoreColumns 3, --ignore-columns 4\) is beyond the first record's 3 columns$/);
    await assert.rejects(rowsOf('x,1\n', { labelColumn: 1, ignoreColumns: [0] }), /the first record has no feature columns \(2 columns split at ",", one of them the label, 1 read past; is the delimiter right\?\)$/);
  });

  it('refuses what cannot be meant: a column twice, the label\'s column, other formats, non-indices', () => {
    const base = { miniBatchSize: 1, format: 'csv' as const };
    assert.throws(() => readBatches([], { ...base, ignoreColumns: [1, 1] }), /^RangeError: readBatches: ignoreColumns names column 1 twice$/);
    assert.throws(() => readBatches([], { ...base, ignoreColumns: [0] }),
      /ignoreColumns names the label's column \(0, the first: labelColumn defaults to 0\); give labelColumn, or labelSize: 0 for records without a label$/);
    assert.throws(() => readBatches([], { ...base, labelColumn: 2, ignoreColumns: [2] }), /ignoreColumns names the label's column \(2\); /);
    assert.throws(() => readBatches([], { ...base, format: 'libsvm', featureDim: 3, ignoreColumns: [0] }), /ignoreColumns is for CSV \(columns by position\), not libsvm$/);
    assert.throws(() => readBatches([], { ...base, ignoreColumns: [-1] }), /ignoreColumns must be an array of column indices \(integers from 0\), got \[-1\]$/);
    assert.throws(() => readBatches([], { ...base, ignoreColumns: 0 as never }), /ignoreColumns must be an array of column indices/);
    // The label may sit past featureDim by as many columns as are read past.
    assert.doesNotThrow(() => readBatches([], { ...base, featureDim: 2, labelColumn: 3, ignoreColumns: [0] }));
    assert.throws(() => readBatches([], { ...base, featureDim: 2, labelColumn: 4, ignoreColumns: [0] }), /labelColumn must be an integer in \[0, 3\], got 4$/);
    const parser = () => new (loadCoreAddon().StreamParser)({ format: 'csv', featureDim: 1, ignoreColumns: ['a'] as never });
    assert.throws(parser, /StreamParser: ignoreColumns must hold column indices in \[0, 2\^24\)/);
  });

  it('stores read-past columns as positions among the non-label columns, and places them back around any label column', () => {
    assert.deepEqual(unlabelledPositions({ labelColumn: 2, ignoreColumns: [4, 0] }), [0, 3]);
    assert.deepEqual(unlabelledPositions({ labelSize: 0, ignoreColumns: [4, 0] }), [0, 4]);
    assert.deepEqual(unlabelledPositions({ ignoreColumns: [3] }), [2]);  // the label first by default
    assert.deepEqual(recordPositions([0, 3], 2), [0, 4]);
    assert.deepEqual(recordPositions([0, 3], undefined), [0, 3]);
    assert.deepEqual(recordPositions([2], 0), [3]);
  });
});

describe('CSV headers: row names (R write.csv and write.table, pandas to_csv), widths, delimiters', () => {
  const advice = "row names or an index, which R's write.csv and write.table and pandas' to_csv write by default, not data. Read past it with " +
    "--ignore-columns 1 (ignoreColumns: [0] in the API), or write the file without it (write.csv(…, row.names = FALSE); to_csv(…, index = False)); " +
    'a column that is data needs a name in the header';
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('refuses a header over an unnamed first column that counts the rows from 1 (R) or 0 (pandas), or names them', async () => {
    await assert.rejects(rowsOf(rFaithful, { header: true, labelSize: 0 }),
      new RegExp(`^DataError: iterable, line 1: column 1 has an unnamed header cell and its values count the rows \\(1, 2, 3, …\\): ${escape(advice)}$`));
    await assert.rejects(rowsOf(pandasFaithful, { header: true, labelSize: 0 }), /its values count the rows \(0, 1, 2, …\): row names or an index/);
    // As a label too (a regression on the row number): the advice names the label's column as well.
    await assert.rejects(rowsOf(rFaithful, { header: true }), new RegExp(escape("--ignore-columns 1 (ignoreColumns: [0] in the API), and name the label's column " +
      'with --label-column N (the first is the label by default; labelColumn in the API; --label-column 1 if column 1 is labels), or write')));
    await assert.rejects(rowsOf(rMtcars, { header: true, labelSize: 0 }), /its values name the rows \("Mazda RX4", …\): row names/);
    // Blank lines before the header move its line; a quoted blank is no name either.
    await assert.rejects(rowsOf(`\n\n${rFaithful}`, { header: true, labelSize: 0 }), /iterable, line 3: column 1 has an unnamed header cell/);
    await assert.rejects(rowsOf(rFaithful.replace('""', '" "'), { header: true, labelSize: 0 }), /column 1 has an unnamed header cell/);
  });

  it('refuses what filtering, slicing and shuffling leave of row numbers, pandas\' index levels and "Unnamed: 0", and write.table\'s short header', async () => {
    // write.csv(subset(faithful, waiting > 70)), the same rows shuffled, and a float index.
    await assert.rejects(rowsOf('"","eruptions","waiting"\n"1",3.6,79\n"3",3.333,74\n"4",2.283,62\n"6",2.883,85\n', { header: true, labelSize: 0 }),
      /its values number the rows \(1, 3, 4, …\): row names/);
    await assert.rejects(rowsOf(',a\n153,5\n12,6\n98,7\n', { header: true, labelSize: 0 }), /its values number the rows \(153, 12, 98, …\)/);
    await assert.rejects(rowsOf(',a\n0.0,5\n1.0,6\n2.0,7\n', { header: true, labelSize: 0 }), /its values count the rows \(0\.0, 1\.0, 2\.0, …\)/);
    // pandas.concat without ignore_index (the index restarts) and a two-level index: unnamed columns that are not the label.
    await assert.rejects(rowsOf(',a\n0,5\n1,6\n0,7\n1,8\n', { header: true, labelSize: 0 }), /column 1 has an unnamed header cell and it is a feature's column \(a feature needs a name; .*\): row names or an index/);
    await assert.rejects(rowsOf(',,a\nx,0,5\nx,1,6\ny,0,7\n', { header: true, labelSize: 0 }),
      /column 1 has an unnamed header cell and its values name the rows \("x", …\); column 2 has an unnamed header cell and it is a feature's column .* Read past them with --ignore-columns 1,2 \(ignoreColumns: \[0, 1\] in the API\)/);
    // A two-level index of whole numbers, its first level the label's column by default: both levels named.
    await assert.rejects(rowsOf(',,a,b\n0,0,5,1\n0,1,6,2\n1,0,7,3\n1,1,8,4\n', { header: true }),
      /column 1 has an unnamed header cell and the cell after it is unnamed too, as pandas writes the levels of a MultiIndex; column 2 has .* Read past them with --ignore-columns 1,2 .*and name the label's column with --label-column N/);
    // pandas reading a file with an index and writing it again: "Unnamed: 0" before the index, which is unnamed too.
    await assert.rejects(rowsOf(',Unnamed: 0,a,b\n0,1,1,2\n1,2,3,4\n2,3,5,6\n', { header: true, labelSize: 0 }),
      /column 1 has an unnamed header cell and its values count the rows \(0, 1, 2, …\); column 2 has an unnamed header cell \("Unnamed: 0", as pandas names an index it read\) and its values count the rows \(1, 2, 3, …\)/);
    // write.table(faithful, sep = ","): the header is a cell short of the records.
    await assert.rejects(rowsOf('"eruptions","waiting"\n"1",3.6,79\n"2",1.8,54\n"3",3.333,74\n', { header: true, labelSize: 0 }),
      new RegExp(escape('line 1: column 1 has no header cell (the header is one short of the records) and its values count the rows (1, 2, 3, …): ') +
        '.*' + escape('or write the file without it (write.table(…, row.names = FALSE))')));
    assert.deepEqual((await rowsOf('"eruptions","waiting"\n"1",3.6,79\n"2",1.8,54\n"3",3.333,74\n', { header: true, labelSize: 0, ignoreColumns: [0] })).rows[0].values,
      [3.6, 79].map(Math.fround));
  });

  it('refuses columns that readers named (R read.csv "X", readr "...1") or that go by row-name names (id, index) when their values name the rows', async () => {
    // write.csv(read.csv(f)) of a file with row names: R names the unnamed column X and writes its own row names before it.
    await assert.rejects(rowsOf('"","X","waiting"\n"1",1,79\n"2",2,54\n"3",3,74\n', { header: true, labelSize: 0 }),
      /column 1 has an unnamed header cell and its values count the rows \(1, 2, 3, …\); column 2 has the header cell "X" .* Read past them with --ignore-columns 1,2 /);
    await assert.rejects(rowsOf('"","X","waiting"\n"1",1,79\n"2",2,54\n"3",3,74\n', { header: true, labelSize: 0, ignoreColumns: [0] }),
      new RegExp('^DataError: iterable, line 1: column 2 has the header cell "X" \\(as R\'s read.csv names a column of row names it read\\) and its values count the rows \\(1, 2, 3, …\\): ' +
        'row names or an index, .* Read past it with --ignore-columns 1,2 \\(ignoreColumns: \\[0, 1\\] in the API\\), .*; if it is data, say so with --ignore-columns none \\(ignoreColumns: \\[\\]\\)$'));
    // USArrests through read.csv and write.csv(row.names = FALSE): the states under X.
    await assert.rejects(rowsOf('"X","Murder"\n"Alabama",13.2\n"Alaska",10\n"Arizona",8.1\n', { header: true, labelSize: 0 }),
      /column 1 has the header cell "X" \(as R's read.csv names a column of row names it read\) and its values name the rows \("Alabama", …\)/);
    await assert.rejects(rowsOf('...1,a\n1,5\n2,6\n3,7\n', { header: true, labelSize: 0 }),
      /column 1 has an unnamed header cell \("...1", as readr's read_csv names a column it read without a name\) and its values count the rows/);
    // pandas' reset_index, and an id as the default label: a regression on the row number.
    await assert.rejects(rowsOf('index,a\n0,5\n1,6\n2,7\n', { header: true, labelSize: 0 }), /column 1 has the header cell "index" and its values count the rows \(0, 1, 2, …\)/);
    await assert.rejects(rowsOf('id,y,a\n1,5,6\n2,7,8\n3,9,1\n', { header: true }),
      /column 1 has the header cell "id" and its values count the rows .* and name the label's column with --label-column N/);
    await assert.rejects(rowsOf('y,a,ID\n1,5,11\n0,7,12\n1,9,14\n', { header: true }), /column 3 has the header cell "ID" and its values number the rows \(11, 12, 14, …\)/);
    // Named by the caller as the label, an id column is taken as it is.
    assert.equal((await rowsOf('y,id\n5,1\n7,2\n9,3\n', { header: true, labelColumn: 1 })).rows.length, 3);
  });

  it("refuses R's quoted row numbers in a file without a header (write.table, col.names = FALSE), unless told they are data", async () => {
    // write.table(faithful, sep = ",", col.names = FALSE): PCA's first component was the row number.
    const rows = '"1",3.6,79\n"2",1.8,54\n"3",3.333,74\n"4",2.283,62\n';
    await assert.rejects(rowsOf(rows, { labelSize: 0 }), new RegExp('^DataError: iterable, line 1: column 1 holds numbers in quotes \\("1", "2", "3", …\\) and the columns after it hold numbers without, ' +
      "as R's write.table\\(…, col.names = FALSE\\) writes row names, not data. Read past it with --ignore-columns 1 \\(ignoreColumns: \\[0\\] in the API\\), " +
      'or write the file without them \\(row.names = FALSE\\); if it is data, say so with --ignore-columns none \\(ignoreColumns: \\[\\]\\)$'));
    await assert.rejects(rowsOf(rows, {}), /and name the label's column with --label-column N/);
    assert.deepEqual((await rowsOf(rows, { labelSize: 0, ignoreColumns: [0] })).rows[0].values, [3.6, 79].map(Math.fround));
    assert.equal((await rowsOf(rows, { labelSize: 0, ignoreColumns: [] })).rows.length, 4);
    // Quoted fractions of many digits, or negative numbers, are no row names: measurements some writer quoted.
    assert.equal((await rowsOf('"4.676333",3.6,79\n"-0.829556",1.8,54\n"2.5013",3.333,74\n', { labelSize: 0 })).rows.length, 3);
    // Quoted numbers that repeat (a quoted label) and unquoted counting numbers are data.
    assert.equal((await rowsOf('"1",5\n"0",6\n"1",7\n', { labelSize: 0 })).rows.length, 3);
    assert.equal((await rowsOf('1,5\n2,6\n3,7\n', { labelSize: 0 })).rows.length, 3);
    // Every field quoted (Python's csv.QUOTE_ALL): data. Quoted numbers in another column than the first
    // beside unquoted ones are not row names, but a factor (below).
    assert.equal((await rowsOf('"10.13","1.5","2"\n"10.63","2.5","3"\n"11.39","3.5","4"\n', {})).rows.length, 3);
  });

  it("refuses R's factors, numbers in quotes beside numbers without (ChickWeight's Chick and Diet were read as measurements), unless read past or said to be data", async () => {
    const chicks = '"","weight","Time","Chick","Diet"\n"1",42,0,"1","1"\n"2",51,2,"1","1"\n"3",59,4,"1","1"\n"13",40,0,"2","1"\n';
    await assert.rejects(rowsOf(chicks, { header: true, labelSize: 0, ignoreColumns: [0] }), new RegExp('^DataError: iterable, line 1: column 4 \\("Chick"\\), ' +
      'column 5 \\("Diet"\\) hold numbers in quotes \\("1", "2", …\\) beside columns of numbers without, as R\'s write.csv writes a factor \\(categories, ' +
      'such as ids or groups\\), not a measurement: .* Read past them with --ignore-columns 1,4,5 \\(ignoreColumns: \\[0, 3, 4\\] in the API\\), or one-hot encode them; ' +
      'if the numbers are measurements, write them without quotes, or say every column is data with --ignore-columns none \\(ignoreColumns: \\[\\]\\)$'));
    assert.deepEqual((await rowsOf(chicks, { header: true, labelSize: 0, ignoreColumns: [0, 3, 4] })).rows[0].values, [42, 0]);
    // Without a header (a label first, then the factor), and a quoted label column (class labels are categories): the label is left alone.
    await assert.rejects(rowsOf('5,"1",3.6\n6,"2",1.8\n7,"3",3.3\n', {}), /^DataError: iterable, line 1: column 2 holds numbers in quotes \("1", "2", "3", …\)/);
    assert.equal((await rowsOf('"1",3.6,79\n"0",1.8,54\n"1",3.3,74\n', {})).rows.length, 3);
    assert.equal((await rowsOf('5,"1",3.6\n6,"2",1.8\n7,"3",3.3\n', { ignoreColumns: [] })).rows.length, 3);
    // Quoted fractions that mostly differ are measurements some writer quoted, not a factor's levels (they were refused);
    // quoted fractions that repeat (doses) still are.
    assert.deepEqual((await rowsOf('1,"8.88342",10.4\n0,"-0.237747",9.1\n1,"3.5021",7.7\n', {})).rows[1].values, [-0.237747, 9.1].map(Math.fround));
    await assert.rejects(rowsOf('1,"0.5",10.4\n0,"1.5",9.1\n1,"0.5",7.7\n0,"1.5",7.2\n', {}), /^DataError: iterable, line 1: column 2 holds numbers in quotes \("0\.5", "1\.5", …\)/);
  });

  it('takes an unnamed label column of whole numbers for labels unless they count, rise, or are quoted as R quotes row names', async () => {
    // Prices as labels, first column, header cell left empty: data.
    assert.equal((await rowsOf(',a,b\n439563,1,2\n258176,3,4\n514002,5,6\n', { header: true })).rows.length, 3);
    // Rising years would be read as row numbers unless the label's column is named.
    await assert.rejects(rowsOf(',a\n1965,1\n1987,2\n2018,3\n', { header: true }), /--label-column 1 if column 1 is labels/);
    assert.equal((await rowsOf(',a\n1965,1\n1987,2\n2018,3\n', { header: true, labelColumn: 0 })).rows.length, 3);
    // Bootstrapped rows: R makes repeated names unique ("186.1"), quoted as it quotes every row name.
    await assert.rejects(rowsOf('"","eruptions","waiting"\n"261",4.767,78\n"186",4.433,78\n"140",1.9,50\n"186.1",4.433,78\n', { header: true }),
      /column 1 has an unnamed header cell and its values number the rows in quotes, as R writes row names \(261, 186, 140, …\)/);
    // pandas' "Unnamed: 0" is an index whatever it holds, the label's column too.
    await assert.rejects(rowsOf('Unnamed: 0,a\n5,1\n5,2\n7,3\n', { header: true }), /column 1 has an unnamed header cell \("Unnamed: 0", as pandas names an index it read\) and it holds an index/);
  });

  it('reads a trailing delimiter as the parser does: after a tab, nothing; after a header, no column; after each record, an empty column', async () => {
    const tsv = await rowsOf('y\ta\tb\t\n1\t2\t3\t\n0\t4\t5\t\n', { header: true, delimiter: '\t' });
    assert.deepEqual(tsv.rows, [{ values: [2, 3], label: 1 }, { values: [4, 5], label: 0 }]);
    assert.equal((await rowsOf('y,a,b,\n1,2,3\n', { header: true })).rows.length, 1);
    await assert.rejects(rowsOf('y,a,b\n1,2,3,\n0,4,5,\n', { header: true }),
      /the header names 3 columns and the first record holds 4 \(split at ","\): each record ends with the delimiter, an empty last column/);
    // Without a header, each record's empty last column: said so, with the column to read past (it said "a missing value").
    await assert.rejects(rowsOf('1,2,3,\n0,4,5,\n', {}), new RegExp('^DataError: iterable, line 1: column 4 is empty: the record ends with the delimiter, and if ' +
      'every record does, their last column is empty \\(remove the trailing delimiters, or read past the column with --ignore-columns 4\\)$'));
    assert.deepEqual((await rowsOf('1,2,3,\n0,4,5,\n', { ignoreColumns: [3] })).rows[1], { values: [4, 5], label: 0 });
    // Rows of a known width (a model's, in predict and evaluate) that end with the delimiter: said so too (it said "found 4").
    await assert.rejects(rowsOf('1,2,3,\n0,4,5,\n', { featureDim: 2 }),
      /^DataError: iterable, line 1: expected 3 columns, found 4 \(the record ends with the delimiter, an empty last column: remove the trailing delimiters, or read past it with --ignore-columns 4\)$/);
  });

  it('refuses a header of another width than the records, and one written with another delimiter', async () => {
    await assert.rejects(rowsOf('y,a\n1,2,3\n0,4,5\n', { header: true }),
      /^DataError: iterable, line 1: the header names 2 columns and the first record holds 3 \(split at ","\): is the delimiter right\?/);
    // R's write.csv2: ';' between fields, decimal commas.
    await assert.rejects(rowsOf('"eruptions";"waiting"\n3,6;79\n1,8;54\n', { header: true, labelSize: 0 }),
      /^DataError: iterable, line 1: the header is one column split at "," and 2 at ";": pass --delimiter ';' \(delimiter in the API\) \(R's write\.csv2 writes ';' between fields and commas in decimals/);
    // One column whose name holds a ';': data.
    assert.deepEqual((await rowsOf('price;usd\n3.5\n4\n', { header: true, labelSize: 0 })).rows.map((r) => r.values), [[3.5], [4]]);
    // R's write.table(sep = '\t'): no header cell over the row names, so the records hold one field more.
    await assert.rejects(rowsOf('"eruptions"\t"waiting"\n"1"\t3.6\t79\n', { header: true, labelSize: 0 }),
      /^DataError: iterable, line 1: the header is one column split at "," and 2 at "\\t": pass --delimiter 'tab' \(delimiter in the API\)$/);
    // Without a header (write.table's col.names = FALSE, or its default spaces), the record's field says it.
    await assert.rejects(rowsOf('"1"\t3.6\t79\n', { labelSize: 0 }),
      /^DataError: iterable, line 1: column 1 '"1"\\t3\.6\\t79' is not a number; its values are numbers split by "\\t": pass --delimiter 'tab' \(delimiter in the API\)$/);
    // A binary file read as text: its NUL bytes say what it may be.
    await assert.rejects(rowsOf('1,2\n#\u0000\u0000\u0000,3\n', { labelSize: 0 }),
      /column 1 '#\\x00\\x00\\x00' is not a number; the record holds NUL bytes, as binary files do: a recordIO-protobuf file needs --format recordio \(format: 'recordio' in the API\)$/);
    await assert.rejects(rowsOf('"1" 3.6 79\n"2" 1.8 54\n', { labelSize: 0 }),
      /column 1 '"1" 3\.6 79' is not a number; its values are numbers split by spaces: pass --delimiter ' ' \(delimiter in the API\)$/);
  });

  it('checks the header of every file read, not only the first', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const directory = await mkdtemp(join(tmpdir(), 'boundless-row-names-'));
    try {
      await writeFile(join(directory, 'a.csv'), 'eruptions,waiting\n3.6,79\n1.8,54\n');
      await writeFile(join(directory, 'b.csv'), rFaithful);
      const stream = readBatches(directory, { miniBatchSize: 2, format: 'csv', header: true, labelSize: 0 });
      await assert.rejects((async () => { for await (const _ of stream) { /* reading is the point */ } })(),
        new RegExp(`^DataError: ${escape(join(directory, 'b.csv'))}, line 1: column 1 has an unnamed header cell`));
      // With a width given (predict, evaluate, --feature-dim) too.
      const given = readBatches(join(directory, 'b.csv'), { miniBatchSize: 2, format: 'csv', header: true, labelSize: 0, featureDim: 2 });
      await assert.rejects((async () => { for await (const _ of given) { /* reading is the point */ } })(), /column 1 has an unnamed header cell/);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('refuses ignoreColumns beyond a known width, and for records given as values', async () => {
    assert.throws(() => readBatches([], { miniBatchSize: 1, format: 'csv', labelSize: 0, featureDim: 2, ignoreColumns: [5] }),
      /^RangeError: readBatches: ignoreColumns names column 5, beyond the records' 3 columns \(featureDim 2 and 1 read past\)$/);
    const records = readBatches([[1, 2, 3], [2, 4, 5]] as never, { miniBatchSize: 10, labelSize: 0, ignoreColumns: [0] });
    await assert.rejects((async () => { for await (const _ of records) { /* reading is the point */ } })(),
      /ignoreColumns is for CSV text; records given as arrays or objects are read as they are/);
  });

  it('reads the same files with the column read past, and leaves named columns and unnamed label columns of labels alone', async () => {
    const r = await rowsOf(rFaithful, { header: true, labelSize: 0, ignoreColumns: [0] });
    const pandas = await rowsOf(pandasFaithful, { header: true, labelSize: 0, ignoreColumns: [0] });
    assert.deepEqual(r.rows, pandas.rows);
    assert.deepEqual(r.rows[0].values, [3.6, 79].map(Math.fround));
    // A named first column, an unnamed label column of 0/1 labels, two records (not evidence), and no header: data.
    assert.equal((await rowsOf('"n","a"\n1,5\n2,6\n3,7\n', { header: true, labelSize: 0 })).rows.length, 3);
    assert.equal((await rowsOf('x,a\n1,5\n2,6\n3,7\n', { header: true, labelSize: 0 })).rows.length, 3);
    // A row-name name over values that do not name rows is data; one that does, said to be data with ignoreColumns [].
    assert.equal((await rowsOf('id,a\n4,5\n2,6\n4,7\n', { header: true, labelSize: 0 })).rows.length, 3);
    assert.deepEqual((await rowsOf('"id","a"\n1,5\n2,6\n3,7\n', { header: true, labelSize: 0, ignoreColumns: [] })).rows[2].values, [3, 7]);
    assert.equal((await rowsOf(',a\n1,5\n0,6\n1,7\n', { header: true })).rows.length, 3);
    assert.equal((await rowsOf(',a\n0,5\n1,6\n', { header: true })).rows.length, 2);
    assert.equal((await rowsOf('1,5\n2,6\n3,7\n', { labelSize: 0 })).rows.length, 3);
    // Every field quoted (Python's csv.QUOTE_ALL): data.
    assert.equal((await rowsOf('"10.13","1.5","2"\n"10.63","2.5","3"\n"11.39","3.5","4"\n', {})).rows.length, 3);
  });
});
