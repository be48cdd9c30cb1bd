// Mostly-zero tensors as their non-zero elements (lib/state/sparse-tensors.ts),
// the form a cluster job's rounds store states in: exact to the bit, smaller,
// and read back by the same decoder as a dense file.
import assert from 'node:assert/strict';
import { densify, sparsify } from '../../lib/state/sparse-tensors.js';
import { decodeStoredObject, encodeStoredObject, type StoredObject } from '../../lib/state/checkpoint.js';
import { decodeSafetensors, SafetensorsFormatError } from '../../lib/state/safetensors.js';
import { tensor, type Tensor } from '../../lib/state/tensor.js';

function bytesOf(t: Tensor): Buffer {
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Mostly zeros, with values whose bits a float conversion would lose: −0, a NaN payload, a subnormal. */
function awkward(): Record<string, Tensor> {
  const f64 = new Float64Array(4096);
  f64[3] = -0;
  new Uint32Array(f64.buffer).set([0x00000001, 0x7ff80000], 2 * 100);  // a NaN with a payload
  f64[4095] = 5e-324;
  const f32 = new Float32Array(1000);
  f32[0] = -0;
  f32[999] = 1.5;
  const i32 = new Int32Array(300);
  i32[150] = -7;
  const dense = Float32Array.from({ length: 64 }, (_, i) => i + 1);
  return {
    histogram: tensor(f64, [2, 2048]), weights: tensor(f32), steps: tensor(i32), bias: tensor(dense),
    zeros: tensor(new Float64Array(512)), flags: { shape: [16], data: new Uint8Array(16), dtype: 'BOOL' },
  };
}

function stored(tensors: Record<string, Tensor>): StoredObject {
  return { kind: 'state', algorithm: 'test', hyperparameters: {}, schema: {}, scalars: { n: 1 }, tensors };
}

describe('sparse tensors (round transfers)', () => {
  it('mostly-zero tensors become indices and values, and come back to the bit; dense and 1-byte tensors stay as they are', () => {
    const tensors = awkward();
    const { tensors: out, sparse } = sparsify(tensors);
    assert.deepEqual(Object.keys(sparse).sort(), ['histogram', 'steps', 'weights', 'zeros']);
    assert.equal(out.bias, tensors.bias);
    assert.equal(out.flags, tensors.flags);
    // −0 and the NaN payload are non-zero bit patterns: kept.
    assert.deepEqual(Array.from(out['histogram.indices'].data as Int32Array), [3, 100, 4095]);
    assert.deepEqual(Array.from(out['weights.indices'].data as Int32Array), [0, 999]);
    assert.equal(out['zeros.indices'].data.length, 0);
    const back = densify(out, sparse, 'test');
    for (const [name, t] of Object.entries(tensors)) {
      assert.deepEqual(back[name].shape, t.shape, name);
      assert.equal(back[name].data.constructor, t.data.constructor, name);
      assert.ok(bytesOf(back[name]).equals(bytesOf(t)), name);
    }
  });

  it('a sparse stored object is smaller, decodes to the same tensors, and a plain encoding stays dense', () => {
    const tensors = awkward();
    const plain = encodeStoredObject(stored(tensors));
    const small = encodeStoredObject(stored(tensors), { sparse: true });
    assert.ok(small.length < plain.length / 3, `${small.length} against ${plain.length}`);
    assert.equal(decodeSafetensors(plain).metadata.sparse_tensors, undefined);
    const decoded = decodeStoredObject(small, { kind: 'state' }, 'round bytes');
    assert.deepEqual(Object.keys(decoded.tensors).sort(), Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) assert.ok(bytesOf(decoded.tensors[name]).equals(bytesOf(t)), name);
    // Encoding the decoded object dense gives the plain bytes exactly.
    assert.ok(Buffer.from(encodeStoredObject(decoded)).equals(Buffer.from(plain)));
  });

  it('a corrupt pair is an error naming the source and the tensor', () => {
    const { tensors: out, sparse } = sparsify(awkward());
    const fails = (tensors: Record<string, Tensor>, pattern: RegExp) =>
      assert.throws(() => densify(tensors, sparse, 'upload of member m'), (e: Error) => e instanceof SafetensorsFormatError && pattern.test(e.message));
    fails({ ...out, 'steps.indices': tensor(Int32Array.from([300])) , 'steps.values': tensor(Int32Array.from([1])) },
      /upload of member m: sparse tensor 'steps': index 300 at 0 is not increasing within \[0, 300\)/);
    fails({ ...out, 'weights.indices': tensor(Int32Array.from([5, 5])), 'weights.values': tensor(Float32Array.from([1, 2])) },
      /sparse tensor 'weights': index 5 at 1 is not increasing/);
    const { 'zeros.values': _dropped, ...missing } = out;
    fails(missing, /sparse tensor 'zeros': zeros.indices or zeros.values is missing/);
    fails({ ...out, 'steps.values': tensor(new Float32Array(1)) }, /sparse tensor 'steps': expected I32 indices and I32 values of one length/);
    fails({ ...out, steps: tensor(new Int32Array(300)) }, /sparse tensor 'steps': also stored dense/);
  });
});
