// Closing a merge round of a cluster job. Any member that has an upload
// pending may close the round: when every live member reading a shard has an
// upload pending, when one of them is a shard's last, or when the oldest
// pending upload has waited `roundTimeout` (stragglers then join the next
// round: loose consistency).
// The closer takes a claim (one closer at a time), merges the stored merge
// with every pending upload (in member order, as round-merge.ts defines the
// merge), and commits — in one script — the new merge, the shards' positions
// the uploads reached, and the uploads' removal. An upload's records are thus
// in the stored merge exactly when its position is in the shard's entry.
// When that commit completes every shard of the epoch, the closer ends the
// pass on the merge (the algorithm's endPass), so every member continues the
// next epoch from the same state.
import type { Algorithm, State } from '../../algorithms/types.js';
import type { Backend } from '../../backends/registry.js';
import { stateFromBytes, stateToBytes } from '../../algorithms/persistence.js';
import type { SourcePosition } from '../../io/sources/types.js';
import { continuesFromMerge, mergeOfRound } from '../round-merge.js';
import { copyState } from '../state-transfer.js';
import { MissingChunkError, type JobMeta, type JobStore, type PendingUpload, type ShardEntry } from './job-store.js';

/**
 * A state as a round stores it (uploads and merges): mostly-zero tensors as their non-zero elements
 * (the linear learner's histograms: its 4.7 MB flights state travels as 3.1 MB). The final state a
 * job publishes is written dense, as a file is.
 */
export function roundBytes(state: State): Uint8Array {
  return stateToBytes(state, { sparse: true });
}

export interface CloserSettings {
  store: JobStore;
  member: string;
  algorithm: Algorithm;
  backend: Backend;
  shards: number;
  epochs: number;
  roundTimeoutMs: number;
  leaseMs: number;
}

/** The merged state of the stored round, decoded once per round (the closer and the rendezvous share it). */
export class MergedStateCache {
  private round = -1;
  private state: State | undefined;
  private bytes: Uint8Array | undefined;

  constructor(private readonly store: JobStore, private readonly algorithm: Algorithm, private readonly backend: Backend) {}

  /** The merge of `meta.round` (undefined before any record was merged), validated as a checkpoint is. */
  async get(meta: JobMeta): Promise<State | undefined> {
    if (meta.round !== this.round) {
      this.bytes = await this.store.mergedStateBytes(meta);
      this.state = this.bytes ? this.decode(this.bytes, `the merged state of round ${meta.round}`) : undefined;
      this.round = meta.round;
    }
    return this.state;
  }

  /**
   * The newest stored round's meta and merge, read together: a round committed between reading the
   * meta and the merge deletes the merge that meta names, and the read starts again.
   */
  async latest(): Promise<{ meta: JobMeta; state: State | undefined }> {
    for (;;) {
      const meta = await this.store.meta();
      if (!meta) throw new Error(`cluster job ${this.store.keys.job} was deleted (or expired) while this member trained it`);
      try {
        return { meta, state: await this.get(meta) };
      } catch (error) {
        if (!(error instanceof MissingChunkError)) throw error;
        const now = await this.store.meta();
        if (now && now.round === meta.round) throw error;
      }
    }
  }

  /** A copy of the merge: a state the caller may train in place. */
  async copy(meta: JobMeta): Promise<State | undefined> {
    const state = await this.get(meta);
    return state ? copyState(state) : undefined;
  }

  /** This member's own uploads, kept until merged: the closer uses them rather than download them back. */
  readonly own = new Map<number, State>();

  /** Remembers a merge this member committed (saves downloading it back). */
  remember(round: number, state: State | undefined, bytes: Uint8Array | undefined): void {
    this.round = round;
    this.state = state;
    this.bytes = bytes;
  }

  decode(bytes: Uint8Array, what: string): State {
    try {
      return stateFromBytes(bytes, this.algorithm, this.backend, `cluster job ${this.store.keys.job}: ${what}`) as State;
    } catch (error) {
      throw new Error(`${(error as Error).message} (a corrupt or foreign stored state: delete the job with boundless job delete and start again)`);
    }
  }
}

type RoundView = Awaited<ReturnType<JobStore['roundView']>>;

/**
 * The uploads this round can merge: those of the running epoch and — for SGD algorithms, whose
 * merge adds each upload's increment over the round it continued — only those on the stored
 * round (an upload left behind by a round is rebased by its member and sent again).
 */
function mergeable(view: RoundView, algorithm: Algorithm): PendingUpload[] {
  const meta = view.meta!;
  const rebased = continuesFromMerge(algorithm);
  return view.uploads.filter((u) => u.epoch === meta.epoch && (!rebased || u.baseRound === meta.round))
    .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : a.sequence - b.sequence));
}

/**
 * Whether the round may close now: every live reader has uploaded, a shard's last upload waits (its
 * member would otherwise idle until the others' next rounds before claiming another shard), or the
 * oldest upload waited long enough.
 */
function ready(view: RoundView, uploads: PendingUpload[], settings: CloserSettings): boolean {
  if (uploads.length === 0) return false;
  if (uploads.some((u) => u.done && u.shard >= 0)) return true;
  const waiting = new Set(uploads.map((u) => u.member));
  const readers = [...view.members].filter(([, m]) => m.status === 'training' && view.now - m.lastSeen < settings.leaseMs);
  if (readers.every(([id]) => waiting.has(id))) return true;
  return view.now - Math.min(...uploads.map((u) => u.at)) >= settings.roundTimeoutMs;
}

/** Whether position a is past b (null: the start). */
function isAfter(a: SourcePosition | null, b: SourcePosition | null): boolean {
  if (a === null) return false;
  if (b === null) return true;
  return a.fileIndex !== b.fileIndex ? a.fileIndex > b.fileIndex : a.byteOffset > b.byteOffset;
}

/** The shards' entries after the uploads: a done upload ends its shard; otherwise the furthest position counts. */
function shardUpdates(uploads: PendingUpload[], current: Map<number, ShardEntry>): Map<number, ShardEntry> {
  const updates = new Map<number, ShardEntry>();
  for (const upload of uploads) {
    if (upload.shard < 0) continue;  // a stream: its entries are acknowledged by their readers, not positioned here
    const before = updates.get(upload.shard) ?? current.get(upload.shard) ?? { position: null, done: false };
    if (before.done) continue;
    if (upload.done) updates.set(upload.shard, { position: upload.position, done: true });
    else if (isAfter(upload.position, before.position)) updates.set(upload.shard, { position: upload.position, done: false });
  }
  return updates;
}

/**
 * A stream job's pass ends with the round that merges the last reader's final upload: some upload
 * of the round is its member's last (it read the stream to its end), and no live member is still
 * reading, other than those whose last upload this round merges.
 */
function streamPassEnds(view: RoundView, uploads: PendingUpload[], settings: CloserSettings): boolean {
  const finished = new Set(uploads.filter((u) => u.done).map((u) => u.member));
  if (finished.size === 0) return false;
  return [...view.members].every(([id, m]) => m.status !== 'training' || view.now - m.lastSeen >= settings.leaseMs || finished.has(id));
}

/**
 * Closes the round if it may close and no other member is closing it. Returns true when this call
 * committed a round. Errors (a corrupt upload, Redis unreachable past the reconnect window) propagate.
 */
export async function tryCloseRound(settings: CloserSettings, cache: MergedStateCache): Promise<boolean> {
  const { store, member, algorithm, backend } = settings;
  const glance = await store.roundView();
  if (!glance.meta || glance.meta.status !== 'training' || !ready(glance, mergeable(glance, algorithm), settings)) return false;
  // A closer that dies holding the claim delays rounds by one lease at most. A merge that outlasts it
  // is still safe: a commit checks the round it merged onto, so of two closers only one commits.
  if (!(await store.takeCloseLock(member, settings.leaseMs))) return false;
  try {
    // Looked at again under the claim: the previous closer may have merged what the glance saw.
    const view = await store.roundView();
    if (!view.meta || view.meta.status !== 'training') return false;
    const uploads = mergeable(view, algorithm);
    if (!ready(view, uploads, settings)) return false;
    const meta = view.meta;
    const epoch = meta.epoch;
    const base = await cache.get(meta);
    const states: State[] = [];
    for (const upload of uploads) {
      const mine = upload.member === member ? cache.own.get(upload.sequence) : undefined;
      const bytes = mine ? undefined : await store.uploadBytes(upload);
      if (mine) states.push(mine);
      else if (bytes) states.push(cache.decode(bytes, `the upload of member ${upload.member} (shard ${upload.shard})`));
    }
    const merged = base === undefined && states.length === 0 ? undefined : mergeOfRound(algorithm, base, states, backend);
    const current = await store.shards(epoch);
    const updates = shardUpdates(uploads, current);
    const passEnds = settings.shards > 0
      ? Array.from({ length: settings.shards }, (_, s) => (updates.get(s) ?? current.get(s))?.done === true).every(Boolean)
      : streamPassEnds(view, uploads, settings);
    if (passEnds && merged) await algorithm.endPass?.(merged as never, backend);
    const records = uploads.reduce((n, u) => n + u.records, 0);
    const fields: Record<string, string | number> = {
      records: meta.records + records, batches: meta.batches + uploads.reduce((n, u) => n + u.batches, 0),
      ...(passEnds ? { epoch: epoch + 1 } : {}),
    };
    const bytes = merged ? roundBytes(merged) : undefined;
    const committed = await store.commitRound(member, meta, bytes, fields, epoch, [...updates], uploads);
    if (committed) cache.remember(meta.round + 1, merged, bytes);
    return committed;
  } finally {
    await store.releaseCloseLock(member);
  }
}
