import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAhead } from '../../lib/io/sources/read-ahead.js';
import { packageRoot } from '../../lib/package-root.js';

async function collect(chunks: AsyncIterable<Uint8Array>, slow = false): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) {
    out.push(Buffer.from(chunk));  // a copy: the chunk is valid until the next is asked for
    if (slow) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return out;
}

async function* pieces(data: Buffer, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < data.length; at += sizes[i % sizes.length], i++) {
    await new Promise((resolve) => setImmediate(resolve));
    yield data.subarray(at, at + sizes[i % sizes.length]);
  }
}

describe('readAhead (a stream read while its consumer parses)', () => {
  const data = Buffer.from(Array.from({ length: 20000 }, (_, i) => `${i},${i * 0.5}\n`).join(''));

  it('gives every byte in order; a busy consumer gets what came meanwhile as one chunk, at most the limit', async () => {
    // About 640 reads of 3 to 1000 bytes, as a pipe gives them to a slow reader.
    const out = await collect(readAhead(pieces(data, [7, 1000, 3, 500]), 32768), true);
    assert.ok(Buffer.concat(out).equals(data));
    assert.ok(out.every((chunk) => chunk.length <= 32768));
    assert.ok(out.length < 60, `${out.length} chunks: the source's reads were joined while the consumer was busy`);
    assert.ok(out.some((chunk) => chunk.length === 32768), 'a full buffer is handed over whole');
  });

  it('hands over the first bytes at once: a quiet stream is not held back to fill a buffer', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    async function* quiet() {
      yield Buffer.from('1,2\n');
      await held;  // the writer sends more only after the first line was read
      yield Buffer.from('3,4\n');
    }
    const out: string[] = [];
    for await (const chunk of readAhead(quiet())) {
      out.push(Buffer.from(chunk).toString());
      release();
    }
    assert.deepEqual(out, ['1,2\n', '3,4\n']);
  });

  it('copies each chunk as it comes: a source may reuse its buffer', async () => {
    async function* reusing() {
      const buffer = Buffer.alloc(4);
      for (let i = 0; i < 50; i++) {
        buffer.write(`${String(i).padStart(3, '0')}\n`);
        yield buffer;
      }
    }
    const out = await collect(readAhead(reusing()), true);
    assert.equal(Buffer.concat(out).toString(), Array.from({ length: 50 }, (_, i) => `${String(i).padStart(3, '0')}\n`).join(''));
  });

  it("throws the source's error after the bytes that came before it", async () => {
    async function* failing() {
      yield Buffer.from('abc');
      throw new Error('the pipe broke');
    }
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const chunk of readAhead(failing())) got.push(Buffer.from(chunk).toString());
    }, /the pipe broke/);
    assert.deepEqual(got, ['abc']);
  });

  it('lets the source go when the consumer leaves early, a read in flight or not', async () => {
    let closed = 0;
    async function* endless() {
      try {
        for (;;) {
          await new Promise((resolve) => setImmediate(resolve));
          yield Buffer.alloc(1000, 65);
        }
      } finally {
        closed++;
      }
    }
    for await (const chunk of readAhead(endless(), 4096)) {
      assert.ok(chunk.length > 0);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(closed, 1, 'the source was returned');
  });

  it('splits a source chunk longer than the limit', async () => {
    async function* one() { yield data; }
    const out = await collect(readAhead(one(), 10000), true);
    assert.ok(Buffer.concat(out).equals(data));
    assert.deepEqual(out.map((chunk) => chunk.length).slice(0, 2), [10000, 10000]);
  });

  it('stdin piped from a file gives the rows and positions the file gives', () => {
    const script = `import { readBatches } from ${JSON.stringify(join(packageRoot, 'dist', 'index.js'))};
      let sum = 0, rows = 0, batches = 0;
      for await (const b of readBatches(process.argv[1], { format: 'csv', miniBatchSize: 1000 })) {
        rows += b.rows; batches++;
        for (let i = 0; i < b.rows * b.cols; i++) sum += b.values[i];
        for (let r = 0; r < b.rows; r++) sum += b.labels[r];
      }
      console.log(rows, batches, sum);`;
    const directory = mkdtempSync(join(tmpdir(), 'boundless-read-ahead-'));
    try {
      // 3 MB: many 64 KiB pipe reads.
      const text = Array.from({ length: 60000 }, (_, i) => `${i % 2},${i},${(i * 0.37).toFixed(3)},${-i},${i % 7}`).join('\n') + '\n';
      const file = join(directory, 'rows.csv');
      writeFileSync(file, text);
      const run = (source: string, input?: string) => spawnSync(process.execPath, ['--input-type=module', '-e', script, source],
        { input, encoding: 'utf8', env: { ...process.env, BOUNDLESS_NUM_THREADS: '2' } });
      const fromFile = run(file);
      assert.equal(fromFile.status, 0, fromFile.stderr);
      assert.match(fromFile.stdout, /^60000 60 /);
      const fromStdin = run('-', text);
      assert.equal(fromStdin.status, 0, fromStdin.stderr);
      assert.equal(fromStdin.stdout, fromFile.stdout);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('untilAborted (a stream read with a stop signal)', () => {
  it('holds nothing a read gave once it is consumed, however long the stream (a race per read kept every chunk)', () => {
    const script = `
      const { untilAborted } = await import(${JSON.stringify(join(packageRoot, 'lib', 'io', 'sources', 'streams.ts'))});
      async function* chunks() { for (let i = 0; i < 150; i++) yield Buffer.alloc(1 << 20, i); }
      const controller = new AbortController();
      let bytes = 0, n = 0, held = 0;
      for await (const chunk of untilAborted(chunks(), controller.signal, undefined)) {
        bytes += chunk.length;
        // Measured while the stream is still read: what the reads so far left behind.
        if (++n === 140) { globalThis.gc(); held = process.memoryUsage().arrayBuffers; }
      }
      console.log(bytes, held);`;
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: packageRoot, timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    const [bytes, held] = run.stdout.trim().split(' ').map(Number);
    assert.equal(bytes, 150 << 20);
    assert.ok(held < 40e6, `${(held / 1e6).toFixed(0)} MB of the 147 MB read so far still held (147 MB when every chunk was kept)`);
  });
});
