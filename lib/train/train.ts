// The trainer: drives any algorithm through the contract over a stream of
// batches — epochs over persistent sources, validation every epoch (or the
// algorithm's own progressive validation), early stopping with the best
// epoch kept, rolling checkpoints with the source position, resume from the
// newest valid checkpoint, incremental training from a saved state, and a
// clean stop on an AbortSignal with a checkpoint written. The stages are in
// training-run.ts; the settings in run-settings.ts; progress in progress.ts.
import type { DeviceTrafficCounts } from '../backends/device-traffic-counts.js';
import type { KernelCounts } from '../backends/kernel-counters.js';
import type { Backend } from '../backends/registry.js';
import type { BackendChoice } from '../backends/select.js';
import type { HyperparameterInput } from '../algorithms/hyperparameters.js';
import type { Algorithm, FinalizedModel, State } from '../algorithms/types.js';
import type { ReadOptions } from '../io/read-options.js';
import type { SourceInput } from '../io/sources/open-source.js';
import type { ProgressEvent } from './progress.js';
import type { EpochCacheReport } from './epoch-cache.js';
import { TrainingRun } from './training-run.js';
import type { PassRunner } from './pass-runner.js';
import { rejectUnknownOptions } from '../io/option-names.js';
import { readOptionNames } from '../io/read-options.js';

export interface TrainOptions {
  train: SourceInput;
  validation?: SourceInput;
  /** Scored once with the final model; the result is metrics.test. */
  test?: SourceInput;
  /** How to read the channels (format, featureDim, header, ...); miniBatchSize defaults to the hyperparameter. */
  data?: Omit<ReadOptions, 'start' | 'signal' | 'miniBatchSize'> & { miniBatchSize?: number };
  epochs?: number;
  checkpoint?: { directory: string; everyBatches?: number; everySeconds?: number; keep?: number };
  /**
   * Continue from the newest valid checkpoint in checkpoint.directory (none there: a warning, and
   * training from the start). Refused when the training files differ from the checkpoint's (by name
   * or size; the directory may differ), or epochs are fewer than it has done (mid-pass: than the
   * pass it is in). A run that ended (all its epochs, or stopped early) trains nothing more.
   */
  resume?: boolean;
  /**
   * Continue training this state (a checkpoint path or a State) on the new data. A State given is
   * trained in place: the run's result holds that same object, changed (a run that fails leaves it
   * part-trained). To keep the original, pass a copy: `stateFromBytes(stateToBytes(state), algorithm, backend)`.
   */
  initialState?: string | State<unknown>;
  /**
   * Early stopping on the algorithm's objective over the validation channel (or, for algorithms with a
   * training objective such as ntm's, on the training loss when there is no validation channel);
   * tolerance is relative to the best value.
   */
  earlyStopping?: { patience: number; tolerance?: number };
  /**
   * One word per feature, in feature order (SageMaker's auxiliary vocab.txt channel): ntm names its
   * topics' words with it and keeps it in the model file. Its length must equal the data's features.
   */
  vocabulary?: readonly string[];
  /**
   * Where the kernels run: a backend's name ('cpu', 'webgpu', 'cuda'), 'auto' (the default, or
   * BOUNDLESS_BACKEND), or a Backend you made (createBackend, resolveBackend): the run uses it and
   * leaves it open (dispose it yourself). Data-parallel workers each make their own of its kind.
   */
  backend?: BackendChoice | Backend;
  /** The algorithm's `seed` hyperparameter, and the shuffle buffer's seed. */
  seed?: number;
  /**
   * Reproducible to the byte, resumed or not: requires a seed when shuffling. (Kernels give the
   * same results whatever the thread count, so no thread setting is needed.)
   */
  deterministic?: boolean;
  /**
   * Data-parallel worker threads (default 1): each reads its share of the training files and trains
   * its own state; states meet in merge rounds (see syncEvery). Memory: one state per worker, plus
   * the merge and the previous round's. Needs the public train() (lib/distributed/train.ts).
   */
  workers?: number;
  /**
   * How often workers merge: every `batches` batches of each worker (rounds at the same batches
   * every run: what deterministic runs need), or every `seconds` seconds. Default { batches: 8 }, the
   * linear learner's { batches: 32 } (Algorithm.roundBatches; lib/distributed/sync-policy.ts says why). A round costs a merge of the states: raise it for
   * very large states. `{ auto: true }` (cluster jobs only, their default): see sync-policy.ts.
   */
  syncEvery?: { batches: number } | { seconds: number } | { auto: true };
  /**
   * Bytes of memory for keeping the training and validation channels' parsed batches after their
   * first pass, so that later epochs skip reading and parsing the files (default 512 MiB; 0: read
   * the files every epoch). A channel that needs more is read every epoch; metrics.epochCache says
   * which. Only runs of several epochs in one thread keep batches; the model is the same either way.
   */
  epochCacheBytes?: number;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface TrainResult<A extends Algorithm> {
  /** The finalized model (finalize's promise resolved). */
  model: FinalizedModel<A>;
  /** The state the model comes from: the best epoch's when early stopping kept one, else the last. */
  state: Parameters<A['update']>[0];
  metrics: {
    train: Record<string, number>;
    /** Validation metrics of the epoch the model comes from (the best one when early stopping keeps it, resumed or not: checkpoints hold them). */
    validation?: Record<string, number>;
    test?: Record<string, number>;
    epochs: number;
    bestEpoch?: number;
    stoppedEarly: boolean;
    records: number;
    /**
     * With onBadRecord 'skip': the records each channel skipped, by reason (`{ train: { column_count: 2 },
     * validation: { … } }`; only channels that skipped any, absent when none did): the training and
     * validation channels' last pass, and the test channel. A resumed run counts the part of the pass it read itself.
     */
    badRecords?: Record<string, Record<string, number>>;
    seconds: number;
    /**
     * Kernel calls of the run (workers' included) by kernel: the backend that ran them, how many,
     * and how many fell back to cpu (kernel-counters.ts).
     */
    kernels: KernelCounts;
    /**
     * On a GPU backend (webgpu): what this process moved to and from the device during the run and how often it
     * waited for it (device-traffic.ts); absent on cpu. Workers' own devices are not included.
     */
    device?: DeviceTrafficCounts;
    /**
     * Runs of several epochs: what the epoch cache (options.epochCacheBytes) served, per channel — epochs read
     * from memory, the bytes and batches held, and why a channel was read from its files every epoch.
     */
    epochCache?: { train: EpochCacheReport; validation?: EpochCacheReport };
  };
  /**
   * Call once the model or state is stored: tells the training channel that a stored state holds
   * everything trained (a Redis stream's entries are acknowledged; until then they stay pending,
   * and are read again by this consumer, or by another member once claim-after has passed).
   * Files and other streams have nothing to do. A checkpoint written at the end of the pass has
   * committed already.
   */
  commit(): Promise<void>;
}

/** Every option of TrainOptions, by name (the compiler keeps it complete): unknown names are errors. */
const trainOptionNames: Readonly<Record<keyof TrainOptions, true>> = {
  train: true, validation: true, test: true, data: true, epochs: true, checkpoint: true, resume: true, initialState: true,
  earlyStopping: true, vocabulary: true, backend: true, seed: true, deterministic: true, workers: true, syncEvery: true,
  epochCacheBytes: true, signal: true, onProgress: true,
};

/**
 * Trains `algorithm` on the training channel: epochs over a persistent source (one for a
 * stream), validation each epoch, early stopping with the best epoch kept, rolling checkpoints,
 * resume and incremental training. Errors: bad hyperparameters or options before any data is
 * read (naming the parameter; an option name it does not know is a TypeError), DataError for bad records, an AbortError after `signal` fires
 * (with a checkpoint written at the batch boundary).
 */
export async function train<A extends Algorithm>(algorithm: A, hyperparameters: HyperparameterInput,
  options: TrainOptions, runner?: PassRunner): Promise<TrainResult<A>> {
  requireArgumentShapes(algorithm, options);
  rejectUnknownOptions('train', options, trainOptionNames,
    (key) => (Object.hasOwn(readOptionNames, key) ? `how to read the channels: pass it in data, as data: { ${key} }` : undefined));
  rejectUnknownOptions('train: data', options.data, readOptionNames);
  if ((options.workers ?? 1) !== 1 && !runner) {
    throw new Error('train: workers > 1 need the worker pool: use train from boundless-ml (lib/distributed/train.ts), not lib/train/train.ts');
  }
  const run = await TrainingRun.start(algorithm, hyperparameters, options, runner);
  try {
    while (!run.done) await run.runEpoch();
    return await run.finish();
  } finally {
    await run.close();
    await finalizersRun();
  }
}

/** train()'s arguments of the wrong kind, said as such (they failed inside with JavaScript's own words: "Cannot read properties of undefined"). */
export function requireArgumentShapes(algorithm: unknown, options: unknown): void {
  const a = algorithm as Algorithm | undefined;
  if (typeof a !== 'object' || a === null || typeof a.createState !== 'function' || typeof a.update !== 'function') {
    throw new TypeError(`train: algorithm must be an algorithm of boundless-ml (linearLearner, kmeans, pca, factorizationMachines, ntm, deepar) ` +
      `or one made with the algorithm contract, got ${typeof algorithm === 'string' ? `the string ${JSON.stringify(algorithm)} (getAlgorithm(name) gives the algorithm of a name)` : String(algorithm)}`);
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`train: options must be an object ({ train, … }), got ${String(options)}`);
  const o = options as TrainOptions;
  if (o.train === undefined || o.train === null) throw new TypeError('train: options.train is required: the training data (a path, "-", a Readable, or an iterable of buffers or records)');
  for (const channel of ['train', 'validation', 'test'] as const) {
    const given = o[channel] as unknown;
    if (given === undefined) continue;
    if (given === null || (typeof given !== 'string' && typeof given !== 'object')) {
      throw new TypeError(`train: options.${channel} must be a path, "-", a Readable, or an iterable of buffers or records, got ${given === null ? 'null' : `the ${typeof given} ${String(given)}`}`);
    }
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError(`train: options.onProgress must be a function (event) => …, got ${typeof o.onProgress}`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new TypeError(`train: options.signal must be an AbortSignal (new AbortController().signal), got ${typeof o.signal}`);
  const c = o.checkpoint as unknown;
  if (c !== undefined && (typeof c !== 'object' || c === null || typeof (c as { directory?: unknown }).directory !== 'string')) {
    throw new TypeError(`train: options.checkpoint must be { directory, everyBatches?, everySeconds?, keep? } (directory a path), got ${JSON.stringify(c)}`);
  }
}

/**
 * One turn of the event loop. The native objects that hold a state's arrays (the prepared kernel
 * steps) are freed by Node-API finalizers, which run only between macrotasks; a training on
 * records in memory that runs its kernels inline is all microtasks, and a loop of 3,000 such
 * trainings held every state until it ended (95 MB more, found by a user test).
 */
function finalizersRun(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
