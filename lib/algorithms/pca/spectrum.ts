// The leading eigenpairs of PCA's covariance estimate, from each mode's state:
// regular solves the d × d scatter matrix; the sketches give the estimate in
// factored form Rᵀ·diag(signs)·R with R of r ≪ d rows, solved in r dimensions.
// Each computation is written once, as steps that yield the symmetric matrices
// they need decomposed: finalize runs the eigensolves on a libuv thread
// (solveAsync), merge — synchronous by contract — on the caller (solveSync).
import { loadCoreAddon } from '../../backends/native-addon.js';
import { Random } from '../../random.js';

/** A symmetric n × n matrix (lower triangle read) to decompose: all n values, the vectors of the `count` largest. */
interface EigenRequest { matrix: Float64Array; n: number; count?: number }
type Eigen = { values: Float64Array; vectors: Float64Array };
/** A computation that yields its eigensolves and returns T. */
type EigenSteps<T> = Generator<EigenRequest, T, Eigen>;

/** Runs the steps with the eigensolves on the calling thread. */
function solveSync<T>(steps: EigenSteps<T>): T {
  for (let next = steps.next(); ; ) {
    if (next.done) return next.value;
    const { matrix, n, count } = next.value;
    next = steps.next(loadCoreAddon().symmetricEigen(matrix, n, count));
  }
}

/** Runs the steps with the eigensolves on a libuv thread, the event loop free meanwhile. */
async function solveAsync<T>(steps: EigenSteps<T>): Promise<T> {
  for (let next = steps.next(); ; ) {
    if (next.done) return next.value;
    const { matrix, n, count } = next.value;
    next = steps.next(await loadCoreAddon().symmetricEigenAsync(matrix, n, count));
  }
}

export interface Spectrum {
  /** Eigenvalues of the scatter estimate, descending, at least `k` of them. */
  values: Float64Array;
  /** k × d: unit, mutually orthogonal eigenvectors in rows. */
  vectors: Float64Array;
}

/** The d × ℓ random-sign test matrix of the randomized mode, a function of (seed, d, ℓ) only. */
export function randomSigns(seed: number, dim: number, ell: number): Float64Array {
  const random = Random.fromSeed(seed);
  const omega = new Float64Array(dim * ell);
  for (let i = 0; i < omega.length; i += 32) {
    const bits = random.nextUint32();
    for (let b = 0; b < 32 && i + b < omega.length; b++) omega[i + b] = (bits >>> b) & 1 ? 1 : -1;
  }
  return omega;
}

/** The top k eigenpairs (and every eigenvalue) of a symmetric d × d matrix (lower triangle read), off the event loop. */
export async function denseSpectrum(matrix: Float64Array, dim: number, k: number): Promise<Spectrum> {
  const { values, vectors } = await loadCoreAddon().symmetricEigenAsync(matrix, dim, k);
  return { values, vectors };
}

/**
 * Eigenpairs of M = Rᵀ S R (R: r × d rows, S = diag(signs)) without forming M: with
 * R Rᵀ = W Λ Wᵀ, the columns of Q = Rᵀ W Λ^(-1/2) are an orthonormal basis of R's row
 * space, and Qᵀ M Q = Λ^(1/2) Wᵀ S W Λ^(1/2) is r × r. Its eigenvectors Z give M's as Q Z.
 */
export function factoredSpectrum(rows: Float64Array, signs: Float64Array, dim: number, k: number): Spectrum {
  return solveSync(factoredSteps(rows, signs, dim, k));
}

/** factoredSpectrum with its eigensolves off the event loop (finalize). */
export function factoredSpectrumAsync(rows: Float64Array, signs: Float64Array, dim: number, k: number): Promise<Spectrum> {
  return solveAsync(factoredSteps(rows, signs, dim, k));
}

function* factoredSteps(rows: Float64Array, signs: Float64Array, dim: number, k: number): EigenSteps<Spectrum> {
  const r = signs.length;
  const gram = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let t = 0; t < dim; t++) dot += rows[i * dim + t] * rows[j * dim + t];
      gram[i * r + j] = gram[j * r + i] = dot;
    }
  }
  const g = yield { matrix: gram, n: r };
  // Directions with no energy (relative to the largest) carry nothing and would divide by ~0.
  const floor = Math.max(g.values[0], 0) * r * 1e-13;
  let q = 0;
  while (q < r && g.values[q] > floor) q++;
  const small = new Float64Array(q * q);
  for (let a = 0; a < q; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0;
      for (let i = 0; i < r; i++) sum += g.vectors[a * r + i] * signs[i] * g.vectors[b * r + i];
      small[a * q + b] = small[b * q + a] = Math.sqrt(g.values[a] * g.values[b]) * sum;
    }
  }
  const h = q > 0 ? yield { matrix: small, n: q } : { values: new Float64Array(0), vectors: new Float64Array(0) };
  const values = new Float64Array(Math.max(k, q));
  values.set(h.values);
  const vectors = new Float64Array(k * dim);
  const coefficient = new Float64Array(r);
  for (let m = 0; m < Math.min(k, q); m++) {
    // Row m of the result: Σ_a z[a]·(Rᵀ w_a)/√λ_a = Rᵀ c with c = W Λ^(-1/2) z.
    coefficient.fill(0);
    for (let a = 0; a < q; a++) {
      const scale = h.vectors[m * q + a] / Math.sqrt(g.values[a]);
      for (let i = 0; i < r; i++) coefficient[i] += scale * g.vectors[a * r + i];
    }
    const out = vectors.subarray(m * dim, (m + 1) * dim);
    for (let i = 0; i < r; i++) {
      const c = coefficient[i];
      if (c !== 0) for (let t = 0; t < dim; t++) out[t] += c * rows[i * dim + t];
    }
  }
  completeOrthonormal(vectors, Math.min(k, q), k, dim);
  return { values, vectors };
}

/**
 * Rows [have, k) of `vectors` filled with unit vectors orthogonal to all before them (for
 * components beyond the rank the sketch saw: eigenvalue 0, any orthogonal direction is an
 * eigenvector). Gram–Schmidt on the coordinate axes, twice for accuracy.
 */
function completeOrthonormal(vectors: Float64Array, have: number, k: number, dim: number): void {
  let axis = 0;
  for (let m = have; m < k; m++) {
    const out = vectors.subarray(m * dim, (m + 1) * dim);
    for (; axis < dim; axis++) {
      out.fill(0);
      out[axis] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < m; p++) {
          const prev = vectors.subarray(p * dim, (p + 1) * dim);
          let dot = 0;
          for (let t = 0; t < dim; t++) dot += prev[t] * out[t];
          for (let t = 0; t < dim; t++) out[t] -= dot * prev[t];
        }
      }
      let norm = 0;
      for (let t = 0; t < dim; t++) norm += out[t] * out[t];
      norm = Math.sqrt(norm);
      if (norm > 0.5) {
        for (let t = 0; t < dim; t++) out[t] /= norm;
        axis++;
        break;
      }
    }
  }
}

/**
 * The single-pass Nyström approximation Ĉ = Y (ΩᵀY)⁺ Yᵀ from Y = CΩ (Tropp, Yurtsever, Udell,
 * Cevher 2017, with their shift ν for stability): Yν = Y + νΩ, ΩᵀYν = W Λ Wᵀ, and
 * Ĉ + (shift) = B Bᵀ with B = Yν W Λ^(-1/2). Returns B's columns as rows and the shift.
 */
export function nystromFactor(y: Float64Array, omega: Float64Array, dim: number, ell: number): Promise<{ rows: Float64Array; shift: number }> {
  return solveAsync(nystromSteps(y, omega, dim, ell));
}

function* nystromSteps(y: Float64Array, omega: Float64Array, dim: number, ell: number): EigenSteps<{ rows: Float64Array; shift: number }> {
  let norm = 0;
  for (const v of y) norm += v * v;
  const shift = Math.sqrt(dim) * Number.EPSILON * Math.sqrt(norm);
  const shifted = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) shifted[i] = y[i] + shift * omega[i];
  const core = new Float64Array(ell * ell);
  for (let a = 0; a < ell; a++) {
    for (let b = 0; b <= a; b++) {
      let ab = 0, ba = 0;
      for (let j = 0; j < dim; j++) {
        ab += omega[j * ell + a] * shifted[j * ell + b];
        ba += omega[j * ell + b] * shifted[j * ell + a];
      }
      core[a * ell + b] = core[b * ell + a] = (ab + ba) / 2;
    }
  }
  const { values, vectors } = yield { matrix: core, n: ell };
  const floor = Math.max(values[0], 0) * ell * 1e-13;
  const rows = new Float64Array(ell * dim);
  for (let a = 0; a < ell; a++) {
    if (!(values[a] > floor)) continue;
    const scale = 1 / Math.sqrt(values[a]);
    for (let j = 0; j < dim; j++) {
      let sum = 0;
      for (let b = 0; b < ell; b++) sum += shifted[j * ell + b] * vectors[a * ell + b];
      rows[a * dim + j] = sum * scale;
    }
  }
  return { rows, shift };
}

/**
 * The top k eigenpairs of C + n·μμᵀ, from C's eigenpairs (q of them, vectors in rows): the
 * uncentred estimate from a sketch's centred one. Far from 0, n‖μ‖² dwarfs C (offset 10^6 ×
 * the spread: 10^12), and a sketch moved to 0 as a whole loses C's directions below its
 * solver's floor or in the Nyström shift ε·‖Y‖; here C's directions stay exact and only the
 * (q + 1)-dimensional problem diag(Λ, 0) + n·zzᵀ in the basis [V, u] is solved, z = (Vμ, ‖μ − VᵀVμ‖),
 * u the unit part of μ outside V: its accuracy is regular mode's (ε·n‖μ‖² on each eigenvalue).
 */
export function withMeanAsync(centred: Spectrum, q: number, mean: Float64Array, n: number, dim: number, k: number): Promise<Spectrum> {
  return solveAsync(withMeanSteps(centred, q, mean, n, dim, k));
}

function* withMeanSteps(centred: Spectrum, q: number, mean: Float64Array, n: number, dim: number, k: number): EigenSteps<Spectrum> {
  const basis = new Float64Array((q + 1) * dim);
  basis.set(centred.vectors.subarray(0, q * dim));
  const { z, p } = addMeanDirection(basis, q, mean, dim);
  const matrix = new Float64Array(p * p);
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) matrix[a * p + b] = matrix[b * p + a] = n * z[a] * z[b] + (a === b && a < q ? centred.values[a] : 0);
  }
  const h = p > 0 ? yield { matrix, n: p, count: Math.min(k, p) } : { values: new Float64Array(0), vectors: new Float64Array(0) };
  const values = new Float64Array(Math.max(k, p));
  values.set(h.values);
  const vectors = new Float64Array(k * dim);
  for (let m = 0; m < Math.min(k, p); m++) {
    const out = vectors.subarray(m * dim, (m + 1) * dim);
    for (let a = 0; a < p; a++) {
      const c = h.vectors[m * p + a];
      for (let j = 0; j < dim; j++) out[j] += c * basis[a * dim + j];
    }
  }
  completeOrthonormal(vectors, Math.min(k, p), k, dim);
  return { values, vectors };
}

/**
 * Writes u, the unit part of μ outside the q orthonormal rows of `basis`, into its row q, and
 * returns μ's coordinates z in [V, u] and how many rows are in use: q + 1, or q when μ lies in V
 * (to rounding). Gram–Schmidt twice, as V is orthonormal only to rounding.
 */
function addMeanDirection(basis: Float64Array, q: number, mean: Float64Array, dim: number): { z: Float64Array; p: number } {
  const z = new Float64Array(q + 1);
  const outside = basis.subarray(q * dim, (q + 1) * dim);
  outside.set(mean);
  for (let pass = 0; pass < 2; pass++) {
    for (let a = 0; a < q; a++) {
      const row = basis.subarray(a * dim, (a + 1) * dim);
      let dot = 0;
      for (let j = 0; j < dim; j++) dot += row[j] * outside[j];
      z[a] += dot;
      for (let j = 0; j < dim; j++) outside[j] -= dot * row[j];
    }
  }
  let norm = 0, meanNorm = 0;
  for (let j = 0; j < dim; j++) {
    norm += outside[j] * outside[j];
    meanNorm += mean[j] * mean[j];
  }
  norm = Math.sqrt(norm);
  if (!(norm > 1e-12 * Math.sqrt(meanNorm))) return { z, p: q };
  z[q] = norm;
  for (let j = 0; j < dim; j++) outside[j] /= norm;
  return { z, p: q + 1 };
}
