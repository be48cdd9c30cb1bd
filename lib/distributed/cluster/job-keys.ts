// Where a cluster job's data lives in Redis. Every key of job NAME starts
// with PREFIX{NAME}: — the braces are a Redis Cluster hash tag, so all of a
// job's keys fall in one slot, on one node. That is what lets one MULTI/EXEC
// or Lua script store a member's state together with its shard position, and
// a round's merge together with every position it covers, atomically: Redis
// Cluster runs multi-key transactions only within a slot. Different jobs
// hash to different slots, so a cluster spreads jobs, not one job's keys.

const jobNamePattern = /^[A-Za-z0-9._-]{1,100}$/;

/** Throws a RangeError unless `name` is 1–100 letters, digits, '.', '_' or '-'. */
export function checkJobName(name: string): void {
  if (!jobNamePattern.test(name)) {
    throw new RangeError(`--job must be 1 to 100 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`);
  }
}

/** Throws a RangeError unless `prefix` is printable and free of the braces that would break the hash tag. */
export function checkPrefix(prefix: string): void {
  if (!/^[\x21-\x7a\x7c\x7e]{0,100}$/.test(prefix)) {
    throw new RangeError(`--prefix must be up to 100 printable characters without spaces or braces, got ${JSON.stringify(prefix)}`);
  }
}

export class JobKeys {
  /** PREFIX{NAME}: */
  readonly base: string;

  constructor(readonly prefix: string, readonly job: string) {
    checkPrefix(prefix);
    checkJobName(job);
    this.base = `${prefix}{${job}}:`;
  }

  /** The job's definition (JSON), fixed by its first member. */
  get spec(): string { return `${this.base}spec`; }
  /** Hash: status, epoch, round, records, the stored state's chunk count, times. */
  get meta(): string { return `${this.base}meta`; }
  /** Hash: member id → JSON of its host, pid, last heartbeat, records, shard. */
  get members(): string { return `${this.base}members`; }
  /** Hash: member id → JSON of its pending upload (shard, position, records, chunks). */
  get uploads(): string { return `${this.base}uploads`; }
  /** Hash: member id → the sequence of its upload merged last (what tells merged from dropped). */
  get merged(): string { return `${this.base}merged`; }
  /** List: a token per round that merged this member's upload (it waits on it with BLPOP rather than polling). */
  notify(member: string): string { return `${this.base}notify:${member}`; }
  /** The round closer's claim. */
  get closeLock(): string { return `${this.base}close`; }
  /** Hash: shard index → JSON {position, done} in epoch `epoch`. */
  shards(epoch: number): string { return `${this.base}shards:${epoch}`; }
  /**
   * A shard's lease: the member reading it; expires when the member stops renewing it. A stream
   * job's members all read the one stream (shard -1): each holds a lease of its own.
   */
  lease(epoch: number, shard: number, member: string): string {
    return shard >= 0 ? `${this.base}lease:${epoch}:${shard}` : `${this.base}lease:${epoch}:stream:${member}`;
  }
  /** Chunk `index` of the merged state of round `round`. */
  state(round: number, index: number): string { return `${this.base}state:${round}:${index}`; }
  /** Chunk `index` of upload `seq` of `member`. */
  upload(member: string, seq: number, index: number): string { return `${this.base}upload:${member}:${seq}:${index}`; }
  /** Chunk `index` of the final model or state. */
  final(kind: 'model' | 'state', index: number): string { return `${this.base}final:${kind}:${index}`; }
  /** What SCAN matches to find every key of the job. */
  get pattern(): string { return `${this.base.replace(/[*?[\]\\]/g, '\\$&')}*`; }
}
