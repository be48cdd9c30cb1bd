// The randomized mode's test matrix Ω, a function of (seed, d, ℓ, the state's revision): rebuilt,
// not stored. Random signs in general; the identity where the sketch is as wide as the data.
import { sketchSize, type PcaState } from './hyperparameters.js';
import { randomSigns } from './spectrum.js';

/**
 * What a state's numbers mean, kept in its scalars (`revision`; a file without one is 1). From 2, a
 * randomized sketch as wide as the data (ℓ = d) is taken with Ω = I: Y is then the scatter itself
 * and the Nyström product exact, where a square random-sign Ω is often singular at small d (4 × 4:
 * iris gave a wrong 2nd component for 6 seeds of 8). Revision 1 states keep their signs.
 */
export const currentRevision = 2;
export function revisionOf(state: PcaState): number {
  return typeof state.scalars.revision === 'number' ? state.scalars.revision : 1;
}

/** Whether the state's Ω is the identity (revision 2, ℓ = d) rather than random signs. */
export function identityOmega(state: PcaState): boolean {
  const d = state.schema.featureDim;
  return revisionOf(state) >= 2 && sketchSize(state.hyperparameters, d) >= d;
}

// Cached per state (keyed by its y tensor).
const signCache = new WeakMap<object, Float64Array>();
export function omegaOf(state: PcaState): Float64Array {
  let omega = signCache.get(state.tensors.y);
  if (!omega) {
    const d = state.schema.featureDim;
    const ell = sketchSize(state.hyperparameters, d);
    omega = identityOmega(state) ? identityMatrix(d) : randomSigns(state.hyperparameters.seed, d, ell);
    signCache.set(state.tensors.y, omega);
  }
  return omega;
}

function identityMatrix(d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) out[i * d + i] = 1;
  return out;
}
