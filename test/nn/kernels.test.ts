// The neural-network kernels (native/nn/) against a float64 reference written
// here, and their backward passes against central finite differences of that
// reference: for a loss L = Σ R ⊙ y with random R, ∂L/∂p ≈ (L(p + h) − L(p − h)) / 2h.
import assert from 'node:assert/strict';
import { assertCloseTo, finiteDifferences } from '../fixtures/finite-differences.js';
import { loadCoreAddon, Random, type SparseBatch } from '../../lib/index.js';

const addon = loadCoreAddon();
const assertClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string) =>
  assertCloseTo(actual, expected, tolerance, what, (message) => assert.fail(message));
const random = Random.fromSeed(77);
const gaussians = (n: number, scale = 1) => Float32Array.from({ length: n }, () => random.nextGaussian() * scale);

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

describe('nn kernels', () => {
  describe('dense layer', () => {
    const rows = 5;
    let inputs = 7, outputs = 6;
    // y = x·W + b in float64; layout 0: W[out][in], 1: W[in][out].
    const reference = (layout: 0 | 1, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>) => {
      const y = new Float64Array(rows * outputs);
      for (let r = 0; r < rows; r++) for (let o = 0; o < outputs; o++) {
        let s = b[o];
        for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * w[layout === 0 ? o * inputs + i : i * outputs + o];
        y[r * outputs + o] = s;
      }
      return y;
    };
    // Inputs wider than 256 take the path for mostly-zero rows (an axpy per non-zero); narrow ones the register-tiled product.
    // 37 outputs: two whole 16-column tiles and a masked tail.
    for (const [layout, width, outs] of [[0, 7, 6], [1, 7, 6], [1, 9, 37], [1, 300, 6]] as const) {
      it(`layout ${layout === 0 ? 'out × in' : 'in × out'}, ${width} inputs, ${outs} outputs: forward equals the float64 product; dx, dW, db equal finite differences`, () => {
        inputs = width;
        outputs = outs;
        const x = gaussians(rows * inputs).map((v, i) => (width > 256 && i % 3 !== 0 ? 0 : v)), w = gaussians(inputs * outputs, 0.5), b = gaussians(outputs), R = gaussians(rows * outputs);
        const y = new Float32Array(rows * outputs);
        addon.nnDenseForward(layout, rows, inputs, outputs, x, w, b, y);
        assertClose(y, reference(layout, x, w, b), 1e-5, 'y');
        const dx = new Float32Array(rows * inputs), dw = new Float32Array(inputs * outputs), db = new Float32Array(outputs);
        addon.nnDenseBackward(layout, rows, inputs, outputs, x, w, R, dx, dw, db);
        const [x64, w64, b64] = [Float64Array.from(x), Float64Array.from(w), Float64Array.from(b)];
        const loss = () => dot(reference(layout, x64, w64, b64), R);
        assertClose(dx, finiteDifferences(x64, loss), 1e-4, 'dx');
        assertClose(dw, finiteDifferences(w64, loss), 1e-4, 'dW');
        assertClose(db, finiteDifferences(b64, loss), 1e-4, 'db');
      });
    }

    it('sparse input (CSR) equals the dense product of the same rows; its weight gradient touches only stored words', () => {
      const cols = 9;
      outputs = 6;
      const batch: SparseBatch = { kind: 'sparse', rows: 3, cols, indptr: Int32Array.of(0, 2, 2, 5), indices: Uint32Array.of(1, 4, 0, 4, 8), values: Float32Array.of(2, 1, 3, 1, 5) };
      const dense = new Float64Array(3 * cols);
      for (let r = 0; r < 3; r++) for (let e = batch.indptr[r]; e < batch.indptr[r + 1]; e++) dense[r * cols + batch.indices[e]] = batch.values[e];
      const w = gaussians(cols * outputs), b = gaussians(outputs), R = gaussians(3 * outputs);
      const y = new Float32Array(3 * outputs);
      addon.nnSparseForward(batch, outputs, w, b, y);
      const expected = new Float64Array(3 * outputs);
      for (let r = 0; r < 3; r++) for (let o = 0; o < outputs; o++) {
        let s = b[o];
        for (let i = 0; i < cols; i++) s += dense[r * cols + i] * w[i * outputs + o];
        expected[r * outputs + o] = s;
      }
      assertClose(y, expected, 1e-5, 'y');
      const dw = new Float32Array(cols * outputs), db = new Float32Array(outputs);
      addon.nnSparseBackward(batch, outputs, R, dw, db);
      const w64 = Float64Array.from(w);
      const loss = () => {
        let s = 0;
        for (let r = 0; r < 3; r++) for (let o = 0; o < outputs; o++) {
          let v = b[o];
          for (let i = 0; i < cols; i++) v += dense[r * cols + i] * w64[i * outputs + o];
          s += v * R[r * outputs + o];
        }
        return s;
      };
      assertClose(dw, finiteDifferences(w64, loss), 1e-4, 'dW');
      for (const word of [2, 3, 5, 6, 7]) for (let o = 0; o < outputs; o++) assert.equal(dw[word * outputs + o], 0, `word ${word} is in no document`);
      assertClose(db, Array.from({ length: outputs }, (_, o) => R[o] + R[outputs + o] + R[2 * outputs + o]), 1e-6, 'db');
    });
  });

  describe('activations', () => {
    const functions: [string, number, (x: number) => number][] = [
      ['sigmoid', 0, (x) => 1 / (1 + Math.exp(-x))], ['tanh', 1, Math.tanh], ['relu', 2, (x) => Math.max(x, 0)],
      ['softplus', 3, (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))],
    ];
    for (const [name, code, f] of functions) {
      it(`${name}: forward equals the float64 function (also at ±80); backward from the output equals finite differences`, () => {
        const x = Float32Array.of(...gaussians(20, 2), 80, -80, 0.3, -0.3);
        const y = Float32Array.from(x);
        addon.nnActivate(code, y);
        assertClose(y, Array.from(x, f), 1e-6, `${name}(x)`);
        const dy = Float32Array.from({ length: x.length }, () => 1);
        addon.nnActivationBackward(code, y, dy);
        // Finite differences away from relu's kink at 0.
        const expected = Array.from(x, (v) => (Math.abs(v) < 1e-3 ? NaN : (f(v + 1e-5) - f(v - 1e-5)) / 2e-5));
        for (let i = 0; i < x.length; i++) if (!Number.isNaN(expected[i])) assert.ok(Math.abs(dy[i] - expected[i]) < 2e-4, `${name}'(${x[i]}): ${dy[i]} vs ${expected[i]}`);
      });
    }
  });

  describe('softmax', () => {
    const rows = 3, cols = 8;
    const reference = (x: ArrayLike<number>, log: boolean) => {
      const out = new Float64Array(rows * cols);
      for (let r = 0; r < rows; r++) {
        const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]);
        const top = Math.max(...row);
        const lse = top + Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0));
        for (let j = 0; j < cols; j++) out[r * cols + j] = log ? row[j] - lse : Math.exp(row[j] - lse);
      }
      return out;
    };
    it('softmax and log-softmax equal the float64 reference, stably for inputs near ±1000', () => {
      const x = gaussians(rows * cols, 3);
      x[3] = 1000;
      x[cols + 2] = -1000;
      for (const mode of [0, 1] as const) {
        const y = Float32Array.from(x);
        addon.nnSoftmax(mode, y, rows, cols);
        assert.ok(y.every(Number.isFinite), 'finite');
        assertClose(y, reference(x, mode === 1), 1e-5, mode ? 'log-softmax' : 'softmax');
      }
    });
    it('backward equals finite differences', () => {
      const x = gaussians(rows * cols), R = gaussians(rows * cols);
      const y = Float32Array.from(x);
      addon.nnSoftmax(0, y, rows, cols);
      const dy = Float32Array.from(R);
      addon.nnSoftmaxBackward(y, dy, rows, cols);
      const x64 = Float64Array.from(x);
      assertClose(dy, finiteDifferences(x64, () => dot(reference(x64, false), R)), 1e-4, 'dx');
    });
  });

  describe('reparameterisation and dropout', () => {
    it('z = μ + exp(½ log σ²)·ε, ε from the seeded counter stream (the same draws for the same counters); backward equals finite differences', () => {
      const n = 12, mu = gaussians(n), logVar = gaussians(n, 0.5), R = gaussians(n);
      const eps = new Float32Array(n), z = new Float32Array(n);
      addon.nnReparameterize(mu, logVar, eps, z, 9, 4, 100, true);
      assertClose(z, Array.from(mu, (m, i) => m + Math.exp(0.5 * logVar[i]) * eps[i]), 1e-6, 'z');
      const again = new Float32Array(n), z2 = new Float32Array(n);
      addon.nnReparameterize(mu, logVar, again, z2, 9, 4, 100, true);
      assert.deepEqual(again, eps, 'same seed, stream and counters: same noise');
      const shifted = new Float32Array(n);
      addon.nnReparameterize(mu, logVar, shifted, new Float32Array(n), 9, 4, 101, true);
      assert.deepEqual(shifted.subarray(0, n - 1), eps.subarray(1), 'counter i is draw i');
      const dmu = new Float32Array(n), dlv = new Float32Array(n);
      addon.nnReparameterizeBackward(logVar, eps, R, dmu, dlv);
      const [mu64, lv64] = [Float64Array.from(mu), Float64Array.from(logVar)];
      const loss = () => dot(Array.from(mu64, (m, i) => m + Math.exp(0.5 * lv64[i]) * eps[i]), R);
      assertClose(dmu, finiteDifferences(mu64, loss), 1e-4, 'dμ');
      assertClose(dlv, finiteDifferences(lv64, loss), 1e-4, 'd log σ²');
    });
    it('the noise is standard normal: mean ≈ 0, variance ≈ 1 over 20,000 draws', () => {
      const n = 20000, eps = new Float32Array(n);
      addon.nnReparameterize(new Float32Array(n), new Float32Array(n), eps, new Float32Array(n), 1, 0, 0, true);
      const m = eps.reduce((s, v) => s + v, 0) / n;
      const v = eps.reduce((s, e) => s + (e - m) ** 2, 0) / n;
      assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `mean ${m}, variance ${v}`);
    });
    it('dropout zeroes about p of the entries and scales the rest by 1/(1 − p)', () => {
      const n = 10000, x = new Float32Array(n).fill(1), mask = new Float32Array(n);
      addon.nnDropout(x, mask, 0.25, 3, 0, 0);
      const dropped = x.filter((v) => v === 0).length / n;
      assert.ok(Math.abs(dropped - 0.25) < 0.02, `dropped ${dropped}`);
      assert.ok(x.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
      assert.deepEqual(mask, x);
    });
  });

  describe('batch norm', () => {
    const rows = 6, cols = 3;
    const reference = (x: ArrayLike<number>, gamma: ArrayLike<number>, beta: ArrayLike<number>) => {
      const y = new Float64Array(rows * cols);
      for (let j = 0; j < cols; j++) {
        let m = 0, v = 0;
        for (let r = 0; r < rows; r++) m += x[r * cols + j] / rows;
        for (let r = 0; r < rows; r++) v += (x[r * cols + j] - m) ** 2 / rows;
        for (let r = 0; r < rows; r++) y[r * cols + j] = gamma[j] * (x[r * cols + j] - m) / Math.sqrt(v + 1e-5) + beta[j];
      }
      return y;
    };
    it('training forward equals the float64 reference, updates running moments; backward equals finite differences', () => {
      const x = gaussians(rows * cols, 2), gamma = gaussians(cols), beta = gaussians(cols), R = gaussians(rows * cols);
      const y = Float32Array.from(x), normalized = new Float32Array(rows * cols), invStd = new Float32Array(cols);
      const runningMean = new Float32Array(cols), runningVar = new Float32Array(cols).fill(1);
      addon.nnBatchNormForward(y, rows, cols, gamma, beta, runningMean, runningVar, true, normalized, invStd);
      assertClose(y, reference(x, gamma, beta), 1e-5, 'y');
      const mean0 = Array.from({ length: rows }, (_, r) => x[r * cols]).reduce((a, b) => a + b, 0) / rows;
      assert.ok(Math.abs(runningMean[0] - 0.1 * mean0) < 1e-5, 'running mean: 0.9·0 + 0.1·batch mean');
      const dy = Float32Array.from(R), dgamma = new Float32Array(cols), dbeta = new Float32Array(cols);
      addon.nnBatchNormBackward(normalized, invStd, gamma, dy, rows, cols, dgamma, dbeta);
      const [x64, g64, b64] = [Float64Array.from(x), Float64Array.from(gamma), Float64Array.from(beta)];
      const loss = () => dot(reference(x64, g64, b64), R);
      assertClose(dy, finiteDifferences(x64, loss), 1e-3, 'dx');
      assertClose(dgamma, finiteDifferences(g64, loss), 1e-4, 'dγ');
      assertClose(dbeta, finiteDifferences(b64, loss), 1e-4, 'dβ');
    });
  });

  describe('optimizers', () => {
    type Rule = 'sgd' | 'adam' | 'adagrad' | 'rmsprop' | 'adadelta';
    const codes: Record<Rule, number> = { sgd: 0, adam: 1, adagrad: 2, rmsprop: 3, adadelta: 4 };
    const settings = (rule: Rule) => ({
      kind: codes[rule], learningRate: rule === 'adadelta' ? 1 : 0.05, beta1: 0.9, beta2: 0.999, rho: 0.9,
      epsilon: rule === 'adadelta' ? 1e-5 : 1e-8, weightDecay: 0.01, clipGradient: 0.5, rescaleGradient: 0.8,
    });
    // One step in float64 as MXNet defines it: g ← clip(rescale·g, ±c) + wd·w, then the rule.
    function referenceStep(rule: Rule, w: Float64Array, g: ArrayLike<number>, m1: Float64Array, m2: Float64Array, t: number): void {
      const s = settings(rule);
      for (let i = 0; i < w.length; i++) {
        const grad = Math.min(Math.max(s.rescaleGradient * g[i], -s.clipGradient), s.clipGradient) + s.weightDecay * w[i];
        if (rule === 'sgd') w[i] -= s.learningRate * grad;
        else if (rule === 'adam') {
          m1[i] = 0.9 * m1[i] + 0.1 * grad;
          m2[i] = 0.999 * m2[i] + 0.001 * grad * grad;
          w[i] -= s.learningRate * Math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m1[i] / (Math.sqrt(m2[i]) + s.epsilon);
        } else if (rule === 'adagrad') {
          m1[i] += grad * grad;
          w[i] -= s.learningRate * grad / (Math.sqrt(m1[i]) + s.epsilon);
        } else if (rule === 'rmsprop') {
          m1[i] = 0.9 * m1[i] + 0.1 * grad * grad;
          w[i] -= s.learningRate * grad / (Math.sqrt(m1[i]) + s.epsilon);
        } else {
          m1[i] = 0.9 * m1[i] + 0.1 * grad * grad;
          const delta = Math.sqrt(m2[i] + s.epsilon) / Math.sqrt(m1[i] + s.epsilon) * grad;
          m2[i] = 0.9 * m2[i] + 0.1 * delta * delta;
          w[i] -= delta;
        }
      }
    }
    for (const rule of ['sgd', 'adam', 'adagrad', 'rmsprop', 'adadelta'] as Rule[]) {
      it(`${rule}: five steps equal the float64 reference (rescale, clipping and weight decay included)`, () => {
        const n = 40, w = gaussians(n), w64 = Float64Array.from(w);
        const m1 = new Float32Array(n), m2 = new Float32Array(n), r1 = new Float64Array(n), r2 = new Float64Array(n);
        for (let t = 1; t <= 5; t++) {
          const g = gaussians(n);
          addon.nnOptimizerStep(settings(rule), w, g, rule === 'sgd' ? null : m1, rule === 'adam' || rule === 'adadelta' ? m2 : null, t);
          referenceStep(rule, w64, g, r1, r2, t);
        }
        assertClose(w, w64, 2e-5, `${rule} weights`);
      });
    }
    it('refuses a missing moment array with a clear error', () => {
      assert.throws(() => addon.nnOptimizerStep(settings('adam'), new Float32Array(3), new Float32Array(3), new Float32Array(3), null, 1),
        /nnOptimizerStep: argument m2 must be a Float32Array/);
    });
  });
});
