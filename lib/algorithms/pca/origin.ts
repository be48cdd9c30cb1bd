// The origin PCA's products are taken about. Data far from the origin (offset 10^5 × the spread)
// would leave the covariance as Σxxᵀ − nμμᵀ, a difference of numbers 10^10 times larger than it,
// and Frequent Directions' shrinks would spend the sketch on the mean's direction; so each state
// takes its products about a point of its data (its first dense row) — Σw(x − o)(x − o)ᵀ,
// Y = Σw(x − o)(x − o)ᵀΩ, B with BᵀB ≈ Σw(x − o)(x − o)ᵀ, Σw‖x − o‖² — and this file moves
// them to the mean (centring) or to another origin (merge) exactly, with rank-one terms.
// Files without an `origin` tensor were written about 0, which is what a missing origin means.
import type { Batch } from '../../data/batch.js';
import type { State } from '../types.js';

/** The state's origin (zeros when absent or not yet set). */
export function originOf(state: State): Float64Array {
  const origin = state.tensors.origin?.data;
  return origin instanceof Float64Array ? origin : new Float64Array(state.schema.featureDim);
}

/**
 * Sets the origin to the first row of the state's first batch, when that batch is dense (index.ts
 * accumulate says why not sparse). "First" by the rows counted in the scalars, not by the count
 * tensor: a GPU backend adds a batch's weight to that tensor only when the state is settled.
 */
export function chooseOrigin(state: State, batch: Batch): void {
  const origin = state.tensors.origin?.data;
  if (!(origin instanceof Float64Array) || Number(state.scalars.examples_seen) !== 0 || (state.tensors.count.data as Float64Array)[0] !== 0) return;
  if (batch.kind !== 'dense' || batch.rows === 0) return;
  for (let j = 0; j < batch.cols; j++) origin[j] = batch.values[j];
}

/** Σw(x − o) = Σw·x − n·o: the state's sum about its origin. */
export function sumAboutOrigin(state: State): Float64Array {
  const n = (state.tensors.count.data as Float64Array)[0];
  const sum = state.tensors.sum.data as Float64Array;
  const origin = originOf(state);
  return sum.map((s, j) => s - n * origin[j]);
}

export const isZero = (v: Float64Array) => v.every((x) => x === 0);

/**
 * A scatter S about origin a, as about b = a − δ: S + m δᵀ + δ mᵀ + n δδᵀ (m = Σw(x − a)), added
 * into `out`'s lower triangle (the regular mode's layout).
 */
export function addScatterMoved(out: Float64Array, scatter: Float64Array, m: Float64Array, delta: Float64Array, n: number, dim: number): void {
  for (let i = 0; i < dim; i++) {
    for (let j = 0; j <= i; j++) out[i * dim + j] += scatter[i * dim + j] + m[i] * delta[j] + delta[i] * m[j] + n * delta[i] * delta[j];
  }
}

/** The same move for the randomized sketch Y = SΩ (d × ℓ): Y + m(δᵀΩ) + δ(mᵀΩ) + n δ(δᵀΩ), added into `out`. */
export function addSketchMoved(out: Float64Array, y: Float64Array, omega: Float64Array, m: Float64Array, delta: Float64Array, n: number,
  dim: number, ell: number): void {
  const deltaOmega = project(delta, omega, dim, ell);
  const mOmega = project(m, omega, dim, ell);
  for (let j = 0; j < dim; j++) {
    for (let c = 0; c < ell; c++) out[j * ell + c] += y[j * ell + c] + m[j] * deltaOmega[c] + delta[j] * mOmega[c] + n * delta[j] * deltaOmega[c];
  }
}

/** vᵀΩ for Ω of d × ℓ. */
export function project(v: Float64Array, omega: Float64Array, dim: number, ell: number): Float64Array {
  const out = new Float64Array(ell);
  for (let j = 0; j < dim; j++) for (let c = 0; c < ell; c++) out[c] += v[j] * omega[j * ell + c];
  return out;
}

/** Σw‖x − b‖² from Σw‖x − a‖² (b = a − δ): + 2mᵀδ + n‖δ‖². */
export function squaresMoved(squares: number, m: Float64Array, delta: Float64Array, n: number): number {
  let cross = 0, norm = 0;
  for (let j = 0; j < delta.length; j++) {
    cross += m[j] * delta[j];
    norm += delta[j] * delta[j];
  }
  return squares + 2 * cross + n * norm;
}

/**
 * Rows R and signs S with RᵀSR = BᵀB + m δᵀ + δ mᵀ + n δδᵀ (the Frequent Directions sketch B
 * moved by δ): [B; (m + nδ)/√n; m/√n] with signs (1, …, 1, +1, −1).
 */
export function sketchRowsMoved(rows: Float64Array, filled: number, m: Float64Array, delta: Float64Array, n: number, dim: number):
  { rows: Float64Array; signs: Float64Array } {
  const out = new Float64Array((filled + 2) * dim);
  out.set(rows.subarray(0, filled * dim));
  const root = Math.sqrt(n);
  for (let j = 0; j < dim; j++) {
    out[filled * dim + j] = (m[j] + n * delta[j]) / root;
    out[(filled + 1) * dim + j] = m[j] / root;
  }
  const signs = new Float64Array(filled + 2).fill(1);
  signs[filled + 1] = -1;
  return { rows: out, signs };
}
