// The coordinator's side of merge rounds: it collects one upload from every
// worker still reading its share, merges them in worker order with the
// previous round's result, and keeps every worker's source position and
// whether it is done — what a checkpoint stores beside the merged state.
import type { Algorithm, State } from '../algorithms/types.js';
import type { Backend } from '../backends/registry.js';
import type { SharePositions } from '../train/pass-runner.js';
import type { RoundUpload } from './rendezvous.js';
import { mergeOfRound } from './round-merge.js';

export interface CompletedRound {
  /** Undefined while no worker has read a record (and nothing was resumed). */
  merged: State | undefined;
  /** The round's uploads, in worker order. */
  uploads: RoundUpload[];
  batches: number;
  records: number;
}

export class RoundKeeper {
  /** The round being collected (1 for the first of the pass). */
  round = 1;
  private readonly uploads = new Map<number, RoundUpload>();
  /** A merge this keeper made that nothing holds any more: the next round's merge is written into it. */
  private spare: State | undefined;
  /** Whether base was made by this keeper (not the caller's state, which must stay as it is). */
  private ownBase = false;

  /**
   * `shares` is the pass's positions (updated in place); `base` the state every worker continued
   * from (undefined before the first round of a fresh run).
   */
  constructor(private readonly algorithm: Algorithm, private readonly backend: Backend,
    readonly shares: SharePositions, public base: State | undefined) {}

  get allDone(): boolean {
    return this.shares.done.every(Boolean);
  }

  /** Takes a worker's upload; true when the round has every upload it waits for. */
  add(upload: RoundUpload): boolean {
    if (upload.round !== this.round || this.uploads.has(upload.worker) || this.shares.done[upload.worker]) {
      throw new Error(`merge round ${this.round}: unexpected upload of round ${upload.round} from worker ${upload.worker} (a bug)`);
    }
    this.uploads.set(upload.worker, upload);
    return this.shares.done.every((done, worker) => done || this.uploads.has(worker));
  }

  /** Merges the round: the merge becomes the base of the next round; positions and done flags follow the uploads. */
  complete(): CompletedRound {
    const uploads = [...this.uploads.values()].sort((a, b) => a.worker - b.worker);
    const states = uploads.flatMap((u) => (u.state ? [u.state] : []));
    const merged = this.base === undefined && states.length === 0 ? undefined
      : mergeOfRound(this.algorithm, this.base, states, this.backend, this.spare);
    if (merged !== undefined && merged !== this.base) {
      this.spare = this.ownBase ? this.base : undefined;
      this.ownBase = true;
    }
    for (const upload of uploads) {
      this.shares.positions[upload.worker] = upload.position;
      this.shares.done[upload.worker] = upload.done;
    }
    this.uploads.clear();
    this.round++;
    this.base = merged;
    return {
      merged, uploads,
      batches: uploads.reduce((n, u) => n + u.batches, 0),
      records: uploads.reduce((n, u) => n + u.records, 0),
    };
  }
}
