// Loads the core C++ addon. Every way a load can fail (no prebuild for this
// platform, a source build that never ran, a binary for another Node-API or
// libc) ends in one error that lists what was tried and how to fix it, in
// the manner of sharp's loader.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Batch } from '../data/batch.js';
import { packageRoot } from '../package-root.js';
import type {
  FmKernelMetrics, FmKernelSettings, FmKernelState, FmModelArrays, KmeansUpdateInputs, LinearLearnerArrays, LinearLearnerMetrics,
  LinearLearnerPredictInputs, LinearLearnerSettings, NnOptimizerSettings, NtmKernelSettings, NtmKernelState, NtmLayout,
} from './kernels.js';

/** The functions the core addon exports (native/addon.cc registers them). */
export interface CoreAddon {
  runtimeInfo(): {
    isa: 'baseline' | 'avx2' | 'avx512';
    cpuSupportsAvx2Fma: boolean;
    threads: number;
    /** The thread budget's tokens held now: 0 whenever no native data work runs. */
    tokensHeld: number;
    warnings: string[];
    napiVersion: number;
  };
  /**
   * On: this JS thread's native data work (kernels, parse feeds, encoders) runs on one core at a
   * time, its loops not split across the pool. For data-parallel workers as many as the budget.
   */
  setCallerSerial(on: boolean): void;
  denseLinear(x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array,
    rows: number, cols: number, models: number): Promise<void>;
  denseLinearSync(x: Float32Array, w: Float32Array, bias: Float32Array | null, out: Float32Array,
    rows: number, cols: number, models: number): void;
  dot(a: Float32Array, b: Float32Array): number;
  /**
   * The unsupervised kernels' batch checks (width, CSR structure, finite values and weights), rejecting with their
   * message (argument errors named as `name`, default validateFeatureRows), on a libuv thread; resolves with the batch's
   * largest |value| and its smallest positive and largest weight (1 and 1 without weights); with `mean`, also the dense
   * rows' weighted mean per feature (their plain mean when the weights sum to 0).
   */
  validateFeatureRows(batch: Batch, dim: number, name?: string, mean?: boolean):
    Promise<{ maxAbs: number; minWeight: number; maxWeight: number; mean?: Float64Array }>;
  /**
   * Adds a batch's rows into the between-batch moments of lib/algorithms/batch-order.ts (`moments`: 3·dim + 24 float64s,
   * updated in place), after the unsupervised kernels' batch checks; on a libuv thread (inline for a small batch).
   */
  addBatchOrder(moments: Float64Array, dim: number, batch: Batch): Promise<void>;
  /**
   * Adds a batch's labels into the label-order sums of lib/algorithms/label-order.ts (`moments`: 5 float64s, updated in
   * place); on a libuv thread (inline for a small batch). TypeError when the batch has no labels.
   */
  addLabelOrder(moments: Float64Array, batch: Batch): Promise<void>;
  /** Rows [first, rows) of a batch into the linear learner's scaler-drift counts (dim + 1; native/algorithms/linear_learner/linear_learner_scaler_drift.h). */
  linearLearnerScalerDrift(drift: Float64Array, shift: Float32Array, scale: Float32Array, batch: Batch, first: number): Promise<void>;
  /** A regressor's neighbouring labels that rise and fall (native/runtime/batch_order.h LabelRunSlot), added into `moments` (3 float64s). */
  addLabelRuns(moments: Float64Array, batch: Batch): Promise<void>;
  /**
   * Copies sources[i] into targets[i] (the same typed-array type and length) on a libuv thread, holding a token of the
   * thread budget (copies under ~100 KB run at once, on the caller); with rebase[i] (Int32Array and Uint32Array only)
   * the source's first element is subtracted from every copied element. Resolves when every copy is done. TypeError
   * (or RangeError for lengths) naming the argument, e.g. `copyArrays: targets[1] has length 3, sources[1] 4`.
   */
  copyArrays(sources: ArrayBufferView[], targets: ArrayBufferView[], rebase: boolean[]): Promise<void>;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /**
   * out[k] += scale × source[k] in place, synchronously, each element as JavaScript computes it
   * (float64 product and sum, rounded once to out's type); the lengths must match.
   */
  addScaled(out: Float32Array | Float64Array, source: Float32Array | Float64Array, scale: number): void;
  /** Eigenvalues (descending) and unit eigenvectors (row j for value j; those of the `count` largest, all by default) of a symmetric n × n matrix, float64. */
  symmetricEigen(matrix: Float64Array, n: number, count?: number): { values: Float64Array; vectors: Float64Array; sweeps: number };
  /** symmetricEigen on a libuv thread (O(n³) off the event loop); rejects for a non-finite entry. */
  symmetricEigenAsync(matrix: Float64Array, n: number, count?: number): Promise<{ values: Float64Array; vectors: Float64Array; sweeps: number }>;
  linearLearnerUpdate(settings: LinearLearnerSettings, state: LinearLearnerArrays, batch: Batch, metrics: LinearLearnerMetrics): Promise<void>;
  linearLearnerEvaluate(settings: LinearLearnerSettings, state: LinearLearnerArrays, batch: Batch, metrics: LinearLearnerMetrics): Promise<void>;
  /**
   * The checks linearLearnerUpdate and linearLearnerEvaluate make of a batch (the same errors), off the event loop;
   * result = [the longest row's stored entries, the largest |value|, the largest |label|, the largest row weight].
   */
  linearLearnerCheck(settings: LinearLearnerSettings, batch: Batch, result: Float64Array): Promise<void>;
  /**
   * linearLearnerCheck's checks and result, result[4] = the features the batch's steps touch (a feature per step),
   * result[5] = the largest |value| after the scaler `shift`, `scale` (null: none), and for a sparse batch each step's
   * touched features and their entries in row order in `out` (at least steps + 2 + 4·nnz words;
   * native/algorithms/linear_learner/linear_learner_step_index.h says the layout). slot: dim entries, all −1.
   * stepClasses (steps × counted classes: softmax's classes, else 2): each step's rows per class.
   */
  linearLearnerStepIndex(settings: LinearLearnerSettings, batch: Batch, slot: Int32Array, out: Uint32Array, result: Float64Array,
    shift: Float32Array | null, scale: Float32Array | null, stepClasses: Float64Array | null): Promise<void>;
  /** A state, its settings and metrics read once; run(batch) is one update (training) or evaluation. */
  LinearLearnerStep: new (settings: LinearLearnerSettings, state: LinearLearnerArrays, metrics: LinearLearnerMetrics, training: boolean) => { run(batch: Batch): Promise<void> };
  /** kind 0: the plain iterates, 1: the averages, 2: each model's output (its average when it averages). */
  linearLearnerCatchUp(settings: LinearLearnerSettings, state: LinearLearnerArrays, kind: 0 | 1 | 2, out: Float32Array, biasOut: Float32Array): void;
  /** Every feature's weights and average brought to the current step in place (last_step set to it). */
  linearLearnerCatchUpInPlace(settings: LinearLearnerSettings, state: LinearLearnerArrays): void;
  /** linearLearnerCatchUp on a libuv thread (inline when small): a model's work, which held the event loop for seconds at 2^22 features. */
  linearLearnerCatchUpAsync(settings: LinearLearnerSettings, state: LinearLearnerArrays, kind: 0 | 1 | 2, out: Float32Array, biasOut: Float32Array): Promise<void>;
  /** linearLearnerCatchUpInPlace on a libuv thread (inline when small). */
  linearLearnerCatchUpInPlaceAsync(settings: LinearLearnerSettings, state: LinearLearnerArrays): Promise<void>;
  linearLearnerInitialize(weights: Float32Array, normal: boolean, scale: number, seed: number): void;
  linearLearnerPredict(model: LinearLearnerPredictInputs['model'], batch: Batch, outputs: LinearLearnerPredictInputs['outputs']): Promise<void>;
  kmeansUpdate(settings: KmeansUpdateInputs['settings'], state: KmeansUpdateInputs['state'], batch: Batch, novel?: boolean): Promise<void>;
  kmeansAssign(centers: Float32Array, count: number, dim: number, batch: Batch, nearest: Int32Array, distance2: Float64Array, all: Float32Array | null): Promise<void>;
  /**
   * Weighted k-means of `count` points (count × dim) down to k: best of `trials` k-means++ / Lloyd
   * runs, the trials in parallel, the result the same whatever the thread count. Synchronous, for
   * merge (synchronous by contract); finalize uses kmeansReduceAsync. RangeError for k outside 1..count.
   */
  kmeansReduce(points: Float32Array, weights: Float64Array, count: number, dim: number, k: number, kmeansPlusPlus: boolean,
    maxIter: number, tol: number, trials: number, seed: number): { centers: Float32Array; mass: Float64Array; cost: number; iterations: number };
  /** kmeansReduce on a libuv thread: the same result, off the event loop. */
  kmeansReduceAsync(points: Float32Array, weights: Float64Array, count: number, dim: number, k: number, kmeansPlusPlus: boolean,
    maxIter: number, tol: number, trials: number, seed: number): Promise<{ centers: Float32Array; mass: Float64Array; cost: number; iterations: number }>;
  /** The weighted points' mass at each of the k centres (nearest) and their weighted cost; iterations is 0. */
  kmeansScore(points: Float32Array, weights: Float64Array, count: number, dim: number, centers: Float32Array, k: number):
    Promise<{ centers: Float32Array; mass: Float64Array; cost: number; iterations: number }>;
  /** Adds a batch's Σw, Σx and the lower triangle of Σw(x − o)(x − o)ᵀ (origin o, absent: 0) to PCA's float64 moments. */
  pcaAccumulate(moments: { count: Float64Array; sum: Float64Array; cross: Float64Array; origin?: Float64Array }, dim: number, batch: Batch): Promise<void>;
  /** Randomized sketch: y (d × ℓ) += Σ w·(x − o)((x − o)ᵀΩ), with Σw, Σx and Σw‖x − o‖². */
  pcaRandomizedAccumulate(sketch: { count: Float64Array; sum: Float64Array; squares: Float64Array; y: Float64Array; origin?: Float64Array }, omega: Float64Array,
    dim: number, ell: number, batch: Batch): Promise<void>;
  /** Frequent Directions: appends √w·(x − o) rows to the 2ℓ × d buffer, shrinking it when full. */
  pcaFrequentDirectionsAccumulate(sketch: { count: Float64Array; sum: Float64Array; squares: Float64Array; rows: Float64Array; filled: Float64Array; origin?: Float64Array },
    dim: number, ell: number, batch: Batch): Promise<void>;
  /** A PCA model's projection (x − mean) · v of every row: out [rows × components], float64 sums. */
  pcaProject(model: { rows: Float32Array; mean: Float32Array }, dim: number, components: number, batch: Batch, out: Float32Array): Promise<void>;
  /** Inserts `count` rows of another sketch (the Frequent Directions merge rule). */
  pcaFrequentDirectionsInsert(sketch: { rows: Float64Array; filled: Float64Array }, dim: number, ell: number, rows: Float64Array, count: number): void;
  /** One step (training) or evaluation of every model of a factorization-machine state. */
  fmStep(settings: FmKernelSettings, state: FmKernelState, batch: Batch, metrics: FmKernelMetrics | null, training: boolean): Promise<void>;
  /** Every feature's lazy decay brought up to the state's step. */
  fmCatchUp(settings: FmKernelSettings, state: FmKernelState): void;
  /**
   * A GPU kernel's view of a batch: rows and labels checked as fmStep checks them (the same errors); result = [touched
   * features, Σ row weights, the longest row's non-zeros, the largest |value|, the largest |label|, the largest row weight]; for sparse batches out = features[touched], starts[touched + 1], rows[nnz], value bits[nnz].
   */
  fmFeatureIndex(settings: FmKernelSettings, batch: Batch, slot: Int32Array, out: Uint32Array, result: Float64Array): Promise<void>;
  /** Item rows whose row user ∪ item names an index twice (cpu merges them; a device kernel declines them). */
  fmRowsToMerge(user: Batch, items: Batch): Promise<number>;
  fmPredict(model: FmModelArrays, batch: Batch, score: Float32Array, label: Float32Array | null): Promise<void>;
  fmRecommend(model: FmModelArrays, user: Batch, items: Batch, indices: Int32Array, scores: Float32Array): Promise<void>;
  /** One training step (training) or evaluation of a neural topic model on a batch of documents. */
  ntmStep(settings: NtmKernelSettings, state: NtmKernelState, batch: Batch, metrics: Float64Array | null, training: boolean): Promise<void>;
  /** softmax(μ) of each document: out [rows × topics]. */
  ntmTopicWeights(settings: NtmKernelSettings, state: NtmKernelState, batch: Batch, out: Float32Array): Promise<void>;
  /** Document and pair frequencies of each topic's top words (NPMI's sums), added over the batch's rows. */
  ntmCooccurrence(vocabulary: number, words: Int32Array, top: number, batch: Batch, documentFrequency: Float64Array,
    pairFrequency: Float64Array, documents: Float64Array): Promise<void>;
  /** Offsets of each parameter block in the flat parameter array. */
  ntmLayout(settings: NtmKernelSettings): NtmLayout;
  // The neural-network kernels (native/nn/), synchronous, for their gradient tests.
  nnDenseForward(layout: 0 | 1, rows: number, inputs: number, outputs: number, x: Float32Array, w: Float32Array, b: Float32Array | null, y: Float32Array): void;
  nnDenseBackward(layout: 0 | 1, rows: number, inputs: number, outputs: number, x: Float32Array, w: Float32Array, dy: Float32Array,
    dx: Float32Array | null, dw: Float32Array, db: Float32Array | null): void;
  nnSparseForward(batch: Batch, outputs: number, w: Float32Array, b: Float32Array | null, y: Float32Array): void;
  nnSparseBackward(batch: Batch, outputs: number, dy: Float32Array, dw: Float32Array, db: Float32Array | null): void;
  nnActivate(activation: number, x: Float32Array): void;
  nnActivationBackward(activation: number, y: Float32Array, dy: Float32Array): void;
  nnSoftmax(mode: 0 | 1, x: Float32Array, rows: number, cols: number): void;
  nnSoftmaxBackward(y: Float32Array, dy: Float32Array, rows: number, cols: number): void;
  nnReparameterize(mu: Float32Array, logVar: Float32Array, eps: Float32Array, z: Float32Array, seed: number, stream: number, counter: number, draw: boolean): void;
  nnReparameterizeBackward(logVar: Float32Array, eps: Float32Array, dz: Float32Array, dmu: Float32Array, dlogVar: Float32Array): void;
  nnDropout(x: Float32Array, mask: Float32Array, p: number, seed: number, stream: number, counter: number): void;
  nnBatchNormForward(x: Float32Array, rows: number, cols: number, gamma: Float32Array | null, beta: Float32Array | null,
    runningMean: Float32Array | null, runningVar: Float32Array | null, training: boolean, normalized: Float32Array | null, invStd: Float32Array | null): void;
  nnBatchNormBackward(normalized: Float32Array, invStd: Float32Array, gamma: Float32Array | null, dy: Float32Array, rows: number, cols: number,
    dgamma: Float32Array | null, dbeta: Float32Array | null): void;
  /** An LSTM layer over T steps (time-major arrays), filling the tape h, c, gates. */
  nnLstmForward(shape: NnLstmShape, arrays: NnLstmArrays): void;
  /** Back through time after nnLstmForward: weight gradients added, dx, dh0, dc0 written. */
  nnLstmBackward(shape: NnLstmShape, arrays: NnLstmArrays, gradients: {
    dh: Float32Array; dWx: Float32Array; dWh: Float32Array; db: Float32Array; dx?: Float32Array; dh0?: Float32Array; dc0?: Float32Array;
  }): void;
  /** DeepAR's likelihoods (gaussian 0, student_t 1, negative_binomial 2, beta 3, deterministic_l1 4): Σ w·nll, grad = w·∂nll/∂raw. */
  nnNegativeLogLikelihood(likelihood: number, raw: Float32Array, y: Float32Array, w: Float32Array | null, grad: Float32Array | null, scale?: Float32Array): number;
  /** One sample per value, from counter-based streams. */
  nnSampleLikelihood(likelihood: number, raw: Float32Array, out: Float32Array, seed: number, stream: number, first: number, scale?: Float32Array): void;
  nnOptimizerStep(settings: NnOptimizerSettings, w: Float32Array, g: Float32Array, m1: Float32Array | null, m2: Float32Array | null, step: number): void;
  /** DeepAR's network (stacked LSTM, projection, likelihood): Σ weight · NLL of a window batch and, with `gradient`, its mean's gradient. */
  deeparNetworkLoss(settings: DeeparNetworkSettings, parameters: Float32Array, window: DeeparWindow, gradient: Float32Array | null, step: number): number;
  /** One optimizer step on a window batch (off the event loop); counters [steps, the window's Σ weight · NLL]. */
  deeparNetworkStep(settings: DeeparNetworkSettings, state: { parameters: Float32Array; moment1?: Float32Array; moment2?: Float32Array; counters: Float64Array },
    window: DeeparWindow): Promise<void>;
  deeparNetworkLayout(settings: DeeparNetworkSettings): { parameters: number; input: number[]; recurrent: number[]; bias: number[]; projection: number; projectionBias: number };
  /** The DeepAR model's sizes: parameters (network, then embedding tables), inputs per step, values per reservoir window, steps per window. */
  deeparModelLayout(settings: DeeparModelSettings): { parameters: number; networkParameters: number; features: number; history: number; steps: number };
  /** Offers every window of the series to the reservoir (a weighted reservoir sample ∝ ν), off the event loop. */
  deeparOffer(settings: DeeparModelSettings, seed: number, reservoir: DeeparReservoir, series: DeeparSeriesPack): Promise<void>;
  /** `count` optimizer steps on batches of `batch` windows drawn from the reservoir; counters [steps, Σ weight·NLL, Σ weight] (the last two added to). */
  deeparTrainRound(settings: DeeparModelSettings, seed: number,
    state: { parameters: Float32Array; moment1?: Float32Array; moment2?: Float32Array; counters: Float64Array },
    reservoir: DeeparReservoir, batch: number, count: number): Promise<void>;
  /** The windows in `slots` as one batch: Σ weight·NLL, Σ weight and the mean loss's gradient over every parameter (embeddings included): for tests. */
  deeparModelLoss(settings: DeeparModelSettings, parameters: Float32Array, reservoir: DeeparReservoir, slots: Uint32Array, step: number,
    gradient: Float32Array | null): { loss: number; weight: number };
  /** Calendar features of a period (featureSet 0–4, unit 0–3, index in units since the epoch): for tests. */
  deeparTimeFeatures(featureSet: number, unit: number, index: number): Float32Array;
  /** Sample paths out [series × paths × P] of the P steps after each series; series i draws from stream + i. */
  deeparForecast(settings: DeeparModelSettings, parameters: Float32Array, series: DeeparSeriesPack,
    draw: { paths: number; seed: number; stream: number }, out: Float32Array): Promise<void>;
  /** Transparent huge pages for a large array (Linux); false where not taken. */
  adviseHugePages(array: ArrayBufferView): boolean;
  StreamParser: new (options: NativeParserOptions) => NativeStreamParser;
  murmurHash3(bytes: Uint8Array, seed: number): number;
  /** Space-Saving per bucket: adds a text batch's named entries (batch.words) to the sketch; off the event loop when large. */
  bucketSketchUpdate(sketch: NativeBucketSketch, featureDim: number, slots: number, batch: Batch): Promise<void>;
  /** Merges the sources into target (equal words' counts added, the `slots` largest kept). */
  bucketSketchMerge(target: NativeBucketSketch, sources: NativeBucketSketch[], featureDim: number, slots: number): void;
  /** Redirects file descriptor 2 into a temporary file until stderrCaptureEnd (nests). */
  stderrCaptureBegin(): void;
  /** Restores file descriptor 2 and returns what was written to it since stderrCaptureBegin. */
  stderrCaptureEnd(): string;
  /** Width of the first recordIO record in `bytes` (null while it is incomplete); throws on bytes that are not recordIO. */
  recordioProbe(bytes: Uint8Array, maxRecordBytes: number): { featureDim: number; sparse: boolean } | null;
  /** Bytes encodeRows may need for this batch in this format: the least length of its `out`. */
  rowBytesBound(format: 'csv' | 'libsvm' | 'jsonl' | 'recordio', batch: Batch): number;
  /** Writes the batch's rows at out[0] (off the event loop when large); resolves to the bytes written. */
  encodeRows(format: 'csv' | 'libsvm' | 'jsonl' | 'recordio', batch: Batch, out: Uint8Array): Promise<number>;
  /** Bytes encodePredictionLines may need: the least length of its `out`. */
  predictionLinesBound(outputs: NativePredictionOutput[], rows: number): number;
  /** One JSON line per row ({"key":value or [values],...}) at out[0]; resolves to the bytes written. */
  encodePredictionLines(outputs: NativePredictionOutput[], rows: number, out: Uint8Array): Promise<number>;
}

/** A bucket sketch's arrays: words [featureDim × slots × 32] (zero-padded UTF-8), counts and errors [featureDim × slots]. */
export interface NativeBucketSketch {
  words: Uint8Array;
  counts: Float64Array;
  errors: Float64Array;
}

/** DeepAR's network: F inputs a step, num_cells, num_layers, the likelihood's code (nn/likelihood.h), zoneout (dropout_rate). */
export interface DeeparNetworkSettings {
  features: number; cells: number; layers: number; likelihood: number; zoneout: number; seed: number; optimizer: NnOptimizerSettings;
}

/** The DeepAR model around the network (native/algorithms/deepar/deepar_model.h). */
export interface DeeparModelSettings {
  context: number; prediction: number; lags: Uint32Array;
  /** 0 minute, 1 hour, 2 day, 3 week, 4 month. */
  featureSet: number;
  /** 0 minute, 1 hour, 2 day, 3 month; base units per step. */
  unit: number; multiple: number;
  dynamic: number; cardinality: Uint32Array; embedding: number; scaleInputs: boolean;
  network: Omit<DeeparNetworkSettings, 'features'>;
}

/** The window reservoir's arrays (capacity R): counters [filled, windows offered, series offered]. */
export interface DeeparReservoir {
  capacity: number; targets: Float32Array; dynamic: Float32Array; cats: Int32Array; origin: Float64Array; age: Float64Array;
  scale: Float32Array; keys: Float64Array; counters: Float64Array;
}

/** Series packed end to end: targets (NaN: missing), each series' dynamic features feature by feature. */
export interface DeeparSeriesPack {
  count: number; targets: Float32Array; lengths: Uint32Array; starts: Float64Array; cats: Int32Array; dynamic: Float32Array; dynamicLengths: Uint32Array;
}

/** A batch of B windows of T steps, time-major: inputs [T × B × F], targets and weights [T × B] (weight 0: no loss). */
export interface DeeparWindow { steps: number; rows: number; inputs: Float32Array; targets: Float32Array; weights: Float32Array }

/** An LSTM layer's sizes: T steps, B sequences, I inputs, H hidden units. */
export interface NnLstmShape { steps: number; rows: number; inputs: number; hidden: number }

/** x [T×B×I], wx [I×4H], wh [H×4H], b [4H] (gates i, f, g, o); zoneout masks [T×B×H] (1: keep the previous value); the tape h, c [T×B×H], gates [T×B×4H]. */
export interface NnLstmArrays {
  x: Float32Array; wx: Float32Array; wh: Float32Array; b: Float32Array; h0?: Float32Array; c0?: Float32Array;
  zoneoutH?: Float32Array; zoneoutC?: Float32Array; h: Float32Array; c: Float32Array; gates: Float32Array; /** The outputs, needed with zoneout (the state h may have kept its previous value; the output is fresh). */ y?: Float32Array;
}

/** One named prediction output: `key` is the name as JSON (quoted), `values` rows × width, row-major. */
export interface NativePredictionOutput {
  key: string;
  values: Float32Array | Float64Array | Int32Array | Uint32Array;
  width: number;
  /** Written as an array even when width is 1. */
  vector?: boolean;
}

export interface NativeParserOptions {
  format: 'csv' | 'libsvm' | 'vw' | 'jsonl' | 'text' | 'recordio';
  delimiter?: string;
  labelColumn?: number;
  /** CSV columns read past (0-based). */
  ignoreColumns?: number[];
  header?: boolean;
  featureDim: number;
  zeroBased?: boolean;
  hashBits?: number;
  labelsRequired?: boolean;
  /** Classification: labels must be integers in [0, labelClasses) (2: 0 or 1); 0 or absent: any. */
  labelClasses?: number;
  /** Feature values the consumer takes; a value outside makes the record bad (feature_out_of_range). */
  featureRange?: { min: number; max: number };
  maxRecordBytes?: number;
  skipBad?: boolean;
  /** Text formats: parse with every thread of the pool (default, when it has more than one); false: one thread, in place. */
  parallel?: boolean;
}

export interface NativeFeedResult {
  consumed: number;
  rows: number;
  nnz: number;
  full: boolean;
  /** Rows parsed and not yet handed over remain (the parallel parser's staging): drainSync() hands them over. */
  staged: boolean;
  /** Offset after the last record taken or skipped, from where this file's reading began. */
  committed: number;
  /** Line (text formats) or record (recordIO) number of the next record. */
  line: number;
  error?: string;
}

export interface NativeStreamParser {
  /**
   * The batch to fill. `wordOffsets` (nnzCapacity + 1 entries) and `wordBytes`, both or neither,
   * take the words that name a text batch's entries (Batch `words`).
   */
  setTarget(values: Float32Array, labels: Float32Array | null, weights: Float32Array | null,
    indptr: Int32Array | null, indices: Uint32Array | null, rowCapacity: number, nnzCapacity: number,
    wordOffsets?: Uint32Array | null, wordBytes?: Uint8Array | null): void;
  feed(chunk: Uint8Array): Promise<NativeFeedResult>;
  feedSync(chunk: Uint8Array): NativeFeedResult;
  finish(): NativeFeedResult;
  /** Hands over staged rows into the target, parsing nothing (a copy of at most one batch). */
  drainSync(): NativeFeedResult;
  /**
   * The parallel text parser only: parses the chunk's whole lines ahead into a free wave (of two)
   * on a libuv thread and the pool, while drainSync hands over the wave before. Errors in the chunk
   * come from the drainSync that reaches them. Resolves with the bytes taken (feed the rest again).
   */
  stage(chunk: Uint8Array): Promise<{ consumed: number }>;
  /**
   * The parallel text parser only: reads bytes [from, to) of a plain file (to its end when `to` is
   * past it) and stages them wave after wave on a thread of its own (native/io/file_stager.h),
   * while drainSync hands over the waves before. Nothing else may feed the parser until endStaging.
   */
  stageFile(path: string, from: number, to: number): void;
  /** Waits for staged rows to hand over (`ready`) or the file stager's end (`done`; `error` when a read failed); `bytes` staged so far. */
  staged(): Promise<{ ready: boolean; done: boolean; bytes: number; error?: string }>;
  /** Stops the file stager (after the wave it parses) and returns the bytes it staged. */
  endStaging(): number;
  startFile(expectHeader?: boolean): void;
  stats(): { line: number; committedOffset: number; carryBytes: number; parseThreads: number; bad: Record<string, number> };
}

const require = createRequire(import.meta.url);

let cached: { addon: CoreAddon; path: string } | undefined;

/** Where the addon was loaded from (after a successful loadCoreAddon()). */
export function coreAddonPath(): string | undefined {
  return cached?.path;
}

export function loadCoreAddon(): CoreAddon {
  if (!cached) cached = loadAddonFrom(packageRoot, process.env.BOUNDLESS_ADDON_PATH);
  return cached.addon;
}

/**
 * Loads the explicit path (BOUNDLESS_ADDON_PATH, relative to the working directory) — its failure
 * is an error, never a quiet fall-back to another build — or else searches `root` with
 * node-gyp-build (build/Release, build/Debug, prebuilds/<platform>-<arch>), throwing one error
 * describing the attempt and the fixes.
 */
export function loadAddonFrom(root: string, explicitPath?: string): { addon: CoreAddon; path: string } {
  const attempts: string[] = [];
  if (explicitPath) {
    const path = resolve(explicitPath);
    try {
      return { addon: require(path) as CoreAddon, path };
    } catch (error) {
      throw new Error(`BOUNDLESS_ADDON_PATH=${explicitPath}: cannot load the boundless-ml native addon from ${path}: ${firstLine(error)} ` +
        '(unset BOUNDLESS_ADDON_PATH to load the package\'s own build)');
    }
  }
  try {
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    const path = nodeGypBuild.path(root);
    return { addon: require(path) as CoreAddon, path };
  } catch (error) {
    attempts.push(`node-gyp-build in ${root}: ${firstLine(error)}`);
  }
  throw new Error(describeLoadFailure(root, attempts));
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

function describeLoadFailure(root: string, attempts: string[]): string {
  const platform = `${process.platform}-${process.arch}`;
  const hasBuildDir = existsSync(join(root, 'build'));
  const hasPrebuilds = existsSync(join(root, 'prebuilds', platform));
  const lines = [
    `Could not load the boundless-ml native addon for ${platform}, Node ${process.version} ` +
      `(Node-API ${process.versions.napi}).`,
    'Tried:',
    ...attempts.map((attempt) => `  - ${attempt}`),
    'Possible solutions:',
  ];
  if (!hasPrebuilds) {
    lines.push(`  - No prebuilt binary ships for ${platform}; build from source: ` +
      '`npm rebuild boundless-ml` (needs python3, make and a C++17 compiler).');
  }
  if (!hasBuildDir) {
    lines.push('  - The source build never ran: npm >= 11 skips dependencies\' install scripts until approved ' +
      '(`npm install-scripts approve boundless-ml`), and --ignore-scripts skips them all; then run ' +
      '`npm rebuild boundless-ml`.');
  }
  lines.push(
    '  - Force a fresh source build: `npm install boundless-ml --build-from-source`.',
    '  - Point at a binary you built yourself: BOUNDLESS_ADDON_PATH=/path/to/boundless.node.',
    '  - Node.js >= 20.19 is required.',
  );
  return lines.join('\n');
}
