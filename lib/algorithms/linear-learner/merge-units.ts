// A shard's parameters in another scaler's units. Each state learns its weights
// on its own scaled features, x' = (x − shift)·scale, and scaled labels,
// y' = (y − labelShift)·labelScale; shards whose samples differ (workers on
// files that each hold another part of the data) have different scalers, and
// averaging their weights as they are mixed units: two workers on x ∈ [0, 1]
// and x ∈ [100, 101] merged into a model with mse 26,802 where one worker gave
// 0.014. Before averaging, each shard's arrays are moved to the merged scaler:
// the same function of the raw inputs, and gradients (optimizer moments) as
// the merged scaler's steps would see them.
import type { LinearLearnerState } from './state.js';

export interface Scaler {
  shift?: Float32Array;
  scale?: Float32Array;
  /** [labelShift, labelScale] (regression). */
  label?: Float32Array;
}

export function scalerOf(state: LinearLearnerState): Scaler {
  const t = state.tensors;
  return {
    shift: t.feature_shift?.data as Float32Array | undefined,
    scale: t.feature_scale?.data as Float32Array | undefined,
    label: t.label_transform?.data as Float32Array | undefined,
  };
}

const same = (a?: Float32Array, b?: Float32Array) => a === b || (!!a && !!b && a.length === b.length && a.every((v, k) => v === b[k]));

export function sameScaler(a: Scaler, b: Scaler): boolean {
  return same(a.shift, b.shift) && same(a.scale, b.scale) && same(a.label, b.label);
}

/**
 * The state's parameter arrays (weights and average caught up: `plain`, `average`) in `target`'s
 * units, as new arrays by tensor name. With w' the weights on scaled features and labels:
 *   raw coefficient a_j = w_j·s_j / L, raw intercept = (b − Σ_j w_j·s_j·shift_j) / L + labelShift,
 * so w'_j = w_j · (s_j/S_j)·(L'/L) and b' = L'·(intercept − labelShift') + Σ_j w'_j·S_j·shift'_j;
 * a gradient (moment1) scales by (S_j/s_j)·(L'/L), its square (moment2) by that squared, and the
 * bias's by L'/L (its square by (L'/L)²). Sums in float64, one rounding to float32 each.
 */
export function inUnitsOf(state: LinearLearnerState, from: Scaler, target: Scaler, plain: Float32Array, average: Float32Array | undefined,
  dim: number, width: number): Map<string, Float32Array> {
  const s = (j: number) => (from.scale ? from.scale[j] : 1);
  const S = (j: number) => (target.scale ? target.scale[j] : 1);
  const shift = (j: number) => (from.shift ? from.shift[j] : 0);
  const Shift = (j: number) => (target.shift ? target.shift[j] : 0);
  const [labelShift, L] = from.label ? [from.label[0], from.label[1]] : [0, 1];
  const [labelShift2, L2] = target.label ? [target.label[0], target.label[1]] : [0, 1];
  const q = L2 / L;
  const out = new Map<string, Float32Array>();
  const t = state.tensors;
  const moveWeights = (w: Float32Array, bias: Float32Array | undefined, name: string, biasName: string) => {
    const moved = new Float32Array(w.length);
    const intercept = new Float64Array(width);
    const folded = new Float64Array(width);
    for (let k = 0; k < width; k++) intercept[k] = bias ? bias[k] : 0;
    for (let j = 0; j < dim; j++) {
      const f = (s(j) / S(j)) * q;
      for (let k = 0; k < width; k++) {
        const v = w[j * width + k];
        intercept[k] -= v * s(j) * shift(j);
        const m = Math.fround(v * f);
        moved[j * width + k] = m;
        folded[k] += m * S(j) * Shift(j);
      }
    }
    out.set(name, moved);
    if (bias) out.set(biasName, Float32Array.from(intercept, (b, k) => L2 * (b / L + labelShift - labelShift2) + folded[k]));
  };
  moveWeights(plain, t.bias?.data as Float32Array | undefined, 'weights', 'bias');
  if (average) moveWeights(average, t.bias_average?.data as Float32Array | undefined, 'average', 'bias_average');
  for (const [name, power] of [['moment1', 1], ['moment2', 2]] as const) {
    const m = t[name]?.data as Float32Array | undefined;
    if (m) out.set(name, Float32Array.from(m, (v, i) => v * ((S(Math.floor(i / width)) / s(Math.floor(i / width))) * q) ** power));
    const b = t[`bias_${name}`]?.data as Float32Array | undefined;
    if (b) out.set(`bias_${name}`, Float32Array.from(b, (v) => v * q ** power));
  }
  return out;
}
