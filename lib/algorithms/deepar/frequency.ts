// DeepAR's time_freq: what a step is (SageMaker's M, W, D, H, min with an optional multiple,
// e.g. "5min", "2H"), which calendar features and lags it implies, and how timestamps map to
// period indices and back. Indices count base units since 1970-01-01 00:00 UTC (minutes, hours,
// days; months since January 1970), the form native/algorithms/deepar/time_features.h reads.
import { BatchError } from '../../data/batch.js';
import { parseStart, utcTime } from '../../data/series.js';

export type FrequencyName = 'min' | 'H' | 'D' | 'W' | 'M';

export interface Frequency {
  /** As written (trimmed). */
  text: string;
  name: FrequencyName;
  /** Periods per step as written ("5min": 5). */
  multiple: number;
  /** native TimeUnit: 0 minute, 1 hour, 2 day, 3 month. */
  unit: 0 | 1 | 2 | 3;
  /** Base units per step (a week is 7 days). */
  step: number;
  /** native FeatureSet: 0 minute, 1 hour, 2 day, 3 week, 4 month. */
  featureSet: 0 | 1 | 2 | 3 | 4;
}

export const frequencyPattern = /^\s*([1-9][0-9]*)?\s*(min|H|D|W|M)\s*$/;

const units: Record<FrequencyName, { unit: Frequency['unit']; per: number; featureSet: Frequency['featureSet'] }> = {
  min: { unit: 0, per: 1, featureSet: 0 },
  H: { unit: 1, per: 1, featureSet: 1 },
  D: { unit: 2, per: 1, featureSet: 2 },
  W: { unit: 2, per: 7, featureSet: 3 },
  M: { unit: 3, per: 1, featureSet: 4 },
};

/** Parses time_freq; a RangeError for anything else (the hyperparameter's pattern has checked it already). */
export function parseFrequency(text: string): Frequency {
  const match = frequencyPattern.exec(text);
  if (!match) throw new RangeError(`deepar: time_freq ${JSON.stringify(text)} is not <int>?(min|H|D|W|M), e.g. "5min", "2H", "D"`);
  const name = match[2] as FrequencyName;
  const multiple = match[1] ? Number(match[1]) : 1;
  const { unit, per, featureSet } = units[name];
  return { text: text.trim(), name, multiple, unit, step: per * multiple, featureSet };
}

const around = (middle: number, delta: number): number[] =>
  Array.from({ length: 2 * delta + 1 }, (_, i) => Math.floor(middle) - delta + i);
const cycles = (count: number, period: number, multiple: number, delta: number): number[] =>
  Array.from({ length: count }, (_, k) => around(Math.floor(((k + 1) * period) / multiple), delta)).flat();
const perMinute = (m: number) => cycles(3, 60, m, 2);
const perHour = (m: number) => cycles(7, 24, m, 1);
const perDay = (m: number) => [...cycles(4, 7, m, 1), ...cycles(4, 30, m, 1)];
const perWeek = (m: number) => [...cycles(3, 52, m, 1), Math.floor(4 / m), Math.floor(8 / m), Math.floor(12 / m)];
const perMonth = (m: number) => cycles(3, 12, m, 1);

/**
 * The lagged targets each step sees: 1…7, then the values one, two, three… seasonal cycles back
 * (±1–2 steps) up to 1,200 steps — the rule of GluonTS's get_lags_for_frequency (SageMaker's own
 * lag sets are not published). Monthly: 1–7, 11–13, 23–25, 35–37.
 */
export function lagsFor(frequency: Frequency): number[] {
  const n = frequency.multiple;
  const seasonal = {
    M: () => perMonth(n),
    W: () => perWeek(n),
    D: () => [...perDay(n), ...perWeek(n / 7)],
    H: () => [...perHour(n), ...perDay(n / 24), ...perWeek(n / 168)],
    min: () => [...perMinute(n), ...perHour(n / 60), ...perDay(n / 1440), ...perWeek(n / 10080)],
  }[frequency.name]();
  const long = [...new Set(seasonal.filter((lag) => lag > 7 && lag <= 1200))].sort((a, b) => a - b);
  return [1, 2, 3, 4, 5, 6, 7, ...long];
}

const grid: Record<FrequencyName, { check: (d: Date) => boolean; words: string }> = {
  min: { check: (d) => d.getUTCSeconds() === 0, words: 'whole minutes' },
  H: { check: (d) => d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0, words: 'whole hours' },
  D: { check: (d) => d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0, words: 'midnight' },
  W: { check: (d) => d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0, words: 'midnight' },
  // Any day (month ends vary), at midnight as daily and weekly starts are: a time of day (12:30) was
  // taken and carried into every forecast timestamp, where a daily series got this error.
  M: { check: (d) => d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0, words: 'midnight, on any day of the month' },
};

/**
 * The base-unit index of a start (milliseconds since the epoch, UTC), or why it is not on the
 * frequency's grid (a series of another frequency). Monthly series may start on any day (at midnight).
 */
export function periodIndex(frequency: Frequency, startTime: number): number | string {
  const date = new Date(startTime);
  const rule = grid[frequency.name];
  if (!rule.check(date)) return `is not on the grid of time_freq=${frequency.text} (${rule.words}): a series of another frequency?`;
  switch (frequency.unit) {
    case 0: return startTime / 60_000;
    case 1: return startTime / 3_600_000;
    case 2: return startTime / 86_400_000;
    default: return (date.getUTCFullYear() - 1970) * 12 + date.getUTCMonth();
  }
}

/** Checks a record's start against the frequency; a BatchError naming the record. */
export function requirePeriodIndex(frequency: Frequency, startTime: number, start: string, where: string): number {
  // Records made in JavaScript carry both; the timestamps follow startTime, so they must agree.
  const parsed = parseStart(start);
  if (typeof parsed === 'string') throw new BatchError(`${where}: ${parsed}`);
  if (parsed !== startTime) {
    const iso = (time: number) => (Number.isFinite(time) ? new Date(time).toISOString() : 'not a time');
    throw new BatchError(`${where}: startTime ${startTime} is ${iso(startTime)}, but "start" ${JSON.stringify(start)} is ${iso(parsed)}: ` +
      'they must agree (the forecast\'s timestamps follow startTime); make startTime the Date.UTC(…) of "start", or make records with toSeriesRecord');
  }
  const index = periodIndex(frequency, startTime);
  if (typeof index === 'string') throw new BatchError(`${where}: "start" ${JSON.stringify(start)} ${index}`);
  return index;
}

const pad = (v: number, width = 2) => String(v).padStart(width, '0');

function formatTime(date: Date): string {
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
}

/**
 * Timestamps ('YYYY-MM-DD HH:MM:SS') of steps from, from + 1, … (count of them) of a series that
 * starts at startTime. Monthly steps keep the start's day of the month (the last day when a month
 * is shorter) and time of day.
 */
export function timestamps(frequency: Frequency, startTime: number, from: number, count: number): string[] {
  const out: string[] = [];
  const start = new Date(startTime);
  for (let i = from; i < from + count; i++) {
    if (frequency.unit === 3) {
      const months = start.getUTCMonth() + i * frequency.step;
      const year = start.getUTCFullYear() + Math.floor(months / 12), month = ((months % 12) + 12) % 12;
      const last = new Date(utcTime(year, month + 1, 0)).getUTCDate();
      out.push(formatTime(new Date(utcTime(year, month, Math.min(start.getUTCDate(), last), start.getUTCHours(), start.getUTCMinutes(), start.getUTCSeconds()))));
    } else {
      const unitMs = [60_000, 3_600_000, 86_400_000][frequency.unit];
      out.push(formatTime(new Date(startTime + i * frequency.step * unitMs)));
    }
  }
  return out;
}
