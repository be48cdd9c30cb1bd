// What a source yields. Byte sources (files, stdin, streams, iterables of
// buffers) feed a parser; record sources (iterables of objects or arrays)
// go straight into batches. A persistent source says where it is, so a
// checkpoint can store the position and a resumed run can seek to it.
// Ephemeral sources (a Redis stream) are told when a stored state holds what
// they delivered (commit), and may then let it go.

export interface ByteChunk {
  /** Valid until the next chunk is requested: sources may reuse their buffers. */
  data: Uint8Array;
  /** Which file of the source (0 for single streams). */
  fileIndex: number;
  /** The file's name, or a description of the stream, for error messages. */
  name: string;
  /** True on the first chunk of each file (or of the resumed part of it). */
  fileStart: boolean;
  /** True when the chunk ends its file (each read of a Redis stream is a file of whole records): its rows go out at once. */
  fileEnd?: boolean;
  /** Byte offset in the file where this file's reading began (non-zero after a resume). */
  baseOffset: number;
  /** A plain (not gzip) file's path: an error's line can be counted from the file's start (io/file-line-numbers.ts). */
  path?: string;
  /**
   * Sources whose chunks are made of entries (a Redis stream): which entries the first `offset`
   * bytes of this chunk cover, for the position of a batch that ends there.
   */
  entriesAt?(offset: number): EntriesPosition;
  /** Sources whose chunks are made of entries: the parser's error (`line N: ...`) placed in the entry it comes from. */
  explain?(error: string): string;
  /**
   * A plain file's first chunk: the rest of the file's share, which a native reader may read
   * itself (`from` is this chunk's end, absolute; `to` the share's end, Infinity for the file's
   * end; `expected`, where the file's share ended when the source was made: a read that ends
   * before it is an error; `share`, whether it is a worker's share rather than the whole file). `take()` hands it over: true when granted, and the source then yields nothing more of
   * this file; false once a later chunk of the file has been yielded.
   */
  rest?: { path: string; from: number; to: number; expected: number; share: boolean; take(): boolean };
}

/**
 * Where a position falls in a stream of entries (a Redis stream read through a consumer group):
 * everything this consumer was delivered up to `through` is covered wholly, and `partial.bytes`
 * bytes of the entry after it. Acknowledgement and resume go by it (lib/io/sources/redis-stream.ts).
 */
export interface EntriesPosition {
  /** The consumer (in its group) that was delivered the entries. */
  consumer: string;
  /** The newest entry id covered wholly; '0-0' when none is. */
  through: string;
  /** The entry after `through` when the position falls inside it: its id and how many of its data bytes are covered. */
  partial: { id: string; bytes: number } | null;
}

/** Where to continue: file index and byte offset for byte sources, record count for record sources. */
export interface SourcePosition {
  fileIndex: number;
  byteOffset: number;
  records: number;
  /** Entry-based sources (a Redis stream): which entries the position covers. */
  entries?: EntriesPosition;
}

export interface ByteSource {
  kind: 'bytes';
  /** For messages: a path, "stdin", "stream". */
  description: string;
  /** True when chunks(position) can start anywhere (files); false for streams. */
  seekable: boolean;
  /** Total bytes when known (files), for progress and ETA. */
  totalBytes?: number;
  chunks(start?: SourcePosition): AsyncIterable<ByteChunk>;
  /**
   * A stored state (a checkpoint, a saved model) now holds the input up to `upTo` (a batch's
   * position, or 'end': everything read, after the read ended). Ephemeral sources acknowledge it;
   * the others need not implement this.
   */
  commit?(upTo: SourcePosition | 'end'): Promise<void>;
  /** Releases what the source still holds (connections, timers); commit still works after. */
  close?(): Promise<void>;
}

/** One dense record: features, and a label and weight when the data has them; or [label, ...features]. */
export type RecordInput =
  | { features: ArrayLike<number>; label?: number; weight?: number }
  | ArrayLike<number>;

export interface RecordSource {
  kind: 'records';
  description: string;
  seekable: boolean;
  records(start?: SourcePosition): AsyncIterable<RecordInput>;
  /** As ByteSource.commit: a stored state holds the records up to `upTo`. */
  commit?(upTo: SourcePosition | 'end'): Promise<void>;
  close?(): Promise<void>;
}

export type Source = ByteSource | RecordSource;
