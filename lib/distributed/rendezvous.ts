// A merge round as one worker sees it: "upload my state, wait for the
// round (or, across machines, skip stragglers past a deadline), download the
// merge". The worker's training loop (share-trainer.ts) knows only this
// interface; worker threads implement it over a MessagePort (port-rendezvous.ts),
// and a cluster implementation can implement it over Redis.
import type { State } from '../algorithms/types.js';
import type { SourcePosition } from '../io/sources/types.js';
import type { KernelCounts } from '../backends/kernel-counters.js';

/** What a worker uploads at a round. */
export interface RoundUpload {
  worker: number;
  /** The worker's round number in this pass: 1 for its first upload, then 2, ... */
  round: number;
  /** The worker's state; undefined when it has read no record yet (a fresh run's empty share). */
  state: State | undefined;
  /** Where its share continues after the batches `state` holds; null: the share's start. */
  position: SourcePosition | null;
  /** The share is read to its end: the last upload of this pass. */
  done: boolean;
  /** Since the previous upload. */
  batches: number;
  records: number;
  /** Bytes of its share read so far this pass, and records skipped as bad (onBadRecord 'skip'), by reason. */
  bytes: number;
  badRecords: Record<string, number>;
  /** The worker's kernel calls this pass so far (its backend's counters), for the run's metrics.kernels. */
  kernels?: KernelCounts;
}

/** The round's answer to one worker. */
export interface RoundReply {
  /** What to continue from (after a `done` upload: nothing). */
  state?: State;
  /** Stop at once (the run was aborted; the round's merge holds everything trained). */
  stop: boolean;
}

export interface Rendezvous {
  /** Whether round `round` has been called (time-based rounds, a stop) before this worker's batches for it are counted. */
  roundCalled(round: number): boolean;
  /** Uploads `upload` (its state's buffers move away) and resolves once the round is merged. */
  exchange(upload: RoundUpload): Promise<RoundReply>;
}
