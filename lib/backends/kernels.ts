// The kernels every backend implements, with their input and output types
// and the one place their inputs are validated. A kernel is looked up by
// (backend, name) in the registry; adding a kernel means adding it here and
// registering an implementation per backend.
import type { Batch } from '../data/batch.js';
import type { DeeparModelSettings, DeeparReservoir, DeeparSeriesPack } from './native-addon.js';

/** out[r·models + m] = bias[m] + Σ_c x[r·cols + c] · w[m·cols + c] — one dot per row and model. */
export interface DenseLinearInputs {
  /** rows × cols, row-major. */
  x: Float32Array;
  /** models × cols, row-major (one weight vector per model). */
  w: Float32Array;
  /** models entries, or null for no bias. */
  bias?: Float32Array | null;
  rows: number;
  cols: number;
  models: number;
  /** rows × models; allocated when absent. */
  out?: Float32Array;
}

/** Constant settings of a linear-learner state (codes follow native/algorithms/linear_learner/linear_learner.h). */
export interface LinearLearnerSettings {
  loss: number;
  optimizer: number;
  dim: number;
  models: number;
  classes: number;
  margin: number;
  quantile: number;
  insensitivity: number;
  huberDelta: number;
  beta1: number;
  beta2: number;
  momentum: number;
  epsilon: number;
  useBias: boolean;
  biasLrMult: number;
  biasWdMult: number;
  useLrScheduler: boolean;
  lrSchedulerStep: number;
  lrSchedulerFactor: number;
  lrSchedulerMinimum: number;
  /** Every model's rate × this in this call (the linear learner's per-pass schedule); absent: 1. */
  rateScale?: number;
  scalerPoints: number;
  normalizeData: boolean;
  unbiasData: boolean;
  normalizeLabel: boolean;
  unbiasLabel: boolean;
  positiveWeighting: number;
  balanceMulticlass: boolean;
  /** Rows per optimizer step; a batch of more rows takes several steps in row order (absent or 0: one per batch). */
  stepRows?: number;
  /** Scale features by 1 / the RMS of their non-zero values rather than 1 / their deviation (needs featureNonzero). */
  scaleByNonzero?: boolean;
  /** Divide the weights' rate by the mean squared norm of the scaled rows (needs inputNorm and the scaler sums). */
  normalizeLr?: boolean;
}

/** The arrays a linear-learner kernel reads and updates in place (weights are [dim][models][classes]). */
export interface LinearLearnerArrays {
  weights: Float32Array;
  bias: Float32Array;
  counters?: Float64Array;
  featureShift?: Float32Array;
  featureScale?: Float32Array;
  labelTransform?: Float32Array;
  /** [dim + 1]: the scaler sample's first dense row and first label; its sums are about it. */
  scalerOrigin?: Float64Array;
  positiveWeight?: Float32Array;
  classCounts?: Float64Array;
  classWeight?: Float32Array;
  moment1?: Float32Array;
  moment2?: Float32Array;
  biasMoment1?: Float32Array;
  biasMoment2?: Float32Array;
  lastStep?: Int32Array;
  learningRate?: Float32Array;
  wd?: Float32Array;
  l1?: Float32Array;
  featureSum?: Float64Array;
  featureSumSq?: Float64Array;
  /** [dim]: rows of the scaler sample where each feature is non-zero. */
  featureNonzero?: Float64Array;
  /** [3]: the scaler sample's non-zero entries, its Σx², and the mean squared norm of its scaled rows. */
  inputNorm?: Float64Array;
  /** [dim][models][classes]: the mean of the iterates (models that average). */
  average?: Float32Array;
  /** [models][classes] */
  biasAverage?: Float32Array;
  /** [models]: 1 where the model's output is its average. */
  averaged?: Float32Array;
  /** [1]: the step after which iterates are averaged, plus 1 (0: not yet; set when the scaler's sample is complete). */
  averageStart?: Float64Array;
}

/** Sums a linear-learner kernel adds to, per model (weighted by the rows' weights). */
export interface LinearLearnerMetrics {
  lossSum: Float64Array;
  weightSum: Float64Array;
  /** models: Σ w·(loss_m − loss_0)², for a test of each model against model 0 (with weightSqSum). */
  lossDifferenceSq?: Float64Array;
  /** 1: Σ w² */
  weightSqSum?: Float64Array;
  histogramBins?: number;
  /** models × 2 × bins: negatives then positives, by score in [−16, 16]. */
  histogram?: Float64Array;
  /** Bins uniform in sign(s)·log(1 + |s|) over ±14 rather than in s over ±16: for ranks (ROC AUC) of saturated scores. */
  histogramLogScale?: boolean;
  correct?: Float64Array;
  /** models × 4: tp, fp, tn, fn at score ≥ threshold. */
  confusion?: Float64Array;
  threshold?: number;
  squaredError?: Float64Array;
  absoluteError?: Float64Array;
  topKCorrect?: Float64Array;
  topK?: number;
  dcg?: Float64Array;
  classTruePositive?: Float64Array;
  classPredicted?: Float64Array;
  classActual?: Float64Array;
}

export interface LinearLearnerStep {
  settings: LinearLearnerSettings;
  state: LinearLearnerArrays;
  batch: Batch;
  metrics: LinearLearnerMetrics;
}

/** A finalized linear model: weights [dim][classes] with the scaler folded in; threshold on the raw score. */
export interface LinearLearnerPredictInputs {
  /**
   * weights [dim × classes], bias [classes]; with origin [dim], rows are scored about it:
   * score = bias + Σ (x − origin)·w (a model trained with centring), else bias + x·w; a
   * regressor's labelOrigin (its intercept's float32 part) is added to the score in float64.
   */
  model: { loss: number; dim: number; classes: number; threshold: number; weights: Float32Array; bias: Float32Array; origin?: Float32Array; labelOrigin?: number };
  batch: Batch;
  outputs: { score: Float32Array; predictedLabel?: Float32Array };
}

/**
 * Streaming k-means: K centres [K × dim] with weights, and counters (native/algorithms/kmeans/kmeans.h Counter);
 * with modelK > 0, the refined model's k centres [k × dim], their weights and counters (ModelCounter).
 */
export interface KmeansUpdateInputs {
  settings: {
    centers: number; dim: number; halfLife: number; kmeansPlusPlus: boolean; seed: number;
    /** Centres of the refined model (0: none); it starts once startRows rows are seen. */
    modelK: number; startRows: number;
    /** The K → k reduction that gives the refined model its candidates (local_lloyd_*). */
    reduce: { kmeansPlusPlus: boolean; maxIter: number; tol: number; trials: number };
  };
  state: {
    centers: Float32Array; weights: Float64Array; counters: Float64Array;
    modelCenters: Float32Array; modelWeights: Float64Array; modelCounters: Float64Array;
  };
  batch: Batch;
  /**
   * The batch sits far from the rows before it (algorithms/batch-order.ts isNovelBatch: input sorted
   * by cluster): the cpu step gives its farthest rows centres (native kmeans_novelty.h); the GPU
   * backends run such a batch on cpu.
   */
  novel?: boolean;
}

/** Nearest of `count` centres and the squared distance, per row. */
export interface KmeansAssignInputs {
  centers: Float32Array;
  count: number;
  dim: number;
  batch: Batch;
  nearest: Int32Array;
  /** Float64: squared distances of float32 data overflow float32 past coordinates of about 1e19. */
  distance2: Float64Array;
  /** rows × count Euclidean distances, when wanted. */
  all?: Float32Array;
}

/** Factorization machines: settings of every model of a state (native/algorithms/factorization_machines/factorization_machines.h). */
export interface FmKernelSettings {
  loss: number;
  optimizer: number;
  /** 0 decoupled weight decay (states of revision 1), 1 L2 through the optimizer's step scale. */
  decay: number;
  dim: number;
  eps: number;
  beta1: number;
  beta2: number;
  clipGradient: number;
  rescaleGrad: number;
  /** models × 8: factors, offset, bias_lr, linear_lr, factors_lr, bias_wd, linear_wd, factors_wd. */
  models: Float64Array;
}

/** A factorization-machine state's arrays: parameters feature-major, optimizer moments alike. */
export interface FmKernelState {
  bias: Float32Array;
  linear: Float32Array;
  factors: Float32Array;
  biasM1?: Float32Array;
  linearM1?: Float32Array;
  factorsM1?: Float32Array;
  biasM2?: Float32Array;
  linearM2?: Float32Array;
  factorsM2?: Float32Array;
  lastStep: Int32Array;
  counters: Float64Array;
  /** dim entries, all −1 between calls: scratch of the sparse feature index. */
  slot: Int32Array;
}

/** Per-model sums: loss, weight and (binary) tp, fp, tn, fn at 0.5. */
export interface FmKernelMetrics {
  loss: Float64Array;
  weight: Float64Array;
  confusion?: Float64Array;
  /** Σw, Σw·y, Σw·y² of the rows' labels, once a row (the progressive sums only). */
  labels?: Float64Array;
}

export interface FmStepInputs {
  settings: FmKernelSettings;
  state: FmKernelState;
  batch: Batch;
  metrics: FmKernelMetrics | null;
}

/** One finalized factorization machine. */
export interface FmModelArrays {
  dim: number;
  k: number;
  bias: number;
  logistic: boolean;
  linear: Float32Array;
  factors: Float32Array;
  /** Binary: the probability at or above which predicted_label is 1 (default 0.5). */
  threshold?: number;
}

export interface FmPredictInputs {
  model: FmModelArrays;
  batch: Batch;
  score: Float32Array;
  label: Float32Array | null;
}

export interface FmRecommendInputs {
  model: FmModelArrays;
  /** One row: the user's (context's) features. */
  user: Batch;
  /** Candidate rows: each item's features. */
  items: Batch;
  /** n entries each: the best items, best first. */
  indices: Int32Array;
  scores: Float32Array;
}

/** An optimizer of native/nn/optimizer.h (codes: sgd 0, adam 1, adagrad 2, rmsprop 3, adadelta 4). */
export interface NnOptimizerSettings {
  kind: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  rho: number;
  epsilon: number;
  weightDecay: number;
  /** ≤ 0: no clipping. */
  clipGradient: number;
  rescaleGradient: number;
}

/** Constant settings of a neural-topic-model state (native/algorithms/ntm/ntm.h). */
export interface NtmKernelSettings {
  vocabulary: number;
  topics: number;
  /** Encoder widths, first to last. */
  hidden: number[];
  /** sigmoid 0, tanh 1, relu 2, softplus 3. */
  activation: number;
  batchNorm: boolean;
  /** Batch norm (no affine part) of μ and log σ². */
  posteriorBatchNorm: boolean;
  /** Batch norm (no affine part) of the decoder's logits. */
  decoderBatchNorm: boolean;
  priorVariance: number;
  subSample: number;
  seed: number;
  optimizer: NnOptimizerSettings;
}

/** The flat arrays of an NTM state; moments as the optimizer needs, running moments with batch norm. */
export interface NtmKernelState {
  parameters: Float32Array;
  moment1?: Float32Array;
  moment2?: Float32Array;
  running?: Float32Array;
  /** [optimizer steps, rows read]; needed to train. */
  counters?: Float64Array;
  /** A uniform sample of the documents read, [documents × reservoirWidth] word ids (−1 padded); absent: no sampling. */
  reservoir?: Int32Array;
  reservoirWidth?: number;
}

export interface NtmStepInputs {
  settings: NtmKernelSettings;
  state: NtmKernelState;
  batch: Batch;
  /** Sums [negative ELBO, reconstruction, KL, words, documents] to add to (required to evaluate). */
  metrics: Float64Array | null;
}

export interface NtmTopicWeightsInputs {
  settings: NtmKernelSettings;
  state: NtmKernelState;
  batch: Batch;
  /** rows × topics: softmax(μ) of each document. */
  out: Float32Array;
}

/** Offsets (entries) of each parameter block in an NTM's flat parameter array. */
export interface NtmLayout {
  weight: number[];
  bias: number[];
  gamma: number[];
  beta: number[];
  runningMean: number[];
  runningVar: number[];
  muWeight: number;
  muBias: number;
  logVarWeight: number;
  logVarBias: number;
  /** The posterior batch norm's scale and shift: μ's topics, then log σ²'s (when posteriorBatchNorm). */
  posteriorGamma: number;
  posteriorBeta: number;
  topicWord: number;
  background: number;
  parameters: number;
  /** In the running array: μ's mean and variance, then log σ²'s (4 × topics). */
  posteriorRunning: number;
  /** In the running array: the decoder logits' mean and variance (2 × vocabulary). */
  decoderRunning: number;
  running: number;
}

/** PCA's float64 moments about an origin o (absent: 0): Σw, Σw·x and, per mode, its second-moment sketch. */
export interface PcaMoments {
  count: Float64Array;
  sum: Float64Array;
  origin?: Float64Array;
}

export interface KernelInputs {
  denseLinear: DenseLinearInputs;
  /** One training step of every model of a linear-learner state on the batch; progressive metrics first. */
  linearLearnerUpdate: LinearLearnerStep;
  /** Scores the batch with every model of the state, adding to the metrics; no training. */
  linearLearnerEvaluate: LinearLearnerStep;
  linearLearnerPredict: LinearLearnerPredictInputs;
  /** Initialise empty centres, assign, add the progressive cost, move centres, reseed dying ones. */
  kmeansUpdate: KmeansUpdateInputs;
  kmeansAssign: KmeansAssignInputs;
  /** One training step of every model of a factorization-machine state; progressive metrics first. */
  fmUpdate: FmStepInputs;
  /** Scores the batch with every model of the state, adding to the metrics; no training. */
  fmEvaluate: FmStepInputs;
  fmPredict: FmPredictInputs;
  /** Top-N candidate items for one user, by the model's score. */
  fmRecommend: FmRecommendInputs;
  /** One optimizer step of a neural topic model on a batch of documents; adds the sampled negative ELBO. */
  ntmUpdate: NtmStepInputs;
  /** Adds the batch's negative ELBO at the posterior mean; no training. */
  ntmEvaluate: NtmStepInputs;
  ntmTopicWeights: NtmTopicWeightsInputs;
  /** Adds a batch to PCA's exact moments: the lower triangle of Σw(x − o)(x − o)ᵀ in cross [dim × dim] (algorithm_mode regular). */
  pcaAccumulate: { moments: PcaMoments & { cross: Float64Array }; dim: number; batch: Batch };
  /** Randomized sketch: y [dim × ell] += Σw(x − o)((x − o)ᵀΩ), Ω [dim × ell], and Σw‖x − o‖² in squares. */
  pcaRandomizedAccumulate: { sketch: PcaMoments & { squares: Float64Array; y: Float64Array }; omega: Float64Array; dim: number; ell: number; batch: Batch };
  /** Frequent Directions: appends √w(x − o) rows to the 2ℓ × dim buffer, shrinking it when full. */
  pcaFrequentDirectionsAccumulate: { sketch: PcaMoments & { squares: Float64Array; rows: Float64Array; filled: Float64Array }; dim: number; ell: number; batch: Batch };
  /** A PCA model's projection (x − mean)·v of every row into out [rows × components] (rows: v transposed, components × dim). */
  pcaProject: { model: { rows: Float32Array; mean: Float32Array }; dim: number; components: number; batch: Batch; out: Float32Array };
  /** Offers every window of a batch of series to a DeepAR state's reservoir (a sample ∝ ν). */
  deeparOffer: { settings: DeeparModelSettings; seed: number; reservoir: DeeparReservoir; series: DeeparSeriesPack };
  /** An epoch of DeepAR: `count` optimizer steps on batches of `batch` windows drawn from the reservoir. */
  deeparTrainRound: {
    settings: DeeparModelSettings; seed: number; reservoir: DeeparReservoir; batch: number; count: number;
    state: { parameters: Float32Array; moment1?: Float32Array; moment2?: Float32Array; counters: Float64Array };
  };
  /** Sample paths [series × paths × P] of the horizon after each series. */
  deeparForecast: { settings: DeeparModelSettings; parameters: Float32Array; series: DeeparSeriesPack; draw: { paths: number; seed: number; stream: number }; out: Float32Array };
}

export interface KernelOutputs {
  denseLinear: Float32Array;
  linearLearnerUpdate: void;
  linearLearnerEvaluate: void;
  linearLearnerPredict: void;
  kmeansUpdate: void;
  kmeansAssign: void;
  fmUpdate: void;
  fmEvaluate: void;
  fmPredict: void;
  fmRecommend: void;
  ntmUpdate: void;
  ntmEvaluate: void;
  ntmTopicWeights: void;
  pcaAccumulate: void;
  pcaRandomizedAccumulate: void;
  pcaFrequentDirectionsAccumulate: void;
  pcaProject: void;
  deeparOffer: void;
  deeparTrainRound: void;
  deeparForecast: void;
}

export type KernelName = keyof KernelInputs;

export const kernelNames: readonly KernelName[] = ['denseLinear', 'linearLearnerUpdate', 'linearLearnerEvaluate', 'linearLearnerPredict', 'kmeansUpdate', 'kmeansAssign', 'fmUpdate', 'fmEvaluate', 'fmPredict', 'fmRecommend', 'ntmUpdate', 'ntmEvaluate', 'ntmTopicWeights', 'pcaAccumulate', 'pcaRandomizedAccumulate', 'pcaFrequentDirectionsAccumulate', 'pcaProject', 'deeparOffer', 'deeparTrainRound', 'deeparForecast'];

/**
 * Agreement between backends for denseLinear: |y − y_cpu| ≤ relTol · Σ_c |x_c·w_c| + absTol.
 * Float32 sums in a different order (SIMD lanes, GPU trees, fused multiply-adds) differ by
 * about √cols · 2⁻²⁴ of the absolute sum; the bound leaves a wide margin above that while an
 * indexing or reduction bug shows up as an error of order one.
 */
export const denseLinearTolerance = { relTol: 1e-5, absTol: 1e-6 } as const;

/**
 * Thrown by a backend's kernel that cannot take these inputs (a tensor over its binding limit, a
 * loss it does not implement): runKernel then runs the cpu kernel, or fails in strict mode.
 */
export class KernelDeclined extends Error {
  constructor(readonly kernel: KernelName, reason: string) {
    super(reason);
    this.name = 'KernelDeclined';
  }
}

function requireInteger(kernel: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${kernel}: ${name} must be a non-negative integer, got ${value}`);
  }
}

function requireFloat32(kernel: string, name: string, value: unknown, length: number): void {
  if (!(value instanceof Float32Array)) {
    const given = value === null ? 'null' : (value as object)?.constructor?.name ?? typeof value;
    throw new TypeError(`${kernel}: ${name} must be a Float32Array, got ${given}`);
  }
  if (value.length !== length) {
    throw new RangeError(`${kernel}: ${name} has length ${value.length}, expected ${length}`);
  }
}

/** Checks shapes and types; returns the output array to fill. */
export function validateDenseLinear(inputs: DenseLinearInputs): Float32Array {
  const { rows, cols, models } = inputs;
  requireInteger('denseLinear', 'rows', rows);
  requireInteger('denseLinear', 'cols', cols);
  requireInteger('denseLinear', 'models', models);
  requireFloat32('denseLinear', 'x', inputs.x, rows * cols);
  requireFloat32('denseLinear', 'w', inputs.w, models * cols);
  if (inputs.bias != null) requireFloat32('denseLinear', 'bias', inputs.bias, models);
  if (inputs.out !== undefined) {
    requireFloat32('denseLinear', 'out', inputs.out, rows * models);
    return inputs.out;
  }
  return new Float32Array(rows * models);
}
