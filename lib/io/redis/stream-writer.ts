// The producer side of a Redis stream training input: records grouped into
// entries of the schema in stream-entries.ts (`format`, `data`; `end` last),
// appended with XADD, a few in flight at a time, with backpressure:
//   maxLen  XADD ... MAXLEN ~ N: Redis trims the oldest entries, read or
//           not (fixed memory in Redis; what nobody read in time is lost);
//   maxLag  before adding, wait while the consumer group's lag (entries
//           not yet delivered to any member; XINFO GROUPS, Redis 7) is N or
//           more (nothing is lost; the producer slows to the consumers).
import { encodeRecord, frameRecord } from '../formats/recordio-protobuf.js';
import { formatNames, type FormatName } from '../read-options.js';
import type { RecordInput } from '../sources/types.js';
import { ensureGroup, groupInfo } from './consumer-group.js';
import { RedisLink, type Reply } from './redis-connection.js';
import { parseRedisStreamUrl, RedisUrlError, type RedisStreamAddress } from './redis-url.js';
import { dataEntryFields, endEntryFields } from './stream-entries.js';
import { rejectUnknownOptions } from '../option-names.js';

/** A record to write: already in the stream's format (a text line, a framed recordIO record), or values to encode (csv, jsonl, recordio). */
export type StreamRecord = string | Uint8Array | RecordInput;

export interface WriteStreamOptions {
  /** The records' format, written as each entry's tag (default csv). */
  format?: FormatName;
  /** Records per entry (default 100). One record per entry makes every checkpoint fall between entries (see redis-stream.ts). */
  recordsPerEntry?: number;
  /** An entry is closed once it holds this many bytes (default 1 MiB; a single larger record makes an entry of its own). */
  maxEntryBytes?: number;
  /** Trim the stream to about this many entries (XADD MAXLEN ~): the oldest go, read or not. */
  maxLen?: number;
  /** Wait while the group has this many entries or more not yet delivered (XINFO GROUPS lag; Redis 7). */
  maxLag?: number;
  /** The group whose lag maxLag watches (default: the URL's group=, else 'boundless'); created at the stream's start when absent. */
  group?: string;
  /** Append the end-of-stream entry after the records: the group's members stop when it is delivered. */
  end?: boolean;
  /** XADDs sent before the first is answered (default 16). */
  inFlight?: number;
  signal?: AbortSignal;
  /**
   * Called every 10 s that maxLag keeps the writer waiting, with the group and its lag: a group
   * nobody reads (a mistyped --job) otherwise looks like a hang. The CLI prints it on stderr.
   */
  onWaiting?: (group: string, lag: number, seconds: number) => void;
}

export interface WriteStreamSummary {
  /** The URL (password hidden). */
  stream: string;
  entries: number;
  records: number;
  /** Bytes of record data written (entries' `data` fields). */
  bytes: number;
  seconds: number;
  /** Whether the end-of-stream entry was written. */
  ended: boolean;
}

const newline = 0x0a;
/** How often a writer held back by maxLag says so. */
const waitingNoticeMs = 10_000;

/** Longest wait between two looks at the group's lag. */
const lagPollMs = 100;

/** The URL with ?stream=KEY set from `key` (they must agree when the URL has one); only group= may come with it. */
function addressOf(url: string, key: string | undefined): RedisStreamAddress {
  let withKey = url;
  if (key !== undefined) {
    const parsed = /^rediss?:\/\//i.test(url) ? new URL(url) : undefined;
    const named = parsed?.searchParams.get('stream');
    if (parsed && named !== null && named !== undefined && named !== key) {
      throw new RedisUrlError(`${parseRedisStreamUrl(url).display}: the URL names stream '${named}' and the key given is '${key}': give one`);
    }
    if (parsed && named === null) {
      parsed.searchParams.set('stream', key);
      withKey = parsed.toString();
    }
  }
  const address = parseRedisStreamUrl(withKey);
  for (const name of ['consumer', 'count', 'claim-after'] as const) {
    if (new URL(withKey).searchParams.has(name)) throw new RedisUrlError(`${address.display}: ${name}= is for readers of the stream, not for writing it`);
  }
  return address;
}

/** Every option of WriteStreamOptions, by name (the compiler keeps it complete): a misspelt one is an error, not ignored. */
const writeStreamOptionNames: Readonly<Record<keyof WriteStreamOptions, true>> = {
  format: true, recordsPerEntry: true, maxEntryBytes: true, maxLen: true, maxLag: true, group: true, end: true, inFlight: true, signal: true, onWaiting: true,
};

function checkOptions(display: string, options: WriteStreamOptions): Required<Pick<WriteStreamOptions, 'format' | 'recordsPerEntry' | 'maxEntryBytes' | 'inFlight'>> {
  const positive = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`writeStream: ${name} must be a positive integer, got ${JSON.stringify(value)} (${display})`);
    }
  };
  rejectUnknownOptions('writeStream', options, writeStreamOptionNames);
  for (const name of ['recordsPerEntry', 'maxEntryBytes', 'maxLen', 'maxLag', 'inFlight'] as const) positive(name, options[name]);
  if (options.maxLen !== undefined && options.maxLag !== undefined) {
    throw new RangeError(`writeStream: give maxLen (trim the oldest entries) or maxLag (wait for the consumers), not both (${display})`);
  }
  const format = options.format ?? 'csv';
  if (!formatNames.includes(format)) throw new RangeError(`writeStream: format must be one of ${formatNames.join(', ')}, got ${JSON.stringify(format)}`);
  return { format, recordsPerEntry: options.recordsPerEntry ?? 100, maxEntryBytes: options.maxEntryBytes ?? 1 << 20, inFlight: options.inFlight ?? 16 };
}

/**
 * Writes `records` to the Redis stream `key` at `url` (redis://HOST:PORT[/DB][?stream=KEY]; `key`
 * may be given in the URL instead) as entries of up to recordsPerEntry records, then the
 * end-of-stream entry when `end` is set. Resolves with what was written once Redis has
 * answered every XADD. Errors: a bad URL or option (naming it), an unreachable server, a record
 * that holds a newline (a text record is one line), values in a format that has no encoder
 * here (libsvm, vw: give their text), a group whose lag Redis cannot tell (maxLag before Redis 7).
 */
export function writeStream(url: string, key: string | undefined, records: Iterable<StreamRecord> | AsyncIterable<StreamRecord>,
  options: WriteStreamOptions = {}): Promise<WriteStreamSummary> {
  return writeRecordGroups(url, key, groupsOf(records), options);
}

/** A sync iterable is one group, read without an await per record; an async one, a record at a time. */
async function* groupsOf(records: Iterable<StreamRecord> | AsyncIterable<StreamRecord>): AsyncGenerator<Iterable<StreamRecord>> {
  if (Symbol.asyncIterator in records) {
    for await (const record of records) yield [record];
  } else {
    yield records;
  }
}

/**
 * writeStream over groups of records (what splitRecords gives: a chunk's records, each group
 * read before the next is asked for): `boundless produce`'s path, one await per group.
 */
export async function writeRecordGroups(url: string, key: string | undefined, groups: AsyncIterable<Iterable<StreamRecord>>,
  options: WriteStreamOptions = {}): Promise<WriteStreamSummary> {
  const address = addressOf(url, key);
  const settings = checkOptions(address.display, options);
  const started = performance.now();
  const link = await RedisLink.open(address.connection, address.display);
  try {
    const group = options.group ?? address.group ?? 'boundless';
    if (options.maxLag !== undefined) await ensureGroup(link, address.stream, group);
    const writer = new EntryWriter(link, address, settings.format, settings.inFlight, options, group);
    const builder = new EntryBuilder(settings.format, settings.maxEntryBytes);
    const shape: ValuesShape = {};
    let index = 0;
    for await (const records of groups) {
      options.signal?.throwIfAborted();
      for (const record of records) {
        builder.add(encode(record, settings.format, index++, shape));
        if (builder.records >= settings.recordsPerEntry || builder.bytes >= settings.maxEntryBytes) await writer.add(builder.take());
      }
    }
    if (builder.records > 0) await writer.add(builder.take());
    if (options.end) await writer.end();
    await writer.drain();
    return { stream: address.display, entries: writer.entries, records: index, bytes: writer.bytes, seconds: (performance.now() - started) / 1000, ended: options.end === true };
  } finally {
    link.close();
  }
}

/** What the first record given as values had: every later one must have the same (the members read rows of one width). */
interface ValuesShape { features?: number; labelled?: boolean }

/**
 * A record given as values, checked before it is written: finite numbers (a NaN or ∞ written as
 * text fails every member that reads it, later, far from the call), the width and labelling of
 * the first such record, a weight ≥ 0.
 */
function checkValues(values: ReturnType<typeof valuesOf>, index: number, shape: ValuesShape): void {
  const where = `writeStream: record ${index}`;
  const { features, label, weight } = values;
  if (typeof features?.length !== 'number') throw new TypeError(`${where}: features must be an array of numbers`);
  for (let j = 0; j < features.length; j++) {
    if (typeof features[j] !== 'number' || !Number.isFinite(features[j])) throw new TypeError(`${where}: feature ${j} is ${String(features[j])}, expected a finite number`);
  }
  if (label !== undefined && (typeof label !== 'number' || !Number.isFinite(label))) throw new TypeError(`${where}: the label is ${String(label)}, expected a finite number`);
  if (weight !== undefined && (typeof weight !== 'number' || !(weight >= 0) || !Number.isFinite(weight))) {
    throw new TypeError(`${where}: the weight is ${String(weight)}, expected a finite number ≥ 0`);
  }
  shape.features ??= features.length;
  shape.labelled ??= label !== undefined;
  if (features.length !== shape.features) {
    throw new TypeError(`${where} has ${features.length} features, and the first record given as values had ${shape.features}: the stream's rows must have one width`);
  }
  if ((label !== undefined) !== shape.labelled) {
    throw new TypeError(`${where} ${label !== undefined ? 'has a label' : 'has no label'}, and the first record given as values ${shape.labelled ? 'had one' : 'had none'}`);
  }
}

/** One record as bytes in the stream's format; a text record must be one line (a final newline is dropped). */
function encode(record: StreamRecord, format: FormatName, index: number, shape: ValuesShape): Uint8Array {
  if (typeof record === 'string' || record instanceof Uint8Array) {
    let bytes = typeof record === 'string' ? Buffer.from(record) : record;
    if (format === 'recordio') return bytes;
    if (bytes.length > 0 && bytes[bytes.length - 1] === newline) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.indexOf(newline) >= 0) throw new TypeError(`writeStream: record ${index} holds a newline: give one record (one line) per item`);
    return bytes;
  }
  if (record === null || typeof record !== 'object') {
    throw new TypeError(`writeStream: record ${index} is ${record === null ? 'null' : typeof record}, expected a string, bytes, [label, ...features] or { features, label, weight }`);
  }
  const values = valuesOf(record);
  checkValues(values, index, shape);
  const { features, label, weight } = values;
  if (format === 'csv') return Buffer.from([...(label === undefined ? [] : [label]), ...Array.from(features)].join(','));
  if (format === 'jsonl') return Buffer.from(JSON.stringify({ features: Array.from(features), ...(label === undefined ? {} : { label }), ...(weight === undefined ? {} : { weight }) }));
  if (format === 'recordio') return frameRecord(encodeRecord({ values: Array.from(features) }, label));
  throw new TypeError(`writeStream: record ${index} is values, and ${format} records are written as text here: give each record as a string`);
}

/** An array is [label, ...features] (labelled, as CSV); an object names its parts. */
function valuesOf(record: RecordInput): { features: ArrayLike<number>; label?: number; weight?: number } {
  if ('features' in record && !('length' in record)) return record;
  const values = Array.from(record as ArrayLike<number>);
  return { label: values[0], features: values.slice(1) };
}

/** Records copied into one growing buffer, separated by newlines for text formats; taken as one entry's data. */
class EntryBuilder {
  private buffer: Buffer;
  bytes = 0;
  records = 0;

  constructor(private readonly format: FormatName, capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.min(capacity, 1 << 16));
  }

  add(record: Uint8Array): void {
    const separator = this.format !== 'recordio' && this.records > 0 ? 1 : 0;
    const needed = this.bytes + separator + record.length;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.bytes);
      this.buffer = grown;
    }
    if (separator) this.buffer[this.bytes++] = newline;
    this.buffer.set(record, this.bytes);
    this.bytes += record.length;
    this.records++;
  }

  /** The entry's data (a copy: the socket may still be sending it when the next entry is built). */
  take(): Buffer {
    const data = Buffer.from(this.buffer.subarray(0, this.bytes));
    this.bytes = 0;
    this.records = 0;
    return data;
  }
}

/** XADDs with at most `inFlight` unanswered, trimmed (maxLen) or paced by the group's lag (maxLag). */
class EntryWriter {
  entries = 0;
  bytes = 0;
  private readonly pending: Promise<Reply>[] = [];
  /** The lag last read, plus the entries added since: when under maxLag, no need to ask again. */
  private lagBound = 0;

  constructor(private readonly link: RedisLink, private readonly address: RedisStreamAddress, private readonly format: FormatName,
    private readonly inFlight: number, private readonly options: WriteStreamOptions, private readonly group: string) {}

  async add(data: Buffer): Promise<void> {
    await this.pace();
    await this.send(dataEntryFields(this.format, data));
    this.bytes += data.length;
  }

  async end(): Promise<void> {
    await this.send(endEntryFields());
  }

  async drain(): Promise<void> {
    while (this.pending.length > 0) await this.pending.shift();
  }

  private async send(fields: (string | Buffer)[]): Promise<void> {
    const trim = this.options.maxLen === undefined ? [] : ['MAXLEN', '~', String(this.options.maxLen)];
    const added = this.link.call('XADD', this.address.stream, ...trim, '*', ...fields);
    // Awaited in turn below; until then a failure must not count as unhandled.
    added.catch(() => undefined);
    this.pending.push(added);
    this.entries++;
    this.lagBound++;
    if (this.pending.length >= this.inFlight) await this.pending.shift();
  }

  /** With maxLag: waits until the group's lag is under it (looking again only when the bound says it may not be). */
  private async pace(): Promise<void> {
    const most = this.options.maxLag;
    if (most === undefined || this.lagBound < most) return;
    await this.drain();
    const started = Date.now();
    let told = started;
    for (let wait = 1; ; wait = Math.min(lagPollMs, wait * 2)) {
      this.lagBound = await this.lag();
      if (this.lagBound < most) return;
      this.options.signal?.throwIfAborted();
      if (Date.now() - told >= waitingNoticeMs) {
        told = Date.now();
        this.options.onWaiting?.(this.group, this.lagBound, Math.round((told - started) / 1000));
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Entries of the stream not yet delivered to the group. */
  private async lag(): Promise<number> {
    const info = await groupInfo(this.link, this.address.stream, this.group);
    if (info === undefined) throw new RedisUrlError(`${this.address.display}: group '${this.group}' disappeared while writing (XGROUP DESTROY?)`);
    if (typeof info.lag === 'number') return info.lag;
    const stream = await this.link.call('XINFO', 'STREAM', this.address.stream) as Reply[];
    const added = stream[stream.indexOf('entries-added') + 1];
    if (typeof info['entries-read'] === 'number' && typeof added === 'number') return added - info['entries-read'];
    throw new RedisUrlError(`${this.address.display}: Redis cannot tell group '${this.group}''s lag (it needs Redis 7, and no entries deleted ` +
      'from the middle of the stream): use maxLen (--maxlen) instead');
  }
}
