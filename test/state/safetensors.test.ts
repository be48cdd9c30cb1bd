import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeSafetensors, encodeSafetensors, readSafetensorsFile, tensor, tensorsEqual, writeFileAtomic,
  type SafetensorsContent,
} from '../../lib/index.js';

/** Builds a file from a header object and a data area, as a hostile writer would. */
function handmade(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

const sample = (): SafetensorsContent => ({
  tensors: {
    weights: tensor(Float32Array.from([1.5, -2, 3.25, 0, 1e-30, -0]), [2, 3]),
    counts: tensor(BigInt64Array.from([1n, -(2n ** 62n)])),
    ids: tensor(Uint32Array.from([0, 0xffffffff, 7])),
    grid: tensor(Float64Array.from([Math.PI, -Infinity]), [1, 2]),
    small: tensor(Int8Array.from([-128, 127])),
    half: tensor(Uint16Array.from([65535])),
    flags: { shape: [3], data: Uint8Array.from([1, 0, 1]), dtype: 'BOOL' },
    empty: tensor(new Float32Array(0), [0, 4]),
  },
  metadata: { format: 'test', note: 'ünïcode ✓' },
});

describe('safetensors', () => {
  let directory: string;
  before(async () => { directory = await mkdtemp(join(tmpdir(), 'boundless-safetensors-')); });
  after(async () => { await rm(directory, { recursive: true, force: true }); });

  it('lays out the file as the spec says: u64 LE header length, JSON header, aligned raw data', () => {
    const bytes = encodeSafetensors({ tensors: { a: tensor(Float32Array.from([1, 2]), [1, 2]) }, metadata: { k: 'v' } });
    const view = Buffer.from(bytes);
    const headerLength = Number(view.readBigUInt64LE(0));
    assert.equal(headerLength % 8, 0, 'data starts 8-byte aligned');
    const header = JSON.parse(view.subarray(8, 8 + headerLength).toString('utf8'));
    assert.deepEqual(header, { __metadata__: { k: 'v' }, a: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] } });
    assert.equal(view.length, 8 + headerLength + 8);
    assert.equal(view.readFloatLE(8 + headerLength), 1);
    assert.equal(view.readFloatLE(8 + headerLength + 4), 2);
  });

  it('round-trips every dtype, shape and metadata exactly, in memory and on disk', async () => {
    const content = sample();
    const check = (decoded: SafetensorsContent) => {
      assert.deepEqual(decoded.metadata, content.metadata);
      assert.deepEqual(Object.keys(decoded.tensors).sort(), Object.keys(content.tensors).sort());
      for (const [name, t] of Object.entries(content.tensors)) assert.ok(tensorsEqual(decoded.tensors[name], t), name);
    };
    const bytes = encodeSafetensors(content);
    check(decodeSafetensors(bytes));
    const path = join(directory, 'sample.safetensors');
    await writeFile(path, bytes);
    check(await readSafetensorsFile(path));
    assert.ok(Object.is(decodeSafetensors(bytes).tensors.weights.data[5], -0), 'negative zero survives');
  });

  describe('rejects hostile or damaged files with a clear error', () => {
    const valid = () => encodeSafetensors(sample());

    it('a file truncated at any byte', async () => {
      const bytes = valid();
      for (const length of [0, 3, 7, 8, 20, 100, bytes.length - 1]) {
        const path = join(directory, `truncated-${length}.safetensors`);
        await writeFile(path, bytes.subarray(0, length));
        await assert.rejects(readSafetensorsFile(path), (error: Error) => {
          assert.equal(error.name, 'SafetensorsFormatError', `length ${length}: ${error.message}`);
          assert.ok(error.message.startsWith(path), 'names the file');
          return true;
        });
        assert.throws(() => decodeSafetensors(bytes.subarray(0, length)), /SafetensorsFormatError|too short|exceeds|data area|not valid JSON/);
      }
    });

    it('an absurd header length, without allocating it', async () => {
      assert.throws(() => decodeSafetensors(handmade({}, new Uint8Array(16), 2n ** 63n)),
        /header length 9223372036854775808 exceeds the 18 bytes after the length prefix \(truncated or not a safetensors file\)/);
      // A sparse 300 MB file whose header claims 200 MB: refused by the limit before any read.
      const path = join(directory, 'huge-header.safetensors');
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(200_000_000n);
      await writeFile(path, prefix);
      await truncate(path, 300_000_000);
      await assert.rejects(readSafetensorsFile(path), /header length 200000000 exceeds the limit of 100000000 bytes/);
    });

    it('a header that is not a JSON object', () => {
      const notJson = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{abc')]);
      assert.throws(() => decodeSafetensors(notJson), /header is not valid JSON/);
      assert.throws(() => decodeSafetensors(handmade([1, 2])), /header does not start with '\{'/);
      const badUtf8 = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]);
      assert.throws(() => decodeSafetensors(badUtf8), /header is not valid UTF-8/);
    });

    it('offsets outside the data area (a claim of gigabytes in a tiny file)', () => {
      const header = { big: { dtype: 'F32', shape: [1_000_000_000], data_offsets: [0, 4_000_000_000] } };
      assert.throws(() => decodeSafetensors(handmade(header, new Uint8Array(8))),
        /tensor 'big' data_offsets \[0, 4000000000\] fall outside the data area of 8 bytes/);
    });

    it('overlapping tensors, gaps and uncovered bytes', () => {
      const data = new Uint8Array(16);
      assert.throws(() => decodeSafetensors(handmade({
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      }, data.subarray(0, 12))), /tensor 'b' overlaps the tensor before it/);
      assert.throws(() => decodeSafetensors(handmade({
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      }, data.subarray(0, 12))), /bytes 4\.\.8 of the data area belong to no tensor/);
      assert.throws(() => decodeSafetensors(handmade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data)),
        /data area is 16 bytes but tensors cover 4/);
    });

    it('a shape that does not match the dtype and byte length', () => {
      assert.throws(() => decodeSafetensors(handmade({ a: { dtype: 'F64', shape: [3], data_offsets: [0, 12] } }, new Uint8Array(12))),
        /tensor 'a' is 12 bytes but dtype F64 and shape \[3\] need 24/);
      assert.throws(() => decodeSafetensors(handmade({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4))),
        /tensor 'a' shape \[-1\] is not a list of non-negative integers/);
      assert.throws(() => decodeSafetensors(handmade({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4))),
        /tensor 'a' shape \[1099511627776,1099511627776\] is too large/);
    });

    it('an unknown or unsupported dtype', () => {
      assert.throws(() => decodeSafetensors(handmade({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4))),
        /tensor 'a' has unsupported dtype "F16"; expected one of F64, F32, I64, U64, I32, U32, I16, U16, I8, U8, BOOL/);
      assert.throws(() => decodeSafetensors(handmade({ a: { dtype: 7, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4))),
        /unsupported dtype 7/);
    });

    it('metadata that is not a map of strings', () => {
      assert.throws(() => decodeSafetensors(handmade({ __metadata__: { n: 1 } })), /__metadata__ value 'n' is not a string/);
      assert.throws(() => decodeSafetensors(handmade({ __metadata__: [] })), /__metadata__ is not an object/);
    });

    it('random byte flips anywhere never crash the reader', () => {
      const bytes = valid();
      let state = 12345;
      for (let trial = 0; trial < 500; trial++) {
        const damaged = Uint8Array.from(bytes);
        for (let flips = 0; flips < 3; flips++) {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          damaged[state % damaged.length] ^= 1 << (state >>> 29);
        }
        try {
          decodeSafetensors(damaged);
        } catch (error) {
          // Damage in the header is caught by validation; damage in the data area decodes
          // (only the checkpoint layer's checksum can notice it).
          assert.equal((error as Error).name, 'SafetensorsFormatError', (error as Error).message);
        }
      }
    });
  });

  describe('atomic writes', () => {
    it('replaces a file in one step and leaves no temporary file', async () => {
      const path = join(directory, 'atomic.bin');
      await writeFileAtomic(path, [Buffer.from('first')]);
      await writeFileAtomic(path, [Buffer.from('second '), Buffer.from('version')]);
      assert.equal(await readFile(path, 'utf8'), 'second version');
      assert.deepEqual((await readdir(directory)).filter((f) => f.includes('atomic')), ['atomic.bin']);
    });

    it('a crash in the middle of a write leaves the previous file intact', async () => {
      const path = join(directory, 'crash.bin');
      await writeFileAtomic(path, [Buffer.from('good checkpoint')]);
      function* failingParts() {
        yield Buffer.from('half of a new ');
        throw new Error('simulated crash');
      }
      await assert.rejects(writeFileAtomic(path, failingParts()), /simulated crash/);
      assert.equal(await readFile(path, 'utf8'), 'good checkpoint');
      assert.deepEqual((await readdir(directory)).filter((f) => f.includes('crash')), ['crash.bin']);
    });
  });
});
