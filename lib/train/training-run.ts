// One run of the trainer, stage by stage: restore (resume or initial state),
// an epoch over the training channel with scheduled checkpoints, validation
// and the early-stopping bookkeeping, then the final model and the test
// channel. train() in train.ts strings the stages together.
import { Readable } from 'node:stream';
import type { DeviceTrafficCounts } from '../backends/device-traffic-counts.js';
import { declinedWarnings } from '../backends/kernel-counters.js';
import { settleState } from '../backends/device-state.js';
import type { KernelCounts } from '../backends/kernel-counters.js';
import { DegenerateDataError } from '../algorithms/degenerate-data.js';
import { HyperparameterError, type HyperparameterInput } from '../algorithms/hyperparameters.js';
import { loadState } from '../algorithms/persistence.js';
import type { Algorithm, FinalizedModel, Objective, State } from '../algorithms/types.js';
import type { Batch } from '../data/batch.js';
import type { BatchStream, CommittableInput } from '../io/batch-stream.js';
import { readBatches } from '../io/read-batches.js';
import { stopError } from '../io/stop-error.js';
import { DataError, type ReadOptions } from '../io/read-options.js';
import { isRedisUrl, redactRedisUrl } from '../io/redis/redis-url.js';
import type { SourceInput } from '../io/sources/open-source.js';
import type { SourcePosition } from '../io/sources/types.js';
import { cloneTensor } from '../state/tensor.js';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { CheckpointSchedule } from './checkpoint-directory.js';
import { IdleCheckpoints } from './idle-checkpoints.js';
import { defaultEpochCacheBytes, describeBytes, EpochCache, type EpochCacheReport, type PassSource } from './epoch-cache.js';
import { ProgressReporter, type ProgressEvent } from './progress.js';
import { movedLabelColumn, recordPositions, schemaOf } from './schema.js';
import { parallelEpochsProblem, resolveRunSettings, settingsOf, type RunSettings } from './run-settings.js';
import { fromTrainingRecord, inPass, inputDifference, inputFilesOf, listInputFiles, toTrainingRecord, validationDifference, type CheckpointRecord, type InputFile } from './checkpoint-record.js';
import type { PassContext, PassResult, PassRunner, Progress } from './pass-runner.js';
import type { TrainOptions, TrainResult } from './train.js';
import { mostlySkippedMessage, noRecordsMessage } from '../io/no-records.js';

/** A channel as a person names it: its path, or what kind of source it is. */
function describeChannel(channel: SourceInput): string {
  if (isRedisUrl(channel)) return redactRedisUrl(channel);
  if (typeof channel === 'string') return channel === '-' ? 'stdin' : channel;
  if (Array.isArray(channel) && channel.length > 0 && channel.every((c) => typeof c === 'string')) return channel.join(', ');
  if (Array.isArray(channel)) return `an array of ${channel.length.toLocaleString('en-US')} record${channel.length === 1 ? '' : 's'}`;
  if (channel instanceof Readable) return 'a stream';
  return 'an iterable';
}

/**
 * Whether a channel can be read only once: stdin, a Node stream, an iterable other than an array
 * (io/sources/records.ts reads those once), a Source that says it cannot seek. Files, and arrays
 * of records, can be read again.
 */
function readOnce(channel: SourceInput): boolean {
  if (channel === '-' || channel instanceof Readable) return true;
  if (typeof channel !== 'object' || channel === null || Array.isArray(channel)) return false;
  const source = channel as { kind?: unknown; seekable?: unknown };
  if (source.kind === 'bytes' || source.kind === 'records') return source.seekable === false;
  return true;
}

/** A channel's metrics; degenerate data there (rows of no weight) is an error that names the channel. */
async function channelMetrics(name: 'validation' | 'test', channel: SourceInput, result: () => Record<string, number> | Promise<Record<string, number>>): Promise<Record<string, number>> {
  try {
    return await result();
  } catch (error) {
    if (!(error instanceof DegenerateDataError)) throw error;
    throw new DegenerateDataError(`${error.message} (the ${name} channel, ${describeChannel(channel)})`);
  }
}

/**
 * Hyperparameters that steer the trainer, not the state: they may change when training continues.
 * Not mini_batch_size: the state's updates are made of its steps (the linear learner's optimizer
 * steps, DeepAR's and ntm's batches), so a changed one would be ignored or break resumption.
 */
const trainerHyperparameters = new Set(['epochs', 'early_stopping_patience', 'early_stopping_tolerance']);

const abortError = stopError;

/** Whether a pass ended because the run was stopped: an AbortError, or any error once the signal fired (its reason, thrown by a read). */
function stopped(error: unknown, signal: AbortSignal | undefined): boolean {
  return (error as Error)?.name === 'AbortError' || signal?.aborted === true;
}

function copyState<S extends State<unknown>>(state: S): S {
  return {
    ...state,
    tensors: Object.fromEntries(Object.entries(state.tensors).map(([name, t]) => [name, cloneTensor(t)])),
    scalars: JSON.parse(JSON.stringify(state.scalars)),
  };
}

/** Whether `value` beats `best` by more than the relative tolerance (SageMaker's early_stopping_tolerance). */
export function improves(value: number, best: number | null, tolerance: number, minimize: boolean): boolean {
  if (best === null) return true;
  const margin = tolerance * Math.abs(best);
  return minimize ? value < best - margin : value > best + margin;
}

/** Read options whose file source reads `listed` (the channel's files and sizes as checked at a pass's start), if any. */
function withListed(options: ReadOptions, listed: InputFile[] | undefined): ReadOptions {
  return listed ? { ...options, files: { ...options.files, listed } } : options;
}

export class TrainingRun<A extends Algorithm> {
  private state: State<unknown> | undefined;
  /** The state of the best epoch so far (early stopping keeps it for the final model). */
  private best: State<unknown> | undefined;
  private validation: Record<string, number> | undefined;
  /** The metrics of the best epoch: the final model comes from it, so these are reported. */
  private bestValidation: Record<string, number> | undefined;
  private progress: Progress = { epoch: 0, position: null, batches: 0, records: 0, bestEpoch: null, bestValue: null, epochsWithoutImprovement: 0 };
  private readonly reporter: ProgressReporter;
  private readonly schedule: CheckpointSchedule | undefined;
  /** The training channel of the current or last pass, told (commit) when a stored state holds what it delivered. */
  private input: CommittableInput | undefined;
  /**
   * How much of `input` the run's state holds: the last batch's position, 'end' after a whole pass,
   * undefined when unknown (before the first batch; data-parallel workers in the middle of a pass).
   */
  private covered: SourcePosition | 'end' | undefined;
  /** Records onBadRecord 'skip' left out of the validation channel's latest pass and of the test channel, by reason. */
  private readonly channelBadRecords: { validation?: Record<string, number>; test?: Record<string, number> } = {};
  /** The training files as listed at the start of the runner's pass (checkSameFiles), which its workers read. */
  private listedTraining: InputFile[] | undefined;
  /** Each channel's files and their bytes when its first pass from their start read them (checkSameFiles). */
  private readonly firstPassFiles = new Map<'training' | 'validation', InputFile[]>();
  stoppedEarly = false;
  /** The backend's kernel counts when this run began: metrics.kernels is what the run added. */
  private readonly kernelsBefore: KernelCounts;
  /** The training and validation channels' batches, kept after a pass for the epochs after it (epoch-cache.ts); made at their first pass. */
  private readonly caches: { train?: EpochCache; validation?: EpochCache } = {};
  private readonly trafficBefore: DeviceTrafficCounts | undefined;

  /** The training files and their sizes when the run began (null: not files), recorded in checkpoints. */
  private readonly inputFiles: InputFile[] | null;
  /** The validation channel's files (null: none), recorded in checkpoints too. */
  private readonly validationFiles: InputFile[] | null;

  private constructor(private readonly algorithm: A, private settings: RunSettings, private readonly options: TrainOptions,
    private readonly runner: PassRunner | undefined) {
    this.inputFiles = settings.directory ? inputFilesOf(options.train) : null;
    this.validationFiles = settings.directory && options.validation !== undefined ? inputFilesOf(options.validation) : null;
    this.reporter = new ProgressReporter(settings.epochs, options.onProgress);
    this.schedule = options.checkpoint ? new CheckpointSchedule(options.checkpoint.everyBatches, options.checkpoint.everySeconds) : undefined;
    this.kernelsBefore = settings.backend.counters.snapshot();
    this.trafficBefore = settings.backend.traffic?.snapshot();
  }

  /** `runner` trains each pass instead of this thread (lib/distributed/'s worker pool). */
  static async start<A extends Algorithm>(algorithm: A, hyperparameters: HyperparameterInput, options: TrainOptions,
    runner?: PassRunner): Promise<TrainingRun<A>> {
    const run = new TrainingRun(algorithm, await resolveRunSettings(algorithm, hyperparameters, options), options, runner);
    const epochsProblem = runner ? parallelEpochsProblem(algorithm, run.settings.epochs) : undefined;
    if (epochsProblem) throw new RangeError(epochsProblem);
    await run.settings.directory?.requireDirectory();
    try {
      run.refuseStreamChannel('validation', options.validation);
      run.refuseStreamChannel('test', options.test);
      run.refuseUnmeasuredChannels();
      // The checkpoint first: what it refuses (rows of another width) is said before the channels are read with it.
      await run.restore();
      await run.requireRecords('validation', options.validation);
      await run.requireRecords('test', options.test);
      if (runner?.begin) await runner.begin(run.passContext());
    } catch (error) {
      await run.settings.directory?.release();
      throw error;
    }
    return run;
  }

  /** The training channel is a stream that has been read: no further epoch can read it again. */
  private streamRead = false;

  get done(): boolean {
    return this.stoppedEarly || this.streamRead || this.progress.epoch >= this.settings.epochs;
  }

  /** Validation is read every epoch and the test channel after training: a Redis stream, read once and shared by a job's members, cannot be either. */
  private refuseStreamChannel(name: string, channel: SourceInput | undefined): void {
    if (!isRedisUrl(channel)) return;
    throw new Error(`train: the ${name} channel is a Redis stream (${describeChannel(channel)}): only the training channel can be; ` +
      `give the ${name} data as a file`);
  }

  /**
   * A validation or test channel given to an algorithm with no metrics for it: the test channel
   * failed after the whole pass (no model written), and a validation channel was never read.
   */
  private refuseUnmeasuredChannels(): void {
    const { algorithm, options } = this;
    if (options.test !== undefined && !algorithm.createEvaluator) {
      throw new Error(`train: ${algorithm.name} has no evaluation metrics, so a test channel has nothing to measure: leave it out`);
    }
    if (options.validation !== undefined && !algorithm.createStateValidator && !algorithm.createEvaluator) {
      throw new Error(`train: ${algorithm.name} has no validation metrics, so a validation channel would not be read: leave it out`);
    }
  }

  /**
   * An empty validation or test file is an error before any training, not after all of it. Only
   * files are looked at (their first batch): a stream could not be read again — a named pipe or
   * `<(command)` neither, so those are read when their turn comes (validation, read every epoch,
   * only with one epoch).
   */
  private async requireRecords(name: string, channel: SourceInput | undefined): Promise<void> {
    if (name === 'validation' && this.settings.epochs > 1 && channel !== undefined && readOnce(channel)) {
      // It trained a whole epoch, then failed with `no records in the validation channel (stdin)`.
      throw new DataError(`train: the validation channel (${describeChannel(channel)}) is a stream, which can be read once, ` +
        `and validation reads it every epoch: give it as a file, or train one epoch (--epochs 1)`);
    }
    if (typeof channel !== 'string' || channel === '-') return;
    const stat = (() => {
      try {
        return statSync(channel);
      } catch {
        return undefined;  // not a path (a URL, a pattern) or missing: reading it says what is wrong
      }
    })();
    if (stat && !stat.isFile() && !stat.isDirectory()) {
      if (name === 'validation' && this.settings.epochs > 1) {
        throw new DataError(`train: the validation channel (${describeChannel(channel)}) is a pipe, which can be read once, ` +
          `and validation reads it every epoch: give it as a file, or train one epoch (--epochs 1)`);
      }
      return;
    }
    const stream = readBatches(channel, { ...this.settings.readOptions, signal: this.options.signal });
    const zeroRows = this.algorithm.zeroRowsSayNothing === true;
    let rows = 0;
    for await (const batch of stream) {
      rows += batch.rows;
      if (batch.rows > 0 && (!zeroRows || holdsNonZero(batch))) return;
    }
    if (rows > 0) {
      const [one, many] = this.recordNouns;
      throw new DataError(`train: the ${name} channel (${describeChannel(channel)}) has ${rows.toLocaleString('en-US')} ${rows === 1 ? one : many}, ` +
        `every one empty (all its values 0: a document without a word), which ${this.algorithm.name} has nothing to measure on`);
    }
    throw new DataError(noRecordsMessage('train', `the ${name} channel (${describeChannel(channel)})`, stream.stats.badRecords, this.recordNouns));
  }

  /**
   * A state continues with the hyperparameters it was made with: given ones that differ would be
   * ignored, so they are an error. The trainer's own (epochs, early stopping) may change.
   */
  private requireSameHyperparameters(state: State<unknown>, source: string): void {
    const stored = state.hyperparameters as Record<string, unknown>;
    // feature_dim "auto" took its width from the data: the same width given as a number is the same.
    const width = state.schema.featureDim;
    const same = (name: string) => JSON.stringify(this.settings.hp[name]) === JSON.stringify(stored[name]) ||
      (name === 'feature_dim' && stored[name] === 'auto' && this.settings.hp[name] === width);
    const differing = this.settings.given.filter((name) => !trainerHyperparameters.has(name) && !same(name));
    if (differing.length === 0) return;
    const show = (values: Record<string, unknown>, made = false) => differing.map((name) => `${name}=${JSON.stringify(values[name])}` +
      (made && name === 'feature_dim' && values[name] === 'auto' ? ` (its rows had ${width} features)` : '')).join(', ');
    throw new HyperparameterError(`train: ${source} was made with ${show(stored, true)}, but ${show(this.settings.hp)} ` +
      'was given: a state continues with the hyperparameters it was made with (drop those, or train a new model from scratch)');
  }

  /**
   * Continuing `state`: given hyperparameters must be the state's, and those not given are the
   * state's too (the batches read must be the steps it was made with); the trainer's are this run's.
   */
  private continueWith(state: State<unknown>, source: string): void {
    this.requireSameHyperparameters(state, source);
    this.requireSameVocabulary(state, source);
    const trainer = Object.entries(this.settings.hp).filter(([name]) => trainerHyperparameters.has(name));
    const hp = { ...this.settings.hp, ...(state.hyperparameters as Record<string, unknown>), ...Object.fromEntries(trainer) };
    this.settings = { ...this.settings, hp, ...settingsOf(this.algorithm, hp, this.options) };
    // The data is read at the state's width, so a file of another width is refused at its first
    // line, named, rather than by the kernel at batch 0 (series and hashed words have no width to hold).
    const { readOptions } = this.settings;
    if (readOptions.featureDim === undefined && state.schema.series !== true && state.schema.hashedWords !== true) {
      this.settings.readOptions = { ...readOptions, featureDim: state.schema.featureDim };
    }
    this.readWithLayoutOf(state);
    // Its columns too: a headed file of the same width with its columns in another order is refused by name.
    const names = state.schema.featureNames;
    if (Array.isArray(names) && readOptions.header === true && (readOptions.format ?? 'csv') === 'csv' && readOptions.featureNames === undefined) {
      this.settings.readOptions = { ...this.settings.readOptions, featureNames: names as string[] };
    }
    this.recordTrainerHyperparameters(state);
  }

  /**
   * A CSV state's layout where this run names none, as evaluate and predict read a model's: its
   * label column (a regressor trained with --label-column 2 and continued without it learned
   * column 1, the diagnosis, as its label, exit 0; an unsupervised state's rows had one too), moved
   * by other read-past columns given (ignoreColumns: [] on rows without the state's row names), and
   * the columns it read past.
   */
  private readWithLayoutOf(state: State<unknown>): void {
    const read = this.settings.readOptions;
    if ((read.format ?? 'csv') !== 'csv') return;
    const given = this.options.data ?? {};
    const schema = state.schema as { labelColumn?: unknown; ignoreColumns?: unknown };
    const stored = typeof schema.labelColumn === 'number' ? schema.labelColumn : undefined;
    const storedIgnored = Array.isArray(schema.ignoreColumns) && schema.ignoreColumns.every((c) => typeof c === 'number') ? schema.ignoreColumns as number[] : undefined;
    const labelled = given.labelSize !== undefined ? given.labelSize === 1 : this.algorithm.labelSize > 0 || stored !== undefined;
    let column = given.labelColumn;
    if (column === undefined && labelled && (stored !== undefined || storedIgnored?.length)) {
      const base = stored ?? 0;
      column = given.ignoreColumns !== undefined && storedIgnored?.length ? movedLabelColumn(base, storedIgnored, given.ignoreColumns) : base;
    }
    const ignoreColumns = given.ignoreColumns ?? (storedIgnored ? recordPositions(storedIgnored, labelled ? column ?? 0 : undefined) : undefined);
    this.settings.readOptions = {
      ...this.settings.readOptions,
      ...(labelled && given.labelSize === undefined ? { labelSize: 1 as const } : {}),
      ...(column !== undefined ? { labelColumn: column } : {}),
      ...(ignoreColumns !== undefined ? { ignoreColumns } : {}),
    };
  }

  /**
   * The trainer's hyperparameters this run was given (a longer patience on resuming) are what the
   * state goes on with: recorded in it (and in the best epoch's state, which the run's early
   * stopping also judged by them), so that its file says how the run was trained.
   */
  private recordTrainerHyperparameters(state: State<unknown>): void {
    const given = Object.entries(this.settings.hp).filter(([name]) => trainerHyperparameters.has(name) && this.settings.given.includes(name));
    if (given.length > 0) state.hyperparameters = { ...(state.hyperparameters as Record<string, unknown>), ...Object.fromEntries(given) };
  }

  /** Resume from the newest valid checkpoint (and its best epoch's state), else start from initialState if given. */
  private async restore(): Promise<void> {
    if (this.options.resume) await this.resume();
    const initial = this.options.initialState;
    if (!this.state && initial !== undefined) {
      this.state = typeof initial === 'string' ? await loadState(initial, this.algorithm, this.settings.backend) : initial;
      this.continueWith(this.state, typeof initial === 'string' ? initial : 'the initial state');
      // New data: its first pass is scored before it is trained on, as the first run's was.
      this.algorithm.beginRun?.(this.state as never);
    }
  }

  private async resume(): Promise<void> {
    const { directory, backend } = this.settings;
    const resumed = await directory!.newestValid(this.algorithm, backend, (message) => this.emit('warning', { message }));
    if (!resumed) {
      // The same command line serves the first run and its restarts; say which this one is.
      this.emit('warning', { message: `resume: no checkpoint in ${directory!.directory} to resume from: training from the start` });
      return;
    }
    const record = fromTrainingRecord(resumed.training);
    this.requireSameInput(record, resumed.path);
    this.requireSameWidth(resumed.state, resumed.path);
    this.continueWith(resumed.state, `the checkpoint resumed (${resumed.path})`);
    this.state = resumed.state;
    this.progress = record.progress;
    this.requireEpochsLeft(resumed.path);
    const { epoch, records, position } = this.progress;
    this.reporter.resumedRecords = records;
    // The shuffle buffer's rows are not in a checkpoint: those it held are skipped (read-batches.ts), and that is said.
    const buffer = this.options.data?.shuffleBuffer;
    if (buffer && position !== null) {
      this.emit('warning', { message: `resume: the run shuffles through a buffer of ${buffer} batches, which a checkpoint does not keep: ` +
        `the rows it held when ${resumed.path} was written (at most ${buffer} batches) are not trained on in this epoch` });
    }
    // What the run reported so far: a resumed run with no epoch left to validate reports it too.
    this.validation = record.validation;
    this.bestValidation = record.bestValidation;
    if (this.progress.bestEpoch !== null) await this.loadBest();
    const shares = this.progress.shares;
    // Before `resumed from …` is said: a checkpoint this runner cannot take up is refused first.
    if (shares || position !== null) this.runner?.checkResume?.(shares ?? null, position);
    if (shares && !this.runner) {
      throw new Error(`train: the checkpoint resumed was written by ${shares.count} data-parallel workers in the middle of an epoch: ` +
        `resume with ${shares.count} workers (--workers ${shares.count}, workers: ${shares.count})`);
    }
    // A run that stopped early has ended, as one that ran all its epochs has: resuming it trains nothing.
    const { patience } = this.settings;
    this.stoppedEarly = !inPass(this.progress) && patience !== undefined && this.progress.epochsWithoutImprovement >= patience;
    // A stream starts where it is, not at the checkpoint's record: said before `resumed from …`, which read as if it had.
    if ((position !== null || shares) && readOnce(this.options.train)) {
      const named = describeChannel(this.options.train);
      throw new DataError(`train: ${resumed.path} was written ${records.toLocaleString('en-US')} records into epoch ${epoch + 1}, and the training channel ` +
        `(${named}) ${named === 'a stream' ? '' : 'is a stream, which '}cannot be read from there: continue from it on the rows not yet trained with --initial-state ${resumed.path} (initialState in the API) and without --resume, or train from the start without --resume (a run that reads a file can resume mid-epoch)`);
    }
    // Said once every check has passed, so that a log shows a run that continued rather than one that started over.
    this.emit('resume', { checkpoint: resumed.path, message: `resumed from ${resumed.path}: ${records} records trained, ` +
      `${epoch} epoch${epoch === 1 ? '' : 's'} done${position !== null || this.progress.shares ? `, epoch ${epoch + 1} under way` : ''}` });
  }

  /** Rows of another width than the checkpoint's state: refused, not read at the state's width without a word. */
  private requireSameWidth(state: State<unknown>, path: string): void {
    const given = this.options.data?.featureDim;
    if (given === undefined || given === state.schema.featureDim) return;
    throw new Error(`train: the checkpoint resumed (${path}) was trained on rows of ${state.schema.featureDim} features, and this run reads ` +
      `${given} (--feature-dim, featureDim in the API): resume with the same --feature-dim, or train from scratch in a new --checkpoint-dir`);
  }

  /** A checkpoint's position and state mean nothing on other data: seeking into another file would train on a mix. */
  private requireSameInput(record: CheckpointRecord, path: string): void {
    const validation = validationDifference(record.validationInput, this.validationFiles);
    if (validation) {
      throw new Error(`train: the checkpoint resumed (${path}) is of another validation channel: ${validation}; its best epoch so far ` +
        'was chosen on that channel: resume with the same --validation, or train from scratch in a new --checkpoint-dir');
    }
    // A pass read through another shuffle buffer gives other batches from the same position: rows
    // were lost without a word (893,856 of 900,000 trained), or said lost when none were.
    const buffer = this.options.data?.shuffleBuffer ?? 0;
    if (record.shuffleBuffer !== undefined && record.shuffleBuffer !== buffer) {
      const said = (n: number) => (n > 0 ? `--shuffle-buffer ${n}` : 'no --shuffle-buffer');
      throw new Error(`train: the checkpoint resumed (${path}) was written by a run with ${said(record.shuffleBuffer)}, and this one has ` +
        `${said(buffer)}: a resumed run reads its input as the run it continues did: resume with ${said(record.shuffleBuffer)}`);
    }
    const differs = inputDifference(record.input, this.inputFiles);
    if (!differs) return;
    throw new Error(`train: the checkpoint resumed (${path}) is of other training data: ${differs}; ` +
      'resume with the files it was taken on (same names and sizes; they may have moved), or train from scratch in a new --checkpoint-dir');
  }

  private async loadBest(): Promise<void> {
    const bestPath = this.settings.directory!.bestStatePath;
    if (existsSync(bestPath)) {
      this.best = await loadState(bestPath, this.algorithm, this.settings.backend);
      this.recordTrainerHyperparameters(this.best);
    } else this.emit('warning', { message: `${bestPath} is missing: the best epoch's state is lost; the final model uses the last state` });
  }

  /**
   * Fewer epochs than the checkpoint has done (or, mid-pass, than the pass it is in) would end
   * with a model of more passes than asked for, or in the middle of one: an error.
   */
  private requireEpochsLeft(path: string): void {
    const { epoch } = this.progress;
    const { epochs } = this.settings;
    const least = inPass(this.progress) ? epoch + 1 : epoch;
    if (epochs >= least) return;
    const where = inPass(this.progress) ? `is in the middle of epoch ${least} (${epoch} done)` : `has ${epoch} epoch${epoch === 1 ? '' : 's'} done`;
    throw new HyperparameterError(`train: the checkpoint resumed (${path}) ${where}: epochs must be at least ${least}` +
      `${least > epoch ? ' to finish that pass' : ''}, got ${epochs} (--epochs, or the epochs hyperparameter)`);
  }

  /** One epoch: the training channel from the stored position, validation, early stopping, a checkpoint. */
  async runEpoch(): Promise<void> {
    await this.trainOnChannel();
    if (this.options.validation !== undefined && (this.algorithm.createStateValidator || this.algorithm.createEvaluator)) {
      this.validation = await this.validate(this.options.validation);
      await this.recordValidation(this.validation);
    }
    else if (this.algorithm.trainingObjective && this.state) await this.recordValidation(this.algorithm.progressiveMetrics?.(this.state as never) ?? {}, this.algorithm.trainingObjective);
    this.emit('epoch', this.validation ? { validation: this.validation } : {});
    await this.writeCheckpoint();
    this.schedule?.written();
    if (this.streamRead && this.progress.epoch < this.settings.epochs) {
      // Epochs nobody asked for are the algorithm's default: the warning says so, and how to ask for one.
      const asked = this.options.epochs !== undefined || this.settings.given.includes('epochs');
      const of = asked ? `of the ${this.settings.epochs} asked for (train from a file for more epochs)`
        : `of ${this.algorithm.name}'s default ${this.settings.epochs} (train from a file for more epochs, or ask for one: --epochs 1, epochs: 1 in the API)`;
      // A path names a stream (stdin, a pipe); a Readable or iterable given is one.
      const named = typeof this.options.train === 'string' || Array.isArray(this.options.train);
      this.emit('warning', { message: `the training channel (${describeChannel(this.options.train)}) ${named ? 'is a stream, which ' : ''}can be read once: ` +
        `trained ${this.progress.epoch} epoch${this.progress.epoch === 1 ? '' : 's'} ${of}` });
    }
    const { patience } = this.settings;
    if (patience !== undefined && this.progress.epochsWithoutImprovement >= patience) this.stoppedEarly = true;
  }

  private async trainOnChannel(): Promise<void> {
    const { algorithm, options, progress, reporter } = this;
    // A pass from the channel's start that reads nothing is an error whether or not a state was
    // given to continue: a continued state would come back unchanged, as if trained.
    const fromStart = progress.position === null && !progress.shares;
    const recordsBefore = progress.records;
    this.cacheOf('train');  // a runner's too: the report says why it keeps nothing
    const pass = await (this.runner ? this.runPass(this.runner) : this.trainInThisThread());
    if (pass.input) this.input = pass.input;
    this.covered = 'end';
    reporter.bytes += pass.bytes;
    reporter.epochBytes = 0;
    reporter.badRecords = { ...pass.badRecords };
    if (!this.state || (fromStart && progress.records === recordsBefore)) {
      throw new DataError(noRecordsMessage('train', `the training channel (${describeChannel(options.train)})`, pass.badRecords, this.recordNouns));
    }
    // What a GPU backend holds of the pass is added into the state's arrays: the end of a pass reads them.
    await settleState(this.state);
    // A whole pass is in: data that cannot give a model (one class, ...) is reported now, not after every epoch.
    algorithm.checkTrainingData?.(this.state as never);
    if (progress.epoch === 0) for (const message of algorithm.dataWarnings?.(this.state as never, undefined, this.settings.epochs) ?? []) this.emit('warning', { message });
    // Said once, after the first pass (later passes skip the same records).
    const mostlyBad = fromStart && progress.epoch === 0 ? mostlySkippedMessage('train', `the training channel (${describeChannel(options.train)})`, progress.records - recordsBefore, pass.badRecords, undefined, this.recordNouns[1]) : undefined;
    if (mostlyBad) this.emit('warning', { message: mostlyBad });
    if (!pass.passEnded) await algorithm.endPass?.(this.state as never, this.settings.backend);
    progress.epoch++;
    progress.position = null;
    if (progress.shares) progress.shares = null;
    // stdin, a pipe, a socket: read once. Say so after this epoch rather than fail in the next on an empty stream.
    this.streamRead = !pass.seekable;
  }

  /** The run as a pass runner sees it. */
  private passContext(): PassContext {
    const run = this;
    return {
      algorithm: this.algorithm, settings: this.settings, options: this.options, progress: this.progress,
      get state() { return run.state as State | undefined; },
      get listed() { return run.listedTraining; },
      set state(state: State | undefined) { run.state = state; },
      report: (bytes, totalBytes) => {
        this.reporter.totalBytes = totalBytes;
        this.reporter.epochBytes = bytes;
        this.emit('batch');
      },
      trained: async (batches) => {
        if (!this.schedule?.afterBatches(batches)) return;
        await this.writeCheckpoint();
        this.schedule.written();
      },
    };
  }

  /** A pass by a runner, which sees the run through a PassContext. */
  private async runPass(runner: PassRunner): Promise<PassResult> {
    // Workers read the training files as this thread would: a later pass from their start checks them first.
    const shares = this.progress.shares;
    this.listedTraining = !shares || shares.positions.every((position, i) => position === null && !shares.done[i])
      ? this.checkSameFiles('training', this.options.train) : undefined;
    // A round's merge does not say which of a stream's dealt batches it holds: nothing is committed until the pass is whole.
    this.covered = undefined;
    try {
      return await runner.trainPass(this.passContext());
    } catch (error) {
      if (!stopped(error, this.options.signal)) throw error;
      await this.writeCheckpoint();
      throw this.options.signal?.aborted ? abortError(this.options.signal) : error;
    }
  }

  /** A pass in this thread: batch by batch, with scheduled checkpoints. */
  private async trainInThisThread(): Promise<PassResult> {
    const { algorithm, options, progress, reporter } = this;
    // The reader stops for the caller's signal, and for a timed checkpoint that failed while it waited.
    const reading = new AbortController();
    const forward = () => reading.abort(options.signal!.reason);
    if (options.signal?.aborted) forward();
    else options.signal?.addEventListener('abort', forward, { once: true });
    const cache = this.cacheOf('train');
    const fromStart = progress.position === null;
    const replay = fromStart ? cache?.replay() : undefined;
    let read: BatchStream | undefined;
    if (!replay) {
      await this.input?.close();
      // A pass from the start reads the files as checked, listed once: one changed since is an error, not less data.
      const listed = fromStart ? this.checkSameFiles('training', options.train) : undefined;
      read = readBatches(options.train, { ...withListed(this.settings.readOptions, listed), start: progress.position ?? undefined, signal: reading.signal });
      this.input = read;
    }
    const stream: PassSource = replay ?? read!;
    const batches = !replay && fromStart && cache?.recording && this.epochsAfterThis() ? cache.record(stream) : stream;
    this.covered = undefined;
    const startBytes = this.trainedBytes(progress.position) ?? 0;
    const idle = this.schedule ? new IdleCheckpoints(this.schedule, async () => {
      await this.writeCheckpoint();
      this.schedule!.written();
    }, (error) => reading.abort(error)) : undefined;
    try {
      for await (const batch of batches) {
        await idle?.beforeBatch();
        // A pass from the file makes the state (a replayed pass comes after one): the stream has read the width by now.
        if (!this.state) {
          this.state = algorithm.createState(this.settings.hp as never, schemaOf(read!.featureDim!, algorithm.labelSize, read!.sparse === true, batch, this.options.data,
            read!.stats.featureNames?.names),
            this.settings.backend);
          // A vocabulary of another width is said before the pass, not after it.
          this.checkVocabulary(this.state);
          // The validation and test channels, and later passes, must have the training header's columns.
          const names = this.state.schema.featureNames;
          if (Array.isArray(names)) this.settings.readOptions = { ...this.settings.readOptions, featureNames: names as string[] };
        }
        await algorithm.update(this.state as never, batch, this.settings.backend);
        progress.position = { ...batch.position };
        this.covered = batch.position;
        progress.batches++;
        progress.records += batch.rows;
        reporter.totalBytes = stream.totalBytes;
        // The reader runs ahead of training (read waves, the batch queue): a slow kernel's pass had read
        // the whole file in its first batches (the ETA 0, or growing): progress counts the bytes trained.
        const trained = this.trainedBytes(batch.position);
        reporter.epochBytes = trained !== undefined ? trained - startBytes : stream.stats.bytes;
        this.emit('batch');
        if (options.signal?.aborted) throw abortError(options.signal);
        if (this.schedule?.afterBatch()) {
          await this.writeCheckpoint();
          this.schedule.written();
        }
        idle?.arm();
      }
      await idle?.finish();
    } catch (error) {
      // A timed write in flight ends before another starts; one that failed (and ended the wait) is the run's error.
      const failed = await idle?.failure();
      if (failed) throw failed.error;
      // Stop at a batch boundary with everything trained so far in a checkpoint.
      if (!stopped(error, options.signal)) throw error;
      await this.writeCheckpoint();
      throw options.signal?.aborted ? abortError(options.signal) : error;
    } finally {
      options.signal?.removeEventListener('abort', forward);
    }
    return { bytes: stream.stats.bytes, badRecords: stream.stats.badRecords, seekable: stream.seekable !== false };
  }

  /**
   * The training files' bytes up to a trained batch's end, from its position (plain files: an
   * offset within file `fileIndex` of the files listed); undefined where a position does not say
   * (a stream, a gzip file, whose offsets count inflated bytes).
   */
  private trainedBytes(position: SourcePosition | null | undefined): number | undefined {
    const files = this.firstPassFiles.get('training');
    if (!files || !position || position.fileIndex >= files.length || position.byteOffset > files[position.fileIndex].bytes) return undefined;
    this.plainTraining ??= files.every((file) => !startsGzip(file.path));
    if (!this.plainTraining) return undefined;
    let before = 0;
    for (let i = 0; i < position.fileIndex; i++) before += files[i].bytes;
    return before + position.byteOffset;
  }

  /** Whether no training file is gzip (whose positions count inflated bytes): looked at once. */
  private plainTraining: boolean | undefined;

  /**
   * A later pass over a channel's files reads what the first did: a file that holds fewer bytes now
   * (truncated or replaced between passes), or is gone, is an error naming it, not a pass over less
   * data. (Within a pass, a file that ends short of its size when the pass began is one too:
   * lib/io/sources/files.ts.) Files added since, or grown, are read.
   */
  private checkSameFiles(channel: 'training' | 'validation', input: SourceInput): InputFile[] | undefined {
    // Listed now, errors and all: a file removed while its directory is listed must not make a list without it.
    const files = listInputFiles(input);
    if (!files) return undefined;
    const first = this.firstPassFiles.get(channel);
    if (!first) {
      this.firstPassFiles.set(channel, files);
      return files;
    }
    const now = new Map(files.map((file) => [file.path, file.bytes]));
    for (const file of first) {
      const bytes = now.get(file.path);
      if (bytes !== undefined && bytes >= file.bytes) continue;
      throw new DataError(`${file.path}: the ${channel} channel's file ${bytes === undefined ? 'is gone' : `holds ${bytes} bytes`}, where it held ` +
        `${file.bytes} bytes in the first pass: was it truncated, replaced or removed between passes? (a later pass would read less data)`);
    }
    return files;
  }

  /** Whether epochs are left after the running one (a pass recorded now would be replayed). */
  private epochsAfterThis(): boolean {
    return this.progress.epoch + 1 < this.settings.epochs;
  }

  /**
   * A channel's epoch cache, made at its first pass of a run of several epochs (undefined for one epoch). The
   * validation channel gets what the training channel's left of the budget.
   */
  private cacheOf(channel: 'train' | 'validation'): EpochCache | undefined {
    if (this.settings.epochs <= 1) return undefined;
    const made = this.caches[channel];
    if (made) return made;
    const budget = this.options.epochCacheBytes ?? defaultEpochCacheBytes;
    let cache: EpochCache;
    if (channel === 'train') {
      cache = new EpochCache(budget, 'training', this.runner ? 'data-parallel workers (workers, --cluster) read their shares from the files every epoch' : undefined);
    } else if (this.caches.train?.isStream) {
      // The run reads a stream once: no later epoch would replay the validation channel.
      cache = new EpochCache(0, 'validation', 'the training channel is a stream, read once: the run has one epoch');
    } else {
      const left = Math.max(0, budget - (this.caches.train?.report().bytes ?? 0));
      cache = new EpochCache(left, 'validation', left > 0 || budget === 0 ? undefined : 'the training channel took all of epochCacheBytes',
        `the ${describeBytes(left)} of epochCacheBytes (${describeBytes(budget)}) that the training channel left`);
    }
    this.caches[channel] = cache;
    return cache;
  }

  /** What metrics.epochCache reports: each channel's cache of a run of several epochs. */
  private cacheReports(): { train: EpochCacheReport; validation?: EpochCacheReport } | undefined {
    const { train, validation } = this.caches;
    if (!train) return undefined;
    return { train: train.report(), ...(validation ? { validation: validation.report() } : {}) };
  }

  /** Metrics on a channel: a rich state validates all its models at once and keeps the calibration for finalize. */
  private async validate(channel: SourceInput): Promise<Record<string, number>> {
    this.attachVocabulary();
    const { algorithm, state } = this;
    const backend = this.settings.backend;
    const validator = algorithm.createStateValidator ? algorithm.createStateValidator(state as never, backend) : undefined;
    const evaluator = validator ? undefined : algorithm.createEvaluator!(await algorithm.finalize(state as never, backend) as never);
    const cache = this.cacheOf('validation');
    // Validation follows the epoch: one is left after it when the run has more epochs than done.
    const more = this.progress.epoch < this.settings.epochs && !this.stoppedEarly;
    const replay = cache?.replay();
    const listed = replay ? undefined : this.checkSameFiles('validation', channel);
    const stream = replay ?? this.channel(channel, listed);
    const batches = !replay && cache?.recording && more ? cache.record(stream) : stream;
    let records = 0;
    for await (const batch of batches) {
      await (validator ?? evaluator)!.add(batch);
      records += batch.rows;
    }
    this.channelBadRecords.validation = { ...stream.stats.badRecords };
    if (records === 0) throw new DataError(noRecordsMessage('train', `the validation channel (${describeChannel(channel)})`, stream.stats.badRecords, this.recordNouns));
    // Said once, at the first validation (later ones skip the same records; a replay skips none).
    if (!replay && !this.warnedMostlySkipped.has('validation')) this.warnMostlySkipped('validation', channel, records, stream.stats.badRecords);
    await evaluator?.settle?.();
    return channelMetrics('validation', channel, () => (validator ? validator.finish() : evaluator!.result()));
  }

  /** What the channels' records are called: a forecaster's are series (DeepAR's JSON Lines). */
  private get recordNouns(): [string, string] {
    return this.settings.readOptions.format === 'series' ? ['series', 'series'] : ['record', 'records'];
  }

  /** The channels whose mostly-skipped warning was said. */
  private readonly warnedMostlySkipped = new Set<string>();

  /** A warning when more of a validation or test channel's records were skipped as bad than kept (its metrics come from the few left). */
  private warnMostlySkipped(name: 'validation' | 'test', channel: SourceInput, kept: number, badRecords: Record<string, number>): void {
    this.warnedMostlySkipped.add(name);
    const message = mostlySkippedMessage('train', `the ${name} channel (${describeChannel(channel)})`, kept, badRecords, `its ${name} metrics come from`, this.recordNouns[1]);
    if (message) this.emit('warning', { message });
  }

  /** Early-stopping bookkeeping: a better epoch becomes the best (its state kept, and written beside the checkpoints). */
  private async recordValidation(validation: Record<string, number>, watched?: Objective): Promise<void> {
    const { algorithm, progress } = this;
    const objective = watched ?? (typeof algorithm.objective === 'function' ? algorithm.objective(this.settings.hp as never) : algorithm.objective);
    if (!objective) return;
    const value = validation[objective.metric];
    if (!improves(value, progress.bestValue, this.settings.tolerance, objective.minimize)) {
      progress.epochsWithoutImprovement++;
      return;
    }
    progress.bestValue = value;
    progress.bestEpoch = progress.epoch;
    progress.epochsWithoutImprovement = 0;
    if (!watched) this.bestValidation = validation;
    this.best = copyState(this.state!);
    if (this.settings.directory) await this.settings.directory.writeBest(this.best);
  }

  /** The model of the best epoch (or the last state), its test metrics, and the run's summary. */
  async finish(): Promise<TrainResult<A>> {
    // No epoch is left to read them: the cached batches go before finalize and the test channel.
    this.caches.train?.release();
    this.caches.validation?.release();
    this.attachVocabulary();
    const { algorithm, progress, state } = this;
    const model = await algorithm.finalize((this.best ?? state)! as never, this.settings.backend) as FinalizedModel<A>;
    let test: Record<string, number> | undefined;
    if (this.options.test !== undefined) {
      if (!algorithm.createEvaluator) throw new Error(`train: ${algorithm.name} has no evaluation metrics for the test channel`);
      const evaluator = algorithm.createEvaluator(model as never);
      let records = 0;
      const stream = this.channel(this.options.test);
      for await (const batch of stream) {
        await evaluator.add(batch);
        records += batch.rows;
      }
      this.channelBadRecords.test = { ...stream.stats.badRecords };
      if (records === 0) throw new DataError(noRecordsMessage('train', `the test channel (${describeChannel(this.options.test)})`, stream.stats.badRecords, this.recordNouns));
      this.warnMostlySkipped('test', this.options.test, records, stream.stats.badRecords);
      await evaluator.settle?.();
      test = await channelMetrics('test', this.options.test, () => evaluator.result());
    }
    const validation = this.bestValidation ?? this.validation;
    const kernels = this.settings.backend.counters.snapshot(this.kernelsBefore);
    const epochCache = this.cacheReports();
    // A fallback is in metrics.kernels; why is said too, so that a slow run on the GPU explains itself.
    for (const message of declinedWarnings(this.settings.backend.name, kernels)) this.emit('warning', { message });
    return {
      model,
      state: (this.best ?? state) as Parameters<A['update']>[0],
      metrics: {
        // The training metrics of the state the model comes from (the best epoch's when one was kept).
        train: algorithm.progressiveMetrics ? algorithm.progressiveMetrics((this.best ?? state) as never) : {},
        ...(validation ? { validation } : {}),
        ...(test ? { test } : {}),
        epochs: progress.epoch,
        ...(progress.bestEpoch !== null ? { bestEpoch: progress.bestEpoch } : {}),
        stoppedEarly: this.stoppedEarly,
        records: progress.records,
        ...this.badRecordsReport(),
        seconds: this.reporter.elapsedSeconds,
        kernels,
        ...(epochCache ? { epochCache } : {}),
        ...(this.settings.backend.traffic ? { device: this.settings.backend.traffic.snapshot(this.trafficBefore) } : {}),
      },
      commit: () => this.commitInput(),
    };
  }

  /** The vocabulary given to train() goes into the schema of the states a model is made from (and saved with them). */
  private attachVocabulary(): void {
    const words = this.options.vocabulary;
    if (!words) return;
    for (const state of [this.state, this.best]) {
      if (!state) continue;
      this.checkVocabulary(state);
      state.schema.vocabulary = [...words];
    }
  }

  /**
   * A state trained with a vocabulary continues with that one: another (even a permutation of the
   * same words) would name its topics' words wrongly, without a word said.
   */
  private requireSameVocabulary(state: State<unknown>, source: string): void {
    const words = this.options.vocabulary;
    const had = state.schema.vocabulary;
    if (!words || !Array.isArray(had)) return;
    const at = (had as string[]).findIndex((word, i) => word !== words[i]);
    if (at < 0 && had.length === words.length) return;
    const where = at >= 0 ? `word ${at} (line ${at + 1} of a --vocab file) is ${JSON.stringify(words[at] ?? null)}, where ${source} has ${JSON.stringify(had[at])}`
      : `it has ${words.length} words, ${source} ${had.length}`;
    throw new RangeError(`train: the vocabulary (--vocab; vocabulary in train()'s options) is not the one ${source} was trained with: ${where}; ` +
      'give that vocabulary, or none (the state keeps its own)');
  }

  private checkVocabulary(state: State<unknown>): void {
    const words = this.options.vocabulary;
    if (!words || words.length === state.schema.featureDim) return;
    throw new RangeError(`train: the vocabulary (--vocab; vocabulary in train()'s options) has ${words.length} words but the data has ` +
      `${state.schema.featureDim} features (--feature-dim, or the rows' width); it needs one word per feature, in feature order`);
  }

  /** Tells the training channel that a stored state holds what the run's state holds (a Redis stream acknowledges its entries). */
  private async commitInput(): Promise<void> {
    if (this.input && this.covered !== undefined) await this.input.commit(this.covered);
  }

  /** Releases the training channel (a Redis stream's connection and heartbeat); a later commit still works. */
  async close(): Promise<void> {
    try {
      // A run that failed or was stopped lets its cached batches go too (finish() did it otherwise): with
      // them go the copies a GPU backend kept on the device.
      this.caches.train?.release();
      this.caches.validation?.release();
    } finally {
      // Whatever happened there, the input closes: an open reader keeps the process alive.
      try {
        await this.input?.close();
      } finally {
        await this.settings.directory?.release();
      }
    }
  }

  /** Batches of a validation or test channel, read like the training channel at the state's width. */
  /** metrics.badRecords: each channel's skipped records by reason (the training channel's last pass), only channels that skipped any. */
  private badRecordsReport(): { badRecords?: Record<string, Record<string, number>> } {
    const channels = { train: this.reporter.badRecords, ...this.channelBadRecords };
    const skipped = Object.entries(channels).filter(([, bad]) => bad && Object.keys(bad).length > 0);
    return skipped.length > 0 ? { badRecords: Object.fromEntries(skipped.map(([name, bad]) => [name, { ...bad }])) } : {};
  }

  private channel(input: SourceInput, listed?: InputFile[]) {
    // Series have no width to hold the channel to (the forecaster checks their features itself).
    const featureDim = this.state!.schema.series === true ? undefined : this.state!.schema.featureDim;
    return readBatches(input, { ...withListed(this.settings.readOptions, listed), featureDim, signal: this.options.signal });
  }

  private async writeCheckpoint(): Promise<void> {
    const { directory } = this.settings;
    if (!directory || !this.state) return;
    await settleState(this.state);
    const training = toTrainingRecord({
      progress: this.progress, input: this.inputFiles, validationInput: this.validationFiles, validation: this.validation, bestValidation: this.bestValidation,
      shuffleBuffer: this.options.data?.shuffleBuffer ?? 0,
    });
    const written = await directory.write(this.state, training);
    this.emit('checkpoint', { checkpoint: written.path });
    // Only now, with the state on disk, may an ephemeral input let go of what it holds.
    await this.commitInput();
  }

  private emit(phase: ProgressEvent['phase'], extra: Partial<ProgressEvent> = {}): void {
    const { algorithm, state } = this;
    this.reporter.emit(phase, this.progress,
      () => (state && algorithm.progressiveMetrics ? algorithm.progressiveMetrics(state as never) : {}), extra);
  }
}

/** Whether a batch of rows has a value other than 0 (a document with a word). */
function holdsNonZero(batch: Batch): boolean {
  if (batch.kind !== 'dense' && batch.kind !== 'sparse') return true;
  const values = batch.kind === 'dense' ? batch.values.subarray(0, batch.rows * batch.cols) : batch.values.subarray(0, batch.indptr[batch.rows]);
  return values.some((v) => v !== 0);
}

/** Whether a file starts with gzip's magic bytes (1f 8b); false when it cannot be read (its reader says why). */
function startsGzip(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
