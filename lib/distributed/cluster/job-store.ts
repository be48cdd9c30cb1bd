// A cluster job's data in Redis, as typed operations: the spec, the meta
// (epoch, round, records), members' heartbeats, shard leases and positions,
// pending uploads, and states stored as chunks of their safetensors bytes.
// Every atomic step is one Lua script (scripts.ts) on keys of one hash tag
// (job-keys.ts). Keys expire `ttlSeconds` after their last write.
import type { SourcePosition } from '../../io/sources/types.js';
import type { RedisClient } from './connection.js';
import { JobKeys } from './job-keys.js';
import * as scripts from './scripts.js';

/** States are stored in chunks of at most this many bytes (Redis strings hold 512 MB; smaller values keep replies short). */
export const chunkBytes = 8 << 20;

export interface JobMeta {
  /** 'failed': a member met an error of the data or the model (`error`), which every member would meet. */
  status: 'training' | 'finished' | 'failed';
  error?: string;
  failedBy?: string;
  /** Passes completed. */
  epoch: number;
  /** Rounds closed; the stored merge is round `round`'s. */
  round: number;
  records: number;
  batches: number;
  stateChunks: number;
  stateBytes: number;
  /** Server times, ms since 1970. */
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
  finalModelChunks?: number;
  finalStateChunks?: number;
  /** The final run's metrics (JSON), when finished. */
  metrics?: Record<string, unknown>;
}

/** A job that failed, as the error a member joining it gets. */
export function failedJobError(job: string, meta: JobMeta): Error {
  return new Error(`train: job ${job} failed: ${meta.error} (member ${meta.failedBy}); fix the cause, then delete the job ` +
    `(boundless job delete --job ${job}) to start it over`);
}

/** A member's upload: its state since the last round it took part in, and where its shard now stands. */
export interface PendingUpload {
  member: string;
  /** This member's upload count: names its chunks; a commit removes exactly this upload. */
  sequence: number;
  /** The stored round the state continues (SGD algorithms merge it only onto that round). */
  baseRound: number;
  epoch: number;
  shard: number;
  /** Position after the upload's last batch; null: the shard's start (an upload with no records). */
  position: SourcePosition | null;
  done: boolean;
  records: number;
  batches: number;
  /** Bytes of the shard read, and records skipped as bad, by reason (this upload's). */
  bytes: number;
  badRecords: Record<string, number>;
  /** Chunks of the state's bytes; 0: no state (the member read no record). */
  chunks: number;
  /** Server time the upload was stored (ms). */
  at: number;
}

export interface MemberInfo {
  host: string;
  pid: number;
  joinedAt: number;
  /** Server time of the last heartbeat (ms). */
  lastSeen: number;
  /** Records this member trained that are in merged states. */
  records: number;
  shard: number | null;
  status: 'training' | 'waiting' | 'done' | 'left';
}

export interface ShardEntry {
  position: SourcePosition | null;
  done: boolean;
}

export type Claim = { kind: 'leased' } | { kind: 'done' } | { kind: 'claimed'; position: SourcePosition | null };

/** What became of an upload: merged into a round, still waiting, or dropped (its shard was taken over). */
export type UploadFate = 'merged' | 'pending' | 'dropped';

const pairs = (flat: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
};

function parseMeta(entries: [string, string][]): JobMeta | undefined {
  if (entries.length === 0) return undefined;
  const raw = Object.fromEntries(entries);
  const number = (key: string) => (raw[key] === undefined ? undefined : Number(raw[key]));
  return {
    status: raw.status as JobMeta['status'], epoch: number('epoch')!, round: number('round')!, records: number('records')!,
    batches: number('batches')!, stateChunks: number('stateChunks')!, stateBytes: number('stateBytes')!,
    createdAt: number('createdAt')!, updatedAt: number('updatedAt')!, finishedAt: number('finishedAt'),
    finalModelChunks: number('finalModelChunks'), finalStateChunks: number('finalStateChunks'),
    metrics: raw.metrics ? JSON.parse(raw.metrics) : undefined,
    error: raw.error, failedBy: raw.failedBy,
  };
}

/** A stored value is gone: expired, deleted, or (a merge) replaced by a newer round since its meta was read. */
export class MissingChunkError extends Error {
  override name = 'MissingChunkError';
}

/** Bytes cut into chunks of at most chunkBytes (views, not copies). */
export function chunksOf(bytes: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += chunkBytes) {
    out.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.min(chunkBytes, bytes.length - start)));
  }
  return out;
}

export class JobStore {
  readonly keys: JobKeys;
  private readonly ttlMs: number;

  constructor(readonly client: RedisClient, prefix: string, job: string, ttlSeconds: number) {
    this.keys = new JobKeys(prefix, job);
    this.ttlMs = Math.round(ttlSeconds * 1000);
    for (const [name, lua] of Object.entries(scripts)) client.defineCommand(name, { lua });
  }

  private script(name: keyof typeof scripts, keys: string[], args: (string | number | Buffer)[]): Promise<unknown> {
    return (this.client as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[name](keys.length, ...keys, ...args);
  }

  /** Creates the job with `spec` unless it exists; returns the existing job's spec (JSON), or undefined when created. */
  async create(specJson: string): Promise<string | undefined> {
    const existing = await this.script('createJob', [this.keys.spec, this.keys.meta], [specJson, this.ttlMs]);
    return existing === null ? undefined : String(existing);
  }

  async spec(): Promise<string | undefined> {
    return (await this.client.get(this.keys.spec)) ?? undefined;
  }

  async meta(): Promise<JobMeta | undefined> {
    return parseMeta(Object.entries(await this.client.hgetall(this.keys.meta)));
  }

  /**
   * Stamps `member`'s entry and renews `lease` (epoch, shard) if it holds it: 'renewed', 'lost' (the
   * lease), or 'gone' (the job was deleted or expired; nothing written).
   */
  async heartbeat(member: string, info: Omit<MemberInfo, 'lastSeen'>, lease: { epoch: number; shard: number; ms: number } | undefined):
    Promise<'renewed' | 'lost' | 'gone'> {
    // Without a lease KEYS[2] is a key of the job that the script does not read (keys stay in the job's slot).
    const keys = [this.keys.members, lease ? this.keys.lease(lease.epoch, lease.shard, member) : this.keys.closeLock, this.keys.meta];
    const reply = Number(await this.script('heartbeat', keys, [member, JSON.stringify(info), this.ttlMs, lease?.ms ?? 0, lease ? '1' : '0']));
    return reply === -1 ? 'gone' : reply === 1 ? 'renewed' : 'lost';
  }

  async members(): Promise<Map<string, MemberInfo>> {
    return new Map(Object.entries(await this.client.hgetall(this.keys.members)).map(([id, raw]) => [id, JSON.parse(raw) as MemberInfo]));
  }

  async shards(epoch: number): Promise<Map<number, ShardEntry>> {
    return new Map(Object.entries(await this.client.hgetall(this.keys.shards(epoch))).map(([shard, raw]) => [Number(shard), JSON.parse(raw) as ShardEntry]));
  }

  /** Claims a shard (see scripts.claimShard); `rebased`: uploads merge only onto their base round (SGD). */
  async claim(member: string, epoch: number, shard: number, leaseMs: number, rebased: boolean): Promise<Claim> {
    const reply = await this.script('claimShard', [this.keys.lease(epoch, shard, member), this.keys.shards(epoch), this.keys.uploads, this.keys.meta],
      [member, leaseMs, String(shard), String(epoch), rebased ? '1' : '0']) as string[];
    if (reply[0] !== 'claimed') return { kind: reply[0] as 'leased' | 'done' };
    for (const raw of reply.slice(2)) await this.deleteUploadChunks({ ...JSON.parse(raw) } as PendingUpload);
    const source = reply[1] === '' ? undefined : JSON.parse(reply[1]) as { position: SourcePosition | null };
    return { kind: 'claimed', position: source?.position ?? null };
  }

  async release(member: string, epoch: number, shard: number): Promise<void> {
    await this.script('releaseLease', [this.keys.lease(epoch, shard, member)], [member]);
  }

  /** A stream job's member takes its own lease (shard -1): what its uploads are checked against, as a shard's are. */
  async takeStreamLease(member: string, epoch: number, leaseMs: number): Promise<void> {
    await this.client.set(this.keys.lease(epoch, -1, member), member, 'PX', leaseMs);
  }

  /**
   * Stores an upload: its state's chunks first, then (atomically, with the lease checked) the entry
   * that names them. False when the lease was lost: nothing was stored (the chunks are removed).
   * True also when the entry, sent again after a lost reply, was found stored or merged already
   * (see scripts.storeUpload): its fate says which.
   */
  async upload(upload: Omit<PendingUpload, 'at' | 'chunks'>, bytes: Uint8Array | undefined, leaseMs: number): Promise<boolean> {
    const chunks = bytes ? chunksOf(bytes) : [];
    const chunkKeys = chunks.map((_, i) => this.keys.upload(upload.member, upload.sequence, i));
    // Separate commands, not a pipeline: ioredis resends a command a lost connection left unanswered,
    // but fails the rest of a pipeline whose first replies came back, and a lost reply must not fail the member.
    await Promise.all(chunks.map((chunk, i) => this.client.set(chunkKeys[i], chunk, 'PX', this.ttlMs)));
    const entry: Omit<PendingUpload, 'at'> = { ...upload, chunks: chunks.length };
    const reply = Number(await this.script('storeUpload',
      [this.keys.lease(upload.epoch, upload.shard, upload.member), this.keys.uploads, this.keys.merged],
      [upload.member, JSON.stringify(entry), this.ttlMs, leaseMs, upload.sequence]));
    if (reply === 0 && chunkKeys.length > 0) await this.client.del(...chunkKeys);
    return reply !== 0;
  }

  /** Deletes an upload's chunks (one replaced by its member's newer upload, or dropped). */
  async deleteUploadChunks(upload: Pick<PendingUpload, 'member' | 'sequence' | 'chunks'>): Promise<void> {
    const keys = Array.from({ length: upload.chunks }, (_, i) => this.keys.upload(upload.member, upload.sequence, i));
    if (keys.length > 0) await this.client.del(...keys);
  }

  /** Upload `sequence` of `member`: still waiting, merged, or dropped; with the pending entry's base round. */
  async fate(member: string, sequence: number): Promise<{ fate: UploadFate; baseRound?: number }> {
    const [raw, merged] = await Promise.all([this.client.hget(this.keys.uploads, member), this.client.hget(this.keys.merged, member)]);
    if (raw !== null) {
      const upload = JSON.parse(raw) as PendingUpload;
      if (upload.sequence === sequence) return { fate: 'pending', baseRound: upload.baseRound };
    }
    return { fate: merged !== null && Number(merged) >= sequence ? 'merged' : 'dropped' };
  }

  /** A consistent snapshot for deciding whether to close a round. */
  async roundView(): Promise<{ now: number; meta: JobMeta | undefined; uploads: PendingUpload[]; members: Map<string, MemberInfo> }> {
    const [now, meta, uploads, members] = await this.script('roundView', [this.keys.meta, this.keys.uploads, this.keys.members], []) as
      [string, string[], string[], string[]];
    return {
      now: Number(now), meta: parseMeta(pairs(meta)),
      uploads: pairs(uploads).map(([member, raw]) => ({ ...JSON.parse(raw), member }) as PendingUpload),
      members: new Map(pairs(members).map(([id, raw]) => [id, JSON.parse(raw) as MemberInfo])),
    };
  }

  /**
   * Waits up to `ms` for a round to merge one of `member`'s uploads (a token the commit pushes), on
   * `blocking` — a connection of its own, since BLPOP holds the connection while it waits.
   */
  async waitForNotice(blocking: RedisClient, member: string, ms: number): Promise<void> {
    const key = this.keys.notify(member);
    const got = await blocking.blpop(key, ms / 1000);
    // Tokens of earlier rounds (a wait that ended by timeout) would wake the next wait at once.
    if (got) await blocking.del(key);
  }

  /** Marks the job failed with `member`'s error (see scripts.failJob). */
  async fail(member: string, message: string): Promise<void> {
    await this.script('failJob', [this.keys.meta], [member, message]);
  }

  async takeCloseLock(member: string, ms: number): Promise<boolean> {
    return Number(await this.script('takeCloseLock', [this.keys.closeLock], [member, ms])) === 1;
  }

  async releaseCloseLock(member: string): Promise<void> {
    await this.script('releaseCloseLock', [this.keys.closeLock], [member]);
  }

  /** Bytes stored in `count` chunks named by `key(i)`; an error naming what is missing. */
  async readChunks(count: number, key: (i: number) => string, what: string): Promise<Uint8Array> {
    if (count === 0) throw new Error(`cluster job ${this.keys.job}: ${what} has no stored bytes`);
    const parts: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const part = await this.client.getBuffer(key(i));
      if (part === null) throw new MissingChunkError(`cluster job ${this.keys.job}: chunk ${i} of ${count} of ${what} is missing (expired, or deleted)`);
      parts.push(part);
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /** The merged state of round `meta.round`; undefined before any record was merged. */
  async mergedStateBytes(meta: JobMeta): Promise<Uint8Array | undefined> {
    if (meta.stateChunks === 0) return undefined;
    return this.readChunks(meta.stateChunks, (i) => this.keys.state(meta.round, i), `the merged state of round ${meta.round}`);
  }

  async uploadBytes(upload: PendingUpload): Promise<Uint8Array | undefined> {
    if (upload.chunks === 0) return undefined;
    return this.readChunks(upload.chunks, (i) => this.keys.upload(upload.member, upload.sequence, i), `the upload of member ${upload.member}`);
  }

  /**
   * Commits round `meta.round + 1`: the merge's bytes, the meta fields, the shards' positions, and
   * removes the merged uploads and the previous merge. False when another closer got there first.
   */
  async commitRound(closer: string, meta: JobMeta, merged: Uint8Array | undefined, fields: Record<string, string | number>,
    epoch: number, shardUpdates: [number, ShardEntry][], merges: PendingUpload[]): Promise<boolean> {
    const round = meta.round + 1;
    const chunks = merged ? chunksOf(merged) : [];
    const newKeys = chunks.map((_, i) => this.keys.state(round, i));
    const oldKeys = Array.from({ length: meta.stateChunks }, (_, i) => this.keys.state(meta.round, i));
    const uploadKeys = merges.flatMap((u) => Array.from({ length: u.chunks }, (_, i) => this.keys.upload(u.member, u.sequence, i)));
    const flat = Object.entries({ ...fields, round, stateChunks: chunks.length, stateBytes: merged?.length ?? 0 }).flatMap(([k, v]) => [k, String(v)]);
    const notify = [...new Set(merges.map((u) => u.member))].filter((m) => m !== closer).map((m) => this.keys.notify(m));
    const reply = await this.script('commitRound',
      [this.keys.meta, this.keys.uploads, this.keys.shards(epoch), this.keys.closeLock, this.keys.merged, ...newKeys, ...oldKeys, ...uploadKeys, ...notify],
      [closer, String(meta.round), this.ttlMs, JSON.stringify(flat), JSON.stringify(shardUpdates.map(([s, e]) => [String(s), JSON.stringify(e)])),
        JSON.stringify(merges.map((u) => [u.member, u.sequence])), chunks.length, ...chunks, notify.length]);
    return Number(reply) === 1;
  }

  /** Stores the final model and state unless the job is finished; true when this call stored them. */
  async publishFinal(model: Uint8Array, state: Uint8Array, metrics: Record<string, unknown>): Promise<boolean> {
    const modelChunks = chunksOf(model);
    const stateChunks = chunksOf(state);
    const keys = [this.keys.meta, ...modelChunks.map((_, i) => this.keys.final('model', i)), ...stateChunks.map((_, i) => this.keys.final('state', i))];
    return Number(await this.script('publishFinal', keys,
      [this.ttlMs, modelChunks.length, stateChunks.length, JSON.stringify(metrics), ...modelChunks, ...stateChunks])) === 1;
  }

  async finalBytes(meta: JobMeta): Promise<{ model: Uint8Array; state: Uint8Array }> {
    return {
      model: await this.readChunks(meta.finalModelChunks ?? 0, (i) => this.keys.final('model', i), 'the final model'),
      state: await this.readChunks(meta.finalStateChunks ?? 0, (i) => this.keys.final('state', i), 'the final state'),
    };
  }
}
