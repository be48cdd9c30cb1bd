// The values each likelihood can model, checked on every series that trains, is evaluated or is
// forecast from: a history outside them gave a forecast of numbers without a word.
import type { DeeparHyperparameters as Hp } from './hyperparameters.js';

/** A value the likelihood cannot model (beta: (0, 1); negative binomial: counts ≥ 0), or undefined. */
export function valueOutsideLikelihood(likelihood: Hp['likelihood'], target: Float32Array): string | undefined {
  const range = likelihood === 'beta' ? { ok: (v: number) => v > 0 && v < 1, what: 'values in (0, 1)' }
    : likelihood === 'negative-binomial' ? { ok: (v: number) => v >= 0, what: 'counts (values ≥ 0)' } : undefined;
  if (!range) return undefined;
  const i = target.findIndex((v) => !Number.isNaN(v) && !range.ok(v));
  return i < 0 ? undefined : `"target"[${i}] is ${target[i]}; likelihood=${likelihood} models ${range.what}`;
}
