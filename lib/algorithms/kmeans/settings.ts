// Resolves k-means hyperparameters: the number of streaming centres, the
// reduction's settings and the metrics list.
import type { KmeansUpdateInputs } from '../../backends/kernels.js';
import { HyperparameterError } from '../hyperparameters.js';
import type { DataSchema } from '../types.js';
import type { KmeansHyperparameters } from './hyperparameters.js';

export interface KmeansSettings {
  k: number;
  centers: number;
  kernel: KmeansUpdateInputs['settings'];
  reduction: { kmeansPlusPlus: boolean; maxIter: number; tol: number; trials: number; seed: number };
  metrics: ('msd' | 'ssd')[];
}

function fail(message: string): never {
  throw new HyperparameterError(`kmeans: ${message}`);
}

export function parseEvalMetrics(text: string): ('msd' | 'ssd')[] {
  let list: unknown;
  try {
    list = JSON.parse(text.replace(/'/g, '"'));
  } catch {
    return fail(`hyperparameter 'eval_metrics' got ${JSON.stringify(text)}, expected a JSON list of msd, ssd`);
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((m) => m === 'msd' || m === 'ssd')) {
    return fail(`hyperparameter 'eval_metrics' got ${JSON.stringify(text)}, expected a JSON list of msd, ssd`);
  }
  return list as ('msd' | 'ssd')[];
}

/** Rows per streaming centre seen before the refined model starts (kmeans.h Settings::start_rows). */
export const refineStartRowsPerCenter = 50;

/** Trials of the K → k reduction: auto runs as many as about 2·10^8 multiply-adds allow, 5 to 100. */
export function reductionTrials(hp: KmeansHyperparameters, centers: number, k: number, dim: number): number {
  if (hp.local_lloyd_num_trials !== 'auto') return hp.local_lloyd_num_trials;
  return Math.min(100, Math.max(5, Math.round(2e8 / (centers * k * dim))));
}

/** extra_center_factor=auto for k clusters: the streaming centres are k × this. */
export function autoCenterFactor(k: number): number {
  return Math.min(10, Math.max(2, Math.round(200 / k)));
}

export function resolveKmeans(hp: KmeansHyperparameters, schema: DataSchema): KmeansSettings {
  if (hp.feature_dim !== 'auto' && hp.feature_dim !== schema.featureDim) {
    fail(`the data has ${schema.featureDim} features but feature_dim is ${hp.feature_dim}`);
  }
  // auto: enough extra centres to over-cluster, but not so many that each streaming centre sees
  // too few points to be a good mean (measured on Fashion-MNIST: for k = 100, 10× gave no better
  // inertia than 2× at five times the cost; for k = 10, 10× was best).
  const factor = hp.extra_center_factor === 'auto' ? autoCenterFactor(hp.k) : hp.extra_center_factor;
  const centers = hp.k * factor;
  const trials = reductionTrials(hp, centers, hp.k, schema.featureDim);
  const reduction = {
    kmeansPlusPlus: hp.local_lloyd_init_method === 'kmeans++', maxIter: hp.local_lloyd_max_iter, tol: hp.local_lloyd_tol,
    trials, seed: hp.seed,
  };
  return {
    k: hp.k,
    centers,
    kernel: {
      centers, dim: schema.featureDim, halfLife: hp.half_life_time_size,
      kmeansPlusPlus: hp.init_method === 'kmeans++', seed: hp.seed,
      // The refined model of k centres starts from a reduction once each streaming centre has had
      // refineStartRowsPerCenter rows on average (measured on Fashion-MNIST's 60,000 images, k = 100:
      // 25, 50, 75 and 100 ended within 0.3% of each other; 50 is early enough that most of a
      // stream refines the model, late enough that the reduction it starts from is a fair one).
      modelK: hp.k, startRows: refineStartRowsPerCenter * centers,
      reduce: { kmeansPlusPlus: reduction.kmeansPlusPlus, maxIter: reduction.maxIter, tol: reduction.tol, trials },
    },
    reduction,
    metrics: parseEvalMetrics(hp.eval_metrics),
  };
}
