// The LSTM layer (native/nn/lstm) against an LSTM written here in float64, and its
// backward pass through time against central finite differences of that reference,
// with and without zoneout.
import assert from 'node:assert/strict';
import { assertCloseTo, finiteDifferences } from '../fixtures/finite-differences.js';
import { loadCoreAddon, Random } from '../../lib/index.js';

const addon = loadCoreAddon();
const assertClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string) =>
  assertCloseTo(actual, expected, tolerance, what, (message) => assert.fail(message));
const random = Random.fromSeed(31);
const gaussians = (n: number, scale = 1) => Float32Array.from({ length: n }, () => random.nextGaussian() * scale);

const T = 4, B = 3, I = 5, H = 4, G = 4 * H;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

interface Params { x: Float64Array; wx: Float64Array; wh: Float64Array; b: Float64Array; h0: Float64Array; c0: Float64Array }

/** The outputs y of every step [T × B × H], in float64, as lstm.h defines them (zoneout masks: 1 keeps the previous state; the output is the fresh value). */
function reference(p: Params, zoneH?: Float32Array, zoneC?: Float32Array): Float64Array {
  const out = new Float64Array(T * B * H);
  let h = Float64Array.from(p.h0), c = Float64Array.from(p.c0);
  for (let t = 0; t < T; t++) {
    const hn = new Float64Array(B * H), cn = new Float64Array(B * H);
    for (let r = 0; r < B; r++) {
      const z = new Float64Array(G);
      for (let q = 0; q < G; q++) {
        let v = p.b[q];
        for (let i = 0; i < I; i++) v += p.x[(t * B + r) * I + i] * p.wx[i * G + q];
        for (let j = 0; j < H; j++) v += h[r * H + j] * p.wh[j * G + q];
        z[q] = v;
      }
      for (let j = 0; j < H; j++) {
        const [ig, fg, gg, og] = [sigmoid(z[j]), sigmoid(z[H + j]), Math.tanh(z[2 * H + j]), sigmoid(z[3 * H + j])];
        const cell = fg * c[r * H + j] + ig * gg;
        const m = (t * B + r) * H + j;
        cn[r * H + j] = zoneC && zoneC[m] ? c[r * H + j] : cell;
        hn[r * H + j] = zoneH && zoneH[m] ? h[r * H + j] : og * Math.tanh(cell);
        out[m] = og * Math.tanh(cell);
      }
    }
    h = hn;
    c = cn;
  }
  return out;
}

describe('nn kernels: LSTM', () => {
  for (const zoneout of [false, true]) {
    it(`${zoneout ? 'with zoneout: ' : ''}forward equals the float64 LSTM; dx, dW_x, dW_h, db, dh0, dc0 equal finite differences through time`, () => {
      const arrays = {
        x: gaussians(T * B * I), wx: gaussians(I * G, 0.4), wh: gaussians(H * G, 0.4), b: gaussians(G, 0.3), h0: gaussians(B * H, 0.5), c0: gaussians(B * H, 0.5),
        h: new Float32Array(T * B * H), c: new Float32Array(T * B * H), gates: new Float32Array(T * B * G),
        ...(zoneout ? {
          y: new Float32Array(T * B * H),
          zoneoutH: Float32Array.from({ length: T * B * H }, () => (random.nextFloat() < 0.3 ? 1 : 0)),
          zoneoutC: Float32Array.from({ length: T * B * H }, () => (random.nextFloat() < 0.3 ? 1 : 0)),
        } : {}),
      };
      const shape = { steps: T, rows: B, inputs: I, hidden: H };
      addon.nnLstmForward(shape, arrays);
      const p: Params = { x: Float64Array.from(arrays.x), wx: Float64Array.from(arrays.wx), wh: Float64Array.from(arrays.wh), b: Float64Array.from(arrays.b), h0: Float64Array.from(arrays.h0), c0: Float64Array.from(arrays.c0) };
      assertClose(zoneout ? arrays.y! : arrays.h, reference(p, arrays.zoneoutH, arrays.zoneoutC), 1e-5, 'outputs');
      const R = gaussians(T * B * H);
      const gradients = { dh: R, dWx: new Float32Array(I * G), dWh: new Float32Array(H * G), db: new Float32Array(G), dx: new Float32Array(T * B * I), dh0: new Float32Array(B * H), dc0: new Float32Array(B * H) };
      addon.nnLstmBackward(shape, arrays, gradients);
      const loss = () => reference(p, arrays.zoneoutH, arrays.zoneoutC).reduce((s, v, i) => s + v * R[i], 0);
      assertClose(gradients.dx, finiteDifferences(p.x, loss), 1e-4, 'dx');
      assertClose(gradients.dWx, finiteDifferences(p.wx, loss), 1e-4, 'dW_x');
      assertClose(gradients.dWh, finiteDifferences(p.wh, loss), 1e-4, 'dW_h');
      assertClose(gradients.db, finiteDifferences(p.b, loss), 1e-4, 'db');
      assertClose(gradients.dh0, finiteDifferences(p.h0, loss), 1e-4, 'dh0');
      assertClose(gradients.dc0, finiteDifferences(p.c0, loss), 1e-4, 'dc0');
    });
  }

  it('refuses arrays that are too short, naming them', () => {
    assert.throws(() => addon.nnLstmForward({ steps: 2, rows: 1, inputs: 3, hidden: 2 }, {
      x: new Float32Array(5), wx: new Float32Array(24), wh: new Float32Array(16), b: new Float32Array(8),
      h: new Float32Array(4), c: new Float32Array(4), gates: new Float32Array(16),
    }), /nnLstmForward: x has length 5, expected at least 6/);
  });
});
