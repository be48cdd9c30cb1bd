// The Rendezvous of a cluster member (the worker threads' is
// port-rendezvous.ts): an upload goes to Redis with the shard position it
// reached (store.upload, atomic with the lease check), then the member waits
// until a round has merged it — closing the round itself when it may
// (round-closer.ts) — and continues from the newest merge (SGD algorithms)
// or from a fresh state (sums and sketches, whose uploads hold only their
// records since the last round).
//
// Rounds close without waiting for stragglers, so an SGD member's state may
// continue an older round than the stored one. Its upload is then rebased
// first: merged (mergeRound) with the stored round as if that round were a
// second worker of the round it continued, which adds the stored round's
// increment to its counts and averages the weights by rows. A round merges
// only uploads on the stored round, so every record is counted once however
// late a member is.
import type { Algorithm, State } from '../../algorithms/types.js';
import type { Backend } from '../../backends/registry.js';
import { stateToBytes } from '../../algorithms/persistence.js';
import type { Rendezvous, RoundReply, RoundUpload } from '../rendezvous.js';
import type { SourcePosition } from '../../io/sources/types.js';
import { continuesFromMerge, mergeOfRound } from '../round-merge.js';
import { chunkBytes, type JobStore } from './job-store.js';
import { tryCloseRound, type CloserSettings, MergedStateCache } from './round-closer.js';

/** The shard was taken over by another member (this one was presumed dead): its work since the last round is dropped. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/** How often a waiting member looks whether it may close the round (a round that merges its upload wakes it at once). */
export const pollMs = 50;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface MemberShard {
  epoch: number;
  shard: number;
}

export interface RendezvousSettings extends CloserSettings {
  /** A second connection for blocking waits (BLPOP holds its connection). */
  blocking: import('./connection.js').RedisClient;
  hyperparameters: Record<string, unknown>;
  syncSeconds: number | undefined;
  signal?: AbortSignal;
}

export class RedisRendezvous implements Rendezvous {
  private sequence = 0;
  private lastExchange = Date.now();
  /** The stored round the member's state continues, and that round's merge (undefined: a fresh state). */
  private startRound = 0;
  private startBase: State | undefined;
  /** The shard being read; set by the member before each share. */
  current: MemberShard | undefined;
  /** Set by the heartbeat when a renewal finds the lease gone. */
  leaseLost = false;
  /** Records of this member in merged states. */
  mergedRecords = 0;
  /** Called once a round has merged an upload, with its position (a stream's reader acknowledges its entries). */
  afterMerge: ((position: SourcePosition | null) => Promise<void>) | undefined;

  constructor(readonly settings: RendezvousSettings, readonly cache: MergedStateCache) {}

  get store(): JobStore {
    return this.settings.store;
  }

  private get rebased(): boolean {
    return continuesFromMerge(this.settings.algorithm);
  }

  roundCalled(_round: number): boolean {
    const { syncSeconds, signal } = this.settings;
    return this.leaseLost || signal?.aborted === true || (syncSeconds !== undefined && Date.now() - this.lastExchange >= syncSeconds * 1000);
  }

  /** What to train next from: SGD, a copy of the newest merge (remembered as the start); sums and sketches, a fresh state. */
  async startState(schemaFrom?: State): Promise<State | undefined> {
    const { meta, state } = await this.cache.latest();
    const { algorithm } = this.settings;
    if (this.rebased) {
      this.startRound = meta.round;
      this.startBase = state;
      return state ? this.cache.copy(meta) : undefined;
    }
    const schema = schemaFrom?.schema ?? state?.schema;
    return schema ? algorithm.createState(this.settings.hyperparameters as never, schema, this.settings.backend as Backend) as State : undefined;
  }

  /** `state` (continuing startRound) as a state continuing round `round`, whose merge is `current`: see the header. */
  private rebase(state: State, round: number, current: State | undefined): State {
    if (!current) return state;
    const rebased = mergeOfRound(this.settings.algorithm, this.startBase, [state, current], this.settings.backend);
    this.startRound = round;
    this.startBase = current;
    return rebased;
  }

  async exchange(upload: RoundUpload): Promise<RoundReply> {
    const shard = this.current!;
    let state = upload.state;
    /** The upload a re-upload replaces (left behind, never merged): its chunks go once the new one is stored. */
    let replaced: { member: string; sequence: number; chunks: number } | undefined;
    for (;;) {
      if (this.leaseLost) throw new LeaseLostError(`shard ${shard.shard}: the lease expired and another member took the shard over`);
      const { meta, state: current } = await this.cache.latest();
      if (this.rebased && state && meta.round !== this.startRound) state = this.rebase(state, meta.round, current);
      const sequence = ++this.sequence;
      const bytes = state ? stateToBytes(state) : undefined;
      const stored = await this.store.upload({
        member: this.settings.member, sequence, baseRound: meta.round, epoch: shard.epoch, shard: shard.shard, position: upload.position,
        done: upload.done, records: upload.records, batches: upload.batches, bytes: upload.bytes, badRecords: upload.badRecords,
      }, bytes, this.settings.leaseMs);
      if (!stored) throw new LeaseLostError(`shard ${shard.shard}: the lease expired and another member took the shard over`);
      if (replaced) await this.store.deleteUploadChunks(replaced);
      replaced = { member: this.settings.member, sequence, chunks: bytes ? Math.ceil(bytes.length / chunkBytes) : 0 };
      this.cache.own.clear();
      if (state) this.cache.own.set(sequence, state);
      const fate = await this.waitForMerge(sequence, meta.round);
      this.cache.own.clear();
      if (fate === 'dropped') throw new LeaseLostError(`shard ${shard.shard}: the upload was dropped and the shard taken over`);
      if (fate === 'merged') break;
      // 'behind': a round closed on other uploads first; rebase onto it and send again.
    }
    this.mergedRecords += upload.records;
    this.lastExchange = Date.now();
    await this.afterMerge?.(upload.position);
    const stop = this.settings.signal?.aborted === true;
    if (upload.done || stop) return { stop };
    return { state: await this.startState(upload.state), stop };
  }

  /** Waits until upload `sequence` is merged, dropped, or left behind by a round (SGD), closing rounds when this member may. */
  private async waitForMerge(sequence: number, baseRound: number): Promise<'merged' | 'dropped' | 'behind'> {
    for (;;) {
      const { fate } = await this.store.fate(this.settings.member, sequence);
      if (fate !== 'pending') return fate;
      const meta = await this.store.meta();
      if (meta?.status === 'failed') throw new Error(`cluster job ${this.store.keys.job} failed: ${meta.error} (member ${meta.failedBy})`);
      // A pass ended without this upload (a stream reader that started after the last one ended): it cannot be merged.
      if (meta && meta.epoch !== this.current!.epoch) return 'dropped';
      if (this.rebased && meta?.round !== baseRound) {
        // The round moved: it merged this upload (the first look was before its commit), or left it behind for good.
        const again = await this.store.fate(this.settings.member, sequence);
        return again.fate === 'pending' ? 'behind' : again.fate;
      }
      if (!(await tryCloseRound(this.settings, this.cache))) await this.store.waitForNotice(this.settings.blocking, this.settings.member, pollMs);
    }
  }
}
