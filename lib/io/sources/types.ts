// What a source yields. Byte sources (files, stdin, streams, iterables of
// buffers) feed a parser; record sources (iterables of objects or arrays)
// go straight into batches. A persistent source says where it is, so a
// checkpoint can store the position and a resumed run can seek to it.

export interface ByteChunk {
  /** Valid until the next chunk is requested: sources may reuse their buffers. */
  data: Uint8Array;
  /** Which file of the source (0 for single streams). */
  fileIndex: number;
  /** The file's name, or a description of the stream, for error messages. */
  name: string;
  /** True on the first chunk of each file (or of the resumed part of it). */
  fileStart: boolean;
  /** Byte offset in the file where this file's reading began (non-zero after a resume). */
  baseOffset: number;
}

/** Where to continue: file index and byte offset for byte sources, record count for record sources. */
export interface SourcePosition {
  fileIndex: number;
  byteOffset: number;
  records: number;
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
}

export type Source = ByteSource | RecordSource;
