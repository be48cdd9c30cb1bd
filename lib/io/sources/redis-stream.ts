// A Redis stream as a training source, read through a consumer group:
//   redis[s]://[[USER]:PASSWORD@]HOST[:PORT][/DB]?stream=KEY[&group=G][&consumer=C][&count=N][&claim-after=S]
//
// Entries (schema in ../redis/stream-entries.ts: `data` holding whole records,
// an optional `format` tag, `end` for the end of the stream) are delivered to
// this member with XREADGROUP: first the entries already pending on it (a
// restart), then new ones (>). Each read becomes one chunk for the parser.
// The source is not seekable: it is read once.
//
// Acknowledgement. An entry is XACKed only when a stored state (a checkpoint,
// or the model and state written at the end) holds it, through commit(). A
// member's deliveries come in id order (new entries follow its pending ones;
// a dead member's entries come back as new copies, never into its pending
// list: dead-members.ts), so one id says what a position covers: each batch's
// position carries `entries` = { consumer, through: the newest entry covered
// wholly, partial: the entry after it when the batch ends inside it, and how
// many of its bytes }. commit() acknowledges this consumer's pending entries
// up to `through` with XPENDING ranges, a page at a time: memory does not
// grow with the entries between two checkpoints.
// Range acknowledgement needs every entry pending on this member up to
// `through` to have been read: a read whose reply is lost with the
// connection (a server restart) is not sent again; the member reads its
// pending entries after the newest it has instead.
//
// Exactly once. An entry covered in part stays pending. A member resumed from
// its checkpoint (the same consumer) acknowledges what the checkpoint holds,
// reads the rest of its pending entries again and skips the bytes of the
// partial one: each record is trained once. A member that is not back within
// claim-after counts as dead: its pending entries are requeued to the others,
// whole; the records of the entry its last checkpoint held in part (and of
// entries it had covered but not yet acknowledged when it died, between
// writing a checkpoint and XACK) are then trained again by whoever reads the
// copies — twice, if that checkpoint is used as well. Producers that need
// exactly once under requeueing write one record per entry.
//
// Reading ends at an end-of-stream entry (delivered to this member, or to any
// member of the group when it is the stream's last entry), or when nothing
// has arrived for idleTimeout seconds (default: wait for the end entry);
// first, a member that stopped beating is waited for (up to twice
// claim-after) and its entries requeued and read.
import { hostname } from 'node:os';
import { DataError, type FormatName } from '../read-options.js';
import { acknowledgeThrough, compareIds, ensureGroup, groupReachedEnd, readNew, readPending, type RawEntry } from '../redis/consumer-group.js';
import { Heartbeat, heartbeatKey, requeuePage, silentMembers } from '../redis/dead-members.js';
import { RedisCommandError, RedisLink } from '../redis/redis-connection.js';
import { parseRedisStreamUrl, RedisUrlError, type RedisStreamAddress } from '../redis/redis-url.js';
import { decodeEntry, type StreamEntry } from '../redis/stream-entries.js';
import type { ByteChunk, ByteSource, EntriesPosition, SourcePosition } from './types.js';

/** How to read a Redis stream (readBatches' `redis` option; the CLI's --job and --idle-timeout). */
export interface RedisStreamOptions {
  /** The consumer group; a job's members share one. Default: the URL's group=, else 'boundless'. */
  group?: string;
  /**
   * This member's name in the group; keep it across restarts to resume (a resumed run takes the
   * checkpoint's). Default: the URL's consumer=, else HOSTNAME-PID.
   */
  consumer?: string;
  /** Seconds without a new entry after which reading ends. Default: none (wait for the end-of-stream entry). */
  idleTimeout?: number;
  /** Seconds a member may go without a heartbeat before its pending entries are requeued (default 60; URL claim-after=). */
  claimAfter?: number;
  /** Entries per XREADGROUP (default 128; URL count=). */
  count?: number;
}

/** What the reading pipeline tells the source: the format, and what to do with an entry that cannot be read. */
export interface RedisSourceSettings {
  format: FormatName;
  onBadRecord: 'error' | 'skip';
  /** Counts an entry skipped under onBadRecord 'skip' (malformed_entry, deleted_entry). */
  countSkipped(reason: string): void;
  /** Ends reading (an AbortError) within one blocking read (250 ms): a member waiting for entries still stops on Ctrl-C. */
  signal?: AbortSignal;
}

export const defaultGroup = 'boundless';
const defaultCount = 128;
const defaultClaimAfterSeconds = 60;
/** Longest wait of one XREADGROUP: how often an idle member looks for the end (another member may have been given it), dead members and its idle timeout. */
const blockMs = 250;
/** Pending entries examined per requeue script call. */
const requeueCount = 1000;
/** How long reads may keep failing on a lost connection (the server restarting) before the read fails. */
const reconnectGiveUpMs = 60_000;
const newline = Buffer.from('\n');

/** An entry's place in its chunk. */
interface PlacedEntry {
  id: string;
  /** Chunk offsets of its bytes. */
  start: number;
  end: number;
  /** Bytes of its data left out at the front (the part a resumed checkpoint held). */
  skipped: number;
}

function checkOptions(display: string, options: RedisStreamOptions): void {
  const positive = (name: string, value: number | undefined, integer: boolean) => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0 && (!integer || Number.isSafeInteger(value)))) {
      throw new RangeError(`${display}: ${name} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
    }
  };
  positive('idleTimeout (seconds)', options.idleTimeout, false);
  positive('claimAfter (seconds)', options.claimAfter, false);
  positive('count', options.count, true);
  for (const name of ['group', 'consumer'] as const) {
    if (options[name] !== undefined && (typeof options[name] !== 'string' || options[name] === '')) {
      throw new RangeError(`${display}: ${name} must be a non-empty string, got ${JSON.stringify(options[name])}`);
    }
  }
}

/** The group: the options' (--job) and the URL's must agree when both are given. */
function groupOf(address: RedisStreamAddress, options: RedisStreamOptions): string {
  if (options.group !== undefined && address.group !== undefined && options.group !== address.group) {
    throw new RedisUrlError(`${address.display}: the URL names group '${address.group}' but the job is '${options.group}' (--job): give one`);
  }
  return options.group ?? address.group ?? defaultGroup;
}

export class RedisStreamSource implements ByteSource {
  readonly kind = 'bytes';
  readonly seekable = false;
  readonly description: string;
  private readonly address: RedisStreamAddress;
  private readonly group: string;
  private readonly claimAfterMs: number;
  private readonly count: number;
  private consumer: string | undefined;
  private control: RedisLink | undefined;
  private heartbeat: Heartbeat | undefined;
  private used = false;
  /** Reading has ended (end of stream or idle timeout): 'end' covers everything delivered. */
  private finished = false;
  /** The newest entry delivered to this member in this run (its deliveries come in id order). */
  private delivered = '0-0';
  /** Entries up to this id are acknowledged (or were never pending on this member). */
  private acknowledged = '0-0';
  private committing: Promise<void> = Promise.resolve();
  /** When reads began failing on a lost connection (undefined while they succeed). */
  private failingSince: number | undefined;

  /** Errors (RedisUrlError, RangeError) name the URL: a malformed URL, bad options, group= and --job that disagree. */
  constructor(url: string, private readonly options: RedisStreamOptions, private readonly settings: RedisSourceSettings) {
    this.address = parseRedisStreamUrl(url);
    this.description = this.address.display;
    checkOptions(this.description, options);
    this.group = groupOf(this.address, options);
    this.claimAfterMs = 1000 * (options.claimAfter ?? this.address.claimAfter ?? defaultClaimAfterSeconds);
    this.count = options.count ?? this.address.count ?? defaultCount;
  }

  async *chunks(start?: SourcePosition): AsyncIterable<ByteChunk> {
    if (this.used) throw new Error(`${this.description}: a Redis stream source is read once (epochs need a file source)`);
    this.used = true;
    const resume = this.resumePoint(start);
    this.consumer = this.consumerFor(resume);
    let reader: RedisLink | undefined;
    try {
      reader = await this.open();
      let offset = start?.byteOffset ?? 0;
      if (resume) {
        // The checkpoint holds these: a crash between writing it and XACK left some pending.
        this.delivered = resume.through;
        await this.acknowledge(resume.through);
      }
      for await (const chunk of this.pendingChunks(reader, resume?.through ?? '0-0', resume?.partial ?? null, offset)) {
        offset += chunk.data.length;
        yield chunk;
      }
      for await (const chunk of this.newChunks(reader, offset)) {
        offset += chunk.data.length;
        yield chunk;
      }
      this.finished = true;
    } catch (error) {
      // A read that failed reads no more: stop beating, so what it holds goes to the living after claim-after.
      await this.close();
      throw error;
    } finally {
      reader?.close();
    }
  }

  /** The entries a checkpoint's position covers, or undefined for a fresh read; a position of another source is an error. */
  private resumePoint(start: SourcePosition | undefined): EntriesPosition | undefined {
    if (!start || (start.byteOffset === 0 && start.records === 0 && !start.entries)) return undefined;
    if (!start.entries) {
      throw new Error(`${this.description}: the checkpoint's position (byte ${start.byteOffset}) was not written reading a Redis stream: ` +
        'it cannot say which entries it holds');
    }
    return start.entries;
  }

  private consumerFor(resume: EntriesPosition | undefined): string {
    const asked = this.options.consumer ?? this.address.consumer;
    if (resume && asked !== undefined && asked !== resume.consumer) {
      throw new RedisUrlError(`${this.description}: the checkpoint was written by consumer '${resume.consumer}', but consumer '${asked}' ` +
        `was asked for: resume as '${resume.consumer}' (consumer=${resume.consumer}), whose pending entries the checkpoint describes`);
    }
    return asked ?? resume?.consumer ?? `${hostname()}-${process.pid}`;
  }

  /**
   * Connects (a blocking reader and a control connection for acknowledgements, heartbeats and
   * requeues), creates the group when it does not exist and starts this member's heartbeat.
   */
  private async open(): Promise<RedisLink> {
    const { connection, stream } = this.address;
    this.control = await RedisLink.open(connection, this.description);
    await ensureGroup(this.control, stream, this.group);
    this.heartbeat = new Heartbeat(this.control, heartbeatKey(stream, this.group, this.consumer!), this.claimAfterMs);
    await this.heartbeat.start();
    return RedisLink.open(connection, this.description, { resendLost: false });
  }

  /**
   * A read that survives a lost connection (the server restarting): the link reconnects by
   * itself, and 'lost' tells the caller that the read may have delivered entries whose reply
   * never came: they are pending on this member, and read again from its pending list. Reads
   * that keep failing for reconnectGiveUpMs fail the source.
   */
  private async survive<T>(read: () => Promise<T>): Promise<{ value: T } | 'lost'> {
    try {
      const value = await read();
      this.failingSince = undefined;
      return { value };
    } catch (error) {
      if (!(error instanceof RedisCommandError) || !error.lostConnection) throw error;
      this.failingSince ??= Date.now();
      if (Date.now() - this.failingSince > reconnectGiveUpMs) {
        throw new RedisCommandError(`${error.message} (the server was unreachable for ${reconnectGiveUpMs / 1000} s)`, true);
      }
      this.settings.signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, blockMs));
      return 'lost';
    }
  }

  /**
   * The entries pending on this member with ids after `after`: at the start, those of an earlier
   * run not held by the checkpoint resumed (`skip`: the one it holds in part); after a lost
   * connection, those a lost reply delivered. With range acknowledgement, an entry pending on
   * this member and never read would be acknowledged unread: this is what prevents it.
   */
  private async *pendingChunks(reader: RedisLink, after: string, skip: EntriesPosition['partial'], offset: number): AsyncGenerator<ByteChunk> {
    const { stream } = this.address;
    for (;;) {
      const read = await this.survive(() => readPending(reader, stream, this.group, this.consumer!, after, this.count));
      if (read === 'lost') continue;
      const raw = read.value;
      if (raw.length === 0) return;
      const { chunk } = this.chunkOf(raw, offset, skip);
      skip = null;
      after = this.delivered;
      if (chunk) {
        offset += chunk.data.length;
        yield chunk;
      }
    }
  }

  /** New entries until the end of the stream or the idle timeout; dead members' entries are requeued on the way. */
  private async *newChunks(reader: RedisLink, offset: number): AsyncGenerator<ByteChunk> {
    const { stream } = this.address;
    const idleMs = this.options.idleTimeout === undefined ? undefined : this.options.idleTimeout * 1000;
    let idleSince: number | undefined;
    let nextRequeue = 0;
    let resync = false;
    for (;;) {
      this.settings.signal?.throwIfAborted();
      if (resync) {
        for await (const chunk of this.pendingChunks(reader, this.delivered, null, offset)) {
          offset += chunk.data.length;
          yield chunk;
        }
        resync = false;
      }
      if (Date.now() >= nextRequeue) {
        await this.requeueDeadMembers();
        nextRequeue = Date.now() + this.claimAfterMs / 2;
      }
      const asked = Date.now();
      const wait = idleMs === undefined ? blockMs : Math.max(1, Math.min(blockMs, idleMs - (asked - (idleSince ?? asked))));
      const read = await this.survive(() => readNew(reader, stream, this.group, this.consumer!, this.count, Math.round(wait)));
      if (read === 'lost') {
        resync = true;
        continue;
      }
      const raw = read.value;
      if (raw.length > 0) {
        idleSince = undefined;
        const { chunk, endsStream } = this.chunkOf(raw, offset, null);
        if (chunk) {
          offset += chunk.data.length;
          yield chunk;
        }
        if (endsStream && !await this.requeuedBeforeEnd()) return;
        continue;
      }
      idleSince ??= asked;
      if (idleMs !== undefined && Date.now() - idleSince >= idleMs && !await this.requeuedBeforeEnd()) return;
      if (await groupReachedEnd(this.control!, stream, this.group) && !await this.requeuedBeforeEnd()) return;
    }
  }

  /**
   * Before reading ends: requeues what dead members hold, waiting (at most twice claim-after) for
   * members that stopped beating but whose entries cannot be taken yet, so that a member dying
   * near the end does not leave its entries behind. Whether anything was requeued (to be read).
   */
  private async requeuedBeforeEnd(): Promise<boolean> {
    const deadline = Date.now() + 2 * this.claimAfterMs;
    for (;;) {
      const { requeued, dying } = await this.requeueDeadMembers();
      if (requeued > 0) return true;
      if (dying === 0 || Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, this.claimAfterMs / 4)));
    }
  }

  /** Requeues the pending entries of dead members (dead-members.ts): how many, and how many members are about to count as dead. */
  private async requeueDeadMembers(): Promise<{ requeued: number; dying: number }> {
    const { stream } = this.address;
    const { dead, dying } = await silentMembers(this.control!, stream, this.group, this.consumer!, this.claimAfterMs);
    if (dead.length === 0) return { requeued: 0, dying: dying.length };
    let requeued = 0;
    for (let cursor: string | null = '-'; cursor !== null;) {
      const page = await requeuePage(this.control!, stream, this.group, this.consumer!, this.claimAfterMs, dead, cursor, requeueCount);
      requeued += page.requeued;
      for (const id of page.deleted) this.unreadable({ kind: 'deleted', id });
      cursor = page.next;
    }
    return { requeued, dying: dying.length };
  }

  /** An entry that cannot be trained on: an error, or counted and passed over with onBadRecord 'skip'. */
  private unreadable(entry: Extract<StreamEntry, { kind: 'malformed' | 'deleted' }>): void {
    if (this.settings.onBadRecord === 'skip') {
      this.settings.countSkipped(entry.kind === 'malformed' ? 'malformed_entry' : 'deleted_entry');
      return;
    }
    const why = entry.kind === 'malformed' ? entry.reason
      : 'was deleted from the stream (trimmed by MAXLEN, or XDEL) before it was acknowledged: its records are lost';
    throw new DataError(`${this.description}, entry ${entry.id}: ${why} (--on-bad-record skip counts such entries and goes on)`);
  }

  /**
   * One read as a chunk: the entries' records back to back, each text entry ending in a newline
   * (so no record runs into the next entry), with the table that places positions and errors.
   * `skip`: the entry a resumed checkpoint held in part, whose covered bytes are left out.
   */
  private chunkOf(raw: RawEntry[], offset: number, skip: EntriesPosition['partial']): { chunk?: ByteChunk; endsStream: boolean } {
    const before = this.delivered;
    const parts: Buffer[] = [];
    const placed: PlacedEntry[] = [];
    let length = 0;
    let last: StreamEntry | undefined;
    for (const item of raw) {
      const entry = last = decodeEntry(item, this.settings.format);
      if (compareIds(entry.id, this.delivered) <= 0) throw new Error(`${this.description}: entry ${entry.id} came after ${this.delivered} (deliveries out of order: a bug)`);
      this.delivered = entry.id;
      const start = length;
      let skipped = 0;
      if (entry.kind === 'data') {
        let data = entry.data;
        const text = this.settings.format !== 'recordio';
        if (text && data.length > 0 && data[data.length - 1] !== 0x0a) data = Buffer.concat([data, newline]);
        if (skip && skip.id === entry.id) {
          skipped = Math.min(skip.bytes, data.length);
          data = data.subarray(skipped);
        }
        parts.push(data);
        length += data.length;
      } else if (entry.kind !== 'end') {
        this.unreadable(entry);
      }
      placed.push({ id: entry.id, start, end: length, skipped });
    }
    const endsStream = last?.kind === 'end';
    if (length === 0) return { endsStream };
    const data = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
    return { chunk: this.chunk(data, offset, placed, before), endsStream };
  }

  private chunk(data: Buffer, offset: number, placed: PlacedEntry[], before: string): ByteChunk {
    const consumer = this.consumer!;
    const description = this.description;
    return {
      data, fileIndex: 0, name: description, fileStart: true, fileEnd: true, baseOffset: offset,
      entriesAt: (covered) => entriesAt(placed, covered, before, consumer),
      explain: (error) => `${description}, ${placeError(error, data, placed)}`,
    };
  }

  /**
   * Acknowledges the entries a stored state holds: a batch's position (this member's entries up
   * to its `through`), or 'end' once reading has ended (everything delivered). Commits run one
   * at a time; after close() each opens a connection of its own.
   */
  commit(upTo: SourcePosition | 'end'): Promise<void> {
    const run = this.committing.then(() => {
      const through = this.throughOf(upTo);
      return through === undefined ? undefined : this.acknowledge(through);
    });
    this.committing = run.catch(() => undefined);
    return run;
  }

  private throughOf(upTo: SourcePosition | 'end'): string | undefined {
    if (this.consumer === undefined) return undefined;
    if (upTo === 'end') {
      if (!this.finished) throw new Error(`${this.description}: commit('end') before the stream was read to its end`);
      return this.delivered;
    }
    if (!upTo.entries) {
      if (upTo.byteOffset === 0) return undefined;
      throw new Error(`${this.description}: commit: the position (byte ${upTo.byteOffset}) names no stream entries: it does not come from this source`);
    }
    if (upTo.entries.consumer !== this.consumer) {
      throw new Error(`${this.description}: commit: the position is consumer '${upTo.entries.consumer}''s, and this source reads as '${this.consumer}'`);
    }
    return upTo.entries.through;
  }

  private async acknowledge(through: string): Promise<void> {
    if (compareIds(through, this.acknowledged) <= 0) return;
    const link = this.control ?? await RedisLink.open(this.address.connection, this.description);
    try {
      await acknowledgeThrough(link, this.address.stream, this.group, this.consumer!, this.acknowledged, through);
      this.acknowledged = through;
    } finally {
      if (link !== this.control) link.close();
    }
  }

  /** Stops the heartbeat (what is still pending may be requeued after claim-after) and closes the connection. */
  async close(): Promise<void> {
    await this.committing;
    await this.heartbeat?.stop();
    this.heartbeat = undefined;
    this.control?.close();
    this.control = undefined;
  }
}

/** What the first `covered` bytes of a chunk hold: entries wholly (up to `through`) and the one they end inside. */
function entriesAt(placed: PlacedEntry[], covered: number, before: string, consumer: string): EntriesPosition {
  let whole = -1;
  while (whole + 1 < placed.length && placed[whole + 1].end <= covered) whole++;
  const next = placed[whole + 1];
  return {
    consumer,
    through: whole >= 0 ? placed[whole].id : before,
    partial: next && covered > next.start ? { id: next.id, bytes: next.skipped + covered - next.start } : null,
  };
}

/**
 * The parser's error with the entry it comes from: `line N: why` counts lines from the chunk's
 * start (each read starts a "file"), `record N (byte B): why` (recordIO) counts bytes.
 */
function placeError(error: string, data: Buffer, placed: PlacedEntry[]): string {
  const text = /^line (\d+): ([\s\S]*)$/.exec(error);
  const binary = /^record \d+ \(byte (\d+)\): ([\s\S]*)$/.exec(error);
  let at: number;
  if (text) {
    at = 0;
    for (let line = 1; line < Number(text[1]) && at >= 0; line++) at = data.indexOf(0x0a, at) + 1 || -1;
  } else if (binary) {
    at = Number(binary[1]);
  } else {
    return `entries ${placed[0].id} to ${placed[placed.length - 1].id}: ${error}`;
  }
  const entry = placed.find((p) => at >= p.start && at < p.end) ?? placed[placed.length - 1];
  if (binary) return `entry ${entry.id}, byte ${entry.skipped + Math.max(0, at - entry.start)}: ${binary[2]}`;
  let line = 1;
  for (let i = entry.start; i < Math.max(entry.start, at); i++) if (data[i] === 0x0a) line++;
  const held = entry.skipped > 0 ? ` (counted after the ${entry.skipped} bytes a checkpoint held)` : '';
  return `entry ${entry.id}, line ${line}${held}: ${onStream(text![2])}`;
}

/**
 * The parser's advice as it applies to a stream: its entries hold records only (no --header), so a
 * header line a producer wrote as a record is to be left out there (the advice to pass --header led
 * to "--header: a Redis stream's entries hold records only").
 */
function onStream(why: string): string {
  return why.replace('pass --header (header: true in the API) to skip it',
    "a stream's entries hold records only: produce the file again with boundless produce --header, which leaves its header out " +
    '(with writeStream, leave the header line out of the records)');
}
