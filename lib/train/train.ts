// The trainer: drives any algorithm through the contract over a stream of
// batches — epochs over persistent sources, validation every epoch (or the
// algorithm's own progressive validation), early stopping with the best
// epoch kept, rolling checkpoints with the source position, resume from the
// newest valid checkpoint, incremental training from a saved state, and a
// clean stop on an AbortSignal with a checkpoint written.
import { resolveBackend, type BackendChoice } from '../backends/select.js';
import type { Backend } from '../backends/registry.js';
import { parseHyperparameters, type HyperparameterInput } from '../algorithms/hyperparameters.js';
import type { Algorithm, State } from '../algorithms/types.js';
import { readBatches, type ReadOptions } from '../io/read-batches.js';
import type { SourceInput } from '../io/sources/open-source.js';
import type { SourcePosition } from '../io/sources/types.js';
import type { JsonValue } from '../state/checkpoint.js';
import { loadState } from '../state/persistence.js';
import { existsSync } from 'node:fs';
import { cloneTensor } from '../state/tensor.js';
import { CheckpointDirectory, CheckpointSchedule } from './checkpoint-directory.js';

export interface ProgressEvent {
  phase: 'batch' | 'epoch' | 'checkpoint' | 'warning';
  epoch: number;
  batches: number;
  records: number;
  bytes: number;
  elapsedSeconds: number;
  recordsPerSecond: number;
  /** The algorithm's progressive metrics (each batch scored before training on it). */
  metrics: Record<string, number>;
  /** Validation metrics, on 'epoch' events when there is a validation channel. */
  validation?: Record<string, number>;
  badRecords: Record<string, number>;
  /** Seconds left, when the training channel's size is known (files). */
  etaSeconds?: number;
  checkpoint?: string;
  message?: string;
}

export interface TrainOptions {
  train: SourceInput;
  validation?: SourceInput;
  /** Scored once with the final model; the result is metrics.test. */
  test?: SourceInput;
  /** How to read the channels (format, featureDim, header, ...); miniBatchSize defaults to the hyperparameter. */
  data?: Omit<ReadOptions, 'start' | 'signal' | 'miniBatchSize'> & { miniBatchSize?: number };
  epochs?: number;
  checkpoint?: { directory: string; everyBatches?: number; everySeconds?: number; keep?: number };
  /** Continue from the newest valid checkpoint in checkpoint.directory. */
  resume?: boolean;
  /** Continue training this state (a checkpoint path or a State) on the new data. */
  initialState?: string | State<unknown>;
  /** Early stopping on the algorithm's objective over the validation channel; tolerance is relative to the best value. */
  earlyStopping?: { patience: number; tolerance?: number };
  backend?: BackendChoice;
  /** The algorithm's `seed` hyperparameter, and the shuffle buffer's seed. */
  seed?: number;
  /**
   * Reproducible to the byte, resumed or not: requires a seed when shuffling. (Kernels give the
   * same results whatever the thread count, so no thread setting is needed.)
   */
  deterministic?: boolean;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface TrainResult<A extends Algorithm> {
  model: ReturnType<A['finalize']>;
  state: Parameters<A['update']>[0];
  metrics: {
    train: Record<string, number>;
    /** Validation metrics of the epoch the model comes from (the best one when early stopping keeps it; the last one after a resume). */
    validation?: Record<string, number>;
    test?: Record<string, number>;
    epochs: number;
    bestEpoch?: number;
    stoppedEarly: boolean;
    records: number;
    seconds: number;
  };
}

/** What a checkpoint stores about training, next to the state. */
interface Progress {
  epoch: number;
  position: SourcePosition | null;
  batches: number;
  records: number;
  bestEpoch: number | null;
  bestValue: number | null;
  epochsWithoutImprovement: number;
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError' ? reason : new DOMException('training was aborted', 'AbortError');
}

function copyState<S extends State<unknown>>(state: S): S {
  return {
    ...state,
    tensors: Object.fromEntries(Object.entries(state.tensors).map(([name, t]) => [name, cloneTensor(t)])),
    scalars: JSON.parse(JSON.stringify(state.scalars)),
  };
}

export async function train<A extends Algorithm>(algorithm: A, hyperparameters: HyperparameterInput,
  options: TrainOptions): Promise<TrainResult<A>> {
  const input = { ...hyperparameters };
  if (options.seed !== undefined) {
    if (!('seed' in algorithm.hyperparameters)) throw new Error(`train: ${algorithm.name} has no seed hyperparameter`);
    input.seed = options.seed;
  }
  const hp = parseHyperparameters(algorithm.name, algorithm.hyperparameters, input) as Record<string, unknown>;
  if (options.deterministic && options.data?.shuffleBuffer && options.seed === undefined && options.data.seed === undefined) {
    throw new Error('train: deterministic training with a shuffle buffer needs a seed');
  }
  const backend: Backend = await resolveBackend(options.backend);
  const epochs = options.epochs ?? (typeof hp.epochs === 'number' ? hp.epochs : 1);
  const miniBatchSize = options.data?.miniBatchSize ?? (typeof hp.mini_batch_size === 'number' ? hp.mini_batch_size : 1000);
  if (!Number.isSafeInteger(epochs) || epochs < 1) throw new RangeError(`train: epochs must be a positive integer, got ${epochs}`);
  const patience = options.earlyStopping?.patience ?? (typeof hp.early_stopping_patience === 'number' ? hp.early_stopping_patience : undefined);
  const tolerance = options.earlyStopping?.tolerance ?? (typeof hp.early_stopping_tolerance === 'number' ? hp.early_stopping_tolerance : 0);
  const featureDim = options.data?.featureDim ?? (typeof hp.feature_dim === 'number' ? hp.feature_dim : undefined);
  const readOptions = { ...options.data, seed: options.data?.seed ?? options.seed, featureDim, miniBatchSize, labelSize: (options.data?.labelSize ?? (algorithm.labelSize > 0 ? 1 : 0)) as 0 | 1 };
  const directory = options.checkpoint ? new CheckpointDirectory(options.checkpoint.directory, options.checkpoint.keep ?? 3) : undefined;
  if (options.resume && !directory) throw new Error('train: resume needs checkpoint.directory');

  const started = performance.now();
  let bytes = 0;
  let epochBytes = 0;
  let totalBytes: number | undefined;
  let badRecords: Record<string, number> = {};
  let state: State<unknown> | undefined;
  let best: State<unknown> | undefined;
  let validation: Record<string, number> | undefined;
  // The final model comes from the best epoch, so the metrics reported are that epoch's.
  let bestValidation: Record<string, number> | undefined;
  let progress: Progress = { epoch: 0, position: null, batches: 0, records: 0, bestEpoch: null, bestValue: null, epochsWithoutImprovement: 0 };
  const emit = (phase: ProgressEvent['phase'], extra: Partial<ProgressEvent> = {}) => {
    if (!options.onProgress) return;
    const elapsedSeconds = (performance.now() - started) / 1000;
    const done = bytes + epochBytes;
    const planned = totalBytes !== undefined ? totalBytes * epochs : undefined;
    const etaSeconds = planned !== undefined && done > 0 ? Math.max(0, (elapsedSeconds * (planned - done)) / done) : undefined;
    options.onProgress({
      phase, epoch: progress.epoch, batches: progress.batches, records: progress.records, bytes, elapsedSeconds,
      recordsPerSecond: elapsedSeconds > 0 ? progress.records / elapsedSeconds : 0,
      metrics: state && algorithm.progressiveMetrics ? algorithm.progressiveMetrics(state as never) : {},
      badRecords, ...(etaSeconds !== undefined ? { etaSeconds } : {}), ...extra,
    });
  };

  if (options.resume) {
    const resumed = await directory!.newestValid(algorithm, backend, (message) => emit('warning', { message }));
    if (resumed) {
      state = resumed.state;
      progress = resumed.training as unknown as Progress;
      // The best epoch's state, kept beside the checkpoints, is what the final model comes from.
      if (progress.bestEpoch !== null) {
        const bestPath = directory!.bestStatePath;
        if (existsSync(bestPath)) best = await loadState(bestPath, algorithm, backend);
        else emit('warning', { message: `${bestPath} is missing: the best epoch's state is lost; the final model uses the last state` });
      }
    }
  }
  if (!state && options.initialState !== undefined) {
    state = typeof options.initialState === 'string' ? await loadState(options.initialState, algorithm, backend) : options.initialState;
  }
  const writeCheckpoint = async () => {
    if (!directory || !state) return;
    const written = await directory.write(state, progress as unknown as Record<string, JsonValue>);
    emit('checkpoint', { checkpoint: written.path });
  };
  const schedule = options.checkpoint ? new CheckpointSchedule(options.checkpoint.everyBatches, options.checkpoint.everySeconds) : undefined;
  let stoppedEarly = false;

  while (progress.epoch < epochs) {
    const stream = readBatches(options.train, { ...readOptions, start: progress.position ?? undefined, signal: options.signal });
    try {
      for await (const batch of stream) {
        if (!state) state = algorithm.createState(hp as never, { featureDim: stream.featureDim!, labelSize: algorithm.labelSize, sparse: stream.sparse === true }, backend);
        await algorithm.update(state as never, batch, backend);
        progress.position = { ...batch.position };
        progress.batches++;
        progress.records += batch.rows;
        totalBytes = stream.totalBytes;
        epochBytes = stream.stats.bytes;
        emit('batch');
        if (options.signal?.aborted) throw abortError(options.signal);
        if (schedule?.afterBatch()) {
          await writeCheckpoint();
          schedule.written();
        }
      }
    } catch (error) {
      // Stop at a batch boundary with everything trained so far in a checkpoint.
      if ((error as Error).name === 'AbortError') await writeCheckpoint();
      throw error;
    }
    bytes += stream.stats.bytes;
    epochBytes = 0;
    badRecords = { ...stream.stats.badRecords };
    if (!state) throw new Error('train: the training channel holds no records');
    progress.epoch++;
    progress.position = null;

    if (options.validation !== undefined && (algorithm.createStateValidator || algorithm.createEvaluator)) {
      // A rich state validates all its models at once and keeps the calibration for finalize.
      const validator = algorithm.createStateValidator
        ? algorithm.createStateValidator(state as never, backend)
        : undefined;
      const evaluator = validator ? undefined : algorithm.createEvaluator!(algorithm.finalize(state as never, backend) as never);
      for await (const batch of readBatches(options.validation, { ...readOptions, featureDim: state.schema.featureDim, signal: options.signal })) {
        await (validator ?? evaluator)!.add(batch);
      }
      validation = validator ? validator.finish() : evaluator!.result();
      const objective = typeof algorithm.objective === 'function' ? algorithm.objective(hp as never) : algorithm.objective;
      if (objective) {
        const value = validation[objective.metric];
        // Relative tolerance, as SageMaker's early_stopping_tolerance: smaller relative gains count as none.
        const margin = progress.bestValue === null ? 0 : tolerance * Math.abs(progress.bestValue);
        const improved = progress.bestValue === null ||
          (objective.minimize ? value < progress.bestValue - margin : value > progress.bestValue + margin);
        if (improved) {
          progress.bestValue = value;
          progress.bestEpoch = progress.epoch;
          progress.epochsWithoutImprovement = 0;
          bestValidation = validation;
          best = copyState(state);
          if (directory) await directory.writeBest(best);
        } else {
          progress.epochsWithoutImprovement++;
        }
      }
    }
    emit('epoch', validation ? { validation } : {});
    await writeCheckpoint();
    schedule?.written();
    if (patience !== undefined && progress.epochsWithoutImprovement >= patience) {
      stoppedEarly = true;
      break;
    }
  }
  const finalState = (best ?? state)!;
  const model = algorithm.finalize(finalState as never, backend) as ReturnType<A['finalize']>;
  let test: Record<string, number> | undefined;
  if (options.test !== undefined) {
    if (!algorithm.createEvaluator) throw new Error(`train: ${algorithm.name} has no evaluation metrics for the test channel`);
    const evaluator = algorithm.createEvaluator(model as never);
    for await (const batch of readBatches(options.test, { ...readOptions, featureDim: state!.schema.featureDim, signal: options.signal })) {
      await evaluator.add(batch);
    }
    test = evaluator.result();
  }
  return {
    model,
    state: state as Parameters<A['update']>[0],
    metrics: {
      train: algorithm.progressiveMetrics ? algorithm.progressiveMetrics(state as never) : {},
      ...((bestValidation ?? validation) ? { validation: bestValidation ?? validation } : {}),
      ...(test ? { test } : {}),
      epochs: progress.epoch,
      ...(progress.bestEpoch !== null ? { bestEpoch: progress.bestEpoch } : {}),
      stoppedEarly,
      records: progress.records,
      seconds: (performance.now() - started) / 1000,
    },
  };
}
