// The symmetric eigensolver (native/linalg/symmetric_eigen) against decompositions
// built from known eigenvalues: Q·diag(λ)·Qᵀ with a random orthogonal Q,
// including repeated, tiny, zero and negative eigenvalues.
import assert from 'node:assert/strict';
import { loadCoreAddon, Random } from '../../lib/index.js';

/** A random orthogonal matrix: Gram–Schmidt on Gaussian columns (columns are the vectors). */
function orthogonal(n: number, seed: number): Float64Array {
  const random = Random.fromSeed(seed);
  const q = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const v = Float64Array.from({ length: n }, () => random.nextGaussian());
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i] * q[i * n + p];
      for (let i = 0; i < n; i++) v[i] -= dot * q[i * n + p];
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i * n + j] = v[i] / norm;
  }
  return q;
}

function compose(values: number[], seed: number): Float64Array {
  const n = values.length;
  const q = orthogonal(n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += q[i * n + k] * values[k] * q[j * n + k];
      a[i * n + j] = sum;
    }
  }
  return a;
}

/**
 * Checks values against the truth, A·v = λ·v for every pair, and orthonormal vectors — for all
 * n vectors, and again asking for only the leading ⌈n/2⌉ and the leading one (the path that
 * replays the QR rotations per vector).
 */
function check(values: number[], seed: number, tolerance = 1e-12): void {
  const n = values.length;
  for (const count of new Set([n, Math.ceil(n / 2), 1])) checkCount(values, seed, tolerance, count);
}

function checkCount(values: number[], seed: number, tolerance: number, count: number): void {
  const n = values.length;
  const a = compose(values, seed);
  const result = loadCoreAddon().symmetricEigen(a, n, count);
  assert.equal(result.values.length, n);
  assert.equal(result.vectors.length, count * n);
  const expected = [...values].sort((x, y) => y - x);
  const scale = Math.max(1, ...values.map(Math.abs));
  for (let j = 0; j < n; j++) assert.ok(Math.abs(result.values[j] - expected[j]) <= tolerance * scale * n, `value ${j}: ${result.values[j]} vs ${expected[j]}`);
  for (let j = 0; j < count; j++) {
    const v = result.vectors.subarray(j * n, (j + 1) * n);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += a[i * n + k] * v[k];
      assert.ok(Math.abs(av - result.values[j] * v[i]) <= tolerance * scale * n, `count ${count}: residual of pair ${j}, row ${i}`);
    }
    for (let p = 0; p <= j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += v[i] * result.vectors[p * n + i];
      assert.ok(Math.abs(dot - (p === j ? 1 : 0)) <= 1e-12 * n, `count ${count}: vectors ${p} and ${j}: dot ${dot}`);
    }
  }
}

describe('symmetric eigensolver', () => {
  it('recovers distinct eigenvalues and their vectors', () => check([9, 4, 2.5, 1, 0.5, -3], 1));
  it('handles repeated eigenvalues (a degenerate eigenspace)', () => check([5, 5, 5, 1, 1, 0.25], 2));
  it('handles tiny and zero eigenvalues next to large ones', () => check([1e6, 3, 1e-9, 1e-13, 0, 0], 3, 1e-13));
  it('solves a larger random spectrum (n = 60)', () => check(Array.from({ length: 60 }, (_, i) => Math.sin(i * 1.7) * 10 + (i % 7)), 4, 1e-11));
  it('returns a diagonal matrix as it is, sorted', () => {
    const result = loadCoreAddon().symmetricEigen(Float64Array.of(1, 0, 0, 0, 3, 0, 0, 0, 2), 3);
    assert.deepEqual(Array.from(result.values), [3, 2, 1]);
    assert.deepEqual(Array.from(result.vectors.subarray(0, 3)).map(Math.abs), [0, 1, 0]);
  });
  it('handles 1 × 1 and 2 × 2 matrices', () => {
    assert.deepEqual(Array.from(loadCoreAddon().symmetricEigen(Float64Array.of(-2), 1).values), [-2]);
    const two = loadCoreAddon().symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    assert.ok(Math.abs(two.values[0] - 3) < 1e-15 && Math.abs(two.values[1] - 1) < 1e-15, `${two.values}`);
  });
  it('rejects bad input clearly', () => {
    assert.throws(() => loadCoreAddon().symmetricEigen(new Float64Array(3), 2), /symmetricEigen: matrix has length 3, expected 4/);
    assert.throws(() => loadCoreAddon().symmetricEigen(Float64Array.of(NaN), 1), /symmetricEigen: matrix has a non-finite entry/);
  });
});
