// The byte stage of readBatches: chunks from a byte source go through the
// native parser straight into pooled batch buffers. Records split across
// chunks are carried by the parser; each full batch goes to the consumer
// with the source position after it (file, byte offset, records), which is
// what a checkpoint stores and a resumed read seeks to.
import { closeSync, openSync, readSync } from 'node:fs';
import { loadCoreAddon, type NativeFeedResult, type NativeStreamParser } from '../backends/native-addon.js';
import type { BatchPool, PooledBatch } from '../data/batch-pool.js';
import { ConsumerGone, deliver, type Producer, type ReadStats } from './batch-stream.js';
import { DataError, type ReadOptions } from './read-options.js';
import { midFileError } from './file-line-numbers.js';
import { refuseUtf16Or32 } from './text-encoding.js';
import type { ByteChunk, ByteSource } from './sources/types.js';
import { fileShrankError } from './sources/files.js';
import { csvFields, headerError, headerlessError, unclosedQuote } from './formats/row-names.js';
import { featureNamesError, featureNamesOf } from './formats/header-names.js';

/** Parses a byte source into batches for the producer's queue. */
export async function produceFromBytes(producer: Producer, source: ByteSource): Promise<void> {
  const upstream = source.chunks(producer.options.start)[Symbol.asyncIterator]();
  try {
    const { featureDim, chunks } = await knownWidth(producer, upstream, source.description);
    if (featureDim === undefined) return;  // no record at all: a stream of no batches, which each caller judges
    let step = await chunks.next();
    if (step.done) return;
    const batcher = await NativeBatcher.open(producer, featureDim);
    while (!step.done) {
      producer.options.signal?.throwIfAborted();
      if (producer.queue.isClosed) throw new ConsumerGone();
      await batcher.feed(step.value);
      const next = chunks.next();
      // A quiet source (a pipe whose writer paused, a named pipe, a socket): the whole batches
      // parsed ahead go out now, not with the next chunk, which may come much later.
      if (!(await settlesWithin(next, quietSourceMs))) await batcher.handOverStaged();
      step = await next;
    }
    await batcher.finish();
  } finally {
    await upstream.return?.();
  }
}

/**
 * How long a source may take to give its next chunk before the batches parsed ahead are handed
 * over without it: a file's next read comes within it; a quiet writer's does not.
 */
const quietSourceMs = 20;

/** Whether `promise` settles (either way) within `ms`; its outcome is left to its awaiter. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise.then(() => true, () => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The row width, and the chunks to parse. Without featureDim, CSV reads ahead until its first
 * record is whole and counts its columns, and recordIO reads its first record's shape; the chunks
 * read ahead are replayed first.
 */
async function knownWidth(producer: Producer, upstream: AsyncIterator<ByteChunk>, description: string):
  Promise<{ featureDim: number | undefined; chunks: AsyncIterator<ByteChunk> }> {
  const head: ByteChunk[] = [];
  let featureDim = producer.featureDim;
  const infer = producer.format === 'recordio' ? inferRecordioWidth : inferCsvWidth;
  while (featureDim === undefined) {
    // Sources may reuse a chunk's buffer for the next one: the chunks held are copied before
    // another is read. The last one is replayed first, before the source is read again, so it
    // is not copied: most files' first record is in their first chunk (4 MiB, where a copy was
    // main-thread time of every run).
    if (head.length > 0) head[head.length - 1] = { ...head[head.length - 1], data: Uint8Array.from(head[head.length - 1].data) };
    const next = await upstream.next();
    if (!next.done) head.push(next.value);
    const bytes = head.length === 1 ? head[0].data : Buffer.concat(head.map((c) => c.data));
    // A read resumed inside a file starts at a record: its first line is no header.
    const options = head[0] && head[0].baseOffset > 0 && producer.options.header ? { ...producer.options, header: false } : producer.options;
    if (producer.format !== 'recordio' && head[0]?.baseOffset === 0) refuseUtf16Or32(head[0].name, head[0].data, head[0].path);
    const width = infer(bytes, head[0]?.name ?? description, options, next.done === true);
    if (width === 'none') break;
    featureDim = width ?? undefined;
  }
  const chunks: AsyncIterator<ByteChunk> = {
    next: () => head.length > 0 ? Promise.resolve({ value: head.shift()!, done: false }) : upstream.next(),
  };
  return { featureDim, chunks };
}

/** Features per row of a recordIO stream, from its first record's tensor; null while it is incomplete, 'none' for no bytes at all. */
function inferRecordioWidth(head: Uint8Array, name: string, options: ReadOptions, complete: boolean): number | null | 'none' {
  if (complete && head.length === 0) return 'none';
  let probe: { featureDim: number } | null;
  try {
    probe = loadCoreAddon().recordioProbe(head, options.maxRecordBytes ?? 16 << 20);
  } catch (error) {
    throw new DataError(`${name}, ${(error as Error).message}`);
  }
  if (probe) return probe.featureDim;
  if (complete) throw new DataError(`${name}: cannot infer feature_dim: no complete record found; pass featureDim`);
  return null;
}

/**
 * The first non-blank line after `skip` non-blank lines (the header: blank lines before it are
 * not it, as the parser skips them), decoded; undefined when there is none yet. Without
 * `complete` the bytes after the last newline may be a partial line and are not one. Only the
 * lines up to it are decoded: the head is a whole 4 MiB chunk, and decoding and splitting all of
 * it was main-thread time of every CSV run.
 */
function firstRecordLine(head: Uint8Array, start: number, skip: number, complete: boolean): string | undefined {
  for (let at = start, skipped = 0; at < head.length;) {
    const newline = head.indexOf(0x0a, at);
    if (newline < 0 && !complete) return undefined;
    const end = newline < 0 ? head.length : newline;
    // Blank as the native parser has it: spaces, tabs and carriage returns only (an empty line is
    // passed over without decoding: a file may start with millions of them).
    if (end > at) {
      const text = Buffer.from(head.buffer, head.byteOffset + at, end - at).toString('utf8');
      if (!/^[ \t\r]*$/.test(text) && skipped++ >= skip) return text;
    }
    if (newline < 0) return undefined;
    at = newline + 1;
  }
  return undefined;
}

/**
 * The first `count` non-blank lines after `start`, decoded, with their line numbers; without
 * `complete`, not the bytes after the last newline (a partial line).
 */
function leadingLines(head: Uint8Array, start: number, count: number, complete: boolean): { text: string; line: number; end: number }[] {
  const lines: { text: string; line: number; end: number }[] = [];
  for (let at = start, line = 1; at < head.length && lines.length < count; line++) {
    const newline = head.indexOf(0x0a, at);
    if (newline < 0 && !complete) break;
    const end = newline < 0 ? head.length : newline;
    const text = end > at ? Buffer.from(head.buffer, head.byteOffset + at, end - at).toString('utf8') : '';
    if (!/^[ \t\r]*$/.test(text)) lines.push({ text, line, end: newline < 0 ? head.length : newline + 1 });
    if (newline < 0) break;
    at = newline + 1;
  }
  return lines;
}

/**
 * A header over row names, or of another width than the records, or (no header) R's quoted row
 * numbers: an error, not columns of data (formats/row-names.ts). The header line, when there is one.
 */
function refuseHeader(head: Uint8Array, name: string, options: ReadOptions, complete: boolean): { text: string; line: number } | undefined {
  // A UTF-8 byte-order mark is not part of the first field.
  const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  if (!options.header) {
    const leading = refuseBrokenQuotes(leadingLines(head, start, 20, complete), name, options);
    refuseOddFirstRecord(leading, name, options);
    const records = commonWidthRecords(leading, options);
    const error = records.length > 0 ? headerlessError(name, records[0].line, records.map((r) => r.text), options) : undefined;
    if (error) throw new DataError(error);
    return undefined;
  }
  const [header, ...leading] = leadingLines(head, start, 21, complete);
  if (!header) return undefined;
  const headerWidth = widthOf(header.text, options);
  const unbroken = refuseBrokenQuotes(leading, name, options);
  refuseOddFirstRecord(unbroken, name, options, headerWidth);
  const records = commonWidthRecords(unbroken, options, headerWidth);
  const error = headerError(name, header.text, header.line, records.map((r) => r.text), options);
  if (error) throw new DataError(error);
  return header;
}

/**
 * The leading records, where one with a field that opens a quote its line does not close (a quoted
 * field with a line break in it) is an error naming it: the header checks would otherwise judge
 * the broken halves as records, and say the delimiter or the row names are wrong. With
 * onBadRecord 'skip' it is left out of the checks instead (the parser skips and counts it).
 */
function refuseBrokenQuotes<R extends { text: string; line: number }>(records: R[], name: string, options: ReadOptions): R[] {
  const broken = (record: R) => unclosedQuote(csvFields(record.text.replace(/^[ \t\r]+|[ \t\r]+$/g, ''), options.delimiter ?? ','));
  // Skipping, the line after one that opened a quote (its field's other half, closing it) is left out too.
  if (options.onBadRecord === 'skip') return records.filter((record, i) => !broken(record) && !(i > 0 && broken(records[i - 1])));
  for (const record of records) {
    const open = broken(record);
    if (!open) continue;
    throw new DataError(`${name}, line ${record.line}: column ${open.column} '${open.text.slice(0, 40)}${open.text.length > 40 ? '...' : ''}' ` +
      'opens a quote that the line does not close: a line break inside a quoted field is not supported (each record is one line)');
  }
  return records;
}

/**
 * A file's feature columns by name: those the rows must have (options.featureNames, a model's),
 * else those of the stream's first file, which the stream then reports (stats.featureNames).
 */
function checkFeatureNames(header: { text: string; line: number }, name: string, options: ReadOptions, stats: ReadStats): void {
  const names = featureNamesOf(header.text, options);
  const [expected, owner] = options.featureNames ? [options.featureNames, options.files?.namesFrom ?? 'the model']
    : stats.featureNames ? [stats.featureNames.names, stats.featureNames.file] : [undefined, ''];
  if (expected) {
    // Without a width given, another number of columns is said here: nothing else would.
    const error = featureNamesError(names, expected, owner, options.featureNames !== undefined && options.featureDim === undefined);
    if (error) throw new DataError(`${name}, line ${header.line}: ${error}`);
  }
  // The stream says its names even when they were given (a worker's state keeps them for the model).
  stats.featureNames ??= { names, file: name };
}

/** Newlines in head[0, end). */
function countNewlines(head: Uint8Array, end: number): number {
  let count = 0;
  for (let at = head.indexOf(0x0a); at >= 0 && at < end; at = head.indexOf(0x0a, at + 1)) count++;
  return count;
}

/**
 * Bytes of a CSV file's start read at most to find its first lines (the header and the records the
 * header checks look at): a header or blank lines longer than a chunk are read on, to this.
 */
function leadingBytesLimit(options: ReadOptions): number {
  return Math.max(64 << 20, 4 * (options.maxRecordBytes ?? 1 << 20));
}

function leadingBytesError(name: string, options: ReadOptions): string {
  return `${name}: no whole ${options.header ? 'header line' : 'record'} in its first ${leadingBytesLimit(options)} bytes (blank lines, or a line longer than that)`;
}

/** A label, then whitespace-separated index:value pairs (as the native parser's hint judges a line). */
function looksLikeLibsvm(line: string): boolean {
  const [, ...pairs] = line.trim().split(/[ \t]+/);
  return pairs.length > 0 && pairs.every((pair) => /^[0-9]+:[^:]+$/.test(pair));
}

/** Columns of a CSV line as the parser splits it (blanks at either end are not fields). */
function widthOf(text: string, options: ReadOptions): number {
  return csvFields(text.replace(/^[ \t\r]+|[ \t\r]+$/g, ''), options.delimiter ?? ',').length;
}

/**
 * Skipping bad records, the leading records of the width the file's rows have (the parser skips
 * the others as of another width): the header's, where some have it, else the commonest among
 * them. The width and the header checks are taken from those. Taken from the first record alone,
 * a bad one (`1.5,2,3` above rows of 51 columns) set the width, and every good row after it was
 * skipped. Not skipping, the records as they are.
 */
function commonWidthRecords<R extends { text: string }>(records: R[], options: ReadOptions, headerWidth?: number): R[] {
  if (options.onBadRecord !== 'skip') return records;
  const widths = records.map(({ text }) => widthOf(text, options));
  const counts = new Map<number, number>();
  for (const width of widths) counts.set(width, (counts.get(width) ?? 0) + 1);
  let chosen = widths[0];
  for (const [width, count] of counts) if (count > counts.get(chosen)!) chosen = width;  // ties: the earlier width
  if (headerWidth !== undefined && counts.has(headerWidth)) chosen = headerWidth;
  return records.filter((_, i) => widths[i] === chosen);
}

/**
 * Not skipping: a first record of another width than every record after it among the leading
 * ones (and the header, if any) is the odd one, and the error names it. The width is taken from
 * the first record, so the parser blamed the second line (`line 2: expected 2 columns, found 4`).
 */
function refuseOddFirstRecord(records: { text: string; line: number }[], name: string, options: ReadOptions, headerWidth?: number): void {
  if (options.onBadRecord === 'skip' || records.length < 3) return;
  const [first, ...rest] = records.map(({ text }) => widthOf(text, options));
  const others = rest[0];
  if (first === others || rest.some((w) => w !== others) || (headerWidth !== undefined && headerWidth !== others)) return;
  // A header written with another delimiter (R's write.csv2: "y";"a" over decimal commas) is one
  // field at ','; it was called a stray line, the delimiter unsaid.
  const other = options.delimiter === undefined ? otherDelimiter(records[0].text) : undefined;
  const advice = other ? `is the delimiter right? the line splits into ${other.fields} fields at ${JSON.stringify(other.delimiter)}: pass --delimiter ` +
    `'${other.delimiter === '\t' ? 'tab' : other.delimiter}' (delimiter in the API)` : 'a stray line? (--on-bad-record skip skips and counts it; onBadRecord in the API)';
  throw new DataError(`${name}, line ${records[0].line}: ${first} column${first === 1 ? '' : 's'} (split at ${JSON.stringify(options.delimiter ?? ',')}), ` +
    `where ${headerWidth !== undefined ? 'the header and ' : ''}the ${rest.length} records after it hold ${others}: ${advice}`);
}

/** The first of ';', tab and '|' that splits a one-field line into several, with how many. */
function otherDelimiter(text: string): { delimiter: string; fields: number } | undefined {
  if (text.includes(',')) return undefined;
  for (const delimiter of [';', '\t', '|']) {
    const fields = text.split(delimiter).length;
    if (fields > 1) return { delimiter, fields };
  }
  return undefined;
}

/** Features per row of a CSV file, from its first record; null while no whole record has arrived, 'none' when there is none. */
function inferCsvWidth(head: Uint8Array, name: string, options: ReadOptions, complete: boolean): number | null | 'none' {
  // Lines that end in a bare CR are one line to the reader: under --header the whole file was the
  // header (0 records, exit 0 from convert and predict); a large one, a record too long.
  if (bareCrLines(head)) throw new DataError(`${name}: ${bareCrAdvice}`);
  // A UTF-8 byte-order mark is not part of the first field (the parser skips it too).
  const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  const first = firstRecordLine(head, start, options.header ? 1 : 0, complete);
  if (first === undefined) {
    // The line still open at the end of what was read is the one that may be too long (blank
    // lines before it are not a record); past leadingBytesLimit the search stops.
    const limit = options.maxRecordBytes ?? 1 << 20;
    const open = head.length - (head.lastIndexOf(0x0a) + 1);
    if (open > limit) {
      const line = countNewlines(head, head.length - open) + 1;
      throw new DataError(`${name}, line ${line}: record is longer than ${limit} bytes (raise --max-record-bytes, maxRecordBytes in the API)`);
    }
    if (head.length > leadingBytesLimit(options)) throw new DataError(leadingBytesError(name, options));
    return complete ? 'none' : null;
  }
  refuseHeader(head, name, options, complete);
  // Skipping bad records, the width is not taken from half of a quoted field broken across lines,
  // nor from a first record that is bad itself: the header's or the commonest of the leading records' is.
  let record = first;
  if (options.onBadRecord === 'skip') {
    const skipped = options.header ? 1 : 0;
    const lines = leadingLines(head, start, skipped + 20, complete);
    const headerWidth = options.header && lines[0] ? widthOf(lines[0].text, options) : undefined;
    record = commonWidthRecords(refuseBrokenQuotes(lines.slice(skipped), name, options), options, headerWidth)[0]?.text ?? first;
  }
  // Quoted fields whole, as the parser reads past a column's (a row name may hold the delimiter).
  // Blanks at either end of a line are not fields to the parser (a trailing tab neither, tab-delimited).
  const columns = csvFields(record.replace(/^[ \t\r]+|[ \t\r]+$/g, ''), options.delimiter ?? ',').length;
  const ignored = options.ignoreColumns ?? [];
  const beyond = ignored.find((c) => c >= columns);
  if (beyond !== undefined) {
    throw new DataError(`${name}: a column to read past (column ${beyond + 1}: ignoreColumns ${beyond}, --ignore-columns ${beyond + 1}) is beyond the first record's ${columns} column${columns === 1 ? '' : 's'}`);
  }
  const width = columns - (options.labelSize === 0 ? 0 : 1) - ignored.length;
  if (options.labelSize !== 0 && (options.labelColumn ?? 0) >= columns) {
    const column = (options.labelColumn ?? 0) + 1;
    throw new DataError(`${name}: the label's column (column ${column}: labelColumn ${column - 1}, --label-column ${column}) is beyond the first record's ${columns} column${columns === 1 ? '' : 's'}`);
  }
  if (width < 1) {
    const delimiter = options.delimiter ?? ',';
    throw new DataError(`${name}: the first record has no feature columns (${columns} column${columns === 1 ? '' : 's'} split at ` +
      `${JSON.stringify(delimiter)}${options.labelSize === 0 ? '' : ', one of them the label'}${ignored.length > 0 ? `, ${ignored.length} read past` : ''}; is the delimiter right?)` +
      (looksLikeLibsvm(first) ? "; the line looks like libsvm (a label, then index:value pairs): pass --format libsvm (format: 'libsvm' in the API)" : ''));
  }
  return width;
}

/** The native parser writing into one pooled batch at a time, and the hand-over of each full one. */
class NativeBatcher {
  private batch!: PooledBatch;
  /** The chunk being parsed: its file, name and offset place errors and positions. */
  private current: ByteChunk | undefined;
  private records: number;
  private threads: number | undefined;
  /** A file has started and not been finished. */
  private fileOpen = false;
  /**
   * CSV: a file's first chunks, copied, until the lines its header checks read are whole (a wide
   * header, or blank lines before it, can outgrow the first chunk); undefined once checked.
   */
  private leading: { chunk: ByteChunk; bytes: Uint8Array[] } | undefined;

  private constructor(private readonly producer: Producer, private readonly pool: BatchPool,
    private readonly parser: NativeStreamParser) {
    this.records = producer.options.start?.records ?? 0;
  }

  static async open(producer: Producer, featureDim: number): Promise<NativeBatcher> {
    const pool = producer.makePool(featureDim);
    const { options, format } = producer;
    if (format === 'series') throw new TypeError('the series format is read by read-series-batches.ts, not the native parser');
    const labelSize = format === 'text' ? 0 : options.labelSize ?? 1;
    const parser: NativeStreamParser = new (loadCoreAddon().StreamParser)({
      format, featureDim, delimiter: options.delimiter, header: options.header, zeroBased: options.zeroBased,
      hashBits: options.hashBits, maxRecordBytes: options.maxRecordBytes, skipBad: options.onBadRecord === 'skip',
      labelColumn: labelSize === 0 ? -1 : (options.labelColumn ?? 0), labelsRequired: labelSize > 0,
      ...(format === 'csv' && options.ignoreColumns ? { ignoreColumns: options.ignoreColumns } : {}),
      labelClasses: options.labelClasses ?? 0, featureRange: options.featureRange,
    });
    const batcher = new NativeBatcher(producer, pool, parser);
    await batcher.nextBatch();
    return batcher;
  }

  /**
   * Parses one chunk; a chunk that starts a file first ends the previous file's last record. A
   * chunk that ends its file (`fileEnd`: a Redis stream's read) is finished at once, so its rows
   * go out now rather than when the next chunk comes, which on a quiet stream may be much later.
   */
  async feed(chunk: ByteChunk): Promise<void> {
    if (chunk.fileStart) {
      if (chunk.baseOffset === 0 && this.producer.format !== 'recordio') refuseUtf16Or32(chunk.name, chunk.data, chunk.path);
      if (this.fileOpen) await this.finishFile(true);
      this.leading = this.producer.format === 'csv' && chunk.baseOffset === 0 ? { chunk, bytes: [] } : undefined;
      this.parser.startFile(chunk.baseOffset === 0);
      this.fileOpen = true;
    }
    this.current = chunk;
    this.producer.stats.bytes += chunk.data.length;
    if (this.leading) {
      // Nothing of the file is parsed before its header checks: its chunks are held till then.
      const head = this.checkLeading(chunk.data, chunk.fileEnd === true);
      if (head) await this.parse(head);
    } else {
      await this.parse(chunk.data);
    }
    // While the header checks wait for more lines, the file's chunks come from the source.
    if (chunk.rest && !this.leading && this.parseThreads > 1 && chunk.rest.take()) await this.stageRest(chunk.rest);
    if (chunk.fileEnd) await this.finishFile(false);
  }

  /**
   * Every CSV file's header, before any of its rows is parsed: row names under it are refused
   * (formats/row-names.ts) and its feature names kept or compared. The checks read the header and
   * the 20 records after it (or, without a header, the first 20): chunks are gathered until those
   * are whole, or the file ends (`complete`), or the first line is whole and 4 MiB after it have not
   * brought 20. The file's bytes to parse once they are checked; undefined while they wait.
   */
  private checkLeading(data: Uint8Array, complete: boolean): Uint8Array | undefined {
    const leading = this.leading!;
    const { options } = this.producer;
    const head = leading.bytes.length === 0 ? data : Buffer.concat([...leading.bytes, data]);
    const start = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    const wanted = options.header ? 21 : 20;
    const lines = leadingLines(head, start, wanted, complete);
    // Past its first line (the header, or the first record), 4 MiB of long records are enough to judge by.
    const afterFirst = lines.length > 0 ? head.length - lines[0].end : 0;
    if (!complete && lines.length < wanted && !(lines.length > 0 && afterFirst >= 4 << 20)) {
      if (lines.length === 0 && head.length > leadingBytesLimit(options)) throw new DataError(leadingBytesError(leading.chunk.name, options));
      // Sources may reuse a chunk's buffer for the next one: what is held is a copy.
      leading.bytes = [head === data ? Uint8Array.from(data) : head];
      return undefined;
    }
    this.leading = undefined;
    const header = refuseHeader(head, leading.chunk.name, options, complete);
    if (header) checkFeatureNames(header, leading.chunk.name, options, this.producer.stats);
    return head;
  }

  /**
   * The rest of a plain file, read and parsed wave after wave by the parser's own thread
   * (native/io/file_stager.h) while the rows staged before are handed over here: a wave no longer
   * waits for the event loop and a libuv thread to start it. The batches, positions and errors
   * are those of the chunks the file source would have given.
   */
  private async stageRest(rest: NonNullable<ByteChunk['rest']>): Promise<void> {
    const { stats, options, queue } = this.producer;
    let counted = 0;
    this.parser.stageFile(rest.path, rest.from, Number.isFinite(rest.to) ? rest.to : Number.MAX_VALUE);
    try {
      for (;;) {
        await this.drainStaged();
        const progress = await this.parser.staged();
        stats.bytes += progress.bytes - counted;
        counted = progress.bytes;
        if (progress.error !== undefined) throw new Error(progress.error);
        if (progress.done && !progress.ready) {
          if (rest.from + progress.bytes < rest.expected) throw fileShrankError(rest.path, rest.from + progress.bytes, rest.expected, rest.share);
          return;
        }
        options.signal?.throwIfAborted();
        if (queue.isClosed) throw new ConsumerGone();
      }
    } finally {
      this.parser.endStaging();
    }
  }

  private async parse(chunk: Uint8Array): Promise<void> {
    if (this.parseThreads > 1) return this.feedAhead(chunk);
    let data = chunk;
    while (data.length > 0) {
      const result = await this.parser.feed(data);
      this.check(result);
      data = data.subarray(result.consumed);
      if (result.full) await this.emit(result, true);
      else if (result.consumed === 0) throw new Error('parser made no progress (a bug): please report it');
      else this.batch.rows = result.rows;
    }
  }

  /**
   * The parallel parser: each chunk is parsed ahead (on a libuv thread and the pool) while the
   * rows of the chunk before are handed over here, so the pool parses while batches go out. The
   * last chunk's rows go out with the next chunk, or at the end of the file.
   */
  private async feedAhead(data: Uint8Array): Promise<void> {
    while (data.length > 0) {
      const staging = this.parser.stage(data);
      // Rows staged before are handed over meanwhile; an error among them ends the read, and
      // the parse ahead is waited for first (its chunk must outlive it).
      const handedOver = this.drainStaged().then(() => undefined, (error: unknown) => error);
      const { consumed } = await staging;
      const error = await handedOver;
      if (error !== undefined) throw error;
      data = data.subarray(consumed);
    }
  }

  /**
   * The whole batches the parallel parser holds, handed over now (between chunks, when the source
   * is quiet): the same batches, at the same boundaries, as the next chunk would have sent.
   */
  async handOverStaged(): Promise<void> {
    if (this.leading || this.parseThreads <= 1) return;
    await this.drainStaged();
  }

  /**
   * Hands over the rows the parallel parser has staged, one batch at a time. Each is a copy of
   * at most one batch, done here: a round trip to a libuv thread per batch costs the event loop
   * more than the copy.
   */
  private async drainStaged(): Promise<void> {
    for (;;) {
      const result = this.parser.drainSync();
      this.check(result);
      if (!result.full) {
        this.batch.rows = result.rows;
        return;
      }
      await this.emit(result, true);
      if (!result.staged) return;
    }
  }

  private get parseThreads(): number {
    return this.threads ??= this.parser.stats().parseThreads;
  }

  /** After the last chunk: the last file's last record, the partial batch, the skip counts. */
  async finish(): Promise<void> {
    if (this.fileOpen) await this.finishFile(true);
    const last = this.parser.finish();
    if (last.rows > 0) await this.emit(last, false);
    else this.pool.release(this.batch);
    const { stats } = this.producer;
    for (const [reason, count] of Object.entries(this.parser.stats().bad)) {
      // Blank lines are no records, and no bad ones: counted apart.
      if (reason === 'blank_line') stats.blankLines = count;
      else if (count > 0) stats.badRecords[reason] = count;
    }
  }

  /**
   * Ends a file: the rows staged ahead go out first, so that what finish() parses is the file's
   * last record alone — one with no newline after it, which a bad record there is said to be
   * (`unterminated`: a file or stdin whose end was cut off mid-line; not a Redis entry, whose
   * record never has one).
   */
  private async finishFile(unterminated: boolean): Promise<void> {
    this.fileOpen = false;
    if (this.leading) await this.parse(this.checkLeading(new Uint8Array(0), true)!);
    if (this.parseThreads > 1) await this.drainStaged();
    for (;;) {
      const result = this.parser.finish();
      this.check(result, unterminated && this.producer.format !== 'recordio');
      if (!result.full) {
        this.batch.rows = result.rows;
        return;
      }
      await this.emit(result, true);
    }
  }

  private check(result: NativeFeedResult, unterminated = false): void {
    if (result.error === undefined) return;
    const current = this.current!;
    // Past line 1 (a one-line input often has no final newline by design), a bad last line with no
    // newline after it is what an input cut off mid-record looks like.
    const cut = unterminated && Number(/^line (\d+):/.exec(result.error)?.[1] ?? 0) > 1;
    let error = cut ? `${result.error} (the last line, which has no newline after it: was the input cut short?)` : result.error;
    // A record wider than a batch: what makes batches hold more.
    if (/(non-zeros|features) than a whole batch holds/.test(error) && this.producer.options.nnzPerBatch === undefined) {
      error += '; a batch holds 128 entries per row of --mini-batch-size (at least 65,536): raise --mini-batch-size (miniBatchSize, or nnzPerBatch, in the API)';
    }
    if (this.producer.format === 'csv' && this.producer.options.delimiter === undefined) error += delimiterHint(error);
    if (/record is longer than/.test(error) && this.producer.format !== 'recordio' && current.path !== undefined) error += bareCrHint(current.path);
    // NUL bytes in a text record: a binary file read as text (recordIO, made by convert --to recordio, without --format).
    if (this.producer.format !== 'recordio' && error.includes('\\x00')) {
      error += "; the record holds NUL bytes, as binary files do: a recordIO-protobuf file needs --format recordio (format: 'recordio' in the API)";
    }
    // A resumed read or a worker's share of a file starts mid-file: its line numbers count from there.
    if (current.explain) throw new DataError(current.explain(error));
    if (current.baseOffset > 0 && current.path !== undefined) throw midFileError(current.name, current.path, current.baseOffset, error);
    const where = current.baseOffset > 0 ? `${current.name} (read from byte ${current.baseOffset}; lines counted from there)` : current.name;
    throw new DataError(`${where}, ${error}`);
  }

  private async emit(result: NativeFeedResult, more: boolean): Promise<void> {
    const { batch, current } = this;
    batch.rows = result.rows;
    if (batch.kind === 'sparse') batch.indptr[batch.rows] = result.nnz;
    this.producer.stats.records += result.rows;
    this.records += result.rows;
    const entries = current!.entriesAt?.(result.committed);
    await deliver(this.producer, batch, { fileIndex: current!.fileIndex, byteOffset: current!.baseOffset + result.committed, records: this.records,
      ...(entries ? { entries } : {}) });
    if (more) await this.nextBatch();
  }

  private async nextBatch(): Promise<void> {
    const b = this.batch = await this.pool.acquire();
    const words = b.kind === 'sparse' ? b.words : undefined;
    this.parser.setTarget(b.values, b.labels ?? null, b.weights ?? null,
      b.kind === 'sparse' ? b.indptr : null, b.kind === 'sparse' ? b.indices : null,
      this.pool.shape.rows, b.kind === 'sparse' ? b.values.length : 0, words?.offsets ?? null, words?.bytes ?? null);
  }
}

/**
 * A text file whose lines end in a bare CR (classic Mac OS, Excel's "CSV (Macintosh)") is one
 * line to the reader: past max_record_bytes it was a record too long, with advice to raise the
 * limit. Said from the file's first 64 KiB (CRs and no newline), or ''.
 */
function bareCrHint(path: string): string {
  const head = Buffer.alloc(1 << 16);
  let read = 0;
  try {
    const fd = openSync(path, 'r');
    try { read = readSync(fd, head, 0, head.length, 0); } finally { closeSync(fd); }
  } catch {
    return '';
  }
  return bareCrLines(head.subarray(0, read)) ? `; ${bareCrAdvice}` : '';
}

const bareCrAdvice = 'its lines end in a bare CR, as classic Mac OS and Excel\'s "CSV (Macintosh)" write them, so it reads as one line: ' +
  "turn them into newlines first, e.g. tr '\\r' '\\n' < in.csv > out.csv";


/** No newline, and two CRs or more with something after them: lines that end in a bare CR. */
function bareCrLines(bytes: Uint8Array): boolean {
  if (bytes.includes(0x0a)) return false;
  let breaks = 0;
  for (let i = 0; i + 1 < bytes.length && breaks < 2; i++) if (bytes[i] === 0x0d) breaks++;
  return breaks >= 2;
}

/**
 * A CSV field that is not a number but holds numbers split by a tab, ';', '|' or spaces: a file
 * written with another delimiter (R's write.table: spaces, or sep='\t'), read at ','. Said after
 * the error, or '' (a header hint already in the message stays: it is about the first line).
 */
function delimiterHint(error: string): string {
  // The label's field too ("label (column 1) '1;0'"): a file of ';' with decimal commas split there.
  const field = /column \d+\)? '(.*)' is not a number/.exec(error)?.[1];
  if (field === undefined || /looks like a header/.test(error)) return '';
  const number = /^"?[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"?$/;
  for (const [written, shown] of [['\\t', 'tab'], [';', ';'], ['|', '|'], [' ', ' ']] as const) {
    const parts = field.split(written).filter((part) => written !== ' ' || part !== '');
    if (parts.length >= 2 && parts.every((part) => number.test(part) || part === '"NA"' || part === 'NA')) {
      return `; its values are numbers split by ${shown === ' ' ? 'spaces' : JSON.stringify(shown === 'tab' ? '\t' : shown)}: pass --delimiter '${shown}' (delimiter in the API)`;
    }
  }
  return '';
}
