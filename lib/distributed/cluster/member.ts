// A member of a cluster job, as the trainer's PassRunner: each pass it claims
// shards of the input one at a time (a lease in Redis, renewed by a heartbeat
// while the member lives), trains each from the position stored for it with
// the share trainer of the worker threads (share-trainer.ts) over a Redis
// rendezvous, and returns when a round has merged every shard of the pass.
// The trainer around it (lib/train/) keeps the epochs and the final model;
// `begin` lets a member that joins late start at the job's epoch and state.
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Algorithm, State } from '../../algorithms/types.js';
import { readBatches } from '../../io/read-batches.js';
import { DataError } from '../../io/read-options.js';
import type { SourcePosition } from '../../io/sources/types.js';
import type { PassContext, PassResult, PassRunner } from '../../train/pass-runner.js';
import { continuesFromMerge } from '../round-merge.js';
import { trainShare } from '../share-trainer.js';
import type { JobSpec } from './job-spec.js';
import { failedJobError, type JobMeta, type JobStore, type MemberInfo } from './job-store.js';
import type { RedisClient } from './connection.js';
import { MergedStateCache, tryCloseRound } from './round-closer.js';
import { LeaseLostError, pollMs, RedisRendezvous, sleep } from './redis-rendezvous.js';

/** host:pid:random — unique across machines and restarts; sorts members for the merge order. */
export function newMemberId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError' ? reason : new DOMException('training was aborted', 'AbortError');
}

export class ClusterMember implements PassRunner {
  readonly id = newMemberId();
  private readonly joinedAt = Date.now();
  private status: MemberInfo['status'] = 'waiting';
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatError: Error | undefined;
  private rendezvous: RedisRendezvous | undefined;
  private cache: MergedStateCache | undefined;
  private bytes = 0;
  /** A stream job's member reads the stream once. */
  private streamRead = false;
  private readonly badRecords: Record<string, number> = {};

  constructor(private readonly store: JobStore, private readonly spec: JobSpec, private readonly algorithm: Algorithm,
    private readonly blocking: RedisClient) {}

  private get leaseMs(): number {
    return this.spec.lease * 1000;
  }

  /** Joins at the job's epoch and merged state (a job under way, or one whose passes are all trained). */
  async begin(context: PassContext): Promise<void> {
    this.setUp(context);
    const meta = await this.meta();
    context.progress.epoch = meta.epoch;
    context.progress.records = meta.records;
    context.progress.batches = meta.batches;
    if (meta.round > 0) context.state = await this.copyOfLatest(context);
    await this.beat();
    this.startHeartbeat();
  }

  private setUp(context: PassContext): void {
    if (this.rendezvous) return;
    this.cache = new MergedStateCache(this.store, this.algorithm, context.settings.backend);
    const sync = this.spec.syncEvery;
    this.rendezvous = new RedisRendezvous({
      store: this.store, blocking: this.blocking, member: this.id, algorithm: this.algorithm, backend: context.settings.backend, shards: this.spec.shards,
      epochs: this.spec.epochs, roundTimeoutMs: this.spec.roundTimeout * 1000, leaseMs: this.leaseMs,
      hyperparameters: context.settings.hp, syncEvery: sync, signal: context.options.signal,
    }, this.cache);
  }

  private async meta(): Promise<JobMeta> {
    const meta = await this.store.meta();
    if (!meta) throw new Error(`cluster job ${this.store.keys.job} was deleted (or expired) while this member trained it`);
    return meta;
  }

  /** Stamps this member's entry (status, shard, records) and renews its lease; a lost lease is noted for the rendezvous. */
  private async beat(): Promise<void> {
    const current = this.rendezvous!.current;
    const beat = await this.store.heartbeat(this.id, this.info(), current ? { ...current, ms: this.leaseMs } : undefined);
    if (beat === 'gone') throw new Error(`cluster job ${this.store.keys.job} was deleted (or expired) while this member trained it`);
    if (current && beat === 'lost' && this.rendezvous!.current === current) this.rendezvous!.leaseLost = true;
    // A finished shard whose last upload waits for its round (the member trains on): a lost lease shows as that upload dropped.
    const finishing = this.rendezvous!.finishing;
    if (finishing) await this.store.heartbeat(this.id, this.info(), { ...finishing, ms: this.leaseMs });
  }

  private startHeartbeat(): void {
    this.heartbeatTimer = setInterval(() => { this.beat().catch((error: Error) => { this.heartbeatError = error; }); }, Math.max(50, this.leaseMs / 4));
    this.heartbeatTimer.unref();
  }

  /**
   * A new status is stored at once, not at the next heartbeat: round closers wait for the members
   * whose entry says 'training', and one that read a stale 'waiting' would close rounds without it.
   */
  private async setStatus(status: MemberInfo['status']): Promise<void> {
    if (this.status === status) return;
    this.status = status;
    await this.beat();
  }

  private info(): Omit<MemberInfo, 'lastSeen'> {
    return {
      host: hostname(), pid: process.pid, joinedAt: this.joinedAt, records: this.rendezvous?.mergedRecords ?? 0,
      shard: this.rendezvous?.current?.shard ?? null, status: this.status,
    };
  }

  async trainPass(context: PassContext): Promise<PassResult> {
    this.setUp(context);
    const epoch = context.progress.epoch;
    const signal = context.options.signal;
    for (;;) {
      if (this.heartbeatError) throw this.heartbeatError;
      if (signal?.aborted) throw abortError(signal);
      const meta = await this.meta();
      if (meta.status === 'failed') throw failedJobError(this.store.keys.job, meta);
      if (meta.epoch > epoch || meta.status === 'finished') return this.endOfPass(context);
      if (this.spec.shards === 0 && !this.streamRead) {
        await this.trainStream(context, epoch);
        continue;
      }
      const shard = this.spec.shards === 0 ? undefined : await this.claimNext(epoch);
      if (shard === undefined && this.rendezvous!.finishing) {
        // Its last shard's upload is still pending: settled now (merged, or rebased and sent again
        // until a round merges it), never read again from a state that holds it already.
        await this.settleFinishing();
        continue;
      }
      if (shard === undefined) {
        await this.setStatus('waiting');
        // Nothing to claim: help close rounds (a dead member's upload), and wait for leases to expire.
        if (!(await tryCloseRound(this.rendezvous!.settings, this.cache!))) await sleep(pollMs * 2);
        continue;
      }
      await this.trainShard(context, epoch, shard.index, shard.position);
    }
  }

  /** A finished shard's pending last upload settled; a lease lost meanwhile drops it, as a shard's work is dropped. */
  private async settleFinishing(): Promise<void> {
    try {
      await this.rendezvous!.settleFinishing();
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      this.rendezvous!.abandon();
    }
  }

  /**
   * Claims the first claimable shard in input order: members move through the input together, so a
   * stream that drifts (most do: clicks, prices, sensors) is merged from models of the same time,
   * and the last rounds hold its newest records, as one process's model would. Not the shard whose
   * last upload this member still waits on: its lease is this member's, and reading it again from a
   * state that holds it would train its records twice.
   */
  private async claimNext(epoch: number): Promise<{ index: number; position: SourcePosition | null } | undefined> {
    const entries = await this.store.shards(epoch);
    const count = this.spec.shards;
    const finishing = this.rendezvous!.finishing;
    for (let index = 0; index < count; index++) {
      if (entries.get(index)?.done || (finishing?.epoch === epoch && finishing.shard === index)) continue;
      const claim = await this.store.claim(this.id, epoch, index, this.leaseMs, continuesFromMerge(this.algorithm));
      if (claim.kind === 'claimed') return { index, position: claim.position };
    }
    return undefined;
  }

  /**
   * The job's files as the job was defined: a file that grew or shrank while the job ran would have
   * its shards read from other rows (records lost or read twice, silently). Fails the job.
   */
  private checkInput(): void {
    for (const file of this.spec.input.files) {
      let size: number;
      try {
        size = statSync(file.path).size;
      } catch (error) {
        throw new DataError(`${file.path}: the job's input cannot be read any more (${(error as Error).message})`);
      }
      if (size !== file.bytes) {
        throw new DataError(`${file.path}: the file changed while the job ran: the job has ${file.bytes} bytes, the file now ${size}; ` +
          'every member must read the same, unchanging files');
      }
    }
  }

  private async trainShard(context: PassContext, epoch: number, shard: number, position: SourcePosition | null): Promise<void> {
    const { settings, options } = context;
    const rendezvous = this.rendezvous!;
    this.checkInput();
    rendezvous.current = { epoch, shard };
    rendezvous.leaseLost = false;
    await this.setStatus('training');
    const start = await rendezvous.startState();
    const { signal: _signal, start: _start, ...readOptions } = settings.readOptions;
    const stream = readBatches(this.spec.input.files.map((f) => f.path), {
      ...readOptions, files: { ...readOptions.files, split: { index: shard, count: this.spec.shards } },
      ...(position ? { start: position } : {}), signal: options.signal,
    });
    try {
      await trainShare({
        worker: shard, algorithm: this.algorithm, backend: settings.backend, hyperparameters: settings.hp, start: position,
        state: start as State | undefined, syncBatches: 'batches' in this.spec.syncEvery ? this.spec.syncEvery.batches : undefined,
        layout: readOptions,
      }, stream, rendezvous);
      // The shard's last upload, sent in the background, is stored before the member claims another.
      await rendezvous.flush();
      this.checkInput();
      this.bytes += stream.stats.bytes;
      for (const [reason, n] of Object.entries(stream.stats.badRecords)) this.badRecords[reason] = (this.badRecords[reason] ?? 0) + n;
      context.report(this.bytes, this.spec.input.files.reduce((n, f) => n + f.bytes, 0));
    } catch (error) {
      // Another member took the shard over: what this member trained since its last round is dropped (never merged).
      if (!(error instanceof LeaseLostError)) throw error;
      rendezvous.abandon();
    } finally {
      // Training failed with an upload still being sent: it ends (its own error dropped) before the lease goes.
      await rendezvous.flush().catch(() => undefined);
      rendezvous.current = undefined;
      // A last upload the member trains past keeps its shard's lease until a round merges it (the rendezvous releases it then):
      // released now, another member could claim the shard and read it again.
      if (rendezvous.finishing?.shard !== shard) await this.store.release(this.id, epoch, shard).catch(() => undefined);
    }
  }

  /** A copy of the newest merge, with the counters (and, `endOfPass`, the passes) of its round. */
  private async copyOfLatest(context: PassContext, endOfPass = false): Promise<State | undefined> {
    const { meta } = await this.cache!.latest();
    context.progress.records = meta.records;
    context.progress.batches = meta.batches;
    // The trainer counts the pass when it returns: a member behind the job catches up to its epoch.
    if (endOfPass) context.progress.epoch = Math.max(context.progress.epoch, meta.epoch - 1);
    return this.cache!.copy(meta);
  }

  /**
   * A stream job: this member reads the stream through the job's consumer group (named after the
   * job) under its own consumer name, uploads as a shard's reader does, and acknowledges the
   * entries an upload covers once a round has merged it — never before a stored merge holds them.
   * A member that dies leaves its unacknowledged entries pending; the stream source requeues them
   * to the others after its claim-after (lib/io/sources/redis-stream.ts).
   */
  private async trainStream(context: PassContext, epoch: number): Promise<void> {
    const { settings, options } = context;
    const rendezvous = this.rendezvous!;
    await this.store.takeStreamLease(this.id, epoch, this.leaseMs);
    rendezvous.current = { epoch, shard: -1 };
    rendezvous.leaseLost = false;
    await this.setStatus('training');
    const { signal: _signal, start: _start, ...readOptions } = settings.readOptions;
    const stream = readBatches(options.train, {
      ...readOptions, redis: { ...readOptions.redis, group: this.store.keys.job, consumer: this.id }, signal: options.signal,
    });
    rendezvous.afterMerge = async (position) => { if (position) await stream.commit(position); };
    try {
      await trainShare({
        worker: -1, algorithm: this.algorithm, backend: settings.backend, hyperparameters: settings.hp, start: null,
        state: await rendezvous.startState(), syncBatches: 'batches' in this.spec.syncEvery ? this.spec.syncEvery.batches : undefined,
      }, stream, rendezvous);
      // The last upload is merged: every entry this member was delivered is in a stored merge.
      await stream.commit('end');
      this.bytes += stream.stats.bytes;
      for (const [reason, n] of Object.entries(stream.stats.badRecords)) this.badRecords[reason] = (this.badRecords[reason] ?? 0) + n;
    } finally {
      this.streamRead = true;
      rendezvous.afterMerge = undefined;
      rendezvous.current = undefined;
      await stream.close();
      await this.store.release(this.id, epoch, -1).catch(() => undefined);
      await this.setStatus('waiting');
    }
  }

  /** The pass is merged: the run continues from the job's state (endPass already applied by the closer). */
  private async endOfPass(context: PassContext): Promise<PassResult> {
    await this.rendezvous!.passEnded();
    context.state = await this.copyOfLatest(context, true);
    return { bytes: this.bytes, badRecords: { ...this.badRecords }, seekable: true, passEnded: true };
  }

  async close(): Promise<void> {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.status = 'left';
    await this.store.heartbeat(this.id, this.info(), undefined).catch(() => undefined);
  }
}
