// What PCA says about the data a state has seen: errors for data that cannot give the model asked
// for (fewer rows than components, no spread at all), and warnings for data the model is made
// from but cannot resolve well (a sketch as wide as the data in old states, sparse rows far from
// 0 in Frequent Directions, uncentred data far from 0).
import { DegenerateDataError, requireTrainingWeight } from '../degenerate-data.js';
import { requireSettled } from '../../backends/device-state.js';
import type { Selection } from '../types.js';
import { sketchSize, type PcaState } from './hyperparameters.js';
import { identityOmega } from './omega.js';
import { isZero, squaresMoved, sumAboutOrigin } from './origin.js';

/**
 * More components than the rows span: those past the data's rank would be arbitrary directions of
 * variance 0. n rows span n directions, and n − 1 once centred on their mean (with n centred rows
 * and num_components = n, the last came out with variance 3e-16 and a direction of chance).
 */
export function rowsProblem(state: PcaState, k: number, subtractMean: boolean): DegenerateDataError | undefined {
  const rows = Number(state.scalars.examples_seen);
  const most = subtractMean ? rows - 1 : rows;
  // One centred row has no spread at all, which spreadProblem says.
  if (rows === 0 || k <= most || (subtractMean && rows === 1)) return undefined;
  const seen = `${rows} row${rows === 1 ? '' : 's'} seen`;
  return new DegenerateDataError(subtractMean
    ? `pca: num_components=${k} but only ${seen}, which centred on their mean span at most ${most} direction${most === 1 ? '' : 's'}; ` +
      'num_components must be at most the number of rows − 1 (subtract_mean=true), or the number of rows with subtract_mean=false'
    : `pca: num_components=${k} but only ${seen}; num_components must be at most the number of rows`);
}

/**
 * A component's variance, as a share of the smallest variance of a feature that varies, at or
 * below which it is a direction the rows do not span: far below any feature's own spread, where
 * only the eigensolver's rounding of the others is left.
 */
const spannedShare = 1e-12;

/**
 * Components past the directions the rows span, counted by their variance: rows repeated or
 * lying in a subspace span fewer than their number (3 rows written twice, num_components=5, gave
 * components of variance 2e-16, 2e-18 and 0 in directions of chance). Centred rows in the regular
 * mode, whose covariance gives each feature's variance: a component is measured against the
 * smallest of them, not the total, so a feature of spread 1 beside one of 1e38 keeps its component.
 */
export function rankProblem(state: PcaState, k: number, subtractMean: boolean, values: ArrayLike<number>, dof: number): DegenerateDataError | undefined {
  if (!subtractMean || state.hyperparameters.algorithm_mode !== 'regular') return undefined;
  const d = state.schema.featureDim;
  const n = (state.tensors.count.data as Float64Array)[0];
  const cross = state.tensors.cross.data as Float64Array;
  const m = sumAboutOrigin(state);
  let smallest = Infinity;
  for (let j = 0; j < d; j++) {
    const variance = cross[j * d + j] - (m[j] * m[j]) / n;
    if (variance > 0 && variance < smallest) smallest = variance;
  }
  if (!Number.isFinite(smallest)) return undefined;
  let spanned = 0;
  while (spanned < k && values[spanned] > spannedShare * smallest) spanned++;
  if (spanned === k) return undefined;
  const rows = Number(state.scalars.examples_seen);
  const per = (v: number) => (Math.max(0, v) / Math.max(1, dof)).toPrecision(3);
  return new DegenerateDataError(`pca: num_components=${k} but the ${rows.toLocaleString('en-US')} row${rows === 1 ? '' : 's'} seen span only ` +
    `${spanned} direction${spanned === 1 ? '' : 's'} (component ${spanned + 1} has variance ${per(values[spanned])}, where the least varied feature ` +
    `has ${per(smallest)}): the components past them would be directions of chance. num_components must be at most ${spanned}; repeated rows, ` +
    'or features that are sums of others, span fewer directions than their number');
}

/** Rows with no spread (one point repeated, or all zero uncentred): every direction is a component of variance 0, none is the data's. */
export function spreadProblem(state: PcaState, subtractMean: boolean): DegenerateDataError | undefined {
  const n = (state.tensors.count.data as Float64Array)[0];
  const rows = Number(state.scalars.examples_seen);
  if (!(n > 0)) return undefined;
  const meanSquares = meanNormSquared(state, n);
  const spread = centredTrace(state, n) + (subtractMean ? 0 : n * meanSquares);
  if (spread > 0) return undefined;
  const what = !subtractMean ? `the ${rows === 1 ? 'row' : `${rows.toLocaleString('en-US')} rows`} seen ${rows === 1 ? 'is' : 'are all'} zero (subtract_mean=false measures spread about 0)`
    : rows === 1 ? 'only 1 row seen, and one row has no variance about its mean'
      : `all ${rows.toLocaleString('en-US')} rows seen are the same point, with no variance about their mean`;
  return new DegenerateDataError(`pca: ${what}, so there is no direction of spread to find (every direction would be a component ` +
    'of variance 0). Check the input: a file of one repeated row, or the wrong columns');
}

export function checkTrainingData(state: PcaState): void {
  // Its counts are stale while a GPU backend holds the latest batches.
  requireSettled(state, 'pca checkTrainingData');
  // The moments count rows by weight: rows all of weight 0 add nothing to them.
  requireTrainingWeight('pca', Number(state.scalars.examples_seen), (state.tensors.count.data as Float64Array)[0]);
  const problem = rowsProblem(state, state.hyperparameters.num_components, state.hyperparameters.subtract_mean) ?? spreadProblem(state, state.hyperparameters.subtract_mean);
  if (problem) throw problem;
}

/** subtract_mean as the hyperparameter reads it (true/false, True/False as Python writes them); anything else is refused, not taken as false. */
export function selectedBool(value: unknown): boolean {
  if (value === true || value === 'true' || value === 'True') return true;
  if (value === false || value === 'false' || value === 'False') return false;
  throw new RangeError(`pca select: subtract_mean must be true or false, got ${JSON.stringify(value) ?? String(value)}`);
}

/** Randomized with ℓ = d: Y(ΩᵀY)⁺Yᵀ is the covariance only where the square d × d sign matrix Ω is well conditioned. */
function squareSketchWarning(state: PcaState): string[] {
  const d = state.schema.featureDim;
  if (state.hyperparameters.algorithm_mode !== 'randomized' || sketchSize(state.hyperparameters, d) < d || identityOmega(state)) return [];
  // States of revision 1 only (from files written before Ω = I): at small d it often is not (iris, d = 4: 6 seeds of 8 gave a wrong 2nd component).
  return [`pca: this randomized state (revision 1, written before ℓ = d sketches were taken with Ω = I) has ℓ = ${d}, as many ` +
    `sketch columns as features: its components are exact only where its ${d} × ${d} random-sign matrix is well conditioned, which ` +
    `at small d often fails. Train it again (a new state is exact here), or use algorithm_mode=regular`];
}

/** ‖μ‖², the squared norm of the mean (Σx / n). */
function meanNormSquared(state: PcaState, n: number): number {
  let total = 0;
  for (const v of state.tensors.sum.data as Float64Array) total += (v / n) ** 2;
  return total;
}

/** Σw‖x − μ‖², the whole variance about the mean (× n), exact in every mode. */
function centredTrace(state: PcaState, n: number): number {
  const d = state.schema.featureDim;
  const m = sumAboutOrigin(state);
  const delta = m.map((v) => -v / n);
  if (state.hyperparameters.algorithm_mode !== 'regular') return squaresMoved((state.tensors.squares.data as Float64Array)[0], m, delta, n);
  const cross = state.tensors.cross.data as Float64Array;
  let diagonal = 0;
  for (let i = 0; i < d; i++) diagonal += cross[i * d + i];
  return squaresMoved(diagonal, m, delta, n);
}

/**
 * subtract_mean=false far from 0: the uncentred second moment is n·μμᵀ (ρ times the variance about
 * the mean) plus the spread, and float64 solves it with an error near ε·n‖μ‖² on each eigenvalue,
 * ε·ρ of the whole variance (offset 10^7 × a spread of ~3 in 8 features: ρ = 2.7·10^13, the 5th
 * component's variance 2% off in every mode). Warned where a component with 1/d of the variance
 * would be off by more than 10^-3.
 */
function uncentredWarning(state: PcaState, subtractMean: boolean): string[] {
  if (subtractMean) return [];
  const n = (state.tensors.count.data as Float64Array)[0];
  if (!(n > 0)) return [];
  const d = state.schema.featureDim;
  const meanSquares = meanNormSquared(state, n);
  const spread = centredTrace(state, n);
  // One point (or one row): no spread to resolve, and the uncentred model (the point's direction) is exact.
  if (!(spread > 0)) return [];
  const rho = n * meanSquares / spread;
  if (!(Number.EPSILON * rho * d > 1e-3)) return [];
  const error = Number.EPSILON * rho;
  const which = 1000 * error >= 1 ? 'every component but the mean\'s can be off by more than 0.1%'
    : `components with less than ${(1e5 * error).toPrecision(2)}% of it can be off by more than 0.1%`;
  return [`pca: subtract_mean=false on data far from 0: n‖μ‖² is ${rho.toExponential(1)} × the variance about the mean, so each ` +
    `component's eigenvalue carries a rounding error near ${error.toExponential(1)} of the total variance; ${which}. Use subtract_mean=true (the model then ` +
    'subtracts the mean before projecting) or centre the rows'];
}

/**
 * Frequent Directions on rows kept about 0 (a state that began on sparse rows, which are never
 * shifted): the sketch's error, up to Σ‖x‖²/ℓ, is then measured against the rows' squared norms, not
 * their spread about the mean. Far from 0 it exceeds the data's whole variance, and the components
 * and explained variances are not the data's (rows at 1e6 ± 3: a ratio of 9.1, components at
 * |cos| 0.19 to the true ones). Regular and randomized modes are exact or within 1e-3 there.
 */
function sparseSketchWarning(state: PcaState, subtractMean: boolean): string[] {
  const hp = state.hyperparameters;
  if (hp.algorithm_mode !== 'frequent_directions' || !subtractMean) return [];
  const origin = state.tensors.origin?.data as Float64Array | undefined;
  if (origin && !isZero(origin)) return [];
  const n = (state.tensors.count.data as Float64Array)[0];
  const squares = (state.tensors.squares.data as Float64Array)[0];
  if (!(n > 1)) return [];
  const spread = Math.max(0, squares - n * meanNormSquared(state, n));
  const ell = sketchSize(hp, state.schema.featureDim);
  if (!(squares / ell > spread)) return [];
  return [`pca: frequent_directions on sparse rows far from 0: the sketch keeps the rows about 0, and its error (up to Σ‖x‖²/ℓ = ` +
    `${(squares / ell).toExponential(2)}) exceeds the data's whole variance about its mean (${spread.toExponential(2)}): its components and ` +
    'explained variances are not the data\'s. Use algorithm_mode=regular (exact; feature_dim² doubles of state) or randomized, or centre the rows'];
}

/** The warnings for the model of `selection` (its subtract_mean, when given; the hyperparameter's otherwise). */
export function pcaDataWarnings(state: PcaState, selection?: Selection): string[] {
  const subtractMean = selection?.subtract_mean !== undefined ? selectedBool(selection.subtract_mean) : state.hyperparameters.subtract_mean;
  return [...squareSketchWarning(state), ...sparseSketchWarning(state, subtractMean), ...uncentredWarning(state, subtractMean)];
}
