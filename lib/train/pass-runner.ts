// How a pass over the training channel runs: by default in this thread,
// batch by batch (training-run.ts); a PassRunner replaces that, as the
// data-parallel worker pool of lib/distributed/ does. The trainer keeps
// everything around the pass (restore, validation, early stopping,
// checkpoints, the final model), so a runner only trains and reports.
import type { Algorithm, State } from '../algorithms/types.js';
import type { CommittableInput } from '../io/batch-stream.js';
import type { SourcePosition } from '../io/sources/types.js';
import type { ProgressEvent } from './progress.js';
import type { RunSettings } from './run-settings.js';
import type { TrainOptions } from './train.js';

/** Where each of N workers is in its share of the training channel (stored in checkpoints). */
export interface SharePositions {
  count: number;
  /** Position after the last batch the stored state holds; null: the share's start. */
  positions: (SourcePosition | null)[];
  /** Whether the worker has read its whole share this epoch. */
  done: boolean[];
  /**
   * The rounds the positions were taken on (absent in checkpoints from before it was recorded):
   * resumed on another schedule, the workers would merge at other batches and end with another model.
   */
  syncEvery?: { batches: number } | { seconds: number } | { auto: true };
}

/** What a checkpoint stores about training, next to the state (key order is part of the file's bytes). */
export interface Progress {
  epoch: number;
  position: SourcePosition | null;
  batches: number;
  records: number;
  bestEpoch: number | null;
  bestValue: number | null;
  epochsWithoutImprovement: number;
  /** Data-parallel runs only: every worker's position (`position` is then null). */
  shares?: SharePositions | null;
}

/** The trainer as a pass runner sees it. */
export interface PassContext {
  readonly algorithm: Algorithm;
  readonly settings: RunSettings;
  readonly options: TrainOptions;
  /** The run's state (undefined before the first record of a fresh run); the runner replaces it as it trains. */
  state: State | undefined;
  /** Counters and positions; the runner keeps them current with `state`. */
  readonly progress: Progress;
  /**
   * The training files and their sizes as checked at this pass's start (a pass from the channel's
   * start over files); the runner's readers read these, so that a file changed since is an error.
   */
  readonly listed?: { path: string; bytes: number }[];
  /** Reports progress (a 'batch' event per merge round, say) with the totals in `progress`. */
  report(bytes: number, totalBytes: number | undefined): void;
  /** Call when `state` and `progress` agree (after a merge round): writes a checkpoint if one is due after `batches` more batches. */
  trained(batches: number): Promise<void>;
}

/** What a pass read: for progress, skip counts, and whether the channel can be read again. */
export interface PassResult {
  bytes: number;
  badRecords: Record<string, number>;
  seekable: boolean;
  /** The runner ended the pass on the state itself (algorithm.endPass applied): the trainer must not end it again. */
  passEnded?: boolean;
  /** The stream the pass read, when it was not read from files: the trainer commits it ('end') once a stored state holds the pass. */
  input?: CommittableInput;
}

export interface PassRunner {
  /**
   * Called once, after the trainer restored what it could and before the first pass: a runner that
   * joins training under way (a cluster job) sets context.state and the progress counters.
   */
  begin?(context: PassContext): Promise<void>;
  /**
   * Throws when a checkpoint's positions cannot be taken up by this runner: workers' shares of
   * another worker count, or one worker's position mid-epoch (`shares` null, `position` set).
   */
  checkResume?(shares: SharePositions | null, position: unknown): void;
  /** One pass over the training channel from `context.progress`; throws an AbortError (state and progress current) when options.signal fires. */
  trainPass(context: PassContext): Promise<PassResult>;
  /** Releases what the runner holds (threads); the runner is unusable after. */
  close(): Promise<void>;
}
