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
//
// Members of SGD algorithms that can rebase (Algorithm.rebaseRound: the linear
// learner) do not wait for a round: they upload, try to close the round, and
// train on from their own state. At the next round the upload they trained
// past is settled first — merged (by then, usually: the last member to upload
// closes the round) or left behind — and their state is moved onto the newest
// merge as merge + (state − upload), so what they learned meanwhile counts
// once and in full. Such an upload is sent in the background: the member
// copies its state and trains on while the copy is encoded, stored, and the
// round closed (JavaScript and Redis work that would otherwise stop its
// training: ~90 ms a round for a 4.7 MB state); the next exchange, or the
// shard's end (flush), waits for it and meets its errors. A shard's last
// upload too: the member keeps the finished shard's lease (renewed with its
// next shard's) until a round has merged that upload, and carries its state
// on to the next shard; with no next shard, it settles that upload
// (settleFinishing) rather than read the shard again. Uploads of algorithms
// that cannot rebase, and of stream jobs, wait for their round.
import type { Algorithm, State } from '../../algorithms/types.js';
import type { Backend } from '../../backends/registry.js';
import type { Rendezvous, RoundReply, RoundUpload } from '../rendezvous.js';
import type { SourcePosition } from '../../io/sources/types.js';
import { continuesFromMerge, mergeOfRound } from '../round-merge.js';
import { copyState } from '../state-transfer.js';
import type { SyncEvery } from '../sync-policy.js';
import { chunkBytes, type JobStore, type PendingUpload } from './job-store.js';
import { roundBytes, tryCloseRound, type CloserSettings, MergedStateCache } from './round-closer.js';

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
  syncEvery: SyncEvery;
  signal?: AbortSignal;
}

/** An upload this member trained past: what it sent (the rebase's `from`) until a round settles it. */
interface TrainedPast {
  sequence: number;
  baseRound: number;
  epoch: number;
  shard: number;
  /** A shard's last upload: the member holds the shard's lease until a round has merged it. */
  done: boolean;
  /** What the upload said (sent again, rebased, when a round leaves a shard's last upload behind). */
  entry: Omit<PendingUpload, 'at' | 'chunks'>;
  chunks: number;
  records: number;
  batches: number;
  state: State;
}

/** `--sync-every auto`: a round once the time since the last is 9 × what the last took (rounds ≤ 10% of the time), at least this. */
export const autoSyncFloorSeconds = 1;

export class RedisRendezvous implements Rendezvous {
  private sequence = 0;
  private lastExchange = Date.now();
  /** Seconds the last exchange took, its background part included. */
  private lastExchangeSeconds = 0;
  /** The background part of the last upload the member trained past (see the header); flush() waits for it. */
  private background: Promise<void> | undefined;
  private backgroundError: Error | undefined;
  private trainedPast: TrainedPast | undefined;
  /** What the member trains on from after a shard's last upload: its own state, carried to its next shard. */
  private carriedState: State | undefined;
  /** An upload left behind for good: its chunks go once the upload that replaces it is stored. */
  private replaced: { member: string; sequence: number; chunks: number } | undefined;
  /** The records and batches of an upload left behind: the next upload, whose state holds them, counts them. */
  private carried = { records: 0, batches: 0 };
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
    const { syncEvery, signal } = this.settings;
    if (this.leaseLost || signal?.aborted === true) return true;
    const seconds = 'seconds' in syncEvery ? syncEvery.seconds
      : 'auto' in syncEvery ? Math.max(autoSyncFloorSeconds, 9 * this.lastExchangeSeconds) : undefined;
    return seconds !== undefined && Date.now() - this.lastExchange >= seconds * 1000;
  }

  /** The shard was lost: what the member trained past its last upload is dropped with it (a round may still merge that upload). */
  abandon(): void {
    this.trainedPast = undefined;
    this.carriedState = undefined;
    this.replaced = undefined;
    this.carried = { records: 0, batches: 0 };
    this.cache.own.clear();
  }

  /** A shard whose last upload waits for its round while the member trains on: its lease is renewed with the current one's. */
  get finishing(): MemberShard | undefined {
    return this.trainedPast?.done ? { epoch: this.trainedPast.epoch, shard: this.trainedPast.shard } : undefined;
  }

  /**
   * Waits until the last upload sent in the background is stored and its round closing tried;
   * rethrows what failed there (a lost lease, Redis gone).
   */
  async flush(): Promise<void> {
    const background = this.background;
    this.background = undefined;
    if (background) await background;
    const error = this.backgroundError;
    this.backgroundError = undefined;
    if (error) throw error;
  }

  /**
   * The member has no shard to go on to while its last shard's upload is pending: settles it (merged,
   * or — left behind — rebased and sent again until a round merges it). The state it carried is then
   * in the merge; the member's next shard starts from the newest merge.
   */
  async settleFinishing(): Promise<void> {
    await this.flush();
    if (!this.trainedPast?.done) return;
    const carried = this.carriedState;
    this.carriedState = undefined;
    await this.settle(carried);
  }

  /** The pass is merged (so is every upload of this member): nothing is carried into the next. */
  async passEnded(): Promise<void> {
    await this.flush();
    const finishing = this.finishing;
    this.mergedRecords += this.trainedPast?.records ?? 0;
    this.abandon();
    if (finishing) await this.store.release(this.settings.member, finishing.epoch, finishing.shard).catch(() => undefined);
  }

  /**
   * What to train next from: the member's own state after a shard's last upload it trained past;
   * otherwise, SGD, a copy of the newest merge (remembered as the start); sums and sketches, a fresh state.
   */
  async startState(schemaFrom?: State): Promise<State | undefined> {
    const carried = this.carriedState;
    this.carriedState = undefined;
    if (carried && this.trainedPast) return carried;
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

  /**
   * `state` (continuing startRound) as a state continuing round `round`, whose merge is `current`:
   * what it learned since startBase went on beside what current learned since then (rounds it was
   * not in), so the two are averaged as a round's uploads are (mergeRound; see the header).
   */
  private rebase(state: State, round: number, current: State | undefined): State {
    if (!current) return state;
    const rebased = mergeOfRound(this.settings.algorithm, this.startBase, [state, current], this.settings.backend);
    this.startRound = round;
    this.startBase = current;
    return rebased;
  }

  /**
   * `state`, which continued its own upload `from`, moved onto `onto`, the merge of a round that held
   * that upload: onto + (state − from) (rebaseRound). Only what the member learned after the round's
   * uploads is added whole; everything concurrent with others was averaged in the round.
   */
  private moveOnto(from: State, state: State, onto: State): State {
    const { algorithm, backend } = this.settings;
    if (!algorithm.rebaseRound) return mergeOfRound(algorithm, from, [state, onto], backend);
    return algorithm.rebaseRound(from as never, state as never, onto as never) as State;
  }

  async exchange(upload: RoundUpload): Promise<RoundReply> {
    await this.flush();
    const started = Date.now();
    if (this.trainsOn(upload)) return this.uploadAndTrainOn(upload, started);
    try {
      return await this.uploadAndWait(upload);
    } finally {
      this.lastExchangeSeconds = (Date.now() - started) / 1000;
    }
  }

  /** Whether the member trains on past this upload: a file job's, by an algorithm that can rebase (a shard's last upload too). */
  private trainsOn(upload: RoundUpload): boolean {
    return this.settings.algorithm.rebaseRound !== undefined && upload.state !== undefined
      && this.current!.shard >= 0 && this.settings.signal?.aborted !== true;
  }

  /**
   * Settles the upload this member trained past: waits until a round merged it (usually done) or left
   * it behind, then moves `state` onto the newest merge (see the header).
   */
  private async settle(state: State | undefined): Promise<State | undefined> {
    const past = this.trainedPast!;
    let fate = await this.waitForMerge(past.sequence, past.baseRound, past.epoch);
    if (fate === 'behind' && past.done) {
      // The next upload is another shard's and cannot stand for this one: it is sent again, and waited for.
      await this.sendAgain(past);
      fate = 'merged';
    }
    this.trainedPast = undefined;
    this.cache.own.clear();
    if (fate === 'dropped') throw new LeaseLostError(`shard ${past.shard}: the upload was dropped and the shard taken over`);
    const { meta, state: current } = await this.cache.latest();
    if (fate === 'merged') {
      this.mergedRecords += past.records;
      if (past.done) await this.store.release(this.settings.member, past.epoch, past.shard).catch(() => undefined);
      // A merge that holds nothing but the upload (a round of this member alone) is the upload: nothing to move.
      if (state && current && !this.holdsOnly(current, past.state)) state = this.moveOnto(past.state, state, current);
    } else {
      // Left behind: it will never be merged. `state` holds its records on top of startBase; the next upload counts them.
      this.replaced = { member: this.settings.member, sequence: past.sequence, chunks: past.chunks };
      this.carried = { records: past.records, batches: past.batches };
      if (state && current) state = mergeOfRound(this.settings.algorithm, this.startBase, [state, current], this.settings.backend);
    }
    this.startRound = meta.round;
    this.startBase = current;
    return state;
  }

  /**
   * A shard's last upload that a round left behind: rebased onto the newest merge and sent again
   * (under the shard's lease, which the member still holds) until a round merges it.
   */
  private async sendAgain(past: TrainedPast): Promise<void> {
    const member = this.settings.member;
    let sending = past.state;
    let replaced = { member, sequence: past.sequence, chunks: past.chunks };
    for (;;) {
      const { meta, state: current } = await this.cache.latest();
      if (current && meta.round !== this.startRound) {
        sending = mergeOfRound(this.settings.algorithm, this.startBase, [sending, current], this.settings.backend);
        this.startRound = meta.round;
        this.startBase = current;
      }
      const sequence = ++this.sequence;
      const bytes = roundBytes(sending);
      if (!(await this.store.upload({ ...past.entry, sequence, baseRound: meta.round }, bytes, this.settings.leaseMs))) {
        throw new LeaseLostError(`shard ${past.shard}: the lease expired and another member took the shard over`);
      }
      await this.store.deleteUploadChunks(replaced);
      replaced = { member, sequence, chunks: Math.ceil(bytes.length / chunkBytes) };
      this.cache.own.clear();
      this.cache.own.set(sequence, sending);
      const fate = await this.waitForMerge(sequence, meta.round, past.epoch);
      if (fate === 'dropped') throw new LeaseLostError(`shard ${past.shard}: the upload was dropped and the shard taken over`);
      if (fate === 'merged') return;
    }
  }

  /** Whether `merge` is `upload` itself: a merge of it alone, which a round's merge of one state is (its rows no more). */
  private holdsOnly(merge: State, upload: State): boolean {
    return ['examples_seen', 'batches_seen', 'passes'].every((name) => merge.scalars[name] === upload.scalars[name]);
  }

  /**
   * Settles the upload trained past, then sends a copy of the state in the background (stored, then
   * the round closed if this member may: the last member to upload closes it) and trains on from the
   * state itself.
   */
  private async uploadAndTrainOn(sent: RoundUpload, started: number): Promise<RoundReply> {
    const shard = this.current!;
    let state = sent.state!;
    if (this.leaseLost) throw new LeaseLostError(`shard ${shard.shard}: the lease expired and another member took the shard over`);
    if (this.trainedPast) state = (await this.settle(state))!;
    const upload = this.withCarried(sent);
    const { meta, state: current } = await this.cache.latest();
    if (meta.round !== this.startRound) state = this.rebase(state, meta.round, current);
    const sequence = ++this.sequence;
    const entry = this.entryOf(upload, shard, sequence, meta.round);
    // The copy is what is sent, what a round this member closes merges, and the rebase's `from`: training goes on in `state`.
    const copy = copyState(state);
    const past: TrainedPast = {
      sequence, baseRound: meta.round, epoch: shard.epoch, shard: shard.shard, done: upload.done, entry,
      chunks: 0, records: upload.records, batches: upload.batches, state: copy,
    };
    this.trainedPast = past;
    if (upload.done) this.carriedState = state;
    this.cache.own.set(sequence, copy);
    const replaced = this.replaced;
    this.replaced = undefined;
    // The error is kept for flush(): a rejection nobody awaits yet would end the process.
    this.background = this.send(past, replaced).then(
      () => { this.lastExchangeSeconds = (Date.now() - started) / 1000; },
      (error: Error) => { this.backgroundError = error; });
    return { state, stop: false };
  }

  /** Stores an upload trained past (the lease checked in the same script), drops the one it replaces, and tries to close the round. */
  private async send(past: TrainedPast, replaced: { member: string; sequence: number; chunks: number } | undefined): Promise<void> {
    const bytes = roundBytes(past.state);
    past.chunks = Math.ceil(bytes.length / chunkBytes);
    if (!(await this.store.upload(past.entry, bytes, this.settings.leaseMs))) {
      throw new LeaseLostError(`shard ${past.shard}: the lease expired and another member took the shard over`);
    }
    if (replaced) await this.store.deleteUploadChunks(replaced);
    await tryCloseRound(this.settings, this.cache);
    this.lastExchange = Date.now();
  }

  /** What the store keeps of an upload: its member, sequence, base round, shard, position and counts. */
  private entryOf(upload: RoundUpload, shard: MemberShard, sequence: number, baseRound: number): Omit<PendingUpload, 'at' | 'chunks'> {
    return {
      member: this.settings.member, sequence, baseRound, epoch: shard.epoch, shard: shard.shard, position: upload.position,
      done: upload.done, records: upload.records, batches: upload.batches, bytes: upload.bytes, badRecords: upload.badRecords,
    };
  }

  /** The upload with the records and batches of one left behind before it (taken: counted once). */
  private withCarried(upload: RoundUpload): RoundUpload {
    const { records, batches } = this.carried;
    this.carried = { records: 0, batches: 0 };
    return { ...upload, records: upload.records + records, batches: upload.batches + batches };
  }

  /** Uploads and waits until a round has merged the upload; continues from the merge (SGD) or a fresh state. */
  private async uploadAndWait(sent: RoundUpload): Promise<RoundReply> {
    const shard = this.current!;
    let state = sent.state;
    if (this.trainedPast) state = await this.settle(state);
    const upload = this.withCarried(sent);
    /** The upload a re-upload replaces (left behind, never merged): its chunks go once the new one is stored. */
    let replaced = this.replaced;
    this.replaced = undefined;
    for (;;) {
      if (this.leaseLost) throw new LeaseLostError(`shard ${shard.shard}: the lease expired and another member took the shard over`);
      const { meta, state: current } = await this.cache.latest();
      if (this.rebased && state && meta.round !== this.startRound) state = this.rebase(state, meta.round, current);
      const sequence = ++this.sequence;
      const bytes = state ? roundBytes(state) : undefined;
      const stored = await this.store.upload(this.entryOf(upload, shard, sequence, meta.round), bytes, this.settings.leaseMs);
      if (!stored) throw new LeaseLostError(`shard ${shard.shard}: the lease expired and another member took the shard over`);
      if (replaced) await this.store.deleteUploadChunks(replaced);
      replaced = { member: this.settings.member, sequence, chunks: bytes ? Math.ceil(bytes.length / chunkBytes) : 0 };
      this.cache.own.clear();
      if (state) this.cache.own.set(sequence, state);
      const fate = await this.waitForMerge(sequence, meta.round, shard.epoch);
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

  /** Waits until upload `sequence` (of pass `epoch`) is merged, dropped, or left behind by a round (SGD), closing rounds when this member may. */
  private async waitForMerge(sequence: number, baseRound: number, epoch: number): Promise<'merged' | 'dropped' | 'behind'> {
    for (;;) {
      const { fate } = await this.store.fate(this.settings.member, sequence);
      if (fate !== 'pending') return fate;
      const meta = await this.store.meta();
      if (meta?.status === 'failed') throw new Error(`cluster job ${this.store.keys.job} failed: ${meta.error} (member ${meta.failedBy})`);
      // The pass or the round moved since the first look: the round that moved it may have merged this
      // upload (the look was before its commit; the pass's last round ends the pass), so look again.
      const passEnded = meta !== undefined && meta.epoch !== epoch;
      if (passEnded || (this.rebased && meta?.round !== baseRound)) {
        const again = await this.store.fate(this.settings.member, sequence);
        // Still pending: a pass that ended without it (a stream reader that started after the last
        // one ended) can never merge it; a round that moved on left it behind.
        if (again.fate === 'pending') return passEnded ? 'dropped' : 'behind';
        return again.fate;
      }
      if (!(await tryCloseRound(this.settings, this.cache))) await this.store.waitForNotice(this.settings.blocking, this.settings.member, pollMs);
    }
  }
}
