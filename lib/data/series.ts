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
  /** Within an endpoint request's line: which of its instances. */
  instance?: number;
}

/** Milliseconds since the epoch of a UTC date and time; years 0–99 as written (Date.UTC would read them as 1900–1999). */
export function utcTime(year: number, month: number, day: number, hours = 0, minutes = 0, seconds = 0): number {
  const date = new Date(Date.UTC(2000, month, day, hours, minutes, seconds));
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}

const startPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** A series' "start" ("YYYY-MM-DD[ HH:MM[:SS]]", UTC) as ms since the epoch, or why it is not one. */
export function parseStart(value: unknown): number | string {
  if (typeof value !== 'string') return `"start" must be a string like "2024-01-01 00:00:00"`;
  const match = startPattern.exec(value.trim());
  if (!match) return `"start" ${JSON.stringify(value)} is not "YYYY-MM-DD[ HH:MM[:SS]]"`;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match;
  const time = utcTime(+y, +mo - 1, +d, +h, +mi, +s);
  const check = new Date(time);
  if (check.getUTCMonth() !== +mo - 1 || check.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) {
    return `"start" ${JSON.stringify(value)} is not a valid date and time`;
  }
  return time;
}
