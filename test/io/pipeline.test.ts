import assert from 'node:assert/strict';
import { BatchPool, loadCoreAddon, readBatches } from '../../lib/index.js';

const line = (i: number) => `${i % 2},${i},${i * 0.5},${-i}\n`;

describe('batch pipeline', () => {
  it('applies backpressure: a fast source is read only as far as the bounded queue allows', async () => {
    let produced = 0;
    function* endless() {
      for (;;) {
        produced++;
        yield Buffer.from(line(produced)); // one record per chunk
      }
    }
    const stream = readBatches(endless(), { miniBatchSize: 10, prefetch: 2 });
    let seen = 0;
    for await (const batch of stream) {
      seen += batch.rows;
      await new Promise((resolve) => setTimeout(resolve, 5)); // a slow consumer
      if (seen >= 200) break;
    }
    // Pool of prefetch + 2 batches: the producer can be at most ~4 batches (40 records) ahead.
    assert.ok(produced - seen <= 60, `source read ${produced} records for ${seen} consumed`);
    assert.equal(stream.poolBytes(), 4 * (10 * 3 * 4 + 10 * 4 + 10 * 4));
  });

  it('keeps memory flat: the same buffers serve a stream of any length', async () => {
    function* many() {
      for (let i = 0; i < 50_000; i += 100) yield Buffer.from(Array.from({ length: 100 }, (_, k) => line(i + k)).join(''));
    }
    const stream = readBatches(many(), { miniBatchSize: 256 });
    const buffers = new Set<Float32Array>();
    let rows = 0;
    for await (const batch of stream) {
      buffers.add(batch.values);
      rows += batch.rows;
    }
    assert.equal(rows, 50_000);
    assert.ok(buffers.size <= 4, `${buffers.size} distinct buffers`);
    assert.equal(stream.stats.batches, Math.ceil(50_000 / 256));
  });

  it('recycles a batch only when the consumer asks for the next one', async () => {
    const stream = readBatches([Buffer.from(Array.from({ length: 9 }, (_, i) => line(i)).join(''))], { miniBatchSize: 3, prefetch: 1 });
    const firsts: number[] = [];
    const held: { values: Float32Array; first: number }[] = [];
    for await (const batch of stream) {
      firsts.push(batch.values[0]);
      held.push({ values: batch.values, first: batch.values[0] });
      // While we hold it, the batch's contents must not change under us.
      await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(batch.values[0], held[held.length - 1].first);
    }
    assert.deepEqual(firsts, [0, 3, 6]);
  });

  it('parses off the event loop: timers run while a large chunk is parsed', async () => {
    const text = Buffer.from(Array.from({ length: 200_000 }, (_, i) => line(i)).join(''));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    let rows = 0;
    const started = performance.now();
    let firstBatchAt = 0;
    for await (const batch of readBatches([text], { miniBatchSize: 200_000 })) {
      firstBatchAt = performance.now() - started;
      rows += batch.rows;
    }
    clearInterval(timer);
    assert.equal(rows, 200_000);
    // The event loop kept turning during the parse (a blocking parse would allow ~0 ticks).
    assert.ok(ticks >= 1 || firstBatchAt < 2, `ticks ${ticks} during ${firstBatchAt.toFixed(1)} ms`);
  });

  it('stops at the next batch when the signal aborts', async () => {
    const controller = new AbortController();
    function* endless() {
      for (let i = 0; ; i++) yield Buffer.from(line(i));
    }
    let batches = 0;
    await assert.rejects((async () => {
      for await (const _ of readBatches(endless(), { miniBatchSize: 5, signal: controller.signal })) {
        if (++batches === 3) controller.abort();
      }
    })(), { name: 'AbortError' });
    assert.equal(batches, 3);
  });

  it('an abort the producer saw first is one AbortError for the consumer, not also an unhandled rejection', async () => {
    const controller = new AbortController();
    function* endless() {
      for (let i = 0; ; i++) yield Buffer.from(line(i));
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const batches = readBatches(endless(), { miniBatchSize: 5, signal: controller.signal })[Symbol.asyncIterator]();
      await batches.next();
      controller.abort();
      // The producer stops at its next record and fails the queue before the consumer asks again.
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      await assert.rejects(batches.next(), { name: 'AbortError' });
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  it('batchValues widens dense batches to that many values, at most 65,536 rows; sparse batches keep miniBatchSize', async () => {
    const text = Buffer.from(Array.from({ length: 70_000 }, (_, i) => line(i)).join(''));
    const sizes = async (options: Parameters<typeof readBatches>[1]) => {
      const out: number[] = [];
      for await (const batch of readBatches([text], options)) out.push(batch.rows);
      return out;
    };
    // 3 features a row: 30 values → 10 rows; 10^9 values → the 65,536-row cap.
    assert.deepEqual((await sizes({ miniBatchSize: 4, batchValues: 30 })).slice(0, 2), [10, 10]);
    assert.deepEqual(await sizes({ miniBatchSize: 4, batchValues: 1e9 }), [65_536, 70_000 - 65_536]);
    assert.deepEqual((await sizes({ miniBatchSize: 400, batchValues: 30 })).slice(0, 1), [400]);
    const sparse = Buffer.from(Array.from({ length: 50 }, (_, i) => `1 1:${i}\n`).join(''));
    const sparseRows: number[] = [];
    for await (const batch of readBatches([sparse], { format: 'libsvm', featureDim: 2, miniBatchSize: 20, batchValues: 1e6 })) sparseRows.push(batch.rows);
    assert.deepEqual(sparseRows, [20, 20, 10]);
  });

  it('rejects bad options naming the option', () => {
    assert.throws(() => readBatches([], { miniBatchSize: 0 }), /^RangeError: readBatches: miniBatchSize must be a positive integer, got 0$/);
    assert.throws(() => readBatches([], { miniBatchSize: 1, format: 'libsvm' }), /libsvm needs featureDim/);
    assert.throws(() => readBatches([], { miniBatchSize: 1, delimiter: ';;' }), /delimiter must be one byte, got ";;"/);
    assert.throws(() => readBatches([], { miniBatchSize: 1, onBadRecord: 'ignore' as never }), /onBadRecord must be 'error' or 'skip'/);
    // VW rows have 2^hashBits features: another featureDim was ignored
    assert.throws(() => readBatches([], { miniBatchSize: 1, format: 'vw', hashBits: 4, featureDim: 10 }),
      /^RangeError: readBatches: vw hashes features into 2\^hashBits buckets \(2\^4 = 16\), but featureDim is 10: leave featureDim out$/);
    assert.doesNotThrow(() => readBatches([], { miniBatchSize: 1, format: 'vw', hashBits: 4, featureDim: 16 }));
  });

  it('the pool refuses a double release and a foreign batch', async () => {
    const pool = new BatchPool({ sparse: false, rows: 2, cols: 2, labelSize: 1 }, 2);
    const other = new BatchPool({ sparse: false, rows: 2, cols: 2, labelSize: 1 }, 2);
    const batch = await pool.acquire();
    pool.release(batch);
    assert.throws(() => pool.release(batch), /batch 1 released twice/);
    const foreign = await other.acquire();
    assert.throws(() => pool.release(Object.assign({}, foreign)), /not from this pool/);
  });

  describe('randomized input never crashes the native parser', () => {
    const addon = loadCoreAddon();
    const formats = [
      { format: 'csv' as const, featureDim: 3, seedText: '1,2.5,-3e4,0\n0,"1",+2,.5\n' },
      { format: 'libsvm' as const, featureDim: 50, seedText: '+1 1:0.5 7:2 # c\n-1 qid:3 50:1e-3\n' },
      { format: 'vw' as const, featureDim: 1 << 10, seedText: "1 0.5 'tag|ns:2 a b:3 12 |x y\n-1 | z\n" },
      { format: 'text' as const, featureDim: 7, seedText: '{"text": "Don\\u0027t caf\\u00e9 \\ud83d\\ude00 stops"}\n{"id": [1], "text": "ab\\ncd ab"}\n' },
    ];
    for (const { format, featureDim, seedText } of formats) {
      it(`${format}: 3,000 mutated and random inputs in random chunkings`, () => {
        let state = 0x9e3779b9;
        const random = (n: number) => {
          state ^= state << 13; state >>>= 0;
          state ^= state >>> 17;
          state ^= state << 5; state >>>= 0;
          return state % n;
        };
        const alphabet = Buffer.from('0123456789.,:|\'"+-eE \t\r\n#abcqid\u00e9\u0000');
        const sparse = format !== 'csv';
        const words = format === 'text' ? { offsets: new Uint32Array(17), bytes: new Uint8Array(48) } : undefined;
        let parsedRows = 0;
        for (let trial = 0; trial < 3000; trial++) {
          const input = Buffer.from(seedText.repeat(1 + random(4)));
          for (let m = 0; m < 1 + random(8); m++) {
            const at = random(input.length);
            if (random(2) === 0) input[at] = alphabet[random(alphabet.length)];
            else input[at] = random(256);
          }
          const parser = new addon.StreamParser({ format, featureDim, hashBits: 10, skipBad: trial % 2 === 0, maxRecordBytes: 64 });
          const rows = 4;
          const values = new Float32Array(sparse ? 16 : rows * featureDim);
          const labels = new Float32Array(rows);
          const indptr = sparse ? new Int32Array(rows + 1) : null;
          const indices = sparse ? new Uint32Array(16) : null;
          parser.setTarget(values, labels, null, indptr, indices, rows, sparse ? 16 : 0, words?.offsets ?? null, words?.bytes ?? null);
          let data = input.subarray(0);
          for (let guard = 0; guard < 10_000 && data.length > 0; guard++) {
            const piece = data.subarray(0, 1 + random(20));
            const result = parser.feedSync(piece);
            if (result.error) {
              assert.match(result.error, /^line \d+: /);
              break;
            }
            data = data.subarray(result.consumed);
            if (result.full) {
              parsedRows += result.rows;
              if (sparse) for (let i = 0; i < result.nnz; i++) assert.ok(indices![i] < featureDim, 'index in range');
              if (words) {
                const { offsets, bytes } = words;
                for (let i = 0; i < result.nnz; i++) assert.ok(offsets[i] <= offsets[i + 1], 'word offsets ascend');
                assert.ok(offsets[result.nnz] <= bytes.length, 'words within their bytes');
              }
              parser.setTarget(values, labels, null, indptr, indices, rows, sparse ? 16 : 0, words?.offsets ?? null, words?.bytes ?? null);
            } else if (result.consumed < piece.length) {
              assert.fail('a feed that is not full must consume its whole chunk');
            }
          }
          parser.finish();
        }
        assert.ok(parsedRows > 0, 'some inputs still parse');
      });
    }
  });
});
