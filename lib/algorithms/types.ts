// The algorithm contract (ARCHITECTURE.md, "The algorithm contract"). Every
// algorithm module exports one Algorithm object; the trainer, checkpoints,
// merging, distribution and the conformance suite rely only on this shape.
import type { Backend } from '../backends/registry.js';
import type { Batch } from '../data/batch.js';
import type { SeriesRecord } from '../data/series.js';
import type { JsonValue } from '../state/checkpoint.js';
import type { Tensor, TensorArray } from '../state/tensor.js';
import type { HyperparameterInput, HyperparameterSchema, HyperparameterValues } from './hyperparameters.js';

export type AlgorithmName =
  | 'linear-learner' | 'factorization-machines' | 'ntm' | 'pca' | 'kmeans' | 'deepar'
  | (string & {});

/** What the data looks like, fixed when the state is created. */
export interface DataSchema {
  /** Features per row (after hashing, for hashed formats). */
  featureDim: number;
  /** Label values per row: 0 unsupervised, 1 for supervised algorithms. */
  labelSize: number;
  // Also `sparse: true` when batches are CSR (the trainer sets it; algorithms that center features need it).
  [key: string]: JsonValue;
}

/**
 * Everything needed to continue training: named typed arrays plus JSON scalars (counters, RNG
 * state, source position). Nothing else, which is what makes checkpoint, resume, merge and
 * distribution one mechanism. Tensors are allocated in createState and never resized.
 */
export interface State<H = Record<string, unknown>> {
  algorithm: AlgorithmName;
  hyperparameters: H;
  schema: DataSchema;
  tensors: Record<string, Tensor>;
  scalars: Record<string, JsonValue>;
}

/** Outputs of predict: one typed array per output, rows (× width) long. */
export type Predictions = Record<string, TensorArray>;

/** What a finalized model holds, for saving: same shape as a state. */
export interface ModelData {
  algorithm: AlgorithmName;
  hyperparameters: Record<string, JsonValue>;
  schema: DataSchema;
  tensors: Record<string, Tensor>;
  scalars: Record<string, JsonValue>;
}

export interface Model {
  readonly algorithm: AlgorithmName;
  /** Predictions for a batch, on the backend the model was built or loaded with. */
  predict(batch: Batch, options?: PredictOptions): Promise<Predictions>;
  /** One row, synchronously, cheap: for serving. */
  predictOne(features: Float32Array): Record<string, number | Float32Array>;
  /**
   * Throws a RangeError when the model does not take one of these request options or a value is
   * out of range, so a caller can refuse a request before reading any data.
   */
  checkPredictOptions?(options: PredictOptions): void;
  /**
   * Outputs that are vectors whatever their length (PCA's projection, a topic mixture): `predict`
   * writes them as arrays even of one value, where an output of one value a row is a number.
   */
  readonly vectorOutputs?: readonly string[];
  /** The tensors and scalars that define the model; saved and loaded exactly. */
  data(): ModelData;
  /** Writes the model atomically (algorithms/persistence.ts saveModel); read back with loadModel(path, algorithm, backend). */
  save(path: string): Promise<void>;
}

/** Request-time options of predict. */
export interface PredictOptions {
  /** Binary classifiers: the decision threshold. */
  threshold?: number;
  /** Clustering: also the distance to every centre. */
  distances?: boolean;
}

/** The validation metric that early stopping and the best epoch follow. */
export interface Objective {
  metric: string;
  minimize: boolean;
}

/**
 * An objective that depends on the hyperparameters. Written as a method type so an algorithm
 * typed with its own hyperparameters still fits Algorithm<HyperparameterSchema> (method
 * parameters are checked bivariantly; a plain function property would not fit).
 */
export type ObjectiveRule<H> = { rule(hyperparameters: H): Objective }['rule'];

/** Scores every model a rich state holds on validation data and records in the state what selection needs. */
export interface StateValidator {
  add(batch: Batch): Promise<void>;
  /** Stores the sums in the state; returns the metrics of the model the state would select. */
  finish(): Record<string, number> | Promise<Record<string, number>>;
}

/** Chooses among the models a rich state holds (k, components, which parallel model, a criterion). */
export type Selection = Record<string, JsonValue>;

/** Accumulates a model's metrics over labelled batches (SageMaker's metric names). */
export interface Evaluator {
  add(batch: Batch): Promise<void>;
  /** Reads back the sums a GPU backend holds for the batches added (present where one may hold them); await before result. */
  settle?(): Promise<void>;
  /** The metrics of every batch added; throws when a GPU backend still holds sums (await settle first). */
  result(): Record<string, number>;
}

export interface Algorithm<S extends HyperparameterSchema = HyperparameterSchema, M extends Model = Model> {
  readonly name: AlgorithmName;
  readonly hyperparameters: S;
  /** Label values per row the algorithm trains on (0 for unsupervised). */
  readonly labelSize: number;
  /**
   * Classification: the number of classes labels must index (2: 0 or 1), so that readers reject
   * other labels as bad records with their file and line; undefined for any real label.
   */
  labelClasses?(hyperparameters: HyperparameterValues<S>): number | undefined;
  /**
   * The feature values the algorithm takes (a topic model's word counts: 0 to 1e9), so that readers
   * reject other values as bad records with their file and line; undefined: any finite value.
   */
  readonly featureRange?: { min: number; max: number };
  /**
   * Forecasters: the data is whole time series (the `series` format, batches of SeriesBatch), and
   * this says why a record is bad (undefined: it is fine), so that readers report it with its file
   * and line, or count and skip it.
   */
  checkSeries?(hyperparameters: HyperparameterValues<S>, record: SeriesRecord): string | undefined;
  /**
   * Rows whose values are all 0 say nothing to the model (a topic model's empty documents): a
   * validation or test channel of only such rows is refused before training, not after it.
   */
  readonly zeroRowsSayNothing?: boolean;
  /** Allocates everything, once. */
  createState(hyperparameters: HyperparameterValues<S>, schema: DataSchema, backend: Backend): State<HyperparameterValues<S>>;
  /** Consumes one mini-batch. Allocates nothing proportional to the data seen. */
  update(state: State<HyperparameterValues<S>>, batch: Batch, backend: Backend): Promise<void>;
  /** Combines states trained on disjoint shards: exact for sums and sketches, weighted averages for SGD parameters. */
  merge(states: State<HyperparameterValues<S>>[]): State<HyperparameterValues<S>>;
  /**
   * A merge round of data-parallel workers (lib/distributed/): every state in `states` continued
   * from a copy of `base` (the previous round's result) on its own records. Returns base plus what
   * every worker added, each record counted once: counts, sums and metric sums add the workers'
   * increments over base; what SGD learns (parameters, optimizer moments) is averaged, weighted by
   * the rows each worker trained on since base. Algorithms whose state is only sums and sketches
   * leave it out: their rounds are merge([base, ...states]) with every worker continuing from a
   * fresh state, which is exact already. `into`, when given, is a state of the same shapes (neither
   * base nor one of `states`) whose buffers the result may take, so that rounds allocate nothing.
   */
  mergeRound?(base: State<HyperparameterValues<S>>, states: State<HyperparameterValues<S>>[],
    into?: State<HyperparameterValues<S>>): State<HyperparameterValues<S>>;
  /**
   * Moves what `state` learned since `from` onto `onto`, a later merge that already holds `from`
   * (a cluster member that kept training after an upload, while a round merged that upload):
   * returns onto + (state − from) for everything — parameters and optimizer moments as well as
   * counts and sums — so the member's records since `from` count once and its progress is not
   * averaged away a second time (mergeRound's average would weigh it against the whole round).
   * (A state that continued a fresh state has a fresh state as `from`.) SGD algorithms with
   * mergeRound may add it; without it, cluster members wait for each round before training on.
   */
  rebaseRound?(from: State<HyperparameterValues<S>>, state: State<HyperparameterValues<S>>,
    onto: State<HyperparameterValues<S>>): State<HyperparameterValues<S>>;
  /**
   * Called by a data-parallel worker on its own thread just before it uploads `state` to a merge
   * round: state-sized work that leaves what the state means unchanged and makes the merge, which
   * runs on one thread while the workers wait, cheaper (the linear learner brings its lazily
   * regularized weights up to date here, so the merge need not).
   */
  prepareUpload?(state: State<HyperparameterValues<S>>): void;
  /**
   * Batches of each data-parallel worker between merge rounds when `syncEvery` / --sync-every is
   * not given (8 when absent): the most that kept the merged model within the merge tolerance of
   * one worker in the measurements sync-policy.ts cites.
   */
  roundBatches?: number;
  /**
   * Throws a DegenerateDataError when the data the state has seen cannot give a model (one class
   * for a classifier, fewer distinct points than k). The trainer calls it after each pass over
   * the training channel; finalize calls it too.
   */
  checkTrainingData?(state: State<HyperparameterValues<S>>): void;
  /**
   * Lines about data the state has seen that the model is made from but cannot use well (the
   * linear learner: sparse features far from 0 with a tiny spread, which it does not centre).
   * Not errors: the trainer emits each as a 'warning' event after the run's first pass, and
   * `select` prints them for the model it is asked for (`selection`: PCA's subtract_mean, say,
   * which a selection may change). `epochs`: the passes the run makes, where the trainer asks
   * (absent from `select`, which sees a state whose passes are done).
   */
  dataWarnings?(state: State<HyperparameterValues<S>>, selection?: Selection, epochs?: number): string[];
  /**
   * State tensors added after files of this algorithm were first written. A state file without one
   * loads with the fresh state's value (zeros) in its place, which must mean what the older files
   * meant (an origin of 0, say); any other missing tensor is an error.
   */
  readonly addedTensors?: readonly string[];
  /**
   * The hyperparameters of a stored state as the defaults of its time meant them: when a default
   * changes, a file written before keeps what its `auto`s and missing parameters meant then, so
   * it resumes and merges as it would have. Gets the stored hyperparameters and scalars.
   */
  upgradeStoredHyperparameters?(hyperparameters: Record<string, unknown>, scalars: Record<string, unknown>): Record<string, unknown>;
  /**
   * Rows per batch the trainer reads for these hyperparameters, given the rows the user asked for
   * (the CLI's --mini-batch-size, data.miniBatchSize), if any. Default: what was asked, else
   * mini_batch_size, else 1000.
   */
  readBatchRows?(hyperparameters: HyperparameterValues<S>, requested?: number): number;
  /**
   * Set by an algorithm whose update does not depend on how rows are grouped into batches (sums,
   * sketches): dense batches are read with at least this many values (ReadOptions.batchValues),
   * so narrow data makes fewer, larger kernel calls. Not when the read size is asked for
   * (data.miniBatchSize, --mini-batch-size): that is read as asked.
   */
  readonly readBatchValues?: number;
  /**
   * Called by the trainer after each whole pass over the training channel. From the second pass on,
   * scores on training rows are training scores, not progressive validation. `backend`: the run's
   * (absent: work that needs one runs on the process's cpu backend).
   */
  endPass?(state: State<HyperparameterValues<S>>, backend?: Backend): void | Promise<void>;
  /**
   * Called when a run continues a state trained before on new data (incremental training, not a
   * resume): the next pass is a first pass again, scored before it is trained on.
   */
  beginRun?(state: State<HyperparameterValues<S>>): void;
  /**
   * Builds a model from the state; `selection` picks among the models a rich state holds. May
   * return a promise: work that grows with the model (an eigensolve, reduction trials) runs off
   * the event loop, so callers always `await` it. Throws (or rejects with) a RangeError for a
   * selection the state cannot give and a DegenerateDataError for data that cannot give a model.
   */
  finalize(state: State<HyperparameterValues<S>>, backend: Backend, selection?: Selection): M | Promise<M>;
  /** Rebuilds a model from saved data. */
  loadModel(data: ModelData, backend: Backend): M;
  /** Metrics of a model on labelled data, for validation and `evaluate`. */
  createEvaluator?(model: M): Evaluator;
  /** The evaluator metric that early stopping and best-epoch selection watch (may depend on the hyperparameters). */
  readonly objective?: Objective | ObjectiveRule<HyperparameterValues<S>>;
  /**
   * Early stopping without a validation channel: this metric of progressiveMetrics, read after each
   * pass, decides (SageMaker's NTM stops on the training loss then). Algorithms without it stop early
   * only on validation.
   */
  readonly trainingObjective?: Objective;
  /** Takes a vocabulary (TrainOptions.vocabulary): finalize finds it in state.schema.vocabulary. */
  readonly takesVocabulary?: boolean;
  /**
   * Validation of a rich state: every model it holds is scored in one pass, and what the state
   * learns (calibrated thresholds, the best model) is kept for finalize. Used by the trainer
   * instead of createEvaluator(finalize(state)) when present.
   */
  createStateValidator?(state: State<HyperparameterValues<S>>, backend: Backend): StateValidator;
  /** Metrics the state itself tracks as it trains (progressive validation: each batch scored before training on it). */
  progressiveMetrics?(state: State<HyperparameterValues<S>>): Record<string, number>;
}

export type { HyperparameterInput };

/** The model an algorithm's finalize gives, its promise resolved. */
export type FinalizedModel<A extends Pick<Algorithm, 'finalize'>> = Awaited<ReturnType<A['finalize']>>;
