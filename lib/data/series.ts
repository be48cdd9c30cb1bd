// One time series as forecasters take it (DeepAR's JSON Lines record, parsed by
// io/formats/deepar-series.ts): whole series are the rows of a SeriesBatch.

/** A parsed series: start, observations with NaN gaps, categories, dynamic features. */
export interface SeriesRecord {
  /** The start as written, and as milliseconds since the epoch (UTC). */
  start: string;
  startTime: number;
  /** Observations; NaN marks a gap. */
  target: Float32Array;
  /** Categorical groups (empty when absent). */
  cat: Int32Array;
  /** One array per dynamic feature, each at least as long as the target. */
  dynamicFeat: Float32Array[];
  /** Where the record came from, for messages. */
  source: string;
  line: number;
}
