// The `text` format: JSON Lines documents tokenised, stop words removed, words hashed into
// featureDim buckets (MurmurHash3, seed 0, modulo featureDim) and counted, with each entry's
// most frequent word beside it (batch.words). Expected rows are computed here from word lists
// and the addon's murmurHash3 (the same function VW hashing is tested with).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCoreAddon } from '../../lib/backends/native-addon.js';
import type { SparseBatch } from '../../lib/data/batch.js';
import { packBatch } from '../../lib/distributed/dealt-batches.js';
import { readBatches, type ReadOptions } from '../../lib/index.js';
import { Random } from '../../lib/random.js';

interface Row { entries: [number, number, string][] }

const bucketOf = (word: string, dim: number) => loadCoreAddon().murmurHash3(Buffer.from(word), 0) % dim;

/** The row a document of these words (already tokenised) must give: [bucket, count, word] ascending. */
function expectedRow(words: string[], dim: number): Row {
  const counts = new Map<string, number>();
  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  const buckets = new Map<number, { count: number; word: string; best: number }>();
  for (const [word, count] of counts) {  // Map keeps first-seen order: ties go to the first seen
    const bucket = bucketOf(word, dim);
    const entry = buckets.get(bucket);
    if (!entry) buckets.set(bucket, { count, word, best: count });
    else {
      entry.count += count;
      if (count > entry.best) Object.assign(entry, { word, best: count });
    }
  }
  return { entries: [...buckets].sort((a, b) => a[0] - b[0]).map(([bucket, e]) => [bucket, e.count, e.word]) };
}

function rowsOf(batch: SparseBatch): Row[] {
  const rows: Row[] = [];
  const decode = (k: number) => Buffer.from(batch.words!.bytes.subarray(batch.words!.offsets[k], batch.words!.offsets[k + 1])).toString('utf8');
  for (let r = 0; r < batch.rows; r++) {
    const entries: Row['entries'] = [];
    for (let k = batch.indptr[r]; k < batch.indptr[r + 1]; k++) entries.push([batch.indices[k], batch.values[k], decode(k)]);
    rows.push({ entries });
  }
  return rows;
}

async function read(input: string | Buffer[], options: Partial<ReadOptions> & { featureDim: number }) {
  const rows: Row[] = [];
  const stream = readBatches(input, { format: 'text', miniBatchSize: 4, ...options } as ReadOptions);
  for await (const batch of stream) {
    assert.equal(batch.kind, 'sparse');
    assert.equal(batch.labels, undefined, 'text batches have no labels');
    rows.push(...rowsOf(batch as SparseBatch));
  }
  return { rows, stats: stream.stats };
}

/** The bytes in pieces of `size`: records split across chunks everywhere. */
const chunked = (text: string | Buffer, size: number) => {
  const bytes = Buffer.from(text);
  return Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
};

const stopWords = [...readFileSync(fileURLToPath(new URL('../../native/io/stop_words_en.h', import.meta.url)), 'utf8')
  .matchAll(/^ {4}"([a-z]+)",$/gm)].map((m) => m[1]);

describe('text format (raw documents)', () => {
  it('tokenises, folds case, removes stop words and counts words per bucket, with each bucket\'s word', async () => {
    const lines = [
      '{"id": 7, "text": "The Cat sat on the mat; the cat, THE CAT!"}',
      '{"text": "caf\\u00e9 \\"quoted\\" line\\nbreak \\ud83d\\ude00smile \\u0041pple tab\\there a\\/b"}',
      '{"text": "Ελληνικά ПРИВЕТ Straße naïve ÀÉÎ 東京 ＡＢＣ — dash…ellipsis «guillemets»"}',
      '{"meta": {"text": "nested is skipped"}, "text": "Don\'t can\'t \'quoted\' rock\'n\'roll dogs\' o\u2019clock"}',
      `{"text": "covid19 mp3 x2y snake_case ${'a'.repeat(32)} ${'b'.repeat(33)} ${'é'.repeat(16)} ${'è'.repeat(17)}"}`,
      '{"text": "first", "text": "last wins"}',
      '{"text": ""}',
    ];
    const words = [
      ['cat', 'sat', 'mat', 'cat', 'cat'],
      ['café', 'quoted', 'line', 'break', 'smile', 'apple', 'tab'],  // "here" is a stop word
      ['ελληνικά', 'привет', 'straße', 'naïve', 'àéî', '東京', 'ＡＢＣ', 'dash', 'ellipsis', 'guillemets'],
      ['dont', 'cant', 'quoted', 'rocknroll', 'dogs', 'oclock'],
      ['covid', 'mp', 'snake', 'case', 'a'.repeat(32), 'é'.repeat(16)],
      ['wins'],
      [],
    ];
    for (const dim of [1 << 20, 64]) {
      const { rows, stats } = await read([Buffer.from(lines.join('\n') + '\n')], { featureDim: dim });
      assert.deepEqual(rows, words.map((w) => expectedRow(w, dim)), `featureDim ${dim}`);
      assert.equal(stats.records, lines.length);
    }
  });

  it('a bucket shared by several words counts them all and is named by the most frequent, ties to the first seen', async () => {
    const { rows } = await read([Buffer.from('{"text": "beta alpha alpha beta gamma"}\n{"text": "gamma beta gamma"}')], { featureDim: 1 });
    assert.deepEqual(rows, [{ entries: [[0, 5, 'beta']] }, { entries: [[0, 3, 'gamma']] }]);
  });

  it('removes every word of the vendored stop-word list, in any case', async () => {
    assert.equal(stopWords.length, 301);
    const text = stopWords.map((w, i) => (i % 2 ? w.toUpperCase() : w)).join(' ');
    const { rows } = await read([Buffer.from(JSON.stringify({ text: `${text} keepme` }))], { featureDim: 1000 });
    assert.deepEqual(rows, [expectedRow(['keepme'], 1000)]);
  });

  it('agrees with a reference tokeniser on random documents, whatever the chunks, batches and threads', async () => {
    const random = Random.fromSeed(7);
    const vocabulary = ['apple', 'Banana', 'cherry', "o'neil", 'THE', 'and', 'zeta', 'x', 'naïve', 'Ünïcode', 'straße', 'data', 'stream'];
    const separators = [' ', '  ', ', ', '.\\n', '\\t', ' 42 ', '-', '_', ' (', ') ', '\\"', '/', ' \\u00a0 '];
    const documents: string[] = [];
    const expected: string[][] = [];
    for (let i = 0; i < 600; i++) {
      const count = Math.floor(random.nextFloat() * 40);
      const picked = Array.from({ length: count }, () => vocabulary[Math.floor(random.nextFloat() * vocabulary.length)]);
      documents.push(picked.map((w, j) => (j > 0 ? separators[Math.floor(random.nextFloat() * separators.length)] : '') + w).join(''));
      expected.push(picked.map((w) => w.toLowerCase().replace("'", ''))  // (Ü is Latin-1: lower-cased too)
        .filter((w) => Buffer.byteLength(w) >= 2 && !stopWords.includes(w)));
    }
    const text = documents.map((d) => `{"n": ${d.length}, "text": "${d}"}`).join('\n') + '\n';
    const dim = 97;
    const want = expected.map((w) => expectedRow(w, dim));
    for (const [size, miniBatchSize, nnzPerBatch] of [[1 << 20, 100, undefined], [7, 3, undefined], [333, 50, 40], [64, 1, 16]] as const) {
      const { rows } = await read(chunked(text, size), { featureDim: dim, miniBatchSize, nnzPerBatch });
      assert.deepEqual(rows, want, `chunks of ${size}, ${miniBatchSize} rows, ${nnzPerBatch ?? 'default'} non-zeros per batch`);
    }
  });

  it('a batch fills by its words\' bytes too (long words), and carries on in the next', async () => {
    // 16 bytes of words per non-zero: 30-byte words run out of bytes before the batch runs out of entries.
    const letter = (n: number) => String.fromCharCode(97 + (Math.floor(n) % 26));
    const long = (i: number) => `w${letter(i / 676)}${letter(i / 26)}${letter(i)}${'q'.repeat(26)}`;  // 30 bytes, no digits
    const lines = Array.from({ length: 12 }, (_, d) => JSON.stringify({ text: Array.from({ length: 6 }, (_, j) => long(d * 6 + j)).join(' ') }));
    const stream = readBatches([Buffer.from(lines.join('\n'))], { format: 'text', miniBatchSize: 100, featureDim: 1 << 16, nnzPerBatch: 20 });
    const sizes: number[] = [];
    const rows: Row[] = [];
    for await (const batch of stream) {
      const sparse = batch as SparseBatch;
      sizes.push(batch.rows);
      assert.ok(sparse.words!.offsets[sparse.indptr[batch.rows]] <= 20 * 16);
      rows.push(...rowsOf(sparse));
    }
    assert.deepEqual(sizes, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 'a row of 6 × 30 bytes fits 320 bytes once');
    assert.deepEqual(rows, lines.map((_, d) => expectedRow(Array.from({ length: 6 }, (_, j) => long(d * 6 + j)), 1 << 16)));
  });

  it('a shuffled stream and batches dealt to workers keep each entry\'s word beside it', async () => {
    const lines = Array.from({ length: 300 }, (_, i) => JSON.stringify({ text: `doc${'abcdefghij'[i % 10]}${'klmnopqrst'[Math.floor(i / 10) % 10]} shared words${'uvwxy'[i % 5]}` }));
    const dim = 512;
    const key = (row: Row) => JSON.stringify(row.entries);
    const expected = lines.map((line) => key(expectedRow(JSON.parse(line).text.split(' '), dim))).sort();
    const shuffled: string[] = [];
    const dealt: string[] = [];
    for await (const batch of readBatches([Buffer.from(lines.join('\n'))], { format: 'text', miniBatchSize: 16, featureDim: dim, shuffleBuffer: 4, seed: 3 })) {
      shuffled.push(...rowsOf(batch as SparseBatch).map(key));
    }
    for await (const batch of readBatches([Buffer.from(lines.join('\n'))], { format: 'text', miniBatchSize: 16, featureDim: dim })) {
      dealt.push(...rowsOf(packBatch(batch).dealt as SparseBatch).map(key));
    }
    assert.notDeepEqual(shuffled, [...shuffled].sort(), 'the rows were shuffled');
    assert.deepEqual([...shuffled].sort(), expected);
    assert.deepEqual(dealt.sort(), expected);
  });

  it('bad records name the file and line: invalid JSON, no text, text not a string, bad escapes; skip counts them', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'boundless-text-'));
    try {
      const cases: [string, string][] = [
        ['{"text": "open', 'malformed JSON string'],
        ['{"text": "fine"', 'malformed JSON object (expected \',\' or \'}\')'],
        ['["text"]', 'not a JSON object'],
        ['{"title": "no text here"}', 'no "text"'],
        ['{"text": 5}', '"text" is a number, expected a string'],
        ['{"text": ["a", "b"]}', '"text" is an array, expected a string'],
        ['{"text": null}', '"text" is null, expected a string'],
        ['{"text": {"body": "x"}}', '"text" is an object, expected a string'],
        ['{"text": "bad \\x escape"}', 'invalid escape \'\\x\' in "text"'],
        ['{"text": "bad \\u12G4"}', 'invalid \\u escape in "text" (expected four hex digits)'],
        ['{"text": "x"} trailing', 'text after the JSON object'],
      ];
      for (const [line, reason] of cases) {
        const path = join(directory, 'docs.jsonl');
        writeFileSync(path, `{"text": "good"}\n${line}\n{"text": "also good"}\n`);
        await assert.rejects(read(path, { featureDim: 8 }), (error: Error) => {
          assert.equal(error.name, 'DataError');
          assert.equal(error.message, `${path}, line 2: ${reason}`);
          return true;
        });
      }
      const badUtf8 = Buffer.concat([Buffer.from('{"text": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
      const mixed = Buffer.concat([Buffer.from('{"text": "alpha"}\n'), badUtf8, ...cases.map(([line]) => Buffer.from(line + '\n')), Buffer.from('{"text": "omega"}')]);
      await assert.rejects(read([mixed], { featureDim: 8 }), /^DataError: iterable, line 2: invalid UTF-8 in a JSON string$/);
      const { rows, stats } = await read(chunked(mixed, 5), { featureDim: 8, onBadRecord: 'skip' });
      assert.deepEqual(rows, [expectedRow(['alpha'], 8), expectedRow(['omega'], 8)]);
      assert.deepEqual(stats.badRecords, { syntax: cases.length, invalid_encoding: 1 });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('needs featureDim, and refuses labels', () => {
    assert.throws(() => readBatches([Buffer.from('')], { format: 'text', miniBatchSize: 2 }), /text needs featureDim \(the number of hash buckets words fall into\)/);
    assert.throws(() => readBatches([Buffer.from('')], { format: 'text', miniBatchSize: 2, featureDim: 4, labelSize: 1 }), /text records have no label/);
  });

  it('`boundless convert --format text --to libsvm` writes the counts; without --feature-dim it says what is missing', () => {
    const directory = mkdtempSync(join(tmpdir(), 'boundless-text-cli-'));
    try {
      const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
      const input = join(directory, 'docs.jsonl');
      writeFileSync(input, '{"text": "Streams of streams"}\n{"text": "the end"}\n');
      const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'convert', '--input', input, '--format', 'text', ...args], { encoding: 'utf8' });
      const converted = run('--feature-dim', '1000', '--to', 'libsvm', '--output', '-');
      assert.equal(converted.status, 0, converted.stderr);
      const streams = bucketOf('streams', 1000) + 1;
      const end = bucketOf('end', 1000) + 1;
      assert.equal(converted.stdout, `0 ${streams}:2\n0 ${end}:1\n`);
      const missing = run('--to', 'libsvm', '--output', '-');
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /convert: --format text needs --feature-dim \(the number of hash buckets words fall into\)/);
      const labelled = run('--feature-dim', '8', '--label-size', '1', '--to', 'csv', '--output', '-');
      assert.match(labelled.stderr, /--format text has no labels/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
