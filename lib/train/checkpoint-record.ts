// What a checkpoint records about the run besides the state and the
// progress counters: the training input it was taken on (so a resume on other
// data is refused instead of seeking into it), and the validation metrics the
// run would report (so a resumed run reports what the uninterrupted one does,
// even when it has no epoch left to validate).
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { isRedisUrl } from '../io/redis/redis-url.js';
import { isStreamPath, resolveFiles } from '../io/sources/files.js';
import { fileError } from '../io/sources/file-errors.js';
import type { SourceInput } from '../io/sources/open-source.js';
import type { JsonValue } from '../state/checkpoint.js';
import type { Progress } from './pass-runner.js';

/** A training file as the checkpoint knows it: its path when the checkpoint was taken, and its size. */
export interface InputFile {
  path: string;
  bytes: number;
}

/** What a checkpoint holds next to the state: the progress, the input's files (null: not files), and the validation metrics. */
export interface CheckpointRecord {
  progress: Progress;
  input: InputFile[] | null;
  /** The validation channel's files; null: none; undefined: a checkpoint from before they were recorded. */
  validationInput?: InputFile[] | null;
  /** The last validated epoch's metrics, and the best epoch's (early stopping reports those). */
  validation: Record<string, number> | undefined;
  bestValidation: Record<string, number> | undefined;
  /** The batches of the run's shuffle buffer (--shuffle-buffer); 0 none; undefined: a checkpoint from before it was recorded. */
  shuffleBuffer?: number;
}

/**
 * The files of a training channel with their sizes, or null when it is not a set of files (stdin, a
 * pipe, a Redis stream, an in-process stream) or cannot be listed (the reader reports that itself).
 */
export function inputFilesOf(train: SourceInput): InputFile[] | null {
  try {
    return listInputFiles(train);
  } catch {
    return null;
  }
}

/**
 * The files of a channel with their sizes, listed now, or null when it is not a set of files; a
 * path that cannot be listed or sized is an error saying why (a file removed while its directory
 * was listed is one: not a list without it).
 */
export function listInputFiles(input: SourceInput): InputFile[] | null {
  const strings = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((t) => typeof t === 'string') ? input as string[] : [];
  if (strings.length === 0 || strings.some((s) => s === '-' || isRedisUrl(s))) return null;
  // A named pipe or a device is read once, as a stream: no size to hold it to.
  if (strings.some((s) => isStreamPath(s))) return null;
  return strings.flatMap(resolveFiles).map((path) => {
    try {
      return { path, bytes: statSync(path).size };
    } catch (error) {
      throw fileError(path, error);
    }
  });
}

const describe = (file: InputFile) => `${file.path} (${file.bytes} bytes)`;

/**
 * How this run's training files differ from the checkpoint's, or undefined when they match. Files
 * match by name and size: the directory may differ, since data is moved or mounted elsewhere
 * between a crash and the resume, but a position in a file of another name or size means nothing.
 */
export function inputDifference(stored: InputFile[] | null, current: InputFile[] | null): string | undefined {
  if (stored === null) return undefined;
  if (current === null) return `it was taken on ${stored.map(describe).join(', ')}, and this run does not read files`;
  if (stored.length !== current.length) {
    return `it was taken on ${stored.length} file${stored.length === 1 ? '' : 's'} (${stored.map(describe).join(', ')}), ` +
      `this run reads ${current.length} (${current.map(describe).join(', ')})`;
  }
  const index = stored.findIndex((file, i) => basename(file.path) !== basename(current[i].path) || file.bytes !== current[i].bytes);
  if (index < 0) return undefined;
  const what = basename(stored[index].path) !== basename(current[index].path) ? 'another name' : 'another size';
  return `it was taken on ${describe(stored[index])}, and this run reads ${describe(current[index])} in its place (${what})`;
}

/**
 * How this run's validation channel differs from the checkpoint's, or undefined. The best epoch so
 * far was chosen on that channel: scores on another one (or none) would be compared with it.
 */
export function validationDifference(stored: InputFile[] | null | undefined, current: InputFile[] | null): string | undefined {
  if (stored === undefined) return undefined;
  if (stored === null) {
    return current === null ? undefined : `its run had no validation channel, and this one validates on ${current.map(describe).join(', ')} (resume without --validation)`;
  }
  if (current === null) return `its run validated on ${stored.map(describe).join(', ')}, and this one has no validation channel`;
  return inputDifference(stored, current)?.replace('it was taken on', 'it validated on').replace('this run reads', 'this run validates on');
}

/** JSON has no NaN or infinities: they are stored as strings and read back as numbers. */
function storedMetrics(metrics: Record<string, number> | undefined): Record<string, JsonValue> | null {
  if (!metrics) return null;
  return Object.fromEntries(Object.entries(metrics).map(([name, value]) => [name, Number.isFinite(value) ? value : String(value)]));
}

function metricsOf(stored: JsonValue | undefined): Record<string, number> | undefined {
  if (stored === null || stored === undefined || typeof stored !== 'object' || Array.isArray(stored)) return undefined;
  return Object.fromEntries(Object.entries(stored).map(([name, value]) => [name, Number(value)]));
}

/** The checkpoint's training record: the progress first (as it always was), then what was added after it. */
export function toTrainingRecord(record: CheckpointRecord): Record<string, JsonValue> {
  return {
    ...(record.progress as unknown as Record<string, JsonValue>),
    input: record.input as unknown as JsonValue,
    validationInput: (record.validationInput ?? null) as unknown as JsonValue,
    validation: storedMetrics(record.validation),
    bestValidation: storedMetrics(record.bestValidation),
    ...(record.shuffleBuffer !== undefined ? { shuffleBuffer: record.shuffleBuffer } : {}),
  };
}

/** Reads a checkpoint's training record; one written before the added fields has no input or metrics to give. */
export function fromTrainingRecord(training: Record<string, JsonValue>): CheckpointRecord {
  const { input, validationInput, validation, bestValidation, shuffleBuffer, ...progress } = training;
  return {
    progress: progress as unknown as Progress,
    input: Array.isArray(input) ? input as unknown as InputFile[] : null,
    validationInput: validationInput === undefined ? undefined : Array.isArray(validationInput) ? validationInput as unknown as InputFile[] : null,
    validation: metricsOf(validation),
    bestValidation: metricsOf(bestValidation),
    ...(typeof shuffleBuffer === 'number' ? { shuffleBuffer } : {}),
  };
}

/** Whether the checkpoint was taken in the middle of a pass (by one reader or by data-parallel workers). */
export function inPass(progress: Progress): boolean {
  const shares = progress.shares;
  return progress.position !== null || (!!shares && (shares.positions.some((p) => p !== null) || shares.done.some(Boolean)));
}
