import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBatches, type ReadOptions } from '../../lib/index.js';
import { packageRoot } from '../../lib/package-root.js';

async function read(input: string, options: Partial<ReadOptions>): Promise<{ rows: number; names?: string[] }> {
  const stream = readBatches(input, { miniBatchSize: 100, format: 'csv', header: true, ...options });
  let rows = 0;
  for await (const batch of stream) rows += batch.rows;
  return { rows, names: stream.stats.featureNames?.names };
}

describe('CSV feature columns by name (rows are read by position)', () => {
  let directory: string;
  const rows = (n: number, order: number[]) => Array.from({ length: n }, (_, i) => order.map((c) => [i % 2, i, i * 2, i * 3][c]).join(',')).join('\n') + '\n';
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'boundless-header-names-'));
    await mkdir(join(directory, 'parts'));
    await writeFile(join(directory, 'parts', 'a.csv'), 'y,"cyl",disp,hp\n' + rows(5, [0, 1, 2, 3]));
    await writeFile(join(directory, 'parts', 'b.csv'), 'y,disp,cyl,hp\n' + rows(5, [0, 2, 1, 3]));
    await writeFile(join(directory, 'same.csv'), 'y,cyl,disp,hp\n' + rows(5, [0, 1, 2, 3]));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  it('a quoted field with a line break (a spreadsheet cell): the header, a leading record and a later one each get an error naming it; skip counts the halves', async () => {
    const file = join(directory, 'broken-quote.csv');
    const tail = 'it opens a quote that the line does not close: a line break inside a quoted field is not supported';
    await writeFile(file, 'y,"cyl\nnumber",disp\n1,2,3\n');
    await assert.rejects(read(file, {}), { message: `${file}, line 1: header cell 2 '"cyl' opens a quote that the line does not close: ` +
      'a line break inside a quoted field is not supported (a header, like each record, is one line): write the names without line breaks' });
    await writeFile(file, 'y,cyl,disp\n1,"2\n",3\n0,1,1\n');
    await assert.rejects(read(file, {}), { message: `${file}, line 2: column 2 '"2' opens a quote that the line does not close: ` +
      'a line break inside a quoted field is not supported (each record is one line)' });
    // Past the leading records the header checks look at, the parser says it.
    const good = Array.from({ length: 30 }, (_, i) => `${i % 2},${i},${i}`).join('\n');
    await writeFile(file, `y,cyl,disp\n${good}\n1,"2\n",3\n`);
    await assert.rejects(read(file, {}), { message: `${file}, line 32: column 2 '"2' is not a number (${tail}; each record is one line)` });
    await writeFile(file, `y,cyl,disp\n${good}\n1,2,"3\n3"\n`);
    await assert.rejects(read(file, {}), { message: `${file}, line 32: column 3 '"3' is not a number (${tail}; each record is one line)` });
    await writeFile(file, 'y,cyl,disp\n1,"2\n2",3\n0,1,1\n');
    const stream = readBatches(file, { miniBatchSize: 100, format: 'csv', header: true, onBadRecord: 'skip' });
    let kept = 0;
    for await (const batch of stream) kept += batch.rows;
    assert.deepEqual([kept, stream.stats.badRecords], [1, { unparsable_number: 2 }]);
  });

  it('skipping bad records, the width is the commonest of the leading records\', not a bad first record\'s (which skipped every good row after it)', async () => {
    const file = join(directory, 'bad-first.csv');
    const good = Array.from({ length: 40 }, (_, i) => `${i % 2},${i},${i * 2},${i * 3}`).join('\n');
    const kept = async (text: string, header = false) => {
      await writeFile(file, text);
      const stream = readBatches(file, { miniBatchSize: 100, format: 'csv', header, onBadRecord: 'skip' });
      let rows = 0, width = 0;
      for await (const batch of stream) { rows += batch.rows; width = batch.cols; }
      return { rows, width, bad: stream.stats.badRecords };
    };
    // A short first line: the 40 rows of 4 columns are read, it is skipped.
    assert.deepEqual(await kept(`1.5,2\n${good}\n`), { rows: 40, width: 3, bad: { column_count: 1 } });
    // A first line that is bad itself (NA) with another width: the same.
    assert.deepEqual(await kept(`1,NA,2,3,4,5\n${good}\n`), { rows: 40, width: 3, bad: { unparsable_number: 1 } });
    // After a header too.
    assert.deepEqual(await kept(`y,a,b,c\n1,2\n${good}\n`, true), { rows: 40, width: 3, bad: { column_count: 1 } });
    // With a header, its width wins over the commonest: 12 short rows among the first 20 do not make the file's width.
    const short = Array.from({ length: 12 }, (_, i) => `1,${i}`).join('\n');
    assert.deepEqual(await kept(`y,a,b,c\n1,2,3,4\n${short}\n${good}\n`, true), { rows: 41, width: 3, bad: { column_count: 12 } });
    // Without skipping, a first record of another width than every one after it is the error, named.
    await writeFile(file, `1.5,2\n${good}\n`);
    await assert.rejects(read(file, { header: false }), { message: `${file}, line 1: 2 columns (split at ","), where the 19 records after it hold 4: ` +
      'a stray line? (--on-bad-record skip skips and counts it; onBadRecord in the API)' });
    await writeFile(file, `y,a,b,c\n1.5,2\n${good}\n`);
    await assert.rejects(read(file, {}), { message: `${file}, line 2: 2 columns (split at ","), where the header and the 19 records after it hold 4: ` +
      'a stray line? (--on-bad-record skip skips and counts it; onBadRecord in the API)' });
    // A header written with ';' (R's write.csv2) over records of decimal commas, read at ',': the delimiter is named (it said "a stray line?").
    await writeFile(file, `"y";"a";"b";"c"\n${Array.from({ length: 19 }, (_, i) => `1;${i},5;2;3`).join('\n')}\n`);
    await assert.rejects(read(file, { header: false }), { message: `${file}, line 1: 1 column (split at ","), where the 19 records after it hold 2: ` +
      'is the delimiter right? the line splits into 4 fields at ";": pass --delimiter \';\' (delimiter in the API)' });
    // Records after it that disagree among themselves: the second line is the parser's error, as before.
    await writeFile(file, `1.5,2\n1,2,3\n${good}\n`);
    await assert.rejects(read(file, { header: false }), { message: `${file}, line 2: expected 2 columns, found 3` });
  });

  it("says the first file's feature names, and refuses a later file whose columns come in another order", async () => {
    assert.deepEqual(await read(join(directory, 'same.csv'), {}), { rows: 5, names: ['cyl', 'disp', 'hp'] });
    await assert.rejects(read(join(directory, 'parts'), {}), (error: Error) => {
      assert.equal(error.name, 'DataError');
      assert.equal(error.message, `${join(directory, 'parts', 'b.csv')}, line 1: its feature columns are not those of ${join(directory, 'parts', 'a.csv')}, ` +
        `in another order: feature 1 is 'disp' where ${join(directory, 'parts', 'a.csv')} has 'cyl' (those of ${join(directory, 'parts', 'a.csv')}, ` +
        "in order: 'cyl', 'disp', 'hp'). Rows are read by position: write the columns in that order");
      return true;
    });
  });

  it('checks a header against the names given (a model\'s), the label and the columns read past left out', async () => {
    assert.equal((await read(join(directory, 'same.csv'), { featureNames: ['cyl', 'disp', 'hp'] })).rows, 5);
    assert.equal((await read(join(directory, 'same.csv'), { featureNames: ['cyl', 'hp'], ignoreColumns: [2] })).rows, 5);
    assert.equal((await read(join(directory, 'same.csv'), { featureNames: ['y', 'cyl', 'disp'], labelColumn: 3 })).rows, 5);
    await assert.rejects(read(join(directory, 'same.csv'), { featureNames: ['cyl', 'displacement', 'hp'] }),
      /same\.csv, line 1: its feature columns are not the model's: feature 2 is 'disp' where the model has 'displacement' .*, or train a model on these columns$/);
    // Another number of columns is the width check's to say; without a width given, said here.
    await assert.rejects(read(join(directory, 'same.csv'), { featureNames: ['cyl', 'disp'], featureDim: 2 }), /same\.csv, line 2: expected 3 columns, found 4$/);
    await assert.rejects(read(join(directory, 'same.csv'), { featureNames: ['cyl', 'disp'] }),
      /same\.csv, line 1: its header names 3 feature columns \('cyl', 'disp', 'hp'\), and the model's are 2 \('cyl', 'disp'\)$/);
  });

  it('a header wider than the first chunk read, or after more blank lines than it holds: its names kept and checked, from a file and from stdin-like streams', async () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `feature_${String(i).padStart(6, '0')}`);
    const wide = 'y,' + names.join(',') + '\n' + Array.from({ length: 30 }, (_, r) => [r % 2, ...names.map((_, j) => (r + j) % 7)].join(',')).join('\n') + '\n';
    assert.ok(wide.indexOf('\n') > 256 << 10, 'the header line ends past the first 256 KiB');
    await writeFile(join(directory, 'wide.csv'), wide);
    const fromFile = await read(join(directory, 'wide.csv'), {});
    assert.equal(fromFile.rows, 30);
    assert.deepEqual(fromFile.names, names);
    const chunked = (text: string) => (async function* () {
      for (let at = 0; at < text.length; at += 65_536) yield Buffer.from(text.slice(at, at + 65_536));
    })();
    const stream = readBatches(chunked(wide), { miniBatchSize: 100, format: 'csv', header: true });
    for await (const batch of stream) void batch;
    assert.deepEqual(stream.stats.featureNames?.names, names);
    // A model's 20,000 names against these with the last two swapped: the first 20 are said, then the count.
    const swapped = [...names.slice(0, -2), names[19_999], names[19_998]];
    await assert.rejects(read(join(directory, 'wide.csv'), { featureNames: swapped }), (error: Error) => {
      assert.ok(error.message.length < 1500, `${error.message.length} characters`);
      assert.match(error.message, /: feature 19999 is 'feature_019998' where the model has 'feature_019999' \(the model's, in order: 'feature_000000', .*'feature_000019', … \(20000 in all\)\)\. Rows are read by position/);
      return true;
    });
    // 300,000 blank lines, then the header: kept, and a later file with its columns swapped is refused.
    await mkdir(join(directory, 'blank'));
    await writeFile(join(directory, 'blank', 'a.csv'), '\n'.repeat(300_000) + 'y,cyl,disp,hp\n' + rows(5, [0, 1, 2, 3]));
    assert.deepEqual(await read(join(directory, 'blank', 'a.csv'), {}), { rows: 5, names: ['cyl', 'disp', 'hp'] });
    await writeFile(join(directory, 'blank', 'b.csv'), '\n'.repeat(300_000) + 'y,disp,cyl,hp\n' + rows(5, [0, 2, 1, 3]));
    await assert.rejects(read(join(directory, 'blank'), {}), /b\.csv, line 300001: its feature columns are not those of .*a\.csv, in another order/);
  });

  it('5 MB of blank lines before the first record: read, not a "record longer than" error; a first line longer than the limit still is one', async () => {
    await writeFile(join(directory, 'blank5m.csv'), '\n'.repeat(5_000_000) + rows(7, [0, 1, 2, 3]));
    assert.equal((await read(join(directory, 'blank5m.csv'), { header: false })).rows, 7);
    await writeFile(join(directory, 'long.csv'), '\n\n' + '1,'.repeat(600_000) + '1\n');
    await assert.rejects(read(join(directory, 'long.csv'), { header: false }), { message: `${join(directory, 'long.csv')}, line 3: record is longer than 1048576 bytes (raise --max-record-bytes, maxRecordBytes in the API)` });
  });

  it('rows too wide for a dense batch of the size asked: an error that says what to lower, not a bare RangeError', async () => {
    await writeFile(join(directory, 'very-wide.csv'), `1,${'0,'.repeat(600_000)}1\n`);
    await assert.rejects(read(join(directory, 'very-wide.csv'), { header: false, miniBatchSize: 4096, maxRecordBytes: 4 << 20 }), {
      name: 'DataError',
      message: 'a batch of 4096 rows × 600001 features is 2457604096 values, more than one array holds (2147483647): lower --mini-batch-size (miniBatchSize in the API) to at most 2555',
    });
    // Sparse rows: 128 entries a row past one array's length.
    const svm = join(directory, 'small.svm');
    await writeFile(svm, '1 1:2 2:3\n0 1:1\n');
    await assert.rejects(read(svm, { format: 'libsvm', header: false, featureDim: 5, miniBatchSize: 100_000_000 }), {
      name: 'DataError',
      message: 'a sparse batch of 100000000 rows holds 12800000000 entries (128 a row), more than one array holds (2147483647): ' +
        'lower --mini-batch-size (miniBatchSize in the API) to at most 16776191',
    });
    // Within one array's length but past the memory the process may take (4 GB of address space here).
    const small = join(directory, 'small.csv');
    await writeFile(small, '1,2,3\n0,1,1\n');
    const cli = join(packageRoot, 'dist', 'cli', 'main.js');
    const run = spawnSync('bash', ['-c', `ulimit -v 4000000; exec "${process.execPath}" "${cli}" train kmeans --hp k=1 --format csv --train "${small}" ` +
      `--mini-batch-size 200000000 --model-dir "${join(directory, 'never')}"`], { encoding: 'utf8' });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stderr.trim().split('\n').pop(), 'boundless: the reader\'s 4 batch buffers of 200000000 rows (× 3 features) need about 8.9 GiB, ' +
      'which this process could not allocate: lower --mini-batch-size (miniBatchSize in the API)');
  });

  it('refuses a "header" of numbers that do not step evenly: a row of data, which --header would drop', async () => {
    const file = join(directory, 'numbers.csv');
    await writeFile(file, '21,6,160,110\n22,6,161,112\n');
    await assert.rejects(read(file, {}), new RegExp('numbers\\.csv, line 1: the header line is numbers \\(21,6,160,110\\), as a row of data is: with --header it would be taken ' +
      'as column names and not read\\. If the file has no header, leave out --header \\(header: false in the API\\)'));
    assert.equal((await read(file, { header: false })).rows, 2);
    // Names that are numbers: pandas' defaults, years, wavelengths (even steps), or in quotes.
    for (const header of ['y,0,1,2', '0,1,2,3', '0,2,1,3', '0,1,3,4', '4,0,1,2', '2019,2020,2021,2022', '400,410.5,421,431.5', '"21","6","160","110"']) {
      await writeFile(file, `${header}\n1,2,3,4\n`);
      assert.equal((await read(file, {})).rows, 1, header);
    }
  });

  it('one or two columns: a "header" with a fraction or a negative number is a row of data (it was read as names, the row dropped)', async () => {
    const file = join(directory, 'two.csv');
    for (const header of ['8.88342,10.4417', '-1,3', '1e-3,2', '1.0,3.0', '1.000000000000000000e+00,3.000000000000000000e+00', '+1,2', '1e3,2']) {
      await writeFile(file, `${header}\n1,2\n`);
      await assert.rejects(read(file, {}), new RegExp(`two\\.csv, line 1: the header line is numbers \\(${header.replace(/[.+-]/g, '\\$&')}\\), as a row of data is`), header);
    }
    // Whole numbers ≥ 0 may name one or two columns (years, pandas' 0 and 1), and quoted numbers may be any.
    for (const header of ['0,1', '2019,2020', '"8.88342","10.4417"']) {
      await writeFile(file, `${header}\n1,2\n`);
      assert.equal((await read(file, {})).rows, 1, header);
    }
  });

  it('refuses featureNames without a CSV header, and a header that is not a boolean', async () => {
    await assert.rejects(read(join(directory, 'same.csv'), { header: false, featureNames: ['a'] }), /featureNames are checked against a CSV header: give header: true/);
    await assert.rejects(read(join(directory, 'same.csv'), { featureNames: 'cyl' as never }), /featureNames must be an array of strings/);
    await assert.rejects(read(join(directory, 'same.csv'), { header: 'yes' as never }), /readBatches: header must be true or false, got "yes"/);
  });

  it('a model keeps its training header\'s names; evaluate and predict refuse columns in another order', async () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(packageRoot, 'dist', 'cli', 'main.js'), ...args], { cwd: directory, encoding: 'utf8' });
    const big = 'y,cyl,disp,hp\n' + Array.from({ length: 200 }, (_, i) => `${(i % 7) * 2 + (i % 5)},${i % 7},${i % 5},${i % 3}`).join('\n') + '\n';
    await writeFile(join(directory, 'train.csv'), big);
    const trained = cli('train', 'linear-learner', '--train', 'train.csv', '--header', '--hp', 'predictor_type=regressor', '--model-dir', 'model');
    assert.equal(trained.status, 0, trained.stderr);
    assert.deepEqual(JSON.parse(cli('inspect', 'model/model.safetensors').stdout).schema.featureNames, ['cyl', 'disp', 'hp']);
    const swapped = 'y,disp,cyl,hp\n' + big.split('\n').slice(1, -1).map((l) => { const [y, a, b, c] = l.split(','); return `${y},${b},${a},${c}`; }).join('\n') + '\n';
    await writeFile(join(directory, 'swapped.csv'), swapped);
    const evaluated = cli('evaluate', '--model', 'model/model.safetensors', '--test', 'swapped.csv', '--header');
    assert.equal(evaluated.status, 1);
    assert.match(evaluated.stderr, /^boundless: swapped\.csv, line 1: its feature columns are not the model's, in another order: feature 1 is 'disp' where the model has 'cyl'/);
    assert.equal(cli('evaluate', '--model', 'model/model.safetensors', '--test', 'train.csv', '--header').status, 0);
    await writeFile(join(directory, 'unlabelled.csv'), 'cyl,disp,hp\n1,2,0\n');
    const predicted = cli('predict', '--model', 'model/model.safetensors', '--input', 'unlabelled.csv', '--header');
    assert.equal(predicted.status, 0, predicted.stderr);
    await writeFile(join(directory, 'unlabelled-swapped.csv'), 'disp,cyl,hp\n2,1,0\n');
    assert.match(cli('predict', '--model', 'model/model.safetensors', '--input', 'unlabelled-swapped.csv', '--header').stderr, /in another order: feature 1 is 'disp'/);
    // Continued training reads the state's columns too.
    const continued = cli('train', 'linear-learner', '--train', 'swapped.csv', '--header', '--initial-model', 'model', '--model-dir', 'continued');
    assert.equal(continued.status, 1);
    assert.match(continued.stderr, /swapped\.csv, line 1: its feature columns are not the model's, in another order/);
  });
});
