import assert from 'node:assert/strict';
import { loadCoreAddon, readBatches, type ReadBatch, type ReadOptions } from '../../lib/index.js';

/** All batches of `text`, fed in chunks of `chunkSize` bytes, copied out of the pool. */
async function parse(text: string | Buffer, options: Partial<ReadOptions>, chunkSize = 1 << 20) {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  function* chunks() {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const stream = readBatches(chunks(), { miniBatchSize: 4, ...options });
  const rows: { values: number[]; indices?: number[]; label?: number; weight?: number }[] = [];
  const positions = [];
  for await (const batch of stream) {
    positions.push(batch.position);
    for (let r = 0; r < batch.rows; r++) rows.push(rowOf(batch, r));
  }
  return { rows, stats: stream.stats, positions, featureDim: stream.featureDim };
}

function rowOf(batch: ReadBatch, r: number) {
  const label = batch.labels?.[r];
  const weight = batch.weights?.[r];
  if (batch.kind === 'dense') {
    return { values: Array.from(batch.values.subarray(r * batch.cols, (r + 1) * batch.cols)), label, weight };
  }
  const begin = batch.indptr[r];
  const end = batch.indptr[r + 1];
  return { indices: Array.from(batch.indices.subarray(begin, end)), values: Array.from(batch.values.subarray(begin, end)), label, weight };
}

const f = Math.fround;

describe('text formats (native parser)', () => {
  describe('CSV', () => {
    it("reads SageMaker's CSV: label first, no header, dense float32 features", async () => {
      const { rows, featureDim, stats } = await parse('1,0.5,2\n0,-1.25,3e2\n', { format: 'csv' });
      assert.equal(featureDim, 2);
      assert.deepEqual(rows, [
        { values: [0.5, 2], label: 1, weight: 1 },
        { values: [-1.25, 300], label: 0, weight: 1 },
      ]);
      assert.equal(stats.records, 2);
    });

    it('rounds every decimal correctly to float32: signs, exponents, denormals, limits', async () => {
      const cases: [string, number][] = [
        ['0.1', f(0.1)], ['+3', 3], ['-0', -0], ['1e-3', f(1e-3)], ['-2.5E+2', -250], ['.5', 0.5], ['5.', 5],
        ['3.4028234663852886e38', 3.4028234663852886e38], ['1.17549435e-38', f(1.17549435e-38)],
        ['1e-45', f(1e-45)], ['1e-50', 0], ['-1e-400', -0], ['16777217', 16777216], ['0.30000000000000004', f(0.3)],
        ['  7.25 ', 7.25], ['"2"', 2],
      ];
      const text = cases.map(([literal], i) => `${i},${literal}\n`).join('');
      const { rows } = await parse(text, { format: 'csv' });
      rows.forEach((row, i) => assert.ok(Object.is(row.values[0], cases[i][1]), `${cases[i][0]} -> ${row.values[0]}, expected ${cases[i][1]}`));
    });

    it('parses 20,000 random float32 values printed with 9 digits back to the same bits', async () => {
      const values = new Float32Array(20_000);
      const bits = new Uint32Array(values.buffer);
      let state = 99;
      for (let i = 0; i < values.length; i++) {
        do {
          state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
          bits[i] = state;
        } while (!Number.isFinite(values[i]));
      }
      const lines = [];
      for (let i = 0; i < values.length; i += 4) lines.push(`0,${Array.from(values.subarray(i, i + 4), (v) => v.toPrecision(9)).join(',')}`);
      const { rows } = await parse(lines.join('\n'), { format: 'csv', miniBatchSize: 256 });
      const parsed = new Float32Array(rows.flatMap((r) => r.values));
      assert.deepEqual(new Uint32Array(parsed.buffer), bits);
    });

    it('rounds short decimals (the fast path) exactly as an exact rational oracle says', async () => {
      // The correctly rounded float32 of m·10^k, decided with BigInt arithmetic among the three
      // float32 values nearest to the double estimate (ties to even).
      const bits = new Uint32Array(1);
      const asFloat = new Float32Array(bits.buffer);
      const neighbours = (x: number) => {
        asFloat[0] = x;
        const b = bits[0];
        const out = [x];
        for (const d of [-1, 1]) { bits[0] = b + d; out.push(asFloat[0]); }
        bits[0] = b;
        return out;
      };
      const exactParts = (x: number): [bigint, number] => { // x = n·2^e, n integer
        let e = 0;
        while (!Number.isInteger(x)) { x *= 2; e--; }
        return [BigInt(x), e];
      };
      const correctlyRounded = (m: bigint, k: number): number => {
        const estimate = Math.fround(Number(`${m}e${k}`));
        let best = estimate;
        let bestDistance: bigint | undefined;
        for (const candidate of neighbours(estimate)) {
          if (!Number.isFinite(candidate) || candidate < 0) continue;
          const [n, e] = exactParts(candidate);
          // |n·2^e − m·10^k| · 2^160 · 10^10: integers on one scale for every candidate.
          const left = n * 2n ** BigInt(e + 160) * 10n ** 10n;
          const right = m * 10n ** BigInt(k + 10) * 2n ** 160n;
          const distance = left > right ? left - right : right - left;
          asFloat[0] = candidate;
          const even = (bits[0] & 1) === 0;
          if (bestDistance === undefined || distance < bestDistance || (distance === bestDistance && even)) {
            best = candidate;
            bestDistance = distance;
          }
        }
        return best;
      };
      let state = 7;
      const next = (n: number) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % n; };
      const literals: string[] = [];
      const expected: number[] = [];
      for (let i = 0; i < 20000; i++) {
        const digits = 1 + next(8);
        let m = BigInt(next(10 ** Math.min(digits, 8)));
        if (m >= 16777216n) m %= 16777216n;
        const k = next(21) - 10;
        const text = m.toString();
        // The same number written three ways: with a decimal point, with an exponent, or both.
        const style = next(3);
        let literal: string;
        if (style === 0 && k < 0 && -k <= text.length + 3) {
          const padded = text.padStart(-k + 1, '0');
          literal = `${padded.slice(0, padded.length + k)}.${padded.slice(padded.length + k)}`;
        } else if (style === 1) {
          literal = `${text}e${k}`;
        } else {
          literal = `${text}.0E${k >= 0 ? '+' : ''}${k}`;
        }
        literals.push(literal);
        expected.push(correctlyRounded(m, k));
      }
      const { rows } = await parse(literals.map((l, i) => `${i},${l}`).join('\n'), { format: 'csv', miniBatchSize: 512 });
      rows.forEach((row, i) => assert.ok(Object.is(row.values[0], expected[i]) || (row.values[0] === 0 && expected[i] === 0),
        `${literals[i]} parsed as ${row.values[0]}, correctly rounded is ${expected[i]}`));
    });

    it('gives the same batches whatever the chunk boundaries (records split across chunks)', async () => {
      const text = Array.from({ length: 23 }, (_, i) => `${i % 2},${i * 0.25},${-i},1e${i % 5}`).join('\r\n') + '\n';
      const whole = await parse(text, { format: 'csv', miniBatchSize: 5 });
      for (const size of [1, 2, 3, 7, 16, 61]) {
        const split = await parse(text, { format: 'csv', miniBatchSize: 5 }, size);
        assert.deepEqual(split.rows, whole.rows, `chunks of ${size}`);
        assert.deepEqual(split.positions, whole.positions, `positions with chunks of ${size}`);
      }
      assert.equal(whole.rows.length, 23);
      assert.deepEqual(whole.positions.map((p) => p.records), [5, 10, 15, 20, 23]);
    });

    it('reads a last record with no newline, skips blank lines, a header, and other delimiters', async () => {
      assert.deepEqual((await parse('1,2\n\n3,4', { format: 'csv' })).rows.map((r) => [r.label, ...r.values]), [[1, 2], [3, 4]]);
      const { rows } = await parse('y\tx1\tx2\n1\t2\t3\n', { format: 'csv', delimiter: '\t', header: true });
      assert.deepEqual(rows[0], { values: [2, 3], label: 1, weight: 1 });
    });

    it('infers the width from the first record after a BOM, a header and blank lines, in any chunks', async () => {
      // The first record is found by reading only the lines up to it; a blank line with spaces
      // must not be taken for it. A header of another width than the rows is refused (it was read
      // past, and the width taken from the rows).
      const text = '\ufeffy,a,b\n\n  \n1,2,3\n0,4,5';
      for (const size of [1, 2, 5, 13, 64]) {
        const { rows } = await parse(text, { format: 'csv', header: true }, size);
        assert.deepEqual(rows.map((r) => [r.label, ...r.values]), [[1, 2, 3], [0, 4, 5]], `chunks of ${size}`);
        await assert.rejects(parse(text.replace('y,a,b', 'y,a,b,c,d'), { format: 'csv', header: true }, size),
          /^DataError: iterable, line 1: the header names 5 columns and the first record holds 3 \(split at ","\): is the delimiter right\?/);
      }
      // The only record has no newline after it.
      assert.deepEqual((await parse('7,8', { format: 'csv' }, 1)).rows[0], { values: [8], label: 7, weight: 1 });
      // Nothing but a header and blank lines: no batches, no error.
      assert.deepEqual((await parse('y,a\n\n', { format: 'csv', header: true }, 3)).rows, []);
      // Blank lines before the header: the header is the first non-blank line (they once took the
      // header's place, and the header was read as a record).
      const late = '\n \r\n\ny,a,b\n1,2,3\n';
      for (const size of [1, 4, 64]) {
        assert.deepEqual((await parse(late, { format: 'csv', header: true }, size)).rows.map((r) => [r.label, ...r.values]), [[1, 2, 3]], `chunks of ${size}`);
      }
      await assert.rejects(parse(late, { format: 'csv' }),
        /^DataError: iterable, line 4: label \(column 1\) 'y' is not a number; the first non-blank line looks like a header: pass --header \(header: true in the API\) to skip it$/);
    });

    it('takes the label from another column, or none (label_size 0)', async () => {
      assert.deepEqual((await parse('2,3,9\n', { format: 'csv', labelColumn: 2 })).rows[0], { values: [2, 3], label: 9, weight: 1 });
      // A label column past the last column (found by fuzzing: it once wrote past the row).
      await assert.rejects(parse('2,3,9\n', { format: 'csv', labelColumn: 3 }), /the label's column \(column 4: labelColumn 3, --label-column 4\) is beyond the first record's 3 columns$/);
      assert.throws(() => readBatches([], { miniBatchSize: 1, featureDim: 2, labelColumn: 3 }), /labelColumn must be an integer in \[0, 2\], got 3$/);
      const addon = loadCoreAddon();
      const parser = new addon.StreamParser({ format: 'csv', featureDim: 1, labelColumn: 2 });
      parser.setTarget(new Float32Array(1), new Float32Array(1), null, null, null, 1, 0);
      assert.equal(parser.feedSync(Buffer.from('5,6\n')).error, 'line 1: expected 2 columns with the label in column 3, found 2');
      const unsupervised = await parse('2,3,9\n', { format: 'csv', labelSize: 0 });
      assert.deepEqual(unsupervised.rows[0].values, [2, 3, 9]);
      assert.equal(unsupervised.rows[0].label, undefined);
    });

    it('stops on a bad record naming the source, line and reason', async () => {
      const bad: [string, RegExp][] = [
        ['1,2,3\n1,2\n', /^DataError: iterable, line 2: expected 3 columns, found 2$/],
        ['1,2,3\n1,2,3,4\n', /line 2: expected 3 columns, found 4$/],
        ['1,2,3\n1,x,3\n', /line 2: column 2 'x' is not a number$/],
        ['1,2,3\n\n1,2,nan\n', /line 3: column 3 is 'nan'; values must be finite \(a missing value: fill or drop missing values first, or skip such rows with --on-bad-record skip\)$/],
        ['1,2,3\n1,2,1e39\n', /line 2: column 3 '1e39' overflows float32$/],
        ['1,2,3\n1,2,-1e999\n', /line 2: column 3 '-1e999' overflows float32$/],
        ['1,2,3\nz,2,3\n', /line 2: label \(column 1\) 'z' is not a number$/],
        ['1,2,3\n1,,3\n', /line 2: column 2 is empty \(a missing value: fill or drop missing values first, or skip such rows with --on-bad-record skip\)$/],
        // The last line cut off mid-record (no newline after it) is said to be the last line.
        ['1,2,3\n1,2', /^DataError: iterable, line 2: expected 3 columns, found 2 \(the last line, which has no newline after it: was the input cut short\?\)$/],
        ['1,2,3\n1,2\n1,2,3', /^DataError: iterable, line 2: expected 3 columns, found 2$/],
      ];
      for (const [text, message] of bad) await assert.rejects(parse(text, { format: 'csv' }), message);
    });

    it('skips bad records on request and counts them by reason', async () => {
      const { rows, stats } = await parse('1,2,3\n1,2\n1,x,3\n0,5,6\n1,inf,2\n', { format: 'csv', onBadRecord: 'skip' });
      assert.deepEqual(rows.map((r) => r.label), [1, 0]);
      assert.deepEqual(stats.badRecords, { column_count: 1, unparsable_number: 1, non_finite: 1 });
    });

    it('refuses a record longer than maxRecordBytes that spans chunks, instead of buffering without bound', async () => {
      const long = '1,' + '2,'.repeat(5000) + '3\n';
      await assert.rejects(parse(long, { format: 'csv', maxRecordBytes: 4096, featureDim: 5001 }, 1000),
        /^DataError: iterable, line 1: record is longer than 4096 bytes \(raise --max-record-bytes, maxRecordBytes in the API\)$/);
      await assert.rejects(parse(long, { format: 'csv', maxRecordBytes: 4096 }, 1000),
        /^DataError: iterable, line 1: record is longer than 4096 bytes \(raise --max-record-bytes, maxRecordBytes in the API\)$/);
    });
  });

  it("says LIBSVM's multi-label lines are several labels (it said a decimal comma), and leaves a thousands separator to that hint", async () => {
    await assert.rejects(parse('1 2:1\n1,3 2:1\n', { format: 'libsvm', featureDim: 3 }),
      /line 2: label '1,3' is several labels \(LIBSVM's multi-label format\): each line here has one label; train one binary classifier per label, or a multiclass_classifier on lines of one label each$/);
    await assert.rejects(parse('0,2,5 1:1\n', { format: 'libsvm', featureDim: 3 }), /label '0,2,5' is several labels/);
    await assert.rejects(parse('1,234 1:1\n', { format: 'libsvm', featureDim: 3 }), /label '1,234' is not a number \(a decimal comma or a thousands separator/);
  });

  describe('repeated sparse features', () => {
    // Repeated features add up; finite values can add past float32's range, which became an
    // Infinity in converted files and null scores from predict.
    const past = /feature 1 appears 2 times and its values add up past float32's range \(±3\.4e38\); repeated features add$/;
    it('refuses a libsvm row whose repeats add past float32, naming the line and the feature', async () => {
      await assert.rejects(parse('1 2:1\n1 1:3e38 2:1 1:3e38\n', { format: 'libsvm', featureDim: 3 }),
        /^DataError: iterable, line 2: feature 1 appears 2 times/);
      await assert.rejects(parse('1 1:-3e38 1:-3e38\n', { format: 'libsvm', featureDim: 3 }), past);
      const { stats } = await parse('1 1:3e38 1:3e38\n0 2:1\n', { format: 'libsvm', featureDim: 3, onBadRecord: 'skip' });
      assert.deepEqual(stats.badRecords, { non_finite: 1 });
    });
    it('keeps repeats that stay in range, however large, as the sum they add to', async () => {
      // 3e38 − 3e38 + 3e38 never leaves the range in float32 order.
      const { rows } = await parse('1 1:3e38 2:1 1:-3e38 1:3e38\n', { format: 'libsvm', featureDim: 3 });
      assert.deepEqual(rows[0].indices, [0, 1, 0, 0]);
    });
    it('refuses a VW value its namespace scale takes past float32, saying so (not a repeat)', async () => {
      await assert.rejects(parse('1 |f:2 a:3e38\n', { format: 'vw', hashBits: 4 }),
        /line 1: feature \d+'s value times its namespace's scale is past float32's range \(±3\.4e38\)$/);
    });
    it('refuses the same in sparse JSON Lines, into dense rows as well', async () => {
      const line = '{"features":{"keys":[1,1],"values":[3e38,3e38],"shape":[3]},"label":1}\n';
      await assert.rejects(parse(line, { format: 'jsonl', featureDim: 3 }), /line 1: feature 1 appears 2 times/);
    });
  });

  describe('libsvm', () => {
    it('reads 1-based indices into CSR rows, with comments, qid and blank lines', async () => {
      const text = '# a comment line\n+1 1:0.5 3:2 # trailing comment\n\n-1 qid:7 2:1e-2\n0\n';
      const { rows } = await parse(text, { format: 'libsvm', featureDim: 3 });
      assert.deepEqual(rows, [
        { indices: [0, 2], values: [0.5, 2], label: 1, weight: 1 },
        { indices: [1], values: [f(0.01)], label: -1, weight: 1 },
        { indices: [], values: [], label: 0, weight: 1 },
      ]);
    });

    it('the one-pass scan of index:value and of unquoted CSV fields gives the general parse\'s bits', async () => {
      // Quoted CSV fields always take the general path (find the field, then parse it); unquoted CSV
      // fields and libsvm pairs take the one-pass scan when the number is short. All three must agree.
      let state = 11;
      const next = (n: number) => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return (state >>> 8) % n; };
      const digits = (n: number) => Array.from({ length: n }, () => next(10)).join('');
      const literal = () => {
        const sign = ['', '-', '+'][next(3)];
        const whole = digits(next(6));
        const fraction = next(3) === 0 ? '' : `.${digits(next(10))}`;
        const exponent = next(3) === 0 ? `${'eE'[next(2)]}${['', '-', '+'][next(3)]}${next(14)}` : '';
        return `${sign}${whole || '0'}${fraction}${exponent}`;
      };
      const values = Array.from({ length: 6000 }, literal);
      const rows = [];
      for (let i = 0; i < values.length; i += 6) rows.push(values.slice(i, i + 6));
      const csv = rows.map((r) => `0,${r.join(',')}`).join('\n');
      const quoted = rows.map((r) => `0,${r.map((v) => `"${v}"`).join(',')}`).join('\n');
      const libsvm = rows.map((r) => `0 ${r.map((v, j) => `${j + 1}:${v}`).join(' ')}`).join('\n');
      const general = (await parse(quoted, { format: 'csv', miniBatchSize: 100 })).rows.flatMap((r) => r.values);
      const scanned = (await parse(csv, { format: 'csv', miniBatchSize: 100 })).rows.flatMap((r) => r.values);
      const pairs = (await parse(libsvm, { format: 'libsvm', featureDim: 6, miniBatchSize: 100 })).rows.flatMap((r) => r.values);
      assert.equal(general.length, values.length);
      for (let i = 0; i < values.length; i++) {
        assert.ok(Object.is(scanned[i], general[i]), `CSV ${values[i]}: ${scanned[i]} against ${general[i]}`);
        // libsvm keeps explicit zeros as given: the same value, position for position.
        assert.ok(Object.is(pairs[i], general[i]), `libsvm ${values[i]}: ${pairs[i]} against ${general[i]}`);
      }
    });

    it('refuses a delimiter a number can hold (digits . e E + -): fields could not be told from their numbers', async () => {
      for (const delimiter of ['.', 'e', 'E', '+', '-', '7']) {
        await assert.rejects(parse('1.2.3\n', { format: 'csv', delimiter, featureDim: 2 }),
          { message: `readBatches: delimiter ${JSON.stringify(delimiter)} can appear inside a number (digits, '.', 'e', 'E', '+', '-'), so fields could not be told apart: use another` });
      }
    });

    it('reads libsvm lines without a label when the rows have none (labelSize 0), and says what is wrong when they should have one', async () => {
      const { rows } = await parse('1:0.5 3:1.2\n7 2:1\n', { format: 'libsvm', featureDim: 3, labelSize: 0 });
      // The first line is all features; the second's label (7) is read and not kept.
      assert.deepEqual(rows.map((r) => [r.indices, r.values, r.label]), [[[0, 2], [0.5, 1.2000000476837158], undefined], [[1], [1], undefined]]);
      await assert.rejects(parse('1:0.5 3:1.2\n', { format: 'libsvm', featureDim: 3 }),
        /^DataError: iterable, line 1: the line begins with feature '1:0\.5', not a label: libsvm lines begin with the label \(rows without one: --label-size 0, labelSize: 0 in the API\)$/);
    });

    it('reports a pair\'s index before its value, whichever path reads it', async () => {
      await assert.rejects(parse('1 4:x\n', { format: 'libsvm', featureDim: 3 }), /line 1: feature index '4' is outside \[1, 3\]/);
      await assert.rejects(parse('1 4:2\n', { format: 'libsvm', featureDim: 3 }), /line 1: feature index '4' is outside \[1, 3\]/);
      await assert.rejects(parse('1 2:1e\n', { format: 'libsvm', featureDim: 3 }), /line 1: value of feature 2 '1e' is not a number$/);
      await assert.rejects(parse('1 1:2 123456789012345678901234:1\n', { format: 'libsvm', featureDim: 3 }),
        /line 1: feature index '123456789012345678901234' is not a non-negative integer$/);
      await assert.rejects(parse('0,1e,2\n', { format: 'csv' }), /line 1: column 2 '1e' is not a number$/);
    });

    it('reads blanks inside quotes as blanks outside them: R\'s format() pads numbers ("  93.0")', async () => {
      const { rows } = await parse('"1"," 93.0","  7 "\n0,2.5, 8\n', { format: 'csv' });
      assert.deepEqual(rows.map((r) => [r.label, ...r.values]), [[1, 93, 7], [0, 2.5, 8]]);
    });

    it('says a field is a missing value on any line, and a decimal comma', async () => {
      const missing = '(a missing value: fill or drop missing values first, or skip such rows with --on-bad-record skip)';
      for (const mark of ['NA', '"NA"', 'NULL', 'None', '?', '#N/A']) {
        await assert.rejects(parse(`1,2,3\n4,${mark},6\n`, { format: 'csv' }), (error: Error) => error.message.endsWith(`line 2: column 2 '${mark.replace(/"/g, '')}' is not a number ${missing}`));
      }
      await assert.rejects(parse('1,2,3\n4,NAN1,6\n', { format: 'csv' }), /line 2: column 2 'NAN1' is not a number$/);
      // R's write.csv2 read with --delimiter ';': decimal commas.
      await assert.rejects(parse('1;2;3\n4;10,3;6\n', { format: 'csv', delimiter: ';' }),
        /line 2: column 2 '10,3' is not a number \(a decimal comma: numbers are read with a decimal point; R's write.csv2 writes commas, write.csv points\)$/);
    });

    it('says when a field holds a bare CR (lines of classic Mac OS), and when the label\'s field holds numbers split by another delimiter (they named neither)', async () => {
      await assert.rejects(parse('1,2,3\r0,1,1\r', { format: 'csv' }),
        /line 1: column 3 '3.{1,2}0' is not a number \(the lines end in a bare CR, as classic Mac OS and Excel's "CSV \(Macintosh\)" write them: turn them into newlines first, e\.g\. tr '\\r' '\\n' < in\.csv > out\.csv\)$/);
      // A file of ';' with decimal commas, read at ',': the label's field holds numbers split by ';' (no hint named the delimiter).
      await assert.rejects(parse('1;0,5;2\n0;1,5;3\n', { format: 'csv' }),
        /line 1: label \(column 1\) '1;0' is not a number; its values are numbers split by ";": pass --delimiter ';' \(delimiter in the API\)$/);
    });

    it('says a quoted number with the delimiter inside it whole, and what its commas may be', async () => {
      // A spreadsheet's export of formatted numbers: the quotes hold the field's comma. It was said as '"1'.
      await assert.rejects(parse('1,2,3\n0,"1,234",6\n', { format: 'csv' }),
        /line 2: column 2 '1,234' is not a number \(a decimal comma or a thousands separator: numbers are read with a decimal point and without digit grouping; R's write\.csv2 writes decimal commas, write\.csv points\)$/);
      await assert.rejects(parse('1,2,3\n0,"1,234,567.5",6\n', { format: 'csv' }),
        /line 2: column 2 '1,234,567\.5' is not a number \(thousands separators: numbers are read without digit grouping; write the column unformatted\)$/);
      await assert.rejects(parse('1;2;3\n0;1.234,5;6\n', { format: 'csv', delimiter: ';' }),
        /line 2: column 2 '1\.234,5' is not a number \(a decimal comma with points between thousands: numbers are read with a decimal point and without digit grouping\)$/);
      // Not numbers with commas: no hint, and the quoted field is one column (the count is right).
      await assert.rejects(parse('1,2,3\n0,"a,b",6\n', { format: 'csv' }), /line 2: column 2 'a,b' is not a number$/);
      await assert.rejects(parse('1,2,3\n0,"1,,2",6\n', { format: 'csv' }), /line 2: column 2 '1,,2' is not a number$/);
      // The label's column too.
      await assert.rejects(parse('1,2,3\n"1,5",2,6\n', { format: 'csv' }), /line 2: label \(column 1\) '1,5' is not a number \(a decimal comma:/);
    });

    it('says a CSV line looks like libsvm', async () => {
      await assert.rejects(parse('0 5:1 6:0.25\n', { format: 'csv', labelSize: 0 }),
        /line 1: column 1 '0 5:1 6:0\.25' is not a number; the line looks like libsvm \(a label, then index:value pairs\): pass --format libsvm \(format: 'libsvm' in the API\)$/);
      await assert.rejects(parse('0 5:1 6:0.25\n', { format: 'csv' }),
        /the first record has no feature columns \(1 column split at ",", one of them the label; is the delimiter right\?\); the line looks like libsvm \(a label, then index:value pairs\): pass --format libsvm/);
    });

    it('says a JSON Lines line read as CSV (the default format) looks like JSON Lines (it said to pass --header)', async () => {
      await assert.rejects(parse('{"text": "the cars were fast", "id": 1}\n{"text": "fast, faster"}\n', { format: 'csv', labelSize: 0 }),
        /line 1: '\{"text": "the cars were fast", "id": 1\}' looks like JSON Lines \(a \{…\} object\), not CSV: pass --format jsonl for rows of features, or --format text for documents of raw text \(format: 'jsonl' or 'text' in the API\)$/);
      // libsvm said only "feature index '{"text"' is not a non-negative integer".
      await assert.rejects(parse('{"text": "the cars"}\n', { format: 'libsvm', featureDim: 10 }),
        /line 1: '\{"text": "the cars"\}' looks like JSON Lines \(a \{…\} object\), not libsvm: pass --format jsonl/);
    });

    it('says a libsvm or VW line looks like CSV (its hint was about thousands separators)', async () => {
      await assert.rejects(parse('0,12.3,19.02,77.88\n', { format: 'libsvm', featureDim: 3 }),
        /line 1: '0,12\.3,19\.02,77\.88' looks like CSV \(numbers separated by commas, no index:value pairs\), not libsvm: pass --format csv \(format: 'csv' in the API\)$/);
      await assert.rejects(parse('1,2\n', { format: 'vw', hashBits: 4 }), /line 1: '1,2' looks like CSV .*, not VW: pass --format csv/);
      await assert.rejects(parse('1 1:2\n0,12.3,19.02\n', { format: 'libsvm', featureDim: 3 }), /line 2: label '0,12\.3,19\.02' is not a number \(thousands/);
    });

    it('reads 0-based indices when asked', async () => {
      assert.deepEqual((await parse('1 0:4 2:5\n', { format: 'libsvm', featureDim: 3, zeroBased: true })).rows[0].indices, [0, 2]);
    });

    it('rejects indices out of range, index 0 in a 1-based file, and malformed pairs', async () => {
      await assert.rejects(parse('1 4:1\n', { format: 'libsvm', featureDim: 3 }), /line 1: feature index '4' is outside \[1, 3\] \(feature_dim 3\)$/);
      await assert.rejects(parse('1 0:1\n', { format: 'libsvm', featureDim: 3 }), /line 1: feature index 0 in a 1-based file \(--zero-based, zeroBased: true in the API, reads 0-based indices\)$/);
      await assert.rejects(parse('1 2\n', { format: 'libsvm', featureDim: 3 }), /line 1: feature '2' is not index:value$/);
      await assert.rejects(parse('1 -2:1\n', { format: 'libsvm', featureDim: 3 }), /line 1: feature index '-2' is not a non-negative integer$/);
      await assert.rejects(parse('1 2:x\n', { format: 'libsvm', featureDim: 3 }), /line 1: value of feature 2 'x' is not a number$/);
    });

    it('starts a new batch when the non-zeros would overflow it; a record larger than a batch is an error', async () => {
      const text = '1 1:1 2:1 3:1\n0 1:1 2:1 3:1\n1 1:1\n';
      const { positions, rows } = await parse(text, { format: 'libsvm', featureDim: 3, nnzPerBatch: 4 });
      assert.deepEqual(positions.map((p) => p.records), [1, 3]);
      assert.equal(rows.length, 3);
      await assert.rejects(parse('1 1:1 2:1 3:1\n', { format: 'libsvm', featureDim: 3, nnzPerBatch: 2 }),
        /line 1: more non-zeros than a whole batch holds \(2\)$/);
    });
  });

  describe('Vowpal Wabbit', () => {
    const hash = (name: string, seed: number) => loadCoreAddon().murmurHash3(Buffer.from(name), seed);

    it('matches the reference MurmurHash3 x86_32 test vectors', () => {
      assert.equal(hash('', 0), 0);
      assert.equal(hash('', 1), 0x514e28b7);
      assert.equal(hash('hello', 0), 0x248bfa47);
      assert.equal(hash('The quick brown fox jumps over the lazy dog', 0), 0x2e4ff723);
    });

    it('reads label, importance, tag and namespaces, hashing names into 2^b buckets', async () => {
      const bits = 10;
      const mask = (1 << bits) - 1;
      const { rows, featureDim } = await parse("1 2.5 'ex1|user age:0.5 city=paris |ad:2 banner 42\n-1 |user age\n", { format: 'vw', hashBits: bits });
      assert.equal(featureDim, 1024);
      const user = hash('user', 0);
      const ad = hash('ad', 0);
      assert.deepEqual(rows[0], {
        label: 1, weight: 2.5,
        indices: [hash('age', user) & mask, hash('city=paris', user) & mask, hash('banner', ad) & mask, (42 + ad) & mask],
        values: [0.5, 1, 2, 2],
      });
      assert.deepEqual(rows[1], { label: -1, weight: 1, indices: [hash('age', user) & mask], values: [1] });
    });

    it('uses namespace hash 0 for the default namespace', async () => {
      const { rows } = await parse('0 | a b:3\n', { format: 'vw', hashBits: 8 });
      assert.deepEqual(rows[0].indices, [hash('a', 0) & 255, hash('b', 0) & 255]);
      assert.deepEqual(rows[0].values, [1, 3]);
    });

    it('requires a label for supervised training, not for unsupervised', async () => {
      await assert.rejects(parse('|f a\n', { format: 'vw' }), /line 1: no label before '\|' \(labels are expected: --label-size 0 if the records have none\)$/);
      assert.equal((await parse('|f a\n', { format: 'vw', labelSize: 0 })).rows.length, 1);
      await assert.rejects(parse('1 a b\n', { format: 'vw' }), /line 1: no '\|' before the features$/);
    });
  });
});
