// DeepAR's likelihood heads (native/nn/likelihood): negative log-likelihoods against
// float64 formulas written here, gradients with respect to the raw parameters against
// central finite differences of those, and samples whose moments match the distributions'.
import assert from 'node:assert/strict';
import { loadCoreAddon } from '../../lib/index.js';

const addon = loadCoreAddon();

// log Γ(x) for x > 0 (Lanczos, g = 7, n = 9: relative error ~1e-15).
const lanczos = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
function lgamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma(1 - x);
  x -= 1;
  let a = lanczos[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += lanczos[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}
const softplus = (v: number) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));

/** The negative log-likelihood of y under raw parameters p, in float64. */
const nll: Record<string, (p: number[], y: number) => number> = {
  gaussian: ([mu, s], y) => { const sigma = softplus(s), z = (y - mu) / sigma; return 0.5 * Math.log(2 * Math.PI) + Math.log(sigma) + 0.5 * z * z; },
  student_t: ([mu, s, n], y) => {
    const sigma = softplus(s), nu = 2 + softplus(n), z = (y - mu) / sigma;
    return -lgamma((nu + 1) / 2) + lgamma(nu / 2) + 0.5 * Math.log(Math.PI * nu) + Math.log(sigma) + (nu + 1) / 2 * Math.log(1 + z * z / nu);
  },
  negative_binomial: ([m, a], y) => {
    const mu = softplus(m), alpha = softplus(a), r = 1 / alpha;
    return -(lgamma(y + r) - lgamma(y + 1) - lgamma(r) - r * Math.log1p(alpha * mu) + y * (Math.log(alpha * mu) - Math.log1p(alpha * mu)));
  },
  beta: ([a, b], y) => { const [A, Bb] = [softplus(a), softplus(b)]; return -((A - 1) * Math.log(y) + (Bb - 1) * Math.log1p(-y) - (lgamma(A) + lgamma(Bb) - lgamma(A + Bb))); },
  deterministic_l1: ([mu], y) => Math.abs(y - mu),
};
const codes = { gaussian: 0, student_t: 1, negative_binomial: 2, beta: 3, deterministic_l1: 4 } as const;
// Raw parameters and targets each likelihood is checked at (away from |y − μ| = 0 for L1's kink).
const cases: Record<keyof typeof codes, { raw: number[][]; y: number[] }> = {
  gaussian: { raw: [[0.3, 0.2], [-1.5, -1.0], [2, 1.5]], y: [0.1, -3, 4] },
  student_t: { raw: [[0.3, 0.2, 0.5], [-1.5, -1.0, 2], [2, 1.5, -1]], y: [0.1, -3, 9] },
  negative_binomial: { raw: [[1.2, -0.5], [3.0, 0.7], [-0.4, -2]], y: [0, 7, 2] },
  beta: { raw: [[0.4, 1.1], [2.0, -0.3], [-1, -1]], y: [0.3, 0.85, 0.02] },
  deterministic_l1: { raw: [[0.3], [-1.5], [2]], y: [0.1, -3, 4] },
};

describe('nn kernels: likelihoods', () => {
  for (const [name, code] of Object.entries(codes) as [keyof typeof codes, number][]) {
    it(`${name}: the weighted NLL equals the float64 formula; its gradient equals finite differences`, () => {
      const { raw, y } = cases[name];
      const P = raw[0].length, weights = [1, 0.5, 2];
      const grad = new Float32Array(raw.length * P);
      const total = addon.nnNegativeLogLikelihood(code, Float32Array.from(raw.flat()), Float32Array.from(y), Float32Array.from(weights), grad);
      // The reference at the float32 values the kernel sees.
      const raw32 = raw.map((p) => Array.from(Float32Array.from(p)));
      const y32 = Array.from(Float32Array.from(y));
      const expected = raw32.reduce((s, p, i) => s + weights[i] * nll[name](p, y32[i]), 0);
      assert.ok(Math.abs(total - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${total} vs ${expected}`);
      raw32.forEach((p, i) => p.forEach((_, k) => {
        const h = 1e-6, up = [...p], down = [...p];
        up[k] += h;
        down[k] -= h;
        const fd = weights[i] * (nll[name](up, y32[i]) - nll[name](down, y32[i])) / (2 * h);
        assert.ok(Math.abs(grad[i * P + k] - fd) < 1e-4 * Math.max(1, Math.abs(fd)), `${name} value ${i} parameter ${k}: ${grad[i * P + k]} vs ${fd}`);
      }));
    });
  }

  it('negative_binomial with a scale ν (DeepAR): μ = ν·softplus(μ\'), α = softplus(α\')/√ν; its gradient equals finite differences', () => {
    const scaled = (p: number[], y: number, nu: number) => {
      const mu = nu * softplus(p[0]), alpha = softplus(p[1]) / Math.sqrt(nu), r = 1 / alpha;
      return -(lgamma(y + r) - lgamma(y + 1) - lgamma(r) - r * Math.log1p(alpha * mu) + y * (Math.log(alpha * mu) - Math.log1p(alpha * mu)));
    };
    const raw = [[1.2, -0.5], [0.3, 0.7], [-0.4, -2]], y = [0, 70, 2500], scale = [1, 40, 900];
    const grad = new Float32Array(6);
    const total = addon.nnNegativeLogLikelihood(2, Float32Array.from(raw.flat()), Float32Array.from(y), null, grad, Float32Array.from(scale));
    const raw32 = raw.map((p) => Array.from(Float32Array.from(p)));
    const expected = raw32.reduce((s, p, i) => s + scaled(p, y[i], scale[i]), 0);
    assert.ok(Math.abs(total - expected) < 1e-9 * Math.abs(expected), `${total} vs ${expected}`);
    raw32.forEach((p, i) => p.forEach((_, k) => {
      const h = 1e-6, up = [...p], down = [...p];
      up[k] += h;
      down[k] -= h;
      const fd = (scaled(up, y[i], scale[i]) - scaled(down, y[i], scale[i])) / (2 * h);
      assert.ok(Math.abs(grad[i * 2 + k] - fd) < 1e-4 * Math.max(1, Math.abs(fd)), `value ${i} parameter ${k}: ${grad[i * 2 + k]} vs ${fd}`);
    }));
    // Samples are counts with mean ν·softplus(μ'): 50 × 3 = 150.
    const n = 20000, out = new Float32Array(n);
    addon.nnSampleLikelihood(2, Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 ? -1 : Math.log(Math.expm1(3)))), out, 7, 1, 0, new Float32Array(n).fill(50));
    assert.ok(out.every((v) => Number.isInteger(v) && v >= 0), 'counts');
    const mean = out.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(mean - 150) < 0.03 * 150, `mean ${mean}`);
  });

  const moments = (xs: Float32Array) => {
    const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
    return { mean, variance: xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length };
  };
  const inverseSoftplus = (v: number) => Math.log(Math.expm1(v));
  it('samples with the distributions\' means and variances (40,000 draws each), the same draws for the same counters', () => {
    const n = 40000;
    const draw = (code: number, params: number[]) => {
      const out = new Float32Array(n);
      addon.nnSampleLikelihood(code, Float32Array.from({ length: n * params.length }, (_, i) => params[i % params.length]), out, 5, 1, 0);
      return out;
    };
    const close = (actual: number, expected: number, what: string, tolerance = 0.03) => assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
    let m = moments(draw(0, [1.5, inverseSoftplus(2)]));
    close(m.mean, 1.5, 'gaussian mean', 0.05);
    close(m.variance, 4, 'gaussian variance');
    m = moments(draw(1, [0, inverseSoftplus(1), inverseSoftplus(4)]));  // ν = 6: variance 6/4
    close(m.mean, 0, 'student-t mean', 0.05);
    close(m.variance, 1.5, 'student-t variance', 0.06);
    m = moments(draw(2, [inverseSoftplus(5), inverseSoftplus(0.4)]));  // mean 5, variance 5 + 0.4·25 = 15
    close(m.mean, 5, 'negative binomial mean');
    close(m.variance, 15, 'negative binomial variance', 0.05);
    const nb = draw(2, [inverseSoftplus(5), inverseSoftplus(0.4)]);
    assert.ok(nb.every((v) => Number.isInteger(v) && v >= 0), 'counts');
    m = moments(draw(3, [inverseSoftplus(2), inverseSoftplus(3)]));  // mean 0.4, variance 6/(25·6) = 0.04
    close(m.mean, 0.4, 'beta mean');
    close(m.variance, 0.04, 'beta variance', 0.05);
    assert.deepEqual(draw(0, [0, 0]), draw(0, [0, 0]), 'counter-based: repeatable');
  });
});
