// The `series` format of readBatches: DeepAR's JSON Lines (one whole series per line) in
// batches of `miniBatchSize` series, each batch with the source position after its last
// series, so a checkpoint resumes after it. Memory is one batch of series.
import type { SeriesBatch } from '../data/batch.js';
import type { BatchStream, ReadBatch, ReadStats } from './batch-stream.js';
import { readSeries, type PositionedSeries, type SeriesRecord } from './formats/deepar-series.js';
import type { ReadOptions } from './read-options.js';
import { isRedisUrl } from './redis/redis-url.js';
import type { SourceInput } from './sources/open-source.js';
import type { ByteSource } from './sources/types.js';

/** Batches of whole series; `options.series` holds the forecaster's rules for a record. */
export function readSeriesBatches(input: SourceInput, options: ReadOptions): BatchStream {
  if (isRedisUrl(input)) throw new RangeError('readBatches: the series format reads files and streams of JSON Lines, not a Redis stream');
  const stats: ReadStats = { records: 0, bytes: 0, batches: 0, badRecords: {} };
  let source: ByteSource | undefined;
  const stream: BatchStream = {
    stats,
    featureDim: undefined,
    sparse: false,
    totalBytes: undefined,
    seekable: undefined,
    poolBytes: () => 0,
    commit: async (upTo) => { await source?.commit?.(upTo); },
    close: async () => { await source?.close?.(); },
    [Symbol.asyncIterator]: () => batches(),
  };
  async function* batches(): AsyncGenerator<ReadBatch> {
    const skipped = { count: 0, reasons: stats.badRecords };
    const hooks = {
      onSource: (opened: ByteSource) => {
        source = opened;
        stream.seekable = opened.seekable;
        stream.totalBytes = opened.totalBytes;
      },
      onBytes: (bytes: number) => { stats.bytes += bytes; },
    };
    let pending: PositionedSeries[] = [];
    const batch = (): ReadBatch => {
      const series: SeriesRecord[] = pending;
      const last = pending[pending.length - 1];
      pending = [];
      stats.batches++;
      stats.records += series.length;
      const cols = series[0].dynamicFeat.length;
      stream.featureDim ??= cols;
      const made: SeriesBatch = { kind: 'series', rows: series.length, cols, series };
      return Object.assign(made, { position: { ...last.position } }) as unknown as ReadBatch;
    };
    const read = readSeries(input, {
      maxRecordBytes: options.maxRecordBytes, onBadRecord: options.onBadRecord, files: options.files, start: options.start,
      check: options.series?.check,
    }, skipped, hooks);
    for await (const record of read) {
      options.signal?.throwIfAborted();
      pending.push(record);
      if (pending.length >= options.miniBatchSize) yield batch();
    }
    if (pending.length > 0) yield batch();
  }
  return stream;
}
