// What a factorization-machine state's hyperparameters resolve to: the model
// grid (num_models auto: three factor weight decays; N: model 0 = the user's settings, others
// spread over factor sizes, learning rates and weight decay on a Halton sequence) and the native
// kernel's settings.
import { HyperparameterError } from '../hyperparameters.js';
import { defaultWeightDecay, type FactorizationMachinesHyperparameters as Hp } from './hyperparameters.js';

export interface GridModel {
  factors: number; offset: number;
  biasLr: number; linearLr: number; factorsLr: number;
  biasWd: number; linearWd: number; factorsWd: number;
}

export interface FmSettings {
  loss: number;       // 0 logistic, 1 squared (native/algorithms/factorization_machines/factorization_machines.h)
  optimizer: number;  // 0 sgd, 1 adagrad, 2 adam
  decay: number;      // 0 decoupled (states of revision 1), 1 L2 through the optimizer's step scale
  dim: number;
  eps: number; beta1: number; beta2: number;
  clipGradient: number;  // 0: none
  rescaleGrad: number;   // 0: 1 / batch weight
  models: Float64Array;  // models × 8
}

function halton(index: number, base: number): number {
  let f = 1, r = 0;
  for (let i = index; i > 0; i = Math.floor(i / base)) {
    f /= base;
    r += f * (i % base);
  }
  return r;
}

const factorScale = [1, 0.5, 2];

/**
 * What a state's numbers mean, kept in its scalars (`revision`; a file without one is 1).
 * 1: decoupled weight decay p ← p·(1 − lr·wd) per step; the grid spreads learning rates only;
 *    progressive sums run over every pass.
 * 2: weight decay is the L2 penalty seen through the optimizer's step scale (ridge at rest,
 *    whatever the optimizer); the grid also spreads the weight decay; progressive sums cover
 *    the first pass only (from the second on, scores on the training data are training scores).
 */
export const currentRevision = 2;

export function revisionOf(state: { scalars: Record<string, unknown> }): number {
  return typeof state.scalars.revision === 'number' ? state.scalars.revision : 1;
}

/** linear_wd and factors_wd as set, or their predictor_type's default (hyperparameters.ts). */
export function weightDecay(hp: Hp, group: 'linear' | 'factors'): number {
  const value = hp[`${group}_wd`];
  if (value !== 'auto') return value;
  return defaultWeightDecay[hp.predictor_type][group];
}

/**
 * num_models auto: factors_wd × these, nothing else changed. How strongly the factors must be
 * held back depends on how much pairwise signal the data has, which no setting fits in advance:
 * on lme4's InstEval (lecture ratings, almost none) 10 epochs give test RMSE 1.198 at
 * factors_wd 0.003 and 1.284 at 0.0001; on psychTools' spi (personality items, strong factors)
 * 1.421 at 0.003 and 1.074 at 0.0001. The first pass's progressive loss ranked these three
 * values as the tenth epoch's test RMSE did on both; a weaker decay (×0.01) won the first pass
 * on spi but lost the tenth epoch, so the grid stops at ×0.03 (bench/fm-ratings.ts).
 */
export const autoDecayScales = [1, 0.1, 0.03] as const;

export function modelGrid(hp: Hp, revision = currentRevision): GridModel[] {
  if (hp.num_models === 'auto') return decayGrid(hp);
  const grid: GridModel[] = [];
  let offset = 0;
  for (let m = 0; m < hp.num_models; m++) {
    // Model m ≥ 1: factor size k/2, k or 2k; linear and factor rates 0.1× to 10× the given ones;
    // from revision 2, the linear and factor weight decay 0.1× to 10× too (the right penalty
    // depends on how many rows a pass holds: a prior worth about wd·rows/2 rows).
    const factors = m === 0 ? hp.num_factors : Math.max(1, Math.round(hp.num_factors * factorScale[m % 3]));
    const spread = (u: number) => (m === 0 ? 1 : 10 ** (2 * u - 1));
    const wd = revision >= 2 ? spread(halton(m, 5)) : 1;
    grid.push({
      factors, offset,
      biasLr: hp.bias_lr, linearLr: hp.linear_lr * spread(halton(m, 2)), factorsLr: hp.factors_lr * spread(halton(m, 3)),
      biasWd: hp.bias_wd, linearWd: weightDecay(hp, 'linear') * wd, factorsWd: weightDecay(hp, 'factors') * wd,
    });
    offset += factors;
  }
  return grid;
}

function decayGrid(hp: Hp): GridModel[] {
  // No factor penalty to scale: three copies of one model would cost 3× for nothing.
  const scales = weightDecay(hp, 'factors') === 0 ? [1] : autoDecayScales;
  return scales.map((scale, m) => ({
    factors: hp.num_factors, offset: m * hp.num_factors,
    biasLr: hp.bias_lr, linearLr: hp.linear_lr, factorsLr: hp.factors_lr,
    biasWd: hp.bias_wd, linearWd: weightDecay(hp, 'linear'), factorsWd: weightDecay(hp, 'factors') * scale,
  }));
}

export function factorWidth(grid: GridModel[]): number {
  return grid.reduce((sum, m) => sum + m.factors, 0);
}

export function fmSettings(hp: Hp, dim: number, grid: GridModel[], revision = currentRevision): FmSettings {
  const models = new Float64Array(grid.length * 8);
  grid.forEach((m, i) => models.set([m.factors, m.offset, m.biasLr, m.linearLr, m.factorsLr, m.biasWd, m.linearWd, m.factorsWd], i * 8));
  return {
    loss: hp.predictor_type === 'binary_classifier' ? 0 : 1,
    optimizer: ['sgd', 'adagrad', 'adam'].indexOf(hp.optimizer),
    decay: revision >= 2 ? 1 : 0,
    dim, eps: hp.eps, beta1: 0.9, beta2: 0.999,
    clipGradient: hp.clip_gradient === 'auto' ? 0 : hp.clip_gradient,
    rescaleGrad: hp.rescale_grad === 'auto' ? 0 : hp.rescale_grad,
    models,
  };
}

/** Cross-parameter checks, naming the parameter. */
export function checkHyperparameters(hp: Hp): void {
  for (const group of ['bias', 'linear', 'factors'] as const) {
    // Plain SGD's decay factor is 1 − lr·wd every step (no step scale): at lr·wd ≥ 1 it is clamped
    // to 0 and the group is zeroed at every step, a model of the bias alone with exit 0.
    const lr = hp[`${group}_lr`], wd = group === 'bias' ? hp.bias_wd : weightDecay(hp, group);
    if (hp.optimizer === 'sgd' && lr * wd >= 1) {
      throw new HyperparameterError(`factorization-machines: with optimizer sgd, ${group}_lr × ${group}_wd = ${lr} × ${wd} = ${lr * wd} ≥ 1: ` +
        `each step multiplies the ${group === 'factors' ? 'factors' : `${group} term${group === 'linear' ? 's' : ''}`} by 1 − lr·wd ≤ 0, which zeroes them; lower ${group}_lr or ${group}_wd`);
    }
    const method = hp[`${group}_init_method`];
    if (method === 'uniform' && hp[`${group}_init_scale`] === 'auto') {
      throw new HyperparameterError(`factorization-machines: ${group}_init_method uniform needs ${group}_init_scale`);
    }
    if (method === 'constant' && hp[`${group}_init_value`] === 'auto') {
      throw new HyperparameterError(`factorization-machines: ${group}_init_method constant needs ${group}_init_value`);
    }
  }
}
